use super::*;
use crate::KeyPair;
use serde_json::json;
use std::sync::OnceLock;

const NOW: i64 = 1_700_000_000;
const ISS: &str = "https://tenant.example/";
const AUD: &str = "https://api.example/";

/// Keys: three RS256 (kids a, b, c), one ES256 (e), one EdDSA (o).
fn keys() -> &'static [(String, KeyPair)] {
    static KEYS: OnceLock<Vec<(String, KeyPair)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            ("a", SigningAlg::Rs256),
            ("b", SigningAlg::Rs256),
            ("c", SigningAlg::Rs256),
            ("e", SigningAlg::Es256),
            ("o", SigningAlg::EdDsa),
        ]
        .into_iter()
        .map(|(kid, alg)| (kid.to_owned(), KeyPair::generate(alg).unwrap()))
        .collect()
    })
}

fn private(kid: &str) -> &'static KeyPair {
    &keys().iter().find(|(k, _)| k == kid).unwrap().1
}

fn public(kid: &str) -> PublicKey {
    PublicKey::from_jwk(&private(kid).public_jwk(kid)).unwrap()
}

fn all_public() -> Vec<PublicKey> {
    keys().iter().map(|(kid, _)| public(kid)).collect()
}

fn claims() -> Value {
    json!({"iss": ISS, "aud": AUD, "sub": "auth0|1", "iat": NOW, "exp": NOW + 600})
}

fn expected() -> Expectations {
    Expectations::new(ISS, AUD)
}

fn with(mut base: Value, name: &str, value: Value) -> Value {
    base[name] = value;
    base
}

fn without(mut base: Value, name: &str) -> Value {
    base.as_object_mut().unwrap().remove(name);
    base
}

/// Signs arbitrary header and payload bytes with a key (to build hostile tokens).
fn forge_raw(key: &KeyPair, header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64::url_encode(header), b64::url_encode(payload));
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64::url_encode(signature))
}

fn forge(key: &KeyPair, header: &Value, claims: &Value) -> String {
    forge_raw(
        key,
        header.to_string().as_bytes(),
        claims.to_string().as_bytes(),
    )
}

fn verify(token: &str) -> Result<Value, JwtError> {
    verify_jwt(token, &all_public(), &SigningAlg::ALL, &expected(), NOW)
}

fn verify_at(token: &str, now: i64) -> Result<Value, JwtError> {
    verify_jwt(token, &all_public(), &SigningAlg::ALL, &expected(), now)
}

fn token(kid: &str, claims: &Value) -> String {
    private(kid).sign_jwt(kid, None, claims).unwrap()
}

#[test]
fn every_alg_round_trips() {
    for kid in ["a", "e", "o"] {
        assert_eq!(verify(&token(kid, &claims())).unwrap(), claims(), "{kid}");
        let own = PublicKey::from_key_pair(private(kid), kid).unwrap();
        let only_alg = [own.alg()];
        verify_jwt(&token(kid, &claims()), &[own], &only_alg, &expected(), NOW).unwrap();
    }
}

#[test]
fn tampering_is_detected() {
    let good = token("a", &claims());
    let parts: Vec<&str> = good.split('.').collect();

    let other_claims = b64::url_encode(with(claims(), "sub", json!("admin")).to_string());
    let tampered = format!("{}.{}.{}", parts[0], other_claims, parts[2]);
    assert_eq!(verify(&tampered).unwrap_err(), JwtError::BadSignature);

    let mut signature = b64::url_decode(parts[2]).unwrap();
    signature[10] ^= 0x01;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], b64::url_encode(&signature));
    assert_eq!(verify(&flipped).unwrap_err(), JwtError::BadSignature);

    let truncated = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        b64::url_encode(&signature[..128])
    );
    assert_eq!(verify(&truncated).unwrap_err(), JwtError::BadSignature);

    let stripped = format!("{}.{}.", parts[0], parts[1]);
    assert_eq!(verify(&stripped).unwrap_err(), JwtError::BadSignature);

    // Signature of another token with the same key.
    let other = token("a", &with(claims(), "sub", json!("x")));
    let spliced = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        other.split('.').nth(2).unwrap()
    );
    assert_eq!(verify(&spliced).unwrap_err(), JwtError::BadSignature);
}

#[test]
fn es256_zero_signature_is_rejected() {
    let good = token("e", &claims());
    let (input, _) = good.rsplit_once('.').unwrap();
    let zero = format!("{input}.{}", b64::url_encode([0u8; 64]));
    assert_eq!(verify(&zero).unwrap_err(), JwtError::BadSignature);
}

fn hs256(key: &[u8], header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64::url_encode(header.to_string()),
        b64::url_encode(claims.to_string())
    );
    let mac_key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let tag = aws_lc_rs::hmac::sign(&mac_key, input.as_bytes());
    format!("{input}.{}", b64::url_encode(tag.as_ref()))
}

#[test]
fn alg_confusion_is_impossible() {
    // HS256 keyed with the RSA public key in several encodings.
    let jwk = private("a").public_jwk("a");
    let n = b64::url_decode(jwk["n"].as_str().unwrap()).unwrap();
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": "a"});
    for mac_key in [jwk.to_string().into_bytes(), n, Vec::new()] {
        let forged = hs256(&mac_key, &header, &claims());
        assert_eq!(verify(&forged).unwrap_err(), JwtError::UnsupportedAlg);
    }

    // alg none in its spellings, with and without a signature.
    for none in ["none", "None", "NONE", "nOnE"] {
        let header = b64::url_encode(json!({"alg": none, "kid": "a"}).to_string());
        let payload = b64::url_encode(claims().to_string());
        assert_eq!(
            verify(&format!("{header}.{payload}.")).unwrap_err(),
            JwtError::UnsupportedAlg
        );
        assert_eq!(
            verify(&format!("{header}.{payload}.AAAA")).unwrap_err(),
            JwtError::UnsupportedAlg
        );
    }
    for other in ["RS384", "PS256", "ES384", "HS512", "rs256", ""] {
        let forged = forge(private("a"), &json!({"alg": other, "kid": "a"}), &claims());
        assert_eq!(
            verify(&forged).unwrap_err(),
            JwtError::UnsupportedAlg,
            "{other}"
        );
    }

    // Header names a different (supported) alg than the key with that kid.
    let es_as_rs = forge(
        private("e"),
        &json!({"alg": "RS256", "kid": "e"}),
        &claims(),
    );
    assert_eq!(verify(&es_as_rs).unwrap_err(), JwtError::UnknownKey);
    let rs_as_es = forge(
        private("a"),
        &json!({"alg": "ES256", "kid": "a"}),
        &claims(),
    );
    assert_eq!(verify(&rs_as_es).unwrap_err(), JwtError::UnknownKey);
    let ed_as_es = forge(
        private("o"),
        &json!({"alg": "ES256", "kid": "e"}),
        &claims(),
    );
    assert_eq!(verify(&ed_as_es).unwrap_err(), JwtError::BadSignature);

    // A valid token of an alg this context does not allow.
    let es = token("e", &claims());
    assert_eq!(
        verify_jwt(&es, &all_public(), &[SigningAlg::Rs256], &expected(), NOW).unwrap_err(),
        JwtError::AlgNotAllowed(SigningAlg::Es256)
    );
    assert_eq!(
        verify_jwt(&es, &all_public(), &[], &expected(), NOW).unwrap_err(),
        JwtError::AlgNotAllowed(SigningAlg::Es256)
    );
}

#[test]
fn header_keys_and_urls_are_never_used() {
    let attacker = KeyPair::generate(SigningAlg::Es256).unwrap();
    let header = json!({
        "alg": "ES256",
        "kid": "e",
        "jwk": attacker.public_jwk("e"),
        "jku": "http://127.0.0.1:9/jwks.json",
        "x5u": "http://127.0.0.1:9/cert.pem",
        "x5c": ["MIIB"],
    });
    let forged = forge(&attacker, &header, &claims());
    assert_eq!(verify(&forged).unwrap_err(), JwtError::BadSignature);

    // The same hostile members on a genuinely signed token are simply ignored.
    let genuine = forge(private("e"), &header, &claims());
    assert_eq!(verify(&genuine).unwrap(), claims());

    // An attacker key with no kid is not picked up from the header either.
    let header = json!({"alg": "ES256", "jwk": attacker.public_jwk("x")});
    let forged = forge(&attacker, &header, &claims());
    assert_eq!(verify(&forged).unwrap_err(), JwtError::BadSignature);
}

#[test]
fn crit_is_rejected() {
    let header = json!({"alg": "EdDSA", "kid": "o", "crit": ["exp-x"], "exp-x": 1});
    let token = forge(private("o"), &header, &claims());
    assert_eq!(verify(&token).unwrap_err(), JwtError::UnsupportedCritical);
    let header = json!({"alg": "EdDSA", "kid": "o", "crit": []});
    let token = forge(private("o"), &header, &claims());
    assert_eq!(verify(&token).unwrap_err(), JwtError::UnsupportedCritical);
}

#[test]
fn kid_selects_among_several_keys() {
    for kid in ["a", "b", "c"] {
        assert!(verify(&token(kid, &claims())).is_ok(), "{kid}");
    }
    // Signed by b but claiming to be a.
    let wrong = forge(
        private("b"),
        &json!({"alg": "RS256", "kid": "a"}),
        &claims(),
    );
    assert_eq!(verify(&wrong).unwrap_err(), JwtError::BadSignature);
    // Unknown kid, hostile kids.
    let long = "k".repeat(10_000);
    for kid in [
        "zzz",
        "../../../../dev/null",
        "' OR '1'='1",
        long.as_str(),
        "",
    ] {
        let token = forge(
            private("a"),
            &json!({"alg": "RS256", "kid": kid}),
            &claims(),
        );
        assert_eq!(verify(&token).unwrap_err(), JwtError::UnknownKey);
    }
    // A null kid means "no kid": ambiguous among three RSA keys.
    let null_kid = forge(
        private("a"),
        &json!({"alg": "RS256", "kid": null}),
        &claims(),
    );
    assert_eq!(verify(&null_kid).unwrap_err(), JwtError::UnknownKey);
    for kid in [json!(1), json!(["a"]), json!({"a": 1})] {
        let token = forge(
            private("a"),
            &json!({"alg": "RS256", "kid": kid}),
            &claims(),
        );
        assert!(matches!(
            verify(&token).unwrap_err(),
            JwtError::Malformed(_)
        ));
    }
    // No kid: fine when exactly one key has the alg, ambiguous otherwise.
    let no_kid = forge(private("e"), &json!({"alg": "ES256"}), &claims());
    assert_eq!(verify(&no_kid).unwrap(), claims());
    let no_kid = forge(private("a"), &json!({"alg": "RS256"}), &claims());
    assert_eq!(verify(&no_kid).unwrap_err(), JwtError::UnknownKey);
    assert_eq!(
        verify_jwt(&no_kid, &[public("a")], &SigningAlg::ALL, &expected(), NOW).unwrap(),
        claims()
    );
    // Two keys with the same kid and alg are ambiguous, not "try both".
    let duplicate = PublicKey::from_jwk(&private("b").public_jwk("a")).unwrap();
    assert_eq!(
        verify_jwt(
            &token("a", &claims()),
            &[public("a"), duplicate],
            &SigningAlg::ALL,
            &expected(),
            NOW
        )
        .unwrap_err(),
        JwtError::UnknownKey
    );
    // No keys at all.
    assert_eq!(
        verify_jwt(
            &token("a", &claims()),
            &[],
            &SigningAlg::ALL,
            &expected(),
            NOW
        )
        .unwrap_err(),
        JwtError::UnknownKey
    );
}

#[test]
fn expiry_and_leeway() {
    let exp = NOW + 600;
    let token = token("o", &claims());
    assert!(verify_at(&token, exp - 1).is_ok());
    assert!(
        verify_at(&token, exp + 59).is_ok(),
        "within default 60 s leeway"
    );
    assert_eq!(verify_at(&token, exp + 60).unwrap_err(), JwtError::Expired);
    let strict = expected().with_leeway(0);
    let keys = all_public();
    assert_eq!(
        verify_jwt(&token, &keys, &SigningAlg::ALL, &strict, exp).unwrap_err(),
        JwtError::Expired
    );
    assert!(verify_jwt(&token, &keys, &SigningAlg::ALL, &strict, exp - 1).is_ok());
    let negative = expected().with_leeway(-1000);
    assert!(verify_jwt(&token, &keys, &SigningAlg::ALL, &negative, exp - 1).is_ok());

    let missing = self::token("o", &without(claims(), "exp"));
    assert_eq!(verify(&missing).unwrap_err(), JwtError::MissingClaim("exp"));
    for bad in [json!("1700000600"), json!(null), json!(true), json!(1e300)] {
        let bad = self::token("o", &with(claims(), "exp", bad));
        assert_eq!(verify(&bad).unwrap_err(), JwtError::InvalidClaim("exp"));
    }
    // Fractional NumericDate.
    let fractional = self::token("o", &with(claims(), "exp", json!(NOW as f64 + 0.5)));
    assert!(verify_at(&fractional, NOW + 59).is_ok());
    assert_eq!(
        verify_at(&fractional, NOW + 60).unwrap_err(),
        JwtError::Expired
    );
}

#[test]
fn nbf_and_iat() {
    let nbf = self::token("o", &with(claims(), "nbf", json!(NOW + 120)));
    assert_eq!(verify(&nbf).unwrap_err(), JwtError::NotYetValid);
    assert!(verify_at(&nbf, NOW + 60).is_ok(), "leeway");
    let nbf_soon = self::token("o", &with(claims(), "nbf", json!(NOW + 30)));
    assert!(verify(&nbf_soon).is_ok());

    let iat = self::token("o", &with(claims(), "iat", json!(NOW + 3600)));
    assert_eq!(verify(&iat).unwrap_err(), JwtError::NotYetValid);
    let iat_bad = self::token("o", &with(claims(), "iat", json!("now")));
    assert_eq!(verify(&iat_bad).unwrap_err(), JwtError::InvalidClaim("iat"));
    assert!(verify(&self::token("o", &without(claims(), "iat"))).is_ok());
}

#[test]
fn max_lifetime() {
    let expectations = expected().with_max_lifetime(300);
    let keys = all_public();
    let long = token("o", &claims());
    assert_eq!(
        verify_jwt(&long, &keys, &SigningAlg::ALL, &expectations, NOW).unwrap_err(),
        JwtError::LifetimeTooLong
    );
    let short = token("o", &with(claims(), "exp", json!(NOW + 300)));
    assert!(verify_jwt(&short, &keys, &SigningAlg::ALL, &expectations, NOW).is_ok());
}

#[test]
fn issuer_must_match_exactly() {
    for iss in [
        "https://tenant.example",
        "https://TENANT.example/",
        "http://tenant.example/",
        "https://other.example/",
    ] {
        let token = token("e", &with(claims(), "iss", json!(iss)));
        assert_eq!(verify(&token).unwrap_err(), JwtError::WrongIssuer, "{iss}");
    }
    let missing = token("e", &without(claims(), "iss"));
    assert_eq!(verify(&missing).unwrap_err(), JwtError::MissingClaim("iss"));
    let wrong_type = token("e", &with(claims(), "iss", json!([ISS])));
    assert_eq!(
        verify(&wrong_type).unwrap_err(),
        JwtError::InvalidClaim("iss")
    );
}

#[test]
fn audience_string_or_array() {
    let array = token("e", &with(claims(), "aud", json!(["other", AUD])));
    assert!(verify(&array).is_ok());
    for aud in [
        json!("other"),
        json!([]),
        json!(["other"]),
        json!("https://api.example"),
    ] {
        let token = token("e", &with(claims(), "aud", aud));
        assert_eq!(verify(&token).unwrap_err(), JwtError::WrongAudience);
    }
    for aud in [json!(1), json!([AUD, 1]), json!({"aud": AUD})] {
        let token = token("e", &with(claims(), "aud", aud));
        assert_eq!(verify(&token).unwrap_err(), JwtError::InvalidClaim("aud"));
    }
    let missing = token("e", &without(claims(), "aud"));
    assert_eq!(verify(&missing).unwrap_err(), JwtError::MissingClaim("aud"));
}

#[test]
fn typ_expectation() {
    let keys = all_public();
    let at = private("o")
        .sign_jwt("o", Some("at+jwt"), &claims())
        .unwrap();
    let jwt = token("o", &claims());
    let want_at = expected().with_typ("at+jwt");
    assert!(verify_jwt(&at, &keys, &SigningAlg::ALL, &want_at, NOW).is_ok());
    assert_eq!(
        verify_jwt(&jwt, &keys, &SigningAlg::ALL, &want_at, NOW).unwrap_err(),
        JwtError::WrongType
    );
    let prefixed = forge(
        private("o"),
        &json!({"alg": "EdDSA", "kid": "o", "typ": "application/AT+JWT"}),
        &claims(),
    );
    assert!(verify_jwt(&prefixed, &keys, &SigningAlg::ALL, &want_at, NOW).is_ok());
    let untyped = forge(
        private("o"),
        &json!({"alg": "EdDSA", "kid": "o"}),
        &claims(),
    );
    assert_eq!(
        verify_jwt(&untyped, &keys, &SigningAlg::ALL, &want_at, NOW).unwrap_err(),
        JwtError::WrongType
    );
    assert!(verify(&untyped).is_ok(), "no typ expectation accepts any");
}

#[test]
fn size_limit() {
    let big = token("o", &with(claims(), "pad", json!("x".repeat(17_000))));
    assert_eq!(verify(&big).unwrap_err(), JwtError::TooLarge);
    let mut roomy = expected();
    roomy.max_token_bytes = 64 * 1024;
    assert!(verify_jwt(&big, &all_public(), &SigningAlg::ALL, &roomy, NOW).is_ok());
}

#[test]
fn malformed_tokens() {
    let good = token("o", &claims());
    let parts: Vec<&str> = good.split('.').collect();
    let malformed = |token: &str| matches!(verify(token), Err(JwtError::Malformed(_)));

    assert!(malformed(""));
    assert!(malformed("a.b"));
    assert!(malformed(&format!("{good}.x")));
    assert!(malformed(&format!(
        "{}=.{}.{}",
        parts[0], parts[1], parts[2]
    )));
    assert!(malformed(&format!(
        "{} .{}.{}",
        parts[0], parts[1], parts[2]
    )));
    // Standard-alphabet characters.
    assert!(malformed(&format!(
        "{}.{}.{}",
        parts[0].replace('e', "+"),
        parts[1],
        parts[2]
    )));

    let sign_raw = |header: &[u8], payload: &[u8]| forge_raw(private("o"), header, payload);
    let header = br#"{"alg":"EdDSA","kid":"o"}"#;
    let payload = claims().to_string();
    assert!(malformed(&sign_raw(br#"["EdDSA"]"#, payload.as_bytes())));
    assert!(malformed(&sign_raw(b"not json", payload.as_bytes())));
    assert!(malformed(&sign_raw(br#"{"kid":"o"}"#, payload.as_bytes())));
    assert!(malformed(&sign_raw(
        br#"{"alg":1,"kid":"o"}"#,
        payload.as_bytes()
    )));
    assert!(malformed(&sign_raw(
        br#"{"alg":"RS256","alg":"EdDSA","kid":"o"}"#,
        payload.as_bytes()
    )));
    assert!(malformed(&sign_raw(header, b"[1,2]")));
    assert!(malformed(&sign_raw(header, b"\"claims\"")));
    assert!(malformed(&sign_raw(header, b"")));
    let duplicate_exp = format!(
        r#"{{"iss":"{ISS}","aud":"{AUD}","exp":{},"exp":{}}}"#,
        NOW - 1000,
        NOW + 1000
    );
    assert!(malformed(&sign_raw(header, duplicate_exp.as_bytes())));
    let duplicate_sub = format!(
        r#"{{"iss":"{ISS}","aud":"{AUD}","exp":{},"sub":"a","sub":"b"}}"#,
        NOW + 1000
    );
    assert!(malformed(&sign_raw(header, duplicate_sub.as_bytes())));
    // Unknown header members and whitespace in JSON are fine.
    let ok = sign_raw(
        br#" { "alg" : "EdDSA", "kid":"o", "x-custom": true } "#,
        payload.as_bytes(),
    );
    assert!(verify(&ok).is_ok());
}

#[test]
fn jwk_parsing_rules() {
    let rsa = private("a").public_jwk("a");
    let ec = private("e").public_jwk("e");
    let ed = private("o").public_jwk("o");
    let invalid = |jwk: &Value| matches!(PublicKey::from_jwk(jwk), Err(JwtError::InvalidKey(_)));

    // Minimal JWKs without alg/use/kid infer the algorithm.
    let minimal = json!({"kty": "EC", "crv": "P-256", "x": ec["x"], "y": ec["y"]});
    let key = PublicKey::from_jwk(&minimal).unwrap();
    assert_eq!(key.alg(), SigningAlg::Es256);
    assert_eq!(key.kid(), None);
    assert_eq!(key.to_jwk()["alg"], "ES256");

    assert!(invalid(&with(ec.clone(), "d", json!("AAAA"))));
    assert!(invalid(&with(rsa.clone(), "p", json!("AAAA"))));
    assert!(invalid(&with(ec.clone(), "use", json!("enc"))));
    assert!(invalid(&with(ec.clone(), "key_ops", json!(["encrypt"]))));
    assert!(PublicKey::from_jwk(&with(ec.clone(), "key_ops", json!(["verify"]))).is_ok());
    assert!(invalid(&with(ec.clone(), "alg", json!("RS256"))));
    assert!(invalid(&with(ec.clone(), "alg", json!("ES384"))));
    assert!(invalid(&with(ec.clone(), "alg", json!("none"))));
    assert!(invalid(&with(rsa.clone(), "alg", json!("HS256"))));
    assert!(invalid(&with(ec.clone(), "crv", json!("P-384"))));
    assert!(invalid(&with(ed.clone(), "crv", json!("X25519"))));
    assert!(invalid(&with(ec.clone(), "kid", json!(5))));
    assert!(invalid(&with(ec.clone(), "kty", json!("oct"))));
    assert!(invalid(&without(ec.clone(), "kty")));
    assert!(invalid(&without(ec.clone(), "y")));
    assert!(invalid(&with(ec.clone(), "x", json!("AAAA"))));
    assert!(invalid(&with(
        ec.clone(),
        "x",
        json!(format!("{}=", ec["x"].as_str().unwrap()))
    )));
    assert!(invalid(&json!("not an object")));

    // A point not on the curve.
    let mut off_curve = b64::url_decode(ec["y"].as_str().unwrap()).unwrap();
    off_curve[31] ^= 0x01;
    assert!(invalid(&with(
        ec.clone(),
        "y",
        json!(b64::url_encode(&off_curve))
    )));

    // RSA below 2048 bits, and a leading zero in n is tolerated.
    let n = b64::url_decode(rsa["n"].as_str().unwrap()).unwrap();
    assert!(invalid(&with(
        rsa.clone(),
        "n",
        json!(b64::url_encode(&n[..128]))
    )));
    let mut padded = vec![0u8];
    padded.extend_from_slice(&n);
    let padded = with(rsa.clone(), "n", json!(b64::url_encode(&padded)));
    let key = PublicKey::from_jwk(&padded).unwrap();
    assert_eq!(key.thumbprint(), private("a").thumbprint());
    assert!(
        verify_jwt(
            &token("a", &claims()),
            &[key],
            &SigningAlg::ALL,
            &expected(),
            NOW
        )
        .is_ok()
    );
}

#[test]
fn jwks_parsing_skips_unusable_keys() {
    let jwks = json!({"keys": [
        private("a").public_jwk("a"),
        {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "oct", "k": "c2VjcmV0"},
        with(private("e").public_jwk("e"), "alg", json!("ES384")),
        private("o").public_jwk("o"),
    ]});
    let keys = parse_jwks(&jwks).unwrap();
    let kids: Vec<_> = keys.iter().map(|key| key.kid().unwrap()).collect();
    assert_eq!(kids, ["a", "o"]);
    assert!(parse_jwks(&json!({"nokeys": []})).is_err());
    assert!(parse_jwks(&json!([])).is_err());
}

#[test]
fn errors_do_not_echo_token_contents() {
    let forged = forge(
        private("a"),
        &json!({"alg": "<script>", "kid": "a"}),
        &claims(),
    );
    let message = verify(&forged).unwrap_err().to_string();
    assert!(!message.contains("script"), "{message}");
    assert!(!message.ends_with('.'));
}
