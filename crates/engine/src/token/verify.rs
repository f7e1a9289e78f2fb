//! Verifying a JWT this tenant signed itself: Management API tokens, JWT
//! access tokens at `/userinfo` and introspection, `id_token_hint` and
//! `link_with`. One function, so every caller checks the signature against
//! the tenant's keys the same way and survives another node's key rotation.

use crate::{Engine, EngineError};
use base64::Engine as _;
use model::{SigningAlg, Tenant};
use serde_json::Value;

/// Why a token of the tenant's own was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum OwnJwtError {
    /// The token fails the expectations (signature, issuer, audience, …).
    #[error("the token is not valid: {0}")]
    Rejected(#[source] crypto::JwtError),
    /// The tenant's keys could not be read.
    #[error(transparent)]
    Keys(#[from] EngineError),
}

/// Verifies `token` against the tenant's published keys and `expectations`
/// (the caller's audience, `typ`, leeway, …) and returns its claims. A `kid`
/// this node does not know reads the keys again first: another node may
/// have rotated since this node cached them.
pub async fn verify_own_jwt(
    engine: &Engine,
    tenant: &Tenant,
    token: &str,
    expectations: &crypto::Expectations,
) -> Result<Value, OwnJwtError> {
    let verify = |keys: &[crypto::PublicKey]| {
        crypto::verify_jwt(
            token,
            keys,
            &SigningAlg::ALL,
            expectations,
            engine.clock.now_seconds(),
        )
    };
    let keys = engine.keys.verification_keys(&tenant.id, false).await?;
    let mut result = verify(&keys);
    if matches!(result, Err(crypto::JwtError::UnknownKey)) {
        let keys = engine.keys.verification_keys(&tenant.id, true).await?;
        result = verify(&keys);
    }
    result.map_err(OwnJwtError::Rejected)
}

/// The first audience of a JWT, read before verification only to choose
/// the audience to verify against (the verification then checks it).
pub fn unverified_audience(token: &str) -> Option<String> {
    if token.len() > crypto::jwt_verify::DEFAULT_MAX_TOKEN_BYTES {
        return None;
    }
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    match claims.get("aud")? {
        Value::String(aud) => Some(aud.clone()),
        Value::Array(auds) => auds.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audience_is_read_from_the_payload() {
        let encode = |claims: &str| {
            format!(
                "e30.{}.sig",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims)
            )
        };
        assert_eq!(
            unverified_audience(&encode(r#"{"aud":"abc"}"#)).as_deref(),
            Some("abc")
        );
        assert_eq!(
            unverified_audience(&encode(r#"{"aud":["x","y"]}"#)).as_deref(),
            Some("x")
        );
        assert_eq!(unverified_audience(&encode(r#"{"sub":"a"}"#)), None);
        assert_eq!(unverified_audience("not-a-token"), None);
    }
}
