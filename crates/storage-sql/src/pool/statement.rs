//! One statement's values ([`Arg`]) and the connection of either backend
//! it runs on ([`Conn`]).

use super::connections::Lease;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Executor, FromRow, Postgres, SqlSafeStr, Sqlite};

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
pub(super) use bind_all;

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
pub(super) use on_lease;

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
    pub(super) async fn run_plain(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        match self {
            Conn::Sqlite(lease) => on_lease!(lease, |conn| conn.execute(sql)).map(drop),
            Conn::Postgres(lease) => on_lease!(lease, |conn| conn.execute(sql)).map(drop),
        }
    }

    pub(super) fn set_in_transaction(&mut self, open: bool) {
        match self {
            Conn::Sqlite(lease) => lease.in_transaction = open,
            Conn::Postgres(lease) => lease.in_transaction = open,
        }
    }
}
