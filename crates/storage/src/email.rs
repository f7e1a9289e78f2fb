//! Email provider, templates, the outbox and tenant log events.

use crate::{LogSearch, Page, Paging, Result};
use async_trait::async_trait;
use model::{EmailProvider, EmailTemplate, LogEvent, OutboxEmail, TenantId, UnixMillis};

/// One outgoing message claimed by a delivery worker.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedEmail {
    pub email: OutboxEmail,
    /// The lease the claim set; pass it back when finishing, so a worker
    /// whose lease ran out (and whose message another worker took) changes nothing.
    pub lease: UnixMillis,
}

/// Email configuration and delivery state of a tenant.
#[async_trait]
pub trait EmailStore: Send + Sync {
    async fn get_email_provider(&self, tenant: &TenantId) -> Result<Option<EmailProvider>>;
    /// Creates (`create = true`: `AlreadyExists` if there is one) or replaces
    /// (`create = false`: `NotFound` if there is none) the tenant's provider.
    async fn put_email_provider(&self, provider: &EmailProvider, create: bool) -> Result<()>;
    async fn delete_email_provider(&self, tenant: &TenantId) -> Result<()>;

    async fn get_email_template(
        &self,
        tenant: &TenantId,
        template: &str,
    ) -> Result<Option<EmailTemplate>>;
    /// Creates (`create = true`: `AlreadyExists` if it exists) or replaces
    /// (`create = false`: `NotFound` if it does not) a template.
    async fn put_email_template(&self, template: &EmailTemplate, create: bool) -> Result<()>;

    /// Adds a message to the outbox.
    async fn enqueue_email(&self, email: &OutboxEmail) -> Result<()>;
    /// Claims up to `limit` messages of any tenant that are due at `now`:
    /// each claimed message gets one more attempt and is hidden from other
    /// claims until `lease_until`. Of concurrent claimers each message goes
    /// to one. (Like garbage collection, delivery spans tenants.)
    async fn claim_due_emails(
        &self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> Result<Vec<ClaimedEmail>>;
    /// A delivered message leaves the outbox.
    async fn complete_email(&self, tenant: &TenantId, id: &str, lease: UnixMillis) -> Result<()>;
    /// A failed attempt: try again at `retry_at`, or give up (`None`: the
    /// message leaves the outbox).
    async fn retry_email(
        &self,
        tenant: &TenantId,
        id: &str,
        lease: UnixMillis,
        retry_at: Option<UnixMillis>,
    ) -> Result<()>;

    async fn append_log_event(&self, event: &LogEvent) -> Result<()>;
    /// The log events `search` selects, in its order (see [`LogSearch`]).
    async fn list_log_events(
        &self,
        tenant: &TenantId,
        search: &LogSearch,
        paging: &Paging,
    ) -> Result<Page<LogEvent>>;
    async fn get_log_event(&self, tenant: &TenantId, log_id: &str) -> Result<Option<LogEvent>>;
}
