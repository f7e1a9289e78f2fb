//! What a running job and the runner tell each other: the heartbeat that
//! renews the job's claim, and how the job ended. Apart from the runner so
//! the job kinds it dispatches to need not import it back.

use crate::Engine;
use crate::error::{EngineError, Result, reject};
use model::{Job, JobStatus, JobSummary, TenantId};
use std::sync::LazyLock;
use storage::StorageError;

/// This process's runner id, recorded on the jobs it claims.
pub(super) static RUNNER_ID: LazyLock<String> =
    LazyLock::new(|| model::ids::random_alphanumeric(16));

/// How a job ended, as the job kinds report it.
#[derive(Debug, Default)]
pub struct Finished {
    pub summary: Option<JobSummary>,
    /// The import's per-user error report (JSON array).
    pub errors: Option<String>,
    /// The export file.
    pub output: Option<String>,
}

/// Why a job failed, in words for the administrator.
#[derive(Debug)]
pub enum JobFailure {
    /// The job cannot be done as asked; the reason is shown.
    Refused(String),
    /// The job lost its claim (failed by a sweep): stop, write nothing.
    Lost,
    /// Something broke inside; logged, and shown only as an internal error.
    Internal(EngineError),
}

impl From<EngineError> for JobFailure {
    fn from(error: EngineError) -> Self {
        JobFailure::Internal(error)
    }
}

impl From<StorageError> for JobFailure {
    fn from(error: StorageError) -> Self {
        JobFailure::Internal(error.into())
    }
}

/// Renews a running job's heartbeat and progress.
pub struct Heartbeat<'a> {
    engine: &'a Engine,
    tenant: &'a TenantId,
    id: &'a str,
}

impl<'a> Heartbeat<'a> {
    pub(super) fn new(engine: &'a Engine, tenant: &'a TenantId, id: &'a str) -> Self {
        Self { engine, tenant, id }
    }

    /// Records a sign of life (and the progress so far); `Lost` when the job
    /// is no longer this runner's.
    pub async fn beat(&self, progress: Option<JobSummary>) -> Result<(), JobFailure> {
        let now = self.engine.now();
        let outcome = self
            .engine
            .storage
            .update_job(self.tenant, self.id, &|mut job: Job| {
                if !is_mine(&job) {
                    return Err(reject(EngineError::Conflict));
                }
                job.heartbeat_at = Some(now);
                job.updated_at = now;
                if progress.is_some() {
                    job.summary = progress;
                }
                Ok(job)
            })
            .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(StorageError::Rejected(_) | StorageError::NotFound) => Err(JobFailure::Lost),
            Err(other) => Err(other.into()),
        }
    }
}

pub(super) fn is_mine(job: &Job) -> bool {
    job.status == JobStatus::Processing && job.runner.as_deref() == Some(RUNNER_ID.as_str())
}
