//! The queue of SQLite's single-command writes waiting to be committed in
//! a group (see `commit_group.rs`), and what each write answers with.

use super::statement::{Arg, Row};
use sqlx::SqlStr;
use sqlx::sqlite::SqliteRow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

/// The writes waiting for the writer, and whether a task is draining them.
#[derive(Clone, Default)]
pub(crate) struct CommitQueue(Arc<Mutex<Waiting>>);

#[derive(Default)]
pub(super) struct Waiting {
    pub(super) writes: VecDeque<Write>,
    pub(super) draining: bool,
}

/// What a write answers with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The number of rows it changed (a single statement).
    Changes,
    /// The rows it returned (`RETURNING`).
    Rows,
    /// The rows of a multi-statement script, which alone runs in a
    /// transaction of its own so that its statements commit together.
    ScriptRows,
}

/// What a write did.
pub(crate) enum Outcome {
    Changes(u64),
    Rows(Vec<SqliteRow>),
}

impl Outcome {
    pub(crate) fn changes(self) -> u64 {
        match self {
            Outcome::Changes(changes) => changes,
            Outcome::Rows(rows) => rows.len() as u64,
        }
    }

    pub(crate) fn rows<T: Row>(self) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Outcome::Changes(_) => Ok(Vec::new()),
            Outcome::Rows(rows) => rows.iter().map(T::from_row).collect(),
        }
    }
}

/// One queued write and where its outcome goes.
pub(super) struct Write {
    pub(super) sql: SqlStr,
    pub(super) args: Vec<Arg>,
    pub(super) answer: Answer,
    pub(super) reply: oneshot::Sender<Result<Outcome, sqlx::Error>>,
}
impl CommitQueue {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
