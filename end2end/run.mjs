// Starts what the browser tests need and runs every `tests/*.test.mjs` with node's test
// runner against it:
//   - the release server (built by `cargo leptos build --release`) in demo mode, at BASE_URL;
//   - the same binary in live mode with "Sign in with Google" pointed at a real OpenID
//     Connect provider (`peers/oidc-provider.mjs`) on localhost, at LIVE_BASE_URL.
// Each server gets a throwaway SQLite file and the workshops of `workshops.mjs`, written
// with windows relative to now; everything is stopped at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWorkshops } from './workshops.mjs';
import {
  children, freePort, root, startOidcProvider, startServer, waitForHealth,
} from './harness.mjs';

const dataDir = mkdtempSync(join(tmpdir(), 'wkm-e2e-'));
// Claim windows relative to now: no test expires on a calendar date.
writeWorkshops(join(dataDir, 'workshops'));
let exitCode = 1;
try {
  const [demoPort, livePort, simulatorPort] = [await freePort(), await freePort(), await freePort()];
  const baseUrl = `http://127.0.0.1:${demoPort}`;
  const liveBaseUrl = `http://127.0.0.1:${livePort}`;
  const issuer = await startOidcProvider(`${liveBaseUrl}/auth/google/callback`);
  // The demo server's simulator on a known port: tests steer OpenRouter through its
  // control routes (faults, outages, usage).
  const demo = startServer(demoPort, dataDir, 'demo', { DEMO_SIMULATOR_ADDR: `127.0.0.1:${simulatorPort}` });
  await waitForHealth(`${baseUrl}/healthz`, demo, 30_000);
  const live = startServer(livePort, dataDir, 'live', {
    DEMO_MODE: 'false',
    PUBLIC_URL: liveBaseUrl,
    // Seals the keys it stores (a throwaway key: this database lives for one run).
    KEY_ENCRYPTION_KEYS: 'e2e1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
    GOOGLE_CLIENT_ID: 'wkm-e2e-client',
    GOOGLE_CLIENT_SECRET: 'wkm-e2e-secret-not-real',
    GOOGLE_ISSUER_URL: issuer,
    // The live server mints on the demo server's simulator (other key names, other
    // database): the two-click sign-in-and-claim ends with a real key.
    OPENROUTER_MANAGEMENT_KEY: 'sk-or-v1-demo-simulator',
    OPENROUTER_BASE_URL: `http://127.0.0.1:${simulatorPort}/api/v1`,
  });
  await waitForHealth(`${liveBaseUrl}/healthz`, live, 30_000);
  const tests = readdirSync(join(root, 'end2end/tests'))
    .filter((name) => name.endsWith('.test.mjs'))
    // `node end2end/run.mjs claim-page` runs only the files whose names contain that.
    .filter((name) => process.argv.length <= 2 || process.argv.slice(2).some((part) => name.includes(part)))
    .map((name) => join(root, 'end2end/tests', name));
  const runner = spawn(process.execPath, ['--test', '--test-concurrency=1', ...tests], {
    stdio: 'inherit',
    env: {
      ...process.env,
      BASE_URL: baseUrl,
      LIVE_BASE_URL: liveBaseUrl,
      SIMULATOR_URL: `http://127.0.0.1:${simulatorPort}`,
    },
  });
  exitCode = await new Promise((done) => runner.on('exit', (code) => done(code ?? 1)));
} catch (error) {
  console.error(`end2end: ${error.message}`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
