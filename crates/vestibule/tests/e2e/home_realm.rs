//! Identifier-first login with home-realm discovery, and the prompts API
//! that turns it on (`identifier_first`): an email whose domain an
//! enterprise connection of this application lists in `domain_aliases`
//! goes to that connection; any other goes to the password step, with the
//! same answer whether or not the account exists.

use crate::apple::{escape, hidden_form};
use crate::harness::{self, http, token_for};
use crate::support::{
    App, Browser, DATABASE, PASSWORD, REDIRECT_A, Tenant, authorize, query_param,
};
use crate::upstream::{code_to_id_token, fake_github, github_connection};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use crypto::{KeyPair, SigningAlg};
use model::Clock as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

const CORP_CLIENT: &str = "corp-client";
const WRONG_CREDENTIALS: &str = "Wrong email or password.";

async fn call(
    tenant: &Tenant,
    token: &str,
    method: Method,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http()
        .request(method, tenant.server.url("/api/v2/prompts"))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The corporate IdP: a front-channel OpenID Provider that signs Alice in
/// at once (`response_mode=form_post` with an RS256 ID token).
struct Idp {
    issuer: String,
    key: KeyPair,
}

async fn idp_authorize(
    State(idp): State<Arc<Idp>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let now = model::SystemClock.now_seconds();
    let id_token = idp
        .key
        .sign_jwt(
            "corp-1",
            None,
            &json!({
                "iss": idp.issuer, "aud": params["client_id"], "sub": "alice-1",
                "iat": now, "exp": now + 300, "nonce": params["nonce"],
                "email": "alice@corp.example", "email_verified": true, "name": "Alice Corp",
            }),
        )
        .unwrap();
    Html(format!(
        "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"id_token\" value=\"{id_token}\"><input type=\"hidden\" name=\"state\" value=\"{}\"></form>",
        escape(&params["redirect_uri"]),
        escape(&params["state"]),
    ))
    .into_response()
}

async fn idp_jwks(State(idp): State<Arc<Idp>>) -> Response {
    axum::Json(json!({"keys": [idp.key.public_jwk("corp-1")]})).into_response()
}

/// Starts the IdP; its issuer (`{origin}/idp`).
async fn corporate_idp() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/idp", listener.local_addr().unwrap());
    let key = tokio::task::spawn_blocking(|| KeyPair::generate(SigningAlg::Rs256).unwrap())
        .await
        .unwrap();
    let app = axum::Router::new()
        .route("/idp/authorize", get(idp_authorize))
        .route("/idp/jwks", get(idp_jwks))
        .with_state(Arc::new(Idp {
            issuer: issuer.clone(),
            key,
        }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    issuer
}

/// An `oidc` connection (front channel, endpoints by hand) listing `domain`.
async fn enterprise(tenant: &Tenant, name: &str, idp: &str, domain: &str, enabled: &[&App]) {
    let ids: Vec<&str> = enabled.iter().map(|a| a.id.as_str()).collect();
    tenant
        .connection(json!({
            "name": name,
            "strategy": "oidc",
            "options": {
                "type": "front_channel",
                "client_id": CORP_CLIENT,
                "issuer": idp,
                "authorization_endpoint": format!("{idp}/authorize"),
                "jwks_uri": format!("{idp}/jwks"),
                "domain_aliases": [domain],
            },
            "enabled_clients": ids,
        }))
        .await;
}

async fn identifier_first(tenant: &Tenant, on: bool) {
    let (status, body) = call(
        tenant,
        &tenant.token,
        Method::PATCH,
        Some(json!({"identifier_first": on})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["identifier_first"], on);
}

/// The identifier step's form: its action URL.
fn identifier_action(html: &str, base: &Url) -> Url {
    let marker = "action=\"/u/login/identifier";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no identifier form:\n{html}"))
        + "action=\"".len();
    let end = start + html[start..].find('"').unwrap();
    base.join(&html[start..end].replace("&amp;", "&")).unwrap()
}

/// Posts an identifier; the raw answer.
async fn submit_identifier(
    browser: &Browser,
    action: &Url,
    identifier: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let state = query_param(action, "state").unwrap();
    let mut request = browser
        .client
        .post(action.clone())
        .form(&[("state", state.as_str()), ("username", identifier)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn has_password_input(html: &str) -> bool {
    html.contains("type=\"password\"")
}

/// The fixture: a database connection with `bob@other.example` and
/// `alice@corp.example` (a database user too: routing must not care), an
/// enterprise connection for `corp.example` enabled for the application,
/// one for `elsewhere.example` that is not, GitHub, and `samlp` (no login yet) for
/// `saml.example`.
async fn fixture() -> (Tenant, App, String) {
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    tenant.database(&[&app]).await;
    for email in ["bob@other.example", "alice@corp.example"] {
        tenant
            .management(
                Method::POST,
                "/api/v2/users",
                json!({"connection": DATABASE, "email": email, "password": PASSWORD}),
            )
            .await;
    }
    let idp = corporate_idp().await;
    enterprise(&tenant, "corp", &idp, "corp.example", &[&app]).await;
    enterprise(&tenant, "elsewhere", &idp, "elsewhere.example", &[]).await;
    let (gh, _) = fake_github().await;
    github_connection(&tenant, &app, &gh, "on_each_login").await;
    tenant
        .connection(json!({
            "name": "saml-corp",
            "strategy": "samlp",
            "options": {
                "metadataUrl": "https://saml.example/metadata",
                "domain_aliases": ["saml.example"],
            },
            "enabled_clients": [app.id],
        }))
        .await;
    (tenant, app, idp)
}

#[tokio::test]
async fn identifier_first_routes_by_domain_only() {
    let (tenant, app, idp) = fixture().await;
    identifier_first(&tenant, true).await;
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[]);
    let (status, url, html) = browser.navigate(&request.url).await.page();
    assert_eq!(status, 200, "{html}");
    assert_eq!(url.path(), "/u/login");
    // First only the identifier, plus the social buttons; the enterprise
    // connection reached by email has none.
    assert!(!has_password_input(&html), "{html}");
    assert!(html.contains("connection=github"), "{html}");
    assert!(!html.contains("connection=corp"), "{html}");
    let action = identifier_action(&html, &url);
    // Browsers check CSP `form-action` on each redirect after a form's POST:
    // the identifier form may end at the application or at the IdP, and
    // the page names exactly those besides itself.
    let page = browser.client.get(url.as_str()).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    let idp_origin = Url::parse(&idp).unwrap().origin().ascii_serialization();
    assert!(
        csp.contains(&format!(
            "form-action 'self' http://127.0.0.1:3101 {idp_origin};"
        )),
        "{csp}"
    );

    // An enterprise domain (any case) goes to its connection, whether or
    // not the address has an account anywhere.
    let mut targets = Vec::new();
    for identifier in ["alice@corp.example", "Carol@CORP.example"] {
        let response = submit_identifier(&browser, &action, identifier, &[]).await;
        assert_eq!(response.status(), 302, "{identifier}");
        let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert!(
            location.as_str().starts_with(&format!("{idp}/authorize")),
            "{identifier}: {location}"
        );
        assert_eq!(
            query_param(&location, "client_id").as_deref(),
            Some(CORP_CLIENT)
        );
        assert_eq!(
            query_param(&location, "redirect_uri"),
            Some(format!("{}login/callback", tenant.server.issuer()))
        );
        assert!(query_param(&location, "state").is_some());
        targets.push(format!(
            "{}{}",
            location.origin().ascii_serialization(),
            location.path()
        ));
    }
    assert_eq!(targets[0], targets[1]);

    // Any other domain, a subdomain, an enterprise connection this
    // application does not enable or that cannot log in yet (`samlp`), or
    // a username: the password step, the same page for an account that
    // exists and one that does not.
    let mut pages = Vec::new();
    for identifier in [
        "bob@other.example",
        "zed@other.example",
        "dan@sub.corp.example",
        "eve@elsewhere.example",
        "gina@saml.example",
        "frank",
    ] {
        let response = submit_identifier(&browser, &action, identifier, &[]).await;
        assert_eq!(response.status(), 200, "{identifier}");
        let html = response.text().await.unwrap();
        assert!(has_password_input(&html), "{identifier}: {html}");
        assert!(
            html.contains(&format!("value=\"{identifier}\"")),
            "{identifier}: {html}"
        );
        pages.push(html.replace(identifier, "IDENTIFIER"));
    }
    assert!(
        pages.iter().all(|page| *page == pages[0]),
        "one page for all"
    );

    // The same cross-site refusal as every other form.
    let response = submit_identifier(
        &browser,
        &action,
        "alice@corp.example",
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(response.status(), 403);
    let response = submit_identifier(
        &browser,
        &action,
        "alice@corp.example",
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(response.status(), 403);
    // Another browser has no business with this transaction.
    let stranger = Browser::new(&tenant);
    let response = submit_identifier(&stranger, &action, "alice@corp.example", &[]).await;
    assert_eq!(response.status(), 400);

    // The routed login completes: the IdP posts its ID token back, and the
    // client gets a code for the enterprise user (not the database user
    // with the same email: accounts are never linked by email).
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[]);
    let (_, url, html) = browser.navigate(&request.url).await.page();
    let action = identifier_action(&html, &url);
    let response = submit_identifier(&browser, &action, "alice@corp.example", &[]).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let page = browser.client.get(&location).send().await.unwrap();
    let (callback, fields) = hidden_form(&page.text().await.unwrap());
    let response = browser
        .client
        .post(&callback)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let at = browser.follow(response).await.away();
    let claims = code_to_id_token(&tenant, &app, &request, &at).await;
    assert_eq!(claims["sub"], "oidc|corp|alice-1", "{claims}");
    assert_eq!(claims["email"], "alice@corp.example", "{claims}");
}

#[tokio::test]
async fn the_password_step_keeps_the_password_form_rules() {
    let (tenant, app, _idp) = fixture().await;
    identifier_first(&tenant, true).await;
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[("login_hint", "bob@other.example")]);
    let (_, url, html) = browser.navigate(&request.url).await.page();
    // login_hint fills the identifier in.
    assert!(html.contains("value=\"bob@other.example\""), "{html}");
    let action = identifier_action(&html, &url);
    let response = submit_identifier(&browser, &action, "bob@other.example", &[]).await;
    let page_url = response.url().clone();
    let html = response.text().await.unwrap();

    // A wrong password: the usual answer, still the password step.
    let response = browser
        .post_login(
            &page_url,
            &html,
            "bob@other.example",
            "Wrong-Password-1",
            &[],
        )
        .await;
    assert_eq!(response.status(), 400);
    let again = response.text().await.unwrap();
    assert!(again.contains(WRONG_CREDENTIALS), "{again}");
    assert!(has_password_input(&again), "{again}");
    // An unknown account answers exactly alike.
    let response = browser
        .post_login(
            &page_url,
            &html,
            "zed@other.example",
            "Wrong-Password-1",
            &[],
        )
        .await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains(WRONG_CREDENTIALS));
    // Cross-site password posts are refused as before.
    let response = browser
        .post_login(
            &page_url,
            &html,
            "bob@other.example",
            PASSWORD,
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(response.status(), 403);

    // The right password logs in.
    let response = browser
        .post_login(&page_url, &html, "bob@other.example", PASSWORD, &[])
        .await;
    assert_eq!(response.status(), 302);
    let at = browser.follow(response).await.away();
    assert_eq!(
        query_param(&at, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert!(query_param(&at, "code").is_some(), "{at}");
}

#[tokio::test]
async fn without_identifier_first_the_page_is_unchanged() {
    let (tenant, app, _idp) = fixture().await;
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[]);
    let (status, url, html) = browser.navigate(&request.url).await.page();
    assert_eq!(status, 200);
    assert!(has_password_input(&html), "{html}");
    assert!(!html.contains("/u/login/identifier"), "{html}");
    assert!(
        html.contains("connection=corp"),
        "every connection has its button"
    );
    // The identifier step is not available: back to the page.
    let state = query_param(&url, "state").unwrap();
    let response = browser
        .client
        .post(
            tenant
                .server
                .url(&format!("/u/login/identifier?state={state}")),
        )
        .form(&[
            ("state", state.as_str()),
            ("username", "alice@corp.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/u/login?"),
    );
}

#[tokio::test]
async fn prompts_api_reads_patches_and_checks() {
    let tenant = Tenant::start().await;
    let (status, body) = call(&tenant, &tenant.token, Method::GET, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"universal_login_experience": "new", "identifier_first": false, "webauthn_platform_first_factor": false})
    );
    let (status, body) = call(
        &tenant,
        &tenant.token,
        Method::PATCH,
        Some(json!({"identifier_first": true, "universal_login_experience": "classic"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"universal_login_experience": "classic", "identifier_first": true, "webauthn_platform_first_factor": false})
    );
    // A patch changes only what it names.
    let (status, body) = call(
        &tenant,
        &tenant.token,
        Method::PATCH,
        Some(json!({"webauthn_platform_first_factor": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["identifier_first"], true);
    let (_, read) = call(&tenant, &tenant.token, Method::GET, None).await;
    assert_eq!(read, body);

    for bad in [
        json!({"identifier_first": "yes"}),
        json!({"universal_login_experience": "fancy"}),
        json!({"identifier_first": true, "bogus": 1}),
        json!([true]),
    ] {
        let (status, body) = call(&tenant, &tenant.token, Method::PATCH, Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["statusCode"], 400, "{body}");
        assert!(body["message"].is_string(), "{body}");
        assert!(body["errorCode"].is_string(), "{body}");
    }
    let (_, unchanged) = call(&tenant, &tenant.token, Method::GET, None).await;
    assert_eq!(unchanged, read);

    // Scopes: read:prompts reads, update:prompts writes, nothing else does.
    let token = |scope: &'static str| {
        let server = &tenant.server;
        async move {
            token_for(
                server,
                harness::BOOTSTRAP_ID,
                harness::BOOTSTRAP_SECRET,
                &server.management_audience(),
                Some(scope),
            )
            .await
        }
    };
    let reader = token("read:prompts").await;
    let writer = token("update:prompts").await;
    let other = token("read:users").await;
    assert_eq!(call(&tenant, &reader, Method::GET, None).await.0, 200);
    let patch = Some(json!({"identifier_first": false}));
    assert_eq!(
        call(&tenant, &reader, Method::PATCH, patch.clone()).await.0,
        403
    );
    assert_eq!(call(&tenant, &writer, Method::GET, None).await.0, 403);
    assert_eq!(call(&tenant, &other, Method::GET, None).await.0, 403);
    assert_eq!(call(&tenant, &writer, Method::PATCH, patch).await.0, 200);
    assert_eq!(call(&tenant, "not-a-token", Method::GET, None).await.0, 401);
}
