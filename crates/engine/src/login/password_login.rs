//! The password login, once for every [`PasswordDirectory`]: the
//! brute-force gate (`login_protection`), the directory's check, the
//! blocked-user check, syncing a directory's profile into the stored user,
//! and counting the login.
//!
//! A failed login takes the same path and time whether the user is unknown,
//! blocked, or gave a wrong password (the directories verify a dummy hash
//! for unknown users), so no response reveals whether an account exists.

use crate::Engine;
use crate::error::Result;
use crate::login::builtin_directory::BuiltInDatabase;
use crate::login::custom_database::{self, CustomDatabase};
use crate::login::directory::{
    Attempt, DirectoryProfile, LoginOutcome, PasswordDirectory, Verification,
};
use crate::login::identifiers::MAX_IDENTIFIER_BYTES;
use crate::login::login_protection::{self, Gate};
use crate::login::password_policy::MAX_PASSWORD_BYTES;
use model::{Connection, Identity, TenantId, User};

/// The directory that holds the password of `stored` (the built-in store's
/// user, or `None` for one not stored yet) in this connection. Connections
/// without passwords of their own get the built-in database, whose hooks
/// change nothing.
pub fn directory<'a>(
    connection: &'a Connection,
    stored: Option<&User>,
) -> Box<dyn PasswordDirectory + 'a> {
    if custom_database::login_goes_remote(connection, stored) {
        Box::new(CustomDatabase::new(connection))
    } else {
        Box::new(BuiltInDatabase)
    }
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
    let stored = match engine
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
    let attempt = Attempt {
        tenant,
        login,
        password,
        ip_key,
        stored: stored.as_ref(),
    };
    let verification = directory(connection, stored.as_ref())
        .verify(engine, &attempt)
        .await?;
    match verification {
        Verification::Stored(user) => stored_login(engine, connection, &attempt, *user, ip).await,
        Verification::Profile(profile) => {
            profile_login(engine, connection, &attempt, &profile, ip).await
        }
        Verification::WrongCredentials => {
            login_protection::record_failure(engine, tenant, connection, login, ip_key).await?;
            Ok(LoginOutcome::WrongCredentials)
        }
        Verification::Unavailable(reason) => Ok(unavailable(connection, &reason)),
    }
}

fn unavailable(connection: &Connection, reason: &str) -> LoginOutcome {
    tracing::warn!(connection = %connection.name, error = %reason, "password directory login failed");
    LoginOutcome::Unavailable
}

/// Whether a blocked user (or the blocked primary user it is linked to)
/// stands in the way: answered like a wrong password.
fn refused(user: &User, primary: Option<&User>) -> bool {
    user.blocked || primary.is_some_and(|primary| primary.blocked)
}

/// The built-in store's user gave the right password. A user linked to
/// another logs in as that (primary) user, which must not be blocked
/// either; its own record keeps the password.
async fn stored_login(
    engine: &Engine,
    connection: &Connection,
    attempt: &Attempt<'_>,
    user: User,
    ip: Option<&str>,
) -> Result<LoginOutcome> {
    let tenant = attempt.tenant;
    let primary = match engine
        .storage
        .primary_user_id(tenant, &user.user_id)
        .await?
    {
        Some(id) if id != user.user_id => engine.storage.get_user(tenant, &id).await?,
        _ => None,
    };
    if refused(&user, primary.as_ref()) {
        login_protection::record_failure(engine, tenant, connection, attempt.login, attempt.ip_key)
            .await?;
        return Ok(LoginOutcome::WrongCredentials);
    }
    login_protection::record_success(engine, tenant, connection, attempt.login, attempt.ip_key)
        .await?;
    let Some(primary) = primary else {
        return record_password_login(engine, tenant, &user, attempt.password, ip).await;
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

/// A directory outside the built-in store vouched for the user: the
/// profile is synced into the stored user (created at the first login),
/// with the password re-hashed when the directory migrates it here.
async fn profile_login(
    engine: &Engine,
    connection: &Connection,
    attempt: &Attempt<'_>,
    profile: &DirectoryProfile,
    ip: Option<&str>,
) -> Result<LoginOutcome> {
    let tenant = attempt.tenant;
    let user_id = profile.user_id();
    let existing = engine.storage.get_user(tenant, &user_id).await?;
    if let Some(existing) = &existing {
        if existing.connection_id != connection.id {
            let reason = format!("user id {user_id} belongs to another connection");
            return Ok(unavailable(connection, &reason));
        }
        if refused(existing, None) {
            login_protection::record_failure(
                engine,
                tenant,
                connection,
                attempt.login,
                attempt.ip_key,
            )
            .await?;
            return Ok(LoginOutcome::WrongCredentials);
        }
    }
    let password_hash = if profile.keep_password {
        Some(engine.passwords.hash(attempt.password).await?)
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
                    apply_profile(&mut user, profile);
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
            let mut user = new_user(tenant, connection, profile, now);
            user.password_hash = password_hash;
            user.logins_count = 1;
            user.last_login = Some(now);
            user.last_ip = ip;
            match engine.storage.create_user(&user).await {
                Ok(()) => user,
                Err(storage::StorageError::AlreadyExists(what)) => {
                    // Another local user already holds this email/username.
                    let reason =
                        format!("{what} already exists for another user of the connection");
                    return Ok(unavailable(connection, &reason));
                }
                Err(error) => return Err(error.into()),
            }
        }
    };
    login_protection::record_success(engine, tenant, connection, attempt.login, attempt.ip_key)
        .await?;
    Ok(LoginOutcome::LoggedIn(Box::new(user)))
}

/// The directory is the source of the root profile at every login: the
/// email and username always, the other attributes when it has them.
fn apply_profile(user: &mut User, profile: &DirectoryProfile) {
    user.email.clone_from(&profile.email);
    user.email_verified = profile.email_verified;
    user.username.clone_from(&profile.username);
    for (target, value) in [
        (&mut user.name, &profile.name),
        (&mut user.nickname, &profile.nickname),
        (&mut user.given_name, &profile.given_name),
        (&mut user.family_name, &profile.family_name),
        (&mut user.picture, &profile.picture),
    ] {
        if value.is_some() {
            target.clone_from(value);
        }
    }
}

fn new_user(
    tenant: &TenantId,
    connection: &Connection,
    profile: &DirectoryProfile,
    now: i64,
) -> User {
    let local_part = profile
        .email
        .as_deref()
        .and_then(|e| e.split('@').next())
        .map(str::to_owned);
    User {
        tenant_id: tenant.clone(),
        user_id: profile.user_id(),
        connection_id: connection.id.clone(),
        identities: vec![Identity {
            connection: connection.name.clone(),
            connection_id: connection.id.clone(),
            provider: profile.provider.into(),
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
