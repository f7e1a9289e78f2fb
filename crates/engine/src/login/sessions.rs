//! SSO sessions: created at an interactive login, found again from the
//! browser's cookie, ended by logout or by the idle and absolute limits.
//!
//! The cookie holds 256 random bits; storage keeps only their SHA-256, so a
//! leaked database does not yield usable cookies.

use crate::Engine;
use crate::error::Result;
use model::{Session, Tenant, TenantId, User};

/// The session cookie's name.
pub const COOKIE: &str = "vestibule_session";

fn hash(value: &str) -> String {
    crypto::secrets::sha256_base64url(value.as_bytes())
}

/// How long a tenant's sessions live whatever their activity, seconds: the
/// tenant's `session_lifetime` if set, else the server's default. The
/// session cookie's `Max-Age` is the same.
pub fn absolute_lifetime(engine: &Engine, tenant: &Tenant) -> i64 {
    tenant
        .settings
        .session_lifetime_minutes
        .map_or(engine.settings.session_absolute_lifetime, |m| m * 60)
}

/// How long a tenant's sessions survive without activity, seconds: the
/// tenant's `idle_session_lifetime` if set, else the server's default.
pub fn idle_lifetime(engine: &Engine, tenant: &Tenant) -> i64 {
    tenant
        .settings
        .idle_session_lifetime_minutes
        .map_or(engine.settings.session_idle_lifetime, |m| m * 60)
}

/// Starts a session for a user who just authenticated; returns the cookie value.
pub async fn start(
    engine: &Engine,
    tenant: &Tenant,
    user: &User,
    connection: &str,
    amr: &[&str],
) -> Result<(String, Session)> {
    let value = crypto::secrets::random_token(32)?;
    let now = engine.now();
    let session = Session {
        tenant_id: tenant.id.clone(),
        id_hash: hash(&value),
        sid: crypto::secrets::random_token(16)?,
        user_id: user.user_id.clone(),
        connection: connection.to_owned(),
        auth_time: now,
        amr: amr.iter().map(|s| (*s).to_owned()).collect(),
        clients: Vec::new(),
        created_at: now,
        last_active_at: now,
        expires_at: now + absolute_lifetime(engine, tenant) * 1000,
    };
    engine.storage.create_session(&session).await?;
    Ok((value, session))
}

/// The live session behind a cookie value, if any. Expired sessions (idle or
/// absolute) are removed when found. The idle limit is the tenant's as it
/// is now; the absolute one was fixed when the session started.
pub async fn current(
    engine: &Engine,
    tenant: &Tenant,
    cookie: Option<&str>,
) -> Result<Option<Session>> {
    let idle = idle_lifetime(engine, tenant);
    let tenant = &tenant.id;
    let Some(value) = cookie.filter(|v| !v.is_empty() && v.len() <= 128) else {
        return Ok(None);
    };
    let now = engine.now();
    let id_hash = hash(value);
    let Some(session) = engine.storage.get_session(tenant, &id_hash, now).await? else {
        return Ok(None);
    };
    if now - session.last_active_at > idle * 1000 {
        let _ = engine.storage.delete_session(tenant, &id_hash).await;
        return Ok(None);
    }
    if engine
        .storage
        .get_user(tenant, &session.user_id)
        .await?
        .is_none_or(|user| user.blocked)
    {
        let _ = engine.storage.delete_session(tenant, &id_hash).await;
        return Ok(None);
    }
    Ok(Some(session))
}

/// Notes activity and that `client_id` received tokens through the session.
pub async fn touch(engine: &Engine, session: &Session, client_id: &str) -> Result<Session> {
    let now = engine.now();
    let client_id = client_id.to_owned();
    Ok(engine
        .storage
        .update_session(
            &session.tenant_id,
            &session.id_hash,
            &|mut session: Session| {
                session.last_active_at = now;
                if !session.clients.contains(&client_id) {
                    session.clients.push(client_id.clone());
                }
                Ok(session)
            },
        )
        .await?)
}

/// Ends the session behind a cookie value; returns it if there was one.
pub async fn end(
    engine: &Engine,
    tenant: &TenantId,
    cookie: Option<&str>,
) -> Result<Option<Session>> {
    let Some(value) = cookie.filter(|v| !v.is_empty() && v.len() <= 128) else {
        return Ok(None);
    };
    let id_hash = hash(value);
    let session = engine
        .storage
        .get_session(tenant, &id_hash, engine.now())
        .await?;
    if session.is_some() {
        match engine.storage.delete_session(tenant, &id_hash).await {
            Ok(()) | Err(storage::StorageError::NotFound) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(session)
}
