//! SSO session lifetimes: the tenant's settings override the server's
//! defaults, the idle limit as it is now and the absolute one as it was
//! when the session started. A fixed clock stands in for waiting.

#![allow(clippy::unwrap_used)]

use engine::Engine;
use engine::login::database_users::{self, SignupInput};
use engine::login::sessions;
use engine::management::tenant_settings::{self, LifetimePatch, SettingsPatch};
use engine::tenancy::tenants::{TenantSpec, ensure_tenant};
use model::{FixedClock, Tenant, TenantId, User};
use std::sync::Arc;

const START: i64 = 1_800_000_000_000;
const MINUTE: i64 = 60_000;

async fn setup() -> (Engine, FixedClock, TenantId, User) {
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
            session_idle_lifetime: 3 * 3_600,
            session_absolute_lifetime: 24 * 3_600,
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
    let create =
        serde_json::from_value(serde_json::json!({"name": "db", "strategy": "auth0"})).unwrap();
    let connection =
        engine::management::connections::create_connection(&engine, &tenant.id, create)
            .await
            .unwrap();
    let user = database_users::signup(
        &engine,
        &tenant.id,
        &connection,
        SignupInput {
            email: Some("ada@example.com".into()),
            password: "Corr3ct-Horse-Battery".into(),
            ..SignupInput::default()
        },
        None,
    )
    .await
    .unwrap();
    (engine, clock, tenant.id, user)
}

async fn tenant(engine: &Engine, id: &TenantId) -> Tenant {
    engine.storage.get_tenant(id).await.unwrap().unwrap()
}

async fn set_lifetimes(engine: &Engine, id: &TenantId, idle_minutes: i64, absolute_minutes: i64) {
    tenant_settings::update(
        engine,
        id,
        SettingsPatch {
            idle_session_lifetime: LifetimePatch {
                hours: None,
                minutes: Some(idle_minutes),
            },
            session_lifetime: LifetimePatch {
                hours: None,
                minutes: Some(absolute_minutes),
            },
            ..SettingsPatch::default()
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_tenants_idle_lifetime_ends_a_quiet_session_sooner_than_the_servers() {
    let (engine, clock, id, user) = setup().await;
    let tenant_now = tenant(&engine, &id).await;
    let (cookie, _) = sessions::start(&engine, &tenant_now, &user, "db", &["pwd"])
        .await
        .unwrap();
    clock.advance_millis(90 * MINUTE);
    let alive = sessions::current(&engine, &tenant_now, Some(&cookie))
        .await
        .unwrap();
    assert!(
        alive.is_some(),
        "90 minutes are within the server's 3 hours"
    );

    set_lifetimes(&engine, &id, 60, 24 * 60).await;
    let changed = tenant(&engine, &id).await;
    assert_eq!(sessions::idle_lifetime(&engine, &changed), 3_600);
    clock.advance_millis(61 * MINUTE);
    let ended = sessions::current(&engine, &changed, Some(&cookie))
        .await
        .unwrap();
    assert!(ended.is_none(), "61 quiet minutes exceed the tenant's hour");
}

#[tokio::test]
async fn the_tenants_absolute_lifetime_is_fixed_when_the_session_starts() {
    let (engine, clock, id, user) = setup().await;
    set_lifetimes(&engine, &id, 60, 120).await;
    let tenant = tenant(&engine, &id).await;
    assert_eq!(sessions::absolute_lifetime(&engine, &tenant), 7_200);
    let (cookie, session) = sessions::start(&engine, &tenant, &user, "db", &["pwd"])
        .await
        .unwrap();
    assert_eq!(session.expires_at, START + 120 * MINUTE);
    // Active every 50 minutes, it still ends after two hours.
    for _ in 0..2 {
        clock.advance_millis(50 * MINUTE);
        let live = sessions::current(&engine, &tenant, Some(&cookie))
            .await
            .unwrap()
            .expect("a live session");
        sessions::touch(&engine, &live, "app").await.unwrap();
    }
    clock.advance_millis(21 * MINUTE);
    let ended = sessions::current(&engine, &tenant, Some(&cookie))
        .await
        .unwrap();
    assert!(ended.is_none(), "past the tenant's two hours");
}
