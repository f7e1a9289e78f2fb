//! Vestibule's storage on SQL databases: SQLite (the default, one file) and
//! PostgreSQL (kept CockroachDB-compatible), behind the one
//! [`storage::Storage`] interface.
//!
//! Each record is stored whole as JSON in a `data` column; the remaining
//! columns exist for keys, uniqueness rules, filters and ordering, so the
//! database enforces every uniqueness rule of the interface. Every statement
//! is written once and runs unchanged on both backends (see [`pool`]);
//! only the schema migrations differ per backend.

mod client_grants;
mod clients;
mod connections;
mod email;
mod errors;
mod jobs;
mod list;
mod log_search;
mod login_counters;
mod one_time;
mod open;
mod pool;
mod record;
mod resource_servers;
mod sessions;
mod signing_keys;
mod tenants;
mod tokens;
mod transactions;
mod user_search;
mod users;

use async_trait::async_trait;
use errors::SqlResultExt;
use model::UnixMillis;
use pool::{Pool, args};
use storage::{Result, Storage};

/// Tenant log events are kept this long (Auth0 keeps them 2 to 30 days by plan).
const LOG_RETENTION_MILLIS: i64 = 30 * 86_400_000;

/// The SQL storage. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct SqlStorage {
    pool: Pool,
}

impl std::fmt::Debug for SqlStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStorage")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Storage for SqlStorage {
    async fn close(&self) {
        self.pool.close().await;
    }

    fn backend_name(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(..) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    async fn ping(&self) -> Result<()> {
        let _: (i32,) = self
            .pool
            .fetch_one("SELECT 1", args![])
            .await
            .ctx("ping the database")?;
        Ok(())
    }

    /// The only statements that span tenants: expiry is a property of the
    /// record alone, and a sweep per tenant would only multiply round trips.
    /// Each statement stands alone; a record that expires between them is
    /// simply left for the next sweep. Tokens stay until their family has
    /// expired too, so that reuse of a rotated token is still recognised.
    async fn garbage_collect(&self, now: UnixMillis) -> Result<u64> {
        // (statement, what it does, how old a record must be beyond its expiry)
        const SWEEPS: [(&str, &str, i64); 7] = [
            (
                "DELETE FROM one_time WHERE expires_at <= $1",
                "remove expired one-time records",
                0,
            ),
            (
                "DELETE FROM transactions WHERE expires_at <= $1",
                "remove expired login transactions",
                0,
            ),
            (
                "DELETE FROM sessions WHERE expires_at <= $1",
                "remove expired sessions",
                0,
            ),
            (
                "DELETE FROM tokens WHERE expires_at <= $1 AND family_expires_at <= $1",
                "remove expired tokens",
                0,
            ),
            (
                "DELETE FROM login_counters WHERE expires_at <= $1",
                "remove expired login counters",
                0,
            ),
            (
                "DELETE FROM log_events WHERE date <= $1",
                "remove old log events",
                LOG_RETENTION_MILLIS,
            ),
            (
                "DELETE FROM jobs WHERE expires_at <= $1",
                "remove expired jobs",
                0,
            ),
        ];
        let mut removed = 0;
        for (sql, context, age) in SWEEPS {
            removed += self
                .pool
                .execute(sql, args![now - age])
                .await
                .ctx(context)?;
        }
        Ok(removed)
    }
}
