//! `/userinfo` (OIDC Core §5.3) and token introspection (RFC 7662): both
//! turn an access token back into who it speaks for.

use crate::token::oauth_error::{ErrorCode, OAuthError};
use crate::token::tokens;
use crate::token::verify::{unverified_audience, verify_own_jwt};
use crate::{Engine, EngineError, token::opaque_tokens};
use model::{Client, IssuedToken, Tenant, TokenKind, User};
use serde_json::{Map, Value, json};

fn invalid_token() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidToken,
        "The access token is invalid or has expired",
    )
}

fn engine_error(error: impl Into<EngineError>) -> OAuthError {
    OAuthError::from(error.into())
}

fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2
}

/// Verifies a JWT access token this tenant issued; returns its claims.
async fn verify_access_jwt(
    engine: &Engine,
    tenant: &Tenant,
    token: &str,
    audience: Option<&str>,
) -> Option<Value> {
    // Introspection (no audience): any audience of this issuer, read first
    // and then verified against.
    let audience = match audience {
        Some(audience) => audience.to_owned(),
        None => unverified_audience(token)?,
    };
    let expectations =
        crypto::Expectations::new(tenant.issuer.clone(), audience).with_typ("at+jwt");
    verify_own_jwt(engine, tenant, token, &expectations)
        .await
        .ok()
}

/// A live opaque access token or refresh token.
async fn live_token(
    engine: &Engine,
    tenant: &Tenant,
    token: &str,
) -> Result<Option<IssuedToken>, OAuthError> {
    if token.is_empty() || token.len() > 256 {
        return Ok(None);
    }
    let hash = opaque_tokens::key(token);
    let now = engine.now();
    Ok(engine
        .storage
        .get_token(&tenant.id, &hash)
        .await
        .map_err(engine_error)?
        .filter(|t| {
            t.revoked_at.is_none()
                && t.expires_at > now
                && t.family_expires_at > now
                && t.used_at.is_none()
        }))
}

/// The claims `/userinfo` returns for a bearer access token.
pub async fn userinfo(
    engine: &Engine,
    tenant: &Tenant,
    token: &str,
) -> Result<Map<String, Value>, OAuthError> {
    let (user_id, scope) = if looks_like_jwt(token) {
        let userinfo_audience = format!("{}userinfo", tenant.issuer);
        let claims = verify_access_jwt(engine, tenant, token, Some(&userinfo_audience))
            .await
            .ok_or_else(invalid_token)?;
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(invalid_token)?
            .to_owned();
        let scope =
            crate::token::scopes::split(claims.get("scope").and_then(Value::as_str).unwrap_or(""));
        (sub, scope)
    } else {
        let record = live_token(engine, tenant, token)
            .await?
            .filter(|t| t.kind == TokenKind::Access)
            .ok_or_else(invalid_token)?;
        (record.user_id, record.scope)
    };
    if !scope.iter().any(|s| s == "openid") {
        return Err(OAuthError::new(
            ErrorCode::InsufficientScope,
            "The access token was not issued for OpenID Connect",
        ));
    }
    let user: User = engine
        .storage
        .get_user(&tenant.id, &user_id)
        .await
        .map_err(engine_error)?
        .filter(|u| !u.blocked)
        .ok_or_else(invalid_token)?;
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.user_id));
    claims.extend(tokens::user_claims(tenant, &user, &scope));
    Ok(claims)
}

/// RFC 7662 introspection. Stored tokens are described only to the client
/// they were issued to; JWT access tokens to any authenticated client (the
/// token itself already carries what is returned).
pub async fn introspect(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    token: &str,
) -> Result<Value, OAuthError> {
    let inactive = json!({ "active": false });
    if looks_like_jwt(token) {
        let Some(claims) = verify_access_jwt(engine, tenant, token, None).await else {
            return Ok(inactive);
        };
        let mut out = json!({ "active": true, "token_type": "Bearer" });
        if let (Value::Object(out), Value::Object(claims)) = (&mut out, claims) {
            for name in [
                "scope",
                "client_id",
                "sub",
                "aud",
                "iss",
                "exp",
                "iat",
                "jti",
            ] {
                if let Some(value) = claims.get(name) {
                    out.insert(name.into(), value.clone());
                }
            }
        }
        return Ok(out);
    }
    let Some(record) = live_token(engine, tenant, token)
        .await?
        .filter(|t| t.client_id == client.client_id)
    else {
        return Ok(inactive);
    };
    Ok(json!({
        "active": true,
        "scope": record.scope.join(" "),
        "client_id": record.client_id,
        "sub": record.user_id,
        "iss": tenant.issuer,
        "exp": record.expires_at.div_euclid(1000),
        "iat": record.created_at.div_euclid(1000),
        "token_type": match record.kind { TokenKind::Access => "Bearer", TokenKind::Refresh => "refresh_token" },
    }))
}

/// RFC 7009 revocation: a client revokes one of its own refresh or opaque
/// access tokens, and with it the tokens of the same grant. Unknown tokens
/// and other clients' tokens are ignored (the answer is the same).
pub async fn revoke(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    token: &str,
) -> Result<(), OAuthError> {
    if token.is_empty() || token.len() > 8_192 || looks_like_jwt(token) {
        return Ok(());
    }
    let hash = opaque_tokens::key(token);
    if let Some(record) = engine
        .storage
        .get_token(&tenant.id, &hash)
        .await
        .map_err(engine_error)?
        && record.client_id == client.client_id
    {
        engine
            .storage
            .revoke_family(&tenant.id, &record.family_id, engine.now())
            .await
            .map_err(engine_error)?;
    }
    Ok(())
}
