//! `private_key_jwt` client authentication at an upstream token endpoint
//! (OIDC Core §9, RFC 7523 §2.2): a JWT signed with the connection's own
//! private key, `iss` = `sub` = the client id, `aud` = the token endpoint,
//! a fresh random `jti` and a one-minute lifetime, made anew for every
//! request so that it cannot be replayed by whoever sees one. Also the
//! PEM parsing of Sign in with Apple's key, which signs its client secret
//! the same way and which the options check reads too.

use super::upstream::RedirectError;
use base64::Engine as _;
use crypto::{KeyPair, PublicKey, SigningAlg};
use serde_json::json;

/// How long an assertion is valid, seconds.
const LIFETIME_SECONDS: i64 = 60;

/// The connection's assertion signing key.
pub(crate) struct AssertionKey {
    key: KeyPair,
    kid: String,
}

impl AssertionKey {
    /// From a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`) for
    /// `alg` (`RS256` by default); `kid` defaults to the key's RFC 7638
    /// thumbprint.
    pub(crate) fn from_pem(
        pem: &str,
        alg: Option<&str>,
        kid: Option<&str>,
    ) -> Result<Self, RedirectError> {
        let config = |message: &str| RedirectError::Config(message.to_owned());
        let alg = match alg {
            None => SigningAlg::Rs256,
            Some(name) => SigningAlg::parse(name).ok_or_else(|| {
                config("`token_endpoint_auth_signing_alg` must be RS256, ES256 or EdDSA")
            })?,
        };
        let der = pkcs8_der(pem).ok_or_else(|| {
            config("`client_assertion_signing_key` is not a PKCS#8 PEM private key")
        })?;
        let key = KeyPair::from_pkcs8(alg, &der).map_err(|_| {
            config("`client_assertion_signing_key` is not a private key for its algorithm")
        })?;
        let kid = match kid {
            Some(kid) => kid.to_owned(),
            None => PublicKey::from_key_pair(&key, "")
                .map_err(|_| config("the assertion key has no usable public key"))?
                .thumbprint(),
        };
        Ok(Self { key, kid })
    }

    /// A fresh assertion for one request to `token_endpoint`.
    pub(crate) fn sign(
        &self,
        client_id: &str,
        token_endpoint: &str,
        now_seconds: i64,
    ) -> Result<String, RedirectError> {
        let jti = crypto::secrets::random_token(24)
            .map_err(|_| RedirectError::Upstream("no randomness for the assertion".into()))?;
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": token_endpoint,
            "jti": jti,
            "iat": now_seconds,
            "exp": now_seconds + LIFETIME_SECONDS,
        });
        self.key
            .sign_jwt(&self.kid, None, &claims)
            .map_err(|_| RedirectError::Config("cannot sign the client assertion".into()))
    }
}

/// Parses Sign in with Apple's `.p8` key: a PKCS#8 PEM EC P-256 private
/// key. Here rather than in `apple` because the options check uses it too.
pub(crate) fn apple_signing_key(pem: &str) -> Result<KeyPair, RedirectError> {
    let invalid = || RedirectError::Config("`app_secret` is not a P-256 PKCS#8 PEM key".into());
    let der = pkcs8_der(pem).ok_or_else(invalid)?;
    KeyPair::from_pkcs8(SigningAlg::Es256, &der).map_err(|_| invalid())
}

/// The DER body of the PEM `PRIVATE KEY` block.
pub(crate) fn pkcs8_der(pem: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let start = pem.find(BEGIN)? + BEGIN.len();
    let rest = pem.get(start..)?;
    let body: String = rest
        .get(..rest.find(END)?)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem_of(key_der: &[u8]) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(key_der);
        format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
    }

    #[test]
    fn assertions_are_fresh_and_verify_with_the_public_key() {
        let generated = KeyPair::generate(SigningAlg::Es256).unwrap();
        let pem = pem_of(&generated.pkcs8_der());
        let key = AssertionKey::from_pem(&pem, Some("ES256"), Some("k1")).unwrap();
        let endpoint = "https://idp.example/token";
        let first = key.sign("client-1", endpoint, 1_700_000_000).unwrap();
        let second = key.sign("client-1", endpoint, 1_700_000_000).unwrap();
        let public = PublicKey::from_key_pair(&generated, "k1").unwrap();
        let expected = crypto::Expectations::new("client-1", endpoint);
        let verify = |token: &str| {
            crypto::verify_jwt(
                token,
                std::slice::from_ref(&public),
                &[SigningAlg::Es256],
                &expected,
                1_700_000_010,
            )
            .unwrap()
        };
        let (a, b) = (verify(&first), verify(&second));
        assert_eq!(a["sub"], "client-1");
        assert_eq!(a["exp"], 1_700_000_060);
        assert_ne!(a["jti"], b["jti"], "a fresh jti each time");
    }

    #[test]
    fn bad_keys_are_configuration_errors() {
        assert!(AssertionKey::from_pem("not a key", None, None).is_err());
        let generated = KeyPair::generate(SigningAlg::Es256).unwrap();
        let pem = pem_of(&generated.pkcs8_der());
        // An EC key is no RS256 key, and HS256 is not offered.
        assert!(AssertionKey::from_pem(&pem, None, None).is_err());
        assert!(AssertionKey::from_pem(&pem, Some("HS256"), None).is_err());
    }
}
