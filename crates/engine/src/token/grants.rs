//! End-user grants at the token endpoint: `authorization_code` (RFC 6749
//! §4.1.3 with PKCE, RFC 7636), `refresh_token` (§6, with rotation and reuse
//! detection, RFC 9700 §4.14), and Auth0's `password` / `password-realm`.
//!
//! The HTTP layer authenticates the client and parses the request; each
//! function here checks what is specific to its grant and issues tokens.

use crate::authorize::{CODE_KIND, CodeGrant, USED_CODE_KIND};
use crate::login::database_users::LoginOutcome;
use crate::token::oauth_error::{ErrorCode, OAuthError};
use crate::token::tokens::{self, GrantContext, TokenSet};
use crate::{
    Engine, EngineError, login::database_users, login::login_events, management::connections,
    token::opaque_tokens,
};
use model::{Client, RefreshUse, Tenant};

/// Auth0's words for a login blocked by brute-force protection. The same for
/// every identifier, known or not.
pub const BLOCKED_DESCRIPTION: &str =
    "Your account has been blocked after multiple consecutive login attempts from this IP address.";

/// Auth0's words for a login refused by suspicious IP throttling.
pub const THROTTLED_DESCRIPTION: &str = "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.";

fn invalid_grant(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

fn hash(value: &str) -> String {
    crypto::secrets::sha256_base64url(value.as_bytes())
}

fn engine_error(error: impl Into<EngineError>) -> OAuthError {
    OAuthError::from(error.into())
}

fn require_grant(client: &Client, grant_type: &str) -> Result<(), OAuthError> {
    if client.allows_grant(grant_type) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("Grant type '{grant_type}' not allowed for the client."),
        ))
    }
}

/// RFC 7636 §4.6.
fn pkce_matches(grant: &CodeGrant, verifier: Option<&str>) -> bool {
    match (&grant.code_challenge, verifier) {
        (None, None) => true,
        (None, Some(_)) | (Some(_), None) => false,
        (Some(challenge), Some(verifier)) => {
            let well_formed = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !well_formed {
                return false;
            }
            let computed = match grant.code_challenge_method.as_deref() {
                Some("S256") => crypto::secrets::sha256_base64url(verifier.as_bytes()),
                _ => verifier.to_owned(),
            };
            crypto::secrets::constant_time_eq(computed.as_bytes(), challenge.as_bytes())
        }
    }
}

/// `grant_type=authorization_code`.
pub async fn authorization_code(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    code: Option<&str>,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<TokenSet, OAuthError> {
    require_grant(client, "authorization_code")?;
    let code = code
        .filter(|c| !c.is_empty() && c.len() <= 256)
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let now = engine.now();
    let code_hash = hash(code);
    let record = engine
        .storage
        .consume_one_time(&tenant.id, CODE_KIND, &code_hash, now)
        .await
        .map_err(engine_error)?;
    let Some(record) = record else {
        // A replayed code revokes what its first redemption issued (RFC 6749 §4.1.2).
        if let Some(used) = engine
            .storage
            .consume_one_time(&tenant.id, USED_CODE_KIND, &code_hash, now)
            .await
            .map_err(engine_error)?
            && let Some(family) = used.payload.get("family_id").and_then(|v| v.as_str())
        {
            tracing::warn!(tenant = %tenant.id, "authorization code replayed; revoking its tokens");
            engine
                .storage
                .revoke_family(&tenant.id, family, now)
                .await
                .map_err(engine_error)?;
        }
        return Err(invalid_grant("Invalid authorization code"));
    };
    let grant: CodeGrant = serde_json::from_value(record.payload)
        .map_err(|_| invalid_grant("Invalid authorization code"))?;
    // Remember the redemption until well after the code would have expired.
    let tombstone = model::OneTimeRecord {
        tenant_id: tenant.id.clone(),
        kind: USED_CODE_KIND.into(),
        key_hash: code_hash,
        payload: serde_json::json!({ "family_id": grant.family_id }),
        subject: None,
        expires_at: now + 24 * 3_600 * 1000,
        created_at: now,
    };
    match engine.storage.create_one_time(&tombstone).await {
        Ok(()) | Err(storage::StorageError::AlreadyExists(_)) => {}
        Err(error) => return Err(engine_error(error)),
    }
    if grant.client_id != client.client_id {
        return Err(invalid_grant("The code was issued to another client"));
    }
    if redirect_uri != Some(grant.redirect_uri.as_str())
        && !(redirect_uri.is_none() && client.callbacks.len() == 1)
    {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    if !pkce_matches(&grant, code_verifier) {
        return Err(invalid_grant("PKCE verification failed"));
    }
    let user = engine
        .storage
        .get_user(&tenant.id, &grant.user_id)
        .await
        .map_err(engine_error)?
        .filter(|user| !user.blocked)
        .ok_or_else(|| invalid_grant("The user is not available"))?;
    let context = GrantContext {
        user,
        scope: grant.scope,
        audience: grant.audience,
        nonce: grant.nonce,
        auth_time: grant.auth_time,
        sid: grant.sid,
        family_id: grant.family_id,
    };
    let family_expires_at = tokens::family_expiry(engine, client);
    tokens::token_set(engine, tenant, client, &context, family_expires_at)
        .await
        .map_err(engine_error)
}

/// `grant_type=refresh_token`: rotates the token; presenting a rotated token
/// again (outside the reuse interval) revokes its whole family.
///
/// The token is read first, the successors minted and signed from it, and
/// then the mark on the old token and the successors are written in one
/// transaction (one commit per rotation); the mark is conditional, so of
/// concurrent presentations exactly one rotates and the others are reuses.
pub async fn refresh_token(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    refresh_token: Option<&str>,
    requested_scope: Option<&str>,
) -> Result<TokenSet, OAuthError> {
    require_grant(client, "refresh_token")?;
    let value = refresh_token
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let now = engine.now();
    let token_hash = opaque_tokens::key(value);
    // A token of another client is treated as unknown, and never marked used.
    // Its user comes in the same read (checked below, after the token).
    let (token, user) = engine
        .storage
        .get_token_with_user(&tenant.id, &token_hash)
        .await
        .map_err(engine_error)?
        .filter(|(token, _)| token.is_live_refresh_of(&client.client_id, now))
        .ok_or_else(|| invalid_grant("Unknown or invalid refresh token."))?;
    if token.used_at.is_some() {
        allow_reuse(engine, tenant, client, &token, now).await?;
    }
    let scope = match requested_scope.filter(|s| !s.is_empty()) {
        None => token.scope.clone(),
        Some(requested) => {
            let requested = crate::token::scopes::split(requested);
            if requested.iter().any(|s| !token.scope.contains(s)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "The requested scope exceeds the granted scope",
                ));
            }
            requested
        }
    };
    let user = user
        .filter(|user| !user.blocked)
        .ok_or_else(|| invalid_grant("Unknown or invalid refresh token."))?;
    let context = GrantContext {
        user,
        scope,
        audience: token.audience.clone(),
        nonce: None,
        auth_time: token.auth_time,
        sid: token.sid.clone(),
        family_id: token.family_id.clone(),
    };
    let minted = tokens::rotated_token_set(
        engine,
        tenant,
        client,
        &context,
        token.scope.clone(),
        token.family_expires_at,
    )
    .await
    .map_err(engine_error)?;
    if token.used_at.is_none() {
        match engine
            .storage
            .rotate_refresh_token(
                &tenant.id,
                &token_hash,
                &client.client_id,
                now,
                &minted.records,
            )
            .await
            .map_err(engine_error)?
        {
            RefreshUse::Fresh(_) => return Ok(minted.set),
            // A concurrent presentation rotated it first.
            RefreshUse::AlreadyUsed(used) => {
                allow_reuse(engine, tenant, client, &used, now).await?;
            }
            // Revoked or expired since it was read.
            RefreshUse::Invalid => return Err(invalid_grant("Unknown or invalid refresh token.")),
        }
    }
    // A reuse within the interval: the old token is marked already.
    engine
        .storage
        .create_tokens(&minted.records)
        .await
        .map_err(engine_error)?;
    // The family may have been revoked since the token was read (another
    // presentation outside the interval). Read after the successors are
    // stored: a revocation seen here is finished over them; one that comes
    // later sees them stored and revokes them itself.
    let revoked = engine
        .storage
        .get_token(&tenant.id, &token_hash)
        .await
        .map_err(engine_error)?
        .is_none_or(|old| old.revoked_at.is_some());
    if revoked {
        engine
            .storage
            .revoke_family(&tenant.id, &token.family_id, now)
            .await
            .map_err(engine_error)?;
        return Err(invalid_grant("Unknown or invalid refresh token."));
    }
    Ok(minted.set)
}

/// A used refresh token may be presented again within the reuse interval (a
/// client retrying after a lost answer). Outside it the token has leaked:
/// its whole family is revoked and the grant refused.
async fn allow_reuse(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    token: &model::IssuedToken,
    now: i64,
) -> Result<(), OAuthError> {
    let within_interval = token
        .used_at
        .is_some_and(|used| now - used <= engine.settings.refresh_reuse_interval * 1000);
    if within_interval {
        return Ok(());
    }
    tracing::warn!(tenant = %tenant.id, client = %client.client_id, "refresh token reused; revoking its family");
    engine
        .storage
        .revoke_family(&tenant.id, &token.family_id, now)
        .await
        .map_err(engine_error)?;
    Err(invalid_grant("Unknown or invalid refresh token."))
}

/// `grant_type=password` (the tenant's `default_directory`; without one,
/// where Auth0 refuses, the first database connection enabled for the
/// client) and Auth0's `password-realm` (`realm` names the connection). The
/// connection must be enabled for the client. A request without `audience`
/// gets the tenant's `default_audience`.
#[allow(clippy::too_many_arguments)]
pub async fn password(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    grant_type: &str,
    username: Option<&str>,
    password: Option<&str>,
    realm: Option<&str>,
    scope: Option<&str>,
    audience: Option<&str>,
    ip: Option<&str>,
) -> Result<TokenSet, OAuthError> {
    require_grant(client, grant_type)?;
    let username = username
        .filter(|u| !u.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("username is required"))?;
    let password = password
        .filter(|p| !p.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("password is required"))?;
    let enabled = engine
        .storage
        .list_client_connections(&tenant.id, &client.client_id)
        .await
        .map_err(engine_error)?;
    let realm = realm
        .filter(|r| !r.is_empty())
        .or(tenant.settings.default_directory.as_deref());
    let connection = match realm {
        Some(realm) => match enabled.into_iter().find(|c| c.name == realm) {
            Some(c) if database_users::is_database(&c) => Some(c),
            // Enabled, but no password goes there: say so.
            Some(c) if !connections::connection_can_log_in(&c) => {
                return Err(OAuthError::invalid_request(
                    connections::offer::cannot_log_in(&c),
                ));
            }
            Some(c) => {
                return Err(OAuthError::invalid_request(format!(
                    "connection {} is a {} connection, which does not take passwords",
                    c.name, c.strategy
                )));
            }
            None => None,
        },
        None => enabled.into_iter().find(database_users::is_database),
    }
    .ok_or_else(|| OAuthError::invalid_request("The connection is not enabled for this client"))?;
    let audience = audience
        .filter(|a| !a.is_empty())
        .or(tenant.settings.default_audience.as_deref());
    if let Some(audience) = audience
        && engine
            .storage
            .get_resource_server_by_identifier(&tenant.id, audience)
            .await
            .map_err(engine_error)?
            .is_none()
    {
        return Err(OAuthError::new(
            ErrorCode::AccessDenied,
            format!("Service not found: {audience}"),
        ));
    }
    let outcome = database_users::login(engine, &tenant.id, &connection, username, password, ip)
        .await
        .map_err(engine_error)?;
    let origin = login_events::Origin { client, ip };
    login_events::password_login(engine, &tenant.id, origin, &connection, username, &outcome).await;
    let user = match outcome {
        LoginOutcome::LoggedIn(user) => *user,
        LoginOutcome::WrongCredentials => return Err(invalid_grant("Wrong email or password.")),
        LoginOutcome::Blocked => {
            return Err(OAuthError::new(
                ErrorCode::TooManyAttempts,
                BLOCKED_DESCRIPTION,
            ));
        }
        LoginOutcome::Throttled => {
            return Err(OAuthError::new(
                ErrorCode::TooManyAttempts,
                THROTTLED_DESCRIPTION,
            ));
        }
        LoginOutcome::Unavailable => {
            return Err(OAuthError::new(
                ErrorCode::ServerError,
                "The user store of this connection is unavailable; try again later.",
            ));
        }
    };
    let requested = crate::token::scopes::split(scope.unwrap_or("openid"));
    let audience = audience.map(str::to_owned);
    let scope = tokens::granted_scope(engine, tenant, &requested, audience.as_deref())
        .await
        .map_err(engine_error)?;
    let context = GrantContext {
        user,
        scope,
        audience,
        nonce: None,
        auth_time: engine.now(),
        sid: None,
        family_id: crypto::secrets::random_token(16)
            .map_err(|e| engine_error(EngineError::from(e)))?,
    };
    let family_expires_at = tokens::family_expiry(engine, client);
    tokens::token_set(engine, tenant, client, &context, family_expires_at)
        .await
        .map_err(engine_error)
}
