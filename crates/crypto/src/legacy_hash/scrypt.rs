//! scrypt in PHC form (`$scrypt$ln=…,r=…,p=…$`).

use super::common::{check_output_len, check_salt_len, decode_b64, parse_number};
use super::error::{LegacyHashError, malformed, too_costly};
use subtle::ConstantTimeEq as _;

/// scrypt: memory 128·r·N bytes at most 64 MiB; r and p bounded.
pub(super) const MAX_SCRYPT_MEMORY: u64 = 64 * 1024 * 1024;
pub(super) const MAX_SCRYPT_R: u32 = 32;
pub(super) const MAX_SCRYPT_P: u32 = 16;

pub(super) struct Scrypt {
    log_n: u8,
    r: u32,
    p: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

/// `ln=14,r=8,p=1$<salt>$<hash>` (the PHC form of passlib and RustCrypto).
pub(super) fn parse_scrypt(rest: &str) -> Result<Scrypt, LegacyHashError> {
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

pub(super) fn check_scrypt_params(log_n: u8, r: u32, p: u32) -> Result<(), LegacyHashError> {
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

pub(super) fn verify_scrypt(s: &Scrypt, password: &str) -> Result<bool, LegacyHashError> {
    let params = scrypt::Params::new(s.log_n, s.r, s.p)
        .map_err(|_| malformed("scrypt", "invalid parameters"))?;
    let mut out = vec![0u8; s.hash.len()];
    scrypt::scrypt(password.as_bytes(), &s.salt, &params, &mut out)
        .map_err(|_| malformed("scrypt", "invalid output length"))?;
    Ok(out.ct_eq(&s.hash).into())
}
