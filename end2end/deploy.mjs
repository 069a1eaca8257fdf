// The deployment test: what `make dist` builds, started the way `deploy/` says, with real
// parts all the way and nothing of the demo:
//   - dist/ copied to a throwaway folder, started as `./server` there (Leptos.toml,
//     site/, workshops/ beside it), live mode, on a fresh Postgres database;
//   - OpenRouter: the standalone simulator binary (`target/release/openrouter-sim`);
//   - Google: the OpenID Connect provider peer (`peers/oidc-provider.mjs`);
//   - TLS: Debian's caddy terminating https on a loopback port with its own local CA
//     (`local_certs`, i.e. `tls internal`), proxying with deploy/Caddyfile's site block;
//   - Chromium trusting Caddy's root through an NSS database in its own HOME (certutil),
//     never told to ignore certificate errors.
// The management key reaches the server as a systemd-style credential and the Google
// secret as a _FILE, the way deploy/workshop-key-minter.service hands them over.
// Run by `make test` after `make dist`; `node end2end/deploy.mjs` alone works too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, root, startOidcProvider, children } from './harness.mjs';
import { launch, waitForHydration } from './tests/browser.mjs';
import { utc } from './workshops.mjs';

const DIST = join(root, 'dist');
const SIMULATOR_BINARY = join(root, 'target/release/openrouter-sim');
const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const MANAGEMENT_KEY = `sk-or-v1-deploy-test-${Math.random().toString(16).slice(2)}`;
const SLUG = 'deploy-check';
const DAY = 86_400_000;

const work = mkdtempSync(join(tmpdir(), 'wkm-deploy-'));
const site = join(work, 'opt');
const database = `wkm_deploy_${process.pid}_${Date.now()}`;
let origin; // https://localhost:<caddy port>
let simulatorUrl;
let caCert;
let browser;

/** Runs a command to completion; fails the test with its output on a non-zero exit. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  return result;
}

function postgres(sql) {
  const result = run('psql', [POSTGRES_URL, '-v', 'ON_ERROR_STOP=1', '-qc', sql]);
  assert.equal(result.status, 0, `psql: ${result.stderr}`);
}

function databaseUrl() {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Starts `command` and resolves with the first stdout line starting with `ready`. */
function startReady(command, args, options) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
  children.push(child);
  return new Promise((done, fail) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const line = buffer.split('\n').find((text) => text.startsWith('ready '));
      if (line) done(line.slice('ready '.length).trim().split(/\s/)[0]);
    });
    child.once('exit', (code) => fail(new Error(`${command} exited with ${code}`)));
  });
}

/** GET or POST over https, trusting Caddy's root only. */
function request(path, { method = 'GET', headers = {} } = {}) {
  return new Promise((done, fail) => {
    const req = https.request(`${origin}${path}`, { method, headers, ca: caCert }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => done({ status: response.statusCode, headers: response.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

async function waitFor(what, check, deadlineMs = 30_000) {
  const deadline = Date.now() + deadlineMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((next) => setTimeout(next, 100)); // poll interval, not a synchronisation
  }
  throw new Error(`${what} within ${deadlineMs} ms (${last?.message ?? 'not yet'})`);
}

function workshopFile() {
  const now = Date.now();
  return `title: Deploy check
description: The workshop the deployment test claims from.
timezone: Europe/Berlin
claims_open_at: ${utc(new Date(now - DAY))}
claims_close_at: ${utc(new Date(now + 2 * DAY))}
key_limit_usd: 2
limit_usd: 10
allowed_models: [openai/gpt-5-nano]
admins: [organiser@example.com]
`;
}

before(async () => {
  assert.ok(existsSync(join(DIST, 'server')), 'run `make dist` first: no dist/server');
  assert.ok(existsSync(SIMULATOR_BINARY), 'no target/release/openrouter-sim: `cargo build --release -p openrouter-sim`');
  cpSync(DIST, site, { recursive: true });
  writeFileSync(join(site, 'workshops', `${SLUG}.yaml`), workshopFile());
  postgres(`CREATE DATABASE ${database}`);

  const [appPort, simulatorPort, httpsPort, httpPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  origin = `https://localhost:${httpsPort}`;
  simulatorUrl = await startReady(SIMULATOR_BINARY, ['--addr', `127.0.0.1:${simulatorPort}`, '--management-key', MANAGEMENT_KEY], {});
  const issuer = await startOidcProvider(`${origin}/auth/google/callback`);

  // Secrets the way the systemd unit hands them over: a credential and a _FILE.
  const credentials = join(work, 'credentials');
  mkdirSync(credentials);
  writeFileSync(join(credentials, 'OPENROUTER_MANAGEMENT_KEY'), `${MANAGEMENT_KEY}\n`, { mode: 0o600 });
  // The key ring, made the way the README says: `./server new-key`.
  const keyRing = run('./server', ['new-key', 'deploy1'], { cwd: site });
  assert.equal(keyRing.status, 0, keyRing.stderr);
  writeFileSync(join(credentials, 'KEY_ENCRYPTION_KEYS'), keyRing.stdout, { mode: 0o600 });
  writeFileSync(join(work, 'google-secret'), 'wkm-e2e-secret-not-real\n', { mode: 0o600 });
  const server = spawn('./server', [], {
    cwd: site,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      PATH: process.env.PATH,
      PUBLIC_URL: origin,
      DATABASE_URL: databaseUrl(),
      CREDENTIALS_DIRECTORY: credentials,
      GOOGLE_CLIENT_ID: 'wkm-e2e-client',
      GOOGLE_CLIENT_SECRET_FILE: join(work, 'google-secret'),
      GOOGLE_ISSUER_URL: issuer,
      OPENROUTER_BASE_URL: simulatorUrl,
      LEPTOS_SITE_ADDR: `127.0.0.1:${appPort}`,
      RUST_LOG: 'warn',
    },
  });
  children.push(server);

  // Caddy with deploy/Caddyfile's site block, on loopback, with its local CA.
  const caddyData = join(work, 'caddy');
  const shipped = readFileSync(join(root, 'deploy/Caddyfile'), 'utf8');
  assert.ok(shipped.includes('keys.example.com') && shipped.includes('127.0.0.1:3000'), 'deploy/Caddyfile changed shape');
  const caddyfile = `{
\tadmin off
\tlocal_certs
\tskip_install_trust
\tstorage file_system {
\t\troot ${caddyData}
\t}
\thttp_port ${httpPort}
\thttps_port ${httpsPort}
}
${shipped.replaceAll('keys.example.com', `localhost:${httpsPort}`).replaceAll('127.0.0.1:3000', `127.0.0.1:${appPort}`)}`;
  writeFileSync(join(work, 'Caddyfile'), caddyfile);
  const caddy = spawn('caddy', ['run', '--config', join(work, 'Caddyfile'), '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HOME: work, XDG_DATA_HOME: join(work, 'xdg-data'), XDG_CONFIG_HOME: join(work, 'xdg-config') },
  });
  children.push(caddy);
  let caddyLog = '';
  caddy.stderr.on('data', (chunk) => { caddyLog += chunk; });
  const rootCert = join(caddyData, 'pki/authorities/local/root.crt');
  await waitFor('Caddy made its local root certificate', () => existsSync(rootCert)).catch((error) => {
    throw new Error(`${error.message}\n${caddyLog}`);
  });
  caCert = readFileSync(rootCert);
  await waitFor('the server answered through Caddy', async () => (await request('/healthz')).status === 200, 60_000);

  // Chromium trusts that root through its NSS database, like a machine with the CA installed.
  const home = join(work, 'chromium-home');
  const nssdb = join(home, '.pki/nssdb');
  mkdirSync(nssdb, { recursive: true });
  for (const args of [
    ['-d', `sql:${nssdb}`, '-N', '--empty-password'],
    ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', 'caddy-local-root', '-i', rootCert],
  ]) {
    const result = run('certutil', args);
    assert.equal(result.status, 0, `certutil ${args.join(' ')}: ${result.stderr}`);
  }
  browser = await launch({ HOME: home });
});

after(async () => {
  await browser?.close();
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((done) => child.once('exit', done)) : null)));
  try { postgres(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`); } catch (error) { console.error(error.message); }
  rmSync(work, { recursive: true, force: true });
});

test('the dist binary carries nothing of the demo', () => {
  const binary = readFileSync(join(DIST, 'server'));
  for (const text of ['sk-or-v1-demo-simulator', '/_simulator/', '/_demo/clock']) {
    assert.equal(binary.indexOf(text), -1, `dist/server contains ${text}`);
  }
});

test('dist/server with nothing set refuses to start and names what is missing; demo mode is not in it', () => {
  const bare = run('./server', [], { cwd: site, env: { PATH: process.env.PATH } });
  assert.equal(bare.status, 2, bare.stderr);
  for (const name of ['OPENROUTER_MANAGEMENT_KEY', 'DEMO_MODE', 'PUBLIC_URL', 'DATABASE_URL', 'KEY_ENCRYPTION_KEYS', 'make run']) {
    assert.ok(bare.stderr.includes(name), `${name} not named: ${bare.stderr}`);
  }
  const demo = run('./server', [], { cwd: site, env: { PATH: process.env.PATH, DEMO_MODE: 'true' } });
  assert.equal(demo.status, 2, demo.stderr);
  assert.match(demo.stderr, /built without demo mode/);
});

test('the systemd unit verifies, and the Caddyfile adapts', (t) => {
  const adapted = run('caddy', ['adapt', '--config', join(root, 'deploy/Caddyfile'), '--adapter', 'caddyfile']);
  assert.equal(adapted.status, 0, adapted.stderr);
  const verifier = run('sh', ['-c', 'command -v systemd-analyze']);
  if (verifier.status !== 0) {
    t.diagnostic('systemd-analyze is not on this machine: the unit was NOT verified');
    t.skip('no systemd-analyze');
    return;
  }
  // The unit as shipped, with its paths pointed at this copy (verify checks they exist).
  const credentials = join(work, 'unit-credentials');
  mkdirSync(credentials, { recursive: true });
  for (const name of ['OPENROUTER_MANAGEMENT_KEY', 'GOOGLE_CLIENT_SECRET', 'KEY_ENCRYPTION_KEYS']) {
    writeFileSync(join(credentials, name), 'x');
  }
  writeFileSync(join(work, 'unit-env'), readFileSync(join(root, 'deploy/env.example')));
  const unit = readFileSync(join(root, 'deploy/workshop-key-minter.service'), 'utf8')
    .replaceAll('/opt/workshop-key-minter', site)
    .replaceAll('/etc/workshop-key-minter/env', join(work, 'unit-env'))
    .replaceAll('/etc/workshop-key-minter/credentials', credentials);
  const unitFile = join(work, 'workshop-key-minter.service');
  writeFileSync(unitFile, unit);
  const verified = run('systemd-analyze', ['verify', unitFile]);
  assert.equal(verified.status, 0, verified.stderr);
  // verify exits 0 on unknown keys and other mistakes, and prints them: none allowed.
  assert.equal(`${verified.stdout}${verified.stderr}`.trim(), '', 'systemd-analyze verify complained');
  const stop = Number(unit.match(/^TimeoutStopSec=(\d+)s$/m)?.[1]);
  assert.ok(stop > 30, `TimeoutStopSec=${stop}s must outlast the server's drain`);
});

test('an attendee signs in with Google over https and has a bound key in two clicks', async () => {
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  const problems = [];
  // Only our pages count: the stand-in provider's page has no favicon, for one.
  page.on('console', (message) => {
    if (message.type() === 'error' && message.location().url.startsWith(origin)) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));

  const response = await page.goto(`${origin}/w/${SLUG}`);
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers['strict-transport-security'] ?? '', /max-age=\d{7,}/, 'HSTS on https');
  await waitForHydration(page);
  assert.equal(await page.getByText('Demo mode').count(), 0, 'no demo banner or form');

  await page.getByRole('button', { name: 'Sign in with Google and claim' }).click(); // click 1
  await page.waitForURL((url) => !url.href.startsWith(origin), { timeout: 10_000 });
  await page.getByRole('button', { name: /Ada Lovelace/ }).click(); // the provider's account chooser
  await page.waitForURL(`${origin}/w/${SLUG}`);
  await waitForHydration(page);
  await page.locator('#key-card').waitFor({ timeout: 15_000 });
  const key = (await page.locator('.api-key-full').textContent()).trim();
  assert.match(key, /^sk-or-v1-/);
  await page.getByRole('button', { name: 'Copy your key' }).click(); // click 2
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);

  const cookies = await context.cookies(origin);
  const session = cookies.find((cookie) => cookie.name === '__Host-wkm_session');
  assert.ok(session, `a __Host- session cookie: ${cookies.map((cookie) => cookie.name)}`);
  assert.equal(session.secure, true);
  assert.equal(session.httpOnly, true);
  assert.equal(session.path, '/');
  assert.equal(cookies.filter((cookie) => !cookie.secure).length, 0, 'every cookie is Secure');

  // The key exists on OpenRouter and is bound to the workshop's guardrail.
  const state = await (await fetch(`${simulatorUrl.replace(/\/api\/v1$/, '')}/_simulator/state`, {
    headers: { authorization: `Bearer ${MANAGEMENT_KEY}` },
  })).json();
  const hash = createHash('sha256').update(key).digest('hex');
  const stored = state.keys.find((candidate) => candidate.hash === hash);
  assert.ok(stored, 'the key is on OpenRouter');
  const guardrail = state.guardrails.find((candidate) => candidate.name === `workshop-${SLUG}`);
  assert.ok(guardrail, 'the workshop guardrail exists');
  await waitFor('the key is bound to the guardrail', async () => {
    const now = await (await fetch(`${simulatorUrl.replace(/\/api\/v1$/, '')}/_simulator/state`, {
      headers: { authorization: `Bearer ${MANAGEMENT_KEY}` },
    })).json();
    return now.assignments.some((assignment) => assignment.key_hash === hash && assignment.guardrail_id === guardrail.id);
  }, 15_000);
  assert.deepEqual(problems, []);
  await context.close();

  // The database holds the key sealed: no usable key in any row.
  const rows = run('psql', [databaseUrl(), '-At', '-c', 'SELECT CAST(t AS TEXT) FROM workshop_attendance t']);
  assert.equal(rows.status, 0, rows.stderr);
  assert.ok(rows.stdout.includes('wkm1.deploy1.'), 'the key is stored, sealed');
  assert.ok(!rows.stdout.includes('sk-or-v1-'), 'a usable key in the database');
});

test('the https origin passes the cross-site check, another origin does not', async () => {
  const own = await request('/auth/signout', { method: 'POST', headers: { origin } });
  assert.equal(own.status, 303, `own origin: ${own.status} ${own.body}`);
  const foreign = await request('/auth/signout', { method: 'POST', headers: { origin: 'https://evil.example' } });
  assert.equal(foreign.status, 403);
});

test('no sample workshop, demo route or simulator is served', async () => {
  const home = await request('/');
  assert.equal(home.status, 200);
  assert.ok(home.body.includes('Deploy check'), 'our workshop is listed');
  for (const sample of ['demo-agents-on-duckdb', 'rag-from-scratch-2028']) {
    assert.ok(!home.body.includes(sample), `${sample} listed`);
    assert.equal((await request(`/w/${sample}`)).status, 404, `${sample} served`);
  }
  assert.equal((await request('/_demo/clock')).status, 404);
  assert.equal((await request('/_simulator/state')).status, 404);
  assert.equal((await request('/auth/demo', { method: 'POST', headers: { origin } })).status, 404);
});
