//! Self-service signup to a database connection, for Auth0's
//! `/dbconnections/signup` and the hosted signup page alike: the user is
//! created, the attempt logged, and the verification email queued in one
//! place, so both doors behave the same.

use crate::Engine;
use crate::login::database_users::{self, SignupError, SignupInput};
use crate::login::login_events::{self, Origin};
use crate::login::password_policy::PasswordPolicy;
use model::{Client, Connection, Tenant, User};

/// A `/dbconnections/signup` request, parsed.
#[derive(Debug, Clone)]
pub struct SignupRequest {
    pub client_id: String,
    pub connection: String,
    pub input: SignupInput,
}

/// Why `/dbconnections/signup` refused.
#[derive(Debug)]
pub enum SignupFailure {
    UnknownClient,
    /// The client enables no database connection of that name.
    ConnectionNotEnabled,
    /// The signup itself was refused; `policy` describes the connection's
    /// password policy, which a password rejection shows.
    Refused {
        error: SignupError,
        policy: String,
    },
}

/// `POST /dbconnections/signup`: a database connection the client enables.
pub async fn signup(
    engine: &Engine,
    tenant: &Tenant,
    request: SignupRequest,
    ip: Option<&str>,
) -> Result<User, SignupFailure> {
    let refused = |error: crate::EngineError| SignupFailure::Refused {
        error: SignupError::Engine(error),
        policy: String::new(),
    };
    let client = engine
        .storage
        .get_client(&tenant.id, &request.client_id)
        .await
        .map_err(|e| refused(e.into()))?
        .ok_or(SignupFailure::UnknownClient)?;
    let connections = engine
        .storage
        .list_client_connections(&tenant.id, &client.client_id)
        .await
        .map_err(|e| refused(e.into()))?;
    let connection = connections
        .into_iter()
        .find(|c| c.name == request.connection && database_users::is_database(c))
        .ok_or(SignupFailure::ConnectionNotEnabled)?;
    sign_up(engine, tenant, &client, &connection, request.input, ip)
        .await
        .map_err(|error| SignupFailure::Refused {
            error,
            policy: PasswordPolicy::from_options(&connection.options).describe(),
        })
}

/// Creates the user, logs the attempt, and queues the verification email.
pub(crate) async fn sign_up(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    connection: &Connection,
    input: SignupInput,
    ip: Option<&str>,
) -> Result<User, SignupError> {
    let email = input.email.clone();
    let result = database_users::signup(engine, &tenant.id, connection, input, ip).await;
    let origin = Origin { client, ip };
    login_events::signup(
        engine,
        &tenant.id,
        origin,
        connection,
        email.as_deref(),
        result.as_ref(),
    )
    .await;
    let user = result?;
    queue_verification_email(engine, tenant, &user, &client.client_id).await;
    Ok(user)
}

/// Signup's verification email: queued, never failing the signup.
async fn queue_verification_email(engine: &Engine, tenant: &Tenant, user: &User, client_id: &str) {
    if user.email_verified {
        return;
    }
    if let Err(error) =
        crate::email::send_verification_email(engine, &tenant.id, &user.user_id, Some(client_id))
            .await
    {
        tracing::error!(error = %crate::error::error_chain(&error), "could not queue the verification email");
    }
}
