//! Opening a storage: picking the backend, tuning its connections, and
//! bringing the schema up to date with the embedded migrations.
//!
//! SQLite runs in WAL mode with a 5 s `busy_timeout`, `synchronous=NORMAL`
//! and foreign keys on, so that readers never block the single writer and
//! writers queue instead of failing. PostgreSQL can be confined to one schema
//! (one per test, or one per deployment sharing a database).

use crate::SqlStorage;
use crate::errors::SqlResultExt;
use crate::pool::{Checkpoints, Connections, Pool, SqliteConnections};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Connection, Executor};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use storage::{Result, StorageError};

/// Reading connections of a file-backed SQLite database (WAL: they read
/// concurrently); writes go through one more connection of their own.
const SQLITE_CONNECTIONS: u32 = 7;
const POSTGRES_CONNECTIONS: u32 = 10;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The WAL size (in pages) at which the writer checkpoints in its commit
/// (SQLite's default is 1,000). The copying is done in the background
/// (`pool::Checkpoints`), so the writer's checkpoint finds little left to
/// copy and serves to start the WAL over; at 1,000 pages it came every
/// ~50 ms under a stream of refresh rotations, each waiting for two
/// `fsync`s with the write turn held (10,000: +18 % rotations/s, −10 % CPU
/// per rotation in six interleaved A/B pairs). The WAL file grows to about
/// 40 MiB and is reused from its start.
const WRITER_CHECKPOINT_PAGES: u32 = 10_000;

/// Page size of a new SQLite database (an existing one keeps its own). Each
/// commit appends every page it changed to the WAL, and most of a refresh
/// rotation's changes are a few index entries on pages of their own (the
/// family index, the used token's row): with 2 KiB pages each such change
/// writes, checksums and later checkpoints half as many bytes, and a 2 KiB
/// frame (plus its 24-byte header) crosses fewer of the kernel's 4 KiB page
/// boundaries. Interleaved A/B, refresh rotation: +8 % rotations/s, −7 %
/// CPU per rotation against 4 KiB (7 of 9 pairs); 1 KiB was worse than
/// 2 KiB in 4 of 4 pairs (a token's ~650-byte row then fills a page alone).
/// The price: bulk imports of users take ~10 % longer (more pages per batch
/// of rows); searches measured the same.
const PAGE_SIZE: u32 = 2048;

impl SqlStorage {
    /// Opens the database a URL names: `sqlite:…` or `postgres:`/`postgresql:…`.
    pub async fn open(url: &str) -> Result<SqlStorage> {
        if url.starts_with("sqlite:") {
            let options =
                SqliteConnectOptions::from_str(url).ctx("parse the SQLite database URL")?;
            // Every connection to a plain `:memory:` database gets its own,
            // empty database, so an in-memory URL gets exactly one connection.
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let connections = if in_memory { 1 } else { SQLITE_CONNECTIONS };
            Self::open_sqlite(options, connections).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Self::open_postgres(url, None).await
        } else {
            // The URL itself may carry a password: never echo it.
            Err(StorageError::backend(
                "open the database",
                "unsupported database URL: expected sqlite:, postgres: or postgresql:",
            ))
        }
    }

    /// Opens (creating it if missing) an SQLite database file.
    pub async fn open_sqlite_file(path: &Path) -> Result<SqlStorage> {
        let options = SqliteConnectOptions::new().filename(path);
        Self::open_sqlite(options, SQLITE_CONNECTIONS).await
    }

    /// A fresh, private in-memory SQLite database, for tests and trials.
    ///
    /// It lives in a single pooled connection that is never closed, because an
    /// in-memory database disappears with its last connection; shared-cache
    /// mode would allow more connections but reports table-lock conflicts
    /// (`SQLITE_LOCKED`) that `busy_timeout` does not wait out.
    pub async fn open_sqlite_memory() -> Result<SqlStorage> {
        let options = SqliteConnectOptions::new().in_memory(true);
        Self::open_sqlite(options, 1).await
    }

    async fn open_sqlite(options: SqliteConnectOptions, connections: u32) -> Result<SqlStorage> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .page_size(PAGE_SIZE)
            .foreign_keys(true);
        // No ping before handing out a connection: an embedded database's
        // connections do not go stale, and each ping is a round trip to the
        // connection's worker thread (sqlx still checks a connection when it
        // is returned).
        let mut pool = SqlitePoolOptions::new()
            .max_connections(connections)
            .test_before_acquire(false);
        if connections == 1 {
            pool = pool
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let readers = pool
            .connect_with(options.clone())
            .await
            .ctx("open the SQLite database")?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&readers)
            .await
            .map_err(|e| StorageError::backend("migrate the SQLite schema", e))?;
        let readers = Connections::new(readers);
        // An in-memory database lives in its one connection, which both
        // reads and writes; a file gets a writer of its own, opened when
        // first needed.
        let writer = match connections {
            1 => readers.clone(),
            _ => Connections::new(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .connect_lazy_with(
                        options.pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES.to_string()),
                    ),
            ),
        };
        Ok(SqlStorage {
            pool: Pool::Sqlite(SqliteConnections {
                readers,
                writer,
                gate: Default::default(),
                queue: Default::default(),
                checkpoints: (connections > 1).then(Checkpoints::default),
            }),
        })
    }

    /// Opens a PostgreSQL (or CockroachDB) database. With `schema`, every
    /// table lives in that schema: it is created if missing and put first on
    /// the `search_path` of every pooled connection.
    pub async fn open_postgres(url: &str, schema: Option<&str>) -> Result<SqlStorage> {
        let options = PgConnectOptions::from_str(url).ctx("parse the PostgreSQL URL")?;
        let mut pool = PgPoolOptions::new().max_connections(POSTGRES_CONNECTIONS);
        if let Some(schema) = schema {
            if !is_plain_identifier(schema) {
                return Err(StorageError::backend(
                    "open the PostgreSQL database",
                    "schema names are limited to [a-z_][a-z0-9_]*, at most 63 characters",
                ));
            }
            let mut conn = PgConnection::connect_with(&options)
                .await
                .ctx("connect to PostgreSQL")?;
            // `schema` passed `is_plain_identifier`, so quoting it is enough.
            conn.execute(AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
            )))
            .await
            .ctx("create the PostgreSQL schema")?;
            conn.close().await.ctx("connect to PostgreSQL")?;
            let set_path = format!("SET search_path TO \"{schema}\"");
            pool = pool.after_connect(move |conn, _meta| {
                let set_path = set_path.clone();
                Box::pin(async move {
                    conn.execute(AssertSqlSafe(set_path)).await?;
                    Ok(())
                })
            });
        }
        let pool = pool
            .connect_with(options)
            .await
            .ctx("connect to PostgreSQL")?;
        let (version,): (String,) = sqlx::query_as("SELECT version()")
            .fetch_one(&pool)
            .await
            .ctx("read the PostgreSQL server version")?;
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        // CockroachDB has no advisory locks, which sqlx's migrator takes by default.
        migrator.set_locking(!version.contains("CockroachDB"));
        migrator
            .run(&pool)
            .await
            .map_err(|e| StorageError::backend("migrate the PostgreSQL schema", e))?;
        Ok(SqlStorage {
            pool: Pool::Postgres(Connections::new(pool)),
        })
    }
}

/// A lowercase SQL identifier that needs no escaping inside double quotes.
fn is_plain_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 63
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::is_plain_identifier;
    use crate::SqlStorage;
    use crate::pool::args;

    /// Every pooled SQLite connection runs with the settings the module
    /// promises, not just the first one.
    #[tokio::test]
    async fn sqlite_connections_are_tuned() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqlStorage::open_sqlite_file(&dir.path().join("tuned.db"))
            .await
            .unwrap();
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut conn = storage.pool.acquire().await.unwrap();
            let (mode,): (String,) = conn
                .conn()
                .fetch_one("PRAGMA journal_mode", args![])
                .await
                .unwrap();
            let (foreign_keys,): (i64,) = conn
                .conn()
                .fetch_one("PRAGMA foreign_keys", args![])
                .await
                .unwrap();
            let (busy_timeout,): (i64,) = conn
                .conn()
                .fetch_one("PRAGMA busy_timeout", args![])
                .await
                .unwrap();
            let (synchronous,): (i64,) = conn
                .conn()
                .fetch_one("PRAGMA synchronous", args![])
                .await
                .unwrap();
            assert_eq!(mode, "wal");
            assert_eq!(foreign_keys, 1);
            assert_eq!(busy_timeout, 5_000);
            assert_eq!(synchronous, 1, "NORMAL");
            held.push(conn);
        }
        // The writer leaves most checkpoints to the background.
        let crate::pool::Pool::Sqlite(sqlite) = &storage.pool else {
            unreachable!("a SQLite file opens a SQLite pool");
        };
        let (pages,): (i64,) = sqlite
            .writer_setting("PRAGMA wal_autocheckpoint")
            .await
            .unwrap();
        assert_eq!(pages, i64::from(super::WRITER_CHECKPOINT_PAGES));
        let (page_size,): (i64,) = sqlite.writer_setting("PRAGMA page_size").await.unwrap();
        assert_eq!(page_size, i64::from(super::PAGE_SIZE));
    }

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(is_plain_identifier("vestibule"));
        assert!(is_plain_identifier("t_0123abc"));
        assert!(!is_plain_identifier(""));
        assert!(!is_plain_identifier("0abc"));
        assert!(!is_plain_identifier("a\"; DROP TABLE x; --"));
        assert!(!is_plain_identifier("Upper"));
    }
}
