//! The two connection pools and the handful of ways a statement is run.
//!
//! Everything above this module writes SQL once, with `$n` placeholders that
//! SQLite and PostgreSQL both accept, and passes its values as [`Arg`]s. The
//! per-backend `match` lives here, so adding a statement never means
//! writing it twice (one exception: `tokens.rs` rotates a refresh token in a
//! single statement that only PostgreSQL can run, and on SQLite in one
//! multi-statement command, [`Pool::sqlite_transaction`]). Multi-statement
//! work runs in a [`Tx`], which on SQLite takes the write lock up front
//! (`BEGIN IMMEDIATE`) so that two writers never fail to upgrade a read
//! lock.
//!
//! SQLite admits one writer at a time, and a writer that finds the lock taken
//! waits in SQLite's busy handler, which *sleeps* (1, 2, 5, … 100 ms) rather
//! than waking when the lock is released: under concurrent writes that sleep
//! was most of the latency (a p99 of 557 ms for refresh rotations at 1,500/s).
//! So this process's writers queue on a [`WriteGate`] first, in arrival
//! order, and the busy handler only ever waits for other processes (an
//! abandoned transaction keeps the gate until its rollback is done, see
//! [`Lease`]). Single-command writes queue once more behind the gate, to be
//! committed in groups ([`commit_group`]); a [`Tx`] takes the gate itself.
//!
//! sqlx tests every connection that comes back to its pool with a ping: a
//! round trip to the SQLite connection's thread or to the PostgreSQL server
//! after each statement, as many as the statements themselves. A
//! [`Connections`] keeps the connections whose work finished cleanly on a
//! shelf of its own and hands them out again without that round trip; only a
//! connection whose statement was abandoned midway goes back through sqlx's
//! test, and one abandoned inside a transaction is rolled back first.

use crate::errors::is_retryable;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgDatabaseError, PgRow, PgSeverity};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{AssertSqlSafe, Database, Executor, FromRow, Postgres, SqlSafeStr, SqlStr, Sqlite};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};
use storage::Result;
use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// How often contended work (a lost optimistic update, a busy database, a
/// serialization failure) is tried before giving up.
pub(crate) const ATTEMPTS: u32 = 50;

/// The pool of whichever backend the storage was opened on.
#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqliteConnections),
    Postgres(Connections<Postgres>),
}

/// SQLite's connections: readers, and one writer that every write goes
/// through, in turn ([`WriteGate`]). SQLite admits one writer at a time
/// anyway, and in WAL mode a connection empties its page cache whenever
/// *another* connection has committed: writes spread over many connections
/// found that cache empty and read their B-tree pages again from the file,
/// while the one writer's cache stays warm.
#[derive(Clone)]
pub(crate) struct SqliteConnections {
    pub(crate) readers: Connections<Sqlite>,
    pub(crate) writer: Connections<Sqlite>,
    pub(crate) gate: WriteGate,
    /// Single-command writes, committed in groups ([`commit_group`]).
    pub(crate) queue: CommitQueue,
    /// Background WAL checkpoints: a file's, not an in-memory database's.
    pub(crate) checkpoints: Option<Checkpoints>,
}

/// A sqlx pool and a shelf of connections that finished their work cleanly
/// (see the module's documentation). `turns` has as many permits as the
/// pool has connections, so a caller that finds the shelf empty always finds
/// room in the pool: connections on the shelf are never waited for in vain.
pub(crate) struct Connections<DB: Backend> {
    pool: sqlx::Pool<DB>,
    shelf: Shelf<DB>,
    turns: Arc<Semaphore>,
    shelf_life: Duration,
}

/// A boxed, sendable future (the rollback of [`Backend`]).
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Shelved connections, each with the moment it was shelved.
type Shelf<DB> = Arc<std::sync::Mutex<Vec<(Instant, PoolConnection<DB>)>>>;

/// How long a connection may sit on the shelf and still be handed out
/// untested. Older ones go back to sqlx, which tests them before handing
/// them out: a PostgreSQL server restarted while the service was idle costs
/// no failed request.
const SHELF_LIFE: Duration = Duration::from_secs(5);

/// What a [`Lease`] needs of its backend beyond sqlx's `Database`.
pub(crate) trait Backend: Database {
    fn rollback(conn: &mut Self::Connection) -> BoxFuture<'_, Result<(), sqlx::Error>>;
}

impl Backend for Sqlite {
    /// Succeeds whether or not a transaction is open: SQLite refuses a bare
    /// `ROLLBACK` outside one, and a lease may believe one open when its
    /// `COMMIT` ran but the answer was never read (a cancelled request), or
    /// when `BEGIN IMMEDIATE` failed. A failed rollback closes the
    /// connection, which for an in-memory database would be the database.
    fn rollback(conn: &mut SqliteConnection) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(async move {
            conn.execute("SAVEPOINT abandoned; ROLLBACK")
                .await
                .map(drop)
        })
    }
}

impl Backend for Postgres {
    fn rollback(conn: &mut PgConnection) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(async move { conn.execute("ROLLBACK").await.map(drop) })
    }
}

impl<DB: Backend> Clone for Connections<DB> {
    fn clone(&self) -> Self {
        Connections {
            pool: self.pool.clone(),
            shelf: self.shelf.clone(),
            turns: self.turns.clone(),
            shelf_life: self.shelf_life,
        }
    }
}

impl<DB: Backend> Connections<DB> {
    pub(crate) fn new(pool: sqlx::Pool<DB>) -> Self {
        Self::with_shelf_life(pool, SHELF_LIFE)
    }

    fn with_shelf_life(pool: sqlx::Pool<DB>, shelf_life: Duration) -> Self {
        let turns = pool.options().get_max_connections() as usize;
        Connections {
            pool,
            shelf: Default::default(),
            turns: Arc::new(Semaphore::new(turns)),
            shelf_life,
        }
    }

    async fn lease(&self) -> Result<Lease<DB>, sqlx::Error> {
        let timeout = self.pool.options().get_acquire_timeout();
        let turn = tokio::time::timeout(timeout, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let shelved = self
            .shelf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match shelved {
            Some((shelved_at, conn)) if shelved_at.elapsed() <= self.shelf_life => conn,
            stale => {
                // Too old: handed back to sqlx, which tests it, *before*
                // asking sqlx for one (with one connection, that is the one).
                drop(stale);
                self.pool.acquire().await?
            }
        };
        Ok(Lease {
            conn: Some(conn),
            shelf: self.shelf.clone(),
            turns: self.turns.clone(),
            settled: true,
            in_transaction: false,
            gate: None,
            turn: Some(turn),
        })
    }

    /// Closes the pool. No connection is shelved from now on (a lease that
    /// ends checks `turns` under the shelf's lock and otherwise hands its
    /// connection back to sqlx), and the shelved ones go back to sqlx, whose
    /// `close` waits for every connection it handed out.
    async fn close(&self) {
        self.turns.close();
        let shelved =
            std::mem::take(&mut *self.shelf.lock().unwrap_or_else(PoisonError::into_inner));
        drop(shelved);
        self.pool.close().await;
    }
}

/// A connection taken from [`Connections`] for one statement or one
/// transaction. Dropping it puts the connection back: on the shelf when its
/// last statement finished, through sqlx's test when one was abandoned
/// midway, and after a `ROLLBACK` (on its own task) when a transaction was
/// left open, holding the pool's permit and this process's SQLite write
/// turn until the rollback is done.
pub(crate) struct Lease<DB: Backend> {
    conn: Option<PoolConnection<DB>>,
    shelf: Shelf<DB>,
    turns: Arc<Semaphore>,
    /// No statement is in flight (false from a statement's start until its
    /// answer has been read).
    settled: bool,
    /// `BEGIN` was sent (even if its answer never came) and no `COMMIT`
    /// has succeeded since.
    in_transaction: bool,
    gate: Option<OwnedMutexGuard<()>>,
    turn: Option<OwnedSemaphorePermit>,
}

impl<DB: Backend> Lease<DB> {
    fn connection(&mut self) -> Result<&mut DB::Connection, sqlx::Error> {
        self.conn.as_deref_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// Notes how a statement ended. An error the server or the driver
    /// answered leaves the connection usable; after any other (a broken
    /// connection, a timeout) it goes back through sqlx's test.
    fn settle<T>(&mut self, result: &Result<T, sqlx::Error>) {
        self.settled = match result {
            Ok(_) => true,
            // PostgreSQL reports the end of a session (`FATAL`: an
            // administrator's shutdown, a terminated backend) as a database
            // error too; that connection is gone.
            Err(sqlx::Error::Database(error)) => !error
                .try_downcast_ref::<PgDatabaseError>()
                .is_some_and(|pg| matches!(pg.severity(), PgSeverity::Fatal | PgSeverity::Panic)),
            Err(error) => matches!(
                error,
                sqlx::Error::RowNotFound
                    | sqlx::Error::ColumnDecode { .. }
                    | sqlx::Error::ColumnNotFound(_)
                    | sqlx::Error::ColumnIndexOutOfBounds { .. }
                    | sqlx::Error::Decode(_)
            ),
        };
    }
}

impl<DB: Backend> Drop for Lease<DB> {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if self.in_transaction {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                conn.close_on_drop();
                return;
            };
            let mut rest = Lease {
                conn: None,
                shelf: self.shelf.clone(),
                turns: self.turns.clone(),
                settled: false,
                in_transaction: false,
                gate: self.gate.take(),
                turn: self.turn.take(),
            };
            runtime.spawn(async move {
                // A statement abandoned midway is finished first: both
                // drivers answer commands in order.
                if DB::rollback(&mut conn).await.is_ok() {
                    rest.settled = true;
                    rest.conn = Some(conn);
                } else {
                    conn.close_on_drop();
                }
                // Shelves the connection (if rolled back), then frees the
                // pool's permit and the write turn.
                drop(rest);
            });
            return;
        }
        let mut shelf = self.shelf.lock().unwrap_or_else(PoisonError::into_inner);
        if self.settled && !self.turns.is_closed() {
            shelf.push((Instant::now(), conn));
        }
        // Otherwise `conn` drops here, back to sqlx, which tests it first
        // (or closes it, once the pool is closed).
    }
}

impl SqliteConnections {
    /// The writer, after this process's earlier writers.
    async fn write(&self) -> Result<Lease<Sqlite>, sqlx::Error> {
        let turn = self.gate.enter().await?;
        let mut lease = self.writer.lease().await?;
        lease.gate = Some(turn);
        Ok(lease)
    }

    /// A setting of the writer's connection (`PRAGMA …`), for tests.
    #[cfg(test)]
    pub(crate) async fn writer_setting(&self, pragma: &'static str) -> Result<(i64,), sqlx::Error> {
        let mut lease = self.write().await?;
        Conn::Sqlite(&mut lease).fetch_one(pragma, Vec::new()).await
    }
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
/// `DELETE`, with or without `RETURNING`) writes and, on SQLite, is
/// committed in a group ([`commit_group`]).
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
    Sqlite(&'c mut Lease<Sqlite>),
    Postgres(&'c mut Lease<Postgres>),
}

/// Runs one statement on a lease: `$run` is called with the connection and
/// the lease notes whether the statement finished (see [`Lease::settle`]).
macro_rules! on_lease {
    ($lease:expr, |$conn:ident| $run:expr) => {{
        let lease = &mut *$lease;
        lease.settled = false;
        let $conn = lease.connection()?;
        let result = $run.await;
        lease.settle(&result);
        result
    }};
}

/// One `query_as` fetch (`fetch_optional`, `fetch_all`, `fetch_one`) of
/// rows of type `T` on whichever backend the connection is.
macro_rules! fetch_on {
    ($conn:expr, $sql:expr, $args:expr, $fetch:ident) => {
        match $conn {
            Conn::Sqlite(lease) => {
                on_lease!(lease, |conn| bind_all!(sqlx::query_as::<_, T>($sql), $args)
                    .$fetch(&mut *conn))
            }
            Conn::Postgres(lease) => {
                on_lease!(lease, |conn| bind_all!(sqlx::query_as::<_, T>($sql), $args)
                    .$fetch(&mut *conn))
            }
        }
    };
}

impl Conn<'_> {
    /// Runs a statement; returns the number of rows it changed.
    pub(crate) async fn execute(
        &mut self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<u64, sqlx::Error> {
        match self {
            Conn::Sqlite(lease) => on_lease!(lease, |conn| bind_all!(sqlx::query(sql), args)
                .execute(&mut *conn))
            .map(|done| done.rows_affected()),
            Conn::Postgres(lease) => on_lease!(lease, |conn| bind_all!(sqlx::query(sql), args)
                .execute(&mut *conn))
            .map(|done| done.rows_affected()),
        }
    }

    pub(crate) async fn fetch_optional<T: Row>(
        &mut self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Option<T>, sqlx::Error> {
        fetch_on!(self, sql, args, fetch_optional)
    }

    pub(crate) async fn fetch_all<T: Row>(
        &mut self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, sqlx::Error> {
        fetch_on!(self, sql, args, fetch_all)
    }

    pub(crate) async fn fetch_one<T: Row>(
        &mut self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<T, sqlx::Error> {
        fetch_on!(self, sql, args, fetch_one)
    }

    /// Runs a statement without arguments (`BEGIN`, `COMMIT`).
    async fn run_plain(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        match self {
            Conn::Sqlite(lease) => on_lease!(lease, |conn| conn.execute(sql)).map(drop),
            Conn::Postgres(lease) => on_lease!(lease, |conn| conn.execute(sql)).map(drop),
        }
    }

    fn set_in_transaction(&mut self, open: bool) {
        match self {
            Conn::Sqlite(lease) => lease.in_transaction = open,
            Conn::Postgres(lease) => lease.in_transaction = open,
        }
    }
}

/// A connection taken from the pool for one statement or transaction.
pub(crate) enum Pooled {
    Sqlite(Lease<Sqlite>),
    Postgres(Lease<Postgres>),
}

impl Pooled {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(lease) => Conn::Sqlite(lease),
            Pooled::Postgres(lease) => Conn::Postgres(lease),
        }
    }
}

/// An open write transaction. Dropping it without [`Tx::commit`] rolls back
/// (see [`Lease`]). On SQLite it holds this process's [`WriteGate`] until
/// then.
pub(crate) struct Tx(Pooled);

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        self.0.conn()
    }

    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        let mut conn = self.0.conn();
        conn.run_plain("COMMIT").await?;
        // The gate opens once the lease is dropped, after the commit.
        conn.set_in_transaction(false);
        Ok(())
    }
}

impl Pool {
    #[cfg(test)]
    pub(crate) async fn acquire(&self) -> Result<Pooled, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(sqlite) => Pooled::Sqlite(sqlite.readers.lease().await?),
            Pool::Postgres(conns) => Pooled::Postgres(conns.lease().await?),
        })
    }

    /// Starts a write transaction: on SQLite with the write lock taken up
    /// front (`BEGIN IMMEDIATE`), after this process's write turn.
    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let (pooled, begin) = match self {
            Pool::Sqlite(sqlite) => (Pooled::Sqlite(sqlite.write().await?), "BEGIN IMMEDIATE"),
            Pool::Postgres(conns) => (Pooled::Postgres(conns.lease().await?), "BEGIN"),
        };
        let mut tx = Tx(pooled);
        let mut conn = tx.conn();
        // Marked before `BEGIN` is sent: abandoned before its answer came,
        // the connection may be inside a transaction, and is rolled back
        // (sqlx 0.9's own `begin` left PostgreSQL connections in that state:
        // later statements on them ran in an endless transaction).
        conn.set_in_transaction(true);
        if let Err(error) = conn.run_plain(begin).await {
            // Answered with an error: no transaction was opened.
            conn.set_in_transaction(false);
            return Err(error);
        }
        Ok(tx)
    }

    /// Runs `statements` on SQLite as one write transaction sent as one
    /// command: the connection's thread runs the statements one after the
    /// other, so the transaction costs one round trip to it instead of one
    /// per statement — alone as `BEGIN IMMEDIATE; {statements}; COMMIT`, or
    /// inside the transaction of a group ([`commit_group`]). Returns the
    /// rows the statements return (every statement runs to its end: a
    /// caller that wanted one row must not stop the others). A statement
    /// that fails stops the rest, and the transaction is rolled back.
    /// SQLite only: PostgreSQL runs one statement per prepared command.
    pub(crate) async fn sqlite_transaction<T: Row>(
        &self,
        statements: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, sqlx::Error> {
        let Pool::Sqlite(sqlite) = self else {
            return Err(sqlx::Error::Configuration(
                "a multi-statement transaction is SQLite's only".into(),
            ));
        };
        let statements = AssertSqlSafe(statements.to_owned()).into_sql_str();
        sqlite
            .commit(statements, args, Answer::ScriptRows)
            .await?
            .rows()
    }

    /// SQLite's writer, for a statement that writes: single-command writes
    /// are committed in groups ([`commit_group`]).
    fn sqlite_write(&self, sql: &SqlStr) -> Option<&SqliteConnections> {
        match self {
            Pool::Sqlite(sqlite) if !reads_only(sql.as_str()) => Some(sqlite),
            _ => None,
        }
    }

    /// A connection for one statement that [`Pool::sqlite_write`] did not
    /// take: any on PostgreSQL, a reading one on SQLite.
    async fn for_statement(&self) -> Result<Pooled, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(sqlite) => Pooled::Sqlite(sqlite.readers.lease().await?),
            Pool::Postgres(conns) => Pooled::Postgres(conns.lease().await?),
        })
    }

    pub(crate) async fn execute(
        &self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<u64, sqlx::Error> {
        let sql = sql.into_sql_str();
        if let Some(sqlite) = self.sqlite_write(&sql) {
            return Ok(sqlite.commit(sql, args, Answer::Changes).await?.changes());
        }
        let mut conn = self.for_statement().await?;
        conn.conn().execute(sql, args).await
    }

    pub(crate) async fn fetch_optional<T: Row>(
        &self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Option<T>, sqlx::Error> {
        let sql = sql.into_sql_str();
        if let Some(sqlite) = self.sqlite_write(&sql) {
            let rows = sqlite.commit(sql, args, Answer::Rows).await?.rows()?;
            return Ok(rows.into_iter().next());
        }
        let mut conn = self.for_statement().await?;
        conn.conn().fetch_optional(sql, args).await
    }

    pub(crate) async fn fetch_all<T: Row>(
        &self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, sqlx::Error> {
        let sql = sql.into_sql_str();
        if let Some(sqlite) = self.sqlite_write(&sql) {
            return sqlite.commit(sql, args, Answer::Rows).await?.rows();
        }
        let mut conn = self.for_statement().await?;
        conn.conn().fetch_all(sql, args).await
    }

    pub(crate) async fn fetch_one<T: Row>(
        &self,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<T, sqlx::Error> {
        let sql = sql.into_sql_str();
        if let Some(sqlite) = self.sqlite_write(&sql) {
            let rows = sqlite.commit(sql, args, Answer::Rows).await?.rows()?;
            return rows.into_iter().next().ok_or(sqlx::Error::RowNotFound);
        }
        let mut conn = self.for_statement().await?;
        conn.conn().fetch_one(sql, args).await
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(sqlite) => {
                sqlite.writer.close().await;
                sqlite.readers.close().await;
            }
            Pool::Postgres(conns) => conns.close().await,
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

mod commit_group;
pub(crate) use commit_group::Checkpoints;
use commit_group::{Answer, CommitQueue};

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    /// A pool of one connection that gives up waiting for it after a second.
    async fn one_connection(dir: &std::path::Path, shelf_life: Duration) -> Connections<Sqlite> {
        let options = SqliteConnectOptions::new()
            .filename(dir.join("shelf.db"))
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(1))
            .connect_with(options)
            .await
            .unwrap();
        Connections::with_shelf_life(pool, shelf_life)
    }

    async fn select_one(conns: &Connections<Sqlite>) -> Result<i64, sqlx::Error> {
        let mut lease = conns.lease().await?;
        let (one,): (i64,) = Conn::Sqlite(&mut lease)
            .fetch_one("SELECT 1", Vec::new())
            .await?;
        Ok(one)
    }

    #[tokio::test]
    async fn a_connection_comes_back_from_the_shelf() {
        let dir = tempfile::tempdir().unwrap();
        let conns = one_connection(dir.path(), SHELF_LIFE).await;
        for _ in 0..3 {
            assert_eq!(select_one(&conns).await.unwrap(), 1);
        }
        assert_eq!(conns.shelf.lock().unwrap().len(), 1);
        conns.close().await;
    }

    /// A stale shelved connection goes back to sqlx before sqlx is asked
    /// for one: holding it while asking waited for itself until the
    /// timeout (seen: the login after an idle moment failed).
    #[tokio::test]
    async fn a_stale_connection_is_handed_back_before_asking_for_one() {
        let dir = tempfile::tempdir().unwrap();
        let conns = one_connection(dir.path(), Duration::ZERO).await;
        for _ in 0..3 {
            assert_eq!(select_one(&conns).await.unwrap(), 1);
        }
        conns.close().await;
    }

    /// A lease that believes a transaction open when none is (its `COMMIT`
    /// ran but was never answered) keeps its connection: for an in-memory
    /// database, closing it would lose the database.
    #[tokio::test]
    async fn a_rollback_without_a_transaction_keeps_the_connection() {
        let options = SqliteConnectOptions::new().in_memory(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(1))
            .connect_with(options)
            .await
            .unwrap();
        let conns = Connections::new(pool);
        let mut lease = conns.lease().await.unwrap();
        let mut conn = Conn::Sqlite(&mut lease);
        conn.execute("CREATE TABLE t (x INTEGER)", Vec::new())
            .await
            .unwrap();
        conn.execute("INSERT INTO t VALUES (1)", Vec::new())
            .await
            .unwrap();
        conn.set_in_transaction(true);
        drop(lease);
        let mut lease = conns.lease().await.unwrap();
        let (count,): (i64,) = Conn::Sqlite(&mut lease)
            .fetch_one("SELECT count(*) FROM t", Vec::new())
            .await
            .unwrap();
        assert_eq!(count, 1);
        drop(lease);
        conns.close().await;
    }

    /// A transaction left open is rolled back before its connection is used
    /// again, and that holds the write turn until then.
    #[tokio::test]
    async fn an_abandoned_transaction_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let conns = one_connection(dir.path(), SHELF_LIFE).await;
        let mut lease = conns.lease().await.unwrap();
        let mut conn = Conn::Sqlite(&mut lease);
        conn.execute("CREATE TABLE t (x INTEGER)", Vec::new())
            .await
            .unwrap();
        conn.set_in_transaction(true);
        conn.run_plain("BEGIN IMMEDIATE").await.unwrap();
        conn.execute("INSERT INTO t VALUES (1)", Vec::new())
            .await
            .unwrap();
        drop(lease);
        let mut lease = conns.lease().await.unwrap();
        let (count,): (i64,) = Conn::Sqlite(&mut lease)
            .fetch_one("SELECT count(*) FROM t", Vec::new())
            .await
            .unwrap();
        assert_eq!(count, 0);
        // Not inside a transaction any more: BEGIN works.
        Conn::Sqlite(&mut lease).run_plain("BEGIN").await.unwrap();
        Conn::Sqlite(&mut lease).run_plain("COMMIT").await.unwrap();
        drop(lease);
        conns.close().await;
    }
}
