//! Jobs. The record is a versioned row like any other; its payloads (the
//! uploaded file, the error report, the export) are separate columns that
//! only [`JobStore::get_job_payload`] reads. `expires_at` carries the
//! engine's retention of finished jobs, swept by `garbage_collect`.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode, encode};
use crate::pool::{Arg, args};
use crate::record::{Record, write_args};
use async_trait::async_trait;
use model::{Job, JobPayload, JobStatus, TenantId};
use sqlx::AssertSqlSafe;
use storage::{JobStore, Result, StorageError, Updater};

impl Record for Job {
    const KIND: &'static str = "job";
    const KEY_FIELD: &'static str = "id";
    const SELECT: &'static str = "SELECT data, version FROM jobs WHERE tenant_id = $1 AND id = $2";
    const INSERT: &'static str = "INSERT INTO jobs \
         (tenant_id, data, version, id, status, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
    const UPDATE: &'static str = "UPDATE jobs \
         SET data = $2, version = version + 1, status = $5, created_at = $6, expires_at = $7 \
         WHERE tenant_id = $1 AND id = $4 AND version = $3";

    fn tenant(&self) -> &str {
        self.tenant_id.as_str()
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn columns(&self) -> Vec<Arg> {
        vec![
            Arg::from(self.id.as_str()),
            Arg::from(self.status.as_str()),
            Arg::Int(self.created_at),
            Arg::OptInt(self.expires_at),
        ]
    }
}

/// The column that holds a payload; fixed names only, never input.
fn payload_column(which: JobPayload) -> &'static str {
    match which {
        JobPayload::Input => "input",
        JobPayload::Errors => "errors",
        JobPayload::Output => "output",
    }
}

#[async_trait]
impl JobStore for SqlStorage {
    async fn create_job(&self, job: &Job, input: Option<&str>) -> Result<()> {
        const CONTEXT: &str = "create job";
        let data = encode(job)?;
        let mut values = write_args(job, data, 1);
        values.push(Arg::OptText(input.map(str::to_owned)));
        self.pool
            .execute(
                "INSERT INTO jobs \
                 (tenant_id, data, version, id, status, created_at, expires_at, input) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                values,
            )
            .await
            .unique(CONTEXT, Job::KIND)?;
        Ok(())
    }

    async fn get_job(&self, tenant: &TenantId, id: &str) -> Result<Option<Job>> {
        self.get_record(tenant.as_str(), id, "get job").await
    }

    async fn update_job(
        &self,
        tenant: &TenantId,
        id: &str,
        updater: Updater<'_, Job>,
    ) -> Result<Job> {
        self.update_record(tenant.as_str(), id, updater, "update job")
            .await
    }

    async fn list_jobs_by_status(
        &self,
        tenant: &TenantId,
        statuses: &[JobStatus],
        limit: u64,
    ) -> Result<Vec<Job>> {
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        let mut values = args![tenant];
        let placeholders: Vec<String> = statuses
            .iter()
            .map(|status| {
                values.push(Arg::from(status.as_str()));
                format!("${}", values.len())
            })
            .collect();
        values.push(Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
        let sql = format!(
            "SELECT data FROM jobs WHERE tenant_id = $1 AND status IN ({}) \
             ORDER BY created_at, id LIMIT ${}",
            placeholders.join(", "),
            values.len()
        );
        let rows: Vec<(String,)> = self
            .pool
            .fetch_all(AssertSqlSafe(sql), values)
            .await
            .ctx("list jobs")?;
        rows.iter().map(|(data,)| decode(data)).collect()
    }

    async fn put_job_payload(
        &self,
        tenant: &TenantId,
        id: &str,
        which: JobPayload,
        content: Option<&str>,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE jobs SET {} = $3 WHERE tenant_id = $1 AND id = $2",
            payload_column(which)
        );
        let changed = self
            .pool
            .execute(AssertSqlSafe(sql), args![tenant, id, content])
            .await
            .ctx("store a job payload")?;
        if changed == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    async fn get_job_payload(
        &self,
        tenant: &TenantId,
        id: &str,
        which: JobPayload,
    ) -> Result<Option<String>> {
        let sql = format!(
            "SELECT {} FROM jobs WHERE tenant_id = $1 AND id = $2",
            payload_column(which)
        );
        let row: Option<(Option<String>,)> = self
            .pool
            .fetch_optional(AssertSqlSafe(sql), args![tenant, id])
            .await
            .ctx("read a job payload")?;
        Ok(row.and_then(|(content,)| content))
    }
}
