//! The seam between password logins and the stores that hold passwords.
//!
//! A [`PasswordDirectory`] only answers for credentials and for changes to
//! them: the built-in database (`builtin_directory`), a customer's custom
//! database (`custom_database`), and next an LDAP or Active Directory
//! server. Everything around it — brute-force protection, blocked users,
//! syncing the profile into the stored user, counting logins — is written
//! once, in `password_login`, whichever directory answered.

use crate::Engine;
use crate::error::Result;
use async_trait::async_trait;
use model::{TenantId, User};

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

/// One password login, as the directory sees it: the brute-force gate has
/// let it through, and the identifier and password have usable lengths.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub tenant: &'a TenantId,
    /// The identifier typed (email or username), trimmed.
    pub login: &'a str,
    pub password: &'a str,
    /// The client address as the counters record it; it also names the
    /// client whose share of the hashing pool a check uses.
    pub ip_key: &'a str,
    /// The built-in store's user with this identifier, if any.
    pub stored: Option<&'a User>,
}

/// What a directory answers to a credential check.
#[derive(Debug)]
pub enum Verification {
    /// The built-in store's own user, whose stored hash matched.
    Stored(Box<User>),
    /// A directory outside vouches for this profile; it is synced into the
    /// stored user (created at the first login).
    Profile(DirectoryProfile),
    /// Unknown identifier or wrong password (a failed attempt).
    WrongCredentials,
    /// The directory failed or answered something unusable; the reason is
    /// for the logs. Nothing is counted as a failed password.
    Unavailable(String),
}

/// A user's profile as a directory outside the built-in store returns it,
/// already checked like any input.
#[derive(Debug, Clone)]
pub struct DirectoryProfile {
    /// The identity's provider (`auth0` for custom databases).
    pub provider: &'static str,
    /// The directory's stable id of the user (the identity's `user_id`).
    pub id: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub username: Option<String>,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    /// Whether the built-in store keeps the password, re-hashed, from this
    /// login on (lazy migration of a custom database in import mode).
    pub keep_password: bool,
}

impl DirectoryProfile {
    /// The stored user's id: `{provider}|{id}`.
    pub fn user_id(&self) -> String {
        format!("{}|{}", self.provider, self.id)
    }
}

/// A new user as a directory is told about it before the stored record is
/// written (signup and administrators' creates).
#[derive(Debug, Clone, Copy)]
pub struct NewAccount<'a> {
    /// The id after `{provider}|`.
    pub id: &'a str,
    pub email: &'a str,
    pub username: Option<&'a str>,
    pub password: &'a str,
    /// The password as the built-in store hashes it.
    pub password_hash: &'a str,
}

/// A store of passwords behind a password connection.
#[async_trait]
pub trait PasswordDirectory: Send + Sync {
    /// Checks the attempt's password for its identifier. Unknown users cost
    /// the same work as a wrong password, so timing reveals no account.
    async fn verify(&self, engine: &Engine, attempt: &Attempt<'_>) -> Result<Verification>;

    /// Before a new user's record is written: creates or checks the user in
    /// the directory. Returns whether the stored record keeps the password
    /// hash. A directory without signup refuses here.
    async fn before_create(&self, engine: &Engine, account: &NewAccount<'_>) -> Result<bool>;

    /// Administrators' changes to the credentials of a stored user: a new
    /// password (clear text and hash) and marking the email verified.
    /// Returns whether the stored record keeps a password hash.
    async fn apply_credential_changes(
        &self,
        engine: &Engine,
        user: &User,
        new_password: Option<(&str, &str)>,
        verify_email: bool,
    ) -> Result<bool>;

    /// Before a stored user is deleted: deletes them in the directory.
    async fn before_delete(&self, engine: &Engine, user: &User) -> Result<()>;
}
