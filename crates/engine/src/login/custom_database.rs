//! Custom database connections: an `auth0` connection whose users live in
//! the customer's own store (`enabledDatabaseCustomization: true`), reached
//! through a [`connectors::custom_database::PasswordBackend`].
//!
//! * Without `import_mode`, every login goes to the custom database; the
//!   built-in store keeps only a profile (no password hash) so sessions and
//!   tokens have a user record. Signup creates the user there first.
//! * With `import_mode` (lazy migration), the first successful login copies
//!   the user into the built-in store with the password re-hashed with
//!   argon2id, keeping `auth0|<custom database id>` as `user_id`; from then
//!   on the user logs in, signs up and changes password here and the custom
//!   database is not asked again. Signup first asks the custom database
//!   (`get_user`) so a legacy account cannot be shadowed by a new one.
//!
//! A custom database that fails or cannot be reached ends the login with
//! [`LoginOutcome::Unavailable`]: nothing is created, nothing is counted as
//! a failed password.

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::login::database_users::{LoginOutcome, is_valid_email};
use crate::login::login_protection;
use crate::management::connections::unsealed_options;
pub use connectors::custom_database::CustomDbError;
use connectors::custom_database::{CustomUser, LoginLookup, NewCustomUser, PasswordBackend};
use model::{Connection, Identity, TenantId, User};
use serde_json::Value;
use std::sync::Arc;

const MAX_ID_LEN: usize = 200;
const MAX_TEXT: usize = 300;

/// Whether the connection's users live in a custom database.
pub fn is_custom(connection: &Connection) -> bool {
    connection.strategy == "auth0"
        && connection
            .options
            .get("enabledDatabaseCustomization")
            .and_then(Value::as_bool)
            .unwrap_or(false)
}

/// Whether users are migrated into the built-in store at first login.
pub fn import_mode(connection: &Connection) -> bool {
    is_custom(connection)
        && connection
            .options
            .get("import_mode")
            .and_then(Value::as_bool)
            .unwrap_or(false)
}

/// Whether a login for this locally found user (or none) must ask the
/// custom database: always without import mode; with it, until the user
/// has been migrated (has a local password hash).
pub(crate) fn login_goes_remote(connection: &Connection, local: Option<&User>) -> bool {
    is_custom(connection)
        && !(import_mode(connection) && local.is_some_and(|u| u.password_hash.is_some()))
}

async fn backend(
    engine: &Engine,
    connection: &Connection,
) -> std::result::Result<Arc<dyn PasswordBackend>, CustomDbError> {
    let options = unsealed_options(engine, connection)
        .map_err(|e| CustomDbError::NotConfigured(format!("options: {e}")))?;
    engine
        .custom_databases
        .backend(&connection.id, &options)
        .await
}

fn unavailable(connection: &Connection, error: &CustomDbError) -> LoginOutcome {
    tracing::warn!(connection = %connection.name, error = %error, "custom database login failed");
    LoginOutcome::Unavailable
}

/// A password login against the custom database (see the module docs).
/// `local` is the built-in store's user found by the identifier, if any.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn login(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    login: &str,
    password: &str,
    ip: Option<&str>,
    ip_key: &str,
) -> Result<LoginOutcome> {
    let backend = match backend(engine, connection).await {
        Ok(backend) => backend,
        Err(error) => return Ok(unavailable(connection, &error)),
    };
    let lookup = match backend.login(login, password).await {
        Ok(lookup) => lookup,
        Err(error) => return Ok(unavailable(connection, &error)),
    };
    let accepted = match lookup {
        LoginLookup::NotFound => {
            // Same work as a wrong password, so timing tells nothing.
            engine
                .passwords
                .verify_for(Some(ip_key), password, None)
                .await?;
            None
        }
        LoginLookup::WrongPassword => None,
        LoginLookup::Authenticated(user) => Some(user),
        LoginLookup::Verify(user) => {
            // An unknown or malformed hash verifies as false: fail closed.
            let ok = engine
                .passwords
                .verify(password, user.password_hash.as_deref())
                .await?;
            ok.then_some(user)
        }
    };
    let Some(remote) = accepted else {
        login_protection::record_failure(engine, tenant, connection, login, ip_key).await?;
        return Ok(LoginOutcome::WrongCredentials);
    };
    let profile = match Profile::from_remote(&remote, login) {
        Ok(profile) => profile,
        Err(error) => return Ok(unavailable(connection, &error)),
    };
    let user_id = format!("auth0|{}", profile.id);
    let existing = engine.storage.get_user(tenant, &user_id).await?;
    if let Some(existing) = &existing {
        if existing.connection_id != connection.id {
            let error = CustomDbError::InvalidResponse(format!(
                "user id {user_id} belongs to another connection"
            ));
            return Ok(unavailable(connection, &error));
        }
        if existing.blocked {
            login_protection::record_failure(engine, tenant, connection, login, ip_key).await?;
            return Ok(LoginOutcome::WrongCredentials);
        }
    }
    // Lazy migration keeps the password, re-hashed with argon2id.
    let password_hash = if import_mode(connection) {
        Some(engine.passwords.hash(password).await?)
    } else {
        None
    };
    let now = engine.now();
    let ip = ip.map(str::to_owned);
    let user = match existing {
        Some(_) => {
            engine
                .storage
                .update_user(tenant, &user_id, &|mut user: User| {
                    profile.apply(&mut user);
                    if let Some(hash) = &password_hash {
                        user.password_hash = Some(hash.clone());
                    }
                    user.logins_count += 1;
                    user.last_login = Some(now);
                    user.last_ip = ip.clone();
                    user.updated_at = now;
                    Ok(user)
                })
                .await?
        }
        None => {
            let mut user = new_user(tenant, connection, &profile, now);
            user.password_hash = password_hash;
            user.logins_count = 1;
            user.last_login = Some(now);
            user.last_ip = ip;
            match engine.storage.create_user(&user).await {
                Ok(()) => user,
                Err(storage::StorageError::AlreadyExists(what)) => {
                    // Another local user already holds this email/username.
                    let error = CustomDbError::InvalidResponse(format!(
                        "{what} already exists for another user of the connection"
                    ));
                    return Ok(unavailable(connection, &error));
                }
                Err(error) => return Err(error.into()),
            }
        }
    };
    login_protection::record_success(engine, tenant, connection, login, ip_key).await?;
    Ok(LoginOutcome::LoggedIn(Box::new(user)))
}

/// Signup/create on a custom database connection, before the local record
/// is written. Returns whether the local record keeps the password hash.
///
/// Import mode: refuses an email the custom database already knows (the
/// legacy user migrates at login instead). Otherwise: creates the user in
/// the custom database.
pub(crate) async fn before_create(
    engine: &Engine,
    connection: &Connection,
    user: &NewCustomUser,
) -> Result<bool> {
    let backend = backend(engine, connection)
        .await
        .map_err(EngineError::CustomDatabase)?;
    if import_mode(connection) {
        return match backend.get_user(&user.email).await {
            Ok(Some(_)) => Err(EngineError::UserExists),
            Ok(None) | Err(CustomDbError::OperationMissing(_)) => Ok(true),
            Err(error) => Err(EngineError::CustomDatabase(error)),
        };
    }
    match backend.create(user).await {
        Ok(()) => Ok(false),
        Err(CustomDbError::UserExists) => Err(EngineError::UserExists),
        Err(error) => Err(EngineError::CustomDatabase(error)),
    }
}

/// The profile a custom database returned, checked like any input.
struct Profile {
    id: String,
    email: Option<String>,
    email_verified: bool,
    username: Option<String>,
    name: Option<String>,
    nickname: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    picture: Option<String>,
}

fn clean(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| {
            !v.is_empty() && v.chars().count() <= MAX_TEXT && !v.chars().any(char::is_control)
        })
        .map(str::to_owned)
}

impl Profile {
    fn from_remote(remote: &CustomUser, login: &str) -> std::result::Result<Self, CustomDbError> {
        let id = remote.id.trim();
        let id_ok = !id.is_empty()
            && id.len() <= MAX_ID_LEN
            && id.chars().all(|c| c.is_ascii_graphic() && c != '|');
        if !id_ok {
            return Err(CustomDbError::InvalidResponse(
                "the user id must be 1 to 200 printable ASCII characters without `|`".into(),
            ));
        }
        let email = clean(&remote.email)
            .or_else(|| Some(login.to_owned()))
            .filter(|e| is_valid_email(e))
            .map(|e| User::normalize_login(&e));
        let username = clean(&remote.username);
        if email.is_none() && username.is_none() {
            return Err(CustomDbError::InvalidResponse(
                "the user has neither a valid email nor a username".into(),
            ));
        }
        let picture = clean(&remote.picture).filter(|p| {
            crate::validation::check_url("picture", p, crate::validation::UrlKind::Http).is_ok()
        });
        Ok(Self {
            id: id.to_owned(),
            email,
            email_verified: remote.email_verified,
            username,
            name: clean(&remote.name),
            nickname: clean(&remote.nickname),
            given_name: clean(&remote.given_name),
            family_name: clean(&remote.family_name),
            picture,
        })
    }

    fn apply(&self, user: &mut User) {
        user.email.clone_from(&self.email);
        user.email_verified = self.email_verified;
        user.username.clone_from(&self.username);
        for (target, value) in [
            (&mut user.name, &self.name),
            (&mut user.nickname, &self.nickname),
            (&mut user.given_name, &self.given_name),
            (&mut user.family_name, &self.family_name),
            (&mut user.picture, &self.picture),
        ] {
            if value.is_some() {
                target.clone_from(value);
            }
        }
    }
}

fn new_user(tenant: &TenantId, connection: &Connection, profile: &Profile, now: i64) -> User {
    let local_part = profile
        .email
        .as_deref()
        .and_then(|e| e.split('@').next())
        .map(str::to_owned);
    User {
        tenant_id: tenant.clone(),
        user_id: format!("auth0|{}", profile.id),
        connection_id: connection.id.clone(),
        identities: vec![Identity {
            connection: connection.name.clone(),
            connection_id: connection.id.clone(),
            provider: "auth0".into(),
            user_id: profile.id.clone(),
            is_social: false,
            profile_data: None,
            upstream_tokens: None,
        }],
        name: profile
            .name
            .clone()
            .or_else(|| profile.email.clone())
            .or_else(|| profile.username.clone()),
        nickname: profile
            .nickname
            .clone()
            .or(local_part)
            .or_else(|| profile.username.clone()),
        email: profile.email.clone(),
        email_verified: profile.email_verified,
        username: profile.username.clone(),
        phone_number: None,
        phone_verified: false,
        given_name: profile.given_name.clone(),
        family_name: profile.family_name.clone(),
        picture: profile.picture.clone(),
        password_hash: None,
        password_history: Vec::new(),
        blocked: false,
        user_metadata: serde_json::Map::new(),
        app_metadata: serde_json::Map::new(),
        logins_count: 0,
        last_login: None,
        last_ip: None,
        created_at: now,
        updated_at: now,
    }
}

/// Management API changes to a user of a custom database connection
/// without import mode: the password and the verified flag live in the
/// customer's store, so they are written there (`change_password`,
/// `verify`). Returns whether the built-in store keeps a password hash.
/// With import mode (or a plain database connection) nothing happens here.
pub(crate) async fn apply_credential_changes(
    engine: &Engine,
    connection: &Connection,
    user: &User,
    new_password: Option<(&str, &str)>,
    verify_email: bool,
) -> Result<bool> {
    if !is_custom(connection) || import_mode(connection) {
        return Ok(true);
    }
    if new_password.is_none() && !verify_email {
        return Ok(false);
    }
    let email = user
        .email
        .as_deref()
        .ok_or_else(|| EngineError::invalid("email", "the user has no email"))?;
    let backend = backend(engine, connection)
        .await
        .map_err(EngineError::CustomDatabase)?;
    if let Some((password, hash)) = new_password {
        match backend.change_password(email, password, hash).await {
            Ok(true) => {}
            Ok(false) => return Err(EngineError::NotFound("user in the custom database")),
            Err(CustomDbError::OperationMissing(op)) => {
                return Err(EngineError::Forbidden(format!(
                    "The custom database of this connection has no `{op}` operation"
                )));
            }
            Err(error) => return Err(EngineError::CustomDatabase(error)),
        }
    }
    if verify_email {
        match backend.verify(email).await {
            // Without a `verify` operation only the local flag changes.
            Ok(()) | Err(CustomDbError::OperationMissing(_)) => {}
            Err(error) => return Err(EngineError::CustomDatabase(error)),
        }
    }
    Ok(false)
}

/// Deleting a user of a custom database connection without import mode
/// deletes them in the customer's store first (`delete`, when configured).
pub(crate) async fn before_delete(
    engine: &Engine,
    connection: &Connection,
    user: &User,
) -> Result<()> {
    if !is_custom(connection) || import_mode(connection) {
        return Ok(());
    }
    let id = user.user_id.trim_start_matches("auth0|");
    let backend = backend(engine, connection)
        .await
        .map_err(EngineError::CustomDatabase)?;
    match backend.delete(id).await {
        Ok(()) | Err(CustomDbError::OperationMissing(_)) => Ok(()),
        Err(error) => Err(EngineError::CustomDatabase(error)),
    }
}
