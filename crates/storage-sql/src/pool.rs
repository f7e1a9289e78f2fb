//! The two connection pools and the handful of ways a statement is run.
//!
//! Everything above this module writes SQL once, with `$n` placeholders that
//! SQLite and PostgreSQL both accept, and passes its values as [`Arg`]s. The
//! per-backend `match` lives here, so adding a statement never means
//! writing it twice (one exception: `tokens.rs` rotates a refresh token in a
//! single statement that only PostgreSQL can run). Multi-statement work runs in a [`Tx`], which on SQLite
//! takes the write lock up front (`BEGIN IMMEDIATE`) so that two writers
//! never fail to upgrade a read lock.
//!
//! SQLite admits one writer at a time, and a writer that finds the lock taken
//! waits in SQLite's busy handler, which *sleeps* (1, 2, 5, … 100 ms) rather
//! than waking when the lock is released: under concurrent writes that sleep
//! was most of the latency (a p99 of 557 ms for refresh rotations at 1,500/s).
//! So this process's writers queue on a [`WriteGate`] first, in arrival
//! order, and the busy handler is left for other processes (and for the
//! moment after an abandoned transaction, whose rollback sqlx runs on the
//! connection's thread after the gate has opened).

use crate::errors::is_retryable;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{FromRow, PgPool, Postgres, SqlSafeStr, SqlStr, Sqlite, SqlitePool, Transaction};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use storage::Result;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How often contended work (a lost optimistic update, a busy database, a
/// serialization failure) is tried before giving up.
pub(crate) const ATTEMPTS: u32 = 50;

/// The pool of whichever backend the storage was opened on.
#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
}

/// The queue of this process's SQLite writers: held for one writing
/// statement, or for a whole write transaction.
#[derive(Clone, Default)]
pub(crate) struct WriteGate(Arc<Mutex<()>>);

/// How long a writer waits for its turn, as SQLite's own `busy_timeout`:
/// under overload a write fails (and is not retried) rather than queueing
/// without end.
const WRITE_TURN_TIMEOUT: Duration = Duration::from_secs(5);

impl WriteGate {
    async fn enter(&self) -> Result<OwnedMutexGuard<()>, sqlx::Error> {
        tokio::time::timeout(WRITE_TURN_TIMEOUT, self.0.clone().lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)
    }
}

/// Whether a statement only reads. Anything else (`INSERT`, `UPDATE`,
/// `DELETE`, with or without `RETURNING`) writes and, on SQLite, queues on
/// the [`WriteGate`].
fn reads_only(sql: &str) -> bool {
    let head = sql.trim_start().get(..6).unwrap_or_default();
    head.eq_ignore_ascii_case("SELECT") || head.eq_ignore_ascii_case("PRAGMA")
}

/// One bound value. Only types that both backends encode the same way.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(value.to_owned())
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Text(value)
    }
}

impl From<Option<&str>> for Arg {
    fn from(value: Option<&str>) -> Self {
        Arg::OptText(value.map(str::to_owned))
    }
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Arg::Int(value)
    }
}

impl From<Option<i64>> for Arg {
    fn from(value: Option<i64>) -> Self {
        Arg::OptInt(value)
    }
}

impl From<bool> for Arg {
    fn from(value: bool) -> Self {
        Arg::Bool(value)
    }
}

impl From<&model::TenantId> for Arg {
    fn from(value: &model::TenantId) -> Self {
        Arg::Text(value.as_str().to_owned())
    }
}

/// `args![a, b, c]`: the values for `$1`, `$2`, `$3`.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::pool::Arg::from($value)),*]
    };
}
pub(crate) use args;

/// Binds every [`Arg`] in order; expanded once per backend.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Text(value) => query.bind(value),
                Arg::OptText(value) => query.bind(value),
                Arg::Int(value) => query.bind(value),
                Arg::OptInt(value) => query.bind(value),
                Arg::Bool(value) => query.bind(value),
            };
        }
        query
    }};
}

/// A row shape both backends can decode, e.g. `(String, i64)`.
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

impl<T> Row for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

/// A borrowed connection of either backend: a pooled one or a transaction's.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    /// Runs a statement; returns the number of rows it changed.
    pub(crate) async fn execute(
        &mut self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Conn::Sqlite(conn) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **conn)
                .await?
                .rows_affected(),
            Conn::Postgres(conn) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **conn)
                .await?
                .rows_affected(),
        })
    }

    pub(crate) async fn fetch_optional<T: Row>(
        &mut self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Option<T>, sqlx::Error> {
        match self {
            Conn::Sqlite(conn) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_optional(&mut **conn)
                    .await
            }
            Conn::Postgres(conn) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_optional(&mut **conn)
                    .await
            }
        }
    }

    pub(crate) async fn fetch_all<T: Row>(
        &mut self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Conn::Sqlite(conn) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_all(&mut **conn)
                    .await
            }
            Conn::Postgres(conn) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_all(&mut **conn)
                    .await
            }
        }
    }

    pub(crate) async fn fetch_one<T: Row>(
        &mut self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<T, sqlx::Error> {
        match self {
            Conn::Sqlite(conn) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_one(&mut **conn)
                    .await
            }
            Conn::Postgres(conn) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_one(&mut **conn)
                    .await
            }
        }
    }
}

/// A connection taken from the pool for one statement.
pub(crate) enum Pooled {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

impl Pooled {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(conn) => Conn::Sqlite(conn),
            Pooled::Postgres(conn) => Conn::Postgres(conn),
        }
    }
}

/// An open write transaction. Dropping it without [`Tx::commit`] rolls back.
/// On SQLite it holds this process's [`WriteGate`] until then.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>, OwnedMutexGuard<()>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx, _) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            // The gate opens only once the commit is done.
            Tx::Sqlite(tx, _gate) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

impl Pool {
    pub(crate) async fn acquire(&self) -> Result<Pooled, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool, _) => Pooled::Sqlite(pool.acquire().await?),
            Pool::Postgres(pool) => Pooled::Postgres(pool.acquire().await?),
        })
    }

    /// Starts a write transaction.
    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool, gate) => {
                let turn = gate.enter().await?;
                Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Pool::Postgres(pool) => {
                // sqlx 0.9 leaves a PostgreSQL connection inside a
                // transaction when the future of `begin` is dropped after
                // BEGIN was sent and before its answer came: no `Transaction`
                // exists yet to roll it back, so the pool hands the connection
                // on and every later statement on it runs in that endless
                // transaction, holding its locks (seen: requests cancelled by
                // a closing load generator froze later logins). On its own
                // task `begin` always finishes; if our caller is gone by then,
                // the finished `Transaction` is dropped and rolls back.
                let pool = pool.clone();
                let begun = tokio::spawn(async move { pool.begin().await })
                    .await
                    .map_err(|error| sqlx::Error::Io(std::io::Error::other(error)))?;
                Tx::Postgres(begun?)
            }
        })
    }

    /// A connection for one statement, and on SQLite this process's write
    /// turn when the statement writes (held until both are dropped).
    async fn for_statement(
        &self,
        sql: &SqlStr,
    ) -> Result<(Option<OwnedMutexGuard<()>>, Pooled), sqlx::Error> {
        let turn = match self {
            Pool::Sqlite(_, gate) if !reads_only(sql.as_str()) => Some(gate.enter().await?),
            _ => None,
        };
        Ok((turn, self.acquire().await?))
    }

    pub(crate) async fn execute(
        &self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<u64, sqlx::Error> {
        let sql = sql.into_sql_str();
        let (_turn, mut conn) = self.for_statement(&sql).await?;
        conn.conn().execute(sql, args).await
    }

    pub(crate) async fn fetch_optional<T: Row>(
        &self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Option<T>, sqlx::Error> {
        let sql = sql.into_sql_str();
        let (_turn, mut conn) = self.for_statement(&sql).await?;
        conn.conn().fetch_optional(sql, args).await
    }

    pub(crate) async fn fetch_all<T: Row>(
        &self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, sqlx::Error> {
        let sql = sql.into_sql_str();
        let (_turn, mut conn) = self.for_statement(&sql).await?;
        conn.conn().fetch_all(sql, args).await
    }

    pub(crate) async fn fetch_one<T: Row>(
        &self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<T, sqlx::Error> {
        let sql = sql.into_sql_str();
        let (_turn, mut conn) = self.for_statement(&sql).await?;
        conn.conn().fetch_one(sql, args).await
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(pool, _) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// Runs `work` again while it fails only because of contention (see
/// [`is_retryable`]), at most [`ATTEMPTS`] times. `work` must be a whole
/// transaction, so that a retry starts from scratch.
pub(crate) async fn retrying<T, F, Fut>(mut work: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        match work().await {
            Err(err) if attempt + 1 < ATTEMPTS && is_retryable(&err) => {
                attempt += 1;
                pause(attempt).await;
            }
            other => return other,
        }
    }
}

/// A short, growing pause between attempts so that contenders spread out.
pub(crate) async fn pause(attempt: u32) {
    if attempt <= 1 {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(Duration::from_millis(u64::from(attempt.min(20)))).await;
    }
}
