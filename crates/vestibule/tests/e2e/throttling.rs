//! What keeps password checking from being turned against the server or
//! its users, from the outside: the bounded hashing queue (a quick 429 with
//! `Retry-After` in each endpoint's own error shape), attempts refused before
//! any hash but counted, signup throttling, the client IP behind trusted
//! proxies (`X-Forwarded-For`) and trusted backends (`auth0-forwarded-for`),
//! and the per-account cap across IPs.

use crate::harness::{Server, ServerOptions, http, management_token};
use crate::support::{App, Browser, DATABASE, PASSWORD, REDIRECT_A, Tenant, authorize};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
const WRONG: &str = "Wr0ng-Horse-Battery";

async fn tenant_with(env: &[(&str, &str)]) -> Tenant {
    let server = Server::start_with(ServerOptions {
        env: env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        ..ServerOptions::default()
    });
    let token = management_token(&server).await;
    Tenant { server, token }
}

/// A confidential client with the password grants, the database connection
/// enabled for it, and a user `alice@example.com`.
async fn with_user(tenant: &Tenant) -> (App, String) {
    let app = tenant.client("RP", REDIRECT_A, "client_secret_post").await;
    tenant.database(&[&app]).await;
    let user = tenant
        .management(
            Method::POST,
            "/api/v2/users",
            json!({"connection": DATABASE, "email": "alice@example.com", "password": PASSWORD}),
        )
        .await;
    (app, user["user_id"].as_str().unwrap().to_owned())
}

/// A password-realm login with extra headers: (status, Retry-After, body).
async fn realm_login(
    tenant: &Tenant,
    app: &App,
    username: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, Value) {
    let mut request = http().post(tenant.server.url("/oauth/token")).form(&[
        ("grant_type", REALM),
        ("client_id", app.id.as_str()),
        ("client_secret", app.secret.as_str()),
        ("username", username),
        ("password", password),
        ("realm", DATABASE),
        ("scope", "openid"),
    ]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("token request");
    let status = response.status();
    let retry_after = retry_after(&response);
    (
        status,
        retry_after,
        response.json().await.unwrap_or(Value::Null),
    )
}

fn retry_after(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_owned())
}

fn forwarded(ip: &str) -> [(&'static str, &str); 1] {
    [("x-forwarded-for", ip)]
}

/// Runs `count` copies of a request at once; returns each (status,
/// Retry-After, body text).
async fn burst<F, Fut>(count: usize, request: F) -> Vec<(StatusCode, Option<String>, String)>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
{
    let tasks: Vec<_> = (0..count)
        .map(|n| {
            let sent = request(n);
            tokio::spawn(async move {
                let response = sent.await.expect("request");
                let status = response.status();
                let retry = retry_after(&response);
                (status, retry, response.text().await.unwrap_or_default())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    answers
}

/// Every answer is `expected` or a 429 with `Retry-After`; at least one is
/// the 429. Returns the 429 bodies.
fn busy_answers(
    answers: &[(StatusCode, Option<String>, String)],
    expected: StatusCode,
    what: &str,
) -> Vec<String> {
    let mut busy = Vec::new();
    for (status, retry, body) in answers {
        if *status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(retry.as_deref(), Some("1"), "{what}: {body}");
            busy.push(body.clone());
        } else {
            assert_eq!(*status, expected, "{what}: {body}");
        }
    }
    assert!(!busy.is_empty(), "{what}: the full queue never refused");
    busy
}

#[tokio::test]
async fn a_full_hash_queue_is_a_429_with_retry_after_in_each_endpoints_shape() {
    // One waiting hash at most; hashes a little dearer than the other tests'
    // so that a burst always finds the queue full.
    let tenant = tenant_with(&[
        ("VESTIBULE_PASSWORD_HASH_QUEUE", "1"),
        ("VESTIBULE_PASSWORD_HASH_ITERATIONS", "8"),
    ])
    .await;
    let (app, _) = with_user(&tenant).await;

    // The token endpoint: OAuth's shape. Unknown identifiers, one attempt
    // each, stay clear of the brute-force and IP limits.
    let url = tenant.server.url("/oauth/token");
    let answers = burst(40, |n| {
        http()
            .post(&url)
            .form(&[
                ("grant_type", REALM),
                ("client_id", app.id.as_str()),
                ("client_secret", app.secret.as_str()),
                ("username", format!("flood{n}@example.com").as_str()),
                ("password", WRONG),
                ("realm", DATABASE),
            ])
            .send()
    })
    .await;
    for body in busy_answers(&answers, StatusCode::BAD_REQUEST, "token endpoint") {
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"], "too_many_requests", "{body}");
        assert!(body["error_description"].is_string(), "{body}");
    }

    // The Management API: its own shape.
    let url = tenant.server.url("/api/v2/users");
    let answers = burst(24, |n| {
        http()
            .post(&url)
            .bearer_auth(&tenant.token)
            .json(&json!({"connection": DATABASE, "email": format!("made{n}@example.com"), "password": PASSWORD}))
            .send()
    })
    .await;
    for body in busy_answers(&answers, StatusCode::CREATED, "management API") {
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["statusCode"], 429, "{body}");
        assert_eq!(body["errorCode"], "too_many_requests", "{body}");
    }

    // /dbconnections/signup: the Authentication API's shape.
    let url = tenant.server.url("/dbconnections/signup");
    let answers = burst(24, |n| {
        http()
            .post(&url)
            .json(&json!({"client_id": app.id, "connection": DATABASE, "email": format!("new{n}@example.com"), "password": PASSWORD}))
            .send()
    })
    .await;
    for body in busy_answers(&answers, StatusCode::OK, "signup") {
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["code"], "too_many_requests", "{body}");
        assert_eq!(body["statusCode"], 429, "{body}");
    }

    // The hosted login page: the error page.
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[]);
    let (_, page_url, html) = browser.navigate(&request.url).await.page();
    let form = crate::support::login_form(&html, &page_url).expect("login form");
    let hidden: Vec<(String, String)> = form
        .fields
        .iter()
        .filter(|(name, _, kind)| name != "username" && kind != "password" && kind != "submit")
        .map(|(name, value, _)| (name.clone(), value.clone()))
        .collect();
    let answers = burst(24, |n| {
        let mut fields = hidden.clone();
        fields.push(("username".into(), format!("page{n}@example.com")));
        fields.push(("password".into(), WRONG.into()));
        browser
            .client
            .post(form.action.clone())
            .form(&fields)
            .send()
    })
    .await;
    for body in busy_answers(&answers, StatusCode::BAD_REQUEST, "login page") {
        assert!(body.contains("Too many requests"), "{body}");
    }

    // The flood over, everything is served again.
    let (status, _, body) = realm_login(&tenant, &app, "alice@example.com", PASSWORD, &[]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn empty_passwords_and_overlong_identifiers_are_refused_and_counted() {
    let tenant = Tenant::start().await;
    let (app, _) = with_user(&tenant).await;

    // Ten empty passwords on the hosted page are ten failures: the pair is
    // blocked, even for the right password.
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[]);
    let (_, url, html) = browser.navigate(&request.url).await.page();
    for _ in 0..10 {
        let response = browser
            .post_login(&url, &html, "alice@example.com", "", &[])
            .await;
        assert_eq!(response.status(), 400);
    }
    let response = browser
        .post_login(&url, &html, "alice@example.com", PASSWORD, &[])
        .await;
    assert_eq!(response.status(), 429, "the empty passwords were counted");

    // Identifiers longer than any account's count against the IP: with the
    // ten failures above, 90 more throttle the IP for everyone.
    let long = format!("{}@example.com", "a".repeat(300));
    for _ in 0..90 {
        let (status, _, body) = realm_login(&tenant, &app, &long, WRONG, &[]).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
    let (status, _, body) = realm_login(&tenant, &app, &long, WRONG, &[]).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "too_many_attempts", "{body}");
}

#[tokio::test]
async fn signups_are_throttled_per_ip_and_logins_are_not() {
    let tenant = tenant_with(&[("VESTIBULE_TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let (app, _) = with_user(&tenant).await;
    let signup = |n: usize, ip: &'static str| {
        http()
            .post(tenant.server.url("/dbconnections/signup"))
            .header("x-forwarded-for", ip)
            .json(&json!({"client_id": app.id, "connection": DATABASE, "email": format!("user{n}@example.com"), "password": PASSWORD}))
            .send()
    };
    for n in 0..50 {
        let response = signup(n, "198.51.100.1").await.unwrap();
        assert_eq!(response.status(), 200, "signup {n}");
    }
    let response = signup(50, "198.51.100.1").await.unwrap();
    assert_eq!(response.status(), 429);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "too_many_requests", "{body}");
    assert_eq!(body["statusCode"], 429, "{body}");
    // Another address signs up; the throttled one still logs in.
    assert_eq!(signup(51, "198.51.100.2").await.unwrap().status(), 200);
    let (status, _, body) = realm_login(
        &tenant,
        &app,
        "alice@example.com",
        PASSWORD,
        &forwarded("198.51.100.1"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// Ten failures for alice, each claiming another address in
/// `X-Forwarded-For`, then her right password from yet another.
async fn spoofed_failures_then_login(tenant: &Tenant, app: &App) -> StatusCode {
    for n in 0..10 {
        let ip = format!("203.0.113.{n}");
        let (status, _, body) =
            realm_login(tenant, app, "alice@example.com", WRONG, &forwarded(&ip)).await;
        assert_eq!(status, 400, "{body}");
    }
    realm_login(
        tenant,
        app,
        "alice@example.com",
        PASSWORD,
        &forwarded("203.0.113.200"),
    )
    .await
    .0
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    // Without trusted proxies the header is the client's own say: every
    // failure counted against 127.0.0.1, which is now blocked.
    let direct = Tenant::start().await;
    let (app, _) = with_user(&direct).await;
    assert_eq!(spoofed_failures_then_login(&direct, &app).await, 429);

    // Behind a trusted proxy each failure came from its own client.
    let proxied = tenant_with(&[("VESTIBULE_TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let (app, user_id) = with_user(&proxied).await;
    assert_eq!(spoofed_failures_then_login(&proxied, &app).await, 200);
    // Ten from one client block that client only, and the block names it.
    for _ in 0..10 {
        realm_login(
            &proxied,
            &app,
            "alice@example.com",
            WRONG,
            &forwarded("198.51.100.9, 203.0.113.50"),
        )
        .await;
    }
    let blocked = realm_login(
        &proxied,
        &app,
        "alice@example.com",
        PASSWORD,
        &forwarded("203.0.113.50"),
    )
    .await;
    assert_eq!(blocked.0, 429, "{}", blocked.2);
    let blocks = proxied
        .management(
            Method::GET,
            &format!("/api/v2/user-blocks/{}", user_id.replace('|', "%7C")),
            Value::Null,
        )
        .await;
    assert_eq!(blocks["blocked_for"][0]["ip"], "203.0.113.50", "{blocks}");
}

#[tokio::test]
async fn auth0_forwarded_for_is_believed_only_from_trusted_confidential_clients() {
    let tenant = Tenant::start().await;
    let untrusted = tenant.client("RP", REDIRECT_A, "client_secret_post").await;
    let trusted = tenant
        .management(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "Backend", "app_type": "regular_web", "grant_types": [REALM],
                   "token_endpoint_auth_method": "client_secret_post",
                   "is_token_endpoint_ip_header_trusted": true}),
        )
        .await;
    assert_eq!(
        trusted["is_token_endpoint_ip_header_trusted"], true,
        "{trusted}"
    );
    let trusted = App {
        id: trusted["client_id"].as_str().unwrap().to_owned(),
        secret: trusted["client_secret"].as_str().unwrap().to_owned(),
        redirect_uri: REDIRECT_A,
    };
    let fetched = tenant
        .management(
            Method::GET,
            &format!("/api/v2/clients/{}", trusted.id),
            Value::Null,
        )
        .await;
    assert_eq!(fetched["is_token_endpoint_ip_header_trusted"], true);
    // A public client cannot be trusted with it, whatever its setting.
    let public = tenant
        .management(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "SPA", "app_type": "spa", "grant_types": [REALM],
                   "is_token_endpoint_ip_header_trusted": true}),
        )
        .await;
    let public = App {
        id: public["client_id"].as_str().unwrap().to_owned(),
        secret: String::new(),
        redirect_uri: REDIRECT_A,
    };
    tenant.database(&[&untrusted, &trusted, &public]).await;
    tenant
        .management(
            Method::POST,
            "/api/v2/users",
            json!({"connection": DATABASE, "email": "alice@example.com", "password": PASSWORD}),
        )
        .await;

    // From an untrusted client the header changes nothing: the ten
    // failures block alice from 127.0.0.1, whatever it claims.
    for n in 0..10 {
        let ip = format!("198.51.100.{n}");
        let (status, _, _) = realm_login(
            &tenant,
            &untrusted,
            "alice@example.com",
            WRONG,
            &[("auth0-forwarded-for", ip.as_str())],
        )
        .await;
        assert_eq!(status, 400);
    }
    let claim = [("auth0-forwarded-for", "198.51.100.77")];
    let (status, _, body) =
        realm_login(&tenant, &untrusted, "alice@example.com", PASSWORD, &claim).await;
    assert_eq!(status, 429, "{body}");
    let response = http()
        .post(tenant.server.url("/oauth/token"))
        .header("auth0-forwarded-for", "198.51.100.77")
        .form(&[
            ("grant_type", REALM),
            ("client_id", public.id.as_str()),
            ("username", "alice@example.com"),
            ("password", PASSWORD),
            ("realm", DATABASE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        429,
        "a public client's header is ignored"
    );
    // The trusted backend relays its user's address, which is not blocked.
    let (status, _, body) =
        realm_login(&tenant, &trusted, "alice@example.com", PASSWORD, &claim).await;
    assert_eq!(status, 200, "{body}");
    // Once the trust is withdrawn, the header is ignored again.
    let patched = tenant
        .management(
            Method::PATCH,
            &format!("/api/v2/clients/{}", trusted.id),
            json!({"is_token_endpoint_ip_header_trusted": false}),
        )
        .await;
    assert_eq!(patched["is_token_endpoint_ip_header_trusted"], false);
    let (status, _, body) =
        realm_login(&tenant, &trusted, "alice@example.com", PASSWORD, &claim).await;
    assert_eq!(status, 429, "{body}");
}

#[tokio::test]
async fn rotating_addresses_reach_the_per_account_cap_until_an_admin_unblocks() {
    let tenant = tenant_with(&[("VESTIBULE_TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let (app, user_id) = with_user(&tenant).await;
    // 100 failures, each from a new address: no pair block, no IP throttle.
    for n in 0..100 {
        let ip = format!("198.51.{}.{}", n / 50, n % 50 + 1);
        let (status, _, body) =
            realm_login(&tenant, &app, "alice@example.com", WRONG, &forwarded(&ip)).await;
        assert_eq!(status, 400, "attempt {n}: {body}");
    }
    let fresh = forwarded("203.0.113.1");
    let (status, _, body) = realm_login(&tenant, &app, "alice@example.com", PASSWORD, &fresh).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "too_many_attempts", "{body}");
    // Other accounts are untouched from the same addresses.
    let (status, _, body) = realm_login(
        &tenant,
        &app,
        "bob@example.com",
        WRONG,
        &forwarded("198.51.0.1"),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let path = format!("/api/v2/user-blocks/{}", user_id.replace('|', "%7C"));
    let blocks = tenant.management(Method::GET, &path, Value::Null).await;
    let list = blocks["blocked_for"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{blocks}");
    assert_eq!(list[0]["identifier"], "alice@example.com", "{blocks}");
    assert!(
        list[0].get("ip").is_none(),
        "a block from every IP: {blocks}"
    );
    let response = http()
        .delete(tenant.server.url(&path))
        .bearer_auth(&tenant.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (status, _, body) = realm_login(&tenant, &app, "alice@example.com", PASSWORD, &fresh).await;
    assert_eq!(status, 200, "{body}");
}
