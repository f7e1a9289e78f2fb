//! What every versioned record table has in common, and the create, get and
//! optimistic update that follow from it.
//!
//! A record table holds the record's JSON in `data`, a `version` counter, the
//! tenant, the record's key and a few indexed columns. Each record kind states
//! its SQL and binds once in its [`Record`] impl (in its own module); this
//! module owns the algorithm, so the retry and identity rules of `update_*`
//! are written exactly once.

use crate::SqlStorage;
use crate::errors::{Refused, SqlResultExt, decode, encode};
use crate::pool::{ATTEMPTS, Arg, args, pause, retrying};
use serde::Serialize;
use serde::de::DeserializeOwned;
use storage::{Result, StorageError, Updater};

/// A statement that keeps a side table in step with a record (tenant hosts),
/// run in the same transaction as the record's insert or update.
pub(crate) struct SideStatement {
    pub(crate) sql: &'static str,
    pub(crate) args: Vec<Arg>,
    /// The kind reported when the statement breaks a uniqueness rule.
    pub(crate) kind: &'static str,
}

/// A record kind stored in its own versioned table.
///
/// Bind layout of [`Record::INSERT`] and [`Record::UPDATE`]: `$1` tenant id,
/// `$2` data, `$3` version (the new one on insert, the one read on update),
/// then [`Record::columns`] from `$4` on (starting with the key, if the
/// record has one besides the tenant).
pub(crate) trait Record: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Named in `AlreadyExists` and in rejections.
    const KIND: &'static str;
    /// The field that addresses the record within its tenant.
    const KEY_FIELD: &'static str;
    /// Selects `(data, version)`; binds [`Record::select_args`].
    const SELECT: &'static str;
    const INSERT: &'static str;
    /// Must only match when `version = $3`, and must bump the version.
    const UPDATE: &'static str;

    fn select_args(tenant: &str, key: &str) -> Vec<Arg> {
        args![tenant, key]
    }
    fn tenant(&self) -> &str;
    fn key(&self) -> &str;
    /// The values of the indexed columns, bound from `$4` on.
    fn columns(&self) -> Vec<Arg>;
    /// Identity fields besides the tenant and the key that an update may not
    /// change either (a session's `sid`), as `(field name, value)`.
    fn fixed_fields(&self) -> Vec<(&'static str, &str)> {
        Vec::new()
    }
    /// Side-table statements to run after every insert or update.
    fn side_statements(&self) -> Vec<SideStatement> {
        Vec::new()
    }
}

pub(crate) fn write_args<R: Record>(record: &R, data: String, version: i64) -> Vec<Arg> {
    let mut args = args![record.tenant(), data, version];
    args.extend(record.columns());
    args
}

impl SqlStorage {
    /// Inserts a new record (version 1) and its side rows.
    pub(crate) async fn insert_record<R: Record>(
        &self,
        record: &R,
        context: &'static str,
    ) -> Result<()> {
        let data = encode(record)?;
        let side = record.side_statements();
        if side.is_empty() {
            self.pool
                .execute(R::INSERT, write_args(record, data, 1))
                .await
                .unique(context, R::KIND)?;
            return Ok(());
        }
        retrying(|| async {
            let mut tx = self.pool.begin().await.ctx(context)?;
            tx.conn()
                .execute(R::INSERT, write_args(record, data.clone(), 1))
                .await
                .unique(context, R::KIND)?;
            for statement in record.side_statements() {
                tx.conn()
                    .execute(statement.sql, statement.args)
                    .await
                    .unique(context, statement.kind)?;
            }
            tx.commit().await.ctx(context)
        })
        .await
    }

    /// The record and its version, if it exists.
    async fn read_record<R: Record>(
        &self,
        tenant: &str,
        key: &str,
        context: &'static str,
    ) -> Result<Option<(R, i64)>> {
        let row: Option<(String, i64)> = self
            .pool
            .fetch_optional(R::SELECT, R::select_args(tenant, key))
            .await
            .ctx(context)?;
        row.map(|(data, version)| Ok((decode(&data)?, version)))
            .transpose()
    }

    pub(crate) async fn get_record<R: Record>(
        &self,
        tenant: &str,
        key: &str,
        context: &'static str,
    ) -> Result<Option<R>> {
        Ok(self
            .read_record(tenant, key, context)
            .await?
            .map(|(record, _)| record))
    }

    /// Applies `updater` atomically by optimistic concurrency: read the record
    /// and its version, run the closure, write only if the version is still
    /// the one read; otherwise start over. Closure errors pass through.
    pub(crate) async fn update_record<R: Record>(
        &self,
        tenant: &str,
        key: &str,
        updater: Updater<'_, R>,
        context: &'static str,
    ) -> Result<R> {
        for attempt in 0..ATTEMPTS {
            let Some((current, version)) = self.read_record::<R>(tenant, key, context).await?
            else {
                return Err(StorageError::NotFound);
            };
            let fixed: Vec<(&'static str, String)> = current
                .fixed_fields()
                .into_iter()
                .map(|(field, value)| (field, value.to_owned()))
                .collect();
            let updated = updater(current)?;
            if updated.tenant() != tenant {
                return Err(Refused::IdentityChanged("tenant_id", R::KIND).into());
            }
            if updated.key() != key {
                return Err(Refused::IdentityChanged(R::KEY_FIELD, R::KIND).into());
            }
            let changed = fixed
                .iter()
                .zip(updated.fixed_fields())
                .find(|((_, before), (_, after))| before != after);
            if let Some(((field, _), _)) = changed {
                return Err(Refused::IdentityChanged(field, R::KIND).into());
            }
            if self.write_version(&updated, version, context).await? {
                return Ok(updated);
            }
            pause(attempt).await;
        }
        Err(StorageError::Conflict)
    }

    /// Writes `record` over `version`; `false` when another writer got there first.
    async fn write_version<R: Record>(
        &self,
        record: &R,
        version: i64,
        context: &'static str,
    ) -> Result<bool> {
        let data = encode(record)?;
        let side = record.side_statements();
        if side.is_empty() {
            let changed = self
                .pool
                .execute(R::UPDATE, write_args(record, data, version))
                .await
                .unique(context, R::KIND)?;
            return Ok(changed == 1);
        }
        retrying(|| async {
            let mut tx = self.pool.begin().await.ctx(context)?;
            let changed = tx
                .conn()
                .execute(R::UPDATE, write_args(record, data.clone(), version))
                .await
                .unique(context, R::KIND)?;
            if changed != 1 {
                return Ok(false);
            }
            for statement in record.side_statements() {
                tx.conn()
                    .execute(statement.sql, statement.args)
                    .await
                    .unique(context, statement.kind)?;
            }
            tx.commit().await.ctx(context)?;
            Ok(true)
        })
        .await
    }
}
