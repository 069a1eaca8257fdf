// Starts the release server (built by `cargo leptos build --release`) on a free port with
// a throwaway SQLite file and the test workshops, waits until /healthz answers, runs every
// `tests/*.test.mjs` with node's test runner against it, and stops the server.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const serverBinary = process.env.SERVER_BINARY ?? join(root, 'target/release/server');

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

const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), 'wkm-e2e-'));
const baseUrl = `http://127.0.0.1:${port}`;
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
    DATABASE_URL: `sqlite://${dataDir}/e2e.db?mode=rwc`,
    WORKSHOPS_DIR: join(root, 'end2end/workshops'),
    RUST_LOG: 'warn',
  },
});

let exitCode = 1;
try {
  await waitForHealth(`${baseUrl}/healthz`, server, 30_000);
  const tests = readdirSync(join(root, 'end2end/tests'))
    .filter((name) => name.endsWith('.test.mjs'))
    .map((name) => join(root, 'end2end/tests', name));
  const runner = spawn(process.execPath, ['--test', '--test-concurrency=1', ...tests], {
    stdio: 'inherit',
    env: { ...process.env, BASE_URL: baseUrl },
  });
  exitCode = await new Promise((done) => runner.on('exit', (code) => done(code ?? 1)));
} catch (error) {
  console.error(`end2end: ${error.message}`);
} finally {
  server.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
