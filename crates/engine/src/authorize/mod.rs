//! The authorization endpoint as one state machine.
//!
//! `/authorize` validates the request and stores it in a login transaction;
//! [`dispatch`] then decides the next step — log in, consent, or issue — and
//! every page returns to it when done, never to another page (after Dex's
//! `authflow/dispatch.go`). A transaction issues at most once.

pub mod form_targets;
pub mod home_realm;
pub mod request;

use crate::error::{EngineError, Result};
use crate::token::oauth_error::{ErrorCode, OAuthError};
use crate::token::tokens::{self, GrantContext};
use crate::{Engine, login::database_users, login::sessions, management::connections};
use model::{Client, Connection, LoginTransaction, Session, Tenant};
use request::{AuthorizationRequest, AuthorizeError, ResponseMode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The browser-binding cookie: one random value per browser, whose hash each
/// transaction records, so a transaction link is useless in another browser.
pub const TRANSACTION_COOKIE: &str = "vestibule_tx";

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

/// An authorization response (success or error) for the client.
#[derive(Debug, Clone)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub params: Vec<(String, String)>,
}

impl AuthorizationResponse {
    pub fn error(
        issuer: &str,
        redirect_uri: String,
        mode: ResponseMode,
        state: Option<String>,
        error: &OAuthError,
    ) -> Self {
        let mut params = vec![
            ("error".to_owned(), error.code.as_str().to_owned()),
            (
                "error_description".to_owned(),
                error.description.to_string(),
            ),
        ];
        if let Some(state) = state {
            params.push(("state".into(), state));
        }
        params.push(("iss".into(), issuer.to_owned()));
        Self {
            redirect_uri,
            response_mode: mode,
            params,
        }
    }
}

/// The data an authorization code stands for, kept hashed in storage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub sid: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub family_id: String,
}

pub const CODE_KIND: &str = "authorization_code";
/// Left behind when a code is redeemed, so a replay can revoke what it issued.
pub const USED_CODE_KIND: &str = "authorization_code_used";

fn hash(value: &str) -> String {
    crypto::secrets::sha256_base64url(value.as_bytes())
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

fn server_error_page(error: impl Into<EngineError>) -> AuthorizeError {
    let error: EngineError = error.into();
    tracing::error!(error = %error, "authorize failed");
    AuthorizeError::Untrusted("The server could not handle the request; try again".into())
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

/// Ends the transaction and builds the authorization response.
async fn issue(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    transaction: &LoginTransaction,
    request: &AuthorizationRequest,
    session: Option<Session>,
) -> std::result::Result<AuthorizationResponse, AuthorizeError> {
    let fail = |error: OAuthError| AuthorizeError::redirect(request, error);
    let Some(transaction) = engine
        .storage
        .consume_transaction(&tenant.id, &transaction.id, engine.now())
        .await
        .map_err(server_error_page)?
    else {
        return Err(AuthorizeError::Untrusted(
            "This login was already completed".into(),
        ));
    };
    let user_id = transaction.user_id.clone().unwrap_or_default();
    let Some(user) = engine
        .storage
        .get_user(&tenant.id, &user_id)
        .await
        .map_err(server_error_page)?
    else {
        return Err(fail(OAuthError::new(
            ErrorCode::AccessDenied,
            "The user no longer exists",
        )));
    };
    if user.blocked {
        return Err(fail(OAuthError::new(
            ErrorCode::AccessDenied,
            "user is blocked",
        )));
    }
    let sid = match &session {
        Some(session) if session.user_id == user.user_id => {
            sessions::touch(engine, session, &client.client_id)
                .await
                .map_err(server_error_page)?;
            Some(session.sid.clone())
        }
        _ => None,
    };
    let scope = tokens::granted_scope(engine, tenant, &request.scope, request.audience.as_deref())
        .await
        .map_err(server_error_page)?;
    let grant = GrantContext {
        user,
        scope,
        audience: request.audience.clone(),
        nonce: request.nonce.clone(),
        auth_time: transaction.auth_time.unwrap_or_else(|| engine.now()),
        sid,
        family_id: crypto::secrets::random_token(16)
            .map_err(|e| server_error_page(EngineError::from(e)))?,
    };
    let mut params: Vec<(String, String)> = Vec::new();
    let mut code_value = None;
    if request.response_type.code {
        let code = crypto::secrets::random_token(32)
            .map_err(|e| server_error_page(EngineError::from(e)))?;
        let payload = CodeGrant {
            client_id: client.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            user_id: grant.user.user_id.clone(),
            scope: grant.scope.clone(),
            audience: grant.audience.clone(),
            nonce: grant.nonce.clone(),
            auth_time: grant.auth_time,
            sid: grant.sid.clone(),
            code_challenge: request.code_challenge.clone(),
            code_challenge_method: request.code_challenge_method.clone(),
            family_id: grant.family_id.clone(),
        };
        let now = engine.now();
        let record = model::OneTimeRecord {
            tenant_id: tenant.id.clone(),
            kind: CODE_KIND.into(),
            key_hash: hash(&code),
            payload: serde_json::to_value(&payload)
                .map_err(|_| AuthorizeError::Untrusted("internal error".into()))?,
            subject: None,
            expires_at: now + engine.settings.authorization_code_lifetime * 1000,
            created_at: now,
        };
        engine
            .storage
            .create_one_time(&record)
            .await
            .map_err(server_error_page)?;
        params.push(("code".into(), code.clone()));
        code_value = Some(code);
    }
    let mut access_value = None;
    if request.response_type.token {
        let (token, expires_in) = tokens::access_token(engine, tenant, client, &grant)
            .await
            .map_err(server_error_page)?;
        params.push(("access_token".into(), token.clone()));
        params.push(("token_type".into(), "Bearer".into()));
        params.push(("expires_in".into(), expires_in.to_string()));
        params.push(("scope".into(), grant.scope.join(" ")));
        access_value = Some(token);
    }
    if request.response_type.id_token {
        let token = tokens::id_token(
            engine,
            tenant,
            client,
            &grant,
            access_value.as_deref(),
            code_value.as_deref(),
        )
        .await
        .map_err(server_error_page)?;
        params.push(("id_token".into(), token));
    }
    if let Some(state) = &request.state {
        params.push(("state".into(), state.clone()));
    }
    // RFC 9207: the issuer identifies who answered (mix-up defence).
    params.push(("iss".into(), tenant.issuer.clone()));
    Ok(AuthorizationResponse {
        redirect_uri: request.redirect_uri.clone(),
        response_mode: request.response_mode,
        params,
    })
}

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

/// The connections a login page offers: the client's (or only the one
/// named by `connection=`) that can log someone in; one whose strategy has
/// no login yet is neither a button nor a home realm.
pub(crate) async fn page_connections(
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

/// Records a successful interactive login in the transaction and starts an
/// SSO session; returns the new session cookie value.
pub async fn complete_login(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    user: &model::User,
    connection: &Connection,
) -> Result<String> {
    complete_login_with(engine, tenant, open, user, connection, &["pwd"]).await
}

/// [`complete_login`] for any connection, with the session's `amr`
/// (`["pwd"]` for passwords; empty for upstream logins, whose methods
/// Vestibule did not see).
pub async fn complete_login_with(
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

/// Records the user's consent decision. A refusal ends the transaction with
/// `access_denied` to the client.
pub async fn decide_consent(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    accepted: bool,
) -> std::result::Result<(), AuthorizeError> {
    if !accepted {
        let _ = engine
            .storage
            .consume_transaction(&tenant.id, &open.transaction.id, engine.now())
            .await;
        return Err(AuthorizeError::redirect(
            &open.request,
            OAuthError::new(ErrorCode::AccessDenied, "The user refused consent"),
        ));
    }
    if open.transaction.user_id.is_none() {
        return Err(AuthorizeError::Untrusted("Sign in first".into()));
    }
    engine
        .storage
        .update_transaction(
            &tenant.id,
            &open.transaction.id,
            &|mut t: LoginTransaction| {
                t.consent_given = true;
                Ok(t)
            },
        )
        .await
        .map_err(server_error_page)?;
    Ok(())
}
