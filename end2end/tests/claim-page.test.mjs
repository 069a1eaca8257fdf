// The claim page (issue 11) in Chromium: every state, rendered and checked for
// accessibility (axe-core, light and dark) and horizontal overflow at 320, 360 and
// 1280 px; the two-click flow; copy, show and hide; snippets; the .env download; the
// opt-in; the projector's QR code. OpenRouter is steered through the demo simulator's
// control routes and the calendar through the demo clock.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { brotliBytes } from '../harness.mjs';
import {
  BASE_URL, launch, openPage, waitForHydration, demoSignIn, simulator, setClock,
  assertAccessible, assertNoHorizontalScroll, screenshot,
} from './browser.mjs';

const DAY = 86_400;
let browser;
before(async () => { browser = await launch(); });
after(async () => { await setClock(0); await browser?.close(); });
afterEach(async () => {
  await setClock(0);
  await simulator('/_simulator/faults', { method: 'DELETE' });
});

let people = 0;
/** A fresh attendee address for every test, so states never leak between tests. */
function someone(domain = 'example.com') {
  people += 1;
  return `person${people}-${Date.now()}@${domain}`;
}

/** Checks the page as it stands: phone and desktop widths, light and dark. */
async function inspect(page, what) {
  for (const width of [320, 360, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await assertNoHorizontalScroll(page, `${what} at ${width}px`);
    if (width === 320) continue;
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      await assertAccessible(page, `${what} at ${width}px, ${colorScheme}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function state(page) {
  return page.locator('[data-state], .key-card').first().evaluate((element) =>
    element.classList.contains('key-card') ? `key:${element.dataset.health}` : element.dataset.state);
}

/** Signs in, claims on the page (hydrated), and returns the full key. */
async function signInAndClaim(page, slug = 'open-now', email = someone()) {
  await demoSignIn(page, email, `/w/${slug}`);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Claim my key' }).click();
  await page.locator('#key-card').waitFor({ timeout: 15_000 });
  return fullKey(page);
}

async function fullKey(page) {
  return page.locator('.api-key-full').textContent();
}

async function keyHash(key) {
  const state = await simulator('/_simulator/state');
  const bytes = new TextEncoder().encode(key);
  const digest = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
  assert.ok(state.keys.some((k) => k.hash === digest), 'the key is on OpenRouter');
  return digest;
}

test('on a phone, one click on "Sign in and claim" lands on a ready key; a refused clipboard selects it', async () => {
  const { page, context, problems } = await openPage(browser);
  // This browser refuses the clipboard, as some do on plain http or without a gesture.
  await page.addInitScript(() => {
    navigator.clipboard.writeText = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));
  });
  await page.goto(`${BASE_URL}/w/open-now`);
  assert.equal(await state(page), 'signed-out');
  await inspect(page, 'open, signed out');
  await page.setViewportSize({ width: 360, height: 800 });
  await page.getByLabel('Name').fill('Ida');
  await page.getByLabel('Email').fill(someone());
  await page.getByRole('button', { name: 'Sign in and claim' }).click(); // click 1
  await page.waitForURL(`${BASE_URL}/w/open-now`);
  await page.locator('#key-card').waitFor();
  const key = await fullKey(page);
  assert.match(key, /^sk-or-v1-[0-9a-f]{64}$/);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Copy your key' }).click(); // click 2
  await page.waitForFunction(() => document.querySelector('[role=status]')?.textContent.includes('selected'));
  assert.equal(await page.locator('#api-key').innerText(), key, 'revealed for copying by hand');
  assert.equal(await page.evaluate(() => window.getSelection().toString()), key, 'and selected');
  await page.getByRole('button', { name: 'Copy the base URL' }).click();
  assert.equal(await page.evaluate(() => window.getSelection().toString()), 'https://openrouter.ai/api/v1');
  assert.deepEqual(problems, []);
  await context.close();
});

test('claiming in place: focus on the key, masked until shown, copy, snippets, .env', async () => {
  const { page, context, problems } = await openPage(browser);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE_URL });
  await demoSignIn(page, someone(), '/w/open-now');
  await waitForHydration(page);
  assert.equal(await state(page), 'claimable');
  await inspect(page, 'open, signed in, not claimed');
  await page.getByRole('button', { name: 'Claim my key' }).click();
  const card = page.locator('#key-card');
  await card.waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => document.activeElement?.id === 'key-card', null, { timeout: 5_000 });
  await page.waitForFunction(() => document.querySelector('[role=status]')?.textContent.includes('Your key is ready'));
  const key = await fullKey(page);
  const shown = page.locator('#api-key');
  assert.match(await shown.innerText(), /^sk-or-v1-[0-9a-f]{4}…[0-9a-f]{4}$/, 'masked by default');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  assert.equal(await shown.innerText(), key);
  await page.getByRole('button', { name: 'Hide', exact: true }).click();
  assert.notEqual(await shown.innerText(), key);

  await page.getByRole('button', { name: 'Copy your key' }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
  await page.waitForFunction(() => document.querySelector('[role=status]')?.textContent.includes('copied'));
  await page.getByRole('button', { name: 'Copy the base URL' }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'https://openrouter.ai/api/v1');
  await page.getByRole('button', { name: 'Copy the model name openai/gpt-5-nano' }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'openai/gpt-5-nano');

  // Every snippet carries the key (shown once revealed, always when copied).
  for (const tab of ['curl', 'Python', 'JavaScript', '.env']) {
    await page.getByRole('tab', { name: tab }).click();
    await page.getByRole('button', { name: `Copy the ${tab} snippet` }).click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.ok(copied.includes(key), `${tab} snippet`);
    assert.ok(copied.includes('openai/gpt-5-nano'), `${tab} snippet names the model`);
  }
  // Arrow keys move between tabs.
  await page.getByRole('tab', { name: '.env' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'curl');

  const download = await page.request.get(`${BASE_URL}/w/open-now/key.env`);
  assert.equal(download.status(), 200);
  assert.match(download.headers()['content-disposition'], /attachment/);
  assert.ok((await download.text()).includes(`OPENAI_API_KEY=${key}`));

  await inspect(page, 'claimed and bound');
  await page.setViewportSize({ width: 360, height: 900 });
  await screenshot(card, 'key-card-360');
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(card, 'key-card-1280');
  await page.reload();
  assert.equal(await fullKey(page), key, 'the same key after a reload');
  assert.deepEqual(problems, []);
  await context.close();
});

test('upcoming: when claims open, with a live countdown', async () => {
  await setClock(-2 * DAY);
  // A viewer in Tokyo: the workshop (Europe/Berlin) time leads, theirs follows.
  const { page, context, problems } = await openPage(browser, { timezoneId: 'Asia/Tokyo' });
  await page.goto(`${BASE_URL}/w/open-now`);
  assert.equal(await state(page), 'upcoming');
  await waitForHydration(page);
  const clock = page.locator('.countdown-clock');
  const first = await clock.textContent();
  await page.waitForFunction((before) => document.querySelector('.countdown-clock').textContent !== before, first, { timeout: 5_000 });
  const opens = page.locator('[data-state=upcoming] h2');
  await opens.locator('.other-zone', { hasText: 'your time' }).waitFor();
  assert.match(await opens.innerText(), /CES?T · .*GMT\+9 your time/);
  await inspect(page, 'upcoming');
  assert.deepEqual(problems, []);
  await context.close();
  // A viewer in the workshop's own zone sees one time only.
  const local = await openPage(browser, { timezoneId: 'Europe/Berlin' });
  await local.page.goto(`${BASE_URL}/w/open-now`);
  await waitForHydration(local.page);
  assert.equal(await local.page.locator('[data-state=upcoming] h2 .other-zone').innerText(), '');
  await local.context.close();
});

test('an unbound key works and says its restrictions are on the way', async () => {
  await simulator('/_simulator/faults', {
    method: 'POST',
    body: { route: 'POST /guardrails/{id}/assignments/keys', action: { kind: 'server_error', status: 503 } },
  });
  const { page, context } = await openPage(browser);
  await signInAndClaim(page);
  assert.equal(await state(page), 'key:unbound');
  assert.match(await page.locator('[data-notice=unbound]').innerText(), /model restrictions/);
  await inspect(page, 'claimed, unbound');
  await context.close();
});

test('OpenRouter down: the place is kept, and the key appears without a reload', async () => {
  await simulator('/_simulator/outage', { method: 'POST', body: { kind: 'unavailable', seconds: 600 } });
  const { page, context } = await openPage(browser);
  await demoSignIn(page, someone(), '/w/open-now');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Claim my key' }).click();
  await page.locator('[data-state=preparing][data-retrying=true]').waitFor({ timeout: 15_000 });
  assert.match(await page.locator('[data-state=preparing]').innerText(), /place is kept/);
  assert.match(await page.locator('[data-state=preparing]').innerText(), /Nothing to do on your side/);
  await inspect(page, 'OpenRouter unavailable');
  await simulator('/_simulator/outage', { method: 'POST', body: { kind: 'unavailable', seconds: 0 } });
  // The server's sweep finishes the kept place; the page asks every two seconds.
  await page.locator('#key-card').waitFor({ timeout: 45_000 });
  await context.close();
});

test('a budget used up says so', async () => {
  const { page, context } = await openPage(browser);
  const key = await signInAndClaim(page);
  const hash = await keyHash(key);
  // More than the key's $2: OpenRouter lets a last request overshoot.
  await simulator(`/_simulator/keys/${hash}/usage`, { method: 'POST', body: { usd: 2.25 } });
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.locator('.budget-left', { hasText: '$0.00 left' }).waitFor({ timeout: 10_000 });
  await page.reload();
  assert.equal(await state(page), 'key:budget-used-up');
  await inspect(page, 'budget used up');
  await context.close();
});

test('a disabled key says so', async () => {
  const { page, context } = await openPage(browser);
  const key = await signInAndClaim(page);
  const hash = await keyHash(key);
  await simulator(`/api/v1/keys/${hash}`, { method: 'PATCH', body: { disabled: true } });
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.waitForFunction(() => !document.querySelector('.budget-sync button').disabled);
  await page.reload();
  assert.equal(await state(page), 'key:disabled');
  assert.match(await page.locator('[data-notice=disabled]').innerText(), /disabled this key/);
  await inspect(page, 'disabled by the organiser');
  await context.close();
});

test('after claims close: the key stays, then expires; without one, the page says so', async () => {
  const { page, context } = await openPage(browser);
  const key = await signInAndClaim(page);
  await setClock(30.5 * DAY);
  await page.reload();
  assert.equal(await state(page), 'key:ready');
  assert.equal(await fullKey(page), key, 'the key is still shown');
  assert.match(await page.locator('.key-card .notice').innerText(), /Claims are closed/);
  await inspect(page, 'closed, with a key');

  await setClock(32 * DAY);
  await page.reload();
  assert.equal(await state(page), 'key:expired');
  await inspect(page, 'key expired');

  const other = await openPage(browser);
  await setClock(0);
  await demoSignIn(other.page, someone(), '/');
  await setClock(30.5 * DAY);
  await other.page.goto(`${BASE_URL}/w/open-now`);
  assert.equal(await state(other.page), 'closed');
  await inspect(other.page, 'closed, without a key');
  await other.context.close();
  await context.close();
});

test('sold out and the wrong email domain are explained', async () => {
  const first = await openPage(browser);
  await signInAndClaim(first.page, 'one-seat');
  const second = await openPage(browser);
  await demoSignIn(second.page, someone(), '/w/one-seat');
  assert.equal(await state(second.page), 'sold-out');
  assert.match(await second.page.locator('[data-state=sold-out]').innerText(), /All 1 places are taken/);
  await inspect(second.page, 'sold out');

  // The budget covers one key: the next attendee is told the budget is used up.
  const third = await openPage(browser);
  await signInAndClaim(third.page, 'one-budget');
  await third.context.close();
  await second.page.goto(`${BASE_URL}/w/one-budget`);
  assert.equal(await state(second.page), 'sold-out');
  assert.match(await second.page.locator('[data-state=sold-out]').innerText(), /budget is used up/);

  await second.page.goto(`${BASE_URL}/w/staff-only`);
  assert.equal(await state(second.page), 'domain-not-allowed');
  assert.match(await second.page.locator('[data-state=domain-not-allowed]').innerText(), /@staff\.example\.org/);
  await inspect(second.page, 'email domain not allowed');
  await first.context.close();
  await second.context.close();
});

test('the marketing opt-in is optional, stored, and withdrawable', async () => {
  const { page, context } = await openPage(browser);
  await demoSignIn(page, someone(), '/w/with-news');
  await waitForHydration(page);
  const box = page.getByRole('checkbox', { name: /Send me news/ });
  assert.equal(await box.isChecked(), false, 'unticked by default');
  await box.check();
  await page.getByRole('button', { name: 'Claim my key' }).click();
  await page.locator('#key-card').waitFor({ timeout: 15_000 });
  await page.locator('.marketing[data-opted-in=true]').waitFor();
  await page.reload();
  await waitForHydration(page);
  await page.locator('.marketing[data-opted-in=true]').waitFor();
  await page.getByRole('button', { name: 'Withdraw my yes' }).click();
  await page.locator('.marketing[data-opted-in=false]').waitFor();
  await page.reload();
  await page.locator('.marketing[data-opted-in=false]').waitFor();
  await context.close();
});

test('the projector page: a QR code of the claim URL and live figures', async () => {
  const { page, context, problems } = await openPage(browser, { viewport: { width: 1280, height: 900 } });
  await page.goto(`${BASE_URL}/w/open-now/qr`);
  await waitForHydration(page);
  const png = PNG.sync.read(await page.locator('.qr-code').screenshot());
  const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert.ok(decoded, 'the QR code can be read');
  assert.equal(decoded.data, `${BASE_URL}/w/open-now`);
  assert.ok(!(await page.content()).includes('@example.com'), 'no attendee on the projector');

  const claimed = page.locator('[data-figure=claimed]');
  const before = Number(await claimed.textContent());
  const other = await openPage(browser);
  await signInAndClaim(other.page);
  await page.waitForFunction((count) => Number(document.querySelector('[data-figure=claimed]').textContent) > count,
    before, { timeout: 15_000 });
  await inspect(page, 'projector');
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, 'projector-1280');
  assert.deepEqual(problems, []);
  await other.context.close();
  await context.close();
});

// The budget (issue 22): an attendee's phone on a room's wifi downloads at most 200 KB
// for the page, signed out and cold, as a browser on https receives it. `make weigh`
// prints the same figure file by file.
test('the claim page weighs at most 200 KB on a cold load', async () => {
  const { page, context } = await openPage(browser);
  const urls = [];
  page.on('request', (request) => urls.push(request.url()));
  await page.goto(`${BASE_URL}/w/open-now`);
  await waitForHydration(page);
  await page.waitForLoadState('networkidle');
  await context.close();
  assert.ok(urls.some((url) => url.endsWith('.wasm')), 'the wasm is among the files');
  // Weighed as a browser on https receives them (brotli), the way attendees do.
  const weights = await Promise.all(urls.map((url) => brotliBytes(url)));
  const bytes = weights.reduce((sum, { bytes }) => sum + bytes, 0);
  assert.ok(bytes <= 200 * 1024, `${bytes} bytes transferred`);
});
