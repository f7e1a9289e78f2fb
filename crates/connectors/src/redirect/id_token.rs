//! Verification of an upstream ID token (OIDC Core §3.1.3.7, SECURITY.md
//! §3 JWT-01…JWT-13).
//!
//! `crypto::verify_jwt` does the JOSE part: an allow-list of algorithms
//! (RS256, ES256, EdDSA: never `none` or HMAC), keys only from the upstream's
//! JWKS (header `jwk`/`jku`/`x5u`/`x5c` ignored), `crit` refused, `exp` with
//! leeway, exact `iss`, `aud` containing our client id. This module adds what
//! is specific to ID tokens: a JWKS refetch when the `kid` is unknown (key
//! rotation), `iat` and `sub` required, `azp` when there are several
//! audiences, and the single-use `nonce` of this login.

use super::http::Upstreams;
use super::upstream::RedirectError;
use crypto::{Expectations, JwtError, SigningAlg};
use serde_json::{Map, Value};

/// Skew allowed on `exp` and `iat`, in seconds.
pub const LEEWAY_SECONDS: i64 = 60;

/// What an ID token must satisfy for one login.
pub(crate) struct Rules<'a> {
    /// Exact `iss`; `alternate_issuer` is a second accepted spelling (Google
    /// documents both `https://accounts.google.com` and `accounts.google.com`).
    pub issuer: &'a str,
    pub alternate_issuer: Option<&'a str>,
    pub client_id: &'a str,
    pub jwks_uri: &'a str,
    pub algs: &'a [SigningAlg],
    pub nonce: &'a str,
}

fn invalid(error: impl std::fmt::Display) -> RedirectError {
    RedirectError::InvalidIdToken(error.to_string())
}

/// Verifies `token` and returns its claims.
pub(crate) async fn verify(
    upstreams: &Upstreams,
    rules: &Rules<'_>,
    token: &str,
    now_seconds: i64,
) -> Result<Map<String, Value>, RedirectError> {
    let mut keys = upstreams.jwks(rules.jwks_uri, false).await?;
    let mut refreshed = false;
    let tenant_issuer = tenant_issuer(rules.issuer, token)?;
    let mut issuers = vec![tenant_issuer.as_deref().unwrap_or(rules.issuer)];
    issuers.extend(rules.alternate_issuer);
    let mut index = 0;
    let claims = loop {
        let Some(issuer) = issuers.get(index) else {
            return Err(invalid(JwtError::WrongIssuer));
        };
        let expected = Expectations::new(*issuer, rules.client_id).with_leeway(LEEWAY_SECONDS);
        match crypto::verify_jwt(token, &keys, rules.algs, &expected, now_seconds) {
            Ok(claims) => break claims,
            Err(JwtError::UnknownKey) if !refreshed => {
                keys = upstreams.jwks(rules.jwks_uri, true).await?;
                refreshed = true;
            }
            Err(JwtError::WrongIssuer) => index += 1,
            Err(error) => return Err(invalid(error)),
        }
    };
    let Value::Object(claims) = claims else {
        return Err(invalid("claims are not an object"));
    };
    check_claims(&claims, rules, now_seconds)?;
    Ok(claims)
}

/// Multi-tenant Entra ID: the metadata's issuer is a template
/// (`https://login.microsoftonline.com/{tenantid}/v2.0`). The issuer an ID
/// token must carry is the template filled with the token's own `tid` (read
/// here unverified, then bound by the signature: `iss` is checked exactly
/// against this value), so a token of one directory cannot pass as
/// another's. `None` when the issuer is no template.
fn tenant_issuer(issuer: &str, token: &str) -> Result<Option<String>, RedirectError> {
    const PLACEHOLDER: &str = "{tenantid}";
    if !issuer.contains(PLACEHOLDER) {
        return Ok(None);
    }
    use base64::Engine as _;
    let tid = token
        .split('.')
        .nth(1)
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|claims| claims.get("tid").and_then(Value::as_str).map(str::to_owned))
        .filter(|tid| tid.len() == 36 && tid.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        .ok_or_else(|| invalid("tid is missing or not a directory id"))?;
    Ok(Some(issuer.replace(PLACEHOLDER, &tid)))
}

fn check_claims(
    claims: &Map<String, Value>,
    rules: &Rules<'_>,
    now_seconds: i64,
) -> Result<(), RedirectError> {
    match claims.get("iat") {
        Some(Value::Number(iat)) => {
            if iat
                .as_f64()
                .is_none_or(|iat| iat > (now_seconds + LEEWAY_SECONDS) as f64)
            {
                return Err(invalid(JwtError::NotYetValid));
            }
        }
        _ => return Err(invalid(JwtError::MissingClaim("iat"))),
    }
    match claims.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() && sub.len() <= 255 => {}
        _ => return Err(invalid("sub is missing or not a valid string")),
    }
    let audiences = match claims.get("aud") {
        Some(Value::Array(list)) => list.len(),
        _ => 1,
    };
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == rules.client_id => {}
        Some(_) => return Err(invalid("azp is not this client")),
        None if audiences > 1 => return Err(invalid("azp is required with several audiences")),
        None => {}
    }
    let nonce_ok = match claims.get("nonce") {
        Some(Value::String(nonce)) => {
            crypto::secrets::constant_time_eq(nonce.as_bytes(), rules.nonce.as_bytes())
        }
        _ => false,
    };
    if !nonce_ok {
        return Err(invalid("nonce does not match this login"));
    }
    Ok(())
}

/// The claims that describe the token rather than the user; left out of
/// `profileData`.
pub(crate) const PROTOCOL_CLAIMS: &[&str] = &[
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "azp",
    "at_hash",
    "c_hash",
    "s_hash",
    "auth_time",
    "jti",
    "sid",
    "acr",
    "amr",
];
