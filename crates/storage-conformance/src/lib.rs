//! The behaviour every [`storage::Storage`] backend must show, as reusable
//! async test cases (after Dex's `storage/conformance`).
//!
//! Each case in [`cases`] is a `pub async fn(Arc<dyn Storage>)` that panics
//! on a violation. [`suite!`] turns all of them into `#[tokio::test]`s for one
//! backend:
//!
//! ```text
//! storage_conformance::suite!(|| async { Arc::new(open().await) as Arc<dyn Storage> });
//! ```
//!
//! The factory may also return a [`Harness`] (storage plus teardown) or an
//! `Option` of either, where `None` skips the case (e.g. no database server
//! outside CI). The calling crate needs `tokio` with the `macros` and
//! `rt-multi-thread` features among its dev-dependencies.

// This crate is test code that other crates' tests call: failing loudly is
// its whole purpose, so the workspace's no-panic lints do not apply.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod cases;
pub mod fixtures;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use storage::Storage;

type Teardown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A storage under test and what to do once a case is finished with it.
pub struct Harness {
    storage: Arc<dyn Storage>,
    teardown: Option<Teardown>,
}

impl Harness {
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        Self {
            storage,
            teardown: None,
        }
    }

    /// Runs `teardown` after the case, pass or fail, once the case has
    /// dropped its handle on the storage (e.g. to drop a database schema or
    /// remove a temporary directory).
    pub fn with_teardown(mut self, teardown: impl Future<Output = ()> + Send + 'static) -> Self {
        self.teardown = Some(Box::pin(teardown));
        self
    }
}

/// What a [`suite!`] factory may return; `None` means "skip this case".
pub trait IntoHarness {
    fn into_harness(self) -> Option<Harness>;
}

impl IntoHarness for Harness {
    fn into_harness(self) -> Option<Harness> {
        Some(self)
    }
}

impl IntoHarness for Arc<dyn Storage> {
    fn into_harness(self) -> Option<Harness> {
        Some(Harness::new(self))
    }
}

impl<T: IntoHarness> IntoHarness for Option<T> {
    fn into_harness(self) -> Option<Harness> {
        self.and_then(IntoHarness::into_harness)
    }
}

/// Runs one case against a storage made by `factory`, then the teardown,
/// then re-raises the case's panic if it failed.
pub async fn run<F, Fut, H, C, CaseFut>(factory: F, case: C)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = H>,
    H: IntoHarness,
    C: FnOnce(Arc<dyn Storage>) -> CaseFut,
    CaseFut: Future<Output = ()> + Send + 'static,
{
    let Some(Harness { storage, teardown }) = factory().await.into_harness() else {
        return;
    };
    let outcome = tokio::spawn(case(storage)).await;
    if let Some(teardown) = teardown {
        teardown.await;
    }
    if let Err(failure) = outcome {
        match failure.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(failure) => panic!("conformance case did not finish: {failure}"),
        }
    }
}

/// Expands to one `#[tokio::test]` per conformance case, each calling
/// `factory` (an async closure or function returning `Arc<dyn Storage>`,
/// a [`Harness`], or an `Option` of those) for a fresh storage.
#[macro_export]
macro_rules! suite {
    ($factory:expr) => {
        $crate::suite!(@cases $factory;
            tenant_crud,
            tenant_host_is_unique,
            tenant_prompt_settings_persist,
            tenant_hosts_follow_updates,
            delete_tenant_removes_everything,
            client_crud,
            client_id_is_unique_per_tenant,
            client_list_pages,
            client_list_filters,
            delete_client_removes_grants_and_links,
            connection_crud,
            connection_name_is_unique_per_tenant,
            connection_list_filters_and_pages,
            enabled_clients_set_and_unset,
            enabled_clients_require_both_ends,
            delete_connection_removes_links,
            resource_server_crud,
            resource_server_identifier_is_unique,
            resource_server_list_pages,
            client_grant_crud,
            client_grant_is_unique_per_client_and_audience,
            client_grant_list_filters,
            missing_records_are_not_found,
            tenant_isolation,
            rejected_update_leaves_record_unchanged,
            identity_change_is_rejected,
            concurrent_updates_are_all_applied,
            signing_key_crud_and_revoke,
            signing_key_states_are_unique,
            signing_key_rotation,
            concurrent_rotations_serialize,
            one_time_is_consumed_once,
            one_time_consumption_race,
            expired_one_time_is_not_consumable,
            one_time_with_a_subject_replaces_older_ones,
            garbage_collect_removes_expired,
            garbage_collect_sweeps_sessions_tokens_transactions,
            ping_and_backend_name,
            user_crud,
            user_logins_are_unique_per_connection,
            user_list_filters_and_pages,
            delete_user_removes_sessions_and_tokens,
            session_crud_and_expiry,
            delete_user_sessions_counts,
            transaction_crud_and_expiry,
            transaction_consumption_race,
            token_crud,
            token_is_read_with_its_user,
            refresh_token_is_used_once,
            unusable_refresh_tokens_are_invalid,
            token_revocation_by_family_and_user,
            refresh_token_use_race,
            refresh_token_of_another_client_is_left_unused,
            create_tokens_is_all_or_nothing,
            rotation_stores_successors_only_when_fresh,
            rotation_race_stores_one_set,
            abandoned_writes_leave_no_transaction_open,
            family_revocation_racing_a_rotation_leaves_nothing_live,
            auth_records_tenant_isolation,
            user_search_conditions,
            user_search_sorts_and_pages,
            user_search_refuses_misfit_and_huge_conditions,
            user_search_by_connection_id_with_a_capped_total,
            login_counters_count_and_reset,
            login_counter_increments_race,
            job_crud_and_payloads,
            jobs_list_by_status_and_expire,
            job_claim_race,
            create_users_reports_collisions,
            email_provider_and_templates_crud,
            outbox_claims_retries_and_completes,
            outbox_claim_race,
            log_events_list_newest_first_and_stay_in_their_tenant,
            log_events_search_by_field_date_and_checkpoint,
            one_time_can_be_peeked_without_consuming,
            redirect_users_may_share_an_email,
            linking_and_unlinking_users,
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $crate::run($factory, $crate::cases::$case).await;
            }
        )*
    };
}
