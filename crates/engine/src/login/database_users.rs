//! The `auth0` strategy: database connections, whose users sign up here
//! and log in by email or username with a password. The passwords live in
//! the connection's [`PasswordDirectory`](crate::login::directory::PasswordDirectory)
//! (the built-in store or a custom database); the login itself is
//! [`password_login`](crate::login::password_login), re-exported here.

use crate::Engine;
use crate::error::{EngineError, Result};
pub use crate::login::directory::LoginOutcome;
use crate::login::directory::NewAccount;
pub use crate::login::identifiers::{MAX_IDENTIFIER_BYTES, is_valid_email};
pub(crate) use crate::login::identifiers::{is_valid_username, username_bounds};
use crate::login::login_protection;
use crate::login::password_login;
pub use crate::login::password_login::{login, record_login};
use crate::login::password_policy::{PasswordPolicy, PasswordRejection, PersonalInfo};
use model::{Connection, Identity, TenantId, User};
use serde_json::Value;

/// What a signup provides (Auth0's `/dbconnections/signup` fields).
#[derive(Debug, Clone, Default)]
pub struct SignupInput {
    pub email: Option<String>,
    pub username: Option<String>,
    pub password: String,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub user_metadata: serde_json::Map<String, Value>,
}

/// Why a signup was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The password does not satisfy the connection's policy.
    #[error("{0}")]
    Password(PasswordRejection),
    #[error("The user already exists.")]
    UserExists,
    #[error("Signups are disabled for this connection")]
    SignupDisabled,
    /// Too many signups from this IP (`login_protection::allow_signup`).
    #[error("{}", SIGNUP_THROTTLED)]
    Throttled,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

pub fn is_database(connection: &Connection) -> bool {
    connection.strategy == "auth0"
}

fn option_bool(connection: &Connection, name: &str) -> bool {
    connection
        .options
        .get(name)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

pub fn signup_disabled(connection: &Connection) -> bool {
    option_bool(connection, "disable_signup")
}

pub fn requires_username(connection: &Connection) -> bool {
    option_bool(connection, "requires_username")
}

fn new_user_id() -> Result<String> {
    let bytes = crypto::secrets::random_bytes(12)?;
    Ok(format!("auth0|{}", hex_string(&bytes)))
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn optional_text(
    field: &'static str,
    value: &Option<String>,
    max: usize,
) -> std::result::Result<(), SignupError> {
    match value {
        Some(text) if text.chars().count() > max || text.chars().any(char::is_control) => {
            Err(SignupError::Invalid {
                field,
                message: format!("{field} must be at most {max} printable characters"),
            })
        }
        _ => Ok(()),
    }
}

/// What only an administrator sets when creating a user.
#[derive(Debug, Clone, Default)]
pub struct AdminFields {
    pub email_verified: bool,
    pub blocked: bool,
    pub app_metadata: serde_json::Map<String, Value>,
    /// The id after `auth0|`; random when `None`.
    pub local_id: Option<String>,
}

/// Why a signup was throttled, as Auth0 words it.
pub const SIGNUP_THROTTLED: &str = "Too many signups from this IP address. Please try again later.";

/// Creates a user in a database connection (self-service signup from
/// `ip`). Every attempt counts against the IP's signup allowance before any
/// work is done, so a signup flood cannot buy hashes.
pub async fn signup(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    input: SignupInput,
    ip: Option<&str>,
) -> std::result::Result<User, SignupError> {
    if signup_disabled(connection) && is_database(connection) {
        return Err(SignupError::SignupDisabled);
    }
    if !login_protection::allow_signup(engine, tenant, login_protection::counted_ip(ip)).await? {
        return Err(SignupError::Throttled);
    }
    let ip = login_protection::counted_ip(ip);
    create_for(
        engine,
        tenant,
        connection,
        input,
        AdminFields::default(),
        Some(ip),
    )
    .await
}

/// Creates a user in a database connection with every check of signup
/// except `disable_signup` (administrators create users regardless).
pub async fn create(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    input: SignupInput,
    admin: AdminFields,
) -> std::result::Result<User, SignupError> {
    create_for(engine, tenant, connection, input, admin, None).await
}

/// [`create`] on behalf of a client address, whose hash takes its share
/// of the hashing pool (`passwords`).
async fn create_for(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    input: SignupInput,
    admin: AdminFields,
    client: Option<&str>,
) -> std::result::Result<User, SignupError> {
    if !is_database(connection) {
        return Err(SignupError::Invalid {
            field: "connection",
            message: "the connection is not a database connection".into(),
        });
    }
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned);
    let Some(email) = email else {
        return Err(SignupError::Invalid {
            field: "email",
            message: "email is required".into(),
        });
    };
    if !is_valid_email(&email) {
        return Err(SignupError::Invalid {
            field: "email",
            message: "email is not a valid email address".into(),
        });
    }
    let username = input
        .username
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    match (&username, requires_username(connection)) {
        (None, true) => {
            return Err(SignupError::Invalid {
                field: "username",
                message: "username is required".into(),
            });
        }
        (Some(name), _) if !is_valid_username(name, username_bounds(connection)) => {
            let (min, max) = username_bounds(connection);
            return Err(SignupError::Invalid {
                field: "username",
                message: format!(
                    "username must be {min} to {max} letters, digits or _+-.!#$^`~' characters"
                ),
            });
        }
        (Some(_), false) => {
            return Err(SignupError::Invalid {
                field: "username",
                message: "this connection does not use usernames".into(),
            });
        }
        _ => {}
    }
    optional_text("name", &input.name, 300)?;
    optional_text("nickname", &input.nickname, 300)?;
    optional_text("given_name", &input.given_name, 150)?;
    optional_text("family_name", &input.family_name, 150)?;
    if let Some(picture) = &input.picture {
        crate::validation::check_url("picture", picture, crate::validation::UrlKind::Http)
            .map_err(|_| SignupError::Invalid {
                field: "picture",
                message: "picture must be an http(s) URL".into(),
            })?;
    }
    if serde_json::to_vec(&input.user_metadata)
        .map(|v| v.len())
        .unwrap_or(0)
        > 16 * 1024
    {
        return Err(SignupError::Invalid {
            field: "user_metadata",
            message: "user_metadata is larger than 16 KiB".into(),
        });
    }
    let info = PersonalInfo {
        email: Some(&email),
        username: username.as_deref(),
        name: input.name.as_deref(),
        nickname: input.nickname.as_deref(),
        given_name: input.given_name.as_deref(),
        family_name: input.family_name.as_deref(),
    };
    PasswordPolicy::from_options(&connection.options)
        .check_new(&input.password, &info)
        .map_err(SignupError::Password)?;
    if engine
        .storage
        .get_user_by_email(tenant, &connection.id, &email)
        .await
        .map_err(EngineError::from)?
        .is_some()
    {
        return Err(SignupError::UserExists);
    }
    let password_hash = engine.passwords.hash_for(client, &input.password).await?;
    let user_id = match admin.local_id {
        Some(local) => format!("auth0|{local}"),
        None => new_user_id()?,
    };
    // A custom database checks (import mode) or creates the user there
    // first; without import mode the password stays there.
    let account = NewAccount {
        id: user_id.trim_start_matches("auth0|"),
        email: &email,
        username: username.as_deref(),
        password: &input.password,
        password_hash: &password_hash,
    };
    let keep_hash = match password_login::directory(connection, None)
        .before_create(engine, &account)
        .await
    {
        Ok(keep) => keep,
        Err(EngineError::UserExists) => return Err(SignupError::UserExists),
        Err(error) => return Err(SignupError::Engine(error)),
    };
    let password_hash = keep_hash.then_some(password_hash);
    let now = engine.now();
    let local_part = email.split('@').next().unwrap_or_default().to_owned();
    let user = User {
        tenant_id: tenant.clone(),
        identities: vec![Identity {
            connection: connection.name.clone(),
            connection_id: connection.id.clone(),
            provider: "auth0".into(),
            user_id: user_id.trim_start_matches("auth0|").to_owned(),
            is_social: false,
            profile_data: None,
            upstream_tokens: None,
        }],
        user_id,
        connection_id: connection.id.clone(),
        name: input.name.or_else(|| Some(email.clone())),
        nickname: input.nickname.or(Some(local_part)),
        email: Some(email),
        email_verified: admin.email_verified,
        username,
        phone_number: None,
        phone_verified: false,
        given_name: input.given_name,
        family_name: input.family_name,
        picture: input.picture,
        password_hash,
        password_history: Vec::new(),
        blocked: admin.blocked,
        user_metadata: input.user_metadata,
        app_metadata: admin.app_metadata,
        logins_count: 0,
        last_login: None,
        last_ip: None,
        created_at: now,
        updated_at: now,
    };
    match engine.storage.create_user(&user).await {
        Ok(()) => Ok(user),
        Err(storage::StorageError::AlreadyExists(_)) => Err(SignupError::UserExists),
        Err(error) => Err(SignupError::Engine(error.into())),
    }
}
