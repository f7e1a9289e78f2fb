//! What the login, signup and consent pages of a transaction show.

use super::home_realm;
use super::transaction::{OpenTransaction, page_connections};
use crate::error::Result;
use crate::token::tokens;
use crate::{Engine, login::database_users, management::connections};
use model::{Connection, Tenant};
use serde::Serialize;

/// What the login page shows.
#[derive(Debug, Clone, Serialize)]
pub struct LoginPage {
    pub client_name: String,
    pub database_connections: Vec<ConnectionChoice>,
    pub other_connections: Vec<ConnectionChoice>,
    pub signup_allowed: bool,
    pub requires_username: bool,
    pub login_hint: Option<String>,
    /// The tenant asks for the identifier first (its `identifier_first`
    /// prompt setting) and there is somewhere to send one: a database
    /// connection or an enterprise connection with `domain_aliases`.
    pub identifier_first: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConnectionChoice {
    pub name: String,
    pub display_name: String,
    pub strategy: String,
    /// Reached by typing an email of one of its `domain_aliases`, so the
    /// identifier-first page shows no button for it.
    pub home_realm: bool,
}

/// The login page for an open transaction: exactly the client's connections
/// (or the one named by `connection=`).
pub async fn login_page(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
) -> Result<LoginPage> {
    let chosen = page_connections(engine, tenant, open).await?;
    let choice = |c: &Connection| ConnectionChoice {
        name: c.name.clone(),
        display_name: connections::button_name(c),
        strategy: c.strategy.clone(),
        home_realm: !home_realm::domain_aliases(c).is_empty(),
    };
    let database: Vec<&Connection> = chosen
        .iter()
        .filter(|c| database_users::is_database(c))
        .collect();
    let other_connections: Vec<ConnectionChoice> = chosen
        .iter()
        .filter(|c| !database_users::is_database(c))
        .map(choice)
        .collect();
    Ok(LoginPage {
        client_name: open.client.name.clone(),
        signup_allowed: database.iter().any(|c| !database_users::signup_disabled(c)),
        requires_username: database
            .iter()
            .any(|c| database_users::requires_username(c)),
        database_connections: database.iter().map(|c| choice(c)).collect(),
        other_connections,
        login_hint: open.request.login_hint.clone(),
        identifier_first: home_realm::identifier_first(tenant, &chosen),
    })
}

/// Picks the database connection a form names (or the only one).
pub async fn database_connection(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    name: Option<&str>,
) -> Result<Option<Connection>> {
    let page = login_page(engine, tenant, open).await?;
    let wanted = match name.filter(|n| !n.is_empty()) {
        Some(name) => page.database_connections.iter().find(|c| c.name == name),
        None => page.database_connections.first(),
    };
    match wanted {
        Some(choice) => Ok(engine
            .storage
            .get_connection_by_name(&tenant.id, &choice.name)
            .await?),
        None => Ok(None),
    }
}

/// The scopes the consent page asks the user about: those the grant would
/// carry, never a requested scope that would be dropped (an administrative
/// Management API scope, say), so the user is not asked to allow what no
/// token will hold.
pub async fn consent_scopes(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
) -> Result<Vec<String>> {
    tokens::granted_scope(
        engine,
        tenant,
        &open.request.scope,
        open.request.audience.as_deref(),
    )
    .await
}
