// A flood of bad password logins at FLOOD_FACTOR times the server's own
// hashing capacity, while a few users keep logging in with the right
// password; run by bench/flood.sh.
//
// 1. calibrate: GOOD_WORKERS×2 users log in back to back for CALIBRATE_S
//    seconds alone; their rate is the server's argon2id capacity C.
// 2. flood: for FLOOD_S seconds, bad logins (password-realm, wrong password,
//    a new unknown identifier each: credential stuffing, so no account is
//    blocked) are sent open-loop at FLOOD_FACTOR × C per second from
//    ATTACKER_IPS addresses (X-Forwarded-For through a trusted proxy; 0 = a
//    new address for every request, a distributed flood no throttle stops),
//    while GOOD_WORKERS users log in back to back from their own addresses,
//    waiting Retry-After when told to. The server's RSS is sampled every
//    100 ms (SERVER_PID).
//
//   node bench/flood.mjs <issuer>
// Env: CLIENT_ID CLIENT_SECRET LOGIN_USER LOGIN_PASSWORD REALM SERVER_PID
//      FLOOD_FACTOR (10) FLOOD_S (12) CALIBRATE_S (3) GOOD_WORKERS (2) ATTACKER_IPS (1)
// Output: `RESULT …` lines (calibration, flood, good logins, memory).
import http from 'node:http';
import fs from 'node:fs';

const issuer = process.argv[2] || '';
if (!/^http:\/\/(127\.|localhost)/.test(issuer)) {
  console.error('refusing a non-loopback issuer'); process.exit(2);
}
const env = process.env;
const FACTOR = Number(env.FLOOD_FACTOR || 10);
const FLOOD_S = Number(env.FLOOD_S || 12);
const CALIBRATE_S = Number(env.CALIBRATE_S || 3);
const GOOD_WORKERS = Number(env.GOOD_WORKERS || 2);
const ATTACKER_IPS = Number(env.ATTACKER_IPS ?? 1);
const MAX_IN_FLIGHT = 4000;
const tokenUrl = new URL('oauth/token', issuer);

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const goodAgent = new http.Agent({ keepAlive: true, maxSockets: GOOD_WORKERS * 2 });

function login(username, password, ip, useAgent) {
  const body = new URLSearchParams({
    grant_type: 'http://auth0.com/oauth/grant-type/password-realm',
    client_id: env.CLIENT_ID, client_secret: env.CLIENT_SECRET,
    username, password, realm: env.REALM, scope: 'openid',
  }).toString();
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = http.request(tokenUrl, {
      method: 'POST', agent: useAgent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': ip },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        let error = '';
        try { error = JSON.parse(Buffer.concat(chunks).toString('utf8')).error || ''; } catch { /* not JSON */ }
        resolve({ status: res.statusCode, error, ms, retryAfter: Number(res.headers['retry-after'] || 0) });
      });
    });
    req.on('error', () => resolve({ status: 0, error: 'socket', ms: 0, retryAfter: 0 }));
    req.end(body);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (list, p) => {
  if (!list.length) return 'na';
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
};
const rssKib = () => {
  try {
    const status = fs.readFileSync(`/proc/${env.SERVER_PID}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  } catch { return 0; }
};
const hwmKib = () => {
  try { return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${env.SERVER_PID}/status`, 'utf8'))[1]); } catch { return 0; }
};

// Good users: back to back until `until`, each from its own address.
async function goodUser(n, until, stats) {
  const ip = `192.0.2.${n + 1}`;
  while (Date.now() < until) {
    const r = await login(env.LOGIN_USER, env.LOGIN_PASSWORD, ip, goodAgent);
    stats.attempts++;
    if (r.status === 200) { stats.served++; stats.ms.push(r.ms); continue; }
    stats.other[`${r.status} ${r.error}`] = (stats.other[`${r.status} ${r.error}`] || 0) + 1;
    if (r.status === 429) await sleep(1000 * (r.retryAfter || 1));
  }
}

const newStats = () => ({ attempts: 0, served: 0, ms: [], other: {} });

// 1. calibration
const rssIdle = rssKib();
const calibration = newStats();
let until = Date.now() + CALIBRATE_S * 1000;
await Promise.all(Array.from({ length: GOOD_WORKERS * 2 }, (_, n) => goodUser(n, until, calibration)));
const capacity = calibration.served / CALIBRATE_S;
console.log(`RESULT phase=calibrate logins_per_s=${capacity.toFixed(1)} p50_ms=${pct(calibration.ms, 0.5)} p99_ms=${pct(calibration.ms, 0.99)} rss_mib=${(rssKib() / 1024).toFixed(1)} idle_rss_mib=${(rssIdle / 1024).toFixed(1)}`);

// 2. flood + good users
const rate = Math.max(1, FACTOR * capacity);
const flood = { sent: 0, skipped: 0, answers: {}, ms: [] };
let inFlight = 0;
let rssPeak = 0;
const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, rssKib()); }, 100);
const good = newStats();
until = Date.now() + FLOOD_S * 1000;
const goodDone = Promise.all(Array.from({ length: GOOD_WORKERS }, (_, n) => goodUser(n, until, good)));
const started = Date.now();
let next = 0;
while (Date.now() < until) {
  const due = Math.floor(((Date.now() - started) / 1000) * rate);
  for (; next < due; next++) {
    if (inFlight >= MAX_IN_FLIGHT) { flood.skipped++; continue; }
    const ip = ATTACKER_IPS > 0
      ? `198.51.100.${(next % ATTACKER_IPS) + 1}`
      : `10.${(next >> 16) & 255}.${(next >> 8) & 255}.${next & 255}`;
    inFlight++;
    flood.sent++;
    login(`stuffing${next}@example.com`, 'Wr0ng-Password-1', ip, agent).then((r) => {
      inFlight--;
      const key = `${r.status} ${r.error}`;
      flood.answers[key] = (flood.answers[key] || 0) + 1;
      flood.ms.push(r.ms);
    });
  }
  await sleep(5);
}
await goodDone;
while (inFlight > 0) await sleep(20);
clearInterval(sampler);
const answers = Object.entries(flood.answers).map(([k, v]) => `${k.replace(' ', ':') || 'none'}=${v}`).join(',');
console.log(`RESULT phase=flood target_per_s=${rate.toFixed(0)} sent_per_s=${(flood.sent / FLOOD_S).toFixed(0)} generator_skipped=${flood.skipped} answers=${answers} p50_ms=${pct(flood.ms, 0.5)} p99_ms=${pct(flood.ms, 0.99)}`);
const otherGood = Object.entries(good.other).map(([k, v]) => `${k.replace(' ', ':')}=${v}`).join(',') || 'none';
console.log(`RESULT phase=good attempts=${good.attempts} served=${good.served} served_per_s=${(good.served / FLOOD_S).toFixed(1)} p50_ms=${pct(good.ms, 0.5)} p99_ms=${pct(good.ms, 0.99)} refused=${otherGood}`);
console.log(`RESULT phase=memory idle_rss_mib=${(rssIdle / 1024).toFixed(1)} flood_peak_rss_mib=${(rssPeak / 1024).toFixed(1)} hwm_mib=${(hwmKib() / 1024).toFixed(1)}`);
agent.destroy();
goodAgent.destroy();
