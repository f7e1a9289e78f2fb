//! The hosted login pages: log in, sign up, consent. Each finishes its step
//! and sends the browser back to `/authorize/resume`, where the
//! authorization state machine decides what comes next.

use super::{
    error_page, is_cross_site, logged_in, read_cookie, redirect, render_with_targets,
    transaction_url,
};
use crate::AppState;
use crate::extract::{ClientIp, CurrentTenant, request_host_of};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use engine::authorize::home_realm::{self, Route};
use engine::authorize::{self, OpenTransaction, PageError, TRANSACTION_COOKIE, form_targets};
use engine::login::database_users::{self, LoginOutcome, SignupError, SignupInput};
use engine::login::login_events::{self, Origin};
use engine::login::password_policy::{PasswordPolicy, PasswordRejection};
use engine::login::upstream;
use model::{Connection, Tenant};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Deserialize)]
pub struct StateQuery {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub connection: Option<String>,
}

const WRONG_CREDENTIALS: &str = "Wrong email or password.";
/// Brute-force protection: said alike for every identifier, known or not.
const BLOCKED: &str = "Your account has been blocked after multiple consecutive login attempts from this IP address. Try again later or contact your administrator.";
/// Suspicious IP throttling.
const THROTTLED: &str = "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.";

/// A custom database that failed or could not be reached.
const UNAVAILABLE: &str =
    "We could not reach the account database for this connection. Please try again later.";

fn form(body: &[u8]) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        fields
            .entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    fields
}

fn page_error(error: PageError) -> Response {
    match error {
        PageError::TransactionUnavailable => {
            error_page(StatusCode::BAD_REQUEST, "Login expired", &error.to_string())
        }
        PageError::Engine(engine_error) => {
            super::engine_failure_page(&engine_error, "login page failed")
        }
    }
}

async fn open(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
    headers: &HeaderMap,
) -> Result<OpenTransaction, Response> {
    let browser = read_cookie(headers, TRANSACTION_COOKIE);
    authorize::open_transaction(&state.engine, tenant, id, browser.as_deref())
        .await
        .map_err(page_error)
}

/// The common start of every page form POST: refuse cross-site requests,
/// parse the form, and open the transaction it names.
async fn accept_post(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    query: StateQuery,
    body: &[u8],
) -> Result<(HashMap<String, String>, OpenTransaction), Response> {
    if let Some(refused) = refuse_cross_site(headers, tenant) {
        return Err(refused);
    }
    let fields = form(body);
    let id = fields.get("state").cloned().unwrap_or(query.state);
    let open = open(state, tenant, &id, headers).await?;
    Ok((fields, open))
}

fn refuse_cross_site(headers: &HeaderMap, tenant: &Tenant) -> Option<Response> {
    let host = request_host_of(headers);
    is_cross_site(headers, &tenant.issuer, host.as_deref()).then(|| {
        error_page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form can only be submitted from this site.",
        )
    })
}

/// What the login form shows besides the page's connections.
#[derive(Default)]
struct LoginView<'a> {
    error: Option<&'a str>,
    username: &'a str,
    connection: Option<&'a str>,
    /// The second step of identifier-first (after the identifier, or a
    /// failed password): the identifier is kept, the password asked.
    password_step: bool,
}

async fn show_login(
    state: &AppState,
    tenant: &Tenant,
    open: &OpenTransaction,
    status: StatusCode,
    view: LoginView<'_>,
) -> Response {
    let LoginView {
        error,
        username,
        connection,
        password_step,
    } = view;
    match authorize::login_page(&state.engine, tenant, open).await {
        Ok(page) => {
            // Without identifier-first there is one step: the whole form.
            let step = match (page.identifier_first, password_step) {
                (false, _) => None,
                (true, false) => Some("identifier"),
                (true, true) => Some("password"),
            };
            let targets = form_targets::for_login_page(&state.engine, tenant, open, &page).await;
            render_with_targets(
                status,
                "login.html",
                serde_json::json!({
                    "page": page,
                    "state": open.transaction.id,
                    "error": error,
                    "username": username,
                    "selected_connection": connection,
                    "step": step,
                }),
                &targets,
            )
        }
        Err(error) => page_error(PageError::Engine(error)),
    }
}

/// `GET /u/login`
pub async fn login_form(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
) -> Response {
    match open(&state, &tenant, &query.state, &headers).await {
        Ok(open) => show_login(&state, &tenant, &open, StatusCode::OK, LoginView::default()).await,
        Err(response) => response,
    }
}

/// `POST /u/login`
pub async fn login_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
    body: Bytes,
) -> Response {
    let (fields, open) = match accept_post(&state, &tenant, &headers, query, &body).await {
        Ok(accepted) => accepted,
        Err(response) => return response,
    };
    let username = fields.get("username").map(String::as_str).unwrap_or("");
    let password = fields.get("password").map(String::as_str).unwrap_or("");
    let chosen = fields.get("connection").map(String::as_str);
    let connection =
        match authorize::database_connection(&state.engine, &tenant, &open, chosen).await {
            Ok(Some(connection)) => connection,
            Ok(None) => {
                return show_login(
                    &state,
                    &tenant,
                    &open,
                    StatusCode::BAD_REQUEST,
                    LoginView {
                        error: Some("Choose a valid account type."),
                        username,
                        password_step: true,
                        ..LoginView::default()
                    },
                )
                .await;
            }
            Err(error) => return page_error(PageError::Engine(error)),
        };
    let outcome = match database_users::login(
        &state.engine,
        &tenant.id,
        &connection,
        username,
        password,
        ip.as_deref(),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(error) => return page_error(PageError::Engine(error)),
    };
    let origin = Origin {
        client: &open.client,
        ip: ip.as_deref(),
    };
    login_events::password_login(
        &state.engine,
        &tenant.id,
        origin,
        &connection,
        username,
        &outcome,
    )
    .await;
    let (status, message) = match outcome {
        LoginOutcome::LoggedIn(user) => {
            return match authorize::complete_login(
                &state.engine,
                &tenant,
                &open,
                &user,
                &connection,
            )
            .await
            {
                Ok(session_cookie) => logged_in(
                    &tenant,
                    &open.transaction.id,
                    &session_cookie,
                    engine::login::sessions::absolute_lifetime(&state.engine, &tenant),
                ),
                Err(error) => page_error(PageError::Engine(error)),
            };
        }
        LoginOutcome::WrongCredentials => (StatusCode::BAD_REQUEST, WRONG_CREDENTIALS),
        LoginOutcome::Blocked => (StatusCode::TOO_MANY_REQUESTS, BLOCKED),
        LoginOutcome::Throttled => (StatusCode::TOO_MANY_REQUESTS, THROTTLED),
        LoginOutcome::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE),
    };
    show_login(
        &state,
        &tenant,
        &open,
        status,
        LoginView {
            error: Some(message),
            username,
            connection: Some(&connection.name),
            password_step: true,
        },
    )
    .await
}

async fn show_signup(
    state: &AppState,
    tenant: &Tenant,
    open: &OpenTransaction,
    status: StatusCode,
    error: Option<&str>,
    fields: &HashMap<String, String>,
) -> Response {
    let page = match authorize::login_page(&state.engine, tenant, open).await {
        Ok(page) => page,
        Err(error) => return page_error(PageError::Engine(error)),
    };
    if !page.signup_allowed {
        return error_page(
            StatusCode::FORBIDDEN,
            "Sign up is not available",
            "Sign up is disabled for this application.",
        );
    }
    let policy = match authorize::database_connection(
        &state.engine,
        tenant,
        open,
        fields.get("connection").map(String::as_str),
    )
    .await
    {
        Ok(Some(connection)) => Some(PasswordPolicy::from_options(&connection.options).describe()),
        _ => None,
    };
    render_with_targets(
        status,
        "signup.html",
        serde_json::json!({
            "page": page,
            "state": open.transaction.id,
            "error": error,
            "email": fields.get("email"),
            "username": fields.get("username"),
            "selected_connection": fields.get("connection"),
            "policy": policy,
        }),
        &form_targets::for_transaction(open),
    )
}

/// `GET /u/signup`
pub async fn signup_form(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
) -> Response {
    match open(&state, &tenant, &query.state, &headers).await {
        Ok(open) => {
            show_signup(
                &state,
                &tenant,
                &open,
                StatusCode::OK,
                None,
                &HashMap::new(),
            )
            .await
        }
        Err(response) => response,
    }
}

/// `POST /u/signup`
pub async fn signup_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
    body: Bytes,
) -> Response {
    let (fields, open) = match accept_post(&state, &tenant, &headers, query, &body).await {
        Ok(accepted) => accepted,
        Err(response) => return response,
    };
    let connection = match authorize::database_connection(
        &state.engine,
        &tenant,
        &open,
        fields.get("connection").map(String::as_str),
    )
    .await
    {
        Ok(Some(connection)) if !database_users::signup_disabled(&connection) => connection,
        Ok(_) => {
            return show_signup(
                &state,
                &tenant,
                &open,
                StatusCode::BAD_REQUEST,
                Some("Choose a valid account type."),
                &fields,
            )
            .await;
        }
        Err(error) => return page_error(PageError::Engine(error)),
    };
    let input = SignupInput {
        email: fields.get("email").cloned(),
        username: fields.get("username").cloned().filter(|u| !u.is_empty()),
        password: fields.get("password").cloned().unwrap_or_default(),
        ..SignupInput::default()
    };
    let email = input.email.clone();
    let result =
        database_users::signup(&state.engine, &tenant.id, &connection, input, ip.as_deref()).await;
    let origin = Origin {
        client: &open.client,
        ip: ip.as_deref(),
    };
    login_events::signup(
        &state.engine,
        &tenant.id,
        origin,
        &connection,
        email.as_deref(),
        result.as_ref(),
    )
    .await;
    let user = match result {
        Ok(user) => user,
        Err(SignupError::Engine(error)) => return page_error(PageError::Engine(error)),
        Err(SignupError::Throttled) => {
            return show_signup(
                &state,
                &tenant,
                &open,
                StatusCode::TOO_MANY_REQUESTS,
                Some(database_users::SIGNUP_THROTTLED),
                &fields,
            )
            .await;
        }
        // The page does not confirm which emails exist: the same words as any refusal.
        Err(SignupError::UserExists) => {
            return show_signup(
                &state,
                &tenant,
                &open,
                StatusCode::BAD_REQUEST,
                Some("We could not create the account. If you already have one, log in instead."),
                &fields,
            )
            .await;
        }
        Err(error) => {
            let message = match &error {
                SignupError::Password(PasswordRejection::TooWeak(policy)) => policy.clone(),
                SignupError::Password(rejection) => format!("{}.", rejection.description()),
                other => other.to_string(),
            };
            return show_signup(
                &state,
                &tenant,
                &open,
                StatusCode::BAD_REQUEST,
                Some(&message),
                &fields,
            )
            .await;
        }
    };
    crate::dbconnections::queue_verification_email(
        &state.engine,
        &tenant.id,
        &user,
        &open.transaction.client_id,
    )
    .await;
    let user =
        match database_users::record_login(&state.engine, &tenant.id, &user.user_id, ip.as_deref())
            .await
        {
            Ok(user) => user,
            Err(error) => return page_error(PageError::Engine(error)),
        };
    match authorize::complete_login(&state.engine, &tenant, &open, &user, &connection).await {
        Ok(session_cookie) => logged_in(
            &tenant,
            &open.transaction.id,
            &session_cookie,
            engine::login::sessions::absolute_lifetime(&state.engine, &tenant),
        ),
        Err(error) => page_error(PageError::Engine(error)),
    }
}

/// `GET /u/consent`
pub async fn consent_form(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
) -> Response {
    let open = match open(&state, &tenant, &query.state, &headers).await {
        Ok(open) => open,
        Err(response) => return response,
    };
    if open.transaction.user_id.is_none() {
        return redirect(&transaction_url("/u/login", &open.transaction.id));
    }
    let scopes = match authorize::consent_scopes(&state.engine, &tenant, &open).await {
        Ok(scopes) => scopes,
        Err(error) => return page_error(PageError::Engine(error)),
    };
    render_with_targets(
        StatusCode::OK,
        "consent.html",
        serde_json::json!({
            "client_name": open.client.name,
            "scopes": scopes,
            "state": open.transaction.id,
        }),
        &form_targets::for_transaction(&open),
    )
}

/// `POST /u/consent`
pub async fn consent_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
    body: Bytes,
) -> Response {
    let (fields, open) = match accept_post(&state, &tenant, &headers, query, &body).await {
        Ok(accepted) => accepted,
        Err(response) => return response,
    };
    let accepted = fields.get("action").map(String::as_str) == Some("accept");
    match authorize::decide_consent(&state.engine, &tenant, &open, accepted).await {
        Ok(()) => redirect(&transaction_url(
            crate::authorize::RESUME_PATH,
            &open.transaction.id,
        )),
        Err(error) => crate::authorize::authorize_error(&tenant, error),
    }
}

/// `GET /u/login/connection?state&connection`: the button of a social or
/// enterprise connection; sends the browser to the upstream provider.
pub async fn connection_redirect(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
) -> Response {
    let open = match open(&state, &tenant, &query.state, &headers).await {
        Ok(open) => open,
        Err(response) => return response,
    };
    let page = match authorize::login_page(&state.engine, &tenant, &open).await {
        Ok(page) => page,
        Err(error) => return page_error(PageError::Engine(error)),
    };
    let wanted = query.connection.unwrap_or_default();
    if !page.other_connections.iter().any(|c| c.name == wanted) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Unknown connection",
            "This application does not offer that way to log in.",
        );
    }
    let connection = match state
        .engine
        .storage
        .get_connection_by_name(&tenant.id, &wanted)
        .await
    {
        Ok(Some(connection)) => connection,
        Ok(None) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Unknown connection",
                "That connection is not enabled for this application.",
            );
        }
        Err(error) => return page_error(PageError::Engine(error.into())),
    };
    start_upstream(&state, &tenant, &open, &connection).await
}

/// Sends the browser to a connection's upstream provider: the login
/// page's connection buttons and home-realm discovery both end here.
async fn start_upstream(
    state: &AppState,
    tenant: &Tenant,
    open: &OpenTransaction,
    connection: &Connection,
) -> Response {
    if !upstream::is_redirect(connection) {
        return error_page(
            StatusCode::NOT_IMPLEMENTED,
            "Not available",
            &format!(
                "Logging in through {} connections is not available in this version of Vestibule.",
                connection.strategy
            ),
        );
    }
    match upstream::start(&state.engine, tenant, open, connection).await {
        Ok(location) => redirect(&location),
        Err(error) => {
            tracing::warn!(connection = %connection.name, error = %crate::error::error_chain(&error), "upstream login could not start");
            error_page(
                StatusCode::BAD_GATEWAY,
                "Sign-in unavailable",
                "This sign-in option is not working right now. Try again later or choose another.",
            )
        }
    }
}

/// No connection of this application takes the identifier: said from the
/// domain alone.
const NO_REALM: &str = "This email address cannot be used to log in to this application.";

/// `POST /u/login/identifier`: the first step of the identifier-first login
/// page. An email whose domain an enterprise connection of this login lists
/// in `domain_aliases` goes to that connection; anything else goes on to
/// the password step, with the identifier filled in. Which one depends on
/// the domain only (`engine::authorize::home_realm`), never on whether the
/// account exists.
pub async fn identifier_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
    body: Bytes,
) -> Response {
    let (fields, open) = match accept_post(&state, &tenant, &headers, query, &body).await {
        Ok(accepted) => accepted,
        Err(response) => return response,
    };
    let identifier = fields.get("username").map(|u| u.trim()).unwrap_or("");
    match home_realm::route(&state.engine, &tenant, &open, identifier).await {
        Ok(Route::NotIdentifierFirst) => {
            redirect(&transaction_url("/u/login", &open.transaction.id))
        }
        Ok(Route::MissingIdentifier) => {
            show_login(
                &state,
                &tenant,
                &open,
                StatusCode::BAD_REQUEST,
                LoginView {
                    error: Some("Enter your email address."),
                    ..LoginView::default()
                },
            )
            .await
        }
        Ok(Route::Enterprise(connection)) => {
            start_upstream(&state, &tenant, &open, &connection).await
        }
        Ok(Route::Password) => {
            show_login(
                &state,
                &tenant,
                &open,
                StatusCode::OK,
                LoginView {
                    username: identifier,
                    password_step: true,
                    ..LoginView::default()
                },
            )
            .await
        }
        Ok(Route::Nowhere) => {
            show_login(
                &state,
                &tenant,
                &open,
                StatusCode::BAD_REQUEST,
                LoginView {
                    error: Some(NO_REALM),
                    username: identifier,
                    ..LoginView::default()
                },
            )
            .await
        }
        Err(error) => page_error(PageError::Engine(error)),
    }
}
