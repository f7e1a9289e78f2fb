// An upstream OpenID Provider for Vestibule's `oidc` connection tests:
// panva's oidc-provider (OpenID Certified) on loopback, in memory, with one
// account, a scripted login form and automatic consent (no browser needed).
// Adapted from ../../../shared/peers/oidc-provider/op.js.
//
// Env: OP_PORT (required), REDIRECT_URI (Vestibule's /login/callback),
// OP_USER / OP_PASSWORD (default alice / wonderland).
// Clients: `vestibule-post` (client_secret_post) and `vestibule-basic`
// (client_secret_basic), secret `upstream-secret-0123456789`; with
// PKJWT_JWKS (a JSON JWKS of public keys) also `vestibule-pkjwt`, which
// authenticates with `private_key_jwt` assertions signed by those keys.
// Prints `listening` once it accepts connections.
import http from 'node:http';
import crypto from 'node:crypto';
import { Provider } from 'oidc-provider';
import { generateKeyPair, exportJWK } from 'jose';

const PORT = Number(process.env.OP_PORT);
const ISSUER = `http://127.0.0.1:${PORT}`;
const REDIRECT_URI = process.env.REDIRECT_URI;
const SECRET = 'upstream-secret-0123456789';
const ACCOUNT = {
  login: process.env.OP_USER || 'alice',
  password: process.env.OP_PASSWORD || 'wonderland',
  sub: 'user-alice-0001',
  claims: {
    email: 'alice@example.test',
    email_verified: true,
    name: 'Alice Liddell',
    given_name: 'Alice',
    family_name: 'Liddell',
    preferred_username: 'alice',
  },
};

async function makeJwks() {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  Object.assign(jwk, { alg: 'RS256', use: 'sig', kid: `rs-${crypto.randomBytes(4).toString('hex')}` });
  return { keys: [jwk] };
}

const client = (id, method) => ({
  client_id: id,
  client_secret: SECRET,
  token_endpoint_auth_method: method,
  grant_types: ['authorization_code'],
  response_types: ['code'],
  redirect_uris: [REDIRECT_URI],
  scope: 'openid profile email',
});

const clients = [client('vestibule-post', 'client_secret_post'), client('vestibule-basic', 'client_secret_basic')];
if (process.env.PKJWT_JWKS) {
  const { client_secret: _none, ...pkjwt } = client('vestibule-pkjwt', 'private_key_jwt');
  clients.push({ ...pkjwt, token_endpoint_auth_signing_alg: 'RS256', jwks: JSON.parse(process.env.PKJWT_JWKS) });
}

const provider = new Provider(ISSUER, {
  clients,
  jwks: await makeJwks(),
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (id !== ACCOUNT.sub) return undefined;
    return { accountId: ACCOUNT.sub, async claims() { return { sub: ACCOUNT.sub, ...ACCOUNT.claims }; } };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

async function readForm(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

const page = (uid, error) => `<!doctype html><title>Sign in</title>
${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<input name="login" type="text"><input name="password" type="password"><button>Sign in</button>
</form>`;

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session, grantId } = details;
  if (prompt.name === 'login') {
    if (req.method === 'POST' && action === 'login') {
      const form = await readForm(req);
      if (form.login === 'deny') {
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user said no' }, { mergeWithLastSubmission: false });
        return;
      }
      if (form.login !== ACCOUNT.login || form.password !== ACCOUNT.password) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(page(uid, 'Invalid username or password'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT.sub } }, { mergeWithLastSubmission: false });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page(uid));
    return;
  }
  if (prompt.name === 'consent') {
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    const saved = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId: saved } }, { mergeWithLastSubmission: true });
    return;
  }
  res.writeHead(400);
  res.end(`unexpected prompt ${prompt.name}`);
}

const callback = provider.callback();
const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?\/?$/;
const server = http.createServer(async (req, res) => {
  const m = INTERACTION.exec(req.url.split('?')[0]);
  if (!m) return callback(req, res);
  try {
    await interaction(req, res, m[1], m[2]);
  } catch (err) {
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`interaction error: ${err.message}`);
  }
});
server.listen(PORT, '127.0.0.1', () => console.log(`listening ${ISSUER}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { server.close(); process.exit(0); });
