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
//! So this process's writers queue on a [`WriteGate`](sqlite::WriteGate) first, in arrival
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

mod checkpoints;
mod commit_group;
mod commit_queue;
mod connections;
mod sqlite;
mod statement;

pub(crate) use checkpoints::Checkpoints;
use commit_queue::Answer;
pub(crate) use connections::{Connections, Lease};
pub(crate) use sqlite::SqliteConnections;
pub(crate) use statement::{Arg, Conn, Row};

use crate::errors::is_retryable;
use sqlx::postgres::Postgres;
use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr, Sqlite};
use std::future::Future;
use std::time::Duration;
use storage::Result;

/// How often contended work (a lost optimistic update, a busy database, a
/// serialization failure) is tried before giving up.
pub(crate) const ATTEMPTS: u32 = 50;

/// The pool of whichever backend the storage was opened on.
#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqliteConnections),
    Postgres(Connections<Postgres>),
}

/// Whether a statement only reads. Anything else (`INSERT`, `UPDATE`,
/// `DELETE`, with or without `RETURNING`) writes and, on SQLite, is
/// committed in a group ([`commit_group`]).
fn reads_only(sql: &str) -> bool {
    let head = sql.trim_start().get(..6).unwrap_or_default();
    head.eq_ignore_ascii_case("SELECT") || head.eq_ignore_ascii_case("PRAGMA")
}

/// `args![a, b, c]`: the values for `$1`, `$2`, `$3`.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::pool::Arg::from($value)),*]
    };
}
pub(crate) use args;

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
