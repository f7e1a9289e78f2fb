//! A new job before it is stored: the job kinds build it, and the jobs
//! module stores and starts it.

use crate::Engine;
use model::{Job, JobParams, JobStatus, TenantId};

/// A job id: `job_` and 16 random alphanumerics, as Auth0's.
fn new_job_id() -> String {
    model::ids::new_id("job")
}

/// A new pending job of `tenant`.
pub(super) fn pending_job(
    engine: &Engine,
    tenant: &TenantId,
    params: JobParams,
    connection: Option<&model::Connection>,
) -> Job {
    let now = engine.now();
    Job {
        tenant_id: tenant.clone(),
        id: new_job_id(),
        status: JobStatus::Pending,
        params,
        connection_id: connection.map(|c| c.id.clone()),
        connection: connection.map(|c| c.name.clone()),
        summary: None,
        failure: None,
        runner: None,
        heartbeat_at: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
        expires_at: None,
    }
}
