//! Running jobs: claim, heartbeat, finish; and the sweep that starts
//! forgotten pending jobs and fails interrupted ones.
//!
//! A job is claimed by an optimistic update from `pending` to `processing`
//! naming this node's runner id, so of several nodes (or a node and its own
//! sweep) exactly one runs it. While it runs, every batch renews its
//! heartbeat — and checks that the job is still this runner's: when the
//! sweep of some node has failed it meanwhile, the run stops without
//! writing anything more.

use super::progress::{Finished, Heartbeat, JobFailure, RUNNER_ID, is_mine};
use super::{export, import, verification_email};
use crate::Engine;
use crate::error::{EngineError, Result, reject};
use model::{Job, JobParams, JobPayload, JobStatus, TenantId};
use std::time::Duration;
use storage::StorageError;
use tokio::sync::Semaphore;

/// At most this many jobs run at once on a node; the others wait pending.
static SLOTS: Semaphore = Semaphore::const_new(2);

/// How often the sweep looks for forgotten and interrupted jobs.
const SWEEP_EVERY: Duration = Duration::from_secs(15);
/// A pending job younger than this is left to the node that created it.
const PENDING_GRACE_MS: i64 = 10_000;

/// Runs the job in the background on this node, if it is still pending
/// once a slot is free.
pub fn start(engine: Engine, tenant: TenantId, id: String) {
    tokio::spawn(async move {
        if let Err(error) = run_if_pending(&engine, &tenant, &id).await {
            tracing::error!(%error, job = %id, "job runner failed");
        }
    });
}

/// Claims the job if it is pending and runs it to its end.
pub async fn run_if_pending(engine: &Engine, tenant: &TenantId, id: &str) -> Result<()> {
    let Ok(_slot) = SLOTS.acquire().await else {
        return Ok(());
    };
    let now = engine.now();
    let claimed = engine
        .storage
        .update_job(tenant, id, &|mut job: Job| {
            if job.status != JobStatus::Pending {
                return Err(reject(EngineError::Conflict));
            }
            job.status = JobStatus::Processing;
            job.runner = Some(RUNNER_ID.clone());
            job.heartbeat_at = Some(now);
            job.updated_at = now;
            Ok(job)
        })
        .await;
    let job = match claimed {
        Ok(job) => job,
        // Taken by another runner, or gone.
        Err(StorageError::Rejected(_) | StorageError::NotFound) => return Ok(()),
        Err(other) => return Err(other.into()),
    };
    let heartbeat = Heartbeat::new(engine, tenant, id);
    let outcome = match &job.params {
        JobParams::UsersImport { .. } => import::run(engine, &job, &heartbeat).await,
        JobParams::UsersExport { .. } => export::run(engine, &job, &heartbeat).await,
        JobParams::VerificationEmail { .. } => verification_email::run(engine, &job).await,
    };
    finish(engine, &job, outcome).await
}

/// Writes the job's files and its final status.
async fn finish(engine: &Engine, job: &Job, outcome: Result<Finished, JobFailure>) -> Result<()> {
    let (status, failure, finished) = match outcome {
        Ok(finished) => (JobStatus::Completed, None, finished),
        Err(JobFailure::Lost) => {
            tracing::warn!(job = %job.id, "job was taken from this runner; stopping");
            return Ok(());
        }
        Err(JobFailure::Refused(reason)) => (JobStatus::Failed, Some(reason), Finished::default()),
        Err(JobFailure::Internal(error)) => {
            tracing::error!(%error, job = %job.id, "job failed");
            (
                JobStatus::Failed,
                Some("The job failed because of an internal error".to_owned()),
                Finished::default(),
            )
        }
    };
    let tenant = &job.tenant_id;
    if let Some(errors) = &finished.errors {
        engine
            .storage
            .put_job_payload(tenant, &job.id, JobPayload::Errors, Some(errors))
            .await?;
    }
    if let Some(output) = &finished.output {
        engine
            .storage
            .put_job_payload(tenant, &job.id, JobPayload::Output, Some(output))
            .await?;
    }
    // The uploaded file is not needed any more.
    engine
        .storage
        .put_job_payload(tenant, &job.id, JobPayload::Input, None)
        .await?;
    let now = engine.now();
    let retention = engine.settings.job_retention.saturating_mul(1_000);
    let ended = engine
        .storage
        .update_job(tenant, &job.id, &|mut stored: Job| {
            if !is_mine(&stored) {
                return Err(reject(EngineError::Conflict));
            }
            stored.status = status;
            stored.failure = failure.clone();
            if finished.summary.is_some() {
                stored.summary = finished.summary;
            }
            stored.runner = None;
            stored.heartbeat_at = None;
            stored.updated_at = now;
            stored.finished_at = Some(now);
            stored.expires_at = Some(now.saturating_add(retention));
            Ok(stored)
        })
        .await;
    match ended {
        Ok(_) | Err(StorageError::Rejected(_) | StorageError::NotFound) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

/// Starts the sweep: once now (a restarted node resumes its pending jobs at
/// once), then every few seconds.
pub fn spawn_sweeper(engine: Engine) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(SWEEP_EVERY);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(error) = sweep(&engine, PENDING_GRACE_MS).await {
                tracing::warn!(%error, "job sweep failed");
            }
        }
    });
}

/// Starts pending jobs older than `grace_ms` and fails `processing` jobs
/// whose heartbeat is older than `settings.job_stale_after`; returns how
/// many jobs it started and failed.
pub async fn sweep(engine: &Engine, grace_ms: i64) -> Result<(usize, usize)> {
    let now = engine.now();
    let stale_before = now.saturating_sub(engine.settings.job_stale_after.saturating_mul(1_000));
    let (mut started, mut failed) = (0, 0);
    for tenant in engine.storage.list_tenants().await? {
        let jobs = engine
            .storage
            .list_jobs_by_status(
                &tenant.id,
                &[JobStatus::Pending, JobStatus::Processing],
                1_000,
            )
            .await?;
        for job in jobs {
            match job.status {
                JobStatus::Pending if job.created_at <= now.saturating_sub(grace_ms) => {
                    start(engine.clone(), tenant.id.clone(), job.id.clone());
                    started += 1;
                }
                JobStatus::Processing
                    if job.heartbeat_at.unwrap_or(job.updated_at) < stale_before =>
                {
                    let interrupted =
                        fail_interrupted(engine, &tenant.id, &job.id, stale_before).await?;
                    failed += usize::from(interrupted);
                }
                _ => {}
            }
        }
    }
    Ok((started, failed))
}

/// Fails a job whose runner stopped, saying how far it got.
async fn fail_interrupted(
    engine: &Engine,
    tenant: &TenantId,
    id: &str,
    stale_before: i64,
) -> Result<bool> {
    let now = engine.now();
    let retention = engine.settings.job_retention.saturating_mul(1_000);
    let outcome = engine
        .storage
        .update_job(tenant, id, &|mut job: Job| {
            let stale = job.status == JobStatus::Processing
                && job.heartbeat_at.unwrap_or(job.updated_at) < stale_before;
            if !stale {
                return Err(reject(EngineError::Conflict));
            }
            job.failure = Some(interruption_reason(&job));
            job.status = JobStatus::Failed;
            job.runner = None;
            job.heartbeat_at = None;
            job.updated_at = now;
            job.finished_at = Some(now);
            job.expires_at = Some(now.saturating_add(retention));
            Ok(job)
        })
        .await;
    match outcome {
        Ok(job) => {
            tracing::warn!(job = %job.id, "failed a job interrupted by a stopped node");
            if let Err(error) = engine
                .storage
                .put_job_payload(tenant, id, JobPayload::Input, None)
                .await
            {
                tracing::warn!(%error, job = %id, "could not drop the input of a failed job");
            }
            Ok(true)
        }
        Err(StorageError::Rejected(_) | StorageError::NotFound) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

fn interruption_reason(job: &Job) -> String {
    match (&job.params, job.summary) {
        (JobParams::UsersImport { .. }, Some(progress)) => format!(
            "The job was interrupted (the server running it stopped) after {} of {} users: \
             {} inserted, {} updated, {} failed. The users already imported were kept; \
             import the file again with upsert to finish.",
            progress.inserted + progress.updated + progress.failed,
            progress.total,
            progress.inserted,
            progress.updated,
            progress.failed
        ),
        _ => "The job was interrupted (the server running it stopped) before it finished; \
              create it again."
            .to_owned(),
    }
}
