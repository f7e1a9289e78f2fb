//! Brute-force protection and IP throttling through `database_users::login`,
//! with a fixed clock and several client IPs.

#![allow(clippy::unwrap_used)]

use engine::Engine;
use engine::database_users::{self, LoginOutcome, SignupInput};
use engine::login_protection;
use engine::tenants::{TenantSpec, ensure_tenant};
use model::{Connection, FixedClock, Tenant, TenantId};
use std::sync::Arc;

const START: i64 = 1_800_000_000_000;
const PASSWORD: &str = "Corr3ct-Horse-Battery";

async fn setup(options: serde_json::Value) -> (Engine, FixedClock, Tenant, Connection) {
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
            ip_throttle_max_failures: 30,
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
    let create = serde_json::from_value(serde_json::json!({
        "name": "db", "strategy": "auth0", "options": options
    }))
    .unwrap();
    let connection = engine::connections::create_connection(&engine, &tenant.id, create)
        .await
        .unwrap();
    database_users::signup(
        &engine,
        &tenant.id,
        &connection,
        SignupInput {
            email: Some("ada@example.com".into()),
            password: PASSWORD.into(),
            ..SignupInput::default()
        },
    )
    .await
    .unwrap();
    (engine, clock, tenant, connection)
}

async fn attempt(
    engine: &Engine,
    tenant: &Tenant,
    connection: &Connection,
    login: &str,
    password: &str,
    ip: &str,
) -> &'static str {
    match database_users::login(engine, &tenant.id, connection, login, password, Some(ip))
        .await
        .unwrap()
    {
        LoginOutcome::LoggedIn(_) => "ok",
        LoginOutcome::WrongCredentials => "wrong",
        LoginOutcome::Blocked => "blocked",
        LoginOutcome::Throttled => "throttled",
        LoginOutcome::Unavailable => "unavailable",
    }
}

#[tokio::test]
async fn ten_failures_block_the_identifier_from_that_ip_only() {
    let (engine, _clock, tenant, db) = setup(serde_json::json!({})).await;
    let x = "192.0.2.1";
    for _ in 0..10 {
        assert_eq!(
            attempt(&engine, &tenant, &db, "ada@example.com", "wrong", x).await,
            "wrong"
        );
    }
    assert_eq!(
        attempt(&engine, &tenant, &db, "ada@example.com", PASSWORD, x).await,
        "blocked"
    );
    // Identifier variants count as the same identifier.
    assert_eq!(
        attempt(&engine, &tenant, &db, " ADA@example.COM ", PASSWORD, x).await,
        "blocked"
    );
    assert_eq!(
        attempt(
            &engine,
            &tenant,
            &db,
            "ada@example.com",
            PASSWORD,
            "198.51.100.7"
        )
        .await,
        "ok"
    );

    // An admin unblock lifts it.
    let user = engine
        .storage
        .get_user_by_email(&tenant.id, &db.id, "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let identifiers = login_protection::identifiers_of(&user);
    assert_eq!(
        login_protection::blocks(&engine, &tenant.id, &identifiers)
            .await
            .unwrap()
            .len(),
        1
    );
    login_protection::unblock(&engine, &tenant.id, &identifiers)
        .await
        .unwrap();
    assert_eq!(
        attempt(&engine, &tenant, &db, "ada@example.com", PASSWORD, x).await,
        "ok"
    );
}

#[tokio::test]
async fn a_success_resets_the_consecutive_count() {
    let (engine, _clock, tenant, db) = setup(serde_json::json!({})).await;
    let x = "192.0.2.1";
    for _ in 0..9 {
        attempt(&engine, &tenant, &db, "ada@example.com", "wrong", x).await;
    }
    assert_eq!(
        attempt(&engine, &tenant, &db, "ada@example.com", PASSWORD, x).await,
        "ok"
    );
    for _ in 0..9 {
        assert_eq!(
            attempt(&engine, &tenant, &db, "ada@example.com", "wrong", x).await,
            "wrong"
        );
    }
    assert_eq!(
        attempt(&engine, &tenant, &db, "ada@example.com", PASSWORD, x).await,
        "ok"
    );
}

#[tokio::test]
async fn unknown_identifiers_are_blocked_exactly_like_known_ones() {
    let (engine, _clock, tenant, db) = setup(serde_json::json!({})).await;
    let x = "192.0.2.1";
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..12 {
        known.push(attempt(&engine, &tenant, &db, "ada@example.com", "wrong", x).await);
        unknown.push(attempt(&engine, &tenant, &db, "nobody@example.com", "wrong", x).await);
    }
    assert_eq!(known, unknown);
    assert_eq!(known[9], "wrong");
    assert_eq!(known[10], "blocked");
}

#[tokio::test]
async fn blocks_lapse_after_their_lifetime() {
    let (engine, clock, tenant, db) = setup(serde_json::json!({})).await;
    let x = "192.0.2.1";
    for _ in 0..10 {
        attempt(&engine, &tenant, &db, "ada@example.com", "wrong", x).await;
    }
    clock.advance_millis(29 * 86_400_000);
    assert_eq!(
        attempt(&engine, &tenant, &db, "ada@example.com", PASSWORD, x).await,
        "blocked"
    );
    clock.advance_millis(2 * 86_400_000);
    assert_eq!(
        attempt(&engine, &tenant, &db, "ada@example.com", PASSWORD, x).await,
        "ok"
    );
}

#[tokio::test]
async fn brute_force_protection_can_be_turned_off() {
    let (engine, _clock, tenant, db) =
        setup(serde_json::json!({"brute_force_protection": false})).await;
    for _ in 0..15 {
        attempt(
            &engine,
            &tenant,
            &db,
            "ada@example.com",
            "wrong",
            "192.0.2.1",
        )
        .await;
    }
    assert_eq!(
        attempt(
            &engine,
            &tenant,
            &db,
            "ada@example.com",
            PASSWORD,
            "192.0.2.1"
        )
        .await,
        "ok"
    );
}

#[tokio::test]
async fn many_failures_from_one_ip_throttle_it_for_everyone_until_the_window_ends() {
    let (engine, clock, tenant, db) = setup(serde_json::json!({})).await;
    let stuffer = "203.0.113.9";
    // 30 (the configured threshold) failures spread over many identifiers.
    for i in 0..30 {
        let login = format!("user{i}@example.com");
        assert_eq!(
            attempt(&engine, &tenant, &db, &login, "guess", stuffer).await,
            "wrong"
        );
    }
    assert_eq!(
        attempt(&engine, &tenant, &db, "ada@example.com", PASSWORD, stuffer).await,
        "throttled"
    );
    assert_eq!(
        attempt(
            &engine,
            &tenant,
            &db,
            "ada@example.com",
            PASSWORD,
            "192.0.2.1"
        )
        .await,
        "ok"
    );
    clock.advance_millis(3_600_001);
    assert_eq!(
        attempt(&engine, &tenant, &db, "ada@example.com", PASSWORD, stuffer).await,
        "ok"
    );
}
