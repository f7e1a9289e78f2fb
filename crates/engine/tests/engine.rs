//! Engine tests without HTTP: a fixed clock and an in-memory SQLite store.

// Setup helpers live outside `#[test]` functions, where clippy's
// allow-*-in-tests settings do not reach.
#![allow(clippy::unwrap_used)]

use engine::Engine;
use engine::tenancy::tenants::{
    BootstrapCredentials, TenantSpec, ensure_bootstrap_client, ensure_tenant,
};
use model::{FixedClock, Tenant, TenantId};
use std::sync::Arc;

const START: i64 = 1_800_000_000_000;

async fn engine_with_tenant() -> (Engine, FixedClock, Tenant) {
    let storage = storage_sql::SqlStorage::open_sqlite_memory().await.unwrap();
    let clock = FixedClock::at(START);
    let engine = Engine::new(
        Arc::new(storage),
        Arc::new(clock.clone()),
        crypto::MasterKey::generate().unwrap(),
        engine::Settings {
            password_params: crypto::PasswordParams {
                m_cost_kib: 64,
                t_cost: 1,
                p_cost: 1,
            },
            ..engine::Settings::default()
        },
    )
    .unwrap();
    let tenant = ensure_tenant(
        &engine,
        &TenantSpec {
            id: TenantId::new("default"),
            friendly_name: "Default".into(),
            issuer: "https://auth.example.test".into(),
            hosts: vec![],
        },
    )
    .await
    .unwrap();
    (engine, clock, tenant)
}

async fn bootstrap_token(engine: &Engine, tenant: &Tenant) -> String {
    let credentials = BootstrapCredentials {
        client_id: "bootstrap".into(),
        client_secret: "bootstrap-secret-0123456789".into(),
    };
    ensure_bootstrap_client(engine, tenant, Some(&credentials))
        .await
        .unwrap();
    let presented = engine::token::client_auth::PresentedCredentials::Post {
        client_id: credentials.client_id.clone(),
        secret: credentials.client_secret.clone(),
    };
    let client = engine::token::client_auth::authenticate(engine, &tenant.id, &presented, None)
        .await
        .unwrap();
    engine::token::request::GrantType::ClientCredentials
        .check_allowed(&client)
        .unwrap();
    let request = engine::token::request::ClientCredentialsRequest {
        audience: Some(tenant.management_audience()),
        scope: None,
    };
    engine::token::grant::client_credentials::issue(engine, tenant, &client, &request)
        .await
        .unwrap()
        .access_token
}

#[tokio::test]
async fn issuer_is_normalised_and_management_audience_follows_it() {
    let (_engine, _clock, tenant) = engine_with_tenant().await;
    assert_eq!(tenant.issuer, "https://auth.example.test/");
    assert_eq!(
        tenant.management_audience(),
        "https://auth.example.test/api/v2/"
    );
    assert!(tenant.hosts.contains(&"auth.example.test".to_owned()));
}

#[tokio::test]
async fn management_tokens_expire() {
    let (engine, clock, tenant) = engine_with_tenant().await;
    let token = bootstrap_token(&engine, &tenant).await;
    let caller = engine::management::management_token::authenticate(&engine, &tenant, &token)
        .await
        .unwrap();
    assert!(caller.has_scope("create:clients"));
    assert_eq!(caller.subject, "bootstrap@clients");

    // The Management API's tokens live 24 h; past that plus the 60 s leeway they are refused.
    clock.advance_millis(86_400_000 + 61_000);
    let error = engine::management::management_token::authenticate(&engine, &tenant, &token)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            engine::management::management_token::ManagementAuthError::Invalid(_)
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn bootstrap_credentials_are_kept_or_replaced_exactly() {
    let (engine, _clock, tenant) = engine_with_tenant().await;
    let first = bootstrap_token(&engine, &tenant).await;
    assert!(!first.is_empty());
    // A second start with the same credentials keeps one client and one grant.
    let again = bootstrap_token(&engine, &tenant).await;
    assert!(!again.is_empty());
    let clients = engine
        .storage
        .list_clients(
            &tenant.id,
            &storage::ClientFilter::default(),
            &storage::Paging::default(),
        )
        .await
        .unwrap();
    assert_eq!(clients.total, 1);
    // Without wanted credentials, an existing system client means nothing is printed.
    assert!(
        ensure_bootstrap_client(&engine, &tenant, None)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn secret_options_are_sealed_kept_on_update_and_replaced_when_given() {
    let (engine, _clock, tenant) = engine_with_tenant().await;
    let create: engine::management::connections::ConnectionCreate =
        serde_json::from_value(serde_json::json!({
            "name": "github", "strategy": "github",
            "options": {"client_id": "id-1", "client_secret": "first-secret"}
        }))
        .unwrap();
    let connection =
        engine::management::connections::create_connection(&engine, &tenant.id, create)
            .await
            .unwrap();
    assert!(
        !connection.options.to_string().contains("first-secret"),
        "stored sealed"
    );
    let opened = engine::management::connections::unsealed_options(&engine, &connection).unwrap();
    assert_eq!(opened["client_secret"], "first-secret");

    let update: engine::management::connections::ConnectionUpdate =
        serde_json::from_value(serde_json::json!({"options": {"client_id": "id-2"}})).unwrap();
    let updated = engine::management::connections::update_connection(
        &engine,
        &tenant.id,
        &connection.id,
        update,
    )
    .await
    .unwrap();
    let opened = engine::management::connections::unsealed_options(&engine, &updated).unwrap();
    assert_eq!(opened["client_id"], "id-2");
    assert_eq!(
        opened["client_secret"], "first-secret",
        "left out means kept"
    );

    let update: engine::management::connections::ConnectionUpdate = serde_json::from_value(
        serde_json::json!({"options": {"client_id": "id-2", "client_secret": "second-secret"}}),
    )
    .unwrap();
    let updated = engine::management::connections::update_connection(
        &engine,
        &tenant.id,
        &connection.id,
        update,
    )
    .await
    .unwrap();
    let opened = engine::management::connections::unsealed_options(&engine, &updated).unwrap();
    assert_eq!(opened["client_secret"], "second-secret");
    assert!(
        engine::management::connections::public_options(&updated)
            .get("client_secret")
            .is_none()
    );
}

#[tokio::test]
async fn a_failed_update_writes_nothing() {
    let (engine, _clock, tenant) = engine_with_tenant().await;
    let input: engine::management::clients::ClientInput =
        serde_json::from_value(serde_json::json!({"name": "App"})).unwrap();
    let (client, _) = engine::management::clients::create_client(&engine, &tenant.id, &input)
        .await
        .unwrap();
    let bad: engine::management::clients::ClientInput = serde_json::from_value(
        serde_json::json!({"name": "Renamed", "callbacks": ["https://ok.example/cb", "not a url"]}),
    )
    .unwrap();
    let error =
        engine::management::clients::update_client(&engine, &tenant.id, &client.client_id, &bad)
            .await
            .unwrap_err();
    assert!(
        matches!(&error, engine::EngineError::Invalid { field, .. } if field == "callbacks[1]"),
        "{error:?}"
    );
    let stored = engine::management::clients::get_client(&engine, &tenant.id, &client.client_id)
        .await
        .unwrap();
    assert_eq!(stored.name, "App");
    assert!(stored.callbacks.is_empty());
}

/// The token endpoint's cached lookups follow changes made through this
/// engine at once, and changes made behind its back (another node) within
/// the cache's lifetime.
#[tokio::test]
async fn cached_client_lookups_follow_rotation_deletion_and_other_nodes() {
    let (engine, clock, tenant) = engine_with_tenant().await;
    bootstrap_token(&engine, &tenant).await; // the client is now cached
    let post = |secret: &str| engine::token::client_auth::PresentedCredentials::Post {
        client_id: "bootstrap".into(),
        secret: secret.to_owned(),
    };
    let (_, rotated) = engine::management::clients::rotate_secret(&engine, &tenant.id, "bootstrap")
        .await
        .unwrap();
    assert!(
        engine::token::client_auth::authenticate(
            &engine,
            &tenant.id,
            &post("bootstrap-secret-0123456789"),
            None
        )
        .await
        .is_err(),
        "the old secret still works after a local rotation"
    );
    engine::token::client_auth::authenticate(&engine, &tenant.id, &post(&rotated), None)
        .await
        .unwrap();

    // Another node deletes the client: seen once the cached entry expires.
    engine
        .storage
        .delete_client(&tenant.id, "bootstrap")
        .await
        .unwrap();
    clock.advance_millis(engine::tenancy::lookups::CACHE_TTL_MILLIS);
    assert!(
        engine::token::client_auth::authenticate(&engine, &tenant.id, &post(&rotated), None)
            .await
            .is_err(),
        "a client deleted elsewhere still authenticates after the cache lifetime"
    );
}

#[tokio::test]
async fn guessing_a_client_secret_is_throttled_per_client_and_ip() {
    let (engine, clock, tenant) = engine_with_tenant().await;
    bootstrap_token(&engine, &tenant).await;
    let guess = |secret: &str| engine::token::client_auth::PresentedCredentials::Post {
        client_id: "bootstrap".into(),
        secret: secret.to_owned(),
    };
    let right = guess("bootstrap-secret-0123456789");
    for _ in 0..engine::token::client_auth::THROTTLE_MAX_FAILURES {
        let error = engine::token::client_auth::authenticate(
            &engine,
            &tenant.id,
            &guess("wrong-guess"),
            Some("203.0.113.9"),
        )
        .await
        .unwrap_err();
        assert_eq!(
            error.code,
            engine::token::oauth_error::ErrorCode::InvalidClient
        );
    }
    // Now even the right secret is refused from that IP, with the same error…
    let error =
        engine::token::client_auth::authenticate(&engine, &tenant.id, &right, Some("203.0.113.9"))
            .await
            .unwrap_err();
    assert_eq!(
        error.code,
        engine::token::oauth_error::ErrorCode::InvalidClient
    );
    // …while another IP is unaffected.
    engine::token::client_auth::authenticate(&engine, &tenant.id, &right, Some("198.51.100.7"))
        .await
        .unwrap();
    // The block ends with the window.
    clock.advance_millis(engine::token::client_auth::THROTTLE_WINDOW_MILLIS + 1);
    engine::token::client_auth::authenticate(&engine, &tenant.id, &right, Some("203.0.113.9"))
        .await
        .unwrap();
}
