//! Brute-force protection and IP throttling through `database_users::login`,
//! with a fixed clock and several client IPs.

#![allow(clippy::unwrap_used)]

use engine::Engine;
use engine::login::database_users::{self, LoginOutcome, SignupInput};
use engine::login::login_protection;
use engine::tenancy::tenants::{TenantSpec, ensure_tenant};
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
    let connection =
        engine::management::connections::create_connection(&engine, &tenant.id, create)
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
        None,
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

#[tokio::test]
async fn empty_passwords_are_refused_unhashed_and_counted() {
    let (engine, _clock, tenant, db) = setup(serde_json::json!({})).await;
    let x = "192.0.2.1";
    let hashes = engine.passwords.hashes_run();
    for _ in 0..10 {
        assert_eq!(
            attempt(&engine, &tenant, &db, "ada@example.com", "", x).await,
            "wrong"
        );
    }
    assert_eq!(
        attempt(&engine, &tenant, &db, "ada@example.com", PASSWORD, x).await,
        "blocked"
    );
    // Over-long identifiers name no account: counted against the IP alone
    // (30 failures throttle it in this setup; 10 are already counted).
    let long = format!("{}@example.com", "a".repeat(300));
    for _ in 0..20 {
        assert_eq!(
            attempt(&engine, &tenant, &db, &long, "wrong", x).await,
            "wrong"
        );
    }
    assert_eq!(
        attempt(&engine, &tenant, &db, &long, "wrong", x).await,
        "throttled"
    );
    assert_eq!(engine.passwords.hashes_run(), hashes, "no hash was spent");
}

#[tokio::test]
async fn rotating_ips_reach_the_per_account_cap_then_an_unblock_lifts_it() {
    let (engine, clock, tenant, db) = setup(serde_json::json!({})).await;
    // 100 failures from 100 addresses: no pair block, no IP throttle.
    for n in 0..100 {
        let ip = format!("198.51.100.{n}");
        assert_eq!(
            attempt(&engine, &tenant, &db, "ada@example.com", "wrong", &ip).await,
            "wrong"
        );
    }
    // Every address is refused now, even with the right password.
    assert_eq!(
        attempt(
            &engine,
            &tenant,
            &db,
            "ada@example.com",
            PASSWORD,
            "203.0.113.9"
        )
        .await,
        "blocked"
    );
    // Other identifiers are not.
    assert_eq!(
        attempt(
            &engine,
            &tenant,
            &db,
            "bob@example.com",
            "wrong",
            "203.0.113.9"
        )
        .await,
        "wrong"
    );
    let user = engine
        .storage
        .get_user_by_email(&tenant.id, &db.id, "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let identifiers = login_protection::identifiers_of(&user);
    let blocks = login_protection::blocks(&engine, &tenant.id, &identifiers)
        .await
        .unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].key.ip, "");
    login_protection::unblock(&engine, &tenant.id, &identifiers)
        .await
        .unwrap();
    assert_eq!(
        attempt(
            &engine,
            &tenant,
            &db,
            "ada@example.com",
            PASSWORD,
            "203.0.113.9"
        )
        .await,
        "ok"
    );

    // The cap also lapses when its hour is over.
    for n in 0..100 {
        let ip = format!("198.51.100.{n}");
        attempt(&engine, &tenant, &db, "ada@example.com", "wrong", &ip).await;
    }
    assert_eq!(
        attempt(
            &engine,
            &tenant,
            &db,
            "ada@example.com",
            PASSWORD,
            "203.0.113.9"
        )
        .await,
        "blocked"
    );
    clock.advance_millis(3_600_001);
    assert_eq!(
        attempt(
            &engine,
            &tenant,
            &db,
            "ada@example.com",
            PASSWORD,
            "203.0.113.9"
        )
        .await,
        "ok"
    );
}

#[tokio::test]
async fn signups_are_throttled_per_ip() {
    let (engine, _clock, tenant, db) = setup(serde_json::json!({})).await;
    let signup = |n: usize, ip: &'static str| {
        let (engine, tenant, db) = (engine.clone(), tenant.clone(), db.clone());
        async move {
            database_users::signup(
                &engine,
                &tenant.id,
                &db,
                SignupInput {
                    email: Some(format!("user{n}@example.com")),
                    password: PASSWORD.into(),
                    ..SignupInput::default()
                },
                Some(ip),
            )
            .await
        }
    };
    for n in 0..50 {
        assert!(signup(n, "192.0.2.1").await.is_ok(), "signup {n}");
    }
    assert!(matches!(
        signup(50, "192.0.2.1").await,
        Err(database_users::SignupError::Throttled)
    ));
    assert!(signup(51, "192.0.2.2").await.is_ok());
}
