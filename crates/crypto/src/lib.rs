//! Vestibule's cryptography, in one crate so that every secret-handling
//! decision is reviewable in one place.
//!
//! * [`master_key`]: the instance master key and authenticated sealing of
//!   secrets at rest (private signing keys, client secrets, upstream secrets).
//! * [`jws`]: token signing keys (RS256, ES256, EdDSA), their JWKs, RFC 7638
//!   thumbprints, self-signed certificates, and compact JWS signing.
//! * [`jwt_verify`]: strict verification of JWTs against an allow-list of
//!   algorithms and a caller-supplied key set.
//! * [`password`]: argon2id password hashing.
//! * [`legacy_hash`]: verification of imported / custom-database hashes
//!   (bcrypt, argon2, PBKDF2, scrypt, SHA-crypt, LDAP, salted digests, HMAC).
//! * [`secrets`]: constant-time comparison, randomness, digests.
//!
//! Every private-key operation goes through `aws-lc-rs` (never the `rsa`
//! crate; see CRATES.md §2). Nothing here reads the wall clock: callers pass
//! `now` from `model::Clock`.

mod b64;
mod error;
pub mod jws;
pub mod jwt_verify;
pub mod legacy_hash;
pub mod master_key;
pub mod password;
pub mod secrets;

pub use error::CryptoError;
pub use jws::KeyPair;
pub use jwt_verify::{Expectations, JwtError, PublicKey, parse_jwks, verify_jwt};
pub use master_key::MasterKey;
pub use model::SigningAlg;
pub use password::{PasswordHasher, PasswordParams};
