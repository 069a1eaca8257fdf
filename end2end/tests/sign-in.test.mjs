import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, openPage, waitForHydration } from './browser.mjs';

const LIVE_BASE_URL = process.env.LIVE_BASE_URL;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('signing in with Google (a local OpenID Connect provider) lands back on the workshop page', async () => {
  assert.ok(LIVE_BASE_URL, 'run through end2end/run.mjs, which starts the live server');
  const { page, context, problems } = await openPage(browser);
  await page.goto(`${LIVE_BASE_URL}/w/open-now`);
  await waitForHydration(page);
  // One click: sign in with Google and claim (the provider's account chooser aside).
  assert.equal(await page.getByText('Demo mode').count(), 0, 'no demo form on a real deployment');
  await page.getByRole('button', { name: 'Sign in with Google and claim' }).click();
  // The provider's account chooser, on another origin.
  await page.waitForURL((url) => !url.href.startsWith(LIVE_BASE_URL), { timeout: 10_000 })
    .catch(async () => { throw new Error(`still on ${page.url()}: ${await page.innerText('body')}`); });
  await page.getByRole('button', { name: /Ada Lovelace/ }).click();

  await page.waitForURL(`${LIVE_BASE_URL}/w/open-now`);
  await waitForHydration(page);
  const account = page.locator('.account[data-signed-in="true"]');
  assert.match(await account.innerText(), /Ada Lovelace/);
  // Back from the provider with the key: claimed on the way in.
  await page.locator('#key-card').waitFor({ timeout: 15_000 });
  assert.match(await page.locator('.api-key-full').textContent(), /^sk-or-v1-/);

  const cookies = await context.cookies(LIVE_BASE_URL);
  const session = cookies.find((cookie) => cookie.name === 'wkm_session');
  assert.ok(session, 'a session cookie is set');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');

  // Signing out (a plain form) ends the session.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${LIVE_BASE_URL}/`);
  await page.locator('.account[data-signed-in="false"]').waitFor({ timeout: 10_000 });
  // Only our pages count: the stand-in provider's page has no favicon, for one.
  assert.deepEqual(problems.filter((problem) => problem.includes(LIVE_BASE_URL)), []);
  await context.close();
});

test('a javascript: next never runs: every link the sign-in page builds stays on the site', async () => {
  const { page, context, problems } = await openPage(browser);
  const dialogs = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  const evil = encodeURIComponent('javascript:alert(document.domain)');

  // Signed out: the demo form carries a safe `next`.
  await page.goto(`${BASE_URL}/signin?next=${evil}`);
  await waitForHydration(page);
  assert.equal(await page.locator('input[name="next"]').getAttribute('value'), '/');

  // Signed in: "Continue" leads home, on the server render and after hydration alike.
  await page.getByLabel('Name').fill('Xavier');
  await page.getByLabel('Email').fill('xavier@example.com');
  await page.getByRole('button', { name: /demo/i }).click();
  await page.waitForURL(`${BASE_URL}/`);
  await page.goto(`${BASE_URL}/signin?next=${evil}`);
  const serverRendered = await page.locator('a', { hasText: 'Continue' }).getAttribute('href');
  assert.equal(serverRendered, '/');
  await waitForHydration(page);
  const continueLink = page.getByRole('link', { name: 'Continue' });
  assert.equal(await continueLink.getAttribute('href'), '/');
  for (const href of await page.locator('a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href')))) {
    assert.ok(href.startsWith('/') && !href.startsWith('//'), `a link leaves the site: ${href}`);
  }
  await continueLink.click();
  await page.waitForURL(`${BASE_URL}/`);
  assert.deepEqual(dialogs, [], 'no script ran');
  assert.deepEqual(problems, []);
  await context.close();
});
