//! The two CPU limits the benchmark harness compares throughput against,
//! measured with the same crates and parameters the server uses:
//!
//! - argon2id: the time of one password verification at the configured
//!   parameters (`VESTIBULE_PASSWORD_HASH_*`, OWASP defaults otherwise);
//! - RS256: the time of one access-token signature (RSA-2048, aws-lc-rs).
//!
//! Single-threaded; the limit for `n` cores is `n ÷ time`. Prints
//! `key=value` lines for `bench/run.sh`.
//!
//! `cargo run --release -p vestibule --example limits`

use crypto::{KeyPair, PasswordHasher, PasswordParams, SigningAlg};
use serde_json::json;
use std::error::Error;
use std::time::{Duration, Instant};

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Mean seconds per call of `op`, over at least `budget` (after one warm-up call).
fn per_call(
    budget: Duration,
    mut op: impl FnMut() -> Result<(), Box<dyn Error>>,
) -> Result<f64, Box<dyn Error>> {
    op()?;
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < budget {
        op()?;
        count += 1;
    }
    Ok(start.elapsed().as_secs_f64() / count as f64)
}

fn main() -> Result<(), Box<dyn Error>> {
    let defaults = PasswordParams::default();
    let params = PasswordParams {
        m_cost_kib: env_u32("VESTIBULE_PASSWORD_HASH_MEMORY_KIB", defaults.m_cost_kib),
        t_cost: env_u32("VESTIBULE_PASSWORD_HASH_ITERATIONS", defaults.t_cost),
        p_cost: env_u32("VESTIBULE_PASSWORD_HASH_PARALLELISM", defaults.p_cost),
    };
    let budget = Duration::from_millis(u64::from(env_u32("LIMITS_BUDGET_MS", 2_000)));
    let hasher = PasswordHasher::new(params)?;
    let phc = hasher.hash("correct horse battery staple")?;
    let argon2 = per_call(budget, || {
        std::hint::black_box(hasher.verify("correct horse battery staple", &phc)?);
        Ok(())
    })?;

    let now = 1_700_000_000;
    let claims = json!({
        "iss": "http://127.0.0.1:8080/",
        "sub": "bench-client@clients",
        "aud": "urn:bench:rs256",
        "iat": now,
        "exp": now + 86_400,
        "scope": "read:all",
        "gty": "client-credentials",
        "azp": "bench-client",
        "client_id": "bench-client",
        "jti": "0123456789abcdefghijkl",
    });
    let mut signatures = Vec::new();
    for alg in SigningAlg::ALL {
        let key = KeyPair::generate(alg)?;
        let kid = key.thumbprint();
        let seconds = per_call(budget / 2, || {
            std::hint::black_box(key.sign_jwt(&kid, Some("at+jwt"), &claims)?);
            Ok(())
        })?;
        signatures.push((alg, seconds));
    }

    println!(
        "argon2id_params=m={},t={},p={}",
        params.m_cost_kib, params.t_cost, params.p_cost
    );
    println!("argon2id_ms={:.3}", argon2 * 1e3);
    for (alg, seconds) in signatures {
        println!("sign_{}_ms={:.4}", alg.as_str(), seconds * 1e3);
    }
    Ok(())
}
