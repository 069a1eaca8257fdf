// The first request after a start is served compressed (issue 22): a room arrives the
// minute after a deploy, so the site's files must be compressed before the server
// listens, never on the fly (lighter, streamed) while a background job catches up.
// The hardest case is tested: a copy of the release site whose build-time .br/.gz files
// were removed, so the server has to make them itself before it answers anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, root, startServer, waitForHealth } from '../harness.mjs';
import { writeWorkshops } from '../workshops.mjs';
import { launch } from './browser.mjs';

let browser;
let server;
let base;
const dataDir = mkdtempSync(join(tmpdir(), 'wkm-first-request-'));

before(async () => {
  const site = join(dataDir, 'site');
  cpSync(join(root, 'target/site'), site, { recursive: true });
  const pkg = join(site, 'pkg');
  const removed = readdirSync(pkg).filter((name) => /\.(br|gz)$/.test(name));
  assert.ok(removed.length > 0, 'the release build should have made .br/.gz files');
  for (const name of removed) rmSync(join(pkg, name));
  writeWorkshops(join(dataDir, 'workshops'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = startServer(port, dataDir, 'first-request', { LEPTOS_SITE_ROOT: site });
  // Liveness, not readiness: the first answer the process gives at all.
  await waitForHealth(`${base}/livez`, server, 60_000);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Headers of one GET, body drained. */
function headersOf(url, acceptEncoding) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { 'accept-encoding': acceptEncoding } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.headers));
    }).on('error', reject);
  });
}

test('the first page load after a start gets every site file precompressed', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const assets = [];
  page.on('response', async (response) => {
    if (new URL(response.url()).pathname.startsWith('/pkg/')) {
      assets.push({ url: response.url(), headers: await response.allHeaders() });
    }
  });
  await page.goto(`${base}/w/open-now`);
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 30_000 });
  await context.close();
  const wasm = assets.filter(({ url }) => url.endsWith('.wasm'));
  assert.ok(wasm.length > 0, `the page loaded no wasm: ${assets.map(({ url }) => url).join(', ')}`);
  for (const { url, headers } of assets) {
    // Whichever of the two Chromium asked for; on-the-fly compression would stream
    // (chunked, no length).
    assert.ok(['br', 'gzip'].includes(headers['content-encoding']),
      `${url} was not compressed (${headers['content-encoding'] ?? 'identity'})`);
    assert.ok(Number(headers['content-length']) > 0, `${url} was compressed on the fly, not before`);
  }
  // Both encodings are ready: brotli (every browser on https) and gzip, with their length.
  for (const { url } of assets) {
    for (const encoding of ['br', 'gzip']) {
      const headers = await headersOf(url, encoding);
      assert.equal(headers['content-encoding'], encoding, `${url} was not served ${encoding}`);
      assert.ok(Number(headers['content-length']) > 0, `${url} was ${encoding} on the fly, not before`);
    }
  }
});
