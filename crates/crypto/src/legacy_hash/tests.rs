//! Known vectors, generated once with Python (`bcrypt`, `argon2-cffi`,
//! `passlib`, `hashlib`, `hmac`) or taken from RFC 1320 (MD4), and checked
//! here against the right password, a wrong one and damaged strings.

use super::common::MAX_STORED_LEN;
use super::*;
use serde_json::json;

const PW: &str = "correct horse battery staple";
const WRONG: &str = "correct horse battery stapl3";

const BCRYPT_2B: &str = "$2b$04$SvPgor8zmtTVIP7FZfoPvuOx1Zun1mSMjtL.JQWzUJX6WfnVfzPeW";
const BCRYPT_UNICODE: &str = "$2b$05$B4QoBs/36CdNTRQV39DswuChBwj1I0LEyhrxmRLdcFXPlwvbZnmHm";
const ARGON2I: &str =
    "$argon2i$v=19$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$zEgUAfk8nkAqqwmxnskapVML0TG0qJm7u/61l2dzSuc";
const ARGON2D: &str =
    "$argon2d$v=19$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$TYCIR3aQ15m2cpHojTnmLj2bxVYijp2/+yX/kkgt3Vg";
const ARGON2ID: &str = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Sr6N/nCmohWCvF7EZislLIdwA8ojCXux0K30ccqFS30";
const PBKDF2_SHA1: &str =
    "$pbkdf2-sha1$i=1000,l=20$TmFDbC1zYWx0LTEyMzQ$egjuhq7T2D9Vw6aqUoK7aKz+qio";
const PBKDF2_SHA256: &str =
    "$pbkdf2-sha256$i=1000,l=32$TmFDbC1zYWx0LTEyMzQ$kVbsXxLhUd2VtKunWiVCE3RVlZETJenV9D5EE67EMgs";
const PBKDF2_SHA512: &str = "$pbkdf2-sha512$i=1000,l=64$TmFDbC1zYWx0LTEyMzQ$bjfJDYz64KuHEyHwqt3fCKva63SRRlgEBIGpwmPYOuU/RMP4a7l8a37biydx9L00SLt7MLMHzGYyln2uGkM2Rg";
const PASSLIB_PBKDF2_SHA256: &str =
    "$pbkdf2-sha256$1000$EeKcM8a4Vwph7D3HWAthzA$shoQyIOcZ8zBqiia2hxgEPrWoTQI6tj7jmN286lHljg";
const SCRYPT_PHC: &str =
    "$scrypt$ln=4,r=8,p=1$TmFDbC1zYWx0LTEyMzQ$deRCBSpzmtm/CNZxKIeaE9Ed856E70CTY4TLBQ95eeg";
const SHA256_CRYPT: &str = "$5$qkvJbJN4F3VcolOJ$5RN2Kz73tr4J1RtTwj5NRGadZs.n5B3uiM0HaxM8SDB";
const SHA256_CRYPT_ROUNDS: &str =
    "$5$rounds=1000$cbKJRdOH83JkdztJ$XWlG5OoB/GiY7zyfVm3AfN1R3zf18CPUOqlCDiyeaV0";
const SHA512_CRYPT: &str = "$6$vVqLF9T10pTQ92Ev$x3njEVJKAuqfiLAHcBfqUZnj2LrbRSBfzt50g1CqO/nv/oaYLIUg75h6bE5jsBhCptbKyfpkFgWnoRSN/tQY8.";
const SHA512_CRYPT_ROUNDS: &str = "$6$rounds=2000$v5zFumkaLOQH2LiE$UHFMfv6i9JKIro1zvHqlTnfxWnq4fJ2QPuLni8rMBFif02dzrCt2XHzRHGZ633CgPl43yohxISCA6m9MG97kF0";
const LDAP: [&str; 6] = [
    "{SSHA}ONLXKoLSC7FBqVv/dDapmT9cq9fQWmvt",
    "{SHA}q/eq1kOINtvlJqojGr3i0O73TUI=",
    "{MD5}nMKuihunqT2jm0b8EBnEgQ==",
    "{SMD5}9M7gwU0Jet7S0Piw/Z6jtLnX2vs=",
    "{SSHA512}YkuDIuveXx5+JS1MdK6xYLejLZh70TfM0uweWCQ3qKHQ8pWSMU9B8+ahYdi1hkrH1+l94X9mhx0UYVITVMNsaHM0bHQ=",
    "{SSHA256}3DYsG+Nx/gfTbBhqBrULuNJEevSbzszKBuN6mrDh4t1zNGx0",
];

fn assert_verifies(stored: &str) {
    assert_eq!(verify(stored, PW), Ok(true), "{stored}");
    assert_eq!(verify(stored, WRONG), Ok(false), "{stored}");
    assert_eq!(verify(stored, ""), Ok(false), "{stored}");
    assert_eq!(validate_stored(stored), Ok(()), "{stored}");
}

#[test]
fn standard_formats_verify() {
    for stored in [
        BCRYPT_2B,
        ARGON2I,
        ARGON2D,
        ARGON2ID,
        PBKDF2_SHA1,
        PBKDF2_SHA256,
        PBKDF2_SHA512,
        PASSLIB_PBKDF2_SHA256,
        SCRYPT_PHC,
        SHA256_CRYPT,
        SHA256_CRYPT_ROUNDS,
        SHA512_CRYPT,
        SHA512_CRYPT_ROUNDS,
    ] {
        assert_verifies(stored);
    }
    for stored in LDAP {
        assert_verifies(stored);
    }
}

#[test]
fn bcrypt_variants_and_limits() {
    for prefix in ["$2a$", "$2y$"] {
        assert_verifies(&BCRYPT_2B.replacen("$2b$", prefix, 1));
    }
    assert_eq!(verify(BCRYPT_UNICODE, "pässwörd✓"), Ok(true));
    assert_eq!(verify(BCRYPT_UNICODE, "passwörd✓"), Ok(false));
    // $2x$ (the buggy PHP variant) and other prefixes are not bcrypt here.
    assert_eq!(
        verify(&BCRYPT_2B.replacen("$2b$", "$2x$", 1), PW),
        Err(LegacyHashError::UnknownFormat)
    );
    // A password longer than 72 bytes never matches through its prefix.
    let long = "a".repeat(80);
    let long_hash = ::bcrypt::hash(&long[..72], 4).unwrap();
    assert_eq!(verify(&long_hash, &long[..72]), Ok(true));
    assert_eq!(verify(&long_hash, &long), Ok(false));
    // Cost beyond the bound is refused before any work.
    let costly = BCRYPT_2B.replacen("$04$", "$20$", 1);
    assert!(matches!(
        verify(&costly, PW),
        Err(LegacyHashError::TooCostly { .. })
    ));
    assert!(validate_bcrypt(BCRYPT_2B).is_ok());
    assert!(validate_bcrypt(PBKDF2_SHA256).is_err());
    assert!(validate_bcrypt(&BCRYPT_2B[..59]).is_err());
    assert!(validate_bcrypt(&BCRYPT_2B.replacen("$04$", "$0a$", 1)).is_err());
}

#[test]
fn crypt_via_ldap_and_low_sha_crypt_rounds() {
    assert_verifies(&format!("{{CRYPT}}{SHA512_CRYPT}"));
    assert_verifies(&format!("{{crypt}}{BCRYPT_2B}"));
    assert!(verify(&format!("{{CRYPT}}{PBKDF2_SHA1}"), PW).is_err());
    // rounds=10 means 1000 per the SHA-crypt specification.
    let low = SHA256_CRYPT_ROUNDS.replacen("rounds=1000", "rounds=10", 1);
    assert_eq!(verify(&low, PW), Ok(true));
}

#[test]
fn absurd_parameters_are_refused() {
    let cases = [
        "$argon2id$v=19$m=4000000,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Sr6N/nCmohWCvF7EZislLIdwA8ojCXux0K30ccqFS30",
        "$argon2i$v=19$m=64,t=1000,p=1$c29tZXNhbHRzb21lc2FsdA$zEgUAfk8nkAqqwmxnskapVML0TG0qJm7u/61l2dzSuc",
        "$pbkdf2-sha256$i=100000000,l=32$TmFDbC1zYWx0LTEyMzQ$kVbsXxLhUd2VtKunWiVCE3RVlZETJenV9D5EE67EMgs",
        "$scrypt$ln=30,r=8,p=1$TmFDbC1zYWx0LTEyMzQ$deRCBSpzmtm/CNZxKIeaE9Ed856E70CTY4TLBQ95eeg",
        "$scrypt$ln=4,r=8,p=1000$TmFDbC1zYWx0LTEyMzQ$deRCBSpzmtm/CNZxKIeaE9Ed856E70CTY4TLBQ95eeg",
        "$5$rounds=999999999$cbKJRdOH83JkdztJ$XWlG5OoB/GiY7zyfVm3AfN1R3zf18CPUOqlCDiyeaV0",
    ];
    for stored in cases {
        assert!(
            matches!(verify(stored, PW), Err(LegacyHashError::TooCostly { .. })),
            "{stored}: {:?}",
            verify(stored, PW)
        );
    }
}

#[test]
fn malformed_and_unknown_strings_fail_closed() {
    let cases = [
        "",
        "password",
        "$1$abcdefgh$abcdefghijklmnopqrstuv",
        "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA",
        "$pbkdf2-md5$i=1000,l=16$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
        "$pbkdf2-sha256$i=0,l=32$TmFDbC1zYWx0LTEyMzQ$kVbsXxLhUd2VtKunWiVCE3RVlZETJenV9D5EE67EMgs",
        "$pbkdf2-sha256$i=1000,l=31$TmFDbC1zYWx0LTEyMzQ$kVbsXxLhUd2VtKunWiVCE3RVlZETJenV9D5EE67EMgs",
        "$pbkdf2-sha256$i=1000,x=1$TmFDbC1zYWx0LTEyMzQ$kVbsXxLhUd2VtKunWiVCE3RVlZETJenV9D5EE67EMgs",
        "$pbkdf2-sha256$i=1000,l=32$!!!$kVbsXxLhUd2VtKunWiVCE3RVlZETJenV9D5EE67EMgs",
        "$scrypt$ln=4,r=8$TmFDbC1zYWx0LTEyMzQ$deRCBSpzmtm/CNZxKIeaE9Ed856E70CTY4TLBQ95eeg",
        "$5$salt$short",
        "$6$rounds=abc$vVqLF9T10pTQ92Ev$x3njEVJKAuqfiLAHcBfqUZnj2LrbRSBfzt50g1CqO/nv/oaYLIUg75h6bE5jsBhCptbKyfpkFgWnoRSN/tQY8.",
        "{SHA}q/eq1kOINtvlJqojGr3i0O73TU",
        "{SSHA}",
        "{RC4}abc",
        "{SHA",
        "$vestibule-digest$d=sha256,pos=prefix$$AAAA",
        "$vestibule-digest$d=whirlpool,pos=prefix,enc=utf8$$AAAA",
        "$vestibule-hmac$d=sha256,pos=prefix,enc=utf8$$BIoEokr5dD7WjQeyGIb7Vj9VIgAvwAEFKneHFucmTbM",
        "$vestibule-digest$d=sha256,pos=prefix,enc=utf8$$AAAA",
    ];
    for stored in cases {
        assert!(verify(stored, PW).is_err(), "{stored}");
        assert!(validate_stored(stored).is_err(), "{stored}");
    }
    assert!(verify(&"$".repeat(MAX_STORED_LEN + 1), PW).is_err());
    // A bcrypt string with a multi-byte character in it must not panic.
    let odd = format!("$2b$04${}é", "a".repeat(51));
    assert!(verify(&odd, PW).is_err());
}

fn convert(value: serde_json::Value) -> String {
    from_custom_password_hash(&value).unwrap_or_else(|e| panic!("{value}: {e}"))
}

#[test]
fn custom_password_hash_standard_algorithms_stay_as_they_are() {
    for (algorithm, stored) in [
        ("bcrypt", BCRYPT_2B),
        ("argon2", ARGON2I),
        ("pbkdf2", PBKDF2_SHA512),
        ("ldap", LDAP[0]),
    ] {
        let out = convert(json!({"algorithm": algorithm, "hash": {"value": stored}}));
        assert_eq!(out, stored);
        assert_verifies(&out);
    }
    let out =
        convert(json!({"algorithm": "bcrypt", "hash": {"value": BCRYPT_2B, "encoding": "utf8"}}));
    assert_eq!(out, BCRYPT_2B);
}

#[test]
fn custom_password_hash_salted_digests() {
    let cases = [
        ("md5", "hex", "prefix", "f8ee72288939630ba446602314f3ce40"),
        ("md5", "base64", "suffix", "CuNZjaZ4MwoJryhFCF3l3g=="),
        (
            "sha1",
            "hex",
            "prefix",
            "e2c3cf2d6535167057d9d2741e581d96ec21b580",
        ),
        ("sha1", "base64", "suffix", "B1aJgKhB5bH5VOhoFmUG4kenRlA="),
        (
            "sha256",
            "hex",
            "prefix",
            "7577e17c5358a464d145b4e7ddbbe40b8ff0a5f625d919a2c32643a7b4488c43",
        ),
        (
            "sha256",
            "base64",
            "suffix",
            "BIoEokr5dD7WjQeyGIb7Vj9VIgAvwAEFKneHFucmTbM=",
        ),
        (
            "sha512",
            "hex",
            "prefix",
            "272083569b21d170ed4677f640cc531b720b4323c28c1dc96694dca06be09bc4933cad80c631cf0fd415c0def16d1a364e382d937acbfc75633a021428787c41",
        ),
        (
            "sha512",
            "base64",
            "suffix",
            "wsTcLAlYyYToFNwUF5EZcrvLMaZkSw1tF/R5sPHltZ3RRA4fT0J01lidUkAznLX2tzRmHnMeHqbWfKTfWRsPaA==",
        ),
    ];
    for (algorithm, encoding, position, value) in cases {
        let stored = convert(json!({
            "algorithm": algorithm,
            "hash": {"value": value, "encoding": encoding},
            "salt": {"value": "pepper", "position": position}
        }));
        assert!(stored.starts_with("$vestibule-digest$"), "{stored}");
        assert_verifies(&stored);
        // Same hash with the salt on the wrong side: never matches.
        let other = if position == "prefix" {
            "suffix"
        } else {
            "prefix"
        };
        let swapped = convert(json!({
            "algorithm": algorithm,
            "hash": {"value": value, "encoding": encoding},
            "salt": {"value": "cGVwcGVy", "encoding": "base64", "position": other}
        }));
        assert_eq!(verify(&swapped, PW), Ok(false));
    }
    let unsalted = convert(json!({
        "algorithm": "sha1",
        "hash": {"value": "abf7aad6438836dbe526aa231abde2d0eef74d42", "encoding": "hex"}
    }));
    assert_verifies(&unsalted);
    // RFC 1320: MD4("message digest") = d9130a8164549fe818874806e1c7014b.
    let md4 = convert(json!({
        "algorithm": "md4",
        "hash": {"value": "d9130a8164549fe818874806e1c7014b", "encoding": "hex"},
        "salt": {"value": "message ", "encoding": "utf8", "position": "prefix"}
    }));
    assert_eq!(verify(&md4, "digest"), Ok(true));
    assert_eq!(verify(&md4, "digesT"), Ok(false));
}

#[test]
fn custom_password_hash_password_encodings() {
    let utf16 = convert(json!({
        "algorithm": "sha256",
        "hash": {"value": "a06ca8bee4d131f32f0ba795d819316250849d48f286958d3230e9c54b0398fe", "encoding": "hex"},
        "password": {"encoding": "ucs2"}
    }));
    assert!(utf16.contains("enc=utf16le"), "{utf16}");
    assert_verifies(&utf16);
    let latin1 = convert(json!({
        "algorithm": "md5",
        "hash": {"value": "d2feeb85d0eddfa18121547111b1400a", "encoding": "hex"},
        "password": {"encoding": "binary"}
    }));
    assert_eq!(verify(&latin1, "pässwort"), Ok(true));
    assert_eq!(verify(&latin1, "passwort"), Ok(false));
}

#[test]
fn custom_password_hash_hmac() {
    let stored = convert(json!({
        "algorithm": "hmac",
        "hash": {"value": "006924eb9864685724a8fb807d8fb95d253cf500d2afd6d165d36cb6ef9dbd87",
                 "encoding": "hex", "digest": "sha256",
                 "key": {"value": "secretkey", "encoding": "utf8"}}
    }));
    assert!(stored.starts_with("$vestibule-hmac$d=sha256,"), "{stored}");
    assert_verifies(&stored);
    let salted = convert(json!({
        "algorithm": "hmac",
        "hash": {"value": "b5GlrPeLmiW9gA2+i3/yz0aI9DGEga1haB1LO32xWJWbyIOvUTH5xKOeILTSvCYYvEhB+IWtZ7OCmLTSSGGHww==",
                 "encoding": "base64", "digest": "sha512",
                 "key": {"value": "00ff10", "encoding": "hex"}},
        "salt": {"value": "pepper", "position": "suffix"}
    }));
    assert_verifies(&salted);
    let md5 = convert(json!({
        "algorithm": "hmac",
        "hash": {"value": "88a7b9db55e7efbcebac07afc8b236c1", "encoding": "hex", "digest": "md5",
                 "key": {"value": "k"}}
    }));
    assert_verifies(&md5);
    // The key is part of the stored string: a different key never matches.
    let other_key = md5.replace(",key=aw$", ",key=bA$");
    assert_ne!(other_key, md5);
    assert_eq!(verify(&other_key, PW), Ok(false));
}

#[test]
fn custom_password_hash_scrypt() {
    let stored = convert(json!({
        "algorithm": "scrypt",
        "hash": {"value": "iHyVxgYlN0F9RARlz8h1fIjSwxfITQ9vuUvy4MFKjhHXuCt4VMFgGV7l+NARiF/QleDWYCoAnC5aDtWTJJz0gQ==", "encoding": "base64"},
        "salt": {"value": "NaCl-salt-1234", "encoding": "utf8"},
        "keylen": 64, "cost": 1024, "blockSize": 8, "parallelization": 2
    }));
    assert!(stored.starts_with("$scrypt$ln=10,r=8,p=2$"), "{stored}");
    assert_verifies(&stored);
}

#[test]
fn custom_password_hash_rejects_bad_input_with_reasons() {
    let sha256_hex = "7577e17c5358a464d145b4e7ddbbe40b8ff0a5f625d919a2c32643a7b4488c43";
    let cases = [
        (json!("sha256"), "must be an object"),
        (json!({"hash": {"value": "x"}}), "algorithm is required"),
        (
            json!({"algorithm": "whirlpool", "hash": {"value": "x", "encoding": "hex"}}),
            "is not one of",
        ),
        (json!({"algorithm": "sha256"}), "hash is required"),
        (
            json!({"algorithm": "sha256", "hash": {"value": sha256_hex}}),
            "hash.encoding is required",
        ),
        (
            json!({"algorithm": "sha256", "hash": {"value": "zz", "encoding": "hex"}}),
            "not valid hex",
        ),
        (
            json!({"algorithm": "sha256", "hash": {"value": "@@@", "encoding": "base64"}}),
            "not valid base64",
        ),
        (
            json!({"algorithm": "sha256", "hash": {"value": sha256_hex, "encoding": "utf8"}}),
            "must be hex or base64",
        ),
        (
            json!({"algorithm": "sha256", "hash": {"value": sha256_hex, "encoding": "rot13"}}),
            "must be hex, base64 or utf8",
        ),
        (
            json!({"algorithm": "sha256", "hash": {"value": "abcd", "encoding": "hex"}}),
            "decodes to 2 bytes",
        ),
        (
            json!({"algorithm": "sha256", "hash": {"value": sha256_hex, "encoding": "hex"}, "salt": {"value": "x"}}),
            "salt.position is required",
        ),
        (
            json!({"algorithm": "sha256", "hash": {"value": sha256_hex, "encoding": "hex"}, "salt": {"value": "x", "position": "middle"}}),
            "must be prefix or suffix",
        ),
        (
            json!({"algorithm": "sha256", "hash": {"value": sha256_hex, "encoding": "hex"}, "password": {"encoding": "ebcdic"}}),
            "password.encoding",
        ),
        (
            json!({"algorithm": "sha256", "hash": {"value": sha256_hex, "encoding": "hex"}, "extra": 1}),
            "unknown property \"extra\"",
        ),
        (
            json!({"algorithm": "sha256", "hash": {"value": sha256_hex, "encoding": "hex"}, "cost": 2}),
            "only valid with the scrypt",
        ),
        (
            json!({"algorithm": "hmac", "hash": {"value": sha256_hex, "encoding": "hex", "key": {"value": "k"}}}),
            "hash.digest is required",
        ),
        (
            json!({"algorithm": "hmac", "hash": {"value": sha256_hex, "encoding": "hex", "digest": "whirlpool", "key": {"value": "k"}}}),
            "not supported",
        ),
        (
            json!({"algorithm": "hmac", "hash": {"value": sha256_hex, "encoding": "hex", "digest": "sha256"}}),
            "hash.key is required",
        ),
        (
            json!({"algorithm": "bcrypt", "hash": {"value": "$2b$04$short"}}),
            "hash.value",
        ),
        (
            json!({"algorithm": "bcrypt", "hash": {"value": PBKDF2_SHA256}}),
            "is not a bcrypt hash",
        ),
        (
            json!({"algorithm": "pbkdf2", "hash": {"value": PBKDF2_SHA256, "encoding": "hex"}}),
            "must be utf8",
        ),
        (
            json!({"algorithm": "argon2", "hash": {"value": ARGON2I}, "salt": {"value": "x", "position": "prefix"}}),
            "salt is not used",
        ),
        (
            json!({"algorithm": "scrypt", "hash": {"value": "AAAA", "encoding": "base64"}}),
            "salt is required",
        ),
        (
            json!({"algorithm": "scrypt", "hash": {"value": "AAAA", "encoding": "base64"}, "salt": {"value": "s"}, "keylen": 3, "cost": 1000}),
            "power of two",
        ),
        (
            json!({"algorithm": "scrypt", "hash": {"value": "AAAA", "encoding": "base64"}, "salt": {"value": "s"}, "keylen": 4}),
            "keylen does not match",
        ),
        (
            json!({"algorithm": "scrypt", "hash": {"value": "AAAA", "encoding": "base64"}, "salt": {"value": "s"}, "keylen": 3, "cost": 1073741824}),
            "out of the accepted range",
        ),
        (
            json!({"algorithm": "scrypt", "hash": {"value": "AAAA", "encoding": "base64"}, "salt": {"value": "s"}, "keylen": -1}),
            "positive integer",
        ),
    ];
    for (value, reason) in cases {
        let err = from_custom_password_hash(&value).expect_err(&value.to_string());
        assert!(
            err.to_string().contains(reason),
            "{value}: {err} (expected {reason:?})"
        );
    }
}
