// The peer OpenID Provider for bench/run.sh: panva's oidc-provider 9.13.3
// (OpenID Certified), configured to serve the same workloads as Vestibule.
//
//   node bench/peer/op.mjs      (after `npm ci` in bench/peer)
//
// In memory; keys generated at start (RS256 for ID tokens, plus ES256 and
// EdDSA); one confidential client (client_secret_basic) allowed
// authorization_code, refresh_token and client_credentials, and the same
// client with ES256 ID tokens (`<PEER_CLIENT_ID>-es256`); one account
// checked by a minimal login form at /interaction/:uid; consent granted
// automatically (first-party). Three resource indicators give JWT access
// tokens signed with RS256, ES256 or EdDSA (RFC 9068); no resource gives an
// opaque token. Refresh tokens rotate on every use, as Vestibule's do.
// The built-in memory adapter keeps at most 1000 entries (an LRU), which a
// load test overflows (grants evicted mid-chain); this config gives the same
// adapter a store of 2,000,000 entries instead. Loopback only.
//
// Env: PEER_PORT (3100) PEER_CLIENT_ID PEER_CLIENT_SECRET PEER_REDIRECT_URI
//      PEER_USER PEER_PASSWORD
import http from 'node:http';
import crypto from 'node:crypto';
import { Provider, errors } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { generateKeyPair, exportJWK } from 'jose';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PEER_PORT || 3100);
const ISSUER = `http://${HOST}:${PORT}`;
const CLIENT_ID = process.env.PEER_CLIENT_ID || 'bench-client';
const CLIENT_SECRET = process.env.PEER_CLIENT_SECRET || 'bench-client-secret-0123456789';
const REDIRECT_URI = process.env.PEER_REDIRECT_URI || 'http://127.0.0.1:3101/cb';
const USER = process.env.PEER_USER || 'bench@example.com';
const PASSWORD = process.env.PEER_PASSWORD || 'Bench-Password-1';
const SUB = 'bench-user-0001';
const RESOURCES = { 'urn:bench:rs256': 'RS256', 'urn:bench:es256': 'ES256', 'urn:bench:eddsa': 'EdDSA' };

async function jwks() {
  const keys = [];
  for (const [alg, opts] of [['RS256', { modulusLength: 2048 }], ['ES256', {}], ['EdDSA', { crv: 'Ed25519' }]]) {
    const { privateKey } = await generateKeyPair(alg, { ...opts, extractable: true });
    const jwk = await exportJWK(privateKey);
    Object.assign(jwk, { alg, use: 'sig', kid: `${alg.toLowerCase()}-${crypto.randomBytes(4).toString('hex')}` });
    keys.push(jwk);
  }
  return { keys };
}

const store = new LRU({ maxSize: 2_000_000 });

const provider = new Provider(ISSUER, {
  adapter: (name) => new MemoryAdapter(name, store),
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    scope: 'openid offline_access profile email read:all',
  }, {
    // The same client with ES256 ID tokens (the refresh-es256 workload).
    client_id: `${CLIENT_ID}-es256`,
    client_secret: CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    scope: 'openid offline_access profile email',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: await jwks(),
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'read:all'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'nickname'] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo(ctx, indicator) {
        const alg = RESOURCES[indicator];
        if (!alg) throw new errors.InvalidTarget();
        return { scope: 'read:all', audience: indicator, accessTokenTTL: 86400, accessTokenFormat: 'jwt', jwt: { sign: { alg } } };
      },
    },
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  ttl: { AccessToken: 86400, ClientCredentials: 86400, IdToken: 36000, AuthorizationCode: 60,
    RefreshToken: 30 * 86400, Interaction: 600, Session: 86400, Grant: 30 * 86400 },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (id !== SUB) return undefined;
    return { accountId: SUB, async claims() { return { sub: SUB, email: USER, email_verified: true, name: USER, nickname: 'bench' }; } };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

function equal(a, b) {
  const ha = crypto.createHash('sha256').update(String(a)).digest();
  const hb = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(ha, hb);
}

async function form(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

const page = (uid) => `<!doctype html><title>Sign in</title>
<form method="post" action="/interaction/${uid}/login">
<input name="username" type="text"><input name="password" type="password"><button>Sign in</button></form>`;

async function interaction(req, res, uid, action) {
  const { uid: current, prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  if (current !== uid) throw new errors.InvalidRequest('interaction mismatch');
  if (prompt.name === 'login' && req.method === 'GET' && !action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    return res.end(page(uid));
  }
  if (prompt.name === 'login' && req.method === 'POST' && action === 'login') {
    const body = await form(req);
    if (!(equal(body.username || '', USER) & equal(body.password || '', PASSWORD))) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page(uid));
    }
    return provider.interactionFinished(req, res, { login: { accountId: SUB } }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'consent') {
    const grant = grantId ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes || {})) grant.addResourceScope(indicator, scopes.join(' '));
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }
  res.writeHead(400, { 'content-type': 'text/plain' });
  return res.end(`unexpected interaction ${prompt.name}`);
}

const callback = provider.callback();
const ROUTE = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?\/?$/;
const server = http.createServer(async (req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/healthz') { res.writeHead(200); return res.end('ok'); }
  const m = ROUTE.exec(path);
  if (!m) return callback(req, res);
  try { await interaction(req, res, m[1], m[2]); } catch (err) {
    if (!res.headersSent) res.writeHead(err.statusCode || 400, { 'content-type': 'text/plain' });
    res.end(`interaction error: ${err.message}`);
  }
});
server.keepAliveTimeout = 65_000;
server.listen(PORT, HOST, () => console.log(`peer listening on ${ISSUER} pid=${process.pid}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { server.close(); process.exit(0); });
