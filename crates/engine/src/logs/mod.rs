//! Tenant log events in Auth0's shape and type codes, for administrators
//! (`GET /api/v2/logs`). Recording an event never fails the flow that
//! reports it: a storage failure is logged and dropped.

use crate::Engine;
use crate::error::Result;
use model::{LogEvent, TenantId};
use serde_json::Value;
use storage::{LogSearch, Page, Paging};

mod query;
pub use query::parse_query;

/// Auth0's log event type codes that Vestibule records.
pub mod codes {
    /// Failed Sending Notification (an email could not be delivered).
    pub const FAILED_NOTIFICATION: &str = "fn";
    /// Success Change Password Request (a reset email was asked for).
    pub const CHANGE_PASSWORD_REQUEST: &str = "scpr";
    /// Success Change Password.
    pub const CHANGE_PASSWORD: &str = "scp";
    /// Failed Change Password (e.g. the new one breaks the policy).
    pub const FAILED_CHANGE_PASSWORD: &str = "fcp";
    /// Success Verification Email (the link was followed).
    pub const VERIFICATION: &str = "sv";
    /// Success Verification Email Request (the email was queued).
    pub const VERIFICATION_REQUEST: &str = "svr";
    /// Blocked Account: too many failed logins for one account from one IP.
    pub const BLOCKED_ACCOUNT: &str = "limit_wc";
    /// User login block released.
    pub const BLOCK_RELEASED: &str = "ublkdu";
    /// Success Login.
    pub const LOGIN: &str = "s";
    /// Failed Login (blocked, throttled, or the user store unavailable).
    pub const FAILED_LOGIN: &str = "f";
    /// Failed Login (Incorrect Password).
    pub const FAILED_PASSWORD: &str = "fp";
    /// Failed Login (Invalid Email/Username).
    pub const FAILED_USERNAME: &str = "fu";
    /// Success Signup.
    pub const SIGNUP: &str = "ss";
    /// Failed Signup.
    pub const FAILED_SIGNUP: &str = "fs";
    /// Success Exchange (Authorization Code for Access Token).
    pub const EXCHANGE_CODE: &str = "seacft";
    /// Failed Exchange (Authorization Code for Access Token).
    pub const FAILED_EXCHANGE_CODE: &str = "feacft";
    /// Success Exchange (Refresh Token for Access Token).
    pub const EXCHANGE_REFRESH: &str = "sertft";
    /// Failed Exchange (Refresh Token for Access Token).
    pub const FAILED_EXCHANGE_REFRESH: &str = "ferrt";
    /// Success Exchange (Client Credentials for Access Token).
    pub const EXCHANGE_CLIENT_CREDENTIALS: &str = "seccft";
    /// Failed Exchange (Client Credentials for Access Token).
    pub const FAILED_EXCHANGE_CLIENT_CREDENTIALS: &str = "feccft";
    /// Success Exchange (Password for Access Token).
    pub const EXCHANGE_PASSWORD: &str = "sepft";
    /// Failed Exchange (Password for Access Token).
    pub const FAILED_EXCHANGE_PASSWORD: &str = "fepft";
    /// Success Logout.
    pub const LOGOUT: &str = "slo";
}

/// What to say about an event; everything but type and description is optional.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub event_type: &'static str,
    pub description: String,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub connection: Option<String>,
    pub connection_id: Option<String>,
    pub ip: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub details: Value,
}

/// Records an event; failures are logged, never returned.
pub async fn record(engine: &Engine, tenant: &TenantId, event: Event) {
    let log_id = match crypto::secrets::random_bytes(12) {
        Ok(bytes) => format!(
            "{:013}{}",
            engine.now(),
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        Err(error) => {
            tracing::error!(%error, "no randomness for a log id");
            return;
        }
    };
    let record = LogEvent {
        tenant_id: tenant.clone(),
        log_id,
        date: engine.now(),
        event_type: event.event_type.to_owned(),
        description: event.description,
        client_id: event.client_id,
        client_name: event.client_name,
        connection: event.connection,
        connection_id: event.connection_id,
        ip: event.ip,
        user_id: event.user_id,
        user_name: event.user_name,
        details: event.details,
    };
    if let Err(error) = engine.storage.append_log_event(&record).await {
        tracing::error!(%error, event_type = %record.event_type, "could not record a log event");
    }
}

/// How `GET /api/v2/logs` selects events.
#[derive(Debug, Clone)]
pub enum LogQuery {
    /// Auth0's search: `q` (Lucene syntax, see [`parse_query`]), newest
    /// first unless `ascending`, offset paging.
    Search {
        q: Option<String>,
        ascending: bool,
        paging: Paging,
    },
    /// Auth0's checkpoint: at most `take` events whose `log_id` sorts after
    /// `from` (from the oldest without one), in `log_id` order. As Auth0
    /// documents, every other parameter is ignored then.
    Checkpoint { from: Option<String>, take: u64 },
}

/// The tenant's events `query` selects; a malformed `q` is
/// [`crate::EngineError::InvalidQuery`].
pub async fn list(engine: &Engine, tenant: &TenantId, query: LogQuery) -> Result<Page<LogEvent>> {
    let (search, paging) = match query {
        LogQuery::Search {
            q,
            ascending,
            paging,
        } => {
            let condition = match q.as_deref() {
                Some(q) => parse_query(q).map_err(crate::EngineError::InvalidQuery)?,
                None => None,
            };
            (
                LogSearch {
                    condition,
                    ascending,
                },
                paging,
            )
        }
        LogQuery::Checkpoint { from, take } => (
            LogSearch::default(),
            Paging {
                offset: 0,
                limit: take,
                // An empty checkpoint sorts before every id: the oldest.
                after: Some(from.unwrap_or_default()),
            },
        ),
    };
    Ok(engine
        .storage
        .list_log_events(tenant, &search, &paging)
        .await?)
}

pub async fn get(engine: &Engine, tenant: &TenantId, log_id: &str) -> Result<LogEvent> {
    engine
        .storage
        .get_log_event(tenant, log_id)
        .await?
        .ok_or(crate::EngineError::NotFound("log event"))
}
