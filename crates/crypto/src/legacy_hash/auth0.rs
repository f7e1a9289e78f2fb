//! Auth0's user-import `custom_password_hash` object, converted into one
//! stored string.

use super::common::{MAX_STORED_LEN, check_output_len, check_salt_len};
use super::digest_alg::DigestAlg;
use super::error::LegacyHashError;
use super::parse::{Parsed, parse};
use super::salted_digest::{MAX_HMAC_KEY_LEN, PasswordEncoding, SaltPosition, SaltedDigest};
use super::scrypt::check_scrypt_params;
use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD_NO_PAD};

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
