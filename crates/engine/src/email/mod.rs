//! Email: the tenant's provider and templates, the outbox and its delivery
//! worker, and the flows that send links — verify an address, reset a
//! password, lift a brute-force block — with the pages' side of each link.
//!
//! Nothing here sends on the request path: a flow renders the message and
//! stores it in the outbox ([`outbox::enqueue`]); [`outbox::run_worker`]
//! delivers it. Every link is a single-use, expiring ticket ([`tickets`]).

pub(crate) mod blocked_account;
mod lookups;
pub mod outbox;
pub mod provider;
pub mod render;
pub mod templates;
pub mod tickets;

use crate::error::{EngineError, Result};
use crate::login::password_policy::{self, PasswordPolicy, PasswordRejection, PersonalInfo};
use crate::logs::{self, Event, codes};
use crate::{Engine, login::database_users, login::login_protection};
use lookups::{client_of, lifetime, tenant_of, user_of};
use model::{Client, Connection, TenantId, User};
use templates::TemplateName;
use tickets::{TicketKind, TicketPayload};

/// Queues the `verify_email` message for a user (signup, `POST
/// /api/v2/jobs/verification-email`). Returns whether a message was queued:
/// false when the address is already verified, the user has none, the
/// template is disabled, or no provider is set up (the last is logged as an
/// `fn` event). `client_id` names the application in the message.
pub async fn send_verification_email(
    engine: &Engine,
    tenant: &TenantId,
    user_id: &str,
    client_id: Option<&str>,
) -> Result<bool> {
    let user = user_of(engine, tenant, user_id).await?;
    if user.email_verified || user.email.is_none() {
        return Ok(false);
    }
    let tenant = tenant_of(engine, tenant).await?;
    let template = templates::effective(engine, &tenant.id, TemplateName::VerifyEmail).await?;
    if !template.enabled {
        return Ok(false);
    }
    let client = client_of(engine, &tenant.id, client_id).await?;
    let mut payload = TicketPayload::for_user(&user);
    payload.client_id = client.as_ref().map(|c| c.client_id.clone());
    payload.result_url = template.result_url.clone();
    payload.include_email_in_redirect = template.include_email_in_redirect;
    let url = tickets::issue(
        engine,
        &tenant,
        TicketKind::EmailVerification,
        &payload,
        lifetime(&template, engine.settings.verification_ticket_lifetime),
    )
    .await?;
    let queued = outbox::enqueue(
        engine,
        &tenant,
        TemplateName::VerifyEmail,
        &template,
        &user,
        client.as_ref(),
        Some(&url),
    )
    .await?;
    if queued {
        logs::record(
            engine,
            &tenant.id,
            Event {
                event_type: codes::VERIFICATION_REQUEST,
                description: "Verification email queued".into(),
                client_id: payload.client_id.clone(),
                client_name: client.map(|c| c.name),
                user_id: Some(user.user_id.clone()),
                user_name: user.email.clone(),
                ..Event::default()
            },
        )
        .await;
    }
    Ok(queued)
}

/// `POST /dbconnections/change_password`: checks the client and connection
/// (errors about those reveal nothing about accounts), then looks the
/// address up and queues a reset email in the background. The caller
/// answers the same whether or not the account exists, and in the same time.
pub async fn request_password_reset(
    engine: &Engine,
    tenant: &TenantId,
    client_id: &str,
    connection_name: &str,
    email: &str,
    ip: Option<String>,
) -> Result<()> {
    let client = engine
        .storage
        .get_client(tenant, client_id)
        .await?
        .ok_or(EngineError::NotFound("client"))?;
    let connection = engine
        .storage
        .list_client_connections(tenant, &client.client_id)
        .await?
        .into_iter()
        .find(|c| c.name == connection_name && database_users::is_database(c))
        .ok_or_else(|| {
            EngineError::invalid(
                "connection",
                "The connection is not enabled for this client",
            )
        })?;
    let email = email.trim().to_owned();
    if !database_users::is_valid_email(&email) {
        return Err(EngineError::invalid(
            "email",
            "email is not a valid email address",
        ));
    }
    let counted_ip = crate::login::login_protection::counted_ip(ip.as_deref());
    if !crate::login::login_protection::allow_reset_request(
        engine,
        tenant,
        &connection,
        &email,
        counted_ip,
    )
    .await?
    {
        return Err(EngineError::RateLimited(
            "Too many password reset requests; try again later",
        ));
    }
    let engine = engine.clone();
    let tenant = tenant.clone();
    tokio::spawn(async move {
        if let Err(error) =
            send_reset_email(&engine, &tenant, &client, &connection, &email, ip).await
        {
            tracing::error!(%error, "could not queue a password reset email");
        }
    });
    Ok(())
}

async fn send_reset_email(
    engine: &Engine,
    tenant: &TenantId,
    client: &Client,
    connection: &Connection,
    email: &str,
    ip: Option<String>,
) -> Result<()> {
    let Some(user) = engine
        .storage
        .get_user_by_email(tenant, &connection.id, email)
        .await?
    else {
        return Ok(());
    };
    let tenant = tenant_of(engine, tenant).await?;
    let template = templates::effective(engine, &tenant.id, TemplateName::ResetEmail).await?;
    if !template.enabled {
        return Ok(());
    }
    let mut payload = TicketPayload::for_user(&user);
    payload.client_id = Some(client.client_id.clone());
    payload.result_url = template.result_url.clone();
    payload.include_email_in_redirect = template.include_email_in_redirect;
    // Following the emailed link proves the address.
    payload.mark_email_as_verified = true;
    payload.password_fingerprint = Some(tickets::password_fingerprint(&user));
    let url = tickets::issue(
        engine,
        &tenant,
        TicketKind::PasswordReset,
        &payload,
        lifetime(&template, engine.settings.reset_ticket_lifetime),
    )
    .await?;
    if outbox::enqueue(
        engine,
        &tenant,
        TemplateName::ResetEmail,
        &template,
        &user,
        Some(client),
        Some(&url),
    )
    .await?
    {
        logs::record(
            engine,
            &tenant.id,
            Event {
                event_type: codes::CHANGE_PASSWORD_REQUEST,
                description: "Password reset email queued".into(),
                client_id: Some(client.client_id.clone()),
                client_name: Some(client.name.clone()),
                connection: Some(connection.name.clone()),
                connection_id: Some(connection.id.clone()),
                ip,
                user_id: Some(user.user_id.clone()),
                user_name: user.email.clone(),
                ..Event::default()
            },
        )
        .await;
    }
    Ok(())
}

/// Who a management ticket is for: a user id, or an email in a connection.
#[derive(Debug, Clone)]
pub enum TicketUser {
    Id(String),
    Email {
        email: String,
        connection_id: String,
    },
}

/// `POST /api/v2/tickets/password-change` and `…/email-verification` options.
#[derive(Debug, Clone, Default)]
pub struct TicketOptions {
    pub result_url: Option<String>,
    pub ttl_sec: Option<i64>,
    pub mark_email_as_verified: bool,
    pub include_email_in_redirect: bool,
    pub client_id: Option<String>,
}

fn check_options(options: &TicketOptions) -> Result<()> {
    if let Some(url) = &options.result_url {
        crate::validation::check_url("result_url", url, crate::validation::UrlKind::Http)?;
    }
    if let Some(ttl) = options.ttl_sec
        && !(0..=templates::MAX_URL_LIFETIME).contains(&ttl)
    {
        return Err(EngineError::invalid(
            "ttl_sec",
            format!(
                "ttl_sec must be between 0 and {}",
                templates::MAX_URL_LIFETIME
            ),
        ));
    }
    Ok(())
}

/// A password-change link for an administrator to hand out (not emailed).
pub async fn password_change_ticket(
    engine: &Engine,
    tenant: &TenantId,
    who: TicketUser,
    options: TicketOptions,
) -> Result<String> {
    check_options(&options)?;
    let user = match who {
        TicketUser::Id(id) => user_of(engine, tenant, &id).await?,
        TicketUser::Email {
            email,
            connection_id,
        } => engine
            .storage
            .get_user_by_email(tenant, &connection_id, &email)
            .await?
            .ok_or(EngineError::NotFound("user"))?,
    };
    if user.password_hash.is_none() {
        return Err(EngineError::invalid(
            "user_id",
            "password tickets are only for database users",
        ));
    }
    if let Some(client_id) = &options.client_id {
        client_of(engine, tenant, Some(client_id))
            .await?
            .ok_or(EngineError::NotFound("client"))?;
    }
    let tenant = tenant_of(engine, tenant).await?;
    let mut payload = TicketPayload::for_user(&user);
    payload.client_id = options.client_id;
    payload.result_url = options.result_url;
    payload.mark_email_as_verified = options.mark_email_as_verified;
    payload.include_email_in_redirect = options.include_email_in_redirect;
    payload.password_fingerprint = Some(tickets::password_fingerprint(&user));
    let ttl = options
        .ttl_sec
        .filter(|ttl| *ttl > 0)
        .unwrap_or(engine.settings.verification_ticket_lifetime);
    tickets::issue(engine, &tenant, TicketKind::PasswordReset, &payload, ttl).await
}

/// An email-verification link for an administrator to hand out.
pub async fn email_verification_ticket(
    engine: &Engine,
    tenant: &TenantId,
    user_id: &str,
    options: TicketOptions,
) -> Result<String> {
    check_options(&options)?;
    let user = user_of(engine, tenant, user_id).await?;
    if user.email.is_none() {
        return Err(EngineError::invalid(
            "user_id",
            "the user has no email address",
        ));
    }
    let tenant = tenant_of(engine, tenant).await?;
    let mut payload = TicketPayload::for_user(&user);
    payload.result_url = options.result_url;
    payload.include_email_in_redirect = options.include_email_in_redirect;
    let ttl = options
        .ttl_sec
        .filter(|ttl| *ttl > 0)
        .unwrap_or(engine.settings.verification_ticket_lifetime);
    tickets::issue(
        engine,
        &tenant,
        TicketKind::EmailVerification,
        &payload,
        ttl,
    )
    .await
}

/// Where the browser goes after a link's action, Auth0-style:
/// `result_url?success=true&code=success&message=…` (+ `email` when asked).
fn result_redirect(payload: &TicketPayload, message: &str) -> Option<String> {
    let mut url = url::Url::parse(payload.result_url.as_deref()?).ok()?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("success", "true");
        query.append_pair("code", "success");
        query.append_pair("message", message);
        if payload.include_email_in_redirect
            && let Some(email) = &payload.email
        {
            query.append_pair("email", email);
        }
    }
    Some(url.to_string())
}

/// A link's action done: where to send the browser, if anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub redirect: Option<String>,
}

/// Follows an email verification link. `None`: unknown, used, expired, or
/// the address changed since the link was sent.
pub async fn verify_email(
    engine: &Engine,
    tenant: &TenantId,
    ticket: &str,
) -> Result<Option<Done>> {
    let Some(payload) =
        tickets::consume(engine, tenant, TicketKind::EmailVerification, ticket).await?
    else {
        return Ok(None);
    };
    let Some(user) = engine.storage.get_user(tenant, &payload.user_id).await? else {
        return Ok(None);
    };
    if !payload.still_matches(&user) {
        return Ok(None);
    }
    let now = engine.now();
    let verified = engine
        .storage
        .update_user(tenant, &user.user_id, &|mut user: User| {
            user.email_verified = true;
            user.updated_at = now;
            Ok(user)
        })
        .await?;
    logs::record(
        engine,
        tenant,
        Event {
            event_type: codes::VERIFICATION,
            description: "Email verified".into(),
            client_id: payload.client_id.clone(),
            user_id: Some(user.user_id.clone()),
            user_name: user.email.clone(),
            ..Event::default()
        },
    )
    .await;
    if !user.email_verified {
        send_welcome_email(engine, tenant, &verified, payload.client_id.as_deref()).await;
    }
    Ok(Some(Done {
        redirect: result_redirect(
            &payload,
            "Your email was verified. You can continue using the application.",
        ),
    }))
}

/// The welcome email, if the tenant enabled a `welcome_email` template.
async fn send_welcome_email(
    engine: &Engine,
    tenant: &TenantId,
    user: &User,
    client_id: Option<&str>,
) {
    let outcome = async {
        let template = templates::effective(engine, tenant, TemplateName::WelcomeEmail).await?;
        if !template.enabled {
            return Ok(false);
        }
        let tenant = tenant_of(engine, tenant).await?;
        let client = client_of(engine, &tenant.id, client_id).await?;
        outbox::enqueue(
            engine,
            &tenant,
            TemplateName::WelcomeEmail,
            &template,
            user,
            client.as_ref(),
            None,
        )
        .await
    }
    .await;
    if let Err(error) = outcome {
        tracing::error!(%error, "could not queue a welcome email");
    }
}

/// What the reset page shows for a ticket.
#[derive(Debug, Clone)]
pub struct ResetForm {
    pub email: Option<String>,
    /// The connection's password rules, in words.
    pub policy: String,
    /// Where the browser goes once the password is changed (the page's
    /// `form-action` must allow it).
    pub result_url: Option<String>,
}

async fn reset_target(
    engine: &Engine,
    tenant: &TenantId,
    payload: &TicketPayload,
) -> Result<Option<(User, Connection)>> {
    let Some(user) = engine.storage.get_user(tenant, &payload.user_id).await? else {
        return Ok(None);
    };
    if !payload.still_matches(&user) || user.password_hash.is_none() {
        return Ok(None);
    }
    let Some(connection) = engine
        .storage
        .get_connection(tenant, &user.connection_id)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((user, connection)))
}

/// The reset page's GET: `None` when the link is not usable. The ticket is not used up.
pub async fn reset_form(
    engine: &Engine,
    tenant: &TenantId,
    ticket: &str,
) -> Result<Option<ResetForm>> {
    let Some(payload) = tickets::peek(engine, tenant, TicketKind::PasswordReset, ticket).await?
    else {
        return Ok(None);
    };
    Ok(reset_target(engine, tenant, &payload)
        .await?
        .map(|(user, connection)| ResetForm {
            email: user.email,
            policy: PasswordPolicy::from_options(&connection.options).describe(),
            result_url: payload.result_url.clone(),
        }))
}

/// How a password reset ended.
#[derive(Debug, Clone)]
pub enum ResetOutcome {
    Done(Done),
    /// Unknown, used or expired link, or the account changed since it was sent.
    InvalidTicket,
    /// The new password breaks the policy; the link stays usable.
    Rejected(PasswordRejection),
}

/// The reset page's POST. The ticket alone names the account. On success
/// the user's sessions and refresh tokens are revoked and brute-force
/// blocks lifted (SECURITY AUTH-RST-05); the user is not logged in.
pub async fn complete_password_reset(
    engine: &Engine,
    tenant: &TenantId,
    ticket: &str,
    password: &str,
    ip: Option<String>,
) -> Result<ResetOutcome> {
    let Some(payload) = tickets::peek(engine, tenant, TicketKind::PasswordReset, ticket).await?
    else {
        return Ok(ResetOutcome::InvalidTicket);
    };
    let Some((user, connection)) = reset_target(engine, tenant, &payload).await? else {
        return Ok(ResetOutcome::InvalidTicket);
    };
    let policy = PasswordPolicy::from_options(&connection.options);
    let checked = match policy.check_new(password, &PersonalInfo::of(&user)) {
        Ok(()) => password_policy::check_history(engine, &policy, &user, password).await?,
        Err(rejection) => Err(rejection),
    };
    if let Err(rejection) = checked {
        logs::record(
            engine,
            tenant,
            Event {
                event_type: codes::FAILED_CHANGE_PASSWORD,
                description: rejection.description().to_owned(),
                connection: Some(connection.name.clone()),
                connection_id: Some(connection.id.clone()),
                ip: ip.clone(),
                user_id: Some(user.user_id.clone()),
                user_name: user.email.clone(),
                ..Event::default()
            },
        )
        .await;
        return Ok(ResetOutcome::Rejected(rejection));
    }
    let hash = engine.passwords.hash(password).await?;
    // Used up only now, so a refused password leaves the link usable; of
    // two racing submissions one wins.
    if tickets::consume(engine, tenant, TicketKind::PasswordReset, ticket)
        .await?
        .is_none()
    {
        return Ok(ResetOutcome::InvalidTicket);
    }
    let history = policy.next_history(&user);
    let now = engine.now();
    let fingerprint = payload.password_fingerprint.clone();
    let verify = payload.mark_email_as_verified;
    let updated = engine
        .storage
        .update_user(tenant, &user.user_id, &|mut stored: User| {
            // A change that slipped in since the checks above wins.
            if fingerprint
                .as_deref()
                .is_some_and(|f| f != tickets::password_fingerprint(&stored))
            {
                return Err(crate::error::reject(EngineError::Conflict));
            }
            stored.password_hash = Some(hash.clone());
            stored.password_history = history.clone();
            if verify {
                stored.email_verified = true;
            }
            stored.updated_at = now;
            Ok(stored)
        })
        .await;
    match updated {
        Ok(_) => {}
        Err(storage::StorageError::Rejected(_)) => return Ok(ResetOutcome::InvalidTicket),
        Err(error) => return Err(error.into()),
    }
    engine
        .storage
        .revoke_user_tokens(tenant, &user.user_id, None, now)
        .await?;
    engine
        .storage
        .delete_user_sessions(tenant, &user.user_id)
        .await?;
    login_protection::unblock(engine, tenant, &login_protection::identifiers_of(&user)).await?;
    logs::record(
        engine,
        tenant,
        Event {
            event_type: codes::CHANGE_PASSWORD,
            description: "Password changed through a reset link".into(),
            client_id: payload.client_id.clone(),
            connection: Some(connection.name.clone()),
            connection_id: Some(connection.id.clone()),
            ip,
            user_id: Some(user.user_id.clone()),
            user_name: user.email.clone(),
            ..Event::default()
        },
    )
    .await;
    Ok(ResetOutcome::Done(Done {
        redirect: result_redirect(&payload, "Your password has been changed successfully."),
    }))
}

/// An unblock link's ticket while it is usable (the page's GET; not used up).
pub async fn unblock_form(
    engine: &Engine,
    tenant: &TenantId,
    ticket: &str,
) -> Result<Option<TicketPayload>> {
    tickets::peek(engine, tenant, TicketKind::Unblock, ticket).await
}

/// Follows an unblock link: lifts every brute-force block of the user's
/// identifiers. `None` when the link is not usable.
pub async fn unblock(engine: &Engine, tenant: &TenantId, ticket: &str) -> Result<Option<Done>> {
    let Some(payload) = tickets::consume(engine, tenant, TicketKind::Unblock, ticket).await? else {
        return Ok(None);
    };
    let Some(user) = engine.storage.get_user(tenant, &payload.user_id).await? else {
        return Ok(None);
    };
    if !payload.still_matches(&user) {
        return Ok(None);
    }
    login_protection::unblock(engine, tenant, &login_protection::identifiers_of(&user)).await?;
    logs::record(
        engine,
        tenant,
        Event {
            event_type: codes::BLOCK_RELEASED,
            description: "Login block released through the emailed link".into(),
            user_id: Some(user.user_id.clone()),
            user_name: user.email.clone(),
            ..Event::default()
        },
    )
    .await;
    Ok(Some(Done {
        redirect: result_redirect(&payload, "Your account has been unblocked."),
    }))
}
