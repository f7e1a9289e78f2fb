//! Email provider and templates (one JSON row each), the delivery outbox
//! (claimed with a compare-and-set on `next_attempt_at`) and tenant log events.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode, encode};
use crate::pool::args;
use async_trait::async_trait;
use model::{EmailProvider, EmailTemplate, LogEvent, OutboxEmail, TenantId, UnixMillis};
use storage::{ClaimedEmail, EmailStore, LogSearch, Page, Paging, Result, StorageError};

#[async_trait]
impl EmailStore for SqlStorage {
    async fn get_email_provider(&self, tenant: &TenantId) -> Result<Option<EmailProvider>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "SELECT data FROM email_providers WHERE tenant_id = $1",
                args![tenant],
            )
            .await
            .ctx("get email provider")?;
        row.map(|(data,)| decode(&data)).transpose()
    }

    async fn put_email_provider(&self, provider: &EmailProvider, create: bool) -> Result<()> {
        let data = encode(provider)?;
        if create {
            self.pool
                .execute(
                    "INSERT INTO email_providers (tenant_id, data) VALUES ($1, $2)",
                    args![&provider.tenant_id, data],
                )
                .await
                .unique("create email provider", "email provider")?;
            return Ok(());
        }
        let changed = self
            .pool
            .execute(
                "UPDATE email_providers SET data = $2 WHERE tenant_id = $1",
                args![&provider.tenant_id, data],
            )
            .await
            .ctx("update email provider")?;
        if changed == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    async fn delete_email_provider(&self, tenant: &TenantId) -> Result<()> {
        let deleted = self
            .pool
            .execute(
                "DELETE FROM email_providers WHERE tenant_id = $1",
                args![tenant],
            )
            .await
            .ctx("delete email provider")?;
        if deleted == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    async fn get_email_template(
        &self,
        tenant: &TenantId,
        template: &str,
    ) -> Result<Option<EmailTemplate>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "SELECT data FROM email_templates WHERE tenant_id = $1 AND template = $2",
                args![tenant, template],
            )
            .await
            .ctx("get email template")?;
        row.map(|(data,)| decode(&data)).transpose()
    }

    async fn put_email_template(&self, template: &EmailTemplate, create: bool) -> Result<()> {
        let data = encode(template)?;
        if create {
            self.pool
                .execute(
                    "INSERT INTO email_templates (tenant_id, template, data) VALUES ($1, $2, $3)",
                    args![&template.tenant_id, template.template.as_str(), data],
                )
                .await
                .unique("create email template", "email template")?;
            return Ok(());
        }
        let changed = self
            .pool
            .execute(
                "UPDATE email_templates SET data = $3 WHERE tenant_id = $1 AND template = $2",
                args![&template.tenant_id, template.template.as_str(), data],
            )
            .await
            .ctx("update email template")?;
        if changed == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    async fn enqueue_email(&self, email: &OutboxEmail) -> Result<()> {
        self.pool
            .execute(
                "INSERT INTO email_outbox \
                 (tenant_id, id, attempts, next_attempt_at, created_at, data) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                args![
                    &email.tenant_id,
                    email.id.as_str(),
                    i64::from(email.attempts),
                    email.next_attempt_at,
                    email.created_at,
                    encode(email)?
                ],
            )
            .await
            .unique("enqueue email", "outbox email")?;
        Ok(())
    }

    async fn claim_due_emails(
        &self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> Result<Vec<ClaimedEmail>> {
        let due: Vec<(String, String, i64)> = self
            .pool
            .fetch_all(
                "SELECT tenant_id, id, next_attempt_at FROM email_outbox \
                 WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
                args![now, i64::from(limit)],
            )
            .await
            .ctx("list due emails")?;
        let mut claimed = Vec::with_capacity(due.len());
        for (tenant_id, id, seen) in due {
            let row: Option<(String, i64)> = self
                .pool
                .fetch_optional(
                    "UPDATE email_outbox SET next_attempt_at = $4, attempts = attempts + 1 \
                     WHERE tenant_id = $1 AND id = $2 AND next_attempt_at = $3 \
                     RETURNING data, attempts",
                    args![tenant_id.as_str(), id.as_str(), seen, lease_until],
                )
                .await
                .ctx("claim an email")?;
            // Another worker took it between the two statements.
            let Some((data, attempts)) = row else {
                continue;
            };
            let mut email: OutboxEmail = decode(&data)?;
            email.attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
            email.next_attempt_at = lease_until;
            claimed.push(ClaimedEmail {
                email,
                lease: lease_until,
            });
        }
        Ok(claimed)
    }

    async fn complete_email(&self, tenant: &TenantId, id: &str, lease: UnixMillis) -> Result<()> {
        self.pool
            .execute(
                "DELETE FROM email_outbox \
                 WHERE tenant_id = $1 AND id = $2 AND next_attempt_at = $3",
                args![tenant, id, lease],
            )
            .await
            .ctx("complete an email")?;
        Ok(())
    }

    async fn retry_email(
        &self,
        tenant: &TenantId,
        id: &str,
        lease: UnixMillis,
        retry_at: Option<UnixMillis>,
    ) -> Result<()> {
        match retry_at {
            Some(at) => self
                .pool
                .execute(
                    "UPDATE email_outbox SET next_attempt_at = $4 \
                     WHERE tenant_id = $1 AND id = $2 AND next_attempt_at = $3",
                    args![tenant, id, lease, at],
                )
                .await
                .ctx("reschedule an email")?,
            None => self
                .pool
                .execute(
                    "DELETE FROM email_outbox \
                     WHERE tenant_id = $1 AND id = $2 AND next_attempt_at = $3",
                    args![tenant, id, lease],
                )
                .await
                .ctx("give up an email")?,
        };
        Ok(())
    }

    async fn append_log_event(&self, event: &LogEvent) -> Result<()> {
        self.pool
            .execute(
                "INSERT INTO log_events (tenant_id, log_id, date, data, event_type, user_id, \
                 client_id, connection, ip, user_name) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                args![
                    &event.tenant_id,
                    event.log_id.as_str(),
                    event.date,
                    encode(event)?,
                    event.event_type.as_str(),
                    event.user_id.as_deref(),
                    event.client_id.as_deref(),
                    event.connection.as_deref(),
                    event.ip.as_deref(),
                    event.user_name.as_deref()
                ],
            )
            .await
            .unique("append a log event", "log event")?;
        Ok(())
    }

    async fn list_log_events(
        &self,
        tenant: &TenantId,
        search: &LogSearch,
        paging: &Paging,
    ) -> Result<Page<LogEvent>> {
        self.list_log_events_sql(tenant, search, paging).await
    }

    async fn get_log_event(&self, tenant: &TenantId, log_id: &str) -> Result<Option<LogEvent>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "SELECT data FROM log_events WHERE tenant_id = $1 AND log_id = $2",
                args![tenant, log_id],
            )
            .await
            .ctx("get a log event")?;
        row.map(|(data,)| decode(&data)).transpose()
    }
}
