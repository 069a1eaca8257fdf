import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, openPage, waitForHydration, demoSignIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a signed-in attendee claims a key with one click and sees the same key after a reload', async () => {
  const { page, context, problems } = await openPage(browser);
  await demoSignIn(page, 'claire@example.com', '/w/open-now');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Claim my key' }).click();
  await page.locator('#key-card').waitFor({ timeout: 15_000 });
  const plaintext = await page.locator('.api-key-full').textContent();
  assert.match(plaintext, /^sk-or-v1-[0-9a-f]+$/);

  await page.reload();
  assert.equal(await page.locator('.api-key-full').textContent(), plaintext);
  assert.equal(await page.getByRole('button', { name: 'Claim my key' }).count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('without JavaScript: sign in, claim, and see the key in a details element', async () => {
  const { page, context } = await openPage(browser, { javaScriptEnabled: false });
  // Plain form posts all the way: the demo sign-in, then the claim, whose answer is a
  // redirect back to the workshop page, which now shows the key.
  await demoSignIn(page, 'nojs@example.com', '/w/open-now');
  await page.getByRole('button', { name: 'Claim my key' }).click();
  const key = page.locator('details.key-reveal .api-key-full');
  await key.waitFor({ state: 'attached', timeout: 15_000 });
  assert.equal(await page.locator('details.key-reveal').evaluate((details) => details.open), false, 'masked until opened');
  await page.locator('details.key-reveal summary').click();
  assert.match(await key.innerText(), /^sk-or-v1-/);
  assert.equal(new URL(page.url()).pathname, '/w/open-now');
  // The snippets are all on the page, one after the other.
  assert.equal(await page.locator('.snippet pre').count(), 4);
  await context.close();
});
