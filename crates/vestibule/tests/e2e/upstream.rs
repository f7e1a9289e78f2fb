//! Logins through upstream identity providers, end to end: a local server
//! speaking GitHub's documented API behind the `github` preset, and panva's
//! `oidc-provider` (`tests/sdk/upstream-op.mjs`) behind `oidc` connections,
//! with discovery and with endpoints configured by hand. Users are observed
//! in the server's SQLite file (there is no users endpoint yet).

use crate::harness;
use crate::sdk_node::{node_toolchain, sdk_packages};
use crate::support::{
    App, AuthRequest, Browser, Landing, REDIRECT_A, Tenant, authorize, exchange, jwt_claims,
    login_form, query_param, toolchain_or_skip,
};
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Value, json};
use sqlx::Connection as _;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

// ------------------------------------------------------------ fake GitHub

const GH_CLIENT: &str = "gh-client-id";
const GH_SECRET: &str = "gh-client-secret";

#[derive(Default)]
pub(crate) struct GithubState {
    /// code -> (redirect_uri, code_challenge)
    codes: HashMap<String, (String, String)>,
    tokens: Vec<String>,
    user: Value,
    /// What the next authorization answers: `None` approves.
    deny: bool,
}

pub(crate) type Shared = Arc<Mutex<GithubState>>;

async fn gh_authorize(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let redirect_uri = params.get("redirect_uri").cloned().unwrap_or_default();
    let mut target = Url::parse(&redirect_uri).expect("redirect_uri");
    let mut state = state.lock().unwrap();
    assert_eq!(params.get("client_id").map(String::as_str), Some(GH_CLIENT));
    assert_eq!(
        params.get("code_challenge_method").map(String::as_str),
        Some("S256")
    );
    if state.deny {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair(
                "error_description",
                "The user has denied your application access.",
            )
            .append_pair("state", &params["state"]);
    } else {
        let code = format!("code-{}", state.codes.len() + state.tokens.len());
        state.codes.insert(
            code.clone(),
            (redirect_uri.clone(), params["code_challenge"].clone()),
        );
        target
            .query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &params["state"]);
    }
    Redirect::to(target.as_str()).into_response()
}

async fn gh_token(
    State(state): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().unwrap();
    let good_client = form.get("client_id").map(String::as_str) == Some(GH_CLIENT)
        && form.get("client_secret").map(String::as_str) == Some(GH_SECRET);
    let entry = form.get("code").and_then(|c| state.codes.remove(c));
    let ok = match (&entry, form.get("code_verifier")) {
        (Some((redirect_uri, challenge)), Some(verifier)) => {
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()),
            );
            good_client && form.get("redirect_uri") == Some(redirect_uri) && &computed == challenge
        }
        _ => false,
    };
    if !ok {
        // GitHub answers errors with 200 and an `error` member.
        return axum::Json(json!({"error": "bad_verification_code"})).into_response();
    }
    let token = format!("gho_{}", state.tokens.len());
    state.tokens.push(token.clone());
    axum::Json(
        json!({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}),
    )
    .into_response()
}

fn bearer_ok(state: &GithubState, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| state.tokens.iter().any(|k| k == t))
}

async fn gh_user(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let state = state.lock().unwrap();
    if !bearer_ok(&state, &headers) {
        return (axum::http::StatusCode::UNAUTHORIZED, "{}").into_response();
    }
    axum::Json(state.user.clone()).into_response()
}

async fn gh_emails(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let state = state.lock().unwrap();
    if !bearer_ok(&state, &headers) {
        return (axum::http::StatusCode::UNAUTHORIZED, "{}").into_response();
    }
    axum::Json(json!([
        {"email": "octo-public@example.com", "primary": false, "verified": true, "visibility": "public"},
        {"email": "octo-unverified@example.com", "primary": false, "verified": false, "visibility": null},
        {"email": "octocat@example.com", "primary": true, "verified": true, "visibility": "private"},
    ]))
    .into_response()
}

/// Starts the fake GitHub on a free port; returns its origin and state.
pub(crate) async fn fake_github() -> (String, Shared) {
    let state: Shared = Arc::new(Mutex::new(GithubState {
        user: json!({
            "login": "octocat", "id": 583231, "name": "The Octocat",
            "avatar_url": "https://avatars.example/u/583231",
            "email": "octo-public@example.com",
        }),
        ..GithubState::default()
    }));
    let app = axum::Router::new()
        .route("/login/oauth/authorize", get(gh_authorize))
        .route("/login/oauth/access_token", post(gh_token))
        .route("/api/user", get(gh_user))
        .route("/api/user/emails", get(gh_emails))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, state)
}

pub(crate) async fn github_connection(tenant: &Tenant, app: &App, origin: &str, sync: &str) {
    tenant
        .connection(json!({
            "name": "github",
            "strategy": "github",
            "options": {
                "client_id": GH_CLIENT,
                "client_secret": GH_SECRET,
                "authorization_endpoint": format!("{origin}/login/oauth/authorize"),
                "token_endpoint": format!("{origin}/login/oauth/access_token"),
                "api_base_url": format!("{origin}/api"),
                "set_user_root_attributes": sync,
            },
            "enabled_clients": [app.id],
        }))
        .await;
}

// ------------------------------------------------------------ helpers

/// Follows redirects by hand through Vestibule and the upstream (cookies
/// kept per host); stops at a page or at any other origin (the client).
pub(crate) async fn walk(
    browser: &Browser,
    mut response: reqwest::Response,
    origins: &[&str],
) -> Landing {
    for _ in 0..30 {
        let url = response.url().clone();
        if !response.status().is_redirection() {
            let status = response.status();
            let html = response.text().await.expect("body");
            return Landing::Page { status, url, html };
        }
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let next = url.join(&location).expect("Location");
        if !origins
            .iter()
            .any(|o| next.as_str().starts_with(&format!("{o}/")))
        {
            return Landing::Away(next);
        }
        response = browser.client.get(next).send().await.expect("GET");
    }
    panic!("too many redirects");
}

pub(crate) async fn start_walk(browser: &Browser, url: &str, origins: &[&str]) -> Landing {
    let response = browser.client.get(url).send().await.expect("GET");
    walk(browser, response, origins).await
}

/// The users whose id starts with `prefix`, read from the server's SQLite file.
pub(crate) async fn users(tenant: &Tenant, prefix: &str) -> Vec<Value> {
    let path = tenant.server.data_dir.join("vestibule.db");
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .expect("open SQLite");
    let rows: Vec<String> = sqlx::query_scalar("SELECT data FROM users WHERE user_id LIKE ?1")
        .bind(format!("{prefix}%"))
        .fetch_all(&mut db)
        .await
        .expect("users");
    rows.iter()
        .map(|row| serde_json::from_str(row).expect("user JSON"))
        .collect()
}

pub(crate) async fn code_to_id_token(
    tenant: &Tenant,
    app: &App,
    request: &AuthRequest,
    at: &Url,
) -> Value {
    assert_eq!(
        query_param(at, "state").as_deref(),
        Some(request.state.as_str()),
        "{at}"
    );
    let code = query_param(at, "code").unwrap_or_else(|| panic!("no code in {at}"));
    let (status, body) = exchange(tenant, app, &code, &request.verifier).await;
    assert_eq!(status, 200, "{body}");
    jwt_claims(body["id_token"].as_str().expect("id_token"))
}

pub(crate) async fn github_login(tenant: &Tenant, app: &App, gh: &str) -> Value {
    let browser = Browser::new(tenant);
    let request = authorize(tenant, app, &[("connection", "github")]);
    let origin = tenant.origin();
    let at = start_walk(&browser, &request.url, &[origin.as_str(), gh])
        .await
        .away();
    code_to_id_token(tenant, app, &request, &at).await
}

// ------------------------------------------------------------ GitHub tests

#[tokio::test]
async fn github_preset_logs_in_with_the_verified_primary_email_only() {
    let (gh, _state) = fake_github().await;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    tenant.database(&[&app]).await;
    github_connection(&tenant, &app, &gh, "on_each_login").await;

    // From the login page's button.
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[]);
    let (status, url, html) = browser.navigate(&request.url).await.page();
    assert_eq!(status, 200, "{url}: {html}");
    let button = url
        .join(&format!(
            "/u/login/connection?state={}&connection=github",
            query_param(&url, "state").unwrap()
        ))
        .unwrap();
    assert!(html.contains("connection=github"), "{html}");
    let origin = tenant.origin();
    let at = start_walk(&browser, button.as_str(), &[origin.as_str(), gh.as_str()])
        .await
        .away();
    let claims = code_to_id_token(&tenant, &app, &request, &at).await;
    assert_eq!(claims["sub"], "github|583231", "{claims}");
    assert_eq!(claims["email"], "octocat@example.com", "{claims}");
    assert_eq!(claims["email_verified"], true, "{claims}");
    assert_eq!(claims["nickname"], "octocat", "{claims}");

    let stored = users(&tenant, "github|").await;
    assert_eq!(stored.len(), 1);
    let user = &stored[0];
    assert_eq!(user["email"], "octocat@example.com");
    let identity = &user["identities"][0];
    assert_eq!(identity["provider"], "github");
    assert_eq!(identity["user_id"], "583231");
    assert_eq!(identity["is_social"], true);
    assert_eq!(identity["connection"], "github");
    let sealed = identity["upstream_tokens"].as_str().expect("sealed tokens");
    assert!(
        !sealed.contains("gho_"),
        "upstream tokens are stored sealed"
    );

    // `/authorize?connection=github` goes straight upstream; the second login
    // is the same user.
    let claims = github_login(&tenant, &app, &gh).await;
    assert_eq!(claims["sub"], "github|583231");
    assert_eq!(users(&tenant, "github|").await[0]["logins_count"], 2);
}

#[tokio::test]
async fn profile_sync_on_each_login_versus_on_first_login() {
    for (sync, expect_updated) in [("on_each_login", true), ("on_first_login", false)] {
        let (gh, state) = fake_github().await;
        let tenant = Tenant::start().await;
        let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
        github_connection(&tenant, &app, &gh, sync).await;
        github_login(&tenant, &app, &gh).await;
        assert_eq!(users(&tenant, "github|").await[0]["name"], "The Octocat");

        state.lock().unwrap().user["name"] = json!("Mona Lisa Octocat");
        let claims = github_login(&tenant, &app, &gh).await;
        let user = &users(&tenant, "github|").await[0];
        let expected = if expect_updated {
            "Mona Lisa Octocat"
        } else {
            "The Octocat"
        };
        assert_eq!(user["name"], expected, "{sync}: {user}");
        assert_eq!(claims["name"], expected, "{sync}: {claims}");
        // profileData follows the upstream whatever the setting.
        assert_eq!(
            user["identities"][0]["profile_data"]["name"], "Mona Lisa Octocat",
            "{sync}: {user}"
        );
    }
}

#[tokio::test]
async fn forged_and_replayed_state_and_upstream_errors_create_no_user() {
    let (gh, state) = fake_github().await;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    github_connection(&tenant, &app, &gh, "on_each_login").await;
    let origin = tenant.origin();

    // Forged state.
    let browser = Browser::new(&tenant);
    let forged = tenant
        .server
        .url("/login/callback?code=code-0&state=forged-state-value");
    let (status, _, html) = start_walk(&browser, &forged, &[origin.as_str()])
        .await
        .page();
    assert_eq!(status, 400, "{html}");

    // Replayed callback: the first one logs in, the second is refused.
    let request = authorize(&tenant, &app, &[("connection", "github")]);
    let upstream = match start_walk(&browser, &request.url, &[origin.as_str()]).await {
        Landing::Away(url) => url,
        other => panic!("expected the upstream: {other:?}"),
    };
    let response = browser.client.get(upstream).send().await.unwrap();
    let callback = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(callback.path().ends_with("/login/callback"), "{callback}");
    let first = start_walk(&browser, callback.as_str(), &[origin.as_str()])
        .await
        .away();
    assert!(query_param(&first, "code").is_some(), "{first}");
    let (status, _, html) = start_walk(&browser, callback.as_str(), &[origin.as_str()])
        .await
        .page();
    assert_eq!(status, 400, "replayed callback: {html}");
    assert_eq!(users(&tenant, "github|").await.len(), 1);

    // Another browser cannot finish a login started here.
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[("connection", "github")]);
    let upstream = start_walk(&browser, &request.url, &[origin.as_str()])
        .await
        .away();
    let response = browser.client.get(upstream).send().await.unwrap();
    let callback = response.headers()["location"].to_str().unwrap().to_owned();
    let other_browser = Browser::new(&tenant);
    let (status, _, html) = start_walk(&other_browser, &callback, &[origin.as_str()])
        .await
        .page();
    assert_eq!(status, 400, "other browser: {html}");

    // The upstream refuses: the client gets access_denied, no user.
    let tenant2 = Tenant::start().await;
    let app2 = tenant2.client("A", REDIRECT_A, "client_secret_basic").await;
    github_connection(&tenant2, &app2, &gh, "on_each_login").await;
    state.lock().unwrap().deny = true;
    let browser = Browser::new(&tenant2);
    let request = authorize(&tenant2, &app2, &[("connection", "github")]);
    let origin2 = tenant2.origin();
    let at = start_walk(&browser, &request.url, &[origin2.as_str(), gh.as_str()])
        .await
        .away();
    assert!(at.as_str().starts_with(REDIRECT_A), "{at}");
    assert_eq!(
        query_param(&at, "error").as_deref(),
        Some("access_denied"),
        "{at}"
    );
    assert_eq!(
        query_param(&at, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert!(users(&tenant2, "github|").await.is_empty());
}

#[tokio::test]
async fn an_unreachable_upstream_is_an_error_to_the_client() {
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    let dead = format!("http://127.0.0.1:{}", harness::free_port());
    github_connection(&tenant, &app, &dead, "on_each_login").await;
    // The authorization URL needs no request; the code exchange fails.
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[("connection", "github")]);
    let origin = tenant.origin();
    let upstream = start_walk(&browser, &request.url, &[origin.as_str()])
        .await
        .away();
    let state = query_param(&upstream, "state").unwrap();
    let callback = tenant
        .server
        .url(&format!("/login/callback?code=x&state={state}"));
    let at = start_walk(&browser, &callback, &[origin.as_str()])
        .await
        .away();
    assert_eq!(
        query_param(&at, "error").as_deref(),
        Some("server_error"),
        "{at}"
    );
    assert!(users(&tenant, "github|").await.is_empty());
}

// ------------------------------------------------------------ oidc-provider

/// `tests/sdk/upstream-op.mjs` on a free port; killed when dropped.
pub(crate) struct UpstreamOp {
    pub(crate) origin: String,
    _child: tokio::process::Child,
}

async fn start_op(callback: &str) -> UpstreamOp {
    start_op_with(callback, &[]).await
}

/// [`start_op`] with extra environment (`PKJWT_JWKS`, …).
pub(crate) async fn start_op_with(callback: &str, env: &[(&str, String)]) -> UpstreamOp {
    let sdk_dir = sdk_packages().await;
    let port = harness::free_port();
    let child = tokio::process::Command::new("node")
        .arg(sdk_dir.join("upstream-op.mjs"))
        .current_dir(&sdk_dir)
        .env("OP_PORT", port.to_string())
        .env("REDIRECT_URI", callback)
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    let address = format!("127.0.0.1:{port}");
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(&address).await.is_ok() {
            return UpstreamOp {
                origin: format!("http://{address}"),
                _child: child,
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("upstream-op.mjs did not start");
}

/// A login through the OP: Vestibule → OP login form → OP consent →
/// Vestibule callback → the client.
async fn op_login(tenant: &Tenant, app: &App, op: &UpstreamOp, connection: &str) -> Value {
    let (request, at) = op_login_to_client(tenant, app, op, connection).await;
    code_to_id_token(tenant, app, &request, &at).await
}

/// [`op_login`] up to the redirect to the client, whatever it carries.
pub(crate) async fn op_login_to_client(
    tenant: &Tenant,
    app: &App,
    op: &UpstreamOp,
    connection: &str,
) -> (AuthRequest, Url) {
    let browser = Browser::new(tenant);
    let request = authorize(tenant, app, &[("connection", connection)]);
    let origin = tenant.origin();
    let origins = [origin.as_str(), op.origin.as_str()];
    let (status, url, html) = start_walk(&browser, &request.url, &origins).await.page();
    assert_eq!(status, 200, "{url}: {html}");
    let form = login_form(&html, &url).unwrap_or_else(|| panic!("no OP login form: {html}"));
    let response = browser
        .client
        .post(form.action)
        .form(&[("login", "alice"), ("password", "wonderland")])
        .send()
        .await
        .unwrap();
    let at = walk(&browser, response, &origins).await.away();
    (request, at)
}

#[tokio::test]
async fn oidc_provider_upstream_with_discovery_and_with_manual_endpoints() {
    let Some(versions) = toolchain_or_skip(
        "oidc_provider_upstream_with_discovery_and_with_manual_endpoints",
        node_toolchain(),
    ) else {
        return;
    };
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    let callback = format!("{}login/callback", tenant.server.issuer());
    let op = start_op(&callback).await;
    let issuer = op.origin.clone();
    tenant
        .connection(json!({
            "name": "peer-discovery",
            "strategy": "oidc",
            "options": {
                "type": "back_channel",
                "client_id": "vestibule-post",
                "client_secret": "upstream-secret-0123456789",
                "discovery_url": format!("{issuer}/.well-known/openid-configuration"),
                "scope": "openid profile email",
            },
            "enabled_clients": [app.id],
        }))
        .await;
    tenant
        .connection(json!({
            "name": "peer-manual",
            "strategy": "oidc",
            "options": {
                "type": "back_channel",
                "client_id": "vestibule-basic",
                "client_secret": "upstream-secret-0123456789",
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/auth"),
                "token_endpoint": format!("{issuer}/token"),
                "userinfo_endpoint": format!("{issuer}/me"),
                "jwks_uri": format!("{issuer}/jwks"),
                "oidc_metadata": {"token_endpoint_auth_methods_supported": ["client_secret_basic"]},
                "scope": "openid profile email",
            },
            "enabled_clients": [app.id],
        }))
        .await;

    for connection in ["peer-discovery", "peer-manual"] {
        let claims = op_login(&tenant, &app, &op, connection).await;
        assert_eq!(
            claims["sub"],
            format!("oidc|{connection}|user-alice-0001"),
            "{connection}: {claims}"
        );
        assert_eq!(
            claims["email"], "alice@example.test",
            "{connection}: {claims}"
        );
        assert_eq!(claims["name"], "Alice Liddell", "{connection}: {claims}");
    }
    // Two connections, two users: an upstream's ids are its own, and
    // accounts are never linked automatically (not even on a verified email).
    let stored = users(&tenant, "oidc|").await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    for user in &stored {
        assert_eq!(user["identities"].as_array().unwrap().len(), 1, "{user}");
        assert_eq!(user["identities"][0]["is_social"], false);
    }
    // A second login through the same connection is the same user.
    let claims = op_login(&tenant, &app, &op, "peer-discovery").await;
    assert_eq!(claims["sub"], "oidc|peer-discovery|user-alice-0001");
    assert_eq!(users(&tenant, "oidc|").await.len(), 2);

    // The same two logins with a certified RP library downstream:
    // openid-client discovers Vestibule, sends `connection=`, and validates
    // the ID token Vestibule issues after the upstream login.
    crate::login::run_rp(
        &tenant,
        &app,
        &versions,
        &[
            ("UPSTREAM_CONNECTIONS", "peer-discovery,peer-manual"),
            ("USERNAME", "alice"),
            ("PASSWORD", "wonderland"),
            ("EXPECT_EMAIL", "alice@example.test"),
        ],
    )
    .await;
    assert_eq!(users(&tenant, "oidc|").await.len(), 2);
}

#[tokio::test]
async fn upstreams_on_inner_addresses_are_refused_by_default() {
    // The production default: the harness allows loopback upstreams, this
    // server does not.
    let server = harness::Server::start_with(harness::ServerOptions {
        env: vec![("VESTIBULE_ALLOW_PRIVATE_UPSTREAMS".into(), "false".into())],
        ..harness::ServerOptions::default()
    });
    let token = harness::management_token(&server).await;
    let tenant = Tenant { server, token };
    let (gh, state) = fake_github().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    github_connection(&tenant, &app, &gh, "on_each_login").await;
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[("connection", "github")]);
    let origin = tenant.origin();
    // The browser reaches the (loopback) authorization page itself; the
    // server's own requests to the token endpoint are refused.
    let at = start_walk(&browser, &request.url, &[origin.as_str(), gh.as_str()])
        .await
        .away();
    assert_eq!(
        query_param(&at, "error").as_deref(),
        Some("server_error"),
        "{at}"
    );
    let (tokens, codes) = {
        let state = state.lock().unwrap();
        (state.tokens.len(), state.codes.len())
    };
    assert_eq!(tokens, 0, "the token endpoint was never called");
    assert_eq!(codes, 1, "the code was never redeemed");
    assert!(users(&tenant, "github|").await.is_empty());
}

/// A cross-site form POST to the callback (no transaction cookie) is posted
/// again from this origin to the very same URL, query included: SAML's
/// assertion consumer is `/login/callback?connection={name}`.
#[tokio::test]
async fn the_callback_re_post_keeps_the_query_string() {
    let tenant = Tenant::start().await;
    let url = tenant.server.url("/login/callback?connection=corp-saml");
    let page = crate::harness::http()
        .post(&url)
        .header("origin", "https://idp.example")
        .form(&[("SAMLResponse", "PHNhbWw+"), ("RelayState", "abc")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let (action, fields) = crate::apple::hidden_form(&page.text().await.unwrap());
    assert_eq!(action, url);
    assert!(
        fields.contains(&("RelayState".to_owned(), "abc".to_owned())),
        "{fields:?}"
    );
}
