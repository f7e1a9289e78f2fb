//! The login transaction a page acts on: stored by `/authorize`, bound to
//! one browser by the [`TRANSACTION_COOKIE`], and updated as its steps
//! finish.

use super::request::AuthorizationRequest;
use crate::error::{EngineError, Result};
use crate::{Engine, login::sessions, management::connections};
use model::{Client, Connection, LoginTransaction, Tenant};

/// The browser-binding cookie: one random value per browser, whose hash each
/// transaction records, so a transaction link is useless in another browser.
pub const TRANSACTION_COOKIE: &str = "vestibule_tx";

pub(crate) fn hash(value: &str) -> String {
    crypto::secrets::sha256_base64url(value.as_bytes())
}

/// Connections enabled for a client, by name.
pub async fn enabled_connections(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
) -> Result<Vec<Connection>> {
    Ok(engine
        .storage
        .list_client_connections(&tenant.id, &client.client_id)
        .await?)
}

/// A transaction the current browser may act on.
pub struct OpenTransaction {
    pub transaction: LoginTransaction,
    pub request: AuthorizationRequest,
    pub client: Client,
}

/// Why a page cannot continue a transaction.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(
        "This login link has expired or was opened in another browser. Return to the application and sign in again."
    )]
    TransactionUnavailable,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Loads a transaction for a page, checking it belongs to this browser.
pub async fn open_transaction(
    engine: &Engine,
    tenant: &Tenant,
    id: &str,
    browser_cookie: Option<&str>,
) -> std::result::Result<OpenTransaction, PageError> {
    if id.is_empty() || id.len() > 128 {
        return Err(PageError::TransactionUnavailable);
    }
    let transaction = engine
        .storage
        .get_transaction(&tenant.id, id, engine.now())
        .await
        .map_err(EngineError::from)?
        .ok_or(PageError::TransactionUnavailable)?;
    let bound = browser_cookie.map(hash).is_some_and(|h| {
        crypto::secrets::constant_time_eq(h.as_bytes(), transaction.browser_binding.as_bytes())
    });
    if !bound {
        return Err(PageError::TransactionUnavailable);
    }
    let request: AuthorizationRequest = serde_json::from_value(transaction.request.clone())
        .map_err(|_| PageError::TransactionUnavailable)?;
    let client = engine
        .storage
        .get_client(&tenant.id, &transaction.client_id)
        .await
        .map_err(EngineError::from)?
        .ok_or(PageError::TransactionUnavailable)?;
    Ok(OpenTransaction {
        transaction,
        request,
        client,
    })
}

/// The connections a login page offers: the client's (or only the one
/// named by `connection=`) that can log someone in; one whose strategy has
/// no login yet is neither a button nor a home realm.
pub async fn page_connections(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
) -> Result<Vec<Connection>> {
    let enabled = enabled_connections(engine, tenant, &open.client).await?;
    Ok(enabled
        .into_iter()
        .filter(connections::connection_can_log_in)
        .filter(|c| {
            open.request
                .connection
                .as_ref()
                .is_none_or(|name| &c.name == name)
        })
        .collect())
}

/// Records a successful login in the transaction and starts an SSO session
/// whose `amr` lists the methods used (`["pwd"]` for passwords; empty for
/// upstream logins, whose methods Vestibule did not see); returns the new
/// session cookie value.
pub async fn complete_login(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    user: &model::User,
    connection: &Connection,
    amr: &[&str],
) -> Result<String> {
    let (cookie, session) = sessions::start(engine, tenant, user, &connection.name, amr).await?;
    let user_id = user.user_id.clone();
    let connection_name = connection.name.clone();
    engine
        .storage
        .update_transaction(
            &tenant.id,
            &open.transaction.id,
            &|mut t: LoginTransaction| {
                t.user_id = Some(user_id.clone());
                t.connection = Some(connection_name.clone());
                t.auth_time = Some(session.auth_time);
                Ok(t)
            },
        )
        .await?;
    Ok(cookie)
}
