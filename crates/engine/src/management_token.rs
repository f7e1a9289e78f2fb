//! Who is calling the Management API: a bearer JWT that this tenant signed,
//! whose audience is the tenant's Management API, carrying scopes.

use crate::Engine;
use model::{SigningAlg, Tenant};
use std::collections::BTreeSet;

/// An authenticated Management API caller.
#[derive(Debug, Clone)]
pub struct ManagementCaller {
    pub subject: String,
    pub scopes: BTreeSet<String>,
}

impl ManagementCaller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManagementAuthError {
    #[error("Missing authentication")]
    Missing,
    #[error("Invalid token")]
    Invalid(#[source] Option<crypto::JwtError>),
    #[error("Bad audience: {0}")]
    WrongAudience(String),
    #[error("Insufficient scope, expected any of: {0}")]
    InsufficientScope(String),
    #[error("the server could not check the token")]
    Engine(#[from] crate::EngineError),
}

/// Verifies a Management API bearer token for this tenant.
pub async fn authenticate(
    engine: &Engine,
    tenant: &Tenant,
    token: &str,
) -> Result<ManagementCaller, ManagementAuthError> {
    if token.is_empty() {
        return Err(ManagementAuthError::Missing);
    }
    let audience = tenant.management_audience();
    // Only access tokens (RFC 9068 `typ`), so an ID token can never pass.
    let expectations =
        crypto::Expectations::new(tenant.issuer.clone(), audience.clone()).with_typ("at+jwt");
    let verify = |keys: &[crypto::PublicKey]| {
        crypto::verify_jwt(
            token,
            keys,
            &SigningAlg::ALL,
            &expectations,
            engine.clock.now_seconds(),
        )
    };
    let keys = engine.keys.verification_keys(&tenant.id, false).await?;
    let mut result = verify(&keys);
    if matches!(result, Err(crypto::JwtError::UnknownKey)) {
        // Another node may have rotated since this node cached the keys.
        let keys = engine.keys.verification_keys(&tenant.id, true).await?;
        result = verify(&keys);
    }
    let claims = result.map_err(|error| match error {
        crypto::JwtError::WrongAudience => ManagementAuthError::WrongAudience(audience.clone()),
        other => ManagementAuthError::Invalid(Some(other)),
    })?;
    let scopes = claims
        .get("scope")
        .and_then(serde_json::Value::as_str)
        .map(|s| crate::scopes::split(s).into_iter().collect())
        .unwrap_or_default();
    let subject = claims
        .get("sub")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok(ManagementCaller { subject, scopes })
}
