//! Group commit of SQLite's writes.
//!
//! Every write of this process goes through one writer connection, in turn.
//! Committed one by one, each write appended to the WAL every page it
//! touched — for a refresh rotation about eight 4 KiB pages, most of them
//! the same few (the table's last leaf, the tail of each index on a growing
//! key) rewritten by every commit — and every commit emptied the page cache
//! of each reading connection (WAL mode resets a connection's cache when
//! another one has committed since it last read).
//!
//! So writes queue here, and whatever queued while the writer was busy runs
//! as one transaction: one `BEGIN IMMEDIATE`, each write in arrival order,
//! one `COMMIT`. A page shared by the group is written once, readers reset
//! once per group. Nobody is answered before the group's `COMMIT`, so no
//! caller ever sees (or reports) a write that could still be rolled back.
//! A write that fails inside a group would leave the writes before it in a
//! transaction the others never asked to share: the group is rolled back
//! and each of its writes runs again alone, so that each gets exactly the
//! answer it would have had on its own (a unique-key clash, say) — the same
//! as running them one after the other.
//!
//! The queue is drained by a task spawned when the first write arrives and
//! ending when the queue is empty, so no task outlives the work (tests run
//! each on a runtime of their own). A caller that gave up before its group
//! started (a cancelled request) is skipped, as it would have been while
//! waiting for the write turn; one that gives up later is written anyway,
//! as a statement already sent would have been.
use super::commit_queue::{Answer, CommitQueue, Outcome, Write};
use super::connections::{Backend, Lease};
use super::sqlite::SqliteConnections;
use super::statement::{Arg, Conn, bind_all, on_lease};
use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr, Sqlite};
use tokio::sync::oneshot;

/// At most this many writes share one transaction, so that a long queue
/// still commits (and answers) every so often.
const GROUP_LIMIT: usize = 64;
impl SqliteConnections {
    /// Queues a write and waits until it is committed (or has failed).
    pub(crate) async fn commit(
        &self,
        sql: SqlStr,
        args: Vec<Arg>,
        answer: Answer,
    ) -> Result<Outcome, sqlx::Error> {
        let (reply, outcome) = oneshot::channel();
        let start_draining = {
            let mut waiting = self.queue.lock();
            waiting.writes.push_back(Write {
                sql,
                args,
                answer,
                reply,
            });
            !std::mem::replace(&mut waiting.draining, true)
        };
        if start_draining {
            tokio::spawn(self.clone().drain());
        }
        // The sender is dropped unanswered only when the draining task was
        // dropped with the runtime.
        outcome.await.unwrap_or(Err(sqlx::Error::WorkerCrashed))
    }

    /// Commits groups of queued writes until none is left.
    async fn drain(self) {
        let mut stop = StopDraining {
            queue: self.queue.clone(),
            done: false,
        };
        loop {
            let group: Vec<Write> = {
                let mut waiting = self.queue.lock();
                if waiting.writes.is_empty() {
                    waiting.draining = false;
                    stop.done = true;
                    return;
                }
                let take = waiting.writes.len().min(GROUP_LIMIT);
                waiting
                    .writes
                    .drain(..take)
                    .filter(|write| !write.reply.is_closed())
                    .collect()
            };
            self.commit_group(group).await;
            if let Some(checkpoints) = &self.checkpoints {
                checkpoints.start(&self.readers);
            }
        }
    }

    async fn commit_group(&self, mut group: Vec<Write>) {
        // The writer first: without it (its turn not given within the
        // timeout, the pool closed) every write of the group gets that
        // answer at once, rather than each waiting out the timeout again.
        let lease = match self.write().await {
            Ok(lease) => lease,
            Err(error) => {
                for write in group {
                    let _ = write.reply.send(Err(same_error(&error)));
                }
                return;
            }
        };
        let mut alone = Some(lease);
        // On failure the group was rolled back: each write runs again on
        // its own, below.
        if group.len() > 1
            && let Some(lease) = alone.take()
            && let Ok(outcomes) = run_together(lease, &group).await
        {
            for (write, outcome) in group.into_iter().zip(outcomes) {
                let _ = write.reply.send(Ok(outcome));
            }
            return;
        }
        for write in group.drain(..) {
            let lease = match alone.take() {
                Some(lease) => Ok(lease),
                None => self.write().await,
            };
            let outcome = match lease {
                Ok(lease) => run_alone(lease, &write).await,
                Err(error) => Err(error),
            };
            let _ = write.reply.send(outcome);
        }
    }
}

/// One write on its own on the writer's `lease`: a single statement
/// commits by itself, a script as a group of one (its statements in one
/// transaction, sent with its `BEGIN` and `COMMIT` as one command).
async fn run_alone(mut lease: Lease<Sqlite>, write: &Write) -> Result<Outcome, sqlx::Error> {
    if write.answer != Answer::ScriptRows {
        return run_on(&mut lease, write.sql.clone(), write).await;
    }
    let mut outcomes = run_together(lease, std::slice::from_ref(write)).await?;
    // A group's outcomes are one per write.
    outcomes.pop().ok_or(sqlx::Error::WorkerCrashed)
}

/// The writes in one transaction on the writer's `lease`, or the first
/// error (the transaction then rolled back, or left to the lease's
/// rollback).
async fn run_together(
    mut lease: Lease<Sqlite>,
    group: &[Write],
) -> Result<Vec<Outcome>, sqlx::Error> {
    // Open from the moment `BEGIN` is sent (see `Pool::begin`).
    lease.in_transaction = true;
    match group_on(&mut lease, group).await {
        Ok(outcomes) => {
            lease.in_transaction = false;
            Ok(outcomes)
        }
        Err(error) => {
            if on_lease!(&mut lease, |conn| Sqlite::rollback(conn)).is_ok() {
                lease.in_transaction = false;
            }
            // Otherwise dropping the lease tries again, then closes the
            // connection.
            Err(error)
        }
    }
}

/// The error of not getting the writer, once for each write that waited
/// for it (`sqlx::Error` is not `Clone`).
fn same_error(error: &sqlx::Error) -> sqlx::Error {
    match error {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        other => sqlx::Error::Io(std::io::Error::other(other.to_string())),
    }
}

/// `BEGIN IMMEDIATE`, the writes, `COMMIT`, stopping at the first error.
/// Each write is one command (a round trip to the connection's thread);
/// `BEGIN` and `COMMIT` ride along with the first and the last write when
/// those answer with rows. Not with a count of changes: SQLite reports the
/// count of the last `INSERT`, `UPDATE` or `DELETE` after every statement,
/// so sqlx would add a stale count for `BEGIN` (and the write's again for
/// `COMMIT`).
async fn group_on(lease: &mut Lease<Sqlite>, group: &[Write]) -> Result<Vec<Outcome>, sqlx::Error> {
    let rides = |write: &Write| write.answer != Answer::Changes;
    let begin_rides = group.first().is_some_and(rides);
    let commit_rides = group.last().is_some_and(rides);
    if !begin_rides {
        Conn::Sqlite(lease).run_plain("BEGIN IMMEDIATE").await?;
    }
    let mut outcomes = Vec::with_capacity(group.len());
    let last = group.len().saturating_sub(1);
    for (index, write) in group.iter().enumerate() {
        let begin = if index == 0 && begin_rides {
            "BEGIN IMMEDIATE; "
        } else {
            ""
        };
        let commit = if index == last && commit_rides {
            "; COMMIT"
        } else {
            ""
        };
        let sql = match (begin, commit) {
            ("", "") => write.sql.clone(),
            _ => AssertSqlSafe(format!("{begin}{}{commit}", write.sql.as_str())).into_sql_str(),
        };
        outcomes.push(run_on(lease, sql, write).await?);
    }
    if !commit_rides {
        Conn::Sqlite(lease).run_plain("COMMIT").await?;
    }
    Ok(outcomes)
}

/// Runs `sql` (the write's, or it wrapped in a transaction) with the
/// write's values, answering as the write asked.
async fn run_on(
    lease: &mut Lease<Sqlite>,
    sql: SqlStr,
    write: &Write,
) -> Result<Outcome, sqlx::Error> {
    let args = write.args.clone();
    match write.answer {
        Answer::Changes => Conn::Sqlite(lease)
            .execute(sql, args)
            .await
            .map(Outcome::Changes),
        Answer::Rows | Answer::ScriptRows => {
            on_lease!(lease, |conn| bind_all!(sqlx::query(sql), args)
                .fetch_all(&mut *conn))
            .map(Outcome::Rows)
        }
    }
}

/// Leaves the queue drainable again if the draining task is dropped before
/// it finished (its runtime shut down): the writes still queued are dropped,
/// and their callers told so.
struct StopDraining {
    queue: CommitQueue,
    done: bool,
}

impl Drop for StopDraining {
    fn drop(&mut self) {
        if !self.done {
            let mut waiting = self.queue.lock();
            waiting.writes.clear();
            waiting.draining = false;
        }
    }
}
#[cfg(test)]
mod tests {
    use crate::SqlStorage;
    use crate::pool::{Pool, args};

    async fn storage(dir: &tempfile::TempDir) -> Pool {
        let storage = SqlStorage::open_sqlite_file(&dir.path().join("group.db"))
            .await
            .unwrap();
        storage
            .pool
            .execute(
                "CREATE TABLE pairs (k TEXT PRIMARY KEY, v BIGINT NOT NULL)",
                args![],
            )
            .await
            .unwrap();
        storage.pool
    }

    async fn count(pool: &Pool) -> i64 {
        let (n,): (i64,) = pool
            .fetch_one("SELECT COUNT(*) FROM pairs", args![])
            .await
            .unwrap();
        n
    }

    /// Writes queued together commit together, each with its own answer:
    /// counts of changes are the write's own (not SQLite's stale count of
    /// an earlier statement), rows are the write's own.
    #[tokio::test]
    async fn writes_queued_together_get_their_own_answers() {
        let dir = tempfile::tempdir().unwrap();
        let pool = storage(&dir).await;
        // `join!` polls each in turn before the draining task runs: one group.
        let (first, second, third, fourth) = tokio::join!(
            pool.fetch_optional::<(i64,)>(
                "INSERT INTO pairs (k, v) VALUES ('a', 1) RETURNING v",
                args![]
            ),
            pool.execute(
                "INSERT INTO pairs (k, v) VALUES ('b', 2), ('c', 3)",
                args![]
            ),
            pool.sqlite_transaction::<(String,)>(
                "UPDATE pairs SET v = v + 10 WHERE k = 'a' RETURNING k; \
                 INSERT INTO pairs (k, v) SELECT 'd', 4 WHERE changes() = 1",
                args![]
            ),
            pool.execute("UPDATE pairs SET v = 0 WHERE k IN ('b', 'c', 'd')", args![]),
        );
        assert_eq!(first.unwrap(), Some((1,)));
        assert_eq!(second.unwrap(), 2);
        assert_eq!(third.unwrap(), vec![("a".to_owned(),)]);
        assert_eq!(fourth.unwrap(), 3);
        assert_eq!(count(&pool).await, 4);
        pool.close().await;
    }

    /// A write that fails inside a group fails alone: the others commit,
    /// and it gets the error it would have had on its own.
    #[tokio::test]
    async fn a_failing_write_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let pool = storage(&dir).await;
        let (before, clash, after) = tokio::join!(
            pool.execute("INSERT INTO pairs (k, v) VALUES ('a', 1)", args![]),
            pool.execute("INSERT INTO pairs (k, v) VALUES ('a', 2)", args![]),
            pool.fetch_all::<(String,)>(
                "INSERT INTO pairs (k, v) VALUES ('b', 3), ('c', 4) RETURNING k",
                args![]
            ),
        );
        assert_eq!(before.unwrap(), 1);
        let clash = clash.unwrap_err();
        assert!(
            clash
                .as_database_error()
                .is_some_and(|e| e.is_unique_violation()),
            "{clash}"
        );
        assert_eq!(after.unwrap().len(), 2);
        let (v,): (i64,) = pool
            .fetch_one("SELECT v FROM pairs WHERE k = 'a'", args![])
            .await
            .unwrap();
        assert_eq!(v, 1);
        assert_eq!(count(&pool).await, 3);
        pool.close().await;
    }

    /// Many concurrent writers from many tasks: every write is committed once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_all_commit() {
        let dir = tempfile::tempdir().unwrap();
        let pool = storage(&dir).await;
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    pool.execute(
                        "INSERT INTO pairs (k, v) VALUES ($1, $2)",
                        args![format!("k{i}"), i as i64],
                    )
                    .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), 1);
        }
        assert_eq!(count(&pool).await, 200);
        pool.close().await;
    }

    /// Writes queued behind a transaction that keeps the write turn past
    /// the timeout all fail once, together: not one after the other, each
    /// waiting out the timeout again (three of them would take 15 s).
    #[tokio::test]
    async fn writes_that_never_get_the_writer_fail_together() {
        let dir = tempfile::tempdir().unwrap();
        let pool = storage(&dir).await;
        let tx = pool.begin().await.unwrap();
        let queued = async {
            tokio::join!(
                pool.execute("INSERT INTO pairs (k, v) VALUES ('a', 1)", args![]),
                pool.execute("INSERT INTO pairs (k, v) VALUES ('b', 2)", args![]),
                pool.execute("INSERT INTO pairs (k, v) VALUES ('c', 3)", args![]),
            )
        };
        let (a, b, c) = tokio::time::timeout(std::time::Duration::from_secs(9), queued)
            .await
            .expect("the queued writes waited one after the other");
        for result in [a, b, c] {
            assert!(
                matches!(result, Err(sqlx::Error::PoolTimedOut)),
                "{result:?}"
            );
        }
        drop(tx);
        assert_eq!(count(&pool).await, 0);
        pool.close().await;
    }
}
