// Starts what the browser tests need and runs every `tests/*.test.mjs` with node's test
// runner against it:
//   - the release server (built by `cargo leptos build --release`) in demo mode, at BASE_URL;
//   - the same binary in live mode with "Sign in with Google" pointed at a real OpenID
//     Connect provider (`peers/oidc-provider.mjs`) on localhost, at LIVE_BASE_URL.
// Each server gets a throwaway SQLite file; everything is stopped at the end.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const serverBinary = process.env.SERVER_BINARY ?? join(root, 'target/release/server');
const children = [];

function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

async function waitForHealth(url, server, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited early with code ${server.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((next) => setTimeout(next, 100)); // poll interval, not a synchronisation
  }
  throw new Error(`server did not become healthy within ${deadlineMs} ms`);
}

function startServer(port, dataDir, name, extraEnv) {
  const server = spawn(serverBinary, [], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      LEPTOS_OUTPUT_NAME: 'workshop-key-minter',
      LEPTOS_SITE_ROOT: join(root, 'target/site'),
      LEPTOS_SITE_PKG_DIR: 'pkg',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_HASH_FILES: 'true',
      LEPTOS_ENV: 'PROD',
      DATABASE_URL: `sqlite://${dataDir}/${name}.db?mode=rwc`,
      WORKSHOPS_DIR: join(root, 'end2end/workshops'),
      RUST_LOG: 'warn',
      ...extraEnv,
    },
  });
  children.push(server);
  return server;
}

/** The local OpenID Connect provider; resolves to its issuer URL once it listens. */
function startOidcProvider(redirectUri) {
  const peer = spawn(process.execPath, [join(root, 'end2end/peers/oidc-provider.mjs')], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: {
      ...process.env,
      PORT: '0',
      CLIENT_ID: 'wkm-e2e-client',
      CLIENT_SECRET: 'wkm-e2e-secret-not-real',
      REDIRECT_URIS: redirectUri,
    },
  });
  children.push(peer);
  return new Promise((done, fail) => {
    const lines = createInterface({ input: peer.stdout });
    lines.once('line', (line) => (line.startsWith('ready ') ? done(line.slice(6)) : fail(new Error(line))));
    peer.once('exit', (code) => fail(new Error(`the OIDC provider exited with ${code}`)));
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'wkm-e2e-'));
let exitCode = 1;
try {
  const [demoPort, livePort] = [await freePort(), await freePort()];
  const baseUrl = `http://127.0.0.1:${demoPort}`;
  const liveBaseUrl = `http://127.0.0.1:${livePort}`;
  const issuer = await startOidcProvider(`${liveBaseUrl}/auth/google/callback`);
  const demo = startServer(demoPort, dataDir, 'demo', {});
  const live = startServer(livePort, dataDir, 'live', {
    PUBLIC_URL: liveBaseUrl,
    GOOGLE_CLIENT_ID: 'wkm-e2e-client',
    GOOGLE_CLIENT_SECRET: 'wkm-e2e-secret-not-real',
    GOOGLE_ISSUER_URL: issuer,
    // Sign-in tests never mint; nothing listens here.
    OPENROUTER_MANAGEMENT_KEY: 'sk-or-v1-e2e-not-real',
    OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1',
  });
  await waitForHealth(`${baseUrl}/healthz`, demo, 30_000);
  await waitForHealth(`${liveBaseUrl}/healthz`, live, 30_000);
  const tests = readdirSync(join(root, 'end2end/tests'))
    .filter((name) => name.endsWith('.test.mjs'))
    .map((name) => join(root, 'end2end/tests', name));
  const runner = spawn(process.execPath, ['--test', '--test-concurrency=1', ...tests], {
    stdio: 'inherit',
    env: { ...process.env, BASE_URL: baseUrl, LIVE_BASE_URL: liveBaseUrl },
  });
  exitCode = await new Promise((done) => runner.on('exit', (code) => done(code ?? 1)));
} catch (error) {
  console.error(`end2end: ${error.message}`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
