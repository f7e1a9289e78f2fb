//! Issue 16 item 7: the login page offers only what can log in. A client
//! with `auth0`, `google-oauth2`, `samlp`, `ad` and `email` connections
//! sees the password form and "Continue with Google" (with its icon, served
//! by Vestibule); the others have no button, `/authorize?connection=` and
//! `password-realm` say why they are refused, and the Management API warns
//! when it enables them.

use crate::harness::http;
use crate::support::{
    App, Browser, DATABASE, PASSWORD, REDIRECT_A, Tenant, authorize, query_param,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A Management API call; status, `Warning` headers and JSON body.
async fn call(
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: Value,
) -> (StatusCode, Vec<String>, Value) {
    let response = http()
        .request(method, tenant.server.url(path))
        .bearer_auth(&tenant.token)
        .json(&body)
        .send()
        .await
        .expect("management request");
    let status = response.status();
    let warnings = response
        .headers()
        .get_all("warning")
        .iter()
        .map(|value| value.to_str().expect("ASCII").to_owned())
        .collect();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, warnings, body)
}

/// The client and its five connections; `(tenant, app, samlp id)`.
async fn fixture() -> (Tenant, App, String) {
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    tenant.database(&[&app]).await;
    tenant
        .management(
            Method::POST,
            "/api/v2/users",
            json!({"connection": DATABASE, "email": "bob@other.example", "password": PASSWORD}),
        )
        .await;
    tenant
        .connection(json!({
            "name": "google-oauth2", "strategy": "google-oauth2",
            "options": {"client_id": "g-client-id", "client_secret": "g-client-secret"},
            "enabled_clients": [app.id],
        }))
        .await;
    let saml = tenant
        .connection(json!({
            "name": "corp-saml", "strategy": "samlp",
            "options": {"metadataUrl": "https://saml.example/metadata", "domain_aliases": ["saml.example"]},
            "enabled_clients": [app.id],
        }))
        .await;
    tenant
        .connection(json!({
            "name": "corp-ad", "strategy": "ad",
            "options": {"ldap_url": "ldaps://dc1.ad.example", "domain_aliases": ["ad.example"]},
            "enabled_clients": [app.id],
        }))
        .await;
    tenant
        .connection(json!({"name": "email", "strategy": "email", "enabled_clients": [app.id]}))
        .await;
    (tenant, app, saml["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn login_page_offers_only_connections_that_can_log_in() {
    let (tenant, app, _) = fixture().await;
    let browser = Browser::new(&tenant);
    let (status, url, html) = browser
        .navigate(&authorize(&tenant, &app, &[]).url)
        .await
        .page();
    assert_eq!(status, 200, "{url}: {html}");
    assert!(html.contains("type=\"password\""), "{html}");
    // Google by the name people know, with Vestibule's own icon.
    assert!(html.contains("connection=google-oauth2"), "{html}");
    assert!(html.contains("<span>Continue with Google</span>"), "{html}");
    assert!(!html.contains("google-oauth2</"), "{html}");
    let marker = "<img src=\"/u/assets/icons/google.svg?v=";
    let start = html.find(marker).unwrap_or_else(|| panic!("{html}")) + "<img src=\"".len();
    let icon = &html[start..start + html[start..].find('"').unwrap()];
    assert!(
        html[start..].starts_with(&format!("{icon}\" alt=\"\"")),
        "{html}"
    );
    let response = http().get(tenant.server.url(icon)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let caching = response.headers()["cache-control"].to_str().unwrap();
    assert!(caching.contains("max-age=31536000"), "{caching}");
    assert!(response.text().await.unwrap().starts_with("<svg"));
    let missing = http()
        .get(tenant.server.url("/u/assets/icons/no-such-icon.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    // No way in that leads nowhere.
    for name in ["corp-saml", "corp-ad", "connection=email"] {
        assert!(!html.contains(name), "{name}: {html}");
    }
    assert_eq!(
        html.matches("class=\"connection button\"").count(),
        1,
        "{html}"
    );
    // Nor through the button's URL by hand.
    let state = query_param(&url, "state").unwrap();
    let by_hand = browser
        .client
        .get(tenant.server.url(&format!(
            "/u/login/connection?state={state}&connection=corp-saml"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(by_hand.status(), 400);

    // `/authorize?connection=` answers the client with an OAuth error that
    // says what is true.
    for (name, strategy) in [
        ("corp-saml", "samlp"),
        ("corp-ad", "ad"),
        ("email", "email"),
    ] {
        let request = authorize(&tenant, &app, &[("connection", name)]);
        let answer = Browser::new(&tenant).navigate(&request.url).await.away();
        assert!(answer.as_str().starts_with(REDIRECT_A), "{answer}");
        assert_eq!(
            query_param(&answer, "error").as_deref(),
            Some("invalid_request")
        );
        assert_eq!(
            query_param(&answer, "state").as_deref(),
            Some(request.state.as_str())
        );
        let description = query_param(&answer, "error_description").unwrap();
        assert!(
            description.contains(name)
                && description.contains(&format!("through {strategy} connections")),
            "{description}"
        );
    }

    // password-realm: "not enabled" only when it is not.
    for (realm, says) in [
        ("corp-ad", "logins through ad connections"),
        ("google-oauth2", "does not take passwords"),
        ("no-such-realm", "not enabled"),
    ] {
        let response = http()
            .post(tenant.server.url("/oauth/token"))
            .basic_auth(&app.id, Some(&app.secret))
            .form(&[
                (
                    "grant_type",
                    "http://auth0.com/oauth/grant-type/password-realm",
                ),
                ("username", "bob@other.example"),
                ("password", PASSWORD),
                ("realm", realm),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{realm}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{realm}: {body}");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(says), "{realm}: {body}");
    }
}

#[tokio::test]
async fn enabling_a_connection_that_cannot_log_in_warns() {
    let (tenant, app, saml_id) = fixture().await;
    let other = tenant.client("B", REDIRECT_A, "client_secret_basic").await;
    let expect_warning = |what: &str, headers: &[String], body: &Value, applications: &str| {
        assert_eq!(headers.len(), 1, "{what}: {headers:?}");
        assert!(
            headers[0].starts_with("299 - \"") && headers[0].contains("samlp"),
            "{what}: {headers:?}"
        );
        if !body.is_null() {
            let warnings = body["warnings"].as_array().expect("warnings");
            assert_eq!(warnings.len(), 1, "{what}: {body}");
            assert_eq!(warnings[0]["code"], "connection_cannot_log_in", "{body}");
            let message = warnings[0]["message"].as_str().unwrap();
            assert!(message.contains(applications), "{what}: {message}");
            assert!(headers[0].contains(message), "{what}: {headers:?}");
        }
    };

    // Created enabled (an Auth0 export): 201, saved, with a warning.
    let (status, headers, body) = call(
        &tenant,
        Method::POST,
        "/api/v2/connections",
        json!({"name": "other-saml", "strategy": "samlp",
               "options": {"metadataUrl": "https://saml.example/metadata"},
               "enabled_clients": [app.id]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    expect_warning("POST", &headers, &body, "1 application");
    assert_eq!(body["enabled_clients"], json!([app.id]));

    // Created without clients: nothing to warn about.
    let (status, headers, body) = call(
        &tenant,
        Method::POST,
        "/api/v2/connections",
        json!({"name": "idle-saml", "strategy": "samlp",
               "options": {"metadataUrl": "https://saml.example/metadata"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        headers.is_empty() && body.get("warnings").is_none(),
        "{body}"
    );
    let idle = body["id"].as_str().unwrap().to_owned();

    // Enabled through `…/clients`: 204 with the header.
    let (status, headers, _) = call(
        &tenant,
        Method::PATCH,
        &format!("/api/v2/connections/{idle}/clients"),
        json!([{"client_id": other.id, "status": true}]),
    )
    .await;
    assert_eq!(status, 204);
    expect_warning("PATCH clients", &headers, &Value::Null, "");

    // PATCH with `enabled_clients`: the warning counts the applications.
    let path = format!("/api/v2/connections/{saml_id}");
    let (status, headers, body) = call(
        &tenant,
        Method::PATCH,
        &path,
        json!({"enabled_clients": [app.id, other.id]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    expect_warning("PATCH", &headers, &body, "2 applications");

    // GET never carries it, and PATCH takes what GET returns.
    let (status, headers, fetched) = call(&tenant, Method::GET, &path, Value::Null).await;
    assert_eq!(status, 200);
    assert!(
        headers.is_empty() && fetched.get("warnings").is_none(),
        "{fetched}"
    );
    let mut body = fetched.clone();
    for read_only in ["id", "name", "strategy"] {
        body.as_object_mut().unwrap().remove(read_only);
    }
    let (status, _, _) = call(&tenant, Method::PATCH, &path, body).await;
    assert_eq!(status, 200);

    // Disabled everywhere: quiet. A connection that can log in: quiet.
    let (status, headers, body) = call(
        &tenant,
        Method::PATCH,
        &path,
        json!({"enabled_clients": []}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        headers.is_empty() && body.get("warnings").is_none(),
        "{body}"
    );
    let (status, headers, body) = call(
        &tenant,
        Method::POST,
        "/api/v2/connections",
        json!({"name": "github", "strategy": "github",
               "options": {"client_id": "gh", "client_secret": "gh-secret"},
               "enabled_clients": [app.id]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        headers.is_empty() && body.get("warnings").is_none(),
        "{body}"
    );
}

#[tokio::test]
async fn home_realm_discovery_skips_connections_that_cannot_log_in() {
    let (tenant, app, _) = fixture().await;
    let (status, _, body) = call(
        &tenant,
        Method::PATCH,
        "/api/v2/prompts",
        json!({"identifier_first": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let browser = Browser::new(&tenant);
    let (status, url, html) = browser
        .navigate(&authorize(&tenant, &app, &[]).url)
        .await
        .page();
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("action=\"/u/login/identifier"), "{html}");
    let state = query_param(&url, "state").unwrap();
    // A domain of `samlp` or `ad` is any other domain: the password step.
    for identifier in ["gina@saml.example", "hank@AD.example", "bob@other.example"] {
        let response = browser
            .client
            .post(
                tenant
                    .server
                    .url(&format!("/u/login/identifier?state={state}")),
            )
            .form(&[("state", state.as_str()), ("username", identifier)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{identifier}");
        let html = response.text().await.unwrap();
        assert!(html.contains("type=\"password\""), "{identifier}: {html}");
    }
}
