//! Background jobs of the Management API (Auth0's `/api/v2/jobs`): user
//! imports, user exports and verification emails.
//!
//! A job is created `pending`, claimed by exactly one node (`processing`),
//! and ends `completed` or `failed` with a reason. Its bulky parts — the
//! uploaded file, the per-line error report, the export file — are stored
//! beside the record (see `storage::JobStore`), not in it, so that reading a
//! job's status never loads megabytes.

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};

/// Auth0's job `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    UsersImport,
    UsersExport,
    VerificationEmail,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::UsersImport => "users_import",
            JobKind::UsersExport => "users_export",
            JobKind::VerificationEmail => "verification_email",
        }
    }
}

/// Auth0's job `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
        }
    }

    /// Whether the job will not change any more.
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed)
    }
}

/// Counts of an import (Auth0's `summary`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    pub failed: u64,
    pub updated: u64,
    pub inserted: u64,
    pub total: u64,
}

/// One field of an export: the user attribute `name` (a dotted path such as
/// `user_metadata.plan`), written under `export_as` (default: `name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportField {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_as: Option<String>,
}

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// One JSON object per line (NDJSON), as Auth0 writes it.
    Json,
    Csv,
}

/// What the job was asked to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobParams {
    UsersImport {
        /// Update users that already exist (by email) instead of reporting them.
        upsert: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_id: Option<String>,
        send_completion_email: bool,
    },
    UsersExport {
        format: ExportFormat,
        /// Empty: Auth0's default field set.
        fields: Vec<ExportField>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u64>,
    },
    VerificationEmail {
        user_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        /// `{user_id, provider}` of the identity to verify, when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identity: Option<serde_json::Value>,
    },
}

impl JobParams {
    pub fn kind(&self) -> JobKind {
        match self {
            JobParams::UsersImport { .. } => JobKind::UsersImport,
            JobParams::UsersExport { .. } => JobKind::UsersExport,
            JobParams::VerificationEmail { .. } => JobKind::VerificationEmail,
        }
    }
}

/// A job of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub tenant_id: TenantId,
    /// `job_…`.
    pub id: String,
    pub status: JobStatus,
    pub params: JobParams,
    /// The connection the job works on (imports and exports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// The connection's name when the job was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<JobSummary>,
    /// Why the job failed, in words an administrator can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The node working on the job, while `processing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    /// Last sign of life of the runner; a `processing` job whose heartbeat
    /// is too old was interrupted (its node stopped) and is failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_at: Option<UnixMillis>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
    /// When it ended (completed or failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<UnixMillis>,
    /// When the finished job and its files are deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<UnixMillis>,
}

impl Job {
    pub fn kind(&self) -> JobKind {
        self.params.kind()
    }
}

/// A bulky part of a job, stored beside the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobPayload {
    /// The uploaded import file.
    Input,
    /// The per-line error report of an import (a JSON array).
    Errors,
    /// The export file.
    Output,
}
