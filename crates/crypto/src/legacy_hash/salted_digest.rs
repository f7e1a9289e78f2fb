//! Vestibule's own `$vestibule-digest$` and `$vestibule-hmac$` formats:
//! a digest or HMAC of the salted password.

use super::common::{check_salt_len, decode_b64};
use super::error::{LegacyHashError, malformed};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use super::digest_alg::DigestAlg;
use subtle::ConstantTimeEq as _;

/// HMAC key length bound (bytes).
pub(super) const MAX_HMAC_KEY_LEN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SaltPosition {
    Prefix,
    Suffix,
}

impl SaltPosition {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Prefix => "prefix",
            Self::Suffix => "suffix",
        }
    }
}

/// How the password's characters became bytes in the original system
/// (Node's `Buffer` encodings, as Auth0 documents them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PasswordEncoding {
    Utf8,
    Latin1,
    Utf16Le,
}

impl PasswordEncoding {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "utf8",
            Self::Latin1 => "latin1",
            Self::Utf16Le => "utf16le",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "utf8" => Self::Utf8,
            "latin1" => Self::Latin1,
            "utf16le" => Self::Utf16Le,
            _ => return None,
        })
    }

    /// Auth0's names: `ascii|utf8|utf16le|ucs2|latin1|binary`.
    pub(super) fn from_auth0(name: &str) -> Option<Self> {
        Some(match name {
            "utf8" => Self::Utf8,
            "latin1" | "binary" | "ascii" => Self::Latin1,
            "utf16le" | "ucs2" => Self::Utf16Le,
            _ => return None,
        })
    }

    pub(super) fn encode(self, password: &str) -> Vec<u8> {
        match self {
            Self::Utf8 => password.as_bytes().to_vec(),
            // Node keeps the low byte of each UTF-16 code unit.
            Self::Latin1 => password.encode_utf16().map(|u| (u & 0xff) as u8).collect(),
            Self::Utf16Le => password.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        }
    }
}

pub(super) struct SaltedDigest {
    pub(super) digest: DigestAlg,
    pub(super) position: SaltPosition,
    pub(super) encoding: PasswordEncoding,
    pub(super) key: Option<Vec<u8>>,
    pub(super) salt: Vec<u8>,
    pub(super) hash: Vec<u8>,
}

impl SaltedDigest {
    pub(super) fn to_stored(&self) -> String {
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

pub(super) fn parse_vestibule(rest: &str, hmac: bool) -> Result<SaltedDigest, LegacyHashError> {
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

pub(super) fn verify_digest(d: &SaltedDigest, password: &str) -> bool {
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
