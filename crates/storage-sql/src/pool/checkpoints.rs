//! Background checkpoints of an SQLite file's WAL (see [`Checkpoints`]).

use super::connections::Connections;
use super::statement::Conn;
use sqlx::Sqlite;
use std::sync::{Arc, Mutex, PoisonError};

/// Checkpoints of a file's WAL, run in the background while writes go on.
///
/// SQLite's own checkpoint runs inside the commit that makes the WAL reach
/// its threshold: it copies the pages into the database file and waits for
/// two `fsync`s, with the write turn held — under a steady stream of writes
/// a stall of several milliseconds every few hundred commits, in which the
/// whole queue of writers waits (and a one-core server sits idle). So,
/// while writes are committed, a reading connection runs a `PASSIVE`
/// checkpoint every [`CHECKPOINT_EVERY`]: it copies what the readers no
/// longer need without taking the write lock, and waits for the disk off
/// the writer's path. The writer's own checkpoint still runs (at 10,000
/// pages, see `open.rs`), finds little left to copy, and lets the next
/// write start the WAL over (a checkpoint that ran beside the writer never
/// can), so the WAL does not grow without end.
#[derive(Clone, Default)]
pub(crate) struct Checkpoints(Arc<Mutex<CheckpointState>>);

#[derive(Default)]
struct CheckpointState {
    running: bool,
    last: Option<std::time::Instant>,
}

/// How often a background checkpoint runs while writes go on.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

impl Checkpoints {
    /// Starts a checkpoint unless one is running or one started less than
    /// [`CHECKPOINT_EVERY`] ago. A failed one is left to the next (and to
    /// the writer's own); nobody waits for it.
    pub(super) fn start(&self, readers: &Connections<Sqlite>) {
        {
            let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            let due = state
                .last
                .is_none_or(|last| last.elapsed() >= CHECKPOINT_EVERY);
            if state.running || !due {
                return;
            }
            state.running = true;
            state.last = Some(std::time::Instant::now());
        }
        let done = CheckpointDone(self.clone());
        let readers = readers.clone();
        tokio::spawn(async move {
            if let Ok(mut lease) = readers.lease().await {
                // (busy, WAL pages, pages copied): nothing to act on.
                let _: Result<Vec<(i64, i64, i64)>, _> = Conn::Sqlite(&mut lease)
                    .fetch_all("PRAGMA wal_checkpoint(PASSIVE)", Vec::new())
                    .await;
            }
            drop(done);
        });
    }
}

/// Marks the checkpoint finished however its task ends (dropped with its
/// runtime included).
struct CheckpointDone(Checkpoints);

impl Drop for CheckpointDone {
    fn drop(&mut self) {
        let mut state = self.0.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.running = false;
    }
}
