//! Failed-login counters: one upsert per failure, so concurrent failures on
//! every node add up exactly (`INSERT … ON CONFLICT DO UPDATE … RETURNING`,
//! which SQLite, PostgreSQL and CockroachDB all run atomically per row).

use crate::SqlStorage;
use crate::errors::SqlResultExt;
use crate::pool::{Arg, args};
use async_trait::async_trait;
use model::{TenantId, UnixMillis};
use sqlx::AssertSqlSafe;
use storage::{CounterKey, CounterKind, Failure, LoginCounter, LoginCounterStore, Result};

type CounterRow = (String, String, String, String, i64, i64, i64, i64);

const COLUMNS: &str =
    "kind, subject, connection_id, ip, failures, window_start, last_failure, expires_at";

fn counter(
    (kind, subject, connection_id, ip, failures, start, last, expires): CounterRow,
) -> Option<LoginCounter> {
    Some(LoginCounter {
        key: CounterKey {
            kind: CounterKind::parse(&kind)?,
            connection_id,
            subject,
            ip,
        },
        failures: u64::try_from(failures).unwrap_or(0),
        window_start: start,
        last_failure: last,
        expires_at: expires,
    })
}

fn key_args(tenant: &TenantId, key: &CounterKey) -> Vec<Arg> {
    args![
        tenant,
        key.kind.as_str(),
        key.subject.as_str(),
        key.connection_id.as_str(),
        key.ip.as_str()
    ]
}

const KEY_FILTER: &str =
    "tenant_id = $1 AND kind = $2 AND subject = $3 AND connection_id = $4 AND ip = $5";

/// `$3, $4, …` for the subjects, after tenant and kind.
fn subject_list(subjects: &[String], args: &mut Vec<Arg>) -> String {
    subjects
        .iter()
        .map(|subject| {
            args.push(Arg::from(subject.as_str()));
            format!("${}", args.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl LoginCounterStore for SqlStorage {
    async fn add_login_failure(
        &self,
        tenant: &TenantId,
        key: &CounterKey,
        failure: Failure,
    ) -> Result<u64> {
        let mut values = key_args(tenant, key);
        values.extend(args![
            failure.now,
            failure.restart_before,
            failure.expires_at
        ]);
        let (failures,): (i64,) = self
            .pool
            .fetch_one(
                "INSERT INTO login_counters \
                 (tenant_id, kind, subject, connection_id, ip, \
                  failures, window_start, last_failure, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $8) \
                 ON CONFLICT (tenant_id, kind, subject, connection_id, ip) DO UPDATE SET \
                 failures = CASE WHEN login_counters.window_start < $7 \
                     OR login_counters.expires_at <= $6 \
                     THEN 1 ELSE login_counters.failures + 1 END, \
                 window_start = CASE WHEN login_counters.window_start < $7 \
                     OR login_counters.expires_at <= $6 \
                     THEN $6 ELSE login_counters.window_start END, \
                 last_failure = $6, expires_at = $8 \
                 RETURNING failures",
                values,
            )
            .await
            .ctx("count a failed login")?;
        Ok(u64::try_from(failures).unwrap_or(0))
    }

    async fn get_login_counter(
        &self,
        tenant: &TenantId,
        key: &CounterKey,
        now: UnixMillis,
    ) -> Result<Option<LoginCounter>> {
        let mut values = key_args(tenant, key);
        values.push(Arg::Int(now));
        let sql =
            format!("SELECT {COLUMNS} FROM login_counters WHERE {KEY_FILTER} AND expires_at > $6");
        let row: Option<CounterRow> = self
            .pool
            .fetch_optional(AssertSqlSafe(sql), values)
            .await
            .ctx("read a login counter")?;
        Ok(row.and_then(counter))
    }

    async fn delete_login_counter(&self, tenant: &TenantId, key: &CounterKey) -> Result<bool> {
        let sql = format!("DELETE FROM login_counters WHERE {KEY_FILTER}");
        let deleted = self
            .pool
            .execute(AssertSqlSafe(sql), key_args(tenant, key))
            .await
            .ctx("reset a login counter")?;
        Ok(deleted > 0)
    }

    async fn list_login_counters(
        &self,
        tenant: &TenantId,
        kind: CounterKind,
        subjects: &[String],
        now: UnixMillis,
    ) -> Result<Vec<LoginCounter>> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let mut values = args![tenant, kind.as_str(), now];
        let list = subject_list(subjects, &mut values);
        let sql = format!(
            "SELECT {COLUMNS} FROM login_counters \
             WHERE tenant_id = $1 AND kind = $2 AND expires_at > $3 AND subject IN ({list}) \
             ORDER BY subject, connection_id, ip"
        );
        let rows: Vec<CounterRow> = self
            .pool
            .fetch_all(AssertSqlSafe(sql), values)
            .await
            .ctx("list login counters")?;
        Ok(rows.into_iter().filter_map(counter).collect())
    }

    async fn delete_login_counters(
        &self,
        tenant: &TenantId,
        kind: CounterKind,
        subjects: &[String],
    ) -> Result<u64> {
        if subjects.is_empty() {
            return Ok(0);
        }
        let mut values = args![tenant, kind.as_str()];
        let list = subject_list(subjects, &mut values);
        let sql = format!(
            "DELETE FROM login_counters WHERE tenant_id = $1 AND kind = $2 AND subject IN ({list})"
        );
        self.pool
            .execute(AssertSqlSafe(sql), values)
            .await
            .ctx("reset login counters")
    }
}
