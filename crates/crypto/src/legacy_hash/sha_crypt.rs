//! SHA-crypt (`$5$`, `$6$`, optionally with `rounds=N$`).

use super::common::parse_number;
use super::error::{LegacyHashError, malformed, too_costly};

/// SHA-crypt rounds (the default is 5000; the format allows 999 999 999).
pub(super) const MAX_SHA_CRYPT_ROUNDS: u32 = 1_000_000;
pub(super) const SHA_CRYPT_MIN_ROUNDS: u32 = 1000;
pub(super) const SHA_CRYPT_DEFAULT_ROUNDS: u32 = 5000;

/// Validates a `$5$`/`$6$` string and bounds its rounds. Rounds below 1000
/// are raised to 1000, as the SHA-crypt specification says implementations
/// must do (so the stored hash was computed with 1000).
pub(super) fn parse_sha_crypt(stored: &str) -> Result<String, LegacyHashError> {
    const F: &str = "sha-crypt";
    let (id, rest) = stored.split_at(3);
    let fields: Vec<&str> = rest.split('$').collect();
    let (rounds, salt, hash) = match fields.as_slice() {
        [r, salt, hash] if r.starts_with("rounds=") => {
            let rounds: u32 = parse_number(F, "rounds", &r["rounds=".len()..])?;
            (rounds, *salt, *hash)
        }
        [salt, hash] => (SHA_CRYPT_DEFAULT_ROUNDS, *salt, *hash),
        _ => return Err(malformed(F, "expected $5$[rounds=N$]salt$hash")),
    };
    if rounds > MAX_SHA_CRYPT_ROUNDS {
        return Err(too_costly(
            F,
            format!("{rounds} rounds exceed {MAX_SHA_CRYPT_ROUNDS}"),
        ));
    }
    let crypt64 = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
    };
    let expected_len = if id == "$5$" { 43 } else { 86 };
    if salt.is_empty() || salt.len() > 16 || salt.contains('$') || salt.contains(':') {
        return Err(malformed(F, "salt must be 1 to 16 characters"));
    }
    if hash.len() != expected_len || !crypt64(hash) {
        return Err(malformed(F, "hash has the wrong length or alphabet"));
    }
    let rounds = rounds.max(SHA_CRYPT_MIN_ROUNDS);
    Ok(format!("{id}rounds={rounds}${salt}${hash}"))
}

pub(super) fn verify_sha_crypt(normalized: &str, password: &str) -> Result<bool, LegacyHashError> {
    use sha_crypt::PasswordVerifier as _;
    match sha_crypt::ShaCrypt::default().verify_password(password.as_bytes(), normalized) {
        Ok(()) => Ok(true),
        Err(sha_crypt::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(malformed("sha-crypt", e.to_string())),
    }
}
