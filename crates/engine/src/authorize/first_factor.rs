//! The first factor of a login: a password against a database connection,
//! a signup, or a redirect to an upstream provider (a button, or the
//! connection home-realm discovery picks). A login that succeeds ends in
//! [`logged_in`], where a later factor (MFA) joins as one more step.

use super::dispatch::Step;
use super::home_realm::{self, Route};
use super::login_page::{database_connection, login_page};
use super::outcome::{NewSession, Outcome, SignupForm, Status};
use super::transaction::{self, OpenTransaction};
use super::views::{self, LoginState};
use crate::Engine;
use crate::error::Result;
use crate::login::database_users::{self, LoginOutcome, SignupError, SignupInput};
use crate::login::login_events::{self, Origin};
use crate::login::password_policy::PasswordRejection;
use crate::login::{sessions, signup, upstream};
use model::{Connection, Tenant, User};

const WRONG_CREDENTIALS: &str = "Wrong email or password.";
/// Brute-force protection: said alike for every identifier, known or not.
const BLOCKED: &str = "Your account has been blocked after multiple consecutive login attempts from this IP address. Try again later or contact your administrator.";
/// Suspicious IP throttling.
const THROTTLED: &str = "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.";
/// A custom database that failed or could not be reached.
const UNAVAILABLE: &str =
    "We could not reach the account database for this connection. Please try again later.";
/// No connection of this application takes the identifier: said from the
/// domain alone.
const NO_REALM: &str = "This email address cannot be used to log in to this application.";
const INVALID_CONNECTION: &str = "Choose a valid account type.";
/// The page does not confirm which emails exist: the same words as any refusal.
const NOT_CREATED: &str =
    "We could not create the account. If you already have one, log in instead.";

/// The identifier-first step. An email whose domain an enterprise
/// connection of this login lists in `domain_aliases` goes to that
/// connection; anything else goes on to the password step, with the
/// identifier filled in. Which one depends on the domain only
/// ([`home_realm`]), never on whether the account exists.
pub(crate) async fn identifier(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    identifier: &str,
) -> Result<Outcome> {
    let identifier = identifier.trim();
    match home_realm::route(engine, tenant, open, identifier).await? {
        Route::NotIdentifierFirst => Ok(Outcome::Step(Step::Login {
            transaction_id: open.transaction.id.clone(),
        })),
        Route::MissingIdentifier => {
            let state = LoginState {
                error: Some("Enter your email address."),
                ..LoginState::default()
            };
            views::login(engine, tenant, open, Status::BadRequest, state).await
        }
        Route::Enterprise(connection) => {
            Ok(start_upstream(engine, tenant, open, &connection).await)
        }
        Route::Password => {
            let state = LoginState {
                username: identifier,
                password_step: true,
                ..LoginState::default()
            };
            views::login(engine, tenant, open, Status::Ok, state).await
        }
        Route::Nowhere => {
            let state = LoginState {
                error: Some(NO_REALM),
                username: identifier,
                ..LoginState::default()
            };
            views::login(engine, tenant, open, Status::BadRequest, state).await
        }
    }
}

/// A password for a database connection of this login.
pub(crate) async fn password(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    username: &str,
    password: &str,
    chosen: Option<&str>,
    ip: Option<&str>,
) -> Result<Outcome> {
    let Some(connection) = database_connection(engine, tenant, open, chosen).await? else {
        let state = LoginState {
            error: Some(INVALID_CONNECTION),
            username,
            password_step: true,
            ..LoginState::default()
        };
        return views::login(engine, tenant, open, Status::BadRequest, state).await;
    };
    let outcome =
        database_users::login(engine, &tenant.id, &connection, username, password, ip).await?;
    let origin = Origin {
        client: &open.client,
        ip,
    };
    login_events::password_login(engine, &tenant.id, origin, &connection, username, &outcome).await;
    let (status, message) = match outcome {
        LoginOutcome::LoggedIn(user) => {
            return logged_in(engine, tenant, open, &user, &connection, &["pwd"]).await;
        }
        LoginOutcome::WrongCredentials => (Status::BadRequest, WRONG_CREDENTIALS),
        LoginOutcome::Blocked => (Status::TooManyRequests, BLOCKED),
        LoginOutcome::Throttled => (Status::TooManyRequests, THROTTLED),
        LoginOutcome::Unavailable => (Status::Unavailable, UNAVAILABLE),
    };
    let state = LoginState {
        error: Some(message),
        username,
        connection: Some(&connection.name),
        password_step: true,
    };
    views::login(engine, tenant, open, status, state).await
}

/// The hosted signup form: a new user of a database connection, logged in.
pub(crate) async fn signup(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    form: SignupForm,
    ip: Option<&str>,
) -> Result<Outcome> {
    let connection = database_connection(engine, tenant, open, form.connection.as_deref())
        .await?
        .filter(|c| !database_users::signup_disabled(c));
    let Some(connection) = connection else {
        let status = Status::BadRequest;
        return views::signup(
            engine,
            tenant,
            open,
            status,
            Some(INVALID_CONNECTION),
            &form,
        )
        .await;
    };
    let input = SignupInput {
        email: form.email.clone(),
        username: form.username.clone().filter(|u| !u.is_empty()),
        password: form.password.clone(),
        ..SignupInput::default()
    };
    let (status, message) =
        match signup::sign_up(engine, tenant, &open.client, &connection, input, ip).await {
            Ok(user) => {
                let user =
                    database_users::record_login(engine, &tenant.id, &user.user_id, ip).await?;
                return logged_in(engine, tenant, open, &user, &connection, &["pwd"]).await;
            }
            Err(SignupError::Engine(error)) => return Err(error),
            Err(SignupError::Throttled) => (
                Status::TooManyRequests,
                database_users::SIGNUP_THROTTLED.to_owned(),
            ),
            Err(SignupError::UserExists) => (Status::BadRequest, NOT_CREATED.to_owned()),
            Err(SignupError::Password(PasswordRejection::TooWeak(policy))) => {
                (Status::BadRequest, policy)
            }
            Err(SignupError::Password(rejection)) => {
                (Status::BadRequest, format!("{}.", rejection.description()))
            }
            Err(other) => (Status::BadRequest, other.to_string()),
        };
    views::signup(engine, tenant, open, status, Some(&message), &form).await
}

/// A social or enterprise connection's button on the login page.
pub(crate) async fn connection_button(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    wanted: &str,
) -> Result<Outcome> {
    let page = login_page(engine, tenant, open).await?;
    if !page.other_connections.iter().any(|c| c.name == wanted) {
        return Ok(Outcome::error(
            Status::BadRequest,
            "Unknown connection",
            "This application does not offer that way to log in.",
        ));
    }
    let Some(connection) = engine
        .storage
        .get_connection_by_name(&tenant.id, wanted)
        .await?
    else {
        return Ok(Outcome::error(
            Status::BadRequest,
            "Unknown connection",
            "That connection is not enabled for this application.",
        ));
    };
    Ok(start_upstream(engine, tenant, open, &connection).await)
}

/// Sends the browser to a connection's upstream provider: the login
/// page's connection buttons and home-realm discovery both end here.
async fn start_upstream(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    connection: &Connection,
) -> Outcome {
    if !upstream::is_redirect(connection) {
        return Outcome::error(
            Status::NotImplemented,
            "Not available",
            format!(
                "Logging in through {} connections is not available in this version of Vestibule.",
                connection.strategy
            ),
        );
    }
    match upstream::start(engine, tenant, open, connection).await {
        Ok(location) => Outcome::Step(Step::Upstream { location }),
        Err(error) => {
            tracing::warn!(connection = %connection.name, error = %crate::error::error_chain(&error), "upstream login could not start");
            Outcome::error(
                Status::BadGateway,
                "Sign-in unavailable",
                "This sign-in option is not working right now. Try again later or choose another.",
            )
        }
    }
}

/// A first factor succeeded (`amr`: how, RFC 8176): the transaction
/// records the user, an SSO session begins, and the state machine decides
/// what follows.
pub(super) async fn logged_in(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    user: &User,
    connection: &Connection,
    amr: &[&str],
) -> Result<Outcome> {
    let cookie = transaction::complete_login(engine, tenant, open, user, connection, amr).await?;
    Ok(Outcome::Resume {
        transaction_id: open.transaction.id.clone(),
        session: Some(NewSession {
            cookie,
            lifetime: sessions::absolute_lifetime(engine, tenant),
        }),
    })
}
