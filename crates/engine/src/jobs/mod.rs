//! Background jobs (`/api/v2/jobs`): bulk user imports ([`import`]), user
//! exports ([`export`]) and verification emails ([`verification_email`]).
//!
//! Creating a job validates what can be validated at once (the connection,
//! the file's shape), stores the job `pending` with its file, and starts it
//! on this node. [`runner`] claims a pending job atomically, so exactly one
//! node runs it, keeps a heartbeat while it runs, and ends it `completed`
//! or `failed` with a reason. A pending job that no node started (its node
//! stopped first) is picked up by the periodic sweep of any node; a
//! `processing` job whose heartbeat stopped was interrupted mid-way and is
//! failed honestly, saying how far it got — never silently lost, never
//! silently re-run.

pub mod export;
pub mod import;
mod pending;
mod progress;
pub mod runner;
pub mod verification_email;

use crate::Engine;
use crate::error::{EngineError, Result};
use model::{Job, JobParams, JobPayload, JobStatus, TenantId};

pub use export::ExportRequest;
pub use import::ImportRequest;
pub use verification_email::VerificationEmailRequest;

/// Checks an import request and the file's shape, stores the job and starts it.
pub async fn create_import(
    engine: &Engine,
    tenant: &TenantId,
    request: ImportRequest,
) -> Result<Job> {
    let (job, users) = import::prepare(engine, tenant, request).await?;
    submit(engine, job, Some(&users)).await
}

/// Checks an export request, stores the job and starts it.
pub async fn create_export(
    engine: &Engine,
    tenant: &TenantId,
    request: ExportRequest,
) -> Result<Job> {
    let job = export::prepare(engine, tenant, request).await?;
    submit(engine, job, None).await
}

/// Checks a verification-email request, stores the job and starts it.
pub async fn create_verification_email(
    engine: &Engine,
    tenant: &TenantId,
    request: VerificationEmailRequest,
) -> Result<Job> {
    let job = verification_email::prepare(engine, tenant, request).await?;
    submit(engine, job, None).await
}

/// Stores a new job and starts it on this node.
async fn submit(engine: &Engine, job: Job, input: Option<&str>) -> Result<Job> {
    engine.storage.create_job(&job, input).await?;
    runner::start(engine.clone(), job.tenant_id.clone(), job.id.clone());
    Ok(job)
}

pub async fn get_job(engine: &Engine, tenant: &TenantId, id: &str) -> Result<Job> {
    engine
        .storage
        .get_job(tenant, id)
        .await?
        .ok_or(EngineError::NotFound("job"))
}

/// The per-user error report of a finished import (a JSON array in Auth0's
/// shape), or `None` when there is none (other job types, an unfinished
/// job, or an import without errors).
pub async fn job_errors(
    engine: &Engine,
    tenant: &TenantId,
    id: &str,
) -> Result<(Job, Option<serde_json::Value>)> {
    let job = get_job(engine, tenant, id).await?;
    if job.kind() != model::JobKind::UsersImport || !job.status.is_finished() {
        return Ok((job, None));
    }
    let report = engine
        .storage
        .get_job_payload(tenant, id, JobPayload::Errors)
        .await?;
    let report = match report {
        Some(text) => serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .filter(|value| value.as_array().is_some_and(|errors| !errors.is_empty())),
        None => None,
    };
    Ok((job, report))
}

/// A finished export's file.
pub struct ExportFile {
    pub format: model::ExportFormat,
    pub content: String,
}

pub async fn export_file(engine: &Engine, tenant: &TenantId, id: &str) -> Result<ExportFile> {
    let job = get_job(engine, tenant, id).await?;
    let JobParams::UsersExport { format, .. } = job.params else {
        return Err(EngineError::NotFound("export"));
    };
    if job.status != JobStatus::Completed {
        return Err(EngineError::NotFound("export"));
    }
    let content = engine
        .storage
        .get_job_payload(tenant, id, JobPayload::Output)
        .await?
        .ok_or(EngineError::NotFound("export"))?;
    Ok(ExportFile { format, content })
}
