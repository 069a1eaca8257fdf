// What the browser tests and the page-weight script share: free ports, the release
// server started with the test workshops, waiting for it to be healthy, and stopping
// every child process at the end.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');
const serverBinary = process.env.SERVER_BINARY ?? join(root, 'target/release/server');
export const children = [];

export function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

export async function waitForHealth(url, server, deadlineMs) {
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

/**
 * What `url` weighs on the wire for a browser that takes brotli — every browser on an
 * https deployment. (Chromium offers brotli only over https, and these servers are plain
 * http on loopback, so the browser's own byte counts would show gzip.) Body bytes as
 * sent, compressed; `cookie` for pages behind a sign-in.
 */
export function brotliBytes(url, cookie) {
  return new Promise((resolve, reject) => {
    const headers = { 'accept-encoding': 'br, gzip', ...(cookie ? { cookie } : {}) };
    http.get(url, { headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk) => { bytes += chunk.length; });
      response.on('end', () => resolve({ bytes, encoding: response.headers['content-encoding'] ?? 'none' }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

export function startServer(port, dataDir, name, extraEnv) {
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
      WORKSHOPS_DIR: join(dataDir, 'workshops'),
      RUST_LOG: 'warn',
      // The demo server asks for demo mode; the live one (extraEnv) says false.
      DEMO_MODE: 'true',
      ...extraEnv,
    },
  });
  children.push(server);
  return server;
}

/** The local OpenID Connect provider; resolves to its issuer URL once it listens. */
export function startOidcProvider(redirectUri) {
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

