//! `POST /api/v2/users`: an administrator creates a user in a database
//! connection, with the connection's password policy and uniqueness rules
//! and the fields only an administrator may set (`email_verified`,
//! `blocked`, `app_metadata`, `user_id`).

use super::metadata::check_metadata_size;
use crate::Engine;
use crate::error::{EngineError, Result};
use crate::login::database_users::{self, AdminFields, SignupError, SignupInput};
use model::{TenantId, User};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Auth0's create-user body.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    /// The connection's name (required); database connections only for now.
    pub connection: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub email_verified: Option<bool>,
    /// Accepted; verification emails arrive with the email work.
    pub verify_email: Option<bool>,
    pub blocked: Option<bool>,
    /// Not supported by database connections yet; must be absent.
    pub phone_number: Option<String>,
    pub phone_verified: Option<bool>,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    /// The id after `auth0|`.
    pub user_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub user_metadata: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    pub app_metadata: Option<Map<String, Value>>,
}

/// `SignupError` in Management API terms.
pub(crate) fn from_signup(error: SignupError) -> EngineError {
    match error {
        SignupError::Invalid { field, message } => EngineError::invalid(field, message),
        SignupError::Password(rejection) => EngineError::Password(rejection),
        SignupError::UserExists => EngineError::UserExists,
        SignupError::SignupDisabled => EngineError::Forbidden("signups are disabled".into()),
        SignupError::Throttled => EngineError::RateLimited(database_users::SIGNUP_THROTTLED),
        SignupError::Engine(error) => error,
    }
}

fn check_local_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 255
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(EngineError::invalid(
            "user_id",
            "user_id must be 1 to 255 letters, digits, '-', '_' or '.'",
        ))
    }
}

pub async fn create_user(engine: &Engine, tenant: &TenantId, input: UserCreate) -> Result<User> {
    let Some(name) = input.connection.as_deref().filter(|c| !c.is_empty()) else {
        return Err(EngineError::invalid(
            "connection",
            "Missing required property: connection",
        ));
    };
    let connection = engine
        .storage
        .get_connection_by_name(tenant, name)
        .await?
        .ok_or(EngineError::NotFound("connection"))?;
    if !database_users::is_database(&connection) {
        return Err(EngineError::invalid(
            "connection",
            "users can be created only in database connections for now",
        ));
    }
    if input.phone_number.is_some() || input.phone_verified.is_some() {
        return Err(EngineError::invalid(
            "phone_number",
            "database connections do not hold phone numbers",
        ));
    }
    let Some(password) = input.password.filter(|p| !p.is_empty()) else {
        return Err(EngineError::invalid(
            "password",
            "Missing required property: password",
        ));
    };
    if let Some(id) = &input.user_id {
        check_local_id(id)?;
    }
    let app_metadata = input.app_metadata.unwrap_or_default();
    check_metadata_size("app_metadata", &app_metadata)?;
    let signup = SignupInput {
        email: input.email,
        username: input.username,
        password,
        name: input.name,
        nickname: input.nickname,
        given_name: input.given_name,
        family_name: input.family_name,
        picture: input.picture,
        user_metadata: input.user_metadata.unwrap_or_default(),
    };
    let admin = AdminFields {
        email_verified: input.email_verified.unwrap_or(false),
        blocked: input.blocked.unwrap_or(false),
        app_metadata,
        local_id: input.user_id,
    };
    database_users::create(engine, tenant, &connection, signup, admin)
        .await
        .map_err(from_signup)
}
