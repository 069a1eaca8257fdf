// The organiser's pages (issue 12) in Chromium. An attendee claims while OpenRouter
// refuses guardrail assignments; the organiser's open admin page shows the row unbound
// with its error within 5 s; the fault is cleared and Retry (pressed from the keyboard)
// binds it without a reload, and the attendee's page loses its notice. Then: "Sync usage
// now" shows the spend, Disable turns the attendee's page to "disabled", both CSVs parse
// and hold no key, and axe-core finds nothing at 360 and 1280 px, light and dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, launch, openPage, waitForHydration, demoSignIn, simulator,
  assertAccessible, assertNoHorizontalScroll, screenshot,
} from './browser.mjs';

const SLUG = 'admin-room';
const ASSIGN = 'POST /guardrails/{id}/assignments/keys';
let browser;
before(async () => { browser = await launch(); });
after(async () => {
  await simulator('/_simulator/faults', { method: 'DELETE' });
  await browser?.close();
});

async function inspect(page, what) {
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await assertNoHorizontalScroll(page, `${what} at ${width}px`);
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      await assertAccessible(page, `${what} at ${width}px, ${colorScheme}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** The CSV's records as arrays of fields (RFC 4180: quotes, doubled quotes, commas). */
function parseCsv(text) {
  const records = [];
  let record = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { record.push(field); field = ''; }
    else if (c === '\n') { record.push(field); records.push(record); record = []; field = ''; }
    else field += c;
  }
  assert.equal(field + record.join(''), '', 'the file ends with a newline');
  return records;
}

test('an organiser watches a claim go unbound, retries it in place, syncs, disables and exports', async () => {
  const attendeeEmail = `attendee-${Date.now()}@example.com`;
  const organiser = await openPage(browser);
  const attendee = await openPage(browser);
  const admin = organiser.page;

  // The organiser's page is open before the claim.
  await demoSignIn(admin, 'organiser@example.com', '/');
  await admin.getByRole('link', { name: 'Admin', exact: true }).click();
  await admin.waitForURL(`${BASE_URL}/admin`);
  await admin.locator(`.admin-card[data-slug=${SLUG}]`).waitFor();
  await inspect(admin, 'admin home');
  await screenshot(admin, 'admin-home-1280');
  await admin.goto(`${BASE_URL}/admin/${SLUG}`);
  await waitForHydration(admin);
  await admin.evaluate(() => { window.__sameDocument = true; });

  await simulator('/_simulator/faults', {
    method: 'POST',
    body: { route: ASSIGN, action: { kind: 'server_error', status: 503 } },
  });
  await demoSignIn(attendee.page, attendeeEmail, `/w/${SLUG}`);
  await waitForHydration(attendee.page);
  await attendee.page.getByRole('button', { name: 'Claim my key' }).click();
  await attendee.page.locator('#key-card[data-health=unbound]').waitFor({ timeout: 15_000 });
  const key = await attendee.page.locator('.api-key-full').textContent();

  // Live: the row appears, unbound with its error, without a reload.
  const row = admin.locator('tr[data-row]', { hasText: attendeeEmail });
  await row.and(admin.locator('[data-status=unbound]')).waitFor({ timeout: 5_000 });
  assert.match(await row.locator('.last-error').innerText(), /assign/i);
  assert.match(await admin.locator('.badges').innerText(), /1 unbound/);
  await inspect(admin, 'admin workshop, one unbound');
  await screenshot(admin, 'admin-1280');
  await admin.setViewportSize({ width: 360, height: 900 });
  await screenshot(admin, 'admin-360');
  await admin.setViewportSize({ width: 1280, height: 900 });

  // OpenRouter is fine again; Retry from the keyboard binds the row in place.
  await simulator('/_simulator/faults', { method: 'DELETE' });
  const retry = row.getByRole('button', { name: 'Retry' });
  await retry.focus();
  await admin.keyboard.press('Enter');
  await row.and(admin.locator('[data-status=bound]')).waitFor({ timeout: 5_000 });
  assert.equal(await admin.evaluate(() => window.__sameDocument), true, 'no reload');
  await attendee.page.reload();
  assert.equal(await attendee.page.locator('#key-card').getAttribute('data-health'), 'ready');
  assert.equal(await attendee.page.locator('[data-notice=unbound]').count(), 0);

  // Sync usage now: the spend shows on the row.
  const state = await simulator('/_simulator/state');
  const hash = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))).toString('hex');
  assert.ok(state.keys.some((k) => k.hash === hash));
  await simulator(`/_simulator/keys/${hash}/usage`, { method: 'POST', body: { usd: 0.42 } });
  await admin.getByRole('button', { name: 'Sync usage now' }).click();
  await row.getByText('$0.42 of $1.00').waitFor({ timeout: 5_000 });
  assert.match(await admin.locator('.action-outcome').innerText(), /Usage synced/);

  // Disable: the attendee's page says so.
  await row.getByRole('button', { name: 'Disable' }).click();
  await row.and(admin.locator('[data-status=disabled]')).waitFor({ timeout: 5_000 });
  await attendee.page.reload();
  assert.equal(await attendee.page.locator('#key-card').getAttribute('data-health'), 'disabled');
  await row.getByRole('button', { name: 'Enable' }).click();
  await row.and(admin.locator('[data-status=bound]')).waitFor({ timeout: 5_000 });

  // The exports, with the organiser's session.
  const claims = await admin.request.get(`${BASE_URL}/admin/${SLUG}/claims.csv`);
  assert.equal(claims.status(), 200);
  const csv = await claims.text();
  assert.ok(!csv.includes(key), 'no plaintext key in the export');
  assert.ok(!csv.includes(hash), 'no whole key hash in the export');
  const records = parseCsv(csv);
  assert.equal(records[0][0], 'email');
  const mine = records.find((record) => record[0] === attendeeEmail);
  assert.ok(mine, 'the attendee is in the export');
  assert.equal(mine[records[0].indexOf('status')], 'bound');
  assert.equal(mine[records[0].indexOf('key_hash_prefix')], hash.slice(0, 8));
  assert.equal(mine[records[0].indexOf('spent_usd')], '0.420000');
  const optIns = await admin.request.get(`${BASE_URL}/admin/${SLUG}/opt-ins.csv`);
  assert.deepEqual(parseCsv(await optIns.text())[0], ['email', 'name', 'opted_in_at_utc', 'workshop']);
  // An attendee gets nothing of it.
  const refused = await attendee.page.request.get(`${BASE_URL}/admin/${SLUG}/claims.csv`);
  assert.equal(refused.status(), 403);

  assert.deepEqual(organiser.problems, []);
  await organiser.context.close();
  await attendee.context.close();
});

test('signed out, the admin page sends you to sign in and back', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(`${BASE_URL}/admin/${SLUG}`);
  await page.waitForURL(`${BASE_URL}/signin?next=%2Fadmin%2F${SLUG}`);
  await page.getByLabel('Name').fill('Org');
  await page.getByLabel('Email').fill('organiser@example.com');
  await page.getByRole('button', { name: /demo/i }).click();
  await page.waitForURL(`${BASE_URL}/admin/${SLUG}`);
  await page.locator('h1', { hasText: 'Admin room' }).waitFor();
  await context.close();
});
