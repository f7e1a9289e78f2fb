//! Round trips through the Management API: whatever a `GET` returns, the
//! `PATCH` of the same resource accepts unchanged and changes nothing.
//! Connections never return their secret options, so a `PATCH` whose
//! `options` leave a secret out keeps the stored one (Auth0's documented
//! exception to "`options` replaces the whole object"); one that sends a
//! secret replaces it.

use crate::harness::http;
use crate::login::{App, Browser, REDIRECT_A, Tenant, authorize, query_param};
use crate::upstream::{code_to_id_token, fake_github, github_connection, start_walk};
use base64::Engine as _;
use crypto::{KeyPair, SigningAlg};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection as _;

async fn call(
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http()
        .request(method, tenant.server.url(path))
        .bearer_auth(&tenant.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("management request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Calls the Management API and panics unless it answers `expected`.
async fn expect(
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: Option<Value>,
    expected: u16,
) -> Value {
    let (status, answer) = call(tenant, method.clone(), path, body.clone()).await;
    assert_eq!(
        status.as_u16(),
        expected,
        "{method} {path} with {body:?} answered {answer}"
    );
    answer
}

// ------------------------------------------------- connection secret options

/// A PKCS#8 PEM of a fresh P-256 key (Apple's `.p8`; any PEM key elsewhere).
fn pem_key() -> String {
    let key = KeyPair::generate(SigningAlg::Es256).expect("key");
    let body = base64::engine::general_purpose::STANDARD.encode(key.pkcs8_der());
    format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
}

/// One connection per strategy with secret options, created with every
/// secret set: `(strategy, options)`.
fn connections_with_secrets() -> Vec<(&'static str, Value)> {
    let key = pem_key();
    let social = json!({"client_id": "social-client", "client_secret": "social-secret-0123"});
    let mut table = vec![
        (
            "auth0",
            json!({
                "enabledDatabaseCustomization": true,
                "configuration": {"http_secret": "custom-db-secret-0123"},
                "custom_database": {"kind": "http", "endpoints": {"login": "https://users.example.com/login"}},
            }),
        ),
        (
            "ad",
            json!({"ldap_url": "ldaps://dc1.corp.example", "bind_dn": "cn=svc,dc=corp,dc=example",
                   "bind_password": "bind-secret-0123"}),
        ),
        (
            "samlp",
            json!({
                "signInEndpoint": "https://idp.example/saml/sso",
                "signingCert": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A",
                "signing_key": {"key": key, "cert": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A"},
                "decryptionKey": {"key": key, "cert": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A"},
            }),
        ),
        (
            "apple",
            json!({"client_id": "com.example.web", "app_secret": key, "team_id": "TEAM123456", "kid": "KEY1234567"}),
        ),
        (
            "sms",
            json!({
                "provider": "sms_gateway", "twilio_sid": "AC123", "twilio_token": "twilio-secret-0123",
                "from": "+15550100", "gateway_url": "https://sms.example/send",
                "gateway_authentication": {"method": "bearer", "subject": "vestibule",
                                           "audience": "https://sms.example", "secret": "gateway-secret-0123"},
            }),
        ),
        (
            // The case: a back channel requires its client secret.
            "oidc",
            json!({"type": "back_channel", "client_id": "oidc-client", "client_secret": "oidc-secret-0123",
                   "discovery_url": "https://idp.example/.well-known/openid-configuration"}),
        ),
        (
            "oidc",
            json!({"type": "back_channel", "client_id": "oidc-pkjwt", "token_endpoint_auth_method": "private_key_jwt",
                   "client_assertion_signing_key": key,
                   "discovery_url": "https://idp.example/.well-known/openid-configuration"}),
        ),
        (
            "okta",
            json!({"domain": "acme.okta.com", "client_id": "okta-client", "client_secret": "okta-secret-0123"}),
        ),
        (
            "waad",
            json!({"client_id": "waad-client", "client_secret": "waad-secret-0123", "tenant_domain": "contoso.com"}),
        ),
        (
            "google-apps",
            json!({"domain": "example.com", "client_id": "apps-client", "client_secret": "apps-secret-0123"}),
        ),
        (
            "oauth2",
            json!({"client_id": "oauth2-client", "client_secret": "oauth2-secret-0123",
                   "authorizationURL": "https://idp.example/authorize", "tokenURL": "https://idp.example/token",
                   "scripts": {"fetchUserProfile": "function(t, c, cb) {}"}}),
        ),
    ];
    for strategy in [
        "google-oauth2",
        "github",
        "facebook",
        "linkedin",
        "windowslive",
        "amazon",
        "bitbucket",
        "gitlab",
        "twitter",
        "discord",
        "slack",
    ] {
        table.push((strategy, social.clone()));
    }
    table
}

/// The connection's stored options, sealed secrets included, read from the
/// server's SQLite file.
async fn stored_options(tenant: &Tenant, id: &str) -> Value {
    let path = tenant.server.data_dir.join("vestibule.db");
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .expect("open SQLite");
    let data: String = sqlx::query_scalar("SELECT data FROM connections WHERE id = ?1")
        .bind(id)
        .fetch_one(&mut db)
        .await
        .expect("connection row");
    let record: Value = serde_json::from_str(&data).expect("connection JSON");
    record["options"].clone()
}

/// JSON pointers of the sealed values in stored options.
fn sealed_pointers(value: &Value, at: &str, found: &mut Vec<String>) {
    if let Value::Object(map) = value {
        if map.contains_key("$sealed") {
            found.push(at.to_owned());
            return;
        }
        for (key, member) in map {
            sealed_pointers(member, &format!("{at}/{key}"), found);
        }
    }
}

#[tokio::test]
async fn patching_a_connection_with_its_get_options_keeps_every_secret() {
    let tenant = Tenant::start().await;
    let table = connections_with_secrets();
    // Every strategy with secret options is in the table, with each secret set.
    for &strategy in connectors::Strategy::ALL {
        let secrets = connectors::secret_fields(strategy);
        if secrets.is_empty() {
            continue;
        }
        let covered: Vec<&str> = table
            .iter()
            .filter(|(name, _)| *name == strategy.as_str())
            .flat_map(|(_, options)| {
                secrets
                    .iter()
                    .filter(|pointer| options.pointer(pointer).is_some())
            })
            .copied()
            .collect();
        for pointer in secrets {
            assert!(
                covered.contains(pointer),
                "{strategy}: no case sets its secret option {pointer}"
            );
        }
    }

    for (index, (strategy, options)) in table.into_iter().enumerate() {
        let created = expect(
            &tenant,
            Method::POST,
            "/api/v2/connections",
            Some(json!({"name": format!("round-trip-{index}"), "strategy": strategy, "options": options})),
            201,
        )
        .await;
        let id = created["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v2/connections/{id}");
        let sealed_before = stored_options(&tenant, &id).await;
        let mut pointers = Vec::new();
        sealed_pointers(&sealed_before, "", &mut pointers);
        assert!(!pointers.is_empty(), "{strategy}: nothing sealed");

        let fetched = expect(&tenant, Method::GET, &path, None, 200).await;
        for pointer in &pointers {
            assert!(
                fetched["options"].pointer(pointer).is_none(),
                "{strategy}: {pointer} is returned: {fetched}"
            );
        }
        // Twice: a secret lost by the first PATCH fails the second's checks.
        for _ in 0..2 {
            let patched = expect(
                &tenant,
                Method::PATCH,
                &path,
                Some(json!({"options": fetched["options"]})),
                200,
            )
            .await;
            assert_eq!(patched, fetched, "{strategy}");
        }
        let sealed_after = stored_options(&tenant, &id).await;
        for pointer in &pointers {
            assert_eq!(
                sealed_after.pointer(pointer),
                sealed_before.pointer(pointer),
                "{strategy}: the stored secret {pointer} changed"
            );
        }

        // A secret that is sent replaces the stored one (the others stay).
        let (first, rest) = pointers.split_first().unwrap();
        let mut options = fetched["options"].clone();
        let replacement = new_secret(first);
        set_pointer(&mut options, first, replacement);
        expect(
            &tenant,
            Method::PATCH,
            &path,
            Some(json!({"options": options})),
            200,
        )
        .await;
        let replaced = stored_options(&tenant, &id).await;
        assert_ne!(
            replaced.pointer(first),
            sealed_before.pointer(first),
            "{strategy}: {first} was sent, so it is sealed anew"
        );
        for pointer in rest {
            assert_eq!(
                replaced.pointer(pointer),
                sealed_before.pointer(pointer),
                "{strategy}: {pointer} was not sent, so it stays"
            );
        }
    }
}

/// A value of the right shape for the secret at `pointer` (the sealed value
/// itself is opaque): a PEM key where one is expected, a string otherwise,
/// an object for a custom database's `configuration`.
fn new_secret(pointer: &str) -> Value {
    match pointer {
        "/configuration" => json!({"http_secret": "replaced-secret-0123"}),
        "/app_secret"
        | "/client_assertion_signing_key"
        | "/signing_key/key"
        | "/decryptionKey/key" => json!(pem_key()),
        _ => json!("replaced-secret-0123"),
    }
}

fn set_pointer(root: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = if parent.is_empty() {
        root
    } else {
        root.pointer_mut(parent).unwrap()
    };
    parent
        .as_object_mut()
        .unwrap()
        .insert(key.to_owned(), value);
}

/// The behaviour behind the stored values: the fake GitHub checks the client
/// secret at its token endpoint.
#[tokio::test]
async fn a_connection_patched_with_its_get_options_still_logs_in() {
    let (gh, _state) = fake_github().await;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    github_connection(&tenant, &app, &gh, "on_each_login").await;
    let listed = expect(
        &tenant,
        Method::GET,
        "/api/v2/connections?name=github",
        None,
        200,
    )
    .await;
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v2/connections/{id}");
    let fetched = expect(&tenant, Method::GET, &path, None, 200).await;
    expect(
        &tenant,
        Method::PATCH,
        &path,
        Some(json!({"options": fetched["options"]})),
        200,
    )
    .await;
    let claims = github_login_result(&tenant, &app, &gh).await;
    assert_eq!(
        claims.as_ref().map(|c| c["sub"].clone()),
        Ok(json!("github|583231"))
    );

    // A secret sent with the options replaces the stored one: GitHub now
    // refuses the code exchange.
    let mut options = fetched["options"].clone();
    options["client_secret"] = json!("not-the-github-secret");
    expect(
        &tenant,
        Method::PATCH,
        &path,
        Some(json!({"options": options})),
        200,
    )
    .await;
    assert_eq!(
        github_login_result(&tenant, &app, &gh).await,
        Err("server_error".to_owned())
    );
}

/// A login through the `github` connection: the ID token's claims, or the
/// `error` the client was sent.
async fn github_login_result(tenant: &Tenant, app: &App, gh: &str) -> Result<Value, String> {
    let browser = Browser::new(tenant);
    let request = authorize(tenant, app, &[("connection", "github")]);
    let origin = tenant.origin();
    let at = start_walk(&browser, &request.url, &[origin.as_str(), gh])
        .await
        .away();
    match query_param(&at, "error") {
        Some(error) => Err(error),
        None => Ok(code_to_id_token(tenant, app, &request, &at).await),
    }
}
