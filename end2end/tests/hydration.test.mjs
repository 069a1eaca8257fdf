import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, openPage, waitForHydration } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('home lists the workshops with their state', async () => {
  const { page, context, problems } = await openPage(browser);
  const response = await page.goto(`${BASE_URL}/`);
  assert.equal(response.status(), 200);
  const cards = page.locator('.workshop-card');
  // Every workshop end2end/workshops.mjs writes.
  assert.equal(await cards.count(), 8);
  assert.match(await page.locator('.workshop-card[data-slug=open-now]').innerText(), /OPEN/i);
  assert.match(await page.locator('.workshop-card[data-slug=upcoming]').innerText(), /UPCOMING/i);
  // Open workshops come first.
  assert.doesNotMatch(await cards.nth(0).innerText(), /UPCOMING/i);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the workshop page hydrates: the time-zone switch works only after hydration', async () => {
  const { page, context, problems } = await openPage(browser, { timezoneId: 'America/New_York' });
  await page.goto(`${BASE_URL}/w/open-now`);
  const label = page.getByTestId('time-zone-label');
  assert.match(await label.innerText(), /workshop's time zone \(Europe\/Berlin\)/);
  const opens = page.locator('.facts time').first();
  assert.match(await opens.innerText(), /CES?T/);

  await waitForHydration(page);
  await page.getByRole('button', { name: 'Show my time' }).click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="time-zone-label"]').textContent.includes('America/New_York'),
    null,
    { timeout: 5_000 },
  );
  // The same instant, as New York's clock shows it.
  const instant = new Date(await opens.getAttribute('datetime'));
  const inNewYork = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit', minute: '2-digit', timeZone: 'America/New_York',
  }).format(instant);
  assert.ok((await opens.innerText()).includes(inNewYork), `${await opens.innerText()} shows ${inNewYork}`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('an unknown workshop is a proper 404 page', async () => {
  const { page, context } = await openPage(browser);
  const response = await page.goto(`${BASE_URL}/w/no-such-workshop`);
  assert.equal(response.status(), 404);
  assert.match(await page.locator('[role=alert]').innerText(), /not found/i);
  await context.close();
});
