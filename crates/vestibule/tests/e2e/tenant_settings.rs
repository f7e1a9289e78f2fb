//! `/api/v2/tenants/settings`, and what its members change at run time:
//! the audience and connection the token endpoint picks, the SSO session's
//! lifetime, where `/v2/logout` may return to without a client, and the
//! type of `updated_at` in ID tokens and `/userinfo`.

use crate::harness::{self, http, token_for};
use crate::support::{
    App, Browser, DATABASE, PASSWORD, REDIRECT_A, Tenant, authorize, exchange, jwt_claims,
    query_param,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PATH: &str = "/api/v2/tenants/settings";
const REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
const API: &str = "https://orders.example.com/";
const HOME: &str = "http://127.0.0.1:3101/home";

async fn call(
    tenant: &Tenant,
    token: &str,
    method: Method,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http()
        .request(method, tenant.server.url(PATH))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn patch(tenant: &Tenant, body: Value) -> Value {
    let (status, answer) = call(tenant, &tenant.token, Method::PATCH, Some(body.clone())).await;
    assert_eq!(status, 200, "{body}: {answer}");
    answer
}

async fn token_request(tenant: &Tenant, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = http()
        .post(tenant.server.url("/oauth/token"))
        .form(form)
        .send()
        .await
        .expect("token request");
    let status = response.status();
    (status, response.json().await.expect("token json"))
}

/// A password-realm (or, without `realm`, password) login of `username`,
/// the client authenticating with `client_secret_basic`.
async fn password_login(
    tenant: &Tenant,
    app: &App,
    realm: Option<&str>,
    username: &str,
    scope: &str,
) -> (StatusCode, Value) {
    let mut form = vec![
        ("username", username),
        ("password", PASSWORD),
        ("scope", scope),
    ];
    match realm {
        Some(realm) => form.extend([("grant_type", REALM), ("realm", realm)]),
        None => form.push(("grant_type", "password")),
    }
    let response = http()
        .post(tenant.server.url("/oauth/token"))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&form)
        .send()
        .await
        .expect("token request");
    let status = response.status();
    (status, response.json().await.expect("token json"))
}

async fn signup(tenant: &Tenant, app: &App, connection: &str, email: &str) {
    let response = http()
        .post(tenant.server.url("/dbconnections/signup"))
        .json(&json!({"client_id": app.id, "email": email, "password": PASSWORD, "connection": connection}))
        .send()
        .await
        .expect("signup");
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// A tenant with one application, the database connection and Alice.
async fn with_user() -> (Tenant, App) {
    let tenant = Tenant::start().await;
    let app = tenant.client("RP", REDIRECT_A, "client_secret_basic").await;
    tenant.database(&[&app]).await;
    signup(&tenant, &app, DATABASE, "alice@example.com").await;
    (tenant, app)
}

fn audiences(access_token: &str) -> Vec<Value> {
    match jwt_claims(access_token)["aud"].clone() {
        Value::Array(list) => list,
        single => vec![single],
    }
}

#[tokio::test]
async fn settings_api_reads_patches_and_checks() {
    let tenant = Tenant::start().await;
    let (status, defaults) = call(&tenant, &tenant.token, Method::GET, None).await;
    assert_eq!(status, 200, "{defaults}");
    assert_eq!(
        defaults,
        json!({
            "friendly_name": "Default tenant",
            // The server's defaults: 30 days, 7 days of inactivity.
            "session_lifetime": 720,
            "idle_session_lifetime": 168,
            "allowed_logout_urls": [],
            "enabled_locales": ["en"],
            "flags": {"oidc_standard_claim_types": false},
        })
    );
    let app = tenant.client("RP", REDIRECT_A, "client_secret_basic").await;
    tenant.database(&[&app]).await;

    let changes = json!({
        "friendly_name": "Acme",
        "picture_url": "https://cdn.acme.example/logo.png",
        "support_email": "help@acme.example",
        "support_url": "https://acme.example/help",
        "default_audience": API,
        "default_directory": DATABASE,
        "session_lifetime": 48,
        "idle_session_lifetime": 12,
        "allowed_logout_urls": [HOME],
        "enabled_locales": ["en", "fr-CA"],
        "flags": {"oidc_standard_claim_types": true, "enable_client_connections": false},
    });
    let answer = patch(&tenant, changes.clone()).await;
    assert_eq!(answer, changes);
    let (_, read) = call(&tenant, &tenant.token, Method::GET, None).await;
    assert_eq!(read, changes);

    // A patch changes only what it names; flags merge; minutes show as hours.
    let answer = patch(
        &tenant,
        json!({"session_lifetime_in_minutes": 90, "flags": {"enable_sso": true}}),
    )
    .await;
    assert_eq!(answer["session_lifetime"], 1.5, "{answer}");
    assert_eq!(answer["idle_session_lifetime"], 12, "{answer}");
    assert_eq!(
        answer["flags"],
        json!({"oidc_standard_claim_types": true, "enable_client_connections": false, "enable_sso": true})
    );
    assert_eq!(answer["support_url"], "https://acme.example/help");
    // An empty string clears an optional member.
    let answer = patch(&tenant, json!({"support_url": "", "default_audience": ""})).await;
    assert!(answer.get("support_url").is_none(), "{answer}");
    assert!(answer.get("default_audience").is_none(), "{answer}");
    let (_, read) = call(&tenant, &tenant.token, Method::GET, None).await;

    tenant
        .connection(json!({"name": "corp", "strategy": "oidc", "options": {
            "type": "front_channel", "client_id": "x", "issuer": "https://idp.example.com",
            "authorization_endpoint": "https://idp.example.com/authorize",
            "jwks_uri": "https://idp.example.com/jwks"}}))
        .await;
    for bad in [
        json!({"bogus": 1}),
        json!({"error_page": {"html": "", "show_log_link": false, "url": ""}}),
        json!({"flags": {"no_such_flag": true}}),
        json!({"flags": {"enable_sso": "yes"}}),
        json!({"picture_url": "not a url"}),
        json!({"support_url": "javascript:alert(1)"}),
        json!({"support_email": "nobody"}),
        json!({"allowed_logout_urls": ["/relative"]}),
        json!({"enabled_locales": ["xx"]}),
        json!({"enabled_locales": []}),
        json!({"default_directory": "missing"}),
        json!({"default_directory": "corp"}),
        json!({"session_lifetime": 0}),
        json!({"session_lifetime": 9000}),
        json!({"idle_session_lifetime": 2401}),
        json!({"idle_session_lifetime_in_minutes": 0}),
        json!({"session_lifetime": 2, "session_lifetime_in_minutes": 120}),
        json!({"friendly_name": ""}),
        json!([1]),
    ] {
        let (status, body) = call(&tenant, &tenant.token, Method::PATCH, Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["statusCode"], 400, "{body}");
        assert_eq!(body["error"], "Bad Request", "{body}");
        assert!(body["message"].is_string(), "{body}");
    }
    let (_, unchanged) = call(&tenant, &tenant.token, Method::GET, None).await;
    assert_eq!(unchanged, read);

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
    let reader = token("read:tenant_settings").await;
    let writer = token("update:tenant_settings").await;
    let other = token("read:prompts").await;
    let body = Some(json!({"friendly_name": "Acme 2"}));
    assert_eq!(call(&tenant, &reader, Method::GET, None).await.0, 200);
    assert_eq!(
        call(&tenant, &reader, Method::PATCH, body.clone()).await.0,
        403
    );
    assert_eq!(call(&tenant, &writer, Method::GET, None).await.0, 403);
    assert_eq!(call(&tenant, &other, Method::GET, None).await.0, 403);
    assert_eq!(call(&tenant, &writer, Method::PATCH, body).await.0, 200);
    assert_eq!(call(&tenant, "not-a-token", Method::GET, None).await.0, 401);
}

#[tokio::test]
async fn default_audience_is_the_api_of_token_requests_that_name_none() {
    let (tenant, app) = with_user().await;
    tenant
        .management(
            Method::POST,
            "/api/v2/resource-servers",
            json!({"name": "Orders", "identifier": API,
                   "scopes": [{"value": "read:orders", "description": "Read orders"}]}),
        )
        .await;
    let machine = tenant
        .management(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "worker", "app_type": "non_interactive",
                   "grant_types": ["client_credentials"]}),
        )
        .await;
    let (machine_id, machine_secret) = (
        machine["client_id"].as_str().unwrap(),
        machine["client_secret"].as_str().unwrap(),
    );
    tenant
        .management(
            Method::POST,
            "/api/v2/client-grants",
            json!({"client_id": machine_id, "audience": API, "scope": ["read:orders"]}),
        )
        .await;
    let credentials = [
        ("grant_type", "client_credentials"),
        ("client_id", machine_id),
        ("client_secret", machine_secret),
    ];
    let (status, body) = token_request(&tenant, &credentials).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "access_denied", "{body}");
    let (status, body) = password_login(
        &tenant,
        &app,
        Some(DATABASE),
        "alice@example.com",
        "openid read:orders",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !body["access_token"].as_str().unwrap().contains('.'),
        "no audience, no API: an opaque token for /userinfo: {body}"
    );

    patch(&tenant, json!({"default_audience": API})).await;
    let (status, body) = token_request(&tenant, &credentials).await;
    assert_eq!(status, 200, "{body}");
    let claims = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], API, "{claims}");
    assert_eq!(claims["scope"], "read:orders", "{claims}");
    let (status, body) = password_login(
        &tenant,
        &app,
        Some(DATABASE),
        "alice@example.com",
        "openid read:orders",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let access_token = body["access_token"].as_str().unwrap();
    assert!(audiences(access_token).contains(&json!(API)), "{body}");
    assert_eq!(jwt_claims(access_token)["scope"], "openid read:orders");
    // The code flow: /authorize without `audience` is for the default API.
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[]);
    let (_, url, html) = browser.navigate(&request.url).await.page();
    let response = browser
        .post_login(&url, &html, "alice@example.com", PASSWORD, &[])
        .await;
    let callback = browser.follow(response).await.away();
    let code = query_param(&callback, "code").expect("a code");
    let (status, body) = exchange(&tenant, &app, &code, &request.verifier).await;
    assert_eq!(status, 200, "{body}");
    let access_token = body["access_token"].as_str().unwrap();
    assert!(audiences(access_token).contains(&json!(API)), "{body}");
    // An audience the request names still wins.
    let mut named = credentials.to_vec();
    named.push(("audience", "https://other.example.com/"));
    let (status, body) = token_request(&tenant, &named).await;
    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn default_directory_is_the_connection_of_the_password_grant() {
    let tenant = Tenant::start().await;
    let app = tenant.client("RP", REDIRECT_A, "client_secret_basic").await;
    // Without a default directory the grant takes the first database
    // connection by name, where Bob has no account.
    for name in ["a-staff", "b-customers"] {
        tenant
            .connection(json!({"name": name, "strategy": "auth0", "enabled_clients": [app.id]}))
            .await;
    }
    signup(&tenant, &app, "b-customers", "bob@example.com").await;
    let (status, body) = password_login(&tenant, &app, None, "bob@example.com", "openid").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");

    patch(&tenant, json!({"default_directory": "b-customers"})).await;
    let (status, body) = password_login(&tenant, &app, None, "bob@example.com", "openid").await;
    assert_eq!(status, 200, "{body}");
    let id_token = jwt_claims(body["id_token"].as_str().unwrap());
    assert!(
        id_token["sub"].as_str().unwrap().starts_with("auth0|"),
        "{id_token}"
    );
    // password-realm still goes where `realm` says.
    let (status, body) =
        password_login(&tenant, &app, Some("a-staff"), "bob@example.com", "openid").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

/// The `vestibule_session` cookie a hosted login sets.
async fn session_cookie_after_login(tenant: &Tenant, app: &App) -> String {
    let browser = Browser::new(tenant);
    let request = authorize(tenant, app, &[]);
    let (status, url, html) = browser.navigate(&request.url).await.page();
    assert_eq!(status, 200, "{html}");
    let response = browser
        .post_login(&url, &html, "alice@example.com", PASSWORD, &[])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("vestibule_session="))
        .expect("a session cookie")
}

#[tokio::test]
async fn session_lifetime_sets_the_sso_cookies_lifetime() {
    let (tenant, app) = with_user().await;
    let cookie = session_cookie_after_login(&tenant, &app).await;
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
    patch(&tenant, json!({"session_lifetime": 2})).await;
    let cookie = session_cookie_after_login(&tenant, &app).await;
    assert!(cookie.contains("Max-Age=7200"), "{cookie}");
}

#[tokio::test]
async fn logout_without_a_client_returns_only_to_the_tenants_urls() {
    let tenant = Tenant::start().await;
    let logout = |return_to: &'static str| {
        let url = tenant.server.url(&format!(
            "/v2/logout?returnTo={}",
            url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
        ));
        async move { http().get(url).send().await.expect("logout") }
    };
    assert_eq!(logout(HOME).await.status(), 400);
    patch(&tenant, json!({"allowed_logout_urls": [HOME]})).await;
    let response = logout(HOME).await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], HOME);
    assert_eq!(logout("https://evil.example/").await.status(), 400);
    assert_eq!(logout("http://127.0.0.1:3101/home/x").await.status(), 400);
}

#[tokio::test]
async fn the_flag_makes_updated_at_a_number_of_seconds() {
    let (tenant, app) = with_user().await;
    let claims = |flag: bool| {
        let (tenant, app) = (&tenant, &app);
        async move {
            patch(
                tenant,
                json!({"flags": {"oidc_standard_claim_types": flag}}),
            )
            .await;
            let (status, body) = password_login(
                tenant,
                app,
                Some(DATABASE),
                "alice@example.com",
                "openid profile",
            )
            .await;
            assert_eq!(status, 200, "{body}");
            let id_token = jwt_claims(body["id_token"].as_str().unwrap());
            let userinfo: Value = http()
                .get(tenant.server.url("/userinfo"))
                .bearer_auth(body["access_token"].as_str().unwrap())
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (
                id_token["updated_at"].clone(),
                userinfo["updated_at"].clone(),
            )
        }
    };
    let (id_token, userinfo) = claims(false).await;
    assert!(id_token.as_str().unwrap().ends_with('Z'), "{id_token}");
    assert_eq!(userinfo, id_token);
    let (id_token, userinfo) = claims(true).await;
    let seconds = id_token.as_i64().unwrap_or_else(|| panic!("{id_token}"));
    assert!(seconds > 1_700_000_000, "{seconds}");
    assert_eq!(userinfo, id_token);
}
