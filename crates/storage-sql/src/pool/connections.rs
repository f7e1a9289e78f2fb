//! The connection shelf: [`Connections`] hands out [`Lease`]s of pooled
//! connections without sqlx's ping, and takes them back (see `pool.rs`).

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgDatabaseError, PgSeverity};
use sqlx::sqlite::SqliteConnection;
use sqlx::{Database, Executor, Postgres, Sqlite};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

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

    pub(super) async fn lease(&self) -> Result<Lease<DB>, sqlx::Error> {
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
    pub(super) async fn close(&self) {
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
    pub(super) settled: bool,
    /// `BEGIN` was sent (even if its answer never came) and no `COMMIT`
    /// has succeeded since.
    pub(super) in_transaction: bool,
    pub(super) gate: Option<OwnedMutexGuard<()>>,
    turn: Option<OwnedSemaphorePermit>,
}

impl<DB: Backend> Lease<DB> {
    pub(super) fn connection(&mut self) -> Result<&mut DB::Connection, sqlx::Error> {
        self.conn.as_deref_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// Notes how a statement ended. An error the server or the driver
    /// answered leaves the connection usable; after any other (a broken
    /// connection, a timeout) it goes back through sqlx's test.
    pub(super) fn settle<T>(&mut self, result: &Result<T, sqlx::Error>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Conn;
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
