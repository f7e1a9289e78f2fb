//! `google-oauth2` (and `google-apps`) end to end against a local server
//! that speaks Google's documented OpenID Connect API: the authorization
//! endpoint (`accounts.google.com/o/oauth2/v2/auth` parameters), the token
//! endpoint (`oauth2.googleapis.com/token`: an RS256 ID token with
//! `iss` = `https://accounts.google.com`, `aud` = `azp` = the client id, the
//! login's `nonce`, and an access token), the JWKS
//! (`www.googleapis.com/oauth2/v3/certs`) and user-info
//! (`openidconnect.googleapis.com/v1/userinfo`). The preset's endpoint
//! overrides point at it; the issuer stays Google's.

use crate::support::{App, REDIRECT_A, Tenant, authorize, query_param};
use crate::upstream::{code_to_id_token, start_walk, users};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use crypto::{KeyPair, SigningAlg};
use model::Clock as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use url::Url;

const CLIENT_ID: &str = "123456789012-abcdefghijklmnop.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "GOCSPX-test-secret-0123456789";
const SUB: &str = "110169484474386276334";
const EMAIL: &str = "ada@example.com";
const HOSTED_DOMAIN: &str = "example.com";

/// What is wrong with the next ID tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    None,
    /// Issued to another client (`aud` and `azp`).
    WrongAudience,
    /// Signed by Google's key, but naming another issuer.
    WrongIssuer,
    /// Expired an hour ago.
    Expired,
}

struct Grant {
    redirect_uri: String,
    challenge: String,
    nonce: String,
}

struct GoogleState {
    key: KeyPair,
    kid: String,
    codes: HashMap<String, Grant>,
    tokens: Vec<String>,
    issued: usize,
    flaw: Flaw,
    /// `https://accounts.google.com`, or the other spelling Google documents.
    issuer: &'static str,
    /// The query of every authorization request.
    requests: Vec<HashMap<String, String>>,
}

type Shared = Arc<Mutex<GoogleState>>;

async fn authorization(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().unwrap();
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    // Google's documented requirements for a server-side web app with PKCE.
    let valid = param("client_id") == CLIENT_ID
        && param("response_type") == "code"
        && param("scope").split(' ').any(|s| s == "openid")
        && param("code_challenge_method") == "S256"
        && !param("code_challenge").is_empty()
        && !param("nonce").is_empty()
        && !param("state").is_empty();
    state.requests.push(params.clone());
    let mut target = Url::parse(&param("redirect_uri")).expect("redirect_uri");
    if !valid {
        target
            .query_pairs_mut()
            .append_pair("error", "invalid_request")
            .append_pair("state", &param("state"));
        return Redirect::to(target.as_str()).into_response();
    }
    let code = format!("4/0A{}", state.codes.len() + state.issued);
    state.codes.insert(
        code.clone(),
        Grant {
            redirect_uri: param("redirect_uri"),
            challenge: param("code_challenge"),
            nonce: param("nonce"),
        },
    );
    // Google adds scope, authuser, hd and prompt to its answer.
    target
        .query_pairs_mut()
        .append_pair("state", &param("state"))
        .append_pair("code", &code)
        .append_pair(
            "scope",
            "email profile openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
        )
        .append_pair("authuser", "0")
        .append_pair("hd", HOSTED_DOMAIN)
        .append_pair("prompt", "consent");
    Redirect::to(target.as_str()).into_response()
}

fn google_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(State(state): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut state = state.lock().unwrap();
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
        return google_error("invalid_client", "Unauthorized");
    }
    let Some(grant) = state.codes.remove(&field("code")) else {
        return google_error("invalid_grant", "Malformed auth code.");
    };
    let computed =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            field("code_verifier").as_bytes(),
        ));
    if field("grant_type") != "authorization_code"
        || field("redirect_uri") != grant.redirect_uri
        || computed != grant.challenge
    {
        return google_error("invalid_grant", "Bad Request");
    }
    state.issued += 1;
    let access_token = format!("ya29.a0AfB_{}", state.issued);
    state.tokens.push(access_token.clone());
    let now = model::SystemClock.now_seconds();
    let (audience, issuer, iat) = match state.flaw {
        Flaw::None => (CLIENT_ID, state.issuer, now),
        Flaw::WrongAudience => (
            "999999999999-someoneelse.apps.googleusercontent.com",
            state.issuer,
            now,
        ),
        Flaw::WrongIssuer => (CLIENT_ID, "https://accounts.google.com.evil.example", now),
        Flaw::Expired => (CLIENT_ID, state.issuer, now - 7200),
    };
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    let at_hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&hash.as_ref()[..16]);
    let claims = json!({
        "iss": issuer,
        "azp": audience,
        "aud": audience,
        "sub": SUB,
        "hd": HOSTED_DOMAIN,
        "email": EMAIL,
        "email_verified": true,
        "at_hash": at_hash,
        "nonce": grant.nonce,
        "name": "Ada Lovelace",
        "picture": "https://lh3.googleusercontent.com/a/ACg8ocAda=s96-c",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "iat": iat,
        "exp": iat + 3599,
    });
    let id_token = state.key.sign_jwt(&state.kid, None, &claims).unwrap();
    axum::Json(json!({
        "access_token": access_token,
        "expires_in": 3599,
        "scope": "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
        "token_type": "Bearer",
        "id_token": id_token,
    }))
    .into_response()
}

async fn certs(State(state): State<Shared>) -> Response {
    let state = state.lock().unwrap();
    axum::Json(json!({"keys": [state.key.public_jwk(&state.kid)]})).into_response()
}

async fn userinfo(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let state = state.lock().unwrap();
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| state.tokens.iter().any(|k| k == t));
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({"error": "invalid_request", "error_description": "Invalid Credentials"}),
            ),
        )
            .into_response();
    }
    axum::Json(json!({
        "sub": SUB,
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "picture": "https://lh3.googleusercontent.com/a/ACg8ocAda=s96-c",
        "email": EMAIL,
        "email_verified": true,
        "hd": HOSTED_DOMAIN,
    }))
    .into_response()
}

/// Starts the fake Google on a free port; returns its origin and state.
async fn fake_google() -> (String, Shared) {
    let key = tokio::task::spawn_blocking(|| KeyPair::generate(SigningAlg::Rs256).unwrap())
        .await
        .unwrap();
    let state: Shared = Arc::new(Mutex::new(GoogleState {
        kid: key.thumbprint()[..16].to_owned(),
        key,
        codes: HashMap::new(),
        tokens: Vec::new(),
        issued: 0,
        flaw: Flaw::None,
        issuer: "https://accounts.google.com",
        requests: Vec::new(),
    }));
    let app = axum::Router::new()
        .route("/o/oauth2/v2/auth", get(authorization))
        .route("/token", post(token))
        .route("/oauth2/v3/certs", get(certs))
        .route("/v1/userinfo", get(userinfo))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, state)
}

/// The endpoint overrides that point a Google connection at the fake.
fn endpoints(origin: &str) -> Value {
    json!({
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "authorization_endpoint": format!("{origin}/o/oauth2/v2/auth"),
        "token_endpoint": format!("{origin}/token"),
        "jwks_uri": format!("{origin}/oauth2/v3/certs"),
        "userinfo_endpoint": format!("{origin}/v1/userinfo"),
    })
}

/// A login through a connection; the redirect to the client.
async fn login(tenant: &Tenant, app: &App, google: &str, connection: &str) -> (Url, String) {
    let browser = crate::support::Browser::new(tenant);
    let request = authorize(tenant, app, &[("connection", connection)]);
    let origin = tenant.origin();
    let at = start_walk(&browser, &request.url, &[origin.as_str(), google])
        .await
        .away();
    (at, request.state)
}

#[tokio::test]
async fn google_preset_logs_in_with_the_mapped_profile() {
    let (google, state) = fake_google().await;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    tenant
        .connection(json!({
            "name": "google-oauth2",
            "strategy": "google-oauth2",
            "options": endpoints(&google),
            "enabled_clients": [app.id],
        }))
        .await;

    // Google's two documented spellings of its issuer are both accepted.
    for (round, issuer) in [
        (1, "https://accounts.google.com"),
        (2, "accounts.google.com"),
    ] {
        state.lock().unwrap().issuer = issuer;
        let browser = crate::support::Browser::new(&tenant);
        let request = authorize(&tenant, &app, &[("connection", "google-oauth2")]);
        let origin = tenant.origin();
        let at = start_walk(&browser, &request.url, &[origin.as_str(), google.as_str()])
            .await
            .away();
        let claims = code_to_id_token(&tenant, &app, &request, &at).await;
        assert_eq!(claims["sub"], format!("google-oauth2|{SUB}"), "{claims}");
        assert_eq!(claims["email"], EMAIL, "{claims}");
        assert_eq!(claims["email_verified"], true, "{claims}");
        assert_eq!(claims["name"], "Ada Lovelace", "{claims}");
        assert_eq!(claims["given_name"], "Ada", "{claims}");
        assert_eq!(claims["family_name"], "Lovelace", "{claims}");
        assert_eq!(
            claims["picture"], "https://lh3.googleusercontent.com/a/ACg8ocAda=s96-c",
            "{claims}"
        );

        let stored = users(&tenant, "google-oauth2|").await;
        assert_eq!(stored.len(), 1, "{stored:?}");
        let user = &stored[0];
        assert_eq!(user["logins_count"], round, "{user}");
        let identity = &user["identities"][0];
        assert_eq!(identity["provider"], "google-oauth2");
        assert_eq!(identity["user_id"], SUB);
        assert_eq!(identity["is_social"], true);
        // `hd` is Google's hosted-domain claim: kept in profileData (the
        // `google-oauth2` preset admits every Google account; `google-apps`
        // is the one that restricts by it).
        assert_eq!(identity["profile_data"]["hd"], HOSTED_DOMAIN, "{identity}");
        assert!(
            identity["profile_data"].get("nonce").is_none(),
            "{identity}"
        );
        assert!(
            identity["profile_data"].get("at_hash").is_none(),
            "{identity}"
        );
        let sealed = identity["upstream_tokens"].as_str().expect("sealed tokens");
        assert!(!sealed.contains("ya29."), "upstream tokens are sealed");
    }

    // The authorization request Google received.
    let requests = state.lock().unwrap().requests.clone();
    let first = &requests[0];
    let scopes: Vec<&str> = first["scope"].split(' ').collect();
    for scope in ["openid", "email", "profile"] {
        assert!(scopes.contains(&scope), "{first:?}");
    }
    assert_eq!(
        first["redirect_uri"],
        format!("{}login/callback", tenant.server.issuer())
    );
}

#[tokio::test]
async fn google_id_tokens_for_another_audience_issuer_or_time_create_no_user() {
    let (google, state) = fake_google().await;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    tenant
        .connection(json!({
            "name": "google-oauth2",
            "strategy": "google-oauth2",
            "options": endpoints(&google),
            "enabled_clients": [app.id],
        }))
        .await;
    for flaw in [Flaw::WrongAudience, Flaw::WrongIssuer, Flaw::Expired] {
        state.lock().unwrap().flaw = flaw;
        let (at, sent_state) = login(&tenant, &app, &google, "google-oauth2").await;
        assert!(at.as_str().starts_with(REDIRECT_A), "{flaw:?}: {at}");
        assert_eq!(
            query_param(&at, "error").as_deref(),
            Some("server_error"),
            "{flaw:?}: {at}"
        );
        assert_eq!(query_param(&at, "state"), Some(sent_state), "{flaw:?}");
        assert!(query_param(&at, "code").is_none(), "{flaw:?}: {at}");
        assert!(
            users(&tenant, "google-oauth2|").await.is_empty(),
            "{flaw:?} created a user"
        );
    }
    // Each login did reach the token endpoint: the ID token was what failed.
    assert_eq!(state.lock().unwrap().issued, 3);
    // And the same connection logs in once the tokens are right.
    state.lock().unwrap().flaw = Flaw::None;
    let (at, _) = login(&tenant, &app, &google, "google-oauth2").await;
    assert!(query_param(&at, "code").is_some(), "{at}");
    assert_eq!(users(&tenant, "google-oauth2|").await.len(), 1);
}

#[tokio::test]
async fn google_apps_admits_only_its_workspace_domain() {
    let (google, state) = fake_google().await;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    for (name, domain) in [
        ("workspace", HOSTED_DOMAIN),
        ("other-workspace", "acme.test"),
    ] {
        let mut options = endpoints(&google);
        options["domain"] = json!(domain);
        tenant
            .connection(json!({
                "name": name,
                "strategy": "google-apps",
                "options": options,
                "enabled_clients": [app.id],
            }))
            .await;
    }

    // The account's hd is another domain: refused, nobody created.
    let (at, _) = login(&tenant, &app, &google, "other-workspace").await;
    assert_eq!(
        query_param(&at, "error").as_deref(),
        Some("server_error"),
        "{at}"
    );
    assert!(users(&tenant, "google-apps|").await.is_empty());
    assert_eq!(
        state.lock().unwrap().requests[0]
            .get("hd")
            .map(String::as_str),
        Some("acme.test"),
        "the domain is sent as the hd hint"
    );

    let (at, _) = login(&tenant, &app, &google, "workspace").await;
    assert!(query_param(&at, "code").is_some(), "{at}");
    let stored = users(&tenant, "google-apps|").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["email"], EMAIL);
    assert_eq!(stored[0]["identities"][0]["connection"], "workspace");
    assert_eq!(stored[0]["identities"][0]["is_social"], false);
}
