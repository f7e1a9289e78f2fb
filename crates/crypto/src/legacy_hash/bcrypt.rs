//! bcrypt (`$2a$`, `$2b$`, `$2y$`).

use super::error::{LegacyHashError, malformed, too_costly};

/// bcrypt cost (log2 rounds): 2^14 rounds is already about a second.
pub(super) const MAX_BCRYPT_COST: u32 = 14;
/// bcrypt only reads the first 72 bytes; longer passwords are refused
/// rather than silently truncated.
pub(super) const MAX_BCRYPT_PASSWORD: usize = 72;

pub(super) fn parse_bcrypt(stored: &str) -> Result<&str, LegacyHashError> {
    let bytes = stored.as_bytes();
    if bytes.len() != 60 || !stored.is_ascii() {
        return Err(malformed("bcrypt", "expected 60 characters"));
    }
    let cost: u32 = stored[4..6]
        .parse()
        .map_err(|_| malformed("bcrypt", "cost is not a number"))?;
    if bytes[6] != b'$' {
        return Err(malformed("bcrypt", "missing separator after cost"));
    }
    if !(4..=31).contains(&cost) {
        return Err(malformed("bcrypt", "cost must be between 4 and 31"));
    }
    if cost > MAX_BCRYPT_COST {
        return Err(too_costly(
            "bcrypt",
            format!("cost {cost} exceeds {MAX_BCRYPT_COST}"),
        ));
    }
    let alphabet_ok = stored[7..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/');
    if !alphabet_ok {
        return Err(malformed("bcrypt", "salt or hash is not bcrypt base64"));
    }
    Ok(stored)
}

pub(super) fn verify_bcrypt(stored: &str, password: &str) -> Result<bool, LegacyHashError> {
    if password.len() > MAX_BCRYPT_PASSWORD {
        // bcrypt would only see the first 72 bytes: never accept a password
        // because its prefix matches.
        return Ok(false);
    }
    bcrypt::verify(password.as_bytes(), stored).map_err(|e| malformed("bcrypt", e.to_string()))
}
