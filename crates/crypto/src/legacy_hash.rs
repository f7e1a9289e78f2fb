//! Verification of password hashes made by other systems: users imported
//! from Auth0 exports or bulk-import files, and users living in a customer's
//! own database (custom database connections).
//!
//! Vestibule never *creates* these hashes. It verifies them once, at the
//! user's next login, and the login path then re-hashes the password with
//! argon2id (`PasswordHasher::needs_rehash` is true for all of them).
//!
//! Every stored value is one self-describing string:
//!
//! | format | example prefix |
//! | --- | --- |
//! | bcrypt | `$2a$`, `$2b$`, `$2y$` |
//! | argon2 (PHC) | `$argon2i$`, `$argon2d$`, `$argon2id$` |
//! | PBKDF2 (PHC, Auth0's form) | `$pbkdf2-sha256$i=100000,l=32$<salt>$<hash>` (also `sha1`, `sha512`, and passlib's `$pbkdf2-sha256$29000$…`) |
//! | scrypt (PHC) | `$scrypt$ln=14,r=8,p=1$<salt>$<hash>` |
//! | SHA-crypt | `$5$…`, `$6$…` (optionally `rounds=N$`) |
//! | LDAP (RFC 2307) | `{SHA}`, `{SSHA}`, `{MD5}`, `{SMD5}`, `{SHA256}`, `{SSHA256}`, `{SHA384}`, `{SSHA384}`, `{SHA512}`, `{SSHA512}`, `{CRYPT}<sha-crypt or bcrypt>` |
//! | salted digest | `$vestibule-digest$d=<digest>,pos=<prefix\|suffix>,enc=<password encoding>$<salt>$<hash>` |
//! | HMAC | `$vestibule-hmac$d=<digest>,pos=<prefix\|suffix>,enc=<password encoding>,key=<key>$<salt>$<hash>` |
//!
//! In the two `vestibule-*` formats (Vestibule's own, produced by
//! [`from_custom_password_hash`] for Auth0's `md4`/`md5`/`sha1`/`sha256`/
//! `sha512`/`hmac` algorithms), salt, hash and key are standard base64
//! without padding; the salt may be empty. `digest` is one of `md4`, `md5`,
//! `sha1`, `sha224`, `sha256`, `sha384`, `sha512`; the password encoding is
//! `utf8`, `latin1` (Node's `latin1`/`binary`/`ascii`: one byte per UTF-16
//! unit) or `utf16le` (Node's `utf16le`/`ucs2`). The hash is
//! `digest(salt || password)` (`prefix`) or `digest(password || salt)`
//! (`suffix`), and for HMAC `hmac_digest(key, salted password)`.
//!
//! Hostile input: a stored hash may come from an import file or a customer
//! database, so every cost parameter is bounded (see the `MAX_*`
//! constants) and refused *before* any work is done, so one imported record
//! cannot make each login attempt burn seconds of CPU or gigabytes of memory.
//! All comparisons of computed and stored hashes are constant-time.

mod argon2;
mod auth0;
mod bcrypt;
mod common;
mod digest_alg;
mod error;
mod parse;
mod pbkdf2;
mod salted_digest;
mod scrypt;
mod sha_crypt;

use self::argon2::verify_argon2;
pub use self::auth0::from_custom_password_hash;
use self::bcrypt::verify_bcrypt;
pub use self::error::LegacyHashError;
use self::error::malformed;
use self::parse::{Parsed, parse};
use self::pbkdf2::verify_pbkdf2;
use self::salted_digest::verify_digest;
use self::scrypt::verify_scrypt;
use self::sha_crypt::verify_sha_crypt;

/// Checks `password` against a stored legacy hash. `Ok(false)` means wrong
/// password; `Err` means the stored value is unusable (fail closed).
/// Blocking and possibly slow: run it on the blocking pool.
pub fn verify(stored: &str, password: &str) -> Result<bool, LegacyHashError> {
    match parse(stored)? {
        Parsed::Bcrypt(hash) => verify_bcrypt(hash, password),
        Parsed::Argon2(hash) => verify_argon2(&hash, password),
        Parsed::Pbkdf2(p) => Ok(verify_pbkdf2(&p, password)),
        Parsed::Scrypt(p) => verify_scrypt(&p, password),
        Parsed::ShaCrypt(normalized) => verify_sha_crypt(&normalized, password),
        Parsed::Digest(d) => Ok(verify_digest(&d, password)),
    }
}

/// Checks that `stored` is a hash [`verify`] can use, without computing
/// anything (import-time validation).
pub fn validate_stored(stored: &str) -> Result<(), LegacyHashError> {
    parse(stored).map(|_| ())
}

/// Checks Auth0's plain `password_hash` import field, which must be bcrypt
/// (`$2a$`/`$2b$`, Auth0 also sees `$2y$`) within the cost bound.
pub fn validate_bcrypt(stored: &str) -> Result<(), LegacyHashError> {
    match parse(stored)? {
        Parsed::Bcrypt(_) => Ok(()),
        _ => Err(malformed("bcrypt", "password_hash must be a bcrypt hash")),
    }
}

#[cfg(test)]
mod tests;
