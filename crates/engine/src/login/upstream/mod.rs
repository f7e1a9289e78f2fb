//! Logins through upstream identity providers (redirect connections:
//! `oidc`, `oauth2`, and the social and enterprise presets).
//!
//! [`start`] is called for an open login transaction and a connection the
//! client enables: it stores a single-use `state` record (kind
//! [`STATE_KIND`], keyed by the state's hash) holding the transaction id,
//! the connection, the `nonce` and the PKCE verifier, and returns the
//! upstream authorization URL. [`callback`] consumes that record (so a
//! replayed or forged `state` finds nothing), reopens the transaction **with
//! the browser's cookie** (a callback completed in another browser fails:
//! login CSRF / code injection), lets the connector verify the answer, then
//! finds or creates the user `{provider}|{upstream id}` ([`users`]) and
//! records the login in the transaction, which continues at
//! `/authorize/resume`.
//!
//! Accounts are never linked automatically, whatever the email says
//! (SECURITY.md AUTH-LINK-01…03): the user id is derived from the connection's
//! provider and the upstream's own id only.

pub mod users;

use crate::authorize::request::AuthorizeError;
use crate::authorize::transaction::{self, OpenTransaction, PageError};
use crate::error::{EngineError, Result};
use crate::token::oauth_error::{ErrorCode, OAuthError};
use crate::{Engine, management::connections};
use connectors::Strategy;
use connectors::redirect::{self, CallbackMethod, LoginRequest, RedirectConnector, RedirectError};
use model::{Connection, OneTimeRecord, Tenant};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `OneTimeStore` kind of upstream `state` records.
pub const STATE_KIND: &str = "upstream_state";
/// The callback path, on the tenant's issuer.
pub const CALLBACK_PATH: &str = "/login/callback";

/// What a `state` stands for, stored under its hash.
#[derive(Serialize, Deserialize)]
struct StateRecord {
    transaction_id: String,
    connection_id: String,
    nonce: String,
    pkce_verifier: String,
}

fn hash(value: &str) -> String {
    crypto::secrets::sha256_base64url(value.as_bytes())
}

/// The tenant's callback URL, as registered at upstream providers.
pub fn callback_url(tenant: &Tenant) -> String {
    format!("{}{CALLBACK_PATH}", tenant.issuer.trim_end_matches('/'))
}

/// True when logins through this connection go upstream.
pub fn is_redirect(connection: &Connection) -> bool {
    Strategy::parse(&connection.strategy).is_some_and(redirect::is_redirect)
}

/// The connector of a connection (secrets unsealed just for this call).
fn connector(engine: &Engine, connection: &Connection) -> Result<Box<dyn RedirectConnector>> {
    let strategy = Strategy::parse(&connection.strategy)
        .ok_or_else(|| EngineError::invalid("strategy", "unknown strategy"))?;
    let options = connections::unsealed_options(engine, connection)?;
    redirect::open(strategy, &options, engine.upstreams.clone()).map_err(EngineError::Upstream)
}

/// How the upstream of a connection answers the callback (GET or form POST).
pub fn callback_method(engine: &Engine, connection: &Connection) -> Result<CallbackMethod> {
    Ok(connector(engine, connection)?.callback_method())
}

/// Starts a login at the connection's upstream; returns where to send the
/// browser.
pub async fn start(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    connection: &Connection,
) -> Result<String> {
    if !is_redirect(connection) {
        return Err(EngineError::invalid(
            "connection",
            format!(
                "login through {} connections is not available",
                connection.strategy
            ),
        ));
    }
    let connector = connector(engine, connection)?;
    let state = crypto::secrets::random_token(32)?;
    let record = StateRecord {
        transaction_id: open.transaction.id.clone(),
        connection_id: connection.id.clone(),
        nonce: crypto::secrets::random_token(24)?,
        pkce_verifier: crypto::secrets::random_token(48)?,
    };
    let request = LoginRequest {
        callback_url: callback_url(tenant),
        state: state.clone(),
        nonce: record.nonce.clone(),
        pkce_verifier: record.pkce_verifier.clone(),
        extra_params: extra_params(connection, open),
    };
    let url = connector
        .authorization_url(&request)
        .await
        .map_err(EngineError::Upstream)?;
    let now = engine.now();
    engine
        .storage
        .create_one_time(&OneTimeRecord {
            tenant_id: tenant.id.clone(),
            kind: STATE_KIND.into(),
            key_hash: hash(&state),
            payload: serde_json::to_value(&record)
                .map_err(|_| EngineError::invalid("state", "cannot be stored"))?,
            subject: None,
            expires_at: open.transaction.expires_at.min(now + 15 * 60 * 1000),
            created_at: now,
        })
        .await?;
    Ok(url)
}

/// Where the connection's upstream login page lives (its authorization
/// endpoint's URL, without the request): a form whose answer redirects there
/// must name it in the page's CSP `form-action`. The request values are
/// throwaway ones, never stored, so nothing is started.
pub async fn authorization_endpoint(
    engine: &Engine,
    tenant: &Tenant,
    connection: &Connection,
) -> Result<String> {
    let connector = connector(engine, connection)?;
    let request = LoginRequest {
        callback_url: callback_url(tenant),
        state: "unused".into(),
        nonce: "unused".into(),
        pkce_verifier: "u".repeat(43),
        extra_params: Vec::new(),
    };
    let url = connector
        .authorization_url(&request)
        .await
        .map_err(EngineError::Upstream)?;
    Ok(url.split(['?', '#']).next().unwrap_or_default().to_owned())
}

/// `upstream_params`: fixed values, or values of this `/authorize` request.
fn extra_params(connection: &Connection, open: &OpenTransaction) -> Vec<(String, String)> {
    let Some(params) = connection
        .options
        .get("upstream_params")
        .and_then(|v| v.as_object())
    else {
        return Vec::new();
    };
    let request = serde_json::to_value(&open.request).unwrap_or_default();
    let reserved = [
        "state",
        "nonce",
        "redirect_uri",
        "client_id",
        "response_type",
        "response_mode",
        "code_challenge",
        "code_challenge_method",
        "scope",
    ];
    params
        .iter()
        .filter(|(name, _)| !reserved.contains(&name.as_str()))
        .filter_map(|(name, spec)| {
            let value = match (spec.get("value"), spec.get("alias")) {
                (Some(value), _) => value.as_str().map(str::to_owned),
                (None, Some(alias)) => alias
                    .as_str()
                    .and_then(|alias| request.get(alias))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
                _ => None,
            }?;
            Some((name.clone(), value))
        })
        .collect()
}

/// An upstream login the provider confirmed: who signed in, for which
/// transaction and connection. The authorization state machine completes it
/// (`engine::authorize::steps::upstream_returned`), as it does password logins.
pub struct Identified {
    pub open: OpenTransaction,
    pub user: model::User,
    pub connection: Connection,
}

/// Why a callback did not log anyone in.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// Shown as an error page: no transaction can be trusted (unknown or
    /// replayed `state`, expired login, another browser).
    #[error("{0}")]
    Page(String),
    /// Returned to the client as an OAuth error.
    #[error("authorization failed")]
    Authorize(AuthorizeError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

const STATE_UNUSABLE: &str = "This sign-in response is not valid: it was already used, has expired, or was not started here. Return to the application and sign in again.";

/// Handles the upstream's answer at `/login/callback`: checks the `state`,
/// the transaction and the provider's answer, and finds or creates the user.
pub async fn callback(
    engine: &Engine,
    tenant: &Tenant,
    params: &BTreeMap<String, String>,
    browser_cookie: Option<&str>,
    ip: Option<&str>,
) -> std::result::Result<Identified, CallbackError> {
    let Some(state) = params
        .get("state")
        .filter(|s| !s.is_empty() && s.len() <= 256)
    else {
        return Err(CallbackError::Page(STATE_UNUSABLE.into()));
    };
    let Some(record) = engine
        .storage
        .consume_one_time(&tenant.id, STATE_KIND, &hash(state), engine.now())
        .await
        .map_err(EngineError::from)?
    else {
        return Err(CallbackError::Page(STATE_UNUSABLE.into()));
    };
    let record: StateRecord = serde_json::from_value(record.payload)
        .map_err(|_| CallbackError::Page(STATE_UNUSABLE.into()))?;
    let open =
        match transaction::open_transaction(engine, tenant, &record.transaction_id, browser_cookie)
            .await
        {
            Ok(open) => open,
            Err(PageError::TransactionUnavailable) => {
                return Err(CallbackError::Page(
                    PageError::TransactionUnavailable.to_string(),
                ));
            }
            Err(PageError::Engine(error)) => return Err(error.into()),
        };
    let connection = engine
        .storage
        .get_connection(&tenant.id, &record.connection_id)
        .await
        .map_err(EngineError::from)?;
    let enabled = transaction::enabled_connections(engine, tenant, &open.client).await?;
    let Some(connection) = connection.filter(|c| enabled.iter().any(|e| e.id == c.id)) else {
        return Err(fail(
            engine,
            tenant,
            &open,
            ErrorCode::AccessDenied,
            "the connection is no longer enabled for this client",
        )
        .await);
    };
    let request = LoginRequest {
        callback_url: callback_url(tenant),
        state: state.clone(),
        nonce: record.nonce,
        pkce_verifier: record.pkce_verifier,
        extra_params: Vec::new(),
    };
    let now_seconds = engine.now() / 1000;
    let identity = match connector(engine, &connection) {
        Ok(connector) => connector
            .callback(&request, params, now_seconds)
            .await
            .map_err(EngineError::Upstream),
        Err(error) => Err(error),
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(EngineError::Upstream(RedirectError::Denied { error, description })) => {
            tracing::info!(connection = %connection.name, %error, "upstream refused the login");
            let description = description
                .filter(|d| d.chars().all(|c| !c.is_control()))
                .unwrap_or_else(|| format!("The identity provider refused the login ({error})"));
            return Err(fail(engine, tenant, &open, ErrorCode::AccessDenied, &description).await);
        }
        Err(error) => {
            tracing::warn!(
                connection = %connection.name,
                error = %crate::error::error_chain(&error),
                "upstream login failed"
            );
            return Err(fail(
                engine,
                tenant,
                &open,
                ErrorCode::ServerError,
                "The login at the identity provider could not be completed",
            )
            .await);
        }
    };
    let user = match users::sign_in(engine, tenant, &connection, identity, ip).await? {
        users::SignIn::User(user) => user,
        users::SignIn::Blocked => {
            return Err(fail(
                engine,
                tenant,
                &open,
                ErrorCode::AccessDenied,
                "user is blocked",
            )
            .await);
        }
    };
    Ok(Identified {
        open,
        user: *user,
        connection,
    })
}

/// Ends the transaction with an OAuth error for the client.
async fn fail(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    code: ErrorCode,
    description: &str,
) -> CallbackError {
    let _ = engine
        .storage
        .consume_transaction(&tenant.id, &open.transaction.id, engine.now())
        .await;
    CallbackError::Authorize(AuthorizeError::redirect(
        &open.request,
        OAuthError::new(code, description.to_owned()),
    ))
}
