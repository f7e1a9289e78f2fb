//! Signing and verification throughput per algorithm, single thread.
//!
//! `cargo run --release -p crypto --example sign_bench`

use crypto::jwt_verify::{Expectations, PublicKey, verify_jwt};
use crypto::{KeyPair, SigningAlg};
use serde_json::json;
use std::error::Error;
use std::time::{Duration, Instant};

const BUDGET: Duration = Duration::from_secs(1);

fn rate(mut op: impl FnMut() -> Result<(), Box<dyn Error>>) -> Result<f64, Box<dyn Error>> {
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < BUDGET {
        op()?;
        count += 1;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}

fn main() -> Result<(), Box<dyn Error>> {
    let now = 1_700_000_000;
    let claims = json!({
        "iss": "https://tenant.example/",
        "sub": "auth0|64f1c0ffee",
        "aud": "https://api.example/",
        "iat": now,
        "exp": now + 86_400,
        "scope": "openid profile email",
    });
    let expected = Expectations::new("https://tenant.example/", "https://api.example/");
    println!("{:<6} {:>12} {:>12}", "alg", "sign/s", "verify/s");
    for alg in SigningAlg::ALL {
        let key = KeyPair::generate(alg)?;
        let kid = key.thumbprint();
        let public = [PublicKey::from_key_pair(&key, &kid)?];
        let token = key.sign_jwt(&kid, None, &claims)?;
        let signs = rate(|| {
            std::hint::black_box(key.sign_jwt(&kid, None, &claims)?);
            Ok(())
        })?;
        let verifies = rate(|| {
            std::hint::black_box(verify_jwt(&token, &public, &[alg], &expected, now)?);
            Ok(())
        })?;
        println!("{:<6} {signs:>12.0} {verifies:>12.0}", alg.as_str());
    }
    Ok(())
}
