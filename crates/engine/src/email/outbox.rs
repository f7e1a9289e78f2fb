//! The outbox: emails are rendered and stored (sealed) on the request path,
//! and delivered by a worker in the server process, so a slow or failing
//! SMTP server never slows or fails a request and nothing is lost across
//! restarts. A failed attempt is logged as a tenant event (`fn`) and retried
//! with exponential backoff; after `email_max_attempts` the message is given up.

use super::provider;
use super::render;
use super::templates::{Effective, TemplateName};
use crate::Engine;
use crate::error::{EngineError, Result};
use crate::logs::{self, Event, codes};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use model::{Client, EmailProvider, OutboxEmail, Tenant, TenantId, User};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;

/// A claimed message is hidden from other workers this long.
const LEASE_MILLIS: i64 = 120_000;
/// One SMTP conversation may take this long.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Messages claimed per pass.
const BATCH: u32 = 20;
/// Backoff never waits longer than this, seconds.
const MAX_BACKOFF: i64 = 3_600;

/// The sealed part of an outbox row.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Message {
    from: String,
    to: String,
    subject: String,
    html: String,
    text: String,
}

fn seal_context(tenant: &TenantId, id: &str) -> String {
    format!("email_outbox:{}:{id}", tenant.as_str())
}

/// The variables a template sees.
fn context(
    tenant: &Tenant,
    user: &User,
    client: Option<&Client>,
    url: Option<&str>,
) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(json!({
        "user": {
            "user_id": user.user_id,
            "email": user.email,
            "email_verified": user.email_verified,
            "name": user.name,
            "nickname": user.nickname,
            "given_name": user.given_name,
            "family_name": user.family_name,
            "username": user.username,
            "user_metadata": user.user_metadata,
            "app_metadata": user.app_metadata,
        },
        "url": url,
        "application": client.map(|c| json!({"name": c.name, "clientID": c.client_id})),
        "tenant": tenant.id.as_str(),
        "friendly_name": tenant.id.as_str(),
    })))
}

async fn log_failure(
    engine: &Engine,
    tenant: &TenantId,
    template: &str,
    user_id: Option<&str>,
    description: String,
    details: serde_json::Value,
) {
    tracing::warn!(tenant = %tenant, template, %description, "email not delivered");
    logs::record(
        engine,
        tenant,
        Event {
            event_type: codes::FAILED_NOTIFICATION,
            description,
            user_id: user_id.map(str::to_owned),
            details,
            ..Event::default()
        },
    )
    .await;
}

/// Renders a template for `user` and puts the message in the outbox.
/// Returns false (after logging why as an `fn` event) when nothing can be
/// sent: no usable provider, no address, or a template that fails to render.
pub async fn enqueue(
    engine: &Engine,
    tenant: &Tenant,
    name: TemplateName,
    template: &Effective,
    user: &User,
    client: Option<&Client>,
    url: Option<&str>,
) -> Result<bool> {
    let fail = |description: String| {
        log_failure(
            engine,
            &tenant.id,
            name.as_str(),
            Some(&user.user_id),
            description,
            json!({"template": name.as_str()}),
        )
    };
    let Some(to) = user.email.clone() else {
        return Ok(false);
    };
    let provider = match engine.storage.get_email_provider(&tenant.id).await? {
        Some(provider) if provider.enabled => provider,
        _ => {
            fail("No email provider is configured and enabled".into()).await;
            return Ok(false);
        }
    };
    let from = if template.from.is_empty() {
        provider.default_from_address.clone()
    } else {
        template.from.clone()
    };
    if from.is_empty() {
        fail("Neither the template nor the provider names a from address".into()).await;
        return Ok(false);
    }
    let variables = context(tenant, user, client, url);
    let rendered = render::subject(&template.subject, &variables).and_then(|subject| {
        let html = render::html(&template.html, &variables)?;
        let text = match template.text {
            Some(source) => render::text(source, &variables)?,
            None => render::html_to_text(&html),
        };
        Ok((subject, html, text))
    });
    let (subject, html, text) = match rendered {
        Ok(parts) => parts,
        Err(error) => {
            fail(format!(
                "The {} template failed to render: {error}",
                name.as_str()
            ))
            .await;
            return Ok(false);
        }
    };
    let id = uuid_like()?;
    let message = Message {
        from,
        to,
        subject,
        html,
        text,
    };
    let plaintext = serde_json::to_vec(&message)
        .map_err(|e| EngineError::Storage(storage::StorageError::backend("encode an email", e)))?;
    let now = engine.now();
    engine
        .storage
        .enqueue_email(&OutboxEmail {
            tenant_id: tenant.id.clone(),
            sealed_message: engine
                .master_key
                .seal(&seal_context(&tenant.id, &id), &plaintext)?,
            id,
            template: name.as_str().to_owned(),
            user_id: Some(user.user_id.clone()),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        })
        .await?;
    Ok(true)
}

fn uuid_like() -> Result<String> {
    Ok(crypto::secrets::random_bytes(16)?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Why one delivery attempt failed (logged, and shown in the `fn` event).
#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("no email provider is configured and enabled")]
    NoProvider,
    #[error("the message could not be built: {0}")]
    Build(String),
    /// What went wrong, in words that carry nothing the server said: its
    /// banner and replies would turn delivery errors into a port scanner.
    #[error("SMTP delivery failed: {}", smtp_failure(.0))]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The outbound guard refused the SMTP host; the message names the rule.
    #[error("SMTP delivery refused: {0}")]
    Refused(connectors::outbound::OutboundError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// A delivery failure without the server's words: the reply code at most.
fn smtp_failure(error: &lettre::transport::smtp::Error) -> String {
    if error.is_timeout() {
        "the SMTP server did not answer in time".into()
    } else if error.is_tls() {
        "the TLS connection to the SMTP server failed".into()
    } else if let Some(code) = error.status() {
        format!("the SMTP server answered {code}")
    } else if error.is_response() {
        "the SMTP server answered something that is not SMTP".into()
    } else {
        "could not talk to the SMTP server".into()
    }
}

/// Port 465 speaks TLS from the first byte; any other port must upgrade
/// with STARTTLS, unless the administrator allowed plain text (a relay on
/// the same host). Certificates are always verified, against the host
/// name; the connection goes to the address the outbound guard checked,
/// so DNS cannot move it inside between the check and the connection.
async fn transport(
    engine: &Engine,
    provider: &EmailProvider,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let host = provider.smtp_host.as_str();
    let address = engine
        .settings
        .outbound
        .resolve(host, provider.smtp_port)
        .await
        .map_err(SendError::Refused)?
        .first()
        .copied()
        .ok_or_else(|| SendError::Build("the SMTP host has no address".into()))?;
    let tls = if provider.allow_insecure_plaintext {
        Tls::None
    } else {
        let parameters = TlsParameters::new(host.to_owned())?;
        if provider.smtp_port == 465 {
            Tls::Wrapper(parameters)
        } else {
            Tls::Required(parameters)
        }
    };
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
            .port(address.port())
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
    if let (Some(user), Some(pass)) = (
        &provider.smtp_user,
        provider::smtp_password(engine, provider)?,
    ) {
        builder = builder.credentials(Credentials::new(user.clone(), pass));
    }
    Ok(builder.build())
}

async fn send(engine: &Engine, email: &OutboxEmail) -> Result<(), SendError> {
    let provider = match engine
        .storage
        .get_email_provider(&email.tenant_id)
        .await
        .map_err(EngineError::from)?
    {
        Some(provider) if provider.enabled => provider,
        _ => return Err(SendError::NoProvider),
    };
    let plaintext = engine
        .master_key
        .open(
            &seal_context(&email.tenant_id, &email.id),
            &email.sealed_message,
        )
        .map_err(EngineError::from)?;
    let message: Message =
        serde_json::from_slice(&plaintext).map_err(|e| SendError::Build(e.to_string()))?;
    let mailbox = |address: &str| {
        if provider::has_control(address) {
            return Err(SendError::Build("control character in an address".into()));
        }
        address
            .parse::<Mailbox>()
            .map_err(|e| SendError::Build(format!("{address:?}: {e}")))
    };
    let built = lettre::Message::builder()
        .from(mailbox(&message.from)?)
        .to(mailbox(&message.to)?)
        .subject(message.subject.replace(|c: char| c.is_control(), " "))
        .multipart(MultiPart::alternative_plain_html(
            message.text,
            message.html,
        ))
        .map_err(|e| SendError::Build(e.to_string()))?;
    transport(engine, &provider).await?.send(built).await?;
    Ok(())
}

/// One pass: claims due messages and tries each once. Returns how many were delivered.
pub async fn deliver_due(engine: &Engine) -> Result<usize> {
    let now = engine.now();
    let claimed = engine
        .storage
        .claim_due_emails(now, now + LEASE_MILLIS, BATCH)
        .await?;
    let mut delivered = 0;
    for claim in claimed {
        let email = &claim.email;
        match send(engine, email).await {
            Ok(()) => {
                engine
                    .storage
                    .complete_email(&email.tenant_id, &email.id, claim.lease)
                    .await?;
                delivered += 1;
            }
            Err(error) => {
                let attempts = email.attempts;
                let give_up = attempts >= engine.settings.email_max_attempts;
                let exponent = attempts.saturating_sub(1).min(20);
                let delay = engine
                    .settings
                    .email_retry_base
                    .saturating_mul(1_i64 << exponent)
                    .min(MAX_BACKOFF);
                let retry_at = (!give_up).then(|| engine.now() + delay * 1_000);
                engine
                    .storage
                    .retry_email(&email.tenant_id, &email.id, claim.lease, retry_at)
                    .await?;
                let description = if give_up {
                    format!(
                        "Giving up sending the {} email after {attempts} attempts: {error}",
                        email.template
                    )
                } else {
                    format!(
                        "Sending the {} email failed (attempt {attempts}, retrying in {delay} s): {error}",
                        email.template
                    )
                };
                log_failure(
                    engine,
                    &email.tenant_id,
                    &email.template,
                    email.user_id.as_deref(),
                    description,
                    json!({"template": email.template, "attempt": attempts, "will_retry": !give_up, "error": error.to_string()}),
                )
                .await;
            }
        }
    }
    Ok(delivered)
}

/// Runs the delivery worker until the process ends: a pass every second.
/// Every node may run one; claims keep them from sending a message twice.
pub async fn run_worker(engine: Engine) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(error) = deliver_due(&engine).await {
            tracing::warn!(error = %error, "email delivery pass failed");
        }
    }
}
