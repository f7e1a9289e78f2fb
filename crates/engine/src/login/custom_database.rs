//! Custom database connections: an `auth0` connection whose users live in
//! the customer's own store (`enabledDatabaseCustomization: true`), reached
//! through a [`connectors::custom_database::PasswordBackend`]; as a
//! [`PasswordDirectory`], [`CustomDatabase`].
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
//! A custom database that fails or cannot be reached ends the login as
//! unavailable: nothing is created, nothing is counted as a failed password.

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::login::directory::{
    Attempt, DirectoryProfile, NewAccount, PasswordDirectory, Verification,
};
use crate::login::identifiers::is_valid_email;
use crate::management::connections::unsealed_options;
use async_trait::async_trait;
pub use connectors::custom_database::CustomDbError;
use connectors::custom_database::{CustomUser, LoginLookup, NewCustomUser, PasswordBackend};
use model::{Connection, User};
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

/// A connection's custom database (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct CustomDatabase<'a> {
    connection: &'a Connection,
}

impl<'a> CustomDatabase<'a> {
    pub fn new(connection: &'a Connection) -> Self {
        Self { connection }
    }

    async fn backend(
        &self,
        engine: &Engine,
    ) -> std::result::Result<Arc<dyn PasswordBackend>, CustomDbError> {
        let options = unsealed_options(engine, self.connection)
            .map_err(|e| CustomDbError::NotConfigured(format!("options: {e}")))?;
        engine
            .custom_databases
            .backend(&self.connection.id, &options)
            .await
    }
}

#[async_trait]
impl PasswordDirectory for CustomDatabase<'_> {
    async fn verify(&self, engine: &Engine, attempt: &Attempt<'_>) -> Result<Verification> {
        let backend = match self.backend(engine).await {
            Ok(backend) => backend,
            Err(error) => return Ok(Verification::Unavailable(error.to_string())),
        };
        let lookup = match backend.login(attempt.login, attempt.password).await {
            Ok(lookup) => lookup,
            Err(error) => return Ok(Verification::Unavailable(error.to_string())),
        };
        let accepted = match lookup {
            LoginLookup::NotFound => {
                // Same work as a wrong password, so timing tells nothing.
                engine
                    .passwords
                    .verify_for(Some(attempt.ip_key), attempt.password, None)
                    .await?;
                None
            }
            LoginLookup::WrongPassword => None,
            LoginLookup::Authenticated(user) => Some(user),
            LoginLookup::Verify(user) => {
                // An unknown or malformed hash verifies as false: fail closed.
                let ok = engine
                    .passwords
                    .verify(attempt.password, user.password_hash.as_deref())
                    .await?;
                ok.then_some(user)
            }
        };
        let Some(remote) = accepted else {
            return Ok(Verification::WrongCredentials);
        };
        Ok(match profile(&remote, attempt.login, self.connection) {
            Ok(profile) => Verification::Profile(profile),
            Err(error) => Verification::Unavailable(error.to_string()),
        })
    }

    /// Import mode: refuses an email the custom database already knows
    /// (the legacy user migrates at login instead); the stored record keeps
    /// the hash. Otherwise: creates the user in the custom database, which
    /// keeps the password.
    async fn before_create(&self, engine: &Engine, account: &NewAccount<'_>) -> Result<bool> {
        let backend = self
            .backend(engine)
            .await
            .map_err(EngineError::CustomDatabase)?;
        if import_mode(self.connection) {
            return match backend.get_user(account.email).await {
                Ok(Some(_)) => Err(EngineError::UserExists),
                Ok(None) | Err(CustomDbError::OperationMissing(_)) => Ok(true),
                Err(error) => Err(EngineError::CustomDatabase(error)),
            };
        }
        let user = NewCustomUser {
            id: account.id.to_owned(),
            email: account.email.to_owned(),
            username: account.username.map(str::to_owned),
            password: account.password.to_owned(),
            password_hash: account.password_hash.to_owned(),
        };
        match backend.create(&user).await {
            Ok(()) => Ok(false),
            Err(CustomDbError::UserExists) => Err(EngineError::UserExists),
            Err(error) => Err(EngineError::CustomDatabase(error)),
        }
    }

    /// Without import mode the password and the verified flag live in the
    /// customer's store, so they are written there (`change_password`,
    /// `verify`) and the stored record keeps no hash. With import mode
    /// nothing happens here.
    async fn apply_credential_changes(
        &self,
        engine: &Engine,
        user: &User,
        new_password: Option<(&str, &str)>,
        verify_email: bool,
    ) -> Result<bool> {
        if import_mode(self.connection) {
            return Ok(true);
        }
        if new_password.is_none() && !verify_email {
            return Ok(false);
        }
        let email = user
            .email
            .as_deref()
            .ok_or_else(|| EngineError::invalid("email", "the user has no email"))?;
        let backend = self
            .backend(engine)
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

    /// Without import mode the user is deleted in the customer's store
    /// first (`delete`, when configured).
    async fn before_delete(&self, engine: &Engine, user: &User) -> Result<()> {
        if import_mode(self.connection) {
            return Ok(());
        }
        let id = user.user_id.trim_start_matches("auth0|");
        let backend = self
            .backend(engine)
            .await
            .map_err(EngineError::CustomDatabase)?;
        match backend.delete(id).await {
            Ok(()) | Err(CustomDbError::OperationMissing(_)) => Ok(()),
            Err(error) => Err(EngineError::CustomDatabase(error)),
        }
    }
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

/// The profile a custom database returned, checked like any input.
fn profile(
    remote: &CustomUser,
    login: &str,
    connection: &Connection,
) -> std::result::Result<DirectoryProfile, CustomDbError> {
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
    Ok(DirectoryProfile {
        provider: "auth0",
        id: id.to_owned(),
        email,
        email_verified: remote.email_verified,
        username,
        name: clean(&remote.name),
        nickname: clean(&remote.nickname),
        given_name: clean(&remote.given_name),
        family_name: clean(&remote.family_name),
        picture,
        // Lazy migration keeps the password, re-hashed with argon2id.
        keep_password: import_mode(connection),
    })
}
