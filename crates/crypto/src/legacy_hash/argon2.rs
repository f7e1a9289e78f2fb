//! argon2 in PHC form (`$argon2i$`, `$argon2d$`, `$argon2id$`).

use super::error::{LegacyHashError, malformed, too_costly};
use argon2::{Argon2, PasswordHash, PasswordVerifier as _};

/// argon2 bounds for imported hashes (Vestibule's own argon2id hashes keep
/// the bounds of `password.rs`).
pub(super) const MAX_ARGON2_M_COST_KIB: u32 = 256 * 1024;
pub(super) const MAX_ARGON2_T_COST: u32 = 64;
pub(super) const MAX_ARGON2_P_COST: u32 = 16;

pub(super) fn parse_argon2(stored: &str) -> Result<PasswordHash, LegacyHashError> {
    let hash = PasswordHash::new(stored).map_err(|e| malformed("argon2", e.to_string()))?;
    if !matches!(hash.algorithm.as_str(), "argon2i" | "argon2d" | "argon2id") {
        return Err(malformed("argon2", "unknown argon2 variant"));
    }
    let params = argon2::Params::try_from(&hash).map_err(|e| malformed("argon2", e.to_string()))?;
    if hash.hash.is_none() {
        return Err(malformed("argon2", "missing hash"));
    }
    if params.m_cost() > MAX_ARGON2_M_COST_KIB
        || params.t_cost() > MAX_ARGON2_T_COST
        || params.p_cost() > MAX_ARGON2_P_COST
    {
        return Err(too_costly(
            "argon2",
            format!(
                "m={} t={} p={} (limits m≤{MAX_ARGON2_M_COST_KIB} t≤{MAX_ARGON2_T_COST} p≤{MAX_ARGON2_P_COST})",
                params.m_cost(),
                params.t_cost(),
                params.p_cost()
            ),
        ));
    }
    Ok(hash)
}

pub(super) fn verify_argon2(hash: &PasswordHash, password: &str) -> Result<bool, LegacyHashError> {
    match Argon2::default().verify_password(password.as_bytes(), hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(malformed("argon2", e.to_string())),
    }
}
