//! Sign in with Apple end to end, against a local server that speaks
//! Apple's documented API: its token endpoint verifies the ES256 client
//! secret (with the public half of the test `.p8` key: `iss` = team id,
//! `sub` = Services ID, `aud` = Apple, a short `exp`) and refuses anything
//! else; it answers with an RS256 ID token (issuer
//! `https://appleid.apple.com`) verifiable with its JWKS; and the
//! authorization answer is a `form_post` that carries the `user` JSON on
//! the first authorization only.

use crate::support::{App, Browser, REDIRECT_A, Tenant, authorize, query_param};
use crate::upstream::{code_to_id_token, start_walk, users, walk};
use axum::extract::{Form, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use crypto::{Expectations, KeyPair, PublicKey, SigningAlg};
use model::Clock as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use url::Url;

pub(crate) const APPLE_ISSUER: &str = "https://appleid.apple.com";
const SERVICES_ID: &str = "com.example.vestibule";
const TEAM_ID: &str = "TEAM123456";
const KEY_ID: &str = "KEY1234567";
const SUB: &str = "001234.5a6b7c8d9e0f.1234";

pub(crate) struct AppleState {
    /// The public half of the connection's `.p8` key.
    client_key: PublicKey,
    /// Signs ID tokens (RS256), published at `/auth/keys`.
    id_key: KeyPair,
    /// code -> (redirect_uri, nonce)
    codes: HashMap<String, (String, String)>,
    authorizations: u32,
    /// Token requests refused for a bad client secret.
    pub(crate) refused: u32,
    pub(crate) email_verified: Value,
}

pub(crate) type Shared = Arc<Mutex<AppleState>>;

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `GET /auth/authorize`: Apple's consent, answered with an auto-submitted
/// form (`response_mode=form_post`).
async fn authorize_endpoint(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().unwrap();
    assert_eq!(params["client_id"], SERVICES_ID);
    assert_eq!(params["response_type"], "code");
    assert_eq!(
        params["response_mode"], "form_post",
        "Apple requires form_post with scopes"
    );
    assert_eq!(params["scope"], "name email");
    state.authorizations += 1;
    let code = format!("c{}", state.authorizations);
    state.codes.insert(
        code.clone(),
        (params["redirect_uri"].clone(), params["nonce"].clone()),
    );
    let mut fields = vec![("code", code), ("state", params["state"].clone())];
    if state.authorizations == 1 {
        // Only the first authorization carries the name; its email is not
        // the one to trust.
        fields.push((
            "user",
            json!({"name": {"firstName": "Ada", "lastName": "Lovelace"}, "email": "someone-else@example.com"})
                .to_string(),
        ));
    }
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><form method=\"post\" action=\"{}\">{inputs}</form>",
        escape(&params["redirect_uri"])
    ))
    .into_response()
}

/// Verifies Apple's client secret rules.
fn client_secret_ok(state: &AppleState, secret: &str, now: i64) -> bool {
    let expected = Expectations::new(TEAM_ID, APPLE_ISSUER);
    let Ok(claims) = crypto::verify_jwt(
        secret,
        std::slice::from_ref(&state.client_key),
        &[SigningAlg::Es256],
        &expected,
        now,
    ) else {
        return false;
    };
    let header = jwt_claims_header(secret);
    let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    header["kid"] == KEY_ID
        && header["alg"] == "ES256"
        && claims["sub"] == SERVICES_ID
        && lifetime > 0
        && lifetime <= 15_777_000
}

fn jwt_claims_header(token: &str) -> Value {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

/// `POST /auth/token`
async fn token_endpoint(
    State(state): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let now = model::SystemClock.now_seconds();
    let mut state = state.lock().unwrap();
    let secret = form.get("client_secret").cloned().unwrap_or_default();
    if form.get("client_id").map(String::as_str) != Some(SERVICES_ID)
        || !client_secret_ok(&state, &secret, now)
    {
        state.refused += 1;
        return (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let entry = form.get("code").and_then(|code| state.codes.remove(code));
    let Some((redirect_uri, nonce)) =
        entry.filter(|(uri, _)| form.get("redirect_uri") == Some(uri))
    else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let _ = redirect_uri;
    let id_token = state
        .id_key
        .sign_jwt(
            "apple-key-1",
            None,
            &json!({
                "iss": APPLE_ISSUER, "aud": SERVICES_ID, "sub": SUB,
                "iat": now, "exp": now + 600, "auth_time": now,
                "nonce": nonce, "nonce_supported": true,
                "email": "ada@privaterelay.appleid.com",
                "email_verified": state.email_verified,
                "is_private_email": "true",
            }),
        )
        .unwrap();
    axum::Json(json!({
        "access_token": "apple-access", "token_type": "Bearer", "expires_in": 3600,
        "refresh_token": "apple-refresh", "id_token": id_token,
    }))
    .into_response()
}

async fn keys_endpoint(State(state): State<Shared>) -> Response {
    let state = state.lock().unwrap();
    axum::Json(json!({"keys": [state.id_key.public_jwk("apple-key-1")]})).into_response()
}

/// The fake Apple on a free port: its origin and state. `client_pem` is the
/// connection's `.p8` key, whose public half checks client secrets.
pub(crate) async fn fake_apple(client_key: &KeyPair) -> (String, Shared) {
    let id_key = tokio::task::spawn_blocking(|| KeyPair::generate(SigningAlg::Rs256).unwrap())
        .await
        .unwrap();
    let state: Shared = Arc::new(Mutex::new(AppleState {
        client_key: PublicKey::from_key_pair(client_key, KEY_ID).unwrap(),
        id_key,
        codes: HashMap::new(),
        authorizations: 0,
        refused: 0,
        email_verified: json!("true"),
    }));
    let app = axum::Router::new()
        .route("/auth/authorize", get(authorize_endpoint))
        .route("/auth/token", post(token_endpoint))
        .route("/auth/keys", get(keys_endpoint))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, state)
}

/// A PKCS#8 PEM of a key, as Apple's `.p8` download is.
pub(crate) fn pem(key: &KeyPair) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(key.pkcs8_der());
    format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
}

fn decode(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&#x3d;", "=")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The action and hidden fields of the first form of a page.
pub(crate) fn hidden_form(html: &str) -> (String, Vec<(String, String)>) {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let needle = format!("{name}=\"");
        let start = tag.find(&needle)? + needle.len();
        let end = start + tag[start..].find('"')?;
        Some(decode(&tag[start..end]))
    };
    let form_start = html.find("<form").expect("a form");
    let form_tag = &html[form_start..form_start + html[form_start..].find('>').unwrap()];
    let action = attr(form_tag, "action").expect("action");
    let mut fields = Vec::new();
    for piece in html[form_start..].split("<input").skip(1) {
        let tag = &piece[..piece.find('>').unwrap()];
        if let (Some(name), Some(value)) = (attr(tag, "name"), attr(tag, "value")) {
            fields.push((name, value));
        }
    }
    (action, fields)
}

async fn apple_connection(tenant: &Tenant, app: &App, origin: &str, key: &str, sync: &str) {
    tenant
        .connection(json!({
            "name": "apple",
            "strategy": "apple",
            "options": {
                "client_id": SERVICES_ID,
                "app_secret": key,
                "team_id": TEAM_ID,
                "kid": KEY_ID,
                "authorization_endpoint": format!("{origin}/auth/authorize"),
                "token_endpoint": format!("{origin}/auth/token"),
                "jwks_uri": format!("{origin}/auth/keys"),
                "set_user_root_attributes": sync,
            },
            "enabled_clients": [app.id],
        }))
        .await;
}

/// One login through the fake Apple, the way a browser does it: Apple's
/// page posts cross-site (the `SameSite=Lax` transaction cookie stays
/// home), Vestibule's page re-posts from its own origin (with it). The ID
/// token's claims, or where the client was sent without a code.
async fn apple_login(tenant: &Tenant, app: &App, apple: &str) -> Result<Value, Url> {
    let browser = Browser::new(tenant);
    let request = authorize(tenant, app, &[("connection", "apple")]);
    let origin = tenant.origin();
    let upstream = start_walk(&browser, &request.url, &[origin.as_str()])
        .await
        .away();
    assert!(upstream.as_str().starts_with(apple), "{upstream}");
    let page = browser.client.get(upstream).send().await.unwrap();
    let (action, fields) = hidden_form(&page.text().await.unwrap());
    assert!(action.ends_with("/login/callback"), "{action}");
    let cross_site = crate::harness::http()
        .post(&action)
        .header("origin", APPLE_ISSUER)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 200, "the re-post page");
    let (again, fields) = hidden_form(&cross_site.text().await.unwrap());
    let response = browser
        .client
        .post(&again)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let at = walk(&browser, response, &[origin.as_str()]).await.away();
    if query_param(&at, "code").is_none() {
        return Err(at);
    }
    Ok(code_to_id_token(tenant, app, &request, &at).await)
}

#[tokio::test]
async fn apple_names_the_user_at_the_first_login_and_keeps_it() {
    let client_key = KeyPair::generate(SigningAlg::Es256).unwrap();
    let (apple, state) = fake_apple(&client_key).await;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    apple_connection(&tenant, &app, &apple, &pem(&client_key), "on_each_login").await;

    let claims = apple_login(&tenant, &app, &apple).await.unwrap();
    assert_eq!(claims["sub"], format!("apple|{SUB}"), "{claims}");
    assert_eq!(claims["name"], "Ada Lovelace", "{claims}");
    assert_eq!(claims["given_name"], "Ada", "{claims}");
    assert_eq!(claims["family_name"], "Lovelace", "{claims}");
    // The signed ID token's email, never the `user` field's; Apple's string
    // "true" counts as verified.
    assert_eq!(claims["email"], "ada@privaterelay.appleid.com", "{claims}");
    assert_eq!(claims["email_verified"], true, "{claims}");

    // The second authorization has no `user` field: the name survives, and
    // Apple's string "false" is not verified.
    state.lock().unwrap().email_verified = json!("false");
    let claims = apple_login(&tenant, &app, &apple).await.unwrap();
    assert_eq!(claims["sub"], format!("apple|{SUB}"));
    assert_eq!(claims["name"], "Ada Lovelace", "{claims}");
    assert_eq!(claims["given_name"], "Ada", "{claims}");
    assert_eq!(claims["email_verified"], false, "{claims}");

    let stored = users(&tenant, "apple|").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    let user = &stored[0];
    assert_eq!(user["user_id"], format!("apple|{SUB}"));
    assert_eq!(user["name"], "Ada Lovelace");
    assert_eq!(user["family_name"], "Lovelace");
    assert_eq!(user["logins_count"], 2);
    assert_eq!(user["identities"][0]["provider"], "apple");
    assert_eq!(user["identities"][0]["is_social"], true);
    assert_eq!(state.lock().unwrap().refused, 0);
}

#[tokio::test]
async fn a_client_secret_apple_refuses_logs_nobody_in() {
    let registered = KeyPair::generate(SigningAlg::Es256).unwrap();
    let (apple, state) = fake_apple(&registered).await;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    // The connection signs with another key than the one Apple knows.
    let other = KeyPair::generate(SigningAlg::Es256).unwrap();
    apple_connection(&tenant, &app, &apple, &pem(&other), "on_each_login").await;
    let at = apple_login(&tenant, &app, &apple).await.unwrap_err();
    assert!(at.as_str().starts_with(REDIRECT_A), "{at}");
    assert_eq!(
        query_param(&at, "error").as_deref(),
        Some("server_error"),
        "{at}"
    );
    assert_eq!(state.lock().unwrap().refused, 1);
    assert!(users(&tenant, "apple|").await.is_empty());
}

#[tokio::test]
async fn apple_options_are_checked_when_the_connection_is_saved() {
    let tenant = Tenant::start().await;
    let key = KeyPair::generate(SigningAlg::Es256).unwrap();
    let rsa = tokio::task::spawn_blocking(|| KeyPair::generate(SigningAlg::Rs256).unwrap())
        .await
        .unwrap();
    for (options, field) in [
        (json!({"app_secret": "not a key"}), "app_secret"),
        (json!({"app_secret": pem(&rsa)}), "app_secret"),
        (
            json!({"app_secret": pem(&key), "team_id": "TEAM 1"}),
            "team_id",
        ),
        (json!({"client_secret": "static"}), "client_secret"),
    ] {
        let response = crate::harness::http()
            .post(tenant.server.url("/api/v2/connections"))
            .bearer_auth(&tenant.token)
            .json(&json!({"name": "apple", "strategy": "apple", "options": options}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 400, "{options}: {body}");
        assert!(
            body["message"].as_str().unwrap_or_default().contains(field),
            "{options}: {body}"
        );
    }
    // A good key is accepted and never shown again.
    let created = tenant
        .connection(json!({"name": "apple", "strategy": "apple", "options": {
            "client_id": SERVICES_ID, "app_secret": pem(&key), "team_id": TEAM_ID, "kid": KEY_ID,
        }}))
        .await;
    assert!(created["options"].get("app_secret").is_none(), "{created}");
}
