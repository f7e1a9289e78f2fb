//! `grant_type=refresh_token` (RFC 6749 §6) with rotation and reuse
//! detection (RFC 9700 §4.14).

use crate::Engine;
use crate::token::grant::errors::{engine_error, invalid_grant};
use crate::token::oauth_error::{ErrorCode, OAuthError};
use crate::token::opaque_tokens;
use crate::token::request::RefreshTokenRequest;
use crate::token::tokens::{self, GrantContext, TokenSet};
use model::{Client, RefreshUse, Tenant};

/// `grant_type=refresh_token`: rotates the token; presenting a rotated token
/// again (outside the reuse interval) revokes its whole family.
///
/// The token is read first, the successors minted and signed from it, and
/// then the mark on the old token and the successors are written in one
/// transaction (one commit per rotation); the mark is conditional, so of
/// concurrent presentations exactly one rotates and the others are reuses.
pub async fn issue(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    request: &RefreshTokenRequest,
) -> Result<TokenSet, OAuthError> {
    let now = engine.now();
    let token_hash = opaque_tokens::key(&request.refresh_token);
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
    let scope = match &request.scope {
        None => token.scope.clone(),
        Some(requested) => {
            if requested.iter().any(|s| !token.scope.contains(s)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "The requested scope exceeds the granted scope",
                ));
            }
            requested.clone()
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
