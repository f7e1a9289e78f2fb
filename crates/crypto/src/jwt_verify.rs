//! Verification of compact JWS/JWTs: Vestibule's own tokens (Management API
//! bearer tokens, `id_token_hint`) and, later, tokens from upstream issuers
//! and clients.
//!
//! The rules are strict by construction (SECURITY.md §3, JWT-01…JWT-15):
//!
//! * the header `alg` must be one of ours ([`SigningAlg`]: no `none`, no
//!   HMAC) **and** in the caller's allow-list **and** equal to the selected
//!   key's algorithm; each [`PublicKey`] carries exactly one algorithm, so
//!   algorithm confusion cannot happen;
//! * keys come only from the caller's key set, selected by `kid`; header
//!   `jwk`, `jku`, `x5u`, `x5c` are never looked at;
//! * any `crit` header is rejected (we implement no extensions);
//! * tokens larger than [`Expectations::max_token_bytes`] are rejected before
//!   decoding; base64url must be canonical and unpadded; header and claims
//!   must be JSON objects, with no duplicate registered members;
//! * `exp` is required; `nbf` and `iat` are checked when present; `iss` must
//!   match exactly; `aud` (string or array) must contain the audience.
//!
//! Time comes from the caller (`model::Clock::now_seconds`).

use crate::b64;
use crate::jws::{KeyPair, PublicMaterial, RSA_MAX_MODULUS_BYTES, RSA_MIN_MODULUS_BYTES};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
    RsaPublicKeyComponents,
};
use model::SigningAlg;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};
use std::fmt;

/// Default maximum size of a token, in bytes.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Default clock-skew allowance, in seconds.
pub const DEFAULT_LEEWAY_SECONDS: i64 = 60;

/// Why a token (or a JWK) was rejected. Messages never echo token contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// The token exceeds the size limit.
    #[error("token is too large")]
    TooLarge,
    /// Not a well-formed compact JWS/JWT.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header names an algorithm Vestibule never accepts (`none`, HS*, …).
    #[error("unsupported algorithm")]
    UnsupportedAlg,
    /// The algorithm is supported but not allowed in this context.
    #[error("algorithm {0} is not allowed here")]
    AlgNotAllowed(SigningAlg),
    /// The header carries a `crit` parameter.
    #[error("unsupported critical header parameter")]
    UnsupportedCritical,
    /// The header `typ` is not the expected one.
    #[error("unexpected token type")]
    WrongType,
    /// No key (or more than one) matches the header's `kid` and `alg`.
    #[error("no matching key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("signature verification failed")]
    BadSignature,
    /// A required claim is missing.
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
    /// A registered claim has the wrong type or an impossible value.
    #[error("invalid claim {0}")]
    InvalidClaim(&'static str),
    /// `exp` has passed (beyond leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` or `iat` is in the future (beyond leeway).
    #[error("token is not yet valid")]
    NotYetValid,
    /// `exp` is further in the future than the context allows.
    #[error("token lifetime is too long")]
    LifetimeTooLong,
    /// `iss` is not the expected issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` does not contain the expected audience.
    #[error("wrong audience")]
    WrongAudience,
    /// A JWK could not be used as a verification key.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
}

/// A verification key for exactly one algorithm, parsed once.
#[derive(Clone)]
pub struct PublicKey {
    alg: SigningAlg,
    kid: Option<String>,
    material: PublicMaterial,
    parsed: ParsedPublicKey,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Reads an optional string member; present-but-not-a-string is an error.
fn opt_str<'a>(
    jwk: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, JwtError> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(JwtError::InvalidKey("JWK member is not a string")),
    }
}

fn req_b64(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, JwtError> {
    let text = opt_str(jwk, name)?.ok_or(JwtError::InvalidKey("JWK is missing a key member"))?;
    b64::url_decode(text).ok_or(JwtError::InvalidKey("JWK member is not base64url"))
}

fn strip_leading_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default().to_vec()
}

impl PublicKey {
    /// Parses a public JWK. Supported: `RSA` (2048–8192 bits, RS256), `EC`
    /// `P-256` (ES256), `OKP` `Ed25519` (EdDSA). `alg`, if present, must be
    /// the one matching the key type; `use`, if present, must be `sig`;
    /// `key_ops`, if present, must include `verify`. JWKs with private
    /// members (`d`, `p`, `k`, …) are rejected outright.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JwtError> {
        let jwk = jwk
            .as_object()
            .ok_or(JwtError::InvalidKey("JWK is not a JSON object"))?;
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            if jwk.contains_key(private) {
                return Err(JwtError::InvalidKey("JWK contains private key material"));
            }
        }
        if let Some(usage) = opt_str(jwk, "use")?
            && usage != "sig"
        {
            return Err(JwtError::InvalidKey("JWK is not a signing key"));
        }
        if let Some(ops) = jwk.get("key_ops") {
            let allows_verify = ops
                .as_array()
                .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
            if !allows_verify {
                return Err(JwtError::InvalidKey("JWK key_ops does not allow verify"));
            }
        }
        let kid = opt_str(jwk, "kid")?.map(str::to_owned);
        let kty = opt_str(jwk, "kty")?.ok_or(JwtError::InvalidKey("JWK has no kty"))?;
        let material = match kty {
            "RSA" => {
                let n = strip_leading_zeros(&req_b64(jwk, "n")?);
                let e = strip_leading_zeros(&req_b64(jwk, "e")?);
                if !(RSA_MIN_MODULUS_BYTES..=RSA_MAX_MODULUS_BYTES).contains(&n.len()) {
                    return Err(JwtError::InvalidKey(
                        "RSA modulus must be 2048 to 8192 bits",
                    ));
                }
                if e.is_empty() || e.len() > 4 {
                    return Err(JwtError::InvalidKey("RSA exponent out of range"));
                }
                PublicMaterial::Rsa { n, e }
            }
            "EC" => {
                if opt_str(jwk, "crv")? != Some("P-256") {
                    return Err(JwtError::InvalidKey("unsupported EC curve"));
                }
                let x = req_b64(jwk, "x")?
                    .try_into()
                    .map_err(|_| JwtError::InvalidKey("EC coordinate length"))?;
                let y = req_b64(jwk, "y")?
                    .try_into()
                    .map_err(|_| JwtError::InvalidKey("EC coordinate length"))?;
                PublicMaterial::Ec { x, y }
            }
            "OKP" => {
                if opt_str(jwk, "crv")? != Some("Ed25519") {
                    return Err(JwtError::InvalidKey("unsupported OKP curve"));
                }
                let x = req_b64(jwk, "x")?
                    .try_into()
                    .map_err(|_| JwtError::InvalidKey("Ed25519 key length"))?;
                PublicMaterial::Ed { x }
            }
            _ => return Err(JwtError::InvalidKey("unsupported key type")),
        };
        if let Some(alg) = opt_str(jwk, "alg")?
            && SigningAlg::parse(alg) != Some(material.alg())
        {
            return Err(JwtError::InvalidKey("JWK alg does not match its key type"));
        }
        Self::from_material(material, kid)
    }

    /// The verification key for one of our own signing keys.
    pub fn from_key_pair(key: &KeyPair, kid: &str) -> Result<Self, JwtError> {
        Self::from_material(key.public_material().clone(), Some(kid.to_owned()))
    }

    fn from_material(material: PublicMaterial, kid: Option<String>) -> Result<Self, JwtError> {
        let parsed = match &material {
            PublicMaterial::Rsa { n, e } => RsaPublicKeyComponents { n, e }
                .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
                .map_err(|_| JwtError::InvalidKey("RSA public key rejected"))?,
            PublicMaterial::Ec { x, y } => {
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                // Rejects points not on the curve (invalid-curve attacks).
                ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                    .map_err(|_| JwtError::InvalidKey("EC point is not on P-256"))?
            }
            PublicMaterial::Ed { x } => ParsedPublicKey::new(&ED25519, x)
                .map_err(|_| JwtError::InvalidKey("Ed25519 public key rejected"))?,
        };
        Ok(Self {
            alg: material.alg(),
            kid,
            material,
            parsed,
        })
    }

    /// The one algorithm this key verifies.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The key's `kid`, if it has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// RFC 7638 SHA-256 thumbprint, base64url.
    pub fn thumbprint(&self) -> String {
        self.material.thumbprint()
    }

    /// The public JWK (with `use`, `alg` and `kid` if known).
    pub fn to_jwk(&self) -> Value {
        self.material.jwk(self.kid.as_deref())
    }
}

/// Parses the usable signing keys of a JWKS document (`{"keys": [...]}`).
/// Keys that are not for signing, or of a type or algorithm Vestibule does
/// not verify, or otherwise invalid (e.g. RSA-1024) are skipped, so that one
/// odd key does not break an upstream's whole key set. Use
/// [`PublicKey::from_jwk`] per key where each rejection must be reported
/// (client registration).
pub fn parse_jwks(jwks: &Value) -> Result<Vec<PublicKey>, JwtError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JwtError::InvalidKey("JWKS has no keys array"))?;
    Ok(keys
        .iter()
        .filter_map(|jwk| PublicKey::from_jwk(jwk).ok())
        .collect())
}

/// What a token must satisfy beyond its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// Exact `iss`.
    pub issuer: String,
    /// Must appear in `aud` (a string, or an array of strings).
    pub audience: String,
    /// Clock-skew allowance applied to `exp`, `nbf` and `iat` (negative
    /// values are treated as 0).
    pub leeway_seconds: i64,
    /// If set, the header `typ` must equal this (ASCII case-insensitive, an
    /// `application/` prefix is ignored on both sides). If unset, any `typ`
    /// or none is accepted.
    pub typ: Option<String>,
    /// If set, `exp - now` must not exceed this (e.g. 3600 for client
    /// assertions, RFC 7523).
    pub max_lifetime_seconds: Option<i64>,
    /// Tokens longer than this are rejected unread.
    pub max_token_bytes: usize,
}

impl Expectations {
    /// Issuer and audience with default leeway (60 s), any `typ`, no lifetime
    /// cap, 16 KiB size limit.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway_seconds: DEFAULT_LEEWAY_SECONDS,
            typ: None,
            max_lifetime_seconds: None,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }

    /// Requires header `typ` to be `typ`.
    pub fn with_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Sets the clock-skew allowance.
    pub fn with_leeway(mut self, seconds: i64) -> Self {
        self.leeway_seconds = seconds;
        self
    }

    /// Caps `exp - now`.
    pub fn with_max_lifetime(mut self, seconds: i64) -> Self {
        self.max_lifetime_seconds = Some(seconds);
        self
    }
}

/// The protected header members we look at. Deserialised straight from the
/// bytes so that duplicate members are an error rather than "last wins".
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// Registered claims, only to reject duplicates of them (the values are
/// read from the `Value` afterwards).
#[derive(Deserialize)]
#[allow(dead_code)]
struct RegisteredClaims {
    #[serde(default)]
    iss: Option<IgnoredAny>,
    #[serde(default)]
    sub: Option<IgnoredAny>,
    #[serde(default)]
    aud: Option<IgnoredAny>,
    #[serde(default)]
    exp: Option<IgnoredAny>,
    #[serde(default)]
    nbf: Option<IgnoredAny>,
    #[serde(default)]
    iat: Option<IgnoredAny>,
    #[serde(default)]
    jti: Option<IgnoredAny>,
    #[serde(default)]
    azp: Option<IgnoredAny>,
    #[serde(default)]
    nonce: Option<IgnoredAny>,
    #[serde(default)]
    scope: Option<IgnoredAny>,
}

fn is_json_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

fn normalise_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

/// A NumericDate (RFC 7519 §2) as whole seconds. Fractions round towards
/// the stricter side: down for `exp`, up for `nbf`/`iat`.
fn numeric_date(value: &Value, name: &'static str, round_up: bool) -> Result<i64, JwtError> {
    let Value::Number(number) = value else {
        return Err(JwtError::InvalidClaim(name));
    };
    if let Some(int) = number.as_i64() {
        return Ok(int);
    }
    let float = number.as_f64().ok_or(JwtError::InvalidClaim(name))?;
    // Anything beyond ±2^53 is not a plausible date; also excludes NaN/inf.
    if !float.is_finite() || float.abs() > 9_007_199_254_740_992.0 {
        return Err(JwtError::InvalidClaim(name));
    }
    let rounded = if round_up {
        float.ceil()
    } else {
        float.floor()
    };
    #[allow(clippy::cast_possible_truncation)]
    Ok(rounded as i64)
}

/// Verifies a compact JWS `token` and returns its claims.
///
/// `keys` is the key set trusted for this context (one issuer, one client);
/// `allowed_algs` the algorithms acceptable in this context. The key is
/// chosen by the header `kid` among keys of the header's algorithm; without a
/// `kid`, exactly one key of that algorithm must exist (a key without a `kid`
/// is only ever selected that way). Two keys sharing `kid` and algorithm are
/// ambiguous and fail rather than being tried in turn. `now_seconds` comes
/// from `model::Clock`.
pub fn verify_jwt(
    token: &str,
    keys: &[PublicKey],
    allowed_algs: &[SigningAlg],
    expected: &Expectations,
    now_seconds: i64,
) -> Result<Value, JwtError> {
    if token.len() > expected.max_token_bytes {
        return Err(JwtError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("expected three dot-separated parts"));
    };

    // Header.
    let header_bytes =
        b64::url_decode(header_b64).ok_or(JwtError::Malformed("header is not base64url"))?;
    if !is_json_object(&header_bytes) {
        return Err(JwtError::Malformed("header is not a JSON object"));
    }
    let header: Header = serde_json::from_slice(&header_bytes)
        .map_err(|_| JwtError::Malformed("header is not valid"))?;
    if header.crit.is_some() {
        return Err(JwtError::UnsupportedCritical);
    }
    let alg = SigningAlg::parse(&header.alg).ok_or(JwtError::UnsupportedAlg)?;
    if !allowed_algs.contains(&alg) {
        return Err(JwtError::AlgNotAllowed(alg));
    }
    if let Some(want) = &expected.typ {
        let matches = header
            .typ
            .as_deref()
            .is_some_and(|got| normalise_typ(got) == normalise_typ(want));
        if !matches {
            return Err(JwtError::WrongType);
        }
    }

    // Key: same algorithm, then by kid (or the only one without a kid).
    let mut candidates =
        keys.iter()
            .filter(|key| key.alg == alg)
            .filter(|key| match header.kid.as_deref() {
                Some(kid) => key.kid.as_deref() == Some(kid),
                None => true,
            });
    let key = match (candidates.next(), candidates.next()) {
        (Some(key), None) => key,
        _ => return Err(JwtError::UnknownKey),
    };

    // Signature, before anything in the payload is trusted.
    if signature_b64.is_empty() {
        return Err(JwtError::BadSignature);
    }
    let signature =
        b64::url_decode(signature_b64).ok_or(JwtError::Malformed("signature is not base64url"))?;
    let signing_input_len = header_b64.len() + 1 + payload_b64.len();
    let signing_input = token
        .as_bytes()
        .get(..signing_input_len)
        .ok_or(JwtError::Malformed("truncated"))?;
    key.parsed
        .verify_sig(signing_input, &signature)
        .map_err(|_| JwtError::BadSignature)?;

    // Claims.
    let payload =
        b64::url_decode(payload_b64).ok_or(JwtError::Malformed("payload is not base64url"))?;
    if !is_json_object(&payload) {
        return Err(JwtError::Malformed("claims are not a JSON object"));
    }
    serde_json::from_slice::<RegisteredClaims>(&payload)
        .map_err(|_| JwtError::Malformed("claims are not valid"))?;
    let claims: Value =
        serde_json::from_slice(&payload).map_err(|_| JwtError::Malformed("claims are not JSON"))?;
    check_claims(&claims, expected, now_seconds)?;
    Ok(claims)
}

fn check_claims(claims: &Value, expected: &Expectations, now: i64) -> Result<(), JwtError> {
    let claims = claims
        .as_object()
        .ok_or(JwtError::Malformed("claims are not a JSON object"))?;
    let leeway = expected.leeway_seconds.max(0);

    let exp = claims.get("exp").ok_or(JwtError::MissingClaim("exp"))?;
    let exp = numeric_date(exp, "exp", false)?;
    if now >= exp.saturating_add(leeway) {
        return Err(JwtError::Expired);
    }
    if let Some(max) = expected.max_lifetime_seconds
        && exp.saturating_sub(now) > max.saturating_add(leeway)
    {
        return Err(JwtError::LifetimeTooLong);
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf = numeric_date(nbf, "nbf", true)?;
        if now.saturating_add(leeway) < nbf {
            return Err(JwtError::NotYetValid);
        }
    }
    if let Some(iat) = claims.get("iat") {
        let iat = numeric_date(iat, "iat", true)?;
        if now.saturating_add(leeway) < iat {
            return Err(JwtError::NotYetValid);
        }
    }

    match claims.get("iss") {
        Some(Value::String(iss)) if *iss == expected.issuer => {}
        Some(Value::String(_)) => return Err(JwtError::WrongIssuer),
        Some(_) => return Err(JwtError::InvalidClaim("iss")),
        None => return Err(JwtError::MissingClaim("iss")),
    }

    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => *aud == expected.audience,
        Some(Value::Array(auds)) => {
            if !auds.iter().all(Value::is_string) {
                return Err(JwtError::InvalidClaim("aud"));
            }
            auds.iter()
                .any(|aud| aud.as_str() == Some(expected.audience.as_str()))
        }
        Some(_) => return Err(JwtError::InvalidClaim("aud")),
        None => return Err(JwtError::MissingClaim("aud")),
    };
    if !audience_ok {
        return Err(JwtError::WrongAudience);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
