//! Seeds a database connection with many users straight through the storage
//! layer (the same `Storage::create_user` the server uses), for the
//! start-up and idle-memory figures with a large store.
//!
//! Every seeded user shares one argon2id hash (computed once at the server's
//! default parameters) of the password `SEED_PASSWORD`: hashing 100,000
//! distinct passwords would take an hour and measure nothing extra.
//!
//! ```sh
//! cargo run --release -p vestibule --example seed_users -- \
//!   <database-url: sqlite:/path/vestibule.db | postgres://…> <tenant> <connection-id> <connection-name> <count>
//! ```

use crypto::{PasswordHasher, PasswordParams};
use futures::stream::{self, StreamExt};
use model::{Clock, Identity, SystemClock, TenantId, User};
use std::error::Error;
use std::sync::Arc;
use storage::Storage;
use storage_sql::SqlStorage;

const SEED_PASSWORD: &str = "Seeded-Password-1";
const CONCURRENCY: usize = 16;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, tenant, connection_id, connection_name, count] = args.as_slice() else {
        return Err(
            "usage: seed_users <database-url> <tenant> <connection-id> <connection-name> <count>"
                .into(),
        );
    };
    let count: u64 = count.parse()?;
    let storage: Arc<dyn Storage> = Arc::new(SqlStorage::open(url).await?);
    let hash = PasswordHasher::new(PasswordParams::default())?.hash(SEED_PASSWORD)?;
    let tenant = TenantId::new(tenant.clone());
    let now = SystemClock.now_millis();
    let started = std::time::Instant::now();
    let results: Vec<Result<(), storage::StorageError>> = stream::iter(0..count)
        .map(|index| {
            let storage = storage.clone();
            let id = format!("seed{index:020}");
            let email = format!("seed-user-{index}@bench.example");
            let user = User {
                tenant_id: tenant.clone(),
                user_id: format!("auth0|{id}"),
                connection_id: connection_id.clone(),
                email: Some(email.clone()),
                email_verified: true,
                username: None,
                phone_number: None,
                phone_verified: false,
                name: Some(email),
                nickname: Some(format!("seed-user-{index}")),
                given_name: None,
                family_name: None,
                picture: None,
                password_hash: Some(hash.clone()),
                password_history: Vec::new(),
                blocked: false,
                identities: vec![Identity {
                    connection: connection_name.clone(),
                    connection_id: connection_id.clone(),
                    provider: "auth0".into(),
                    user_id: id,
                    is_social: false,
                    profile_data: None,
                    upstream_tokens: None,
                }],
                user_metadata: serde_json::Map::new(),
                app_metadata: serde_json::Map::new(),
                logins_count: 0,
                last_login: None,
                last_ip: None,
                created_at: now,
                updated_at: now,
            };
            async move { storage.create_user(&user).await }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(error)) = results.iter().find(|r| r.is_err()) {
        eprintln!("first failure: {error}");
    }
    println!(
        "seeded={} failed={failed} seconds={:.1}",
        count as usize - failed,
        started.elapsed().as_secs_f64()
    );
    // Checkpoints and removes the write-ahead log, which the next server
    // start would otherwise replay.
    storage.close().await;
    if failed > 0 {
        return Err("some users were not created".into());
    }
    Ok(())
}
