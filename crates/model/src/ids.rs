//! Identifier formats. Auth0's ids are a prefix plus random alphanumerics
//! (`con_`, `cgr_`, …); ours are the same shape so SDK regexes accept them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The name of a tenant. Every record belongs to exactly one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub String);

impl TenantId {
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Tenant names are DNS labels: lowercase letters, digits and inner hyphens, 1–63 chars.
    pub fn is_valid(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= 63
            && !name.starts_with('-')
            && !name.ends_with('-')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` characters drawn uniformly from `[A-Za-z0-9]` by the system CSPRNG.
///
/// Identifiers and secrets come from the operating system's generator
/// (`getrandom`), not AWS-LC's: AWS-LC seeds its own generator on first
/// use with CPU-jitter entropy, tens of milliseconds of one core, and the
/// first start of a server creates records (and hashes the bootstrap
/// client's secret) before it is ready.
pub fn random_alphanumeric(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        if getrandom::fill(&mut buf).is_err() {
            continue;
        }
        for byte in buf {
            // 62 * 4 = 248: reject 248..=255 so every character is equally likely.
            if byte < 248 && out.len() < len {
                out.push(char::from(ALPHANUMERIC[usize::from(byte % 62)]));
            }
        }
    }
    out
}

/// A new identifier with Auth0's prefix convention, e.g. `new_id("con")` → `con_Ab3…` (16 chars).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_alphanumeric(16))
}

/// A new `client_id`: 32 alphanumerics, as Auth0 issues them.
pub fn new_client_id() -> String {
    random_alphanumeric(32)
}

/// A new random secret: 48 random bytes, base64url without padding (64 chars).
pub fn new_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 48];
    while getrandom::fill(&mut bytes).is_err() {}
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_auth0_shape() {
        let id = new_id("con");
        assert!(id.starts_with("con_"));
        assert_eq!(id.len(), 20);
        assert!(id[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(new_id("con"), new_id("con"));
        assert_eq!(new_client_id().len(), 32);
        assert_eq!(new_secret().len(), 64);
    }

    #[test]
    fn tenant_names_are_dns_labels() {
        assert!(TenantId::is_valid("acme"));
        assert!(TenantId::is_valid("acme-2"));
        assert!(!TenantId::is_valid(""));
        assert!(!TenantId::is_valid("Acme"));
        assert!(!TenantId::is_valid("-acme"));
        assert!(!TenantId::is_valid("a.b"));
    }
}
