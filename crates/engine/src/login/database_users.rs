//! The `auth0` strategy: the built-in user store of database connections.
//! Signup, and login by email or username with a password.
//!
//! A failed login takes the same path and time whether the user is unknown,
//! blocked, or gave a wrong password (a dummy hash is verified for unknown
//! users), so no response reveals whether an account exists. Logins pass
//! through [`crate::login::login_protection`] first (brute force, IP throttling).

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::login::custom_database;
use crate::login::login_protection::{self, Gate};
use crate::login::password_policy::{
    MAX_PASSWORD_BYTES, PasswordPolicy, PasswordRejection, PersonalInfo,
};
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

/// A plausible email address: one `@`, non-empty parts, no spaces, ≤ 254 bytes.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub(crate) fn username_bounds(connection: &Connection) -> (usize, usize) {
    let min = connection
        .options
        .pointer("/validation/username/min")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    let max = connection
        .options
        .pointer("/validation/username/max")
        .and_then(Value::as_u64)
        .unwrap_or(15);
    (
        usize::try_from(min).unwrap_or(1),
        usize::try_from(max).unwrap_or(15),
    )
}

pub(crate) fn is_valid_username(username: &str, (min, max): (usize, usize)) -> bool {
    let length = username.chars().count();
    length >= min
        && length <= max
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+-.!#$^`~'".contains(c))
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
    // A custom database connection checks (import mode) or creates the
    // user there first; without import mode the password stays there.
    let keep_hash = if custom_database::is_custom(connection) {
        let remote =
            custom_database_user(&user_id, &email, &username, &input.password, &password_hash);
        match custom_database::before_create(engine, connection, &remote).await {
            Ok(keep) => keep,
            Err(EngineError::UserExists) => return Err(SignupError::UserExists),
            Err(error) => return Err(SignupError::Engine(error)),
        }
    } else {
        true
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

fn custom_database_user(
    user_id: &str,
    email: &str,
    username: &Option<String>,
    password: &str,
    password_hash: &str,
) -> connectors::custom_database::NewCustomUser {
    connectors::custom_database::NewCustomUser {
        id: user_id.trim_start_matches("auth0|").to_owned(),
        email: email.to_owned(),
        username: username.clone(),
        password: password.to_owned(),
        password_hash: password_hash.to_owned(),
    }
}

/// The longest login identifier any account can have: an email address is
/// at most 254 bytes (RFC 5321), a username at most 128 characters (Auth0's
/// largest `validation.username.max`). Longer ones are refused unhashed.
pub const MAX_IDENTIFIER_BYTES: usize = 254;

/// How a password login ended.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    LoggedIn(Box<User>),
    /// Unknown identifier, wrong password or blocked user: one answer for all.
    WrongCredentials,
    /// Too many failures for this identifier from this IP (unknown
    /// identifiers are blocked alike).
    Blocked,
    /// Too many failures from this IP across identifiers.
    Throttled,
    /// The connection's custom database failed or could not be reached;
    /// nothing was created or counted.
    Unavailable,
}

/// Checks a password login.
pub async fn login(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    login: &str,
    password: &str,
    ip: Option<&str>,
) -> Result<LoginOutcome> {
    let login = login.trim();
    let ip_key = login_protection::counted_ip(ip);
    // An identifier no account can have costs no hash and no lookup, but
    // counts against the IP like any failed login.
    if login.is_empty() || login.len() > MAX_IDENTIFIER_BYTES {
        if login_protection::ip_gate(engine, tenant, ip_key).await? == Gate::Throttled {
            return Ok(LoginOutcome::Throttled);
        }
        login_protection::record_ip_failure(engine, tenant, ip_key).await?;
        return Ok(LoginOutcome::WrongCredentials);
    }
    match login_protection::gate(engine, tenant, connection, login, ip_key).await? {
        Gate::Open => {}
        Gate::Blocked => return Ok(LoginOutcome::Blocked),
        Gate::Throttled => return Ok(LoginOutcome::Throttled),
    }
    // No account has an empty password (or one longer than any policy
    // allows): a failed attempt on this identifier, known before hashing.
    // The answer depends on the input alone, so it reveals no account.
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        login_protection::record_failure(engine, tenant, connection, login, ip_key).await?;
        return Ok(LoginOutcome::WrongCredentials);
    }
    let found = match engine
        .storage
        .get_user_by_email(tenant, &connection.id, login)
        .await?
    {
        Some(user) => Some(user),
        None => {
            engine
                .storage
                .get_user_by_username(tenant, &connection.id, login)
                .await?
        }
    };
    if custom_database::login_goes_remote(connection, found.as_ref()) {
        return custom_database::login(engine, tenant, connection, login, password, ip, ip_key)
            .await;
    }
    let stored_hash = found
        .as_ref()
        .and_then(|user| user.password_hash.as_deref());
    let matches = engine
        .passwords
        .verify_for(Some(ip_key), password, stored_hash)
        .await?;
    // A user linked to another logs in as that (primary) user, which must
    // not be blocked either; its own record keeps the password.
    let primary_id = match &found {
        Some(user) if matches => {
            engine
                .storage
                .primary_user_id(tenant, &user.user_id)
                .await?
        }
        _ => None,
    };
    let primary = match primary_id {
        Some(id) if found.as_ref().is_some_and(|user| user.user_id != id) => {
            engine.storage.get_user(tenant, &id).await?
        }
        _ => None,
    };
    let Some(user) = found.filter(|user| {
        matches && !user.blocked && primary.as_ref().is_none_or(|primary| !primary.blocked)
    }) else {
        login_protection::record_failure(engine, tenant, connection, login, ip_key).await?;
        return Ok(LoginOutcome::WrongCredentials);
    };
    login_protection::record_success(engine, tenant, connection, login, ip_key).await?;
    let Some(primary) = primary else {
        return record_password_login(engine, tenant, &user, password, ip).await;
    };
    let user = record_login(engine, tenant, &primary.user_id, ip).await?;
    Ok(LoginOutcome::LoggedIn(Box::new(user)))
}

/// Counts a password login of a user that is not linked, rehashing the
/// password when its parameters are outdated.
async fn record_password_login(
    engine: &Engine,
    tenant: &TenantId,
    user: &User,
    password: &str,
    ip: Option<&str>,
) -> Result<LoginOutcome> {
    let rehash = match &user.password_hash {
        Some(stored) if engine.passwords.needs_rehash(stored) => {
            Some(engine.passwords.hash(password).await?)
        }
        _ => None,
    };
    let now = engine.now();
    let ip = ip.map(str::to_owned);
    let user = engine
        .storage
        .update_user(tenant, &user.user_id, &|mut user: User| {
            user.logins_count += 1;
            user.last_login = Some(now);
            user.last_ip = ip.clone();
            if let Some(hash) = &rehash {
                user.password_hash = Some(hash.clone());
            }
            Ok(user)
        })
        .await?;
    Ok(LoginOutcome::LoggedIn(Box::new(user)))
}

/// Records a login that did not check a password here (SSO reuse is not a
/// login; this is for flows that authenticate elsewhere).
pub async fn record_login(
    engine: &Engine,
    tenant: &TenantId,
    user_id: &str,
    ip: Option<&str>,
) -> Result<User> {
    let now = engine.now();
    let ip = ip.map(str::to_owned);
    Ok(engine
        .storage
        .update_user(tenant, user_id, &|mut user: User| {
            user.logins_count += 1;
            user.last_login = Some(now);
            user.last_ip = ip.clone();
            Ok(user)
        })
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_usernames() {
        assert!(is_valid_email("a@b.co"));
        assert!(!is_valid_email("a@b"));
        assert!(!is_valid_email("a b@c.d"));
        assert!(!is_valid_email("@c.d"));
        assert!(is_valid_username("alice_1", (1, 15)));
        assert!(!is_valid_username("alice smith", (1, 15)));
        assert!(!is_valid_username("a-very-long-username", (1, 15)));
    }
}
