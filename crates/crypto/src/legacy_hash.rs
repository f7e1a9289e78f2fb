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

use argon2::{Argon2, PasswordHash, PasswordVerifier as _};
use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose::STANDARD_NO_PAD};
use hmac::{KeyInit as _, Mac as _, SimpleHmac};
use sha2::Digest;
use subtle::ConstantTimeEq as _;

/// Longest stored hash string accepted at all.
const MAX_STORED_LEN: usize = 4096;
/// bcrypt cost (log2 rounds): 2^14 rounds is already about a second.
const MAX_BCRYPT_COST: u32 = 14;
/// bcrypt only reads the first 72 bytes; longer passwords are refused
/// rather than silently truncated.
const MAX_BCRYPT_PASSWORD: usize = 72;
/// argon2 bounds for imported hashes (Vestibule's own argon2id hashes keep
/// the bounds of `password.rs`).
const MAX_ARGON2_M_COST_KIB: u32 = 256 * 1024;
const MAX_ARGON2_T_COST: u32 = 64;
const MAX_ARGON2_P_COST: u32 = 16;
/// PBKDF2 work: iterations × output blocks.
const MAX_PBKDF2_WORK: u64 = 2_000_000;
/// Longest derived key / hash output accepted (bytes).
const MAX_OUTPUT_LEN: usize = 256;
/// Longest salt accepted (bytes).
const MAX_SALT_LEN: usize = 1024;
/// scrypt: memory 128·r·N bytes at most 64 MiB; r and p bounded.
const MAX_SCRYPT_MEMORY: u64 = 64 * 1024 * 1024;
const MAX_SCRYPT_R: u32 = 32;
const MAX_SCRYPT_P: u32 = 16;
/// SHA-crypt rounds (the default is 5000; the format allows 999 999 999).
const MAX_SHA_CRYPT_ROUNDS: u32 = 1_000_000;
const SHA_CRYPT_MIN_ROUNDS: u32 = 1000;
const SHA_CRYPT_DEFAULT_ROUNDS: u32 = 5000;
/// HMAC key length bound (bytes).
const MAX_HMAC_KEY_LEN: usize = 1024;

/// Why a legacy hash could not be used. The messages are meant for the
/// operator importing users (they name the problem, never the hash).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LegacyHashError {
    /// The string is not in any format Vestibule verifies.
    #[error("unknown password hash format")]
    UnknownFormat,
    /// The string names a known format but does not parse.
    #[error("malformed {format} hash: {reason}")]
    Malformed {
        format: &'static str,
        reason: String,
    },
    /// The cost parameters are beyond what a login may spend.
    #[error("{format} hash parameters are out of the accepted range: {reason}")]
    TooCostly {
        format: &'static str,
        reason: String,
    },
    /// An Auth0 `custom_password_hash` object is invalid.
    #[error("invalid custom_password_hash: {0}")]
    InvalidCustomHash(String),
}

fn malformed(format: &'static str, reason: impl Into<String>) -> LegacyHashError {
    LegacyHashError::Malformed {
        format,
        reason: reason.into(),
    }
}

fn too_costly(format: &'static str, reason: impl Into<String>) -> LegacyHashError {
    LegacyHashError::TooCostly {
        format,
        reason: reason.into(),
    }
}

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

/// A parsed stored hash, with every bound already checked.
enum Parsed<'a> {
    Bcrypt(&'a str),
    Argon2(Box<PasswordHash>),
    Pbkdf2(Pbkdf2),
    Scrypt(Scrypt),
    /// A `$5$`/`$6$` string with rounds normalised to the crate's range.
    ShaCrypt(String),
    Digest(SaltedDigest),
}

fn parse(stored: &str) -> Result<Parsed<'_>, LegacyHashError> {
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

// ---------------------------------------------------------------- bcrypt

fn parse_bcrypt(stored: &str) -> Result<&str, LegacyHashError> {
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

fn verify_bcrypt(stored: &str, password: &str) -> Result<bool, LegacyHashError> {
    if password.len() > MAX_BCRYPT_PASSWORD {
        // bcrypt would only see the first 72 bytes: never accept a password
        // because its prefix matches.
        return Ok(false);
    }
    bcrypt::verify(password.as_bytes(), stored).map_err(|e| malformed("bcrypt", e.to_string()))
}

// ---------------------------------------------------------------- argon2

fn parse_argon2(stored: &str) -> Result<PasswordHash, LegacyHashError> {
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

fn verify_argon2(hash: &PasswordHash, password: &str) -> Result<bool, LegacyHashError> {
    match Argon2::default().verify_password(password.as_bytes(), hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(malformed("argon2", e.to_string())),
    }
}

// ---------------------------------------------------------------- pbkdf2

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DigestAlg {
    Md4,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlg {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "md4" => Self::Md4,
            "md5" => Self::Md5,
            "sha1" => Self::Sha1,
            "sha224" => Self::Sha224,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Md4 => "md4",
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    fn output_len(self) -> usize {
        match self {
            Self::Md4 | Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            d.finalize().to_vec()
        }
        match self {
            Self::Md4 => run::<md4::Md4>(parts),
            Self::Md5 => run::<md5::Md5>(parts),
            Self::Sha1 => run::<sha1::Sha1>(parts),
            Self::Sha224 => run::<sha2::Sha224>(parts),
            Self::Sha256 => run::<sha2::Sha256>(parts),
            Self::Sha384 => run::<sha2::Sha384>(parts),
            Self::Sha512 => run::<sha2::Sha512>(parts),
        }
    }

    fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest + sha2::digest::block_api::BlockSizeUser>(
            key: &[u8],
            parts: &[&[u8]],
        ) -> Vec<u8> {
            // SimpleHmac accepts keys of any length (longer ones are hashed).
            let Ok(mut mac) = SimpleHmac::<D>::new_from_slice(key) else {
                return Vec::new();
            };
            for p in parts {
                mac.update(p);
            }
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Self::Md4 => run::<md4::Md4>(key, parts),
            Self::Md5 => run::<md5::Md5>(key, parts),
            Self::Sha1 => run::<sha1::Sha1>(key, parts),
            Self::Sha224 => run::<sha2::Sha224>(key, parts),
            Self::Sha256 => run::<sha2::Sha256>(key, parts),
            Self::Sha384 => run::<sha2::Sha384>(key, parts),
            Self::Sha512 => run::<sha2::Sha512>(key, parts),
        }
    }
}

struct Pbkdf2 {
    digest: DigestAlg,
    iterations: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

/// `sha256$i=1000,l=32$<salt>$<hash>` (Auth0, PHC) or
/// `sha256$1000$<salt>$<hash>` (passlib, adapted base64).
fn parse_pbkdf2(rest: &str) -> Result<Pbkdf2, LegacyHashError> {
    const F: &str = "pbkdf2";
    let parts: Vec<&str> = rest.split('$').collect();
    let [alg, params, salt, hash] = parts.as_slice() else {
        return Err(malformed(
            F,
            "expected $pbkdf2-<digest>$<params>$<salt>$<hash>",
        ));
    };
    let digest = match *alg {
        "sha1" => DigestAlg::Sha1,
        "sha256" => DigestAlg::Sha256,
        "sha512" => DigestAlg::Sha512,
        _ => return Err(malformed(F, "digest must be sha1, sha256 or sha512")),
    };
    let mut iterations: Option<u32> = None;
    let mut length: Option<usize> = None;
    if params.bytes().all(|b| b.is_ascii_digit()) {
        iterations = Some(parse_number(F, "iterations", params)?);
    } else {
        for pair in params.split(',') {
            match pair.split_once('=') {
                Some(("i", v)) if iterations.is_none() => {
                    iterations = Some(parse_number(F, "i", v)?);
                }
                Some(("l", v)) if length.is_none() => {
                    length = Some(parse_number(F, "l", v)?);
                }
                _ => return Err(malformed(F, format!("unexpected parameter {pair:?}"))),
            }
        }
    }
    let iterations = iterations.ok_or_else(|| malformed(F, "missing iteration count"))?;
    if iterations == 0 {
        return Err(malformed(F, "iteration count must be positive"));
    }
    let salt = decode_b64(F, "salt", salt)?;
    let hash = decode_b64(F, "hash", hash)?;
    if let Some(l) = length
        && l != hash.len()
    {
        return Err(malformed(F, "l does not match the hash length"));
    }
    check_output_len(F, hash.len())?;
    check_salt_len(F, salt.len())?;
    let blocks = hash.len().div_ceil(digest.output_len()) as u64;
    if u64::from(iterations) * blocks > MAX_PBKDF2_WORK {
        return Err(too_costly(
            F,
            format!("{iterations} iterations exceed the limit of {MAX_PBKDF2_WORK}"),
        ));
    }
    Ok(Pbkdf2 {
        digest,
        iterations,
        salt,
        hash,
    })
}

fn verify_pbkdf2(p: &Pbkdf2, password: &str) -> bool {
    let mut out = vec![0u8; p.hash.len()];
    let pw = password.as_bytes();
    match p.digest {
        DigestAlg::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pw, &p.salt, p.iterations, &mut out),
        DigestAlg::Sha512 => {
            pbkdf2::pbkdf2_hmac::<sha2::Sha512>(pw, &p.salt, p.iterations, &mut out)
        }
        _ => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, &p.salt, p.iterations, &mut out),
    }
    out.ct_eq(&p.hash).into()
}

// ---------------------------------------------------------------- scrypt

struct Scrypt {
    log_n: u8,
    r: u32,
    p: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

/// `ln=14,r=8,p=1$<salt>$<hash>` (the PHC form of passlib and RustCrypto).
fn parse_scrypt(rest: &str) -> Result<Scrypt, LegacyHashError> {
    const F: &str = "scrypt";
    let parts: Vec<&str> = rest.split('$').collect();
    let [params, salt, hash] = parts.as_slice() else {
        return Err(malformed(
            F,
            "expected $scrypt$ln=..,r=..,p=..$<salt>$<hash>",
        ));
    };
    let (mut ln, mut r, mut p) = (None, None, None);
    for pair in params.split(',') {
        match pair.split_once('=') {
            Some(("ln", v)) if ln.is_none() => ln = Some(parse_number::<u8>(F, "ln", v)?),
            Some(("r", v)) if r.is_none() => r = Some(parse_number::<u32>(F, "r", v)?),
            Some(("p", v)) if p.is_none() => p = Some(parse_number::<u32>(F, "p", v)?),
            _ => return Err(malformed(F, format!("unexpected parameter {pair:?}"))),
        }
    }
    let (Some(log_n), Some(r), Some(p)) = (ln, r, p) else {
        return Err(malformed(F, "ln, r and p are required"));
    };
    check_scrypt_params(log_n, r, p)?;
    let salt = decode_b64(F, "salt", salt)?;
    let hash = decode_b64(F, "hash", hash)?;
    check_output_len(F, hash.len())?;
    check_salt_len(F, salt.len())?;
    Ok(Scrypt {
        log_n,
        r,
        p,
        salt,
        hash,
    })
}

fn check_scrypt_params(log_n: u8, r: u32, p: u32) -> Result<(), LegacyHashError> {
    const F: &str = "scrypt";
    if log_n == 0 || log_n >= 32 || r == 0 || p == 0 {
        return Err(malformed(F, "ln must be 1..31, r and p positive"));
    }
    let memory = 128u64 * u64::from(r) * (1u64 << log_n);
    if r > MAX_SCRYPT_R || p > MAX_SCRYPT_P || memory > MAX_SCRYPT_MEMORY {
        return Err(too_costly(
            F,
            format!("N=2^{log_n} r={r} p={p} needs too much memory or time"),
        ));
    }
    Ok(())
}

fn verify_scrypt(s: &Scrypt, password: &str) -> Result<bool, LegacyHashError> {
    let params = scrypt::Params::new(s.log_n, s.r, s.p)
        .map_err(|_| malformed("scrypt", "invalid parameters"))?;
    let mut out = vec![0u8; s.hash.len()];
    scrypt::scrypt(password.as_bytes(), &s.salt, &params, &mut out)
        .map_err(|_| malformed("scrypt", "invalid output length"))?;
    Ok(out.ct_eq(&s.hash).into())
}

// ---------------------------------------------------------------- sha-crypt

/// Validates a `$5$`/`$6$` string and bounds its rounds. Rounds below 1000
/// are raised to 1000, as the SHA-crypt specification says implementations
/// must do (so the stored hash was computed with 1000).
fn parse_sha_crypt(stored: &str) -> Result<String, LegacyHashError> {
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

fn verify_sha_crypt(normalized: &str, password: &str) -> Result<bool, LegacyHashError> {
    use sha_crypt::PasswordVerifier as _;
    match sha_crypt::ShaCrypt::default().verify_password(password.as_bytes(), normalized) {
        Ok(()) => Ok(true),
        Err(sha_crypt::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(malformed("sha-crypt", e.to_string())),
    }
}

// ---------------------------------------------------------------- LDAP

/// RFC 2307 `{SCHEME}base64(hash || salt)` and `{CRYPT}<crypt string>`.
fn parse_ldap(stored: &str) -> Result<Parsed<'_>, LegacyHashError> {
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

// ---------------------------------------------------------------- salted digests, HMAC

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SaltPosition {
    Prefix,
    Suffix,
}

impl SaltPosition {
    fn name(self) -> &'static str {
        match self {
            Self::Prefix => "prefix",
            Self::Suffix => "suffix",
        }
    }
}

/// How the password's characters became bytes in the original system
/// (Node's `Buffer` encodings, as Auth0 documents them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordEncoding {
    Utf8,
    Latin1,
    Utf16Le,
}

impl PasswordEncoding {
    fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "utf8",
            Self::Latin1 => "latin1",
            Self::Utf16Le => "utf16le",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "utf8" => Self::Utf8,
            "latin1" => Self::Latin1,
            "utf16le" => Self::Utf16Le,
            _ => return None,
        })
    }

    /// Auth0's names: `ascii|utf8|utf16le|ucs2|latin1|binary`.
    fn from_auth0(name: &str) -> Option<Self> {
        Some(match name {
            "utf8" => Self::Utf8,
            "latin1" | "binary" | "ascii" => Self::Latin1,
            "utf16le" | "ucs2" => Self::Utf16Le,
            _ => return None,
        })
    }

    fn encode(self, password: &str) -> Vec<u8> {
        match self {
            Self::Utf8 => password.as_bytes().to_vec(),
            // Node keeps the low byte of each UTF-16 code unit.
            Self::Latin1 => password.encode_utf16().map(|u| (u & 0xff) as u8).collect(),
            Self::Utf16Le => password.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        }
    }
}

struct SaltedDigest {
    digest: DigestAlg,
    position: SaltPosition,
    encoding: PasswordEncoding,
    key: Option<Vec<u8>>,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl SaltedDigest {
    fn to_stored(&self) -> String {
        let kind = if self.key.is_some() { "hmac" } else { "digest" };
        let mut params = format!(
            "d={},pos={},enc={}",
            self.digest.name(),
            self.position.name(),
            self.encoding.name()
        );
        if let Some(key) = &self.key {
            params.push_str(",key=");
            params.push_str(&STANDARD_NO_PAD.encode(key));
        }
        format!(
            "$vestibule-{kind}${params}${}${}",
            STANDARD_NO_PAD.encode(&self.salt),
            STANDARD_NO_PAD.encode(&self.hash)
        )
    }
}

fn parse_vestibule(rest: &str, hmac: bool) -> Result<SaltedDigest, LegacyHashError> {
    let format = if hmac {
        "vestibule-hmac"
    } else {
        "vestibule-digest"
    };
    let parts: Vec<&str> = rest.split('$').collect();
    let [params, salt, hash] = parts.as_slice() else {
        return Err(malformed(format, "expected <params>$<salt>$<hash>"));
    };
    let (mut digest, mut position, mut encoding, mut key) = (None, None, None, None);
    for pair in params.split(',') {
        match pair.split_once('=') {
            Some(("d", v)) if digest.is_none() => {
                digest = Some(
                    DigestAlg::from_name(v).ok_or_else(|| malformed(format, "unknown digest"))?,
                );
            }
            Some(("pos", v)) if position.is_none() => {
                position = Some(match v {
                    "prefix" => SaltPosition::Prefix,
                    "suffix" => SaltPosition::Suffix,
                    _ => return Err(malformed(format, "pos must be prefix or suffix")),
                });
            }
            Some(("enc", v)) if encoding.is_none() => {
                encoding = Some(
                    PasswordEncoding::from_name(v)
                        .ok_or_else(|| malformed(format, "unknown password encoding"))?,
                );
            }
            Some(("key", v)) if hmac && key.is_none() => {
                key = Some(decode_b64(format, "key", v)?);
            }
            _ => return Err(malformed(format, format!("unexpected parameter {pair:?}"))),
        }
    }
    let (Some(digest), Some(position), Some(encoding)) = (digest, position, encoding) else {
        return Err(malformed(format, "d, pos and enc are required"));
    };
    if hmac {
        let k = key
            .as_ref()
            .ok_or_else(|| malformed(format, "key is required"))?;
        if k.is_empty() || k.len() > MAX_HMAC_KEY_LEN {
            return Err(malformed(format, "key must be 1 to 1024 bytes"));
        }
    }
    let salt = decode_b64(format, "salt", salt)?;
    let hash = decode_b64(format, "hash", hash)?;
    check_salt_len(format, salt.len())?;
    if hash.len() != digest.output_len() {
        return Err(malformed(format, "hash length does not match the digest"));
    }
    Ok(SaltedDigest {
        digest,
        position,
        encoding,
        key,
        salt,
        hash,
    })
}

fn verify_digest(d: &SaltedDigest, password: &str) -> bool {
    let pw = d.encoding.encode(password);
    let parts: [&[u8]; 2] = match d.position {
        SaltPosition::Prefix => [&d.salt, &pw],
        SaltPosition::Suffix => [&pw, &d.salt],
    };
    let computed = match &d.key {
        Some(key) => d.digest.hmac(key, &parts),
        None => d.digest.digest(&parts),
    };
    computed.len() == d.hash.len() && bool::from(computed.ct_eq(&d.hash))
}

// ---------------------------------------------------------------- shared helpers

/// Standard or passlib-adapted (`.` for `+`) base64, padding optional.
fn decode_b64(format: &'static str, what: &str, text: &str) -> Result<Vec<u8>, LegacyHashError> {
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

fn parse_number<T: std::str::FromStr>(
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

fn check_output_len(format: &'static str, len: usize) -> Result<(), LegacyHashError> {
    if len == 0 || len > MAX_OUTPUT_LEN {
        return Err(malformed(format, "hash must be 1 to 256 bytes"));
    }
    Ok(())
}

fn check_salt_len(format: &'static str, len: usize) -> Result<(), LegacyHashError> {
    if len > MAX_SALT_LEN {
        return Err(malformed(format, "salt is longer than 1024 bytes"));
    }
    Ok(())
}

// ---------------------------------------------------------------- Auth0 custom_password_hash

/// Converts Auth0's user-import `custom_password_hash` object into one
/// stored string that [`verify`] understands.
///
/// ```json
/// { "algorithm": "sha256",
///   "hash": { "value": "…", "encoding": "hex|base64|utf8",
///             "digest": "sha256", "key": { "value": "…", "encoding": "…" } },
///   "salt": { "value": "…", "encoding": "hex|base64|utf8", "position": "prefix|suffix" },
///   "password": { "encoding": "utf8|ascii|latin1|binary|utf16le|ucs2" },
///   "keylen": 64, "cost": 16384, "blockSize": 8, "parallelization": 1 }
/// ```
///
/// `argon2`, `bcrypt`, `ldap` and `pbkdf2` carry a standard string in
/// `hash.value` (kept as is once validated); `scrypt` becomes a PHC string;
/// `md4`…`sha512` and `hmac` become `$vestibule-digest$`/`$vestibule-hmac$`.
/// Unknown properties, algorithms or encodings are errors with a reason.
pub fn from_custom_password_hash(value: &serde_json::Value) -> Result<String, LegacyHashError> {
    let obj = as_object(value, "custom_password_hash")?;
    only_keys(
        obj,
        "custom_password_hash",
        &[
            "algorithm",
            "hash",
            "salt",
            "password",
            "keylen",
            "cost",
            "blockSize",
            "parallelization",
        ],
    )?;
    let algorithm = required_str(obj, "algorithm", "custom_password_hash")?;
    let hash = as_object(
        obj.get("hash").ok_or_else(|| invalid("hash is required"))?,
        "hash",
    )?;
    only_keys(hash, "hash", &["value", "encoding", "digest", "key"])?;
    let hash_value = required_str(hash, "value", "hash")?;
    let hash_encoding = optional_str(hash, "encoding", "hash")?;
    let salt = obj.get("salt").map(parse_auth0_salt).transpose()?;
    let password_encoding = match obj.get("password") {
        None => PasswordEncoding::Utf8,
        Some(p) => {
            let p = as_object(p, "password")?;
            only_keys(p, "password", &["encoding"])?;
            match optional_str(p, "encoding", "password")? {
                None => PasswordEncoding::Utf8,
                Some(e) => PasswordEncoding::from_auth0(e).ok_or_else(|| {
                    invalid(format!(
                        "password.encoding {e:?} is not one of ascii, utf8, utf16le, ucs2, latin1, binary"
                    ))
                })?,
            }
        }
    };
    let scrypt_fields = ["keylen", "cost", "blockSize", "parallelization"];
    if algorithm != "scrypt"
        && let Some(f) = scrypt_fields.iter().find(|f| obj.contains_key(**f))
    {
        return Err(invalid(format!(
            "{f} is only valid with the scrypt algorithm"
        )));
    }
    if algorithm != "hmac" && (hash.contains_key("digest") || hash.contains_key("key")) {
        return Err(invalid("hash.digest and hash.key are only valid with hmac"));
    }

    match algorithm {
        "argon2" | "bcrypt" | "ldap" | "pbkdf2" => {
            if hash_encoding.is_some_and(|e| e != "utf8") {
                return Err(invalid(format!(
                    "hash.encoding must be utf8 for {algorithm}"
                )));
            }
            if salt.is_some() {
                return Err(invalid(format!(
                    "salt is not used with {algorithm}: it is part of hash.value"
                )));
            }
            if obj.contains_key("password") {
                return Err(invalid(format!(
                    "password.encoding is not used with {algorithm}"
                )));
            }
            let ok = match parse(hash_value) {
                Ok(Parsed::Bcrypt(_)) => algorithm == "bcrypt",
                Ok(Parsed::Argon2(_)) => algorithm == "argon2",
                Ok(Parsed::Pbkdf2(_)) => algorithm == "pbkdf2",
                Ok(Parsed::Digest(_) | Parsed::ShaCrypt(_)) => {
                    algorithm == "ldap" && hash_value.starts_with('{')
                }
                Ok(Parsed::Scrypt(_)) => false,
                Err(e) => return Err(invalid(format!("hash.value: {e}"))),
            };
            if !ok {
                return Err(invalid(format!("hash.value is not a {algorithm} hash")));
            }
            Ok(hash_value.to_owned())
        }
        "scrypt" => {
            let hash_bytes = decode_auth0(hash_value, hash_encoding, "hash", false)?;
            let salt = salt.ok_or_else(|| invalid("salt is required for scrypt"))?;
            if obj.contains_key("password") {
                return Err(invalid("password.encoding is not used with scrypt"));
            }
            let keylen = optional_u32(obj, "keylen")?.unwrap_or(64);
            let cost = optional_u32(obj, "cost")?.unwrap_or(16384);
            let r = optional_u32(obj, "blockSize")?.unwrap_or(8);
            let p = optional_u32(obj, "parallelization")?.unwrap_or(1);
            if !cost.is_power_of_two() || cost < 2 {
                return Err(invalid("cost must be a power of two greater than 1"));
            }
            let log_n = cost.trailing_zeros() as u8;
            if usize::try_from(keylen).ok() != Some(hash_bytes.len()) {
                return Err(invalid("keylen does not match the length of hash.value"));
            }
            check_output_len("scrypt", hash_bytes.len()).map_err(|e| invalid(e.to_string()))?;
            check_salt_len("scrypt", salt.bytes.len()).map_err(|e| invalid(e.to_string()))?;
            check_scrypt_params(log_n, r, p).map_err(|e| invalid(e.to_string()))?;
            Ok(format!(
                "$scrypt$ln={log_n},r={r},p={p}${}${}",
                STANDARD_NO_PAD.encode(&salt.bytes),
                STANDARD_NO_PAD.encode(&hash_bytes)
            ))
        }
        "md4" | "md5" | "sha1" | "sha256" | "sha512" | "hmac" => {
            let (digest, key) = if algorithm == "hmac" {
                let name = required_str(hash, "digest", "hash")?;
                let digest = DigestAlg::from_name(name).ok_or_else(|| {
                    invalid(format!(
                        "hash.digest {name:?} is not supported (md4, md5, sha1, sha224, sha256, sha384, sha512)"
                    ))
                })?;
                let key = as_object(
                    hash.get("key")
                        .ok_or_else(|| invalid("hash.key is required for hmac"))?,
                    "hash.key",
                )?;
                only_keys(key, "hash.key", &["value", "encoding"])?;
                let key_bytes = decode_auth0(
                    required_str(key, "value", "hash.key")?,
                    optional_str(key, "encoding", "hash.key")?,
                    "hash.key",
                    true,
                )?;
                if key_bytes.is_empty() || key_bytes.len() > MAX_HMAC_KEY_LEN {
                    return Err(invalid("hash.key must be 1 to 1024 bytes"));
                }
                (digest, Some(key_bytes))
            } else {
                let digest = DigestAlg::from_name(algorithm)
                    .ok_or_else(|| invalid(format!("unsupported algorithm {algorithm:?}")))?;
                (digest, None)
            };
            let hash_bytes = decode_auth0(hash_value, hash_encoding, "hash", false)?;
            if hash_bytes.len() != digest.output_len() {
                return Err(invalid(format!(
                    "hash.value decodes to {} bytes; {} produces {}",
                    hash_bytes.len(),
                    digest.name(),
                    digest.output_len()
                )));
            }
            let (salt, position) = match salt {
                Some(s) => {
                    let position = s
                        .position
                        .ok_or_else(|| invalid("salt.position is required (prefix or suffix)"))?;
                    (s.bytes, position)
                }
                None => (Vec::new(), SaltPosition::Prefix),
            };
            check_salt_len("digest", salt.len()).map_err(|e| invalid(e.to_string()))?;
            Ok(SaltedDigest {
                digest,
                position,
                encoding: password_encoding,
                key,
                salt,
                hash: hash_bytes,
            }
            .to_stored())
        }
        other => Err(invalid(format!(
            "algorithm {other:?} is not one of argon2, bcrypt, hmac, ldap, md4, md5, sha1, sha256, sha512, pbkdf2, scrypt"
        ))),
    }
}

struct Auth0Salt {
    bytes: Vec<u8>,
    position: Option<SaltPosition>,
}

fn parse_auth0_salt(value: &serde_json::Value) -> Result<Auth0Salt, LegacyHashError> {
    let salt = as_object(value, "salt")?;
    only_keys(salt, "salt", &["value", "encoding", "position"])?;
    let bytes = decode_auth0(
        required_str(salt, "value", "salt")?,
        optional_str(salt, "encoding", "salt")?,
        "salt",
        true,
    )?;
    let position = match optional_str(salt, "position", "salt")? {
        None => None,
        Some("prefix") => Some(SaltPosition::Prefix),
        Some("suffix") => Some(SaltPosition::Suffix),
        Some(other) => {
            return Err(invalid(format!(
                "salt.position {other:?} must be prefix or suffix"
            )));
        }
    };
    Ok(Auth0Salt { bytes, position })
}

/// Decodes a value with Auth0's `encoding` (`hex`, `base64`, `utf8`; utf8
/// is the default). Hash values must be binary encodings (hex or base64).
fn decode_auth0(
    value: &str,
    encoding: Option<&str>,
    what: &str,
    utf8_default: bool,
) -> Result<Vec<u8>, LegacyHashError> {
    if value.len() > MAX_STORED_LEN {
        return Err(invalid(format!("{what}.value is too long")));
    }
    let encoding = match encoding {
        Some(e) => e,
        None if utf8_default => "utf8",
        None => {
            return Err(invalid(format!(
                "{what}.encoding is required (hex or base64)"
            )));
        }
    };
    match encoding {
        "hex" => hex::decode(value).map_err(|_| invalid(format!("{what}.value is not valid hex"))),
        "base64" => {
            const STRICT_PAD_OPTIONAL: GeneralPurpose = GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                GeneralPurposeConfig::new()
                    .with_decode_padding_mode(DecodePaddingMode::Indifferent),
            );
            STRICT_PAD_OPTIONAL
                .decode(value.as_bytes())
                .map_err(|_| invalid(format!("{what}.value is not valid base64")))
        }
        "utf8" if utf8_default => Ok(value.as_bytes().to_vec()),
        "utf8" => Err(invalid(format!(
            "{what}.encoding must be hex or base64 for a binary hash"
        ))),
        other => Err(invalid(format!(
            "{what}.encoding {other:?} must be hex, base64 or utf8"
        ))),
    }
}

fn invalid(reason: impl Into<String>) -> LegacyHashError {
    LegacyHashError::InvalidCustomHash(reason.into())
}

fn as_object<'a>(
    value: &'a serde_json::Value,
    what: &str,
) -> Result<&'a serde_json::Map<String, serde_json::Value>, LegacyHashError> {
    value
        .as_object()
        .ok_or_else(|| invalid(format!("{what} must be an object")))
}

fn only_keys(
    obj: &serde_json::Map<String, serde_json::Value>,
    what: &str,
    allowed: &[&str],
) -> Result<(), LegacyHashError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(invalid(format!("{what} has an unknown property {k:?}"))),
        None => Ok(()),
    }
}

fn required_str<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
    what: &str,
) -> Result<&'a str, LegacyHashError> {
    optional_str(obj, key, what)?.ok_or_else(|| invalid(format!("{what}.{key} is required")))
}

fn optional_str<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
    what: &str,
) -> Result<Option<&'a str>, LegacyHashError> {
    match obj.get(key) {
        None => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(format!("{what}.{key} must be a string"))),
    }
}

fn optional_u32(
    obj: &serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<Option<u32>, LegacyHashError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| invalid(format!("{key} must be a positive integer"))),
    }
}

#[cfg(test)]
#[path = "legacy_hash_tests.rs"]
mod tests;
