//! The helpers every case uses: tenant names, paging, and assertions on
//! storage errors. Kept apart from `mod.rs` so the cases import it directly.

use model::TenantId;
use std::fmt::Debug;
use storage::{Paging, StorageError};

pub(super) fn t(name: &str) -> TenantId {
    TenantId::new(name)
}

pub(super) fn offset(offset: u64, limit: u64) -> Paging {
    Paging {
        offset,
        limit,
        after: None,
    }
}

pub(super) fn after(id: &str, limit: u64) -> Paging {
    Paging {
        offset: 0,
        limit,
        after: Some(id.to_owned()),
    }
}

#[track_caller]
pub(super) fn assert_not_found<T: Debug>(result: storage::Result<T>) {
    match result {
        Err(StorageError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[track_caller]
pub(super) fn assert_already_exists<T: Debug>(result: storage::Result<T>, kind: &str) {
    match result {
        Err(StorageError::AlreadyExists(got)) if got == kind => {}
        other => panic!("expected AlreadyExists({kind:?}), got {other:?}"),
    }
}

#[track_caller]
pub(super) fn assert_rejected<T: Debug>(result: storage::Result<T>) {
    match result {
        Err(StorageError::Rejected(_)) => {}
        other => panic!("expected Rejected, got {other:?}"),
    }
}

/// The error an `update_*` closure returns to refuse a change.
#[derive(Debug)]
pub(super) struct Refusal;

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused by the test")
    }
}

impl std::error::Error for Refusal {}

pub(super) fn refuse<T>(_: T) -> storage::Result<T> {
    Err(StorageError::Rejected(Box::new(Refusal)))
}
