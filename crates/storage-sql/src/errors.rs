//! Turning sqlx and serde failures into [`StorageError`]s.
//!
//! Every backend call goes through [`SqlResultExt`], so each error carries a
//! context that says what was being done ("get client") and uniqueness
//! violations become `AlreadyExists` with the record kind the caller names.
//! The retry loops ask [`is_retryable`] whether a failure was only contention.

use serde::Serialize;
use serde::de::DeserializeOwned;
use storage::{Result, StorageError};

/// Context for errors of statements that read or write many record kinds.
pub(crate) trait SqlResultExt<T> {
    /// Any failure is a backend failure while doing `context`.
    fn ctx(self, context: &'static str) -> Result<T>;
    /// Like [`SqlResultExt::ctx`], but a uniqueness violation means a `kind`
    /// record with the same key already exists.
    fn unique(self, context: &'static str, kind: &'static str) -> Result<T>;
}

impl<T> SqlResultExt<T> for std::result::Result<T, sqlx::Error> {
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|e| StorageError::backend(context, e))
    }

    fn unique(self, context: &'static str, kind: &'static str) -> Result<T> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StorageError::AlreadyExists(kind)
            }
            _ => StorageError::backend(context, e),
        })
    }
}

/// Why an `update_*` closure's result was refused by storage itself.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    /// Records are addressed by these fields; changing them would silently
    /// move or clone the record, so the change is refused instead.
    #[error("an update may not change the {0} of a {1}")]
    IdentityChanged(&'static str, &'static str),
    /// `rotate_signing_keys` was handed a key of another tenant or algorithm.
    #[error("the new next key must belong to the rotated tenant and algorithm")]
    WrongNextKey,
}

impl From<Refused> for StorageError {
    fn from(refused: Refused) -> Self {
        StorageError::Rejected(Box::new(refused))
    }
}

/// Whether `err` only reports contention, so running the same work again may
/// succeed: SQLite busy/locked, PostgreSQL/CockroachDB serialization failures
/// and deadlocks.
pub(crate) fn is_retryable(err: &StorageError) -> bool {
    let StorageError::Backend { source, .. } = err else {
        return false;
    };
    let Some(sqlx::Error::Database(db)) = source.downcast_ref::<sqlx::Error>() else {
        return false;
    };
    let Some(code) = db.code() else {
        return false;
    };
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
        code.parse::<i64>()
            .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
    } else {
        // PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected.
        code == "40001" || code == "40P01"
    }
}

/// The JSON kept in the `data` column.
pub(crate) fn encode<T: Serialize>(record: &T) -> Result<String> {
    serde_json::to_string(record).map_err(|e| StorageError::backend("encode a record", e))
}

/// A record read back from the `data` column.
pub(crate) fn decode<T: DeserializeOwned>(data: &str) -> Result<T> {
    serde_json::from_str(data).map_err(|e| StorageError::backend("decode a stored record", e))
}
