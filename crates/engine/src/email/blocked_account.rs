//! The blocked-account email: brute-force protection (the login module's
//! `login_protection`) calls it when an identifier gets blocked. It stands
//! apart from the flows that lift blocks, which call protection, so the two
//! do not import each other.

use super::lookups::{lifetime, tenant_of};
use super::outbox;
use super::templates::{self, TemplateName};
use super::tickets::{self, TicketKind, TicketPayload};
use crate::Engine;
use crate::error::Result;
use crate::logs::{self, Event, codes};
use model::{Connection, TenantId};

/// Emails the owner of a login identifier that was just blocked from `ip`,
/// with a link that lifts the block. Runs in the background: the login that
/// tripped the block answers in the same time whether or not the identifier
/// belongs to an account.
pub fn notify_blocked_account(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    identifier: &str,
    ip: &str,
) {
    let (engine, tenant, connection, identifier, ip) = (
        engine.clone(),
        tenant.clone(),
        connection.clone(),
        identifier.to_owned(),
        ip.to_owned(),
    );
    tokio::spawn(async move {
        if let Err(error) =
            send_blocked_account_email(&engine, &tenant, &connection, &identifier, &ip).await
        {
            tracing::error!(%error, "could not queue a blocked-account email");
        }
    });
}

async fn send_blocked_account_email(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    identifier: &str,
    ip: &str,
) -> Result<()> {
    let user = match engine
        .storage
        .get_user_by_email(tenant, &connection.id, identifier)
        .await?
    {
        Some(user) => Some(user),
        None => {
            engine
                .storage
                .get_user_by_username(tenant, &connection.id, identifier)
                .await?
        }
    };
    let Some(user) = user else {
        return Ok(());
    };
    logs::record(
        engine,
        tenant,
        Event {
            event_type: codes::BLOCKED_ACCOUNT,
            description: "Too many failed logins for this account from one IP address".into(),
            connection: Some(connection.name.clone()),
            connection_id: Some(connection.id.clone()),
            ip: Some(ip.to_owned()),
            user_id: Some(user.user_id.clone()),
            user_name: user.email.clone(),
            ..Event::default()
        },
    )
    .await;
    let tenant = tenant_of(engine, tenant).await?;
    let template = templates::effective(engine, &tenant.id, TemplateName::BlockedAccount).await?;
    if !template.enabled {
        return Ok(());
    }
    let mut payload = TicketPayload::for_user(&user);
    payload.result_url = template.result_url.clone();
    let url = tickets::issue(
        engine,
        &tenant,
        TicketKind::Unblock,
        &payload,
        lifetime(&template, engine.settings.unblock_ticket_lifetime),
    )
    .await?;
    outbox::enqueue(
        engine,
        &tenant,
        TemplateName::BlockedAccount,
        &template,
        &user,
        None,
        Some(&url),
    )
    .await?;
    Ok(())
}
