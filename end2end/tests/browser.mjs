// Launches Debian's Chromium through playwright-core, with the flags this machine needs.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:3000';

/** `env`: variables to add to Chromium's (the deployment test gives it a HOME whose NSS
 * database trusts its local certificate authority). */
export async function launch(env = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    env: { ...process.env, ...env },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** A page whose console errors and failed requests are collected for assertions. */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { context, page, problems };
}

/** Resolves once the app has hydrated (an effect marks <body>); fails after 15 s. */
export async function waitForHydration(page) {
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 15_000 });
}

export const SIMULATOR_URL = process.env.SIMULATOR_URL;
const SIMULATOR_KEY = 'sk-or-v1-demo-simulator';

/** Calls the demo simulator's API or control routes (`/api/v1/...`, `/_simulator/...`). */
export async function simulator(path, { method = 'GET', body } = {}) {
  const response = await fetch(`${SIMULATOR_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${SIMULATOR_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`simulator ${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Moves the demo server's workshop calendar by `seconds` (0: real time). */
export async function setClock(seconds) {
  const response = await fetch(`${BASE_URL}/_demo/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ offset_secs: Math.round(seconds) }),
  });
  if (!response.ok) throw new Error(`clock: ${response.status}`);
}

/** Signs in through the demo form of the sign-in page and lands on `next`. */
export async function demoSignIn(page, email, next = '/') {
  await page.goto(`${BASE_URL}/signin?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Name').fill(email.split('@')[0]);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: /demo/i }).click();
  await page.waitForURL(`${BASE_URL}${next}`);
}


const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core (WCAG 2 A/AA and best practices) on the page; fails listing every
 * violation. Evaluated through the DevTools protocol, so the page's CSP is untouched.
 */
export async function assertAccessible(page, what) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }));
  const violations = result.violations.map((violation) =>
    `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
  if (violations.length > 0) throw new Error(`${what}: ${violations.length} accessibility violations:\n${violations.join('\n')}`);
}

/** No horizontal scrolling: nothing on the page is wider than the viewport. */
export async function assertNoHorizontalScroll(page, what) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  if (scrollWidth > clientWidth) throw new Error(`${what}: ${scrollWidth}px of content in a ${clientWidth}px viewport`);
}

// Test runs keep their screenshots in an ignored folder (look at them there); only
// `make screenshots` writes the committed ones the README and docs show.
const SCREENSHOTS = process.env.WKM_SCREENSHOTS_DIR
  ?? join(dirname(import.meta.dirname), 'test-results', 'screenshots');

/** Saves a screenshot as `<name>.png` in the screenshots folder (see above). */
export async function screenshot(pageOrLocator, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  const isPage = typeof pageOrLocator.url === 'function';
  await pageOrLocator.screenshot(isPage ? { path, fullPage: true } : { path });
}
