//! Email records: a tenant's delivery provider, its message templates, the
//! outbox of messages waiting to be delivered, and tenant log events.

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};

/// How a tenant's email leaves Vestibule (Auth0's email provider, `smtp` only).
///
/// The SMTP password is kept sealed under the master key (`sealed_smtp_pass`)
/// and is never returned through the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailProvider {
    pub tenant_id: TenantId,
    /// `smtp`.
    pub name: String,
    pub enabled: bool,
    /// The `From` of messages whose template names none.
    pub default_from_address: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_user: Option<String>,
    pub sealed_smtp_pass: Option<String>,
    /// Talk to the server without TLS at all (a relay on the same host);
    /// off unless the administrator says so.
    pub allow_insecure_plaintext: bool,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

/// One of a tenant's email templates (Auth0's `email-templates`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailTemplate {
    pub tenant_id: TenantId,
    /// `verify_email`, `reset_email`, `blocked_account`, `welcome_email`.
    pub template: String,
    /// HTML body (Liquid-like syntax, rendered sandboxed and autoescaped).
    pub body: String,
    /// `From` address; the provider's default when empty.
    pub from: String,
    pub subject: String,
    /// `liquid`.
    pub syntax: String,
    /// Where the browser goes after the link's action (Auth0 `resultUrl`).
    pub result_url: Option<String>,
    /// How long the emailed link stays valid, seconds.
    pub url_lifetime_in_seconds: Option<i64>,
    pub enabled: bool,
    pub include_email_in_redirect: bool,
    pub updated_at: UnixMillis,
}

/// A message waiting in the outbox. `attempts` and `next_attempt_at` are
/// kept by storage; the message itself is sealed (it carries one-time links).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub tenant_id: TenantId,
    pub id: String,
    /// The template it was rendered from (for logs).
    pub template: String,
    /// The recipient's user id, when there is one (for logs).
    pub user_id: Option<String>,
    /// The message, sealed under the master key (see `engine::email::outbox`).
    pub sealed_message: String,
    pub attempts: u32,
    pub next_attempt_at: UnixMillis,
    pub created_at: UnixMillis,
}

/// A tenant log event, in Auth0's log shape and type codes (`fn`, `scp`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEvent {
    pub tenant_id: TenantId,
    pub log_id: String,
    pub date: UnixMillis,
    /// Auth0's event type code.
    #[serde(rename = "type")]
    pub event_type: String,
    pub description: String,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub connection: Option<String>,
    pub connection_id: Option<String>,
    pub ip: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub details: serde_json::Value,
}
