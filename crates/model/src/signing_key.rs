//! Token signing keys. A tenant has one key per algorithm in each of the
//! states `next`, `current` and `previous`; all three are published in the
//! JWKS so that rotation never breaks a verifier.

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};
use std::fmt;

/// JWS algorithms Vestibule signs with. `none` and HMAC with a public key are
/// not representable on purpose (BRIEF §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SigningAlg {
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "ES256")]
    Es256,
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == name)
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Next,
    Current,
    Previous,
    Revoked,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Current => "current",
            Self::Previous => "previous",
            Self::Revoked => "revoked",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Next, Self::Current, Self::Previous, Self::Revoked]
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigningKey {
    pub tenant_id: TenantId,
    pub kid: String,
    pub alg: SigningAlg,
    pub state: KeyState,
    /// The public key as a JWK (with `kid`, `alg`, `use`).
    pub public_jwk: serde_json::Value,
    /// PKCS#8 DER of the private key, sealed under the master key, base64url.
    pub private_sealed: String,
    /// Self-signed certificate (PEM) for the key, as Auth0 publishes one.
    pub cert_pem: Option<String>,
    pub created_at: UnixMillis,
    pub current_since: Option<UnixMillis>,
    pub current_until: Option<UnixMillis>,
    pub revoked_at: Option<UnixMillis>,
}
