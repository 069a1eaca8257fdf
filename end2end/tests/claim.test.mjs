import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, openPage, waitForHydration } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function demoSignIn(page, email) {
  await page.goto(`${BASE_URL}/signin?next=/w/open-now`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name').fill('Claire');
  await page.getByRole('button', { name: /demo/i }).click();
  await page.waitForURL(`${BASE_URL}/w/open-now`);
}

test('a signed-in attendee claims a key with one click and sees the same key after a reload', async () => {
  const { page, context, problems } = await openPage(browser);
  await demoSignIn(page, 'claire@example.com');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Claim my key' }).click();
  const key = page.locator('code.api-key');
  await key.waitFor({ timeout: 15_000 });
  const plaintext = await key.innerText();
  assert.match(plaintext, /^sk-or-v1-[0-9a-f]+$/);

  await page.reload();
  assert.equal(await page.locator('code.api-key').innerText(), plaintext);
  assert.equal(await page.getByRole('button', { name: 'Claim my key' }).count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the claim button works before hydration too (a plain form post)', async () => {
  const { page, context } = await openPage(browser, { javaScriptEnabled: false });
  // Without JavaScript the demo form still posts; the claim form posts and comes back.
  await demoSignIn(page, 'nojs@example.com');
  // The server answers the form post with a redirect back to the workshop page, which
  // now shows the key.
  await page.getByRole('button', { name: 'Claim my key' }).click();
  const key = page.locator('code.api-key');
  await key.waitFor({ timeout: 15_000 });
  assert.match(await key.innerText(), /^sk-or-v1-/);
  assert.equal(new URL(page.url()).pathname, '/w/open-now');
  await context.close();
});
