//! Jobs (`/api/v2/jobs`): the record, plus its bulky payloads stored beside
//! it so that polling a job's status never reads an uploaded file or an
//! export.

use crate::{Result, Updater};
use async_trait::async_trait;
use model::{Job, JobPayload, JobStatus, TenantId};

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Stores a new job, with its uploaded file when it has one. A second
    /// job with the same tenant and id is `AlreadyExists`.
    async fn create_job(&self, job: &Job, input: Option<&str>) -> Result<()>;
    async fn get_job(&self, tenant: &TenantId, id: &str) -> Result<Option<Job>>;
    /// Optimistic update, as every `update_*`: of two concurrent claims of a
    /// pending job exactly one sees it still pending.
    async fn update_job(
        &self,
        tenant: &TenantId,
        id: &str,
        updater: Updater<'_, Job>,
    ) -> Result<Job>;
    /// Up to `limit` jobs of the tenant in any of `statuses`, oldest first.
    async fn list_jobs_by_status(
        &self,
        tenant: &TenantId,
        statuses: &[JobStatus],
        limit: u64,
    ) -> Result<Vec<Job>>;
    /// Replaces one payload (`None` removes it). `NotFound` without the job.
    async fn put_job_payload(
        &self,
        tenant: &TenantId,
        id: &str,
        which: JobPayload,
        content: Option<&str>,
    ) -> Result<()>;
    /// One payload; `None` when the job or the payload does not exist.
    async fn get_job_payload(
        &self,
        tenant: &TenantId,
        id: &str,
        which: JobPayload,
    ) -> Result<Option<String>>;
}
