//! Token signing keys and compact JWS signing.
//!
//! A [`KeyPair`] is parsed once (at generation or when loaded from its sealed
//! PKCS#8 form) and then signs without any per-call parsing, because ID and
//! access token issuance is the hot path. All private-key work is aws-lc-rs:
//! RSA 2048 PKCS#1 v1.5 + SHA-256 (RS256), P-256 with fixed-size signatures
//! (ES256, RFC 7518 §3.4), and Ed25519 (EdDSA, RFC 8037).
//!
//! This module also owns the public half as published in the JWKS: the JWK
//! (optionally with `x5c`/`x5t` from a self-signed certificate, as Auth0
//! publishes) and the RFC 7638 thumbprint used as the `kid`.

use crate::CryptoError;
use crate::b64;
use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256,
    RsaKeyPair,
};
use model::SigningAlg;
use serde_json::{Map, Value, json};
use std::fmt;
use zeroize::Zeroizing;

/// Smallest RSA modulus we sign or verify with, in bytes (2048 bits).
pub(crate) const RSA_MIN_MODULUS_BYTES: usize = 256;
/// Largest RSA modulus we accept, in bytes (8192 bits).
pub(crate) const RSA_MAX_MODULUS_BYTES: usize = 1024;
const P256_COORD_LEN: usize = 32;
const ED25519_KEY_LEN: usize = 32;

/// The public half of a signing key, as raw JWK members.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum PublicMaterial {
    /// Big-endian modulus and exponent, without leading zero bytes.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// P-256 affine coordinates.
    Ec {
        x: [u8; P256_COORD_LEN],
        y: [u8; P256_COORD_LEN],
    },
    /// Ed25519 public key.
    Ed { x: [u8; ED25519_KEY_LEN] },
}

impl fmt::Debug for PublicMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicMaterial({})", self.thumbprint())
    }
}

impl PublicMaterial {
    /// The algorithm a key of this type signs with in Vestibule.
    pub(crate) fn alg(&self) -> SigningAlg {
        match self {
            Self::Rsa { .. } => SigningAlg::Rs256,
            Self::Ec { .. } => SigningAlg::Es256,
            Self::Ed { .. } => SigningAlg::EdDsa,
        }
    }

    /// The required members of the JWK in RFC 7638 order (lexicographic),
    /// which is also a sensible order for publication.
    pub(crate) fn required_members(&self) -> Map<String, Value> {
        let mut members = Map::new();
        match self {
            Self::Rsa { n, e } => {
                members.insert("e".into(), Value::String(b64::url_encode(e)));
                members.insert("kty".into(), Value::String("RSA".into()));
                members.insert("n".into(), Value::String(b64::url_encode(n)));
            }
            Self::Ec { x, y } => {
                members.insert("crv".into(), Value::String("P-256".into()));
                members.insert("kty".into(), Value::String("EC".into()));
                members.insert("x".into(), Value::String(b64::url_encode(x)));
                members.insert("y".into(), Value::String(b64::url_encode(y)));
            }
            Self::Ed { x } => {
                members.insert("crv".into(), Value::String("Ed25519".into()));
                members.insert("kty".into(), Value::String("OKP".into()));
                members.insert("x".into(), Value::String(b64::url_encode(x)));
            }
        }
        members
    }

    /// RFC 7638 JWK thumbprint: SHA-256 over the required members serialised
    /// in lexicographic order without whitespace, base64url.
    pub(crate) fn thumbprint(&self) -> String {
        // `serde_json` with `preserve_order` keeps insertion order, which
        // `required_members` makes lexicographic; the values are base64url or
        // fixed ASCII, so no escaping differences can arise.
        let canonical = Value::Object(self.required_members()).to_string();
        crate::secrets::sha256_base64url(canonical.as_bytes())
    }

    /// The public JWK: `kty`, `use`, `alg`, `kid`, then the key members.
    pub(crate) fn jwk(&self, kid: Option<&str>) -> Value {
        let mut jwk = Map::new();
        let members = self.required_members();
        if let Some(kty) = members.get("kty") {
            jwk.insert("kty".into(), kty.clone());
        }
        jwk.insert("use".into(), Value::String("sig".into()));
        jwk.insert("alg".into(), Value::String(self.alg().as_str().into()));
        if let Some(kid) = kid {
            jwk.insert("kid".into(), Value::String(kid.into()));
        }
        for (name, value) in members {
            if name != "kty" {
                jwk.insert(name, value);
            }
        }
        Value::Object(jwk)
    }
}

enum Signer {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A parsed private signing key for one [`SigningAlg`].
///
/// `Send + Sync`; share it behind an `Arc`. `Debug` shows only the algorithm
/// and thumbprint.
pub struct KeyPair {
    signer: Signer,
    public: PublicMaterial,
    /// PKCS#8 v1 DER, kept so that sealing and certificate generation need no
    /// re-serialisation. Zeroized on drop.
    pkcs8: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("alg", &self.alg())
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// Generates a fresh key: RSA 2048 for RS256, P-256 for ES256, Ed25519
    /// for EdDSA. RSA generation takes tens to hundreds of milliseconds; run
    /// it off the async executor.
    pub fn generate(alg: SigningAlg) -> Result<Self, CryptoError> {
        let pkcs8 = match alg {
            SigningAlg::Rs256 => {
                let key = RsaKeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| CryptoError::KeyGeneration)?;
                Zeroizing::new(
                    AsDer::as_der(&key)
                        .map_err(|_| CryptoError::KeyGeneration)?
                        .as_ref()
                        .to_vec(),
                )
            }
            SigningAlg::Es256 => {
                let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| CryptoError::KeyGeneration)?;
                Zeroizing::new(
                    key.to_pkcs8v1()
                        .map_err(|_| CryptoError::KeyGeneration)?
                        .as_ref()
                        .to_vec(),
                )
            }
            SigningAlg::EdDsa => {
                let key = Ed25519KeyPair::generate().map_err(|_| CryptoError::KeyGeneration)?;
                Zeroizing::new(
                    key.to_pkcs8v1()
                        .map_err(|_| CryptoError::KeyGeneration)?
                        .as_ref()
                        .to_vec(),
                )
            }
        };
        // Parse from the serialised form so that generated and loaded keys
        // take exactly the same path.
        Self::from_pkcs8(alg, &pkcs8)
    }

    /// Parses an unencrypted PKCS#8 (v1, or v2 for Ed25519) private key for
    /// `alg`. The key type must match `alg`; RSA keys must be 2048–8192 bits.
    pub fn from_pkcs8(alg: SigningAlg, der: &[u8]) -> Result<Self, CryptoError> {
        let (signer, public) = match alg {
            SigningAlg::Rs256 => {
                let key = RsaKeyPair::from_pkcs8(der)
                    .map_err(|_| CryptoError::InvalidKey("not an RSA PKCS#8 private key"))?;
                let public = key.public_key();
                let n = public.modulus().big_endian_without_leading_zero().to_vec();
                let e = public.exponent().big_endian_without_leading_zero().to_vec();
                if !(RSA_MIN_MODULUS_BYTES..=RSA_MAX_MODULUS_BYTES).contains(&n.len()) {
                    return Err(CryptoError::InvalidKey(
                        "RSA modulus must be 2048 to 8192 bits",
                    ));
                }
                (Signer::Rsa(key), PublicMaterial::Rsa { n, e })
            }
            SigningAlg::Es256 => {
                let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|_| CryptoError::InvalidKey("not a P-256 PKCS#8 private key"))?;
                let point = key.public_key().as_ref();
                let public = ec_material(point)?;
                (Signer::Ec(key), public)
            }
            SigningAlg::EdDsa => {
                let key = Ed25519KeyPair::from_pkcs8(der)
                    .map_err(|_| CryptoError::InvalidKey("not an Ed25519 PKCS#8 private key"))?;
                let x: [u8; ED25519_KEY_LEN] = key
                    .public_key()
                    .as_ref()
                    .try_into()
                    .map_err(|_| CryptoError::InvalidKey("Ed25519 public key length"))?;
                (Signer::Ed(key), PublicMaterial::Ed { x })
            }
        };
        Ok(Self {
            signer,
            public,
            pkcs8: Zeroizing::new(der.to_vec()),
        })
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> SigningAlg {
        self.public.alg()
    }

    pub(crate) fn public_material(&self) -> &PublicMaterial {
        &self.public
    }

    /// The PKCS#8 DER of the private key, for sealing with
    /// [`crate::MasterKey::seal`]. The caller owns the copy; don't log it.
    pub fn pkcs8_der(&self) -> Vec<u8> {
        self.pkcs8.to_vec()
    }

    /// The public JWK with `kid`, `alg` and `use: "sig"`. Never contains
    /// private members.
    pub fn public_jwk(&self, kid: &str) -> Value {
        self.public.jwk(Some(kid))
    }

    /// [`KeyPair::public_jwk`] plus `x5c` (the certificate, standard base64
    /// DER) and `x5t` (base64url SHA-1 of the DER), as Auth0 publishes them.
    /// Fails if `cert_pem` is not a certificate for this key.
    pub fn public_jwk_with_cert(&self, kid: &str, cert_pem: &str) -> Result<Value, CryptoError> {
        let der = cert_der_from_pem(cert_pem)?;
        if !self.cert_matches(&der) {
            return Err(CryptoError::Certificate(
                "certificate is not for this key".into(),
            ));
        }
        let mut jwk = self.public_jwk(kid);
        if let Value::Object(members) = &mut jwk {
            let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
            members.insert("x5t".into(), Value::String(b64::url_encode(sha1.as_ref())));
            members.insert("x5c".into(), json!([b64::std_encode(&der)]));
        }
        Ok(jwk)
    }

    /// Cheap sanity check that the certificate carries our public key: the
    /// raw public key bytes (modulus, EC point, or Ed25519 key) must occur in
    /// the DER. Not a certificate parser; it only catches mix-ups.
    fn cert_matches(&self, der: &[u8]) -> bool {
        let needle: Vec<u8> = match &self.public {
            PublicMaterial::Rsa { n, .. } => n.clone(),
            PublicMaterial::Ec { x, y } => {
                let mut point = Vec::with_capacity(1 + 2 * P256_COORD_LEN);
                point.push(0x04);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                point
            }
            PublicMaterial::Ed { x } => x.to_vec(),
        };
        der.windows(needle.len())
            .any(|window| window == needle.as_slice())
    }

    /// RFC 7638 SHA-256 thumbprint (base64url); Vestibule uses it as `kid`.
    pub fn thumbprint(&self) -> String {
        self.public.thumbprint()
    }

    /// Signs `message` and returns the JWS signature bytes (RSA: modulus
    /// length; ES256: 64-byte `r || s`; EdDSA: 64 bytes).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.signer {
            Signer::Rsa(key) => {
                let mut signature = vec![0u8; key.public_modulus_len()];
                key.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(|_| CryptoError::Signing)?;
                Ok(signature)
            }
            Signer::Ec(key) => key
                .sign(&SystemRandom::new(), message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| CryptoError::Signing),
            Signer::Ed(key) => key
                .try_sign(message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| CryptoError::Signing),
        }
    }

    /// Produces a compact JWS (`header.payload.signature`) over `claims`,
    /// which must be a JSON object. The protected header is exactly
    /// `{"alg","typ","kid"}`; `typ` defaults to `"JWT"` (use `"at+jwt"` for
    /// RFC 9068 access tokens, `"logout+jwt"` for logout tokens).
    pub fn sign_jwt(
        &self,
        kid: &str,
        typ: Option<&str>,
        claims: &Value,
    ) -> Result<String, CryptoError> {
        if !claims.is_object() {
            return Err(CryptoError::ClaimsNotObject);
        }
        let header = json!({
            "alg": self.alg().as_str(),
            "typ": typ.unwrap_or("JWT"),
            "kid": kid,
        });
        let header = serde_json::to_vec(&header).map_err(|_| CryptoError::Serialization)?;
        let payload = serde_json::to_vec(claims).map_err(|_| CryptoError::Serialization)?;
        let mut token = b64::url_encode(header);
        token.push('.');
        token.push_str(&b64::url_encode(payload));
        let signature = self.sign(token.as_bytes())?;
        token.push('.');
        token.push_str(&b64::url_encode(signature));
        Ok(token)
    }

    /// A self-signed X.509 certificate (PEM) for this key with subject
    /// `CN=<common_name>`, signed by the key itself (sha256WithRSAEncryption,
    /// ecdsa-with-SHA256 or Ed25519). Validity uses rcgen's fixed defaults
    /// (1975-01-01 to 4096-01-01), since the certificate is only a container
    /// for the public key (`x5c`), not a trust anchor; use
    /// [`KeyPair::self_signed_cert_pem_valid`] for explicit dates.
    pub fn self_signed_cert_pem(&self, common_name: &str) -> Result<String, CryptoError> {
        self.build_cert(common_name, None)
    }

    /// [`KeyPair::self_signed_cert_pem`] with validity from `not_before` to
    /// `not_after` (Unix seconds; pass times from `model::Clock`).
    pub fn self_signed_cert_pem_valid(
        &self,
        common_name: &str,
        not_before: i64,
        not_after: i64,
    ) -> Result<String, CryptoError> {
        let from = time::OffsetDateTime::from_unix_timestamp(not_before)
            .map_err(|_| CryptoError::Certificate("not_before out of range".into()))?;
        let until = time::OffsetDateTime::from_unix_timestamp(not_after)
            .map_err(|_| CryptoError::Certificate("not_after out of range".into()))?;
        if until <= from {
            return Err(CryptoError::Certificate(
                "not_after must be after not_before".into(),
            ));
        }
        self.build_cert(common_name, Some((from, until)))
    }

    fn build_cert(
        &self,
        common_name: &str,
        validity: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
    ) -> Result<String, CryptoError> {
        let sign_alg: &'static rcgen::SignatureAlgorithm = match self.alg() {
            SigningAlg::Rs256 => &rcgen::PKCS_RSA_SHA256,
            SigningAlg::Es256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            SigningAlg::EdDsa => &rcgen::PKCS_ED25519,
        };
        let der = rustls_pki_types::PrivatePkcs8KeyDer::from(self.pkcs8.as_slice());
        let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, sign_alg)
            .map_err(|error| CryptoError::Certificate(error.to_string()))?;

        let mut params = rcgen::CertificateParams::default();
        let mut name = rcgen::DistinguishedName::new();
        name.push(rcgen::DnType::CommonName, common_name);
        params.distinguished_name = name;
        let mut serial = [0u8; 16];
        crate::secrets::fill_random(&mut serial)?;
        serial[0] &= 0x7f; // positive INTEGER
        serial[0] |= 0x01; // no leading zero byte, keeps the DER length fixed
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
        if let Some((from, until)) = validity {
            params.not_before = from;
            params.not_after = until;
        }
        let cert = params
            .self_signed(&key)
            .map_err(|error| CryptoError::Certificate(error.to_string()))?;
        Ok(cert.pem())
    }
}

fn ec_material(point: &[u8]) -> Result<PublicMaterial, CryptoError> {
    match point {
        [0x04, rest @ ..] if rest.len() == 2 * P256_COORD_LEN => {
            let (x, y) = rest.split_at(P256_COORD_LEN);
            let x = x
                .try_into()
                .map_err(|_| CryptoError::InvalidKey("EC point"))?;
            let y = y
                .try_into()
                .map_err(|_| CryptoError::InvalidKey("EC point"))?;
            Ok(PublicMaterial::Ec { x, y })
        }
        _ => Err(CryptoError::InvalidKey(
            "EC point is not uncompressed P-256",
        )),
    }
}

/// Extracts the DER of the first `CERTIFICATE` block of a PEM string.
pub fn cert_der_from_pem(pem: &str) -> Result<Vec<u8>, CryptoError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem
        .find(BEGIN)
        .map(|at| at + BEGIN.len())
        .ok_or_else(|| CryptoError::Certificate("no PEM certificate block".into()))?;
    let rest = pem.get(start..).unwrap_or_default();
    let end = rest
        .find(END)
        .ok_or_else(|| CryptoError::Certificate("unterminated PEM certificate block".into()))?;
    let body: String = rest
        .get(..end)
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    b64::std_decode(&body)
        .filter(|der| !der.is_empty())
        .ok_or_else(|| CryptoError::Certificate("PEM body is not base64".into()))
}

#[cfg(test)]
mod tests;
