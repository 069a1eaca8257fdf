import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, waitForHydration } from './browser.mjs';

const LIVE_BASE_URL = process.env.LIVE_BASE_URL;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('signing in with Google (a local OpenID Connect provider) lands back on the workshop page', async () => {
  assert.ok(LIVE_BASE_URL, 'run through end2end/run.mjs, which starts the live server');
  const { page, context, problems } = await openPage(browser);
  await page.goto(`${LIVE_BASE_URL}/w/open-now`);
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Sign in to claim your key' }).click();
  await page.waitForURL(/\/signin\?next=%2Fw%2Fopen-now$/);
  // No demo form on a real deployment.
  assert.equal(await page.getByText('Demo sign-in').count(), 0);

  await page.getByRole('link', { name: 'Continue with Google' }).click();
  // The provider's account chooser, on another origin.
  await page.waitForURL((url) => !url.href.startsWith(LIVE_BASE_URL), { timeout: 10_000 })
    .catch(async () => { throw new Error(`still on ${page.url()}: ${await page.innerText('body')}`); });
  await page.getByRole('button', { name: /Ada Lovelace/ }).click();

  await page.waitForURL(`${LIVE_BASE_URL}/w/open-now`);
  await waitForHydration(page);
  const account = page.locator('.account[data-signed-in="true"]');
  assert.match(await account.innerText(), /Ada Lovelace/);
  assert.match(await page.locator('.claim-call').innerText(), /Ada\.Lovelace@Example\.com/);

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
