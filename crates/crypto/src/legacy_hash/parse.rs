//! Recognizes a stored string's format and parses it ([`Parsed`]),
//! including LDAP's `{SCHEME}` wrappers around the other formats.

use super::argon2::parse_argon2;
use super::bcrypt::parse_bcrypt;
use super::common::{MAX_STORED_LEN, check_salt_len, decode_b64};
use super::digest_alg::DigestAlg;
use super::error::{LegacyHashError, malformed};
use super::pbkdf2::{Pbkdf2, parse_pbkdf2};
use super::salted_digest::{PasswordEncoding, SaltPosition, SaltedDigest, parse_vestibule};
use super::scrypt::{Scrypt, parse_scrypt};
use super::sha_crypt::parse_sha_crypt;
use argon2::PasswordHash;

/// A parsed stored hash, with every bound already checked.
pub(super) enum Parsed<'a> {
    Bcrypt(&'a str),
    Argon2(Box<PasswordHash>),
    Pbkdf2(Pbkdf2),
    Scrypt(Scrypt),
    /// A `$5$`/`$6$` string with rounds normalised to the crate's range.
    ShaCrypt(String),
    Digest(SaltedDigest),
}

pub(super) fn parse(stored: &str) -> Result<Parsed<'_>, LegacyHashError> {
    if stored.len() > MAX_STORED_LEN {
        return Err(malformed("stored", "hash string is too long"));
    }
    if stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$") {
        return parse_bcrypt(stored).map(Parsed::Bcrypt);
    }
    if stored.starts_with("$argon2") {
        return parse_argon2(stored).map(|h| Parsed::Argon2(Box::new(h)));
    }
    if let Some(rest) = stored.strip_prefix("$pbkdf2-") {
        return parse_pbkdf2(rest).map(Parsed::Pbkdf2);
    }
    if let Some(rest) = stored.strip_prefix("$scrypt$") {
        return parse_scrypt(rest).map(Parsed::Scrypt);
    }
    if stored.starts_with("$5$") || stored.starts_with("$6$") {
        return parse_sha_crypt(stored).map(Parsed::ShaCrypt);
    }
    if let Some(rest) = stored.strip_prefix("$vestibule-digest$") {
        return parse_vestibule(rest, false).map(Parsed::Digest);
    }
    if let Some(rest) = stored.strip_prefix("$vestibule-hmac$") {
        return parse_vestibule(rest, true).map(Parsed::Digest);
    }
    if stored.starts_with('{') {
        return parse_ldap(stored);
    }
    Err(LegacyHashError::UnknownFormat)
}

/// RFC 2307 `{SCHEME}base64(hash || salt)` and `{CRYPT}<crypt string>`.
pub(super) fn parse_ldap(stored: &str) -> Result<Parsed<'_>, LegacyHashError> {
    const F: &str = "ldap";
    let Some(end) = stored.find('}') else {
        return Err(LegacyHashError::UnknownFormat);
    };
    let scheme = stored[1..end].to_ascii_uppercase();
    let body = &stored[end + 1..];
    let (digest, salted) = match scheme.as_str() {
        "CRYPT" => {
            return match parse(body)? {
                p @ (Parsed::Bcrypt(_) | Parsed::ShaCrypt(_)) => Ok(p),
                _ => Err(malformed(F, "{CRYPT} supports only bcrypt and SHA-crypt")),
            };
        }
        "MD5" => (DigestAlg::Md5, false),
        "SMD5" => (DigestAlg::Md5, true),
        "SHA" => (DigestAlg::Sha1, false),
        "SSHA" => (DigestAlg::Sha1, true),
        "SHA256" => (DigestAlg::Sha256, false),
        "SSHA256" => (DigestAlg::Sha256, true),
        "SHA384" => (DigestAlg::Sha384, false),
        "SSHA384" => (DigestAlg::Sha384, true),
        "SHA512" => (DigestAlg::Sha512, false),
        "SSHA512" => (DigestAlg::Sha512, true),
        _ => return Err(malformed(F, format!("unsupported scheme {{{scheme}}}"))),
    };
    let raw = decode_b64(F, "value", body)?;
    let n = digest.output_len();
    if raw.len() < n || (!salted && raw.len() != n) {
        return Err(malformed(F, "value has the wrong length"));
    }
    let (hash, salt) = raw.split_at(n);
    check_salt_len(F, salt.len())?;
    Ok(Parsed::Digest(SaltedDigest {
        digest,
        position: SaltPosition::Suffix,
        encoding: PasswordEncoding::Utf8,
        key: None,
        salt: salt.to_vec(),
        hash: hash.to_vec(),
    }))
}
