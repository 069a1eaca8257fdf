// Topping up keys from the admin page (issue 21) in Chromium. Two attendees claim $1 keys
// in a workshop capped at $4.50 (at most $3 a key). The organiser tops up the first
// one's key by $1 from its row: the row shows the new limit, the top-up and its history
// without a reload, at 1280 and 360 px, and the attendee's card says the organiser
// topped it up. An amount above the per-key maximum is refused in the row. Then "Top up
// everyone low" previews the one key spent above 80 % and runs, with its progress, and
// the last dollars are refused with what the cap leaves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, launch, openPage, waitForHydration, demoSignIn, simulator,
  assertAccessible, assertNoHorizontalScroll, screenshot,
} from './browser.mjs';

const SLUG = 'top-up-room';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function sha256(text) {
  return Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('hex');
}

/** Signs `email` in, claims on the workshop's page and answers the key's hash. */
async function claim(email) {
  const attendee = await openPage(browser);
  await demoSignIn(attendee.page, email, `/w/${SLUG}`);
  await waitForHydration(attendee.page);
  await attendee.page.getByRole('button', { name: 'Claim my key' }).click();
  await attendee.page.locator('#key-card[data-health=ready]').waitFor({ timeout: 15_000 });
  const key = await attendee.page.locator('.api-key-full').textContent();
  return { attendee, hash: await sha256(key.trim()) };
}

async function inspect(page, what) {
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await assertNoHorizontalScroll(page, `${what} at ${width}px`);
    await assertAccessible(page, `${what} at ${width}px`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('an organiser tops up a key in its row, then every key that is low, within the cap', async () => {
  const stamp = Date.now();
  const [first, second] = [`first-${stamp}@example.com`, `second-${stamp}@example.com`];
  const a = await claim(first);
  const b = await claim(second);

  const organiser = await openPage(browser);
  const admin = organiser.page;
  await demoSignIn(admin, 'organiser@example.com', `/admin/${SLUG}`);
  await waitForHydration(admin);
  await admin.evaluate(() => { window.__sameDocument = true; });

  // Both keys are nearly spent (one sync: "Sync usage now" has a cooldown).
  await simulator(`/_simulator/keys/${a.hash}/usage`, { method: 'POST', body: { usd: 0.9 } });
  await simulator(`/_simulator/keys/${b.hash}/usage`, { method: 'POST', body: { usd: 0.95 } });
  await admin.getByRole('button', { name: 'Sync usage now' }).click();
  const row = admin.locator('tr[data-row]', { hasText: first });
  await row.getByText('$0.90 of $1.00').waitFor({ timeout: 5_000 });
  await admin.locator('tr[data-row]', { hasText: second }).getByText('$0.95 of $1.00').waitFor({ timeout: 5_000 });

  // Top up from the row, from the keyboard: +$1.
  const summary = row.locator('summary', { hasText: 'Top up' });
  await summary.focus();
  await admin.keyboard.press('Enter');
  const plusOne = row.getByRole('button', { name: `+$1 for ${first}` });
  await plusOne.focus();
  await admin.keyboard.press('Enter');
  await row.getByText('$0.90 of $2.00').waitFor({ timeout: 5_000 });
  await row.getByText('Done: the limit is now $2.00.').waitFor({ timeout: 5_000 });
  assert.match(await row.locator('[data-topped-up]').innerText(), /incl\. \$1\.00 topped up/);
  assert.match(await row.locator('.top-up-history').innerText(), /\+\$1\.00 by organiser@example\.com .* \(limit \$2\.00\)/);
  assert.equal(await admin.evaluate(() => window.__sameDocument), true, 'no reload');
  assert.equal(await row.locator('details.row-top-up').evaluate((details) => details.open), true, 'the panel stays open');
  // OpenRouter took the new limit.
  const onOpenRouter = (await simulator('/_simulator/state')).keys.find((key) => key.hash === a.hash);
  assert.equal(onOpenRouter.limit, 2);
  await inspect(admin, 'admin, a row topped up');
  await screenshot(admin, 'top-up-row-1280');
  await admin.setViewportSize({ width: 360, height: 900 });
  await screenshot(admin, 'top-up-row-360');
  await screenshot(row, 'top-up-row-360-detail');
  await admin.setViewportSize({ width: 1280, height: 900 });

  // The attendee's card shows the new limit and who raised it.
  await a.attendee.page.reload();
  await a.attendee.page.getByText('Includes $1.00 topped up by the organiser.').waitFor({ timeout: 5_000 });
  assert.match(await a.attendee.page.locator('.budget').innerText(), /\$2\.00/);

  // Within the cap but above the per-key maximum ($2 + $1.50 > $3): refused in the
  // row, nothing changed.
  await row.getByLabel('Amount in $').fill('1.50');
  await row.getByRole('button', { name: `Add for ${first}` }).click();
  await row.getByText(/at most \$3\.00/).waitFor({ timeout: 5_000 });
  assert.equal((await simulator('/_simulator/state')).keys.find((key) => key.hash === a.hash).limit, 2);

  // The first key is at 45 % now, the second still at 95 %: preview, then run.
  await admin.locator('summary', { hasText: 'Top up everyone low' }).click();
  await admin.getByLabel(/Add to every key spent above 80 %/).fill('1');
  await admin.getByRole('button', { name: 'Preview' }).click();
  const preview = admin.locator('[data-top-up-preview="1"]');
  await preview.first().waitFor({ timeout: 5_000 });
  assert.match(await preview.first().innerText(), /1 key is spent above 80 %: adding \$1\.00 to each commits \$1\.00; the workshop's cap leaves \$1\.50 \(room for all of them\)/);
  await admin.getByRole('button', { name: 'Top up 1 key by $1.00' }).click();
  await admin.getByText('Topped up 1 key ($1.00 added).').waitFor({ timeout: 10_000 });
  await admin.locator('tr[data-row]', { hasText: second }).getByText('$0.95 of $2.00').waitFor({ timeout: 5_000 });
  // The preview reloads (nobody is low any more); the run's last words stay.
  await admin.locator('[data-top-up-preview="0"]').waitFor({ timeout: 5_000 });
  assert.equal(await admin.locator('[data-top-up-progress]').innerText(), 'Topped up 1 key ($1.00 added).');
  assert.equal(await admin.evaluate(() => window.__sameDocument), true, 'no reload');
  await inspect(admin, 'admin, a bulk top-up done');
  await screenshot(admin, 'top-up-bulk-1280');
  await admin.setViewportSize({ width: 360, height: 900 });
  await screenshot(admin.locator('details.bulk-top-up'), 'top-up-bulk-360');
  await admin.setViewportSize({ width: 1280, height: 900 });

  // $4 of $4.50 committed: another dollar is refused with what is left.
  await row.getByRole('button', { name: `+$1 for ${first}` }).click();
  await row.getByText(/\$0\.50/).waitFor({ timeout: 5_000 });
  assert.match(await row.locator('[role=status]').innerText(), /cap/i);
  assert.equal((await simulator('/_simulator/state')).keys.find((key) => key.hash === a.hash).limit, 2);

  // The two refusals above are answered 400 and 409, which Chromium logs; nothing else.
  const unexpected = organiser.problems.filter((problem) => !/status of (400|409) .*\/api\/top_up_key\)$/.test(problem));
  assert.deepEqual(unexpected, []);
  assert.equal(organiser.problems.length, 2);
  for (const page of [organiser, a.attendee, b.attendee]) await page.context.close();
});
