// A real, certified OpenID Connect provider (npm `oidc-provider`) on localhost, standing
// in for Google in tests. Configuration through the environment:
//   PORT            port to listen on (0 = any free port)
//   CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS (comma-separated)
//   ROGUE_JWKS=1    publish a JWKS of ANOTHER key than the one tokens are signed with,
//                   so a relying party that checks signatures must refuse every token
// Prints one line `ready <issuer>` on stdout once listening.
//
// Accounts (chosen on the login page, like choosing a Google account):
//   ada-sub-1     ada@example.com      email_verified: true
//   mallory-sub-2 mallory@example.com  email_verified: false
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const accounts = {
  'ada-sub-1': { email: 'Ada.Lovelace@Example.com', email_verified: true, name: 'Ada Lovelace' },
  'mallory-sub-2': { email: 'mallory@example.com', email_verified: false, name: 'Mallory' },
};

const signingKey = privateJwk('signing');
const rogueKey = privateJwk('rogue');
const port = Number(process.env.PORT ?? 0);

function privateJwk(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

const escapeHtml = (text) => String(text).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function start(issuerPort) {
  const issuer = `http://127.0.0.1:${issuerPort}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.CLIENT_ID ?? 'test-client',
      client_secret: process.env.CLIENT_SECRET ?? 'test-secret',
      redirect_uris: (process.env.REDIRECT_URIS ?? '').split(',').filter(Boolean),
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Put the scope's claims in the ID token, as Google does.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    jwks: { keys: [signingKey] },
    cookies: { keys: ['oidc-provider-test-cookie-key'] },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
    // No consent screen: the grant is given at once, like a returning Google user.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });

  provider.use(async (ctx, next) => {
    if (process.env.ROGUE_JWKS === '1' && ctx.path === '/jwks') {
      const { kty, n, e } = rogueKey;
      ctx.body = { keys: [{ kty, n, e, kid: 'signing', alg: 'RS256', use: 'sig' }] };
      return;
    }
    const login = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (!login) return next();
    if (ctx.method === 'GET' && !login[2]) {
      const { uid } = await provider.interactionDetails(ctx.req, ctx.res);
      const buttons = Object.entries(accounts)
        .map(([id, a]) => `<button name="account" value="${id}">${escapeHtml(a.name)} &lt;${escapeHtml(a.email)}&gt;</button>`)
        .join('\n');
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Choose an account</title><h1>Choose an account</h1>
        <form method="post" action="/interaction/${uid}/login">${buttons}
        <button name="account" value="__deny">Cancel</button></form>`;
      return;
    }
    if (ctx.method === 'POST' && login[2]) {
      const form = await readForm(ctx.req);
      const account = form.get('account');
      const result = account === '__deny'
        ? { error: 'access_denied', error_description: 'The user cancelled the sign-in.' }
        : { login: { accountId: account } };
      await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      ctx.respond = false;
      return;
    }
    return next();
  });
  return provider;
}

// Bind first so the issuer URL carries the real port.
import { createServer } from 'node:http';
const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const actualPort = server.address().port;
  const provider = start(actualPort);
  server.on('request', provider.callback());
  process.stdout.write(`ready http://127.0.0.1:${actualPort}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
