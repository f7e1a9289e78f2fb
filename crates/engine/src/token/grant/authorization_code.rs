//! `grant_type=authorization_code` (RFC 6749 §4.1.3) with PKCE (RFC 7636):
//! a code is redeemed once; a replayed code revokes what its first
//! redemption issued.

use crate::Engine;
use crate::authorize::{CODE_KIND, CodeGrant, USED_CODE_KIND};
use crate::token::grant::errors::{engine_error, invalid_grant};
use crate::token::oauth_error::OAuthError;
use crate::token::request::AuthorizationCodeRequest;
use crate::token::tokens::{self, GrantContext, TokenSet};
use model::{Client, Tenant};

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

pub async fn issue(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    request: &AuthorizationCodeRequest,
) -> Result<TokenSet, OAuthError> {
    let now = engine.now();
    let code_hash = crypto::secrets::sha256_base64url(request.code.as_bytes());
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
    if request.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str())
        && !(request.redirect_uri.is_none() && client.callbacks.len() == 1)
    {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    if !pkce_matches(&grant, request.code_verifier.as_deref()) {
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
