//! Bounds and parsing helpers shared by the hash families.

use super::error::{LegacyHashError, malformed};
use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

/// Longest stored hash string accepted at all.
pub(super) const MAX_STORED_LEN: usize = 4096;
/// Longest derived key / hash output accepted (bytes).
pub(super) const MAX_OUTPUT_LEN: usize = 256;
/// Longest salt accepted (bytes).
pub(super) const MAX_SALT_LEN: usize = 1024;

/// Standard or passlib-adapted (`.` for `+`) base64, padding optional.
pub(super) fn decode_b64(
    format: &'static str,
    what: &str,
    text: &str,
) -> Result<Vec<u8>, LegacyHashError> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    if text.len() > 2 * MAX_STORED_LEN {
        return Err(malformed(format, format!("{what} is too long")));
    }
    let normalized = text.replace('.', "+");
    LENIENT
        .decode(normalized.as_bytes())
        .map_err(|_| malformed(format, format!("{what} is not valid base64")))
}

pub(super) fn parse_number<T: std::str::FromStr>(
    format: &'static str,
    what: &str,
    text: &str,
) -> Result<T, LegacyHashError> {
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(format, format!("{what} is not a number")));
    }
    text.parse()
        .map_err(|_| malformed(format, format!("{what} is out of range")))
}

pub(super) fn check_output_len(format: &'static str, len: usize) -> Result<(), LegacyHashError> {
    if len == 0 || len > MAX_OUTPUT_LEN {
        return Err(malformed(format, "hash must be 1 to 256 bytes"));
    }
    Ok(())
}

pub(super) fn check_salt_len(format: &'static str, len: usize) -> Result<(), LegacyHashError> {
    if len > MAX_SALT_LEN {
        return Err(malformed(format, "salt is longer than 1024 bytes"));
    }
    Ok(())
}
