//! Small primitives for handling secrets: constant-time comparison (for
//! client secrets, hashed tokens, CSRF values), CSPRNG output, and SHA-256
//! digests in the encodings the rest of Vestibule stores.

use crate::CryptoError;
use crate::b64;
use aws_lc_rs::digest;
use subtle::ConstantTimeEq;

/// Compares two byte strings in time that depends only on their lengths.
/// Lengths are not secret (an attacker controls one side anyway); compare
/// digests if they might be.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// `n` bytes from the system CSPRNG.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, CryptoError> {
    let mut bytes = vec![0u8; n];
    fill_random(&mut bytes)?;
    Ok(bytes)
}

/// Fills `bytes` from the operating system's CSPRNG (`getrandom`). Not
/// AWS-LC's generator: that one seeds itself on first use with CPU-jitter
/// entropy (~30 ms of one core), which put a server's first start (secrets
/// sealed, salts drawn before it is ready) over its start-up budget. AWS-LC
/// still draws its own randomness for signatures and key generation.
pub fn fill_random(bytes: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(bytes).map_err(|_| CryptoError::Random)
}

/// A random opaque token of `n` bytes, base64url without padding (e.g. 32
/// bytes for authorization codes, refresh tokens and session ids).
pub fn random_token(n: usize) -> Result<String, CryptoError> {
    random_bytes(n).map(b64::url_encode)
}

/// SHA-256 of `data`, base64url without padding (PKCE S256, `at_hash`-style
/// values, stored token hashes).
pub fn sha256_base64url(data: &[u8]) -> String {
    b64::url_encode(digest::digest(&digest::SHA256, data))
}

/// SHA-256 of `data`, lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

/// SHA-256 of `data`, raw bytes.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn random_is_random() {
        let a = random_bytes(32).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_bytes(32).unwrap());
        assert_eq!(random_token(32).unwrap().len(), 43);
    }

    #[test]
    fn sha256_encodings() {
        // RFC 7636 appendix B: PKCE S256.
        assert_eq!(
            sha256_base64url(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex::encode(sha256(b"abc")), sha256_hex(b"abc"));
    }
}

/// OIDC's `at_hash`/`c_hash` (Core §3.1.3.6, §3.3.2.11): the left half of the
/// hash of `value` with the hash function of the ID token's algorithm,
/// base64url. EdDSA (Ed25519) uses SHA-512.
pub fn oidc_half_hash(alg: model::SigningAlg, value: &str) -> String {
    use aws_lc_rs::digest;
    use base64::Engine as _;
    let algorithm = match alg {
        model::SigningAlg::Rs256 | model::SigningAlg::Es256 => &digest::SHA256,
        model::SigningAlg::EdDsa => &digest::SHA512,
    };
    let digest = digest::digest(algorithm, value.as_bytes());
    let bytes = digest.as_ref();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

#[cfg(test)]
mod half_hash_tests {
    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" → at_hash "77QmUPtjPfzWtF2AnpK9RQ".
        assert_eq!(
            super::oidc_half_hash(
                model::SigningAlg::Rs256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
