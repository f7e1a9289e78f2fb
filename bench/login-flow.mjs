// Full authorization-code logins against an OpenID Provider, N at a time,
// for a bounded time: authorize (PKCE S256, state, nonce) → the login page
// → POST the credentials → follow the redirects (resume) back to the
// redirect URI → exchange the code at the token endpoint (client_secret_basic).
// Works with Vestibule's /u/login page and with bench/peer/op.mjs's form:
// it fills the first form that has a password input, keeping hidden inputs.
// Each flow has its own cookie jar; connections are kept alive per worker.
//
//   node bench/login-flow.mjs run  <issuer> <seconds> <workers>
//   node bench/login-flow.mjs seed <issuer> <count>          (prints one refresh token a line)
//   node bench/login-flow.mjs access <issuer>                (prints one access token, opaque without audience)
//
// Env: CLIENT_ID CLIENT_SECRET REDIRECT_URI LOGIN_USER LOGIN_PASSWORD LOGIN_SCOPE
// Output of `run`: one line `RESULT flows=… seconds=… flows_per_s=… p50_ms=… p99_ms=… errors=…`.
import http from 'node:http';
import crypto from 'node:crypto';

const [mode, issuer, arg1, arg2] = process.argv.slice(2);
if (!/^http:\/\/(127\.|localhost)/.test(issuer || '')) {
  console.error('refusing a non-loopback issuer'); process.exit(2);
}
const CLIENT_ID = process.env.CLIENT_ID;
const CLIENT_SECRET = process.env.CLIENT_SECRET;
const REDIRECT_URI = process.env.REDIRECT_URI || 'http://127.0.0.1:3101/cb';
const USER = process.env.LOGIN_USER;
const PASSWORD = process.env.LOGIN_PASSWORD;
const SCOPE = process.env.LOGIN_SCOPE || 'openid profile email offline_access';
const b64url = (buf) => Buffer.from(buf).toString('base64url');
const rand = () => b64url(crypto.randomBytes(24));

function request(agent, url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const decode = (s) => s.replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const attr = (tag, name) => { const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag); return m ? decode(m[2] ?? m[3]) : undefined; };

function loginForm(html, base) {
  for (const m of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const inputs = [...m[1].matchAll(/<input\b[^>]*>/gi)].map((i) => i[0]);
    if (!inputs.some((i) => (attr(i, 'type') || '').toLowerCase() === 'password')) continue;
    const fields = new URLSearchParams();
    for (const input of inputs) {
      const name = attr(input, 'name'); const type = (attr(input, 'type') || 'text').toLowerCase();
      if (!name || ['submit', 'button', 'checkbox', 'radio', 'image', 'reset'].includes(type)) continue;
      if (type === 'password') fields.set(name, PASSWORD);
      else if (type === 'hidden') fields.set(name, attr(input, 'value') || '');
      else fields.set(name, USER);
    }
    return { action: new URL(attr(m[0], 'action') || base, base).toString(), body: fields.toString() };
  }
  return undefined;
}

class Jar {
  cookies = new Map();
  take(res) {
    for (const line of [].concat(res.headers['set-cookie'] || [])) {
      const [pair] = line.split(';'); const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
}

let discovery;
async function flow(agent) {
  const jar = new Jar();
  const state = rand(); const verifier = rand() + rand();
  const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
  const auth = new URL(discovery.authorization_endpoint);
  for (const [k, v] of Object.entries({ client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: 'code', scope: SCOPE,
    state, nonce: rand(), code_challenge: challenge, code_challenge_method: 'S256', prompt: 'login' })) auth.searchParams.set(k, v);
  let url = auth.toString(); let method = 'GET'; let body; let code;
  for (let hop = 0; hop < 12 && !code; hop += 1) {
    const headers = { cookie: jar.header() };
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await request(agent, url, { method, headers, body });
    jar.take(res);
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.location, url);
      if (next.toString().startsWith(REDIRECT_URI)) {
        if (next.searchParams.get('state') !== state) throw new Error(`state mismatch at ${next}`);
        code = next.searchParams.get('code');
        if (!code) throw new Error(`no code: ${next}`);
        break;
      }
      url = next.toString(); method = 'GET'; body = undefined;
    } else if (res.status === 200) {
      const form = loginForm(res.body, url);
      if (!form || method === 'POST') throw new Error(`unexpected page at ${url} (${res.status})`);
      url = form.action; method = 'POST'; body = form.body;
    } else throw new Error(`HTTP ${res.status} at ${url}: ${res.body.slice(0, 200)}`);
  }
  if (!code) throw new Error('too many hops');
  const res = await request(agent, discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString(),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${res.body.slice(0, 200)}`);
  const tokens = JSON.parse(res.body);
  if (!tokens.id_token || !tokens.access_token) throw new Error('token response without id_token/access_token');
  return tokens;
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN);

async function main() {
  const d = await request(undefined, `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  discovery = JSON.parse(d.body);
  if (mode === 'access') {
    console.log((await flow(undefined)).access_token);
    return;
  }
  if (mode === 'seed') {
    const count = Number(arg1); const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const tokens = await Promise.all(Array.from({ length: 4 }, async () => {
      const out = [];
      while (out.length * 4 < count) {
        const t = await flow(agent);
        if (!t.refresh_token) throw new Error('no refresh token issued');
        out.push(t.refresh_token);
      }
      return out;
    }));
    console.log(tokens.flat().slice(0, count).join('\n'));
    return;
  }
  const seconds = Number(arg1); const workers = Number(arg2);
  const until = Date.now() + seconds * 1000; const latencies = []; let errors = 0; let firstError;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: workers }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    while (Date.now() < until) {
      const t0 = process.hrtime.bigint();
      try { await flow(agent); latencies.push(Number(process.hrtime.bigint() - t0) / 1e6); } catch (e) { errors += 1; firstError ??= e.message; }
    }
    agent.destroy();
  }));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  if (firstError) console.error(`first error: ${firstError}`);
  console.log(`RESULT flows=${latencies.length} seconds=${elapsed.toFixed(2)} flows_per_s=${(latencies.length / elapsed).toFixed(1)} p50_ms=${pct(latencies, 0.5).toFixed(2)} p99_ms=${pct(latencies, 0.99).toFixed(2)} errors=${errors}`);
}
main().catch((e) => { console.error(e.message); process.exit(1); });
