// A Relying Party built on panva's openid-client (certified RP library) that
// drives a running vestibule through a whole authorization code flow, the way
// a real web application and a browser would, with nothing but HTTP:
//
//   discovery -> authorization URL (code, PKCE S256, state, nonce)
//   -> "browser" (fetch + cookie jar, redirects followed by hand) fills the
//      hosted login form -> code exchange (client_secret_basic) with ID token
//      validation -> independent ID token check with jose against jwks_uri
//   -> userinfo -> refresh (rotation) -> reuse of the old refresh token
//      revokes the family -> second login + revocation -> RP-initiated logout
//      -> prompt=none answers login_required.
//
// Env: VESTIBULE_ISSUER (e.g. "http://127.0.0.1:8080/"), CLIENT_ID,
// CLIENT_SECRET, REDIRECT_URI, LOGOUT_URI, USERNAME, PASSWORD.
//
// Upstream mode (UPSTREAM_CONNECTIONS=a,b set): for each named connection,
// an authorization request with `connection=<name>` sends the browser on to
// that upstream OpenID Provider, whose own login form takes USERNAME and
// PASSWORD (its fields `login`/`username` and the password input); back at
// Vestibule, the code exchange validates the ID token, whose `sub` must be
// `oidc|<name>|…` and whose email must be EXPECT_EMAIL; then userinfo.
// Optional: RP_VERBOSE=1 prints every HTTP hop of the browser part.
//
// Prints `ok - <step>` per step; on failure prints the step and the details
// and exits 1. Nothing listens on REDIRECT_URI or LOGOUT_URI: the browser
// stops at the redirect to them and hands the URL to the RP.

import assert from "node:assert/strict";
import crypto from "node:crypto";
import * as client from "openid-client";
import * as jose from "jose";

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

const cfg = {
  issuer: env("VESTIBULE_ISSUER"),
  clientId: env("CLIENT_ID"),
  clientSecret: env("CLIENT_SECRET"),
  redirectUri: env("REDIRECT_URI"),
  logoutUri: env("LOGOUT_URI"),
  username: env("USERNAME"),
  password: env("PASSWORD"),
  scope: "openid profile email offline_access",
  verbose: process.env.RP_VERBOSE === "1",
};

let step = "start";
function ok(message) {
  console.log(`ok - ${message}`);
}

// ------------------------------------------------------------------ cookies
/** A small RFC 6265 cookie jar: host-only cookies, Path, Max-Age/Expires. */
class CookieJar {
  #cookies = new Map();

  store(url, response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq < 1) continue;
      const cookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        host: url.host,
        path: url.pathname.replace(/\/[^/]*$/, "") || "/",
        expires: Infinity,
        attributes: line,
      };
      let maxAgeSeen = false;
      for (const attribute of attributes) {
        const [rawKey, ...rest] = attribute.trim().split("=");
        const key = rawKey.toLowerCase();
        const value = rest.join("=").trim();
        if (key === "path" && value.startsWith("/")) cookie.path = value;
        if (key === "max-age") {
          cookie.expires = Date.now() + Number(value) * 1000;
          maxAgeSeen = true;
        }
        if (key === "expires" && !maxAgeSeen) cookie.expires = Date.parse(value);
      }
      const key = `${cookie.host}|${cookie.path}|${cookie.name}`;
      if (cookie.expires <= Date.now()) this.#cookies.delete(key);
      else this.#cookies.set(key, cookie);
    }
  }

  header(url) {
    const now = Date.now();
    const pairs = [];
    for (const c of this.#cookies.values()) {
      if (c.host !== url.host || c.expires <= now) continue;
      const prefix = c.path.endsWith("/") ? c.path : `${c.path}/`;
      if (url.pathname === c.path || url.pathname.startsWith(prefix)) pairs.push(`${c.name}=${c.value}`);
    }
    return pairs.join("; ");
  }

  get(name) {
    for (const c of this.#cookies.values()) if (c.name === name && c.expires > Date.now()) return c;
    return undefined;
  }

  names() {
    return [...this.#cookies.values()].map((c) => c.name);
  }
}

// --------------------------------------------------------------------- HTML
function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, entity) => {
    const e = entity.toLowerCase();
    if (e.startsWith("#x")) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e];
  });
}

/** Attributes of one start tag, names lower-cased, values entity-decoded. */
function tagAttributes(tag) {
  const out = {};
  const inner = tag.replace(/^<\s*[a-z]+/i, "").replace(/\/?>$/, "");
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  for (let m = re.exec(inner); m; m = re.exec(inner)) {
    out[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return out;
}

/** Every <form> with its action, method and successful controls. */
function parseForms(html, pageUrl) {
  const forms = [];
  for (const match of html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)) {
    const open = tagAttributes(match[0].match(/^<form\b[^>]*>/i)[0]);
    const fields = [];
    for (const input of match[0].matchAll(/<input\b[^>]*>/gi)) {
      const a = tagAttributes(input[0]);
      fields.push({ name: a.name, value: a.value ?? "", type: (a.type || "text").toLowerCase(), checked: "checked" in a });
    }
    for (const select of match[0].matchAll(/<select\b[^>]*>([\s\S]*?)<\/select>/gi)) {
      const a = tagAttributes(select[0].match(/^<select\b[^>]*>/i)[0]);
      const options = [...select[1].matchAll(/<option\b[^>]*>/gi)].map((o) => tagAttributes(o[0]));
      const chosen = options.find((o) => "selected" in o) ?? options[0];
      fields.push({ name: a.name, value: chosen?.value ?? "", type: "select", options: options.map((o) => o.value) });
    }
    forms.push({
      action: new URL(open.action || pageUrl.href, pageUrl),
      method: (open.method || "GET").toUpperCase(),
      fields,
    });
  }
  return forms;
}

// ------------------------------------------------------------------ browser
/**
 * A fetch-based user agent: one cookie jar, redirects followed by hand, and
 * never a request to the client's own URIs (REDIRECT_URI, LOGOUT_URI).
 */
class Browser {
  jar = new CookieJar();
  hops = [];

  async request(url, { method = "GET", body, headers = {} } = {}) {
    const target = new URL(url);
    const h = new Headers(headers);
    h.set("accept", "text/html,application/xhtml+xml");
    const cookie = this.jar.header(target);
    if (cookie) h.set("cookie", cookie);
    const response = await fetch(target, { method, headers: h, body, redirect: "manual" });
    this.jar.store(target, response);
    const location = response.headers.get("location");
    this.hops.push(`${method} ${target.pathname} -> ${response.status}`);
    if (cfg.verbose) console.error(`  ${method} ${target.href} -> ${response.status} ${location ?? ""}`);
    response.url_ = target;
    return response;
  }

  /**
   * Follows redirects from `url` until one points at one of `stopAt`
   * (returned as {stoppedAt: URL}) or an HTML page answers (returned as
   * {page: {status, url, html}}).
   */
  async navigate(url, stopAt, init = {}) {
    let response = await this.request(url, init);
    for (let i = 0; i < 20; i += 1) {
      if ([301, 302, 303, 307, 308].includes(response.status)) {
        const location = new URL(response.headers.get("location"), response.url_);
        await response.arrayBuffer();
        if (stopAt.some((prefix) => location.href.startsWith(prefix))) {
          return { stoppedAt: location, lastStatus: response.status };
        }
        response = await this.request(location);
        continue;
      }
      const html = await response.text();
      // response_mode=form_post: an auto-submitting form aimed at the client.
      const forms = parseForms(html, response.url_);
      const post = forms.find((f) => stopAt.some((p) => f.action.href.startsWith(p)));
      if (post) {
        const u = new URL(post.action);
        for (const f of post.fields) if (f.name) u.searchParams.set(f.name, f.value);
        return { stoppedAt: u, lastStatus: response.status };
      }
      return { page: { status: response.status, url: response.url_, html } };
    }
    throw new Error(`more than 20 redirects: ${this.hops.join(", ")}`);
  }

  /** Fills and submits the login form of `page`; returns what navigate returns. */
  async submitLogin(page, username, password, stopAt) {
    const forms = parseForms(page.html, page.url);
    const form = forms.find((f) => f.fields.some((x) => x.type === "password"));
    if (!form) throw new Error(`no login form at ${page.url} (HTTP ${page.status}):\n${page.html.slice(0, 800)}`);
    assert.equal(form.method, "POST", "the login form posts");
    assert.ok(form.fields.some((x) => x.name === "username"), "the login form has a `username` input");
    assert.ok(form.fields.some((x) => x.name === "password" && x.type === "password"), "`password` is a password input");
    assert.ok(form.fields.some((x) => x.name === "state" && x.type === "hidden"), "`state` is a hidden input");
    const body = new URLSearchParams();
    for (const field of form.fields) {
      if (!field.name) continue;
      if (field.name === "username") body.append("username", username);
      else if (field.type === "password") body.append(field.name, password);
      else if (["checkbox", "radio"].includes(field.type)) {
        if (field.checked) body.append(field.name, field.value || "on");
      } else if (!["submit", "button", "image", "reset", "file"].includes(field.type)) {
        body.append(field.name, field.value);
      }
    }
    const response = await this.request(form.action, {
      method: "POST",
      body,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    if (response.status === 307 || response.status === 308) {
      throw new Error(`login answered ${response.status}: a 307/308 would re-POST the password (RFC 9700 §4.12)`);
    }
    if (![302, 303].includes(response.status)) {
      const text = await response.text();
      throw new Error(`login POST answered ${response.status}, expected 302/303:\n${text.slice(0, 800)}`);
    }
    const location = new URL(response.headers.get("location"), response.url_);
    await response.arrayBuffer();
    if (stopAt.some((prefix) => location.href.startsWith(prefix))) return { stoppedAt: location };
    return this.navigate(location, stopAt);
  }
}

/**
 * Fills and submits an upstream provider's login form (whatever it names
 * its identifier field) and follows redirects until one of `stopAt`,
 * answering a consent form by submitting it as it stands.
 */
async function upstreamLogin(browser, page, username, password, stopAt) {
  let current = page;
  for (let i = 0; i < 4; i += 1) {
    const forms = parseForms(current.html, current.url);
    const form = forms.find((f) => f.method === "POST");
    if (!form) throw new Error(`no form at ${current.url} (HTTP ${current.status}):\n${current.html.slice(0, 800)}`);
    const body = new URLSearchParams();
    for (const field of form.fields) {
      if (!field.name) continue;
      if (["login", "username", "email"].includes(field.name) && field.type !== "hidden") body.append(field.name, username);
      else if (field.type === "password") body.append(field.name, password);
      else if (!["submit", "button", "image", "reset", "file"].includes(field.type)) body.append(field.name, field.value);
    }
    const result = await browser.navigate(form.action, stopAt, {
      method: "POST",
      body,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    if (result.stoppedAt) return result;
    current = result.page;
  }
  throw new Error(`upstream login did not come back; last page ${current.url}:\n${current.html.slice(0, 800)}`);
}

/** Logs in through each upstream connection, with openid-client as the RP. */
async function upstreamMain(config, connections) {
  const expectEmail = env("EXPECT_EMAIL");
  const subs = new Set();
  for (const connection of connections) {
    step = `login through upstream connection ${connection}`;
    const browser = new Browser();
    const request = await authorizationRequest(config, { connection });
    const first = await browser.navigate(request.url, [cfg.redirectUri]);
    if (!first.page) throw new Error(`expected the upstream login page, got a redirect to ${first.stoppedAt}`);
    assert.notEqual(first.page.url.origin, new URL(cfg.issuer).origin, `connection=${connection} leaves Vestibule for the upstream`);
    const done = await upstreamLogin(browser, first.page, cfg.username, cfg.password, [cfg.redirectUri]);
    const callback = done.stoppedAt;
    assert.equal(callback.searchParams.get("state"), request.state, "state is echoed");
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    assert.ok(claims.sub.startsWith(`oidc|${connection}|`), `sub ${claims.sub} names the connection`);
    assert.equal(claims.email, expectEmail, "the upstream's email");
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(userinfo.sub, claims.sub);
    subs.add(claims.sub);
    ok(`${connection}: openid-client validated Vestibule's ID token for ${claims.sub} (${browser.hops.length} hops through the upstream), userinfo agrees`);
  }
  assert.equal(subs.size, connections.length, "each connection is its own user");
}

// -------------------------------------------------------------------- flows
async function authorizationRequest(config, extra = {}) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: cfg.redirectUri,
    scope: cfg.scope,
    code_challenge: codeChallenge,
    code_challenge_method: "S256",
    state,
    nonce,
    ...extra,
  });
  return { url, codeVerifier, state, nonce };
}

/** A full login in `browser` (login form expected), then the code exchange. */
async function login(config, browser) {
  const request = await authorizationRequest(config);
  const first = await browser.navigate(request.url, [cfg.redirectUri]);
  if (!first.page) throw new Error(`expected the login page, got a redirect to ${first.stoppedAt}`);
  assert.equal(first.page.status, 200, `login page status (at ${first.page.url})`);
  assert.equal(first.page.url.pathname, "/u/login", "the authorization request lands on /u/login");
  const done = await browser.submitLogin(first.page, cfg.username, cfg.password, [cfg.redirectUri]);
  if (!done.stoppedAt) {
    throw new Error(`login did not reach the redirect_uri; page ${done.page.url} (HTTP ${done.page.status}):\n${done.page.html.slice(0, 800)}\nhops: ${browser.hops.join(", ")}`);
  }
  const callback = done.stoppedAt;
  assert.ok(callback.searchParams.get("code"), `no code in ${callback}`);
  assert.equal(callback.searchParams.get("state"), request.state, "state is echoed");
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: request.codeVerifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
    idTokenExpected: true,
  });
  return { tokens, request, callback };
}

function atHash(accessToken, alg) {
  const hash = { 256: "sha256", 384: "sha384", 512: "sha512" }[alg.slice(-3)];
  assert.ok(hash, `unexpected alg ${alg}`);
  const digest = crypto.createHash(hash).update(accessToken, "ascii").digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
}

async function expectInvalidGrant(promise, what) {
  try {
    await promise;
  } catch (err) {
    if (err instanceof client.ResponseBodyError && err.error === "invalid_grant") return;
    throw new Error(`${what}: expected invalid_grant, got ${err.name}: ${err.message} ${err.error ?? ""} ${err.error_description ?? ""}`);
  }
  throw new Error(`${what}: expected invalid_grant, but the request succeeded`);
}

// --------------------------------------------------------------------- main
async function main() {
  const issuer = new URL(cfg.issuer);
  const execute = [client.enableNonRepudiationChecks];
  if (issuer.protocol === "http:") execute.push(client.allowInsecureRequests);

  step = "discovery";
  const config = await client.discovery(
    issuer,
    cfg.clientId,
    { redirect_uris: [cfg.redirectUri], post_logout_redirect_uris: [cfg.logoutUri] },
    client.ClientSecretBasic(cfg.clientSecret),
    { execute },
  );
  const meta = config.serverMetadata();
  assert.equal(meta.issuer, cfg.issuer);
  const base = cfg.issuer.endsWith("/") ? cfg.issuer : `${cfg.issuer}/`;
  assert.equal(meta.authorization_endpoint, `${base}authorize`);
  assert.equal(meta.token_endpoint, `${base}oauth/token`);
  assert.equal(meta.userinfo_endpoint, `${base}userinfo`);
  assert.equal(meta.revocation_endpoint, `${base}oauth/revoke`);
  assert.equal(meta.introspection_endpoint, `${base}oauth/introspect`);
  assert.equal(meta.end_session_endpoint, `${base}oidc/logout`);
  assert.ok(meta.jwks_uri, "jwks_uri");
  ok(`discovery: issuer ${meta.issuer}, jwks_uri ${meta.jwks_uri}`);
  if (process.env.UPSTREAM_CONNECTIONS) {
    await upstreamMain(config, process.env.UPSTREAM_CONNECTIONS.split(","));
    return;
  }

  step = "authorization URL";
  const probe = await authorizationRequest(config);
  assert.equal(probe.url.origin + probe.url.pathname, meta.authorization_endpoint);
  for (const name of ["client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method"]) {
    assert.ok(probe.url.searchParams.get(name), `authorization URL carries ${name}`);
  }
  assert.equal(probe.url.searchParams.get("code_challenge_method"), "S256");
  ok("authorization URL: code, PKCE S256, state, nonce, scope openid profile email offline_access");

  step = "login through the hosted login page";
  const browser = new Browser();
  const first = await login(config, browser);
  assert.ok(browser.jar.get("vestibule_session"), `an SSO session cookie vestibule_session is set after login (cookies: ${browser.jar.names().join(", ")})`);
  ok(`login form submitted, code received (${browser.hops.join(", ")})`);

  step = "authorizationCodeGrant";
  const tokens = first.tokens;
  assert.ok(tokens.access_token, "access_token");
  assert.ok(tokens.id_token, "id_token");
  assert.ok(tokens.refresh_token, "refresh_token (offline_access was requested)");
  assert.equal(tokens.token_type.toLowerCase(), "bearer");
  const claims = tokens.claims();
  ok(`authorizationCodeGrant: ID token validated by openid-client (sub ${claims.sub}, nonce, state, PKCE)`);

  step = "ID token checked with jose against jwks_uri";
  const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token, jwks, {
    issuer: meta.issuer,
    audience: cfg.clientId,
    requiredClaims: ["sub", "iat", "exp", "auth_time", "nonce", "at_hash", "sid"],
  });
  assert.equal(protectedHeader.alg, "RS256", "ID tokens are RS256 by default");
  assert.ok(protectedHeader.kid, "the JWS header names its key (kid)");
  assert.equal(payload.nonce, first.request.nonce);
  assert.equal(payload.at_hash, atHash(tokens.access_token, protectedHeader.alg), "at_hash matches the access token");
  assert.equal(typeof payload.sid, "string");
  assert.ok(payload.auth_time <= payload.iat + 5, "auth_time is not after iat");
  ok(`jose.jwtVerify: RS256 kid ${protectedHeader.kid}, iss, aud, at_hash, sid, auth_time ${payload.auth_time}`);

  step = "fetchUserInfo";
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(userinfo.sub, claims.sub);
  if (userinfo.email !== undefined) assert.equal(userinfo.email.toLowerCase(), cfg.username.toLowerCase());
  ok(`userinfo: sub ${userinfo.sub}${userinfo.email ? `, email ${userinfo.email}` : ""}`);

  step = "refreshTokenGrant";
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(refreshed.access_token, "new access token");
  assert.ok(refreshed.refresh_token, "a rotated refresh token is returned");
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, "the refresh token rotates");
  if (refreshed.id_token) assert.equal(refreshed.claims().sub, claims.sub, "sub is stable across refresh");
  ok("refreshTokenGrant: new access token, new refresh token");

  step = "reuse of the old refresh token";
  await expectInvalidGrant(client.refreshTokenGrant(config, tokens.refresh_token), "reusing the rotated-out refresh token");
  await expectInvalidGrant(client.refreshTokenGrant(config, refreshed.refresh_token), "the new refresh token after reuse was detected");
  ok("reusing the old refresh token -> invalid_grant, and the family is revoked (new one -> invalid_grant)");

  step = "second login, then tokenRevocation";
  const second = await login(config, new Browser());
  assert.ok(second.tokens.refresh_token, "refresh_token on the second login");
  await client.tokenRevocation(config, second.tokens.refresh_token, { token_type_hint: "refresh_token" });
  await expectInvalidGrant(client.refreshTokenGrant(config, second.tokens.refresh_token), "refresh after revocation");
  ok("tokenRevocation of a refresh token, then refresh -> invalid_grant");

  step = "SSO session reused before logout";
  const sso = await authorizationRequest(config, { prompt: "none" });
  const ssoResult = await browser.navigate(sso.url, [cfg.redirectUri]);
  assert.ok(ssoResult.stoppedAt, `prompt=none with a session should redirect, got page ${ssoResult.page?.url}`);
  assert.ok(ssoResult.stoppedAt.searchParams.get("code"), `prompt=none with a session issues a code: ${ssoResult.stoppedAt}`);
  ok("prompt=none with the SSO session -> code without a login page");

  step = "RP-initiated logout";
  const logoutState = client.randomState();
  const endSession = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: cfg.logoutUri,
    state: logoutState,
  });
  assert.equal(endSession.origin + endSession.pathname, meta.end_session_endpoint);
  const logout = await browser.request(endSession);
  const logoutBody = await logout.text();
  assert.equal(logout.status, 302, `end_session answers 302 (got ${logout.status}: ${logoutBody.slice(0, 300)})`);
  const back = new URL(logout.headers.get("location"), endSession);
  assert.equal(back.origin + back.pathname, new URL(cfg.logoutUri).origin + new URL(cfg.logoutUri).pathname, `redirected to ${back}`);
  assert.equal(back.searchParams.get("state"), logoutState, "logout state is echoed");
  ok(`buildEndSessionUrl -> 302 to ${back.origin}${back.pathname} with the same state`);

  step = "prompt=none after logout";
  const after = await authorizationRequest(config, { prompt: "none" });
  const afterResult = await browser.navigate(after.url, [cfg.redirectUri]);
  assert.ok(afterResult.stoppedAt, `prompt=none must redirect, got a page at ${afterResult.page?.url} (HTTP ${afterResult.page?.status})`);
  const cb = afterResult.stoppedAt;
  assert.equal(cb.searchParams.get("error"), "login_required", `after logout: ${cb}`);
  assert.equal(cb.searchParams.get("state"), after.state, "state is echoed with the error");
  assert.equal(cb.searchParams.get("code"), null, "no code after logout");
  ok("after logout, prompt=none -> error=login_required at the redirect_uri");
}

try {
  await main();
  console.log("all RP checks passed");
} catch (err) {
  console.error(`not ok - ${step}`);
  console.error(err?.stack ?? String(err));
  if (err?.cause) console.error("cause:", err.cause);
  if (err?.error) console.error(`error: ${err.error} ${err.error_description ?? ""}`);
  process.exit(1);
}
