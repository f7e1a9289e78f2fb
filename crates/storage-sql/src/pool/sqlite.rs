//! SQLite's connections: the readers, and the one writer behind this
//! process's [`WriteGate`].

use super::checkpoints::Checkpoints;
use super::commit_queue::CommitQueue;
use super::connections::{Connections, Lease};
use sqlx::Sqlite;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

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
    /// Single-command writes, committed in groups ([`commit_group`](super::commit_group)).
    pub(crate) queue: CommitQueue,
    /// Background WAL checkpoints: a file's, not an in-memory database's.
    pub(crate) checkpoints: Option<Checkpoints>,
}

/// A sqlx pool and a shelf of connections that finished their work cleanly
impl SqliteConnections {
    /// The writer, after this process's earlier writers.
    pub(super) async fn write(&self) -> Result<Lease<Sqlite>, sqlx::Error> {
        let turn = self.gate.enter().await?;
        let mut lease = self.writer.lease().await?;
        lease.gate = Some(turn);
        Ok(lease)
    }

    /// A setting of the writer's connection (`PRAGMA …`), for tests.
    #[cfg(test)]
    pub(crate) async fn writer_setting(&self, pragma: &'static str) -> Result<(i64,), sqlx::Error> {
        let mut lease = self.write().await?;
        super::statement::Conn::Sqlite(&mut lease)
            .fetch_one(pragma, Vec::new())
            .await
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
