//! PBKDF2 in PHC form (Auth0's `$pbkdf2-sha256$i=…,l=…$` and passlib's).

use super::common::{check_output_len, check_salt_len, decode_b64, parse_number};
use super::digest_alg::DigestAlg;
use super::error::{LegacyHashError, malformed, too_costly};
use subtle::ConstantTimeEq as _;

/// PBKDF2 work: iterations × output blocks.
pub(super) const MAX_PBKDF2_WORK: u64 = 2_000_000;

pub(super) struct Pbkdf2 {
    digest: DigestAlg,
    iterations: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

/// `sha256$i=1000,l=32$<salt>$<hash>` (Auth0, PHC) or
/// `sha256$1000$<salt>$<hash>` (passlib, adapted base64).
pub(super) fn parse_pbkdf2(rest: &str) -> Result<Pbkdf2, LegacyHashError> {
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

pub(super) fn verify_pbkdf2(p: &Pbkdf2, password: &str) -> bool {
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
