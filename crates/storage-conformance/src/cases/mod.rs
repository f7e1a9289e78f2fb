//! The conformance cases, one `pub async fn` each, grouped by record kind.
//! Every case starts from an empty storage and names its own tenants.

mod apis;
mod clients;
mod concurrency;
mod connections;
mod email;
mod isolation;
mod jobs;
mod keys;
mod log_search;
mod login_counters;
mod one_time;
mod sessions;
mod tenants;
mod tokens;
mod user_links;
mod user_search;
mod users;

pub use apis::*;
pub use clients::*;
pub use concurrency::*;
pub use connections::*;
pub use email::*;
pub use isolation::*;
pub use jobs::*;
pub use keys::*;
pub use log_search::*;
pub use login_counters::*;
pub use one_time::*;
pub use sessions::*;
pub use tenants::*;
pub use tokens::*;
pub use user_links::*;
pub use user_search::*;
pub use users::*;

use model::TenantId;
use std::fmt::Debug;
use storage::{Paging, StorageError};

fn t(name: &str) -> TenantId {
    TenantId::new(name)
}

fn offset(offset: u64, limit: u64) -> Paging {
    Paging {
        offset,
        limit,
        after: None,
    }
}

fn after(id: &str, limit: u64) -> Paging {
    Paging {
        offset: 0,
        limit,
        after: Some(id.to_owned()),
    }
}

#[track_caller]
fn assert_not_found<T: Debug>(result: storage::Result<T>) {
    match result {
        Err(StorageError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[track_caller]
fn assert_already_exists<T: Debug>(result: storage::Result<T>, kind: &str) {
    match result {
        Err(StorageError::AlreadyExists(got)) if got == kind => {}
        other => panic!("expected AlreadyExists({kind:?}), got {other:?}"),
    }
}

#[track_caller]
fn assert_rejected<T: Debug>(result: storage::Result<T>) {
    match result {
        Err(StorageError::Rejected(_)) => {}
        other => panic!("expected Rejected, got {other:?}"),
    }
}

/// The error an `update_*` closure returns to refuse a change.
#[derive(Debug)]
struct Refusal;

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused by the test")
    }
}

impl std::error::Error for Refusal {}

fn refuse<T>(_: T) -> storage::Result<T> {
    Err(StorageError::Rejected(Box::new(Refusal)))
}
