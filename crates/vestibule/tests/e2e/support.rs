//! What the end-to-end tests share: a tenant (a server and a Management
//! API token) with its apps and connections, authorization requests, and
//! a "browser" that walks the hosted pages.
//!
//! The browser is reqwest with a cookie store that never follows
//! redirects by itself: every hop is looked at, nothing is ever requested
//! from a client's redirect URI or from another origin.

use crate::harness::{self, Server, http, management_token};
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

pub(crate) const PASSWORD: &str = "Corr3ct-Horse-Battery";
pub(crate) const DATABASE: &str = "Username-Password-Authentication";
pub(crate) const REDIRECT_A: &str = "http://127.0.0.1:3101/cb";
pub(crate) const LOGOUT_URI: &str = "http://127.0.0.1:3101/bye";

/// A server plus a Management API token.
pub(crate) struct Tenant {
    pub(crate) server: Server,
    pub(crate) token: String,
}

/// A registered application.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) id: String,
    pub(crate) secret: String,
    pub(crate) redirect_uri: &'static str,
}

impl Tenant {
    pub(crate) async fn start() -> Self {
        let server = Server::start();
        let token = management_token(&server).await;
        Self { server, token }
    }

    pub(crate) async fn management(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> Value {
        let response = http()
            .request(method.clone(), self.server.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("management request");
        let status = response.status();
        let text = response.text().await.expect("body");
        assert!(
            status.is_success(),
            "{method} {path} answered {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A `regular_web` client per the issue-3 contract.
    pub(crate) async fn client(
        &self,
        name: &str,
        redirect_uri: &'static str,
        auth_method: &str,
    ) -> App {
        let body = json!({
            "name": name,
            "app_type": "regular_web",
            "callbacks": [redirect_uri],
            "allowed_logout_urls": [LOGOUT_URI],
            "grant_types": [
                "authorization_code",
                "refresh_token",
                "password",
                "http://auth0.com/oauth/grant-type/password-realm"
            ],
            "token_endpoint_auth_method": auth_method,
        });
        let created = self
            .management(reqwest::Method::POST, "/api/v2/clients", body)
            .await;
        App {
            id: created["client_id"].as_str().expect("client_id").to_owned(),
            secret: created["client_secret"]
                .as_str()
                .expect("client_secret")
                .to_owned(),
            redirect_uri,
        }
    }

    pub(crate) async fn connection(&self, body: Value) -> Value {
        self.management(reqwest::Method::POST, "/api/v2/connections", body)
            .await
    }

    pub(crate) async fn database(&self, enabled_clients: &[&App]) {
        let ids: Vec<&str> = enabled_clients.iter().map(|c| c.id.as_str()).collect();
        self.connection(json!({"name": DATABASE, "strategy": "auth0", "enabled_clients": ids}))
            .await;
    }

    /// `POST /dbconnections/signup`, Auth0's shape; panics unless 200.
    pub(crate) async fn signup(&self, app: &App, email: &str) -> Value {
        let response = http()
            .post(self.server.url("/dbconnections/signup"))
            .json(&json!({"client_id": app.id, "email": email, "password": PASSWORD, "connection": DATABASE}))
            .send()
            .await
            .expect("signup");
        let status = response.status();
        let body: Value = response.json().await.expect("signup json");
        assert_eq!(status, 200, "signup failed: {body}");
        assert_eq!(body["email"], email, "{body}");
        assert!(body["_id"].is_string(), "{body}");
        assert_eq!(body["email_verified"], false, "{body}");
        body
    }

    /// The usual fixture: one client, the database connection, one user.
    pub(crate) async fn with_user() -> (Self, App, String) {
        let tenant = Self::start().await;
        let app = tenant.client("RP", REDIRECT_A, "client_secret_basic").await;
        tenant.database(&[&app]).await;
        let email = "alice@example.com".to_owned();
        tenant.signup(&app, &email).await;
        (tenant, app, email)
    }

    pub(crate) fn origin(&self) -> String {
        self.server.addr()
    }
}

// ------------------------------------------------------ authorize requests

/// One authorization request's secrets.
pub(crate) struct AuthRequest {
    pub(crate) url: String,
    pub(crate) state: String,
    pub(crate) verifier: String,
}

pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 24];
    aws_lc_rs::rand::fill(&mut bytes).expect("rng");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn authorize(tenant: &Tenant, app: &App, extra: &[(&str, &str)]) -> AuthRequest {
    let state = random_token();
    let verifier = format!("{}{}", random_token(), random_token());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()),
    );
    let mut url = Url::parse(&tenant.server.url("/authorize")).expect("url");
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("client_id", &app.id)
            .append_pair("redirect_uri", app.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid profile email offline_access")
            .append_pair("state", &state)
            .append_pair("nonce", &random_token())
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        for (name, value) in extra {
            query.append_pair(name, value);
        }
    }
    AuthRequest {
        url: url.into(),
        state,
        verifier,
    }
}

pub(crate) fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

// ------------------------------------------------------------------ browser

/// Where a navigation ended.
#[derive(Debug)]
pub(crate) enum Landing {
    /// An answer that is not a redirect (HTML page, error).
    Page {
        status: StatusCode,
        url: Url,
        html: String,
    },
    /// A redirect to the client (or to any other origin): not followed.
    Away(Url),
}

impl Landing {
    pub(crate) fn away(self) -> Url {
        match self {
            Landing::Away(url) => url,
            Landing::Page { status, url, html } => {
                panic!("expected a redirect away, got HTTP {status} at {url}:\n{html}")
            }
        }
    }

    pub(crate) fn page(self) -> (StatusCode, Url, String) {
        match self {
            Landing::Page { status, url, html } => (status, url, html),
            Landing::Away(url) => panic!("expected a page, got a redirect to {url}"),
        }
    }
}

/// A cookie-keeping user agent that follows redirects by hand, only within
/// the server's origin.
pub(crate) struct Browser {
    pub(crate) client: reqwest::Client,
    pub(crate) origin: String,
}

impl Browser {
    pub(crate) fn new(tenant: &Tenant) -> Self {
        Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            origin: tenant.origin(),
        }
    }

    pub(crate) async fn follow(&self, mut response: reqwest::Response) -> Landing {
        for _ in 0..20 {
            let url = response.url().clone();
            if !response.status().is_redirection() {
                let status = response.status();
                let html = response.text().await.expect("body");
                return Landing::Page { status, url, html };
            }
            let location = response
                .headers()
                .get("location")
                .expect("redirect without Location")
                .to_str()
                .expect("Location is ASCII");
            let next = url.join(location).expect("Location is a URL");
            if !next.as_str().starts_with(&format!("{}/", self.origin)) {
                return Landing::Away(next);
            }
            response = self.client.get(next).send().await.expect("GET");
        }
        panic!("more than 20 redirects");
    }

    pub(crate) async fn navigate(&self, url: &str) -> Landing {
        let response = self.client.get(url).send().await.expect("GET");
        self.follow(response).await
    }

    /// Submits the login form on `html` with these credentials; returns the
    /// raw answer to the POST.
    pub(crate) async fn post_login(
        &self,
        page_url: &Url,
        html: &str,
        username: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let form = login_form(html, page_url)
            .unwrap_or_else(|| panic!("no login form at {page_url}:\n{html}"));
        let mut fields = Vec::new();
        for (name, value, kind) in &form.fields {
            match (name.as_str(), kind.as_str()) {
                ("username", _) => fields.push((name.clone(), username.to_owned())),
                (_, "password") => fields.push((name.clone(), password.to_owned())),
                (_, "submit" | "button" | "checkbox" | "radio" | "image" | "reset") => {}
                _ => fields.push((name.clone(), value.clone())),
            }
        }
        let mut request = self.client.post(form.action).form(&fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("POST login")
    }

    /// A full interactive login starting at `request`; returns the redirect
    /// to the client.
    pub(crate) async fn login(&self, request: &AuthRequest, username: &str) -> Url {
        let (status, url, html) = self.navigate(&request.url).await.page();
        assert_eq!(status, 200, "login page at {url}:\n{html}");
        assert_eq!(url.path(), "/u/login", "{url}");
        let response = self.post_login(&url, &html, username, PASSWORD, &[]).await;
        let status = response.status();
        assert!(
            status == StatusCode::FOUND || status == StatusCode::SEE_OTHER,
            "login POST answered {status} (expected 302/303, never 307/308)"
        );
        let callback = self.follow(response).await.away();
        assert_eq!(
            query_param(&callback, "state").as_deref(),
            Some(request.state.as_str()),
            "{callback}"
        );
        assert!(query_param(&callback, "code").is_some(), "{callback}");
        callback
    }
}

// ------------------------------------------------------------ HTML parsing

pub(crate) struct Form {
    pub(crate) action: Url,
    /// (name, value, type) of every `<input>` and `<select>` (first/selected option).
    pub(crate) fields: Vec<(String, String, String)>,
}

fn decode_entities(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#47;", "/")
        .replace("&#x3D;", "=")
        .replace("&#61;", "=")
        .replace("&amp;", "&")
}

/// The attributes of one start tag (`<input a="b" c>`), names lower-cased.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let inner = tag.trim_start_matches('<');
    let inner = inner.trim_end_matches('>').trim_end_matches('/');
    let chars: Vec<char> = inner.chars().collect();
    let mut i = chars
        .iter()
        .position(|c| c.is_whitespace())
        .unwrap_or(chars.len());
    let mut out = Vec::new();
    while i < chars.len() {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
            i += 1;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' {
            i += 1;
        }
        if start == i {
            break;
        }
        let name: String = chars[start..i].iter().collect::<String>().to_lowercase();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && chars[i] == '=' {
            i += 1;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                let quote = chars[i];
                i += 1;
                let s = i;
                while i < chars.len() && chars[i] != quote {
                    i += 1;
                }
                value = chars[s..i].iter().collect();
                i += 1;
            } else {
                let s = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                value = chars[s..i].iter().collect();
            }
        }
        out.push((name, decode_entities(&value)));
    }
    out
}

pub(crate) fn attribute(tag: &str, name: &str) -> Option<String> {
    attributes(tag)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// Start tags `<{name} …>` in `html` (case-insensitive), with their offsets.
pub(crate) fn start_tags<'a>(html: &'a str, name: &str) -> Vec<(usize, &'a str)> {
    let lower = html.to_ascii_lowercase();
    let needle = format!("<{name}");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(&needle) {
        let start = from + pos;
        let after = lower[start + needle.len()..].chars().next();
        let end = lower[start..]
            .find('>')
            .map_or(html.len(), |e| start + e + 1);
        if after.is_some_and(|c| c.is_whitespace() || c == '>' || c == '/') {
            out.push((start, &html[start..end]));
        }
        from = end.max(start + 1);
    }
    out
}

/// The first `<form>` holding a password input.
pub(crate) fn login_form(html: &str, base: &Url) -> Option<Form> {
    find_form(html, base, |fields| {
        fields.iter().any(|(_, _, kind)| kind == "password")
    })
}

/// The first `<form>` of any kind (e.g. a `form_post` answer's hidden fields).
pub(crate) fn first_form(html: &str, base: &Url) -> Option<Form> {
    find_form(html, base, |_| true)
}

/// The first `<form>` whose fields satisfy `wanted`.
fn find_form(
    html: &str,
    base: &Url,
    wanted: impl Fn(&[(String, String, String)]) -> bool,
) -> Option<Form> {
    let lower = html.to_ascii_lowercase();
    for (start, tag) in start_tags(html, "form") {
        let end = lower[start..]
            .find("</form>")
            .map_or(html.len(), |e| start + e);
        let body = &html[start..end];
        let mut fields = Vec::new();
        for (_, input) in start_tags(body, "input") {
            let Some(name) = attribute(input, "name") else {
                continue;
            };
            let kind = attribute(input, "type")
                .unwrap_or_else(|| "text".to_owned())
                .to_lowercase();
            fields.push((name, attribute(input, "value").unwrap_or_default(), kind));
        }
        let body_lower = body.to_ascii_lowercase();
        for (offset, select) in start_tags(body, "select") {
            let Some(name) = attribute(select, "name") else {
                continue;
            };
            let close = body_lower[offset..]
                .find("</select>")
                .map_or(body.len(), |e| offset + e);
            let options = start_tags(&body[offset..close], "option");
            let chosen = options
                .iter()
                .find(|(_, o)| attribute(o, "selected").is_some())
                .or(options.first())
                .and_then(|(_, o)| attribute(o, "value"))
                .unwrap_or_default();
            fields.push((name, chosen, "select".to_owned()));
        }
        if wanted(&fields) {
            let action = attribute(tag, "action").unwrap_or_else(|| base.to_string());
            return Some(Form {
                action: base.join(&action).expect("form action"),
                fields,
            });
        }
    }
    None
}

pub(crate) fn has_login_form(html: &str) -> bool {
    let base = Url::parse("http://127.0.0.1/").expect("url");
    login_form(html, &base).is_some()
}

pub(crate) fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .collect()
}

// ------------------------------------------------------------ token calls

pub(crate) async fn exchange(
    tenant: &Tenant,
    app: &App,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    let response = http()
        .post(tenant.server.url("/oauth/token"))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", app.redirect_uri),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token request");
    let status = response.status();
    let body: Value = response.json().await.expect("token json");
    (status, body)
}

pub(crate) async fn refresh(
    tenant: &Tenant,
    app: &App,
    refresh_token: &str,
) -> (StatusCode, Value) {
    let response = http()
        .post(tenant.server.url("/oauth/token"))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .expect("refresh request");
    let status = response.status();
    let body: Value = response.json().await.expect("refresh json");
    (status, body)
}

/// The claims of a JWT, unverified (signatures are `rp.mjs`'s job).
pub(crate) fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims JSON")
}

/// Loudly skips (outside CI) when a tool is missing; `Some(versions)` to go on.
pub(crate) fn toolchain_or_skip(test: &str, found: Result<String, String>) -> Option<String> {
    match found {
        Ok(versions) => Some(versions),
        Err(reason) if harness::in_ci() => panic!("CI needs it: {reason}"),
        Err(reason) => {
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 SKIP {test}: {reason}\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            None
        }
    }
}
