//! The tenant's email provider (`/api/v2/emails/provider`): only `smtp`.
//! The SMTP password is sealed under the master key with a context naming
//! the tenant, and never leaves the engine except to the SMTP server.

use crate::Engine;
use crate::error::{EngineError, Result};
use model::{EmailProvider, TenantId};

/// Fields of a create or patch; `None` keeps (patch) or defaults (create).
#[derive(Debug, Clone, Default)]
pub struct ProviderInput {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub default_from_address: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_user: Option<String>,
    pub smtp_pass: Option<String>,
    pub allow_insecure_plaintext: Option<bool>,
}

fn seal_context(tenant: &TenantId) -> String {
    format!("email_provider:{}:smtp_pass", tenant.as_str())
}

/// True when the text holds a control character (CR, LF, NUL, …): such a
/// value could split an SMTP command or a mail header.
pub(crate) fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// A host name or IP literal, nothing else.
fn check_host(host: &str) -> Result<()> {
    let valid = !host.is_empty()
        && host.len() <= 253
        && (host.parse::<std::net::IpAddr>().is_ok()
            || host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            }));
    if valid {
        Ok(())
    } else {
        Err(EngineError::invalid(
            "credentials.smtp_host",
            "smtp_host must be a host name or an IP address",
        ))
    }
}

/// An address usable as a `From`: one mailbox, no control characters.
pub(crate) fn check_address(field: &str, address: &str) -> Result<()> {
    if address.len() > 320
        || has_control(address)
        || address.parse::<lettre::message::Mailbox>().is_err()
    {
        return Err(EngineError::invalid(
            field,
            format!("{field} must be one email address"),
        ));
    }
    Ok(())
}

fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() || value.len() > max || has_control(value) {
        return Err(EngineError::invalid(
            field,
            format!("{field} must be 1 to {max} printable characters"),
        ));
    }
    Ok(())
}

fn apply(
    engine: &Engine,
    mut provider: EmailProvider,
    input: ProviderInput,
) -> Result<EmailProvider> {
    if let Some(name) = input.name {
        if name != "smtp" {
            return Err(EngineError::invalid(
                "name",
                format!("provider {name:?} is not supported; use \"smtp\""),
            ));
        }
        provider.name = name;
    }
    if let Some(enabled) = input.enabled {
        provider.enabled = enabled;
    }
    if let Some(from) = input.default_from_address {
        if !from.is_empty() {
            check_address("default_from_address", &from)?;
        }
        provider.default_from_address = from;
    }
    if let Some(host) = input.smtp_host {
        check_host(&host)?;
        provider.smtp_host = host;
    }
    if let Some(port) = input.smtp_port {
        provider.smtp_port = u16::try_from(port)
            .ok()
            .filter(|port| *port != 0)
            .ok_or_else(|| {
                EngineError::invalid(
                    "credentials.smtp_port",
                    "smtp_port must be between 1 and 65535",
                )
            })?;
    }
    if let Some(user) = input.smtp_user {
        check_text("credentials.smtp_user", &user, 256)?;
        provider.smtp_user = Some(user);
    }
    if let Some(pass) = input.smtp_pass {
        check_text("credentials.smtp_pass", &pass, 1024)?;
        provider.sealed_smtp_pass = Some(
            engine
                .master_key
                .seal_str(&seal_context(&provider.tenant_id), &pass)?,
        );
    }
    if let Some(plain) = input.allow_insecure_plaintext {
        provider.allow_insecure_plaintext = plain;
    }
    if provider.smtp_host.is_empty() {
        return Err(EngineError::invalid(
            "credentials.smtp_host",
            "Missing required property: smtp_host",
        ));
    }
    if provider.smtp_user.is_some() != provider.sealed_smtp_pass.is_some() {
        return Err(EngineError::invalid(
            "credentials",
            "smtp_user and smtp_pass go together",
        ));
    }
    provider.updated_at = engine.now();
    Ok(provider)
}

/// Refuses an SMTP host the outbound guard would refuse at delivery (a
/// private address the operator has not allowed, the server's own
/// database), so the administrator learns it now, with the rule named.
/// Delivery checks again: DNS may change.
async fn check_destination(engine: &Engine, provider: &EmailProvider) -> Result<()> {
    engine
        .settings
        .outbound
        .check_configured(&provider.smtp_host, provider.smtp_port)
        .await
        .map_err(|refused| EngineError::invalid("credentials.smtp_host", refused.to_string()))
}

/// `POST /api/v2/emails/provider`.
pub async fn create(
    engine: &Engine,
    tenant: &TenantId,
    input: ProviderInput,
) -> Result<EmailProvider> {
    if input.name.is_none() {
        return Err(EngineError::invalid(
            "name",
            "Missing required property: name",
        ));
    }
    let now = engine.now();
    let blank = EmailProvider {
        tenant_id: tenant.clone(),
        name: "smtp".into(),
        enabled: true,
        default_from_address: String::new(),
        smtp_host: String::new(),
        smtp_port: 587,
        smtp_user: None,
        sealed_smtp_pass: None,
        allow_insecure_plaintext: false,
        created_at: now,
        updated_at: now,
    };
    let provider = apply(engine, blank, input)?;
    check_destination(engine, &provider).await?;
    match engine.storage.put_email_provider(&provider, true).await {
        Err(storage::StorageError::AlreadyExists(_)) => Err(EngineError::AlreadyExists(
            "An email provider is already configured; use PATCH to change it".into(),
        )),
        other => other.map_err(EngineError::from),
    }?;
    Ok(provider)
}

/// `PATCH /api/v2/emails/provider`.
pub async fn update(
    engine: &Engine,
    tenant: &TenantId,
    input: ProviderInput,
) -> Result<EmailProvider> {
    let current = get(engine, tenant).await?;
    let moved = input.smtp_host.is_some() || input.smtp_port.is_some();
    let provider = apply(engine, current, input)?;
    if moved {
        check_destination(engine, &provider).await?;
    }
    engine
        .storage
        .put_email_provider(&provider, false)
        .await
        .map_err(crate::error::not_found_as("email provider"))?;
    Ok(provider)
}

pub async fn get(engine: &Engine, tenant: &TenantId) -> Result<EmailProvider> {
    engine
        .storage
        .get_email_provider(tenant)
        .await?
        .ok_or(EngineError::NotFound("email provider"))
}

pub async fn delete(engine: &Engine, tenant: &TenantId) -> Result<()> {
    engine
        .storage
        .delete_email_provider(tenant)
        .await
        .map_err(crate::error::not_found_as("email provider"))
}

/// The SMTP password in the clear, for the delivery worker only.
pub(crate) fn smtp_password(engine: &Engine, provider: &EmailProvider) -> Result<Option<String>> {
    provider
        .sealed_smtp_pass
        .as_deref()
        .map(|sealed| {
            engine
                .master_key
                .open_str(&seal_context(&provider.tenant_id), sealed)
                .map_err(EngineError::from)
        })
        .transpose()
}
