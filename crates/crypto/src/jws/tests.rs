use super::*;
use crate::jwt_verify::{Expectations, PublicKey, verify_jwt};
use std::sync::OnceLock;

/// RSA key generation is slow in debug builds; share one key per algorithm.
fn key(alg: SigningAlg) -> &'static KeyPair {
    static KEYS: OnceLock<Vec<KeyPair>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        SigningAlg::ALL
            .into_iter()
            .map(|alg| KeyPair::generate(alg).unwrap())
            .collect()
    });
    keys.iter().find(|key| key.alg() == alg).unwrap()
}

fn decode_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&b64::url_decode(part).unwrap()).unwrap()
}

const NOW: i64 = 1_700_000_000;

fn claims() -> Value {
    json!({"iss": "https://t.example/", "aud": "api", "sub": "u1", "iat": NOW, "exp": NOW + 300})
}

#[test]
fn each_alg_signs_verifiable_tokens() {
    for alg in SigningAlg::ALL {
        let key = key(alg);
        assert_eq!(key.alg(), alg);
        let kid = key.thumbprint();
        let token = key.sign_jwt(&kid, None, &claims()).unwrap();
        let header = decode_part(&token, 0);
        assert_eq!(
            header,
            json!({"alg": alg.as_str(), "typ": "JWT", "kid": kid})
        );
        assert_eq!(
            serde_json::to_string(&header).unwrap(),
            format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"{kid}"}}"#)
        );
        assert_eq!(decode_part(&token, 1), claims());

        let public = PublicKey::from_jwk(&key.public_jwk(&kid)).unwrap();
        let expected = Expectations::new("https://t.example/", "api");
        let verified = verify_jwt(&token, &[public], &[alg], &expected, NOW).unwrap();
        assert_eq!(verified, claims());

        let at = key.sign_jwt(&kid, Some("at+jwt"), &claims()).unwrap();
        assert_eq!(decode_part(&at, 0)["typ"], "at+jwt");
    }
}

#[test]
fn signature_sizes() {
    let msg = b"message";
    assert_eq!(key(SigningAlg::Rs256).sign(msg).unwrap().len(), 256);
    assert_eq!(key(SigningAlg::Es256).sign(msg).unwrap().len(), 64);
    assert_eq!(key(SigningAlg::EdDsa).sign(msg).unwrap().len(), 64);
}

#[test]
fn pkcs8_round_trip_signs_verifiable_tokens() {
    for alg in SigningAlg::ALL {
        let original = key(alg);
        let der = original.pkcs8_der();
        let loaded = KeyPair::from_pkcs8(alg, &der).unwrap();
        assert_eq!(loaded.thumbprint(), original.thumbprint());
        assert_eq!(loaded.pkcs8_der(), der);
        let kid = "k1";
        let token = loaded.sign_jwt(kid, None, &claims()).unwrap();
        // Verified with the original's published JWK.
        let public = PublicKey::from_jwk(&original.public_jwk(kid)).unwrap();
        let expected = Expectations::new("https://t.example/", "api");
        verify_jwt(&token, &[public], &[alg], &expected, NOW).unwrap();
    }
}

#[test]
fn pkcs8_of_another_type_is_rejected() {
    let rsa = key(SigningAlg::Rs256).pkcs8_der();
    let ec = key(SigningAlg::Es256).pkcs8_der();
    let ed = key(SigningAlg::EdDsa).pkcs8_der();
    assert!(KeyPair::from_pkcs8(SigningAlg::Es256, &rsa).is_err());
    assert!(KeyPair::from_pkcs8(SigningAlg::EdDsa, &rsa).is_err());
    assert!(KeyPair::from_pkcs8(SigningAlg::Rs256, &ec).is_err());
    assert!(KeyPair::from_pkcs8(SigningAlg::EdDsa, &ec).is_err());
    assert!(KeyPair::from_pkcs8(SigningAlg::Rs256, &ed).is_err());
    assert!(KeyPair::from_pkcs8(SigningAlg::Es256, &ed).is_err());
    assert!(KeyPair::from_pkcs8(SigningAlg::Rs256, b"garbage").is_err());
}

/// A throwaway RSA-1024 key (`openssl genpkey … rsa_keygen_bits:1024 | openssl pkcs8 -topk8`).
const RSA_1024_PKCS8_B64: &str = "MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBALBnmKGdGVZbREYiuLAlByPphyMQZL7uZUYRPOYBuOfy27Q6UNHq6daibqOTY9MVUpqYgJPxCwbnqB17VWLRrkYaYboGO8NVBPdWJLkfq9ZpgyC9DnXbU4gs2HRM8M90QIh1G1RZaGPON5Ory5VvIiTj0bN3GgLfvfMSfP+1mXC5AgMBAAECgYA/csN/PZYjbWg9Ibf0Ax1yWUh14CucUPq0HPcec3giVUOYq3DuT+QTgxDwXM8G2SCA4mE81PH2ZdQd5oJrrKdVjsClV1eXT/tfPL6Q585mfdGQoL8fCmH9YDA+dCmsIePZ6i+oxNeuuZmoSv0P02PlezGaVZSNfl4VuBCV24Um0QJBANVgM0gEz/x8np2A2bL//TxZaYVPl5qMA/YEqrtCTMC0hYIC1EdW2Uyl9vo9xQkxGIPotkbjoy7h2ta13s2YorMCQQDTpLwLtDTnS5SgKb27TsWgG7N06eu/OdtVerQxBfRvhJXNgHeB1piGFSHKeX8SMIzXNcbaH6n8waNPNuz+ICTjAkACWBw4HlVqoLPdZxz9KnLNxu2x2T4BJKime0ak6AWP2GvfEcjjP8EDZo9gEG2pvDBYwqW+AaI5UaHl2fmoqJShAkAh/g1t2827cHo4lzuv/+Dh7FEQcBm7JvHBcunKDejKmILu9Lk9E1iAAJjiykzMgRu93RdJJVjKDdfK+0lpL4R9AkAsYHpm+J1n4T3l74kO/8XY2tfKbg0QMODHDpkAab89vN8nYt7vZy/ZG7aSOz4Yy/7LyMKo0zWRr9uMwB83uVsA";

#[test]
fn rsa_below_2048_bits_is_rejected() {
    let der = b64::std_decode(RSA_1024_PKCS8_B64).unwrap();
    // aws-lc-rs itself refuses to load RSA keys below 2048 bits; our own
    // size check backs that up.
    assert!(matches!(
        KeyPair::from_pkcs8(SigningAlg::Rs256, &der).unwrap_err(),
        CryptoError::InvalidKey(_)
    ));
}

#[test]
fn public_jwks_have_the_right_members() {
    let rsa = key(SigningAlg::Rs256).public_jwk("r");
    assert_eq!(rsa["kty"], "RSA");
    assert_eq!(rsa["e"], "AQAB");
    assert_eq!(
        b64::url_decode(rsa["n"].as_str().unwrap()).unwrap().len(),
        256
    );
    let ec = key(SigningAlg::Es256).public_jwk("e");
    assert_eq!(ec["kty"], "EC");
    assert_eq!(ec["crv"], "P-256");
    assert_eq!(
        b64::url_decode(ec["x"].as_str().unwrap()).unwrap().len(),
        32
    );
    assert_eq!(
        b64::url_decode(ec["y"].as_str().unwrap()).unwrap().len(),
        32
    );
    let ed = key(SigningAlg::EdDsa).public_jwk("o");
    assert_eq!(ed["kty"], "OKP");
    assert_eq!(ed["crv"], "Ed25519");
    assert_eq!(
        b64::url_decode(ed["x"].as_str().unwrap()).unwrap().len(),
        32
    );
    for (jwk, alg, kid) in [(rsa, "RS256", "r"), (ec, "ES256", "e"), (ed, "EdDSA", "o")] {
        assert_eq!(jwk["alg"], alg);
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["kid"], kid);
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(jwk.get(private).is_none());
        }
    }
}

#[test]
fn thumbprint_matches_rfc7638_example() {
    // RFC 7638 §3.1.
    let jwk = json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    });
    let public = PublicKey::from_jwk(&jwk).unwrap();
    assert_eq!(
        public.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn thumbprint_is_stable_and_distinct() {
    for alg in SigningAlg::ALL {
        let key = key(alg);
        let public = PublicKey::from_jwk(&key.public_jwk("x")).unwrap();
        assert_eq!(public.thumbprint(), key.thumbprint());
        assert_eq!(key.thumbprint().len(), 43);
    }
    assert_ne!(
        key(SigningAlg::Es256).thumbprint(),
        KeyPair::generate(SigningAlg::Es256).unwrap().thumbprint()
    );
}

#[test]
fn self_signed_certs_for_every_alg() {
    for alg in SigningAlg::ALL {
        let key = key(alg);
        let pem = key.self_signed_cert_pem("dev-tenant.example.com").unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        assert!(pem.trim_end().ends_with("-----END CERTIFICATE-----"));
        let der = cert_der_from_pem(&pem).unwrap();
        // The subject CN is in the DER.
        assert!(der.windows(22).any(|w| w == b"dev-tenant.example.com"));

        let jwk = key.public_jwk_with_cert("kid1", &pem).unwrap();
        let x5c = jwk["x5c"].as_array().unwrap();
        assert_eq!(x5c.len(), 1);
        assert_eq!(b64::std_decode(x5c[0].as_str().unwrap()).unwrap(), der);
        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
        assert_eq!(jwk["x5t"], b64::url_encode(sha1.as_ref()));
        assert_eq!(jwk["kid"], "kid1");
        // The certificate of another key is refused.
        let other = SigningAlg::ALL
            .into_iter()
            .find(|other| *other != alg)
            .unwrap();
        assert!(super::KeyPair::public_jwk_with_cert(self::key(other), "k", &pem).is_err());
    }
}

#[test]
fn cert_with_explicit_validity() {
    let key = key(SigningAlg::Es256);
    let pem = key
        .self_signed_cert_pem_valid("t", NOW, NOW + 10 * 365 * 86_400)
        .unwrap();
    assert!(cert_der_from_pem(&pem).is_ok());
    assert!(key.self_signed_cert_pem_valid("t", NOW, NOW).is_err());
}

#[test]
fn pem_parsing_errors() {
    assert!(cert_der_from_pem("").is_err());
    assert!(cert_der_from_pem("-----BEGIN CERTIFICATE-----\nAAAA").is_err());
    assert!(
        cert_der_from_pem("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----").is_err()
    );
}

#[test]
fn claims_must_be_an_object() {
    let key = key(SigningAlg::EdDsa);
    assert_eq!(
        key.sign_jwt("k", None, &json!(["a"])).unwrap_err(),
        CryptoError::ClaimsNotObject
    );
}

#[test]
fn debug_does_not_leak_the_private_key() {
    let key = key(SigningAlg::EdDsa);
    let debug = format!("{key:?}");
    assert!(debug.contains("EdDsa"));
    assert!(!debug.contains(&hex::encode(key.pkcs8_der())));
}
