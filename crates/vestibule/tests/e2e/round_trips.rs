//! Round trips through the Management API: whatever a `GET` returns, the
//! `PATCH` of the same resource accepts unchanged and changes nothing.
//! Connections never return their secret options, so a `PATCH` whose
//! `options` leave a secret out keeps the stored one (Auth0's documented
//! exception to "`options` replaces the whole object"); one that sends a
//! secret replaces it.

use crate::harness::http;
use crate::support::{App, Browser, REDIRECT_A, Tenant, authorize, query_param};
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

// ------------------------------------------- every GET → PATCH in the document

/// How the generic round trip treats one document path with `{…}` in it.
enum Case {
    /// The concrete path of a resource made for the test, and the members
    /// its GET returns that Auth0's PATCH refuses as read-only.
    RoundTrip {
        path: String,
        read_only: &'static [&'static str],
    },
    /// GET and PATCH of the path are not one resource's two sides (the
    /// reason is at the case).
    NotOneResource,
}

/// Members Auth0 documents in a resource's GET answer but not in its PATCH
/// body (Management API v2 reference, "Update a …"): only these are left out
/// of the round trip; everything else a GET returns, PATCH must accept.
const CLIENT_READ_ONLY: &[&str] = &["client_id", "tenant", "global", "signing_keys"];
const CONNECTION_READ_ONLY: &[&str] = &["id", "name", "strategy"];
const RESOURCE_SERVER_READ_ONLY: &[&str] = &["id", "identifier", "is_system"];
const CLIENT_GRANT_READ_ONLY: &[&str] = &["id", "client_id", "audience"];
const USER_READ_ONLY: &[&str] = &[
    "user_id",
    "created_at",
    "updated_at",
    "identities",
    "logins_count",
    "last_login",
    "last_ip",
];

/// Makes the resource a document path with parameters names, with values
/// off the defaults where the API allows; `None` for a path this table does
/// not know (the test then fails: every new PATCH needs a case here).
async fn case(tenant: &Tenant, template: &str) -> Option<Case> {
    let post = |path: &'static str, body: Value| async move {
        expect(tenant, Method::POST, path, Some(body), 201).await
    };
    Some(match template {
        "/api/v2/clients/{id}" => {
            let client = post(
                "/api/v2/clients",
                json!({
                    "name": "Round trip", "description": "A client made to be patched",
                    "app_type": "regular_web", "logo_uri": "https://app.example/logo.png",
                    "callbacks": ["https://app.example/cb"], "allowed_logout_urls": ["https://app.example/"],
                    "web_origins": ["https://app.example"], "allowed_origins": ["https://app.example"],
                    "client_aliases": ["urn:app.example"], "allowed_clients": ["other-client"],
                    "grant_types": ["authorization_code", "refresh_token"],
                    "token_endpoint_auth_method": "client_secret_basic",
                    "jwt_configuration": {"alg": "ES256", "lifetime_in_seconds": 600},
                    "refresh_token": {"rotation_type": "rotating", "leeway": 5},
                    "sso": true, "sso_disabled": true, "custom_login_page_on": false,
                    "cross_origin_authentication": true, "is_token_endpoint_ip_header_trusted": true,
                    "initiate_login_uri": "https://app.example/login",
                    "client_metadata": {"team": "identity"}, "addons": {"wsfed": {}},
                    "is_first_party": false, "oidc_conformant": true,
                }),
            )
            .await;
            Case::RoundTrip {
                path: format!("/api/v2/clients/{}", client["client_id"].as_str()?),
                read_only: CLIENT_READ_ONLY,
            }
        }
        "/api/v2/connections/{id}" => {
            let connection = post(
                "/api/v2/connections",
                json!({
                    "name": "round-trip-oidc", "strategy": "oidc", "display_name": "Round trip",
                    "options": {"type": "back_channel", "client_id": "c", "client_secret": "oidc-secret-0123",
                                "discovery_url": "https://idp.example/.well-known/openid-configuration"},
                    "metadata": {"team": "identity"}, "realms": ["round-trip-oidc", "second-realm"],
                    "is_domain_connection": true, "show_as_button": false,
                }),
            )
            .await;
            Case::RoundTrip {
                path: format!("/api/v2/connections/{}", connection["id"].as_str()?),
                read_only: CONNECTION_READ_ONLY,
            }
        }
        // Auth0 documents GET as the list `{clients: [{client_id}]}` and
        // PATCH as a list of `{client_id, status}` changes.
        "/api/v2/connections/{id}/clients" => Case::NotOneResource,
        "/api/v2/resource-servers/{id}" => {
            let api = post(
                "/api/v2/resource-servers",
                resource_server("https://round-trip.example/"),
            )
            .await;
            Case::RoundTrip {
                path: format!("/api/v2/resource-servers/{}", api["id"].as_str()?),
                read_only: RESOURCE_SERVER_READ_ONLY,
            }
        }
        "/api/v2/client-grants/{id}" => {
            let client = post(
                "/api/v2/clients",
                json!({"name": "Grantee", "app_type": "non_interactive"}),
            )
            .await;
            post(
                "/api/v2/resource-servers",
                resource_server("https://granted.example/"),
            )
            .await;
            let grant = post(
                "/api/v2/client-grants",
                json!({"client_id": client["client_id"], "audience": "https://granted.example/",
                       "scope": ["read:things"]}),
            )
            .await;
            Case::RoundTrip {
                path: format!("/api/v2/client-grants/{}", grant["id"].as_str()?),
                read_only: CLIENT_GRANT_READ_ONLY,
            }
        }
        "/api/v2/users/{id}" => {
            post(
                "/api/v2/connections",
                json!({"name": "round-trip-db", "strategy": "auth0",
                                                "options": {"requires_username": true}}),
            )
            .await;
            let user = post(
                "/api/v2/users",
                json!({
                    "connection": "round-trip-db", "email": "ada@example.com", "username": "ada",
                    "password": "Corr3ct-Horse-Battery", "email_verified": true, "name": "Ada Lovelace",
                    "nickname": "ada", "given_name": "Ada", "family_name": "Lovelace",
                    "picture": "https://pictures.example/ada.png",
                    "user_metadata": {"theme": "dark"}, "app_metadata": {"plan": "gold"},
                }),
            )
            .await;
            Case::RoundTrip {
                path: format!("/api/v2/users/{}", user["user_id"].as_str()?),
                read_only: USER_READ_ONLY,
            }
        }
        "/api/v2/email-templates/{templateName}" => {
            post(
                "/api/v2/email-templates",
                json!({"template": "verify_email", "body": "<p>{{ url }}</p>", "from": "login@example.com",
                       "subject": "Verify", "syntax": "liquid", "resultUrl": "https://app.example/verified",
                       "urlLifetimeInSeconds": 3600, "includeEmailInRedirect": true, "enabled": true}),
            )
            .await;
            Case::RoundTrip {
                path: "/api/v2/email-templates/verify_email".to_owned(),
                read_only: &[],
            }
        }
        _ => return None,
    })
}

fn resource_server(identifier: &str) -> Value {
    json!({
        "identifier": identifier, "name": "Round trip API",
        "scopes": [{"value": "read:things", "description": "Read things"}],
        "signing_alg": "ES256", "token_lifetime": 3600, "token_lifetime_for_web": 1800,
        "allow_offline_access": true, "skip_consent_for_verifiable_first_party_clients": false,
        "enforce_policies": true, "token_dialect": "access_token_authz",
    })
}

/// Singletons that exist only once made; any other path without parameters
/// is GET and PATCHed as the server answers it.
async fn prepare_singleton(tenant: &Tenant, path: &str) {
    if path == "/api/v2/emails/provider" {
        expect(
            tenant,
            Method::POST,
            path,
            Some(
                json!({"name": "smtp", "enabled": true, "default_from_address": "login@example.com",
                        "credentials": {"smtp_host": "smtp.example.com", "smtp_port": 587,
                                        "smtp_user": "vestibule", "smtp_pass": "smtp-secret"},
                        "settings": {"allow_insecure_plaintext": false}}),
            ),
            201,
        )
        .await;
    }
}

/// The document's every path with a GET and a PATCH: make the resource, GET
/// it, PATCH it with that body (less Auth0's read-only members), and find
/// the same resource. A GET member PATCH refuses fails here.
#[tokio::test]
async fn every_patch_in_the_openapi_document_accepts_what_its_get_returns() {
    let tenant = Tenant::start().await;
    let document: Value = http()
        .get(tenant.server.url("/api/v2/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut round_trips = Vec::new();
    let mut unknown = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        if item.get("get").is_none() || item.get("patch").is_none() {
            continue;
        }
        let (path, read_only) = if template.contains('{') {
            match case(&tenant, template).await {
                Some(Case::RoundTrip { path, read_only }) => (path, read_only),
                Some(Case::NotOneResource) => continue,
                None => {
                    unknown.push(template.clone());
                    continue;
                }
            }
        } else {
            prepare_singleton(&tenant, template).await;
            (template.clone(), &[][..])
        };
        let before = expect(&tenant, Method::GET, &path, None, 200).await;
        let mut body = before.clone();
        let object = body
            .as_object_mut()
            .expect("a GET of one resource is an object");
        for member in read_only {
            object.remove(*member);
        }
        let patched = expect(&tenant, Method::PATCH, &path, Some(body), 200).await;
        let after = expect(&tenant, Method::GET, &path, None, 200).await;
        let unchanging = |mut value: Value| {
            // Stamped by every write, whatever it changed.
            value.as_object_mut().map(|o| o.remove("updated_at"));
            value
        };
        assert_eq!(unchanging(after.clone()), unchanging(before), "{template}");
        assert_eq!(
            unchanging(patched),
            unchanging(after),
            "{template}: PATCH answers the resource"
        );
        round_trips.push(template.clone());
    }
    assert!(
        unknown.is_empty(),
        "PATCH paths without a case in `case()`: {unknown:?}"
    );
    for expected in [
        "/api/v2/clients/{id}",
        "/api/v2/connections/{id}",
        "/api/v2/resource-servers/{id}",
        "/api/v2/client-grants/{id}",
        "/api/v2/users/{id}",
        "/api/v2/email-templates/{templateName}",
        "/api/v2/emails/provider",
        "/api/v2/prompts",
        "/api/v2/tenants/settings",
    ] {
        assert!(
            round_trips.iter().any(|done| done == expected),
            "{expected} was not round-tripped: {round_trips:?}"
        );
    }
}
