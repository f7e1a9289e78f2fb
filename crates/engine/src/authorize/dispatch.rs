//! The authorization endpoint as one state machine.
//!
//! `/authorize` validates the request and stores it in a login transaction;
//! [`dispatch`] then decides the next step — log in, consent, or issue — and
//! every page returns to it when done, never to another page (after Dex's
//! `authflow/dispatch.go`). A transaction issues at most once.

use super::request::{self, AuthorizationRequest, AuthorizeError, server_error_page};
use super::response::{AuthorizationResponse, issue};
use super::transaction::{OpenTransaction, PageError, enabled_connections, hash, open_transaction};
use crate::error::EngineError;
use crate::token::oauth_error::{ErrorCode, OAuthError};
use crate::{Engine, login::sessions, management::connections};
use model::{Client, Connection, LoginTransaction, Session, Tenant};
use std::collections::BTreeMap;

/// What to do next.
#[derive(Debug)]
pub enum Step {
    /// Show the login page of this transaction.
    Login { transaction_id: String },
    /// Show the consent page of this transaction.
    Consent { transaction_id: String },
    /// Send the browser to an upstream identity provider (`connection=`
    /// named a redirect connection).
    Upstream { location: String },
    /// Send the authorization response to the client.
    Respond(AuthorizationResponse),
}

/// Where the request stands before a transaction exists.
pub struct Started {
    pub transaction_id: Option<String>,
    /// A new browser-binding value to set, when the browser had none.
    pub new_browser_cookie: Option<String>,
    pub step: Step,
}

/// Handles `/authorize`.
pub async fn start(
    engine: &Engine,
    tenant: &Tenant,
    params: &BTreeMap<String, String>,
    browser_cookie: Option<&str>,
    session_cookie: Option<&str>,
) -> std::result::Result<Started, AuthorizeError> {
    let client = match params
        .get("client_id")
        .filter(|id| !id.is_empty() && id.len() <= 128)
    {
        Some(id) => engine
            .storage
            .get_client(&tenant.id, id)
            .await
            .map_err(server_error_page)?,
        None => None,
    };
    let mut request = request::validate(params, client.as_ref())?;
    let Some(client) = client else {
        return Err(AuthorizeError::Untrusted("Unknown client".into()));
    };
    if let Some(hint) = request.id_token_hint.clone() {
        let claims =
            crate::login::logout::verify_id_token_hint(engine, tenant, &hint, &client.client_id)
                .await
                .map_err(server_error_page)?;
        match claims
            .as_ref()
            .and_then(|c| c.get("sub"))
            .and_then(|s| s.as_str())
        {
            Some(subject) => request.hint_subject = Some(subject.to_owned()),
            None => {
                return Err(AuthorizeError::redirect(
                    &request,
                    OAuthError::invalid_request(
                        "id_token_hint is not a valid ID token for this client",
                    ),
                ));
            }
        }
    }
    // Auth0's tenant `default_audience`: the API of a request that names none.
    if request.audience.as_deref().is_none_or(str::is_empty) {
        request.audience = tenant.settings.default_audience.clone();
    }
    if let Some(audience) = &request.audience
        && engine
            .storage
            .get_resource_server_by_identifier(&tenant.id, audience)
            .await
            .map_err(server_error_page)?
            .is_none()
    {
        return Err(AuthorizeError::redirect(
            &request,
            OAuthError::new(
                ErrorCode::AccessDenied,
                format!("Service not found: {audience}"),
            ),
        ));
    }
    let enabled = enabled_connections(engine, tenant, &client)
        .await
        .map_err(server_error_page)?;
    if let Some(name) = &request.connection {
        let Some(connection) = enabled.iter().find(|c| &c.name == name) else {
            return Err(AuthorizeError::redirect(
                &request,
                OAuthError::invalid_request("the connection is not enabled for this client"),
            ));
        };
        if !connections::connection_can_log_in(connection) {
            return Err(AuthorizeError::redirect(
                &request,
                OAuthError::invalid_request(connections::offer::cannot_log_in(connection)),
            ));
        }
    }
    let (browser_value, new_browser_cookie) =
        match browser_cookie.filter(|v| (20..=128).contains(&v.len())) {
            Some(value) => (value.to_owned(), None),
            None => {
                let value = crypto::secrets::random_token(32)
                    .map_err(|e| server_error_page(EngineError::from(e)))?;
                (value.clone(), Some(value))
            }
        };
    let now = engine.now();
    let transaction = LoginTransaction {
        tenant_id: tenant.id.clone(),
        id: crypto::secrets::random_token(24)
            .map_err(|e| server_error_page(EngineError::from(e)))?,
        browser_binding: hash(&browser_value),
        client_id: client.client_id.clone(),
        request: serde_json::to_value(&request)
            .map_err(|_| AuthorizeError::Untrusted("internal error".into()))?,
        user_id: None,
        connection: None,
        auth_time: None,
        consent_given: false,
        created_at: now,
        expires_at: now + engine.settings.transaction_lifetime * 1000,
    };
    engine
        .storage
        .create_transaction(&transaction)
        .await
        .map_err(server_error_page)?;
    let session = sessions::current(engine, tenant, session_cookie)
        .await
        .map_err(server_error_page)?;
    let step = dispatch(
        engine,
        tenant,
        &client,
        transaction.clone(),
        &request,
        session,
        &enabled,
    )
    .await?;
    Ok(Started {
        transaction_id: Some(transaction.id),
        new_browser_cookie,
        step,
    })
}

/// Continues a transaction after a page finished its step.
pub async fn resume(
    engine: &Engine,
    tenant: &Tenant,
    id: &str,
    browser_cookie: Option<&str>,
    session_cookie: Option<&str>,
) -> std::result::Result<Step, ResumeError> {
    let open = open_transaction(engine, tenant, id, browser_cookie).await?;
    let session = sessions::current(engine, tenant, session_cookie)
        .await
        .map_err(PageError::from)?;
    let enabled = enabled_connections(engine, tenant, &open.client)
        .await
        .map_err(PageError::from)?;
    dispatch(
        engine,
        tenant,
        &open.client,
        open.transaction,
        &open.request,
        session,
        &enabled,
    )
    .await
    .map_err(ResumeError::Authorize)
}

#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error(transparent)]
    Page(#[from] PageError),
    #[error("authorization failed")]
    Authorize(AuthorizeError),
}

/// True when the session may stand in for a login for this request.
fn session_satisfies(
    engine: &Engine,
    request: &AuthorizationRequest,
    session: &Session,
    enabled: &[Connection],
) -> bool {
    if request.has_prompt("login") || request.has_prompt("select_account") {
        return false;
    }
    if let Some(max_age) = request.max_age
        && engine.now() - session.auth_time > max_age.saturating_mul(1000)
    {
        return false;
    }
    if let Some(name) = &request.connection
        && &session.connection != name
    {
        return false;
    }
    if let Some(subject) = &request.hint_subject
        && subject != &session.user_id
    {
        return false;
    }
    enabled.iter().any(|c| c.name == session.connection)
}

/// Decides the next step for a transaction.
async fn dispatch(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    mut transaction: LoginTransaction,
    request: &AuthorizationRequest,
    session: Option<Session>,
    enabled: &[Connection],
) -> std::result::Result<Step, AuthorizeError> {
    let fail = |error: OAuthError| AuthorizeError::redirect(request, error);
    if transaction.user_id.is_none() {
        match session
            .as_ref()
            .filter(|s| session_satisfies(engine, request, s, enabled))
        {
            Some(session) => {
                let (user_id, connection, auth_time) = (
                    session.user_id.clone(),
                    session.connection.clone(),
                    session.auth_time,
                );
                transaction = engine
                    .storage
                    .update_transaction(&tenant.id, &transaction.id, &|mut t: LoginTransaction| {
                        t.user_id = Some(user_id.clone());
                        t.connection = Some(connection.clone());
                        t.auth_time = Some(auth_time);
                        Ok(t)
                    })
                    .await
                    .map_err(server_error_page)?;
            }
            None if request.has_prompt("none") => {
                return Err(fail(OAuthError::new(
                    ErrorCode::LoginRequired,
                    "Login required",
                )));
            }
            None => {
                let upstream = request.connection.as_ref().and_then(|name| {
                    enabled
                        .iter()
                        .find(|c| &c.name == name && crate::login::upstream::is_redirect(c))
                });
                let Some(connection) = upstream else {
                    return Ok(Step::Login {
                        transaction_id: transaction.id,
                    });
                };
                let open = OpenTransaction {
                    transaction,
                    request: request.clone(),
                    client: client.clone(),
                };
                return match crate::login::upstream::start(engine, tenant, &open, connection).await
                {
                    Ok(location) => Ok(Step::Upstream { location }),
                    Err(error) => {
                        tracing::warn!(connection = %connection.name, error = %error, "upstream login could not start");
                        Err(fail(OAuthError::new(
                            ErrorCode::ServerError,
                            "The connection could not start a login",
                        )))
                    }
                };
            }
        }
    }
    let needs_consent =
        (!client.is_first_party || request.has_prompt("consent")) && !transaction.consent_given;
    if needs_consent {
        if request.has_prompt("none") {
            return Err(fail(OAuthError::new(
                ErrorCode::ConsentRequired,
                "Consent required",
            )));
        }
        return Ok(Step::Consent {
            transaction_id: transaction.id,
        });
    }
    issue(engine, tenant, client, &transaction, request, session)
        .await
        .map(Step::Respond)
}
