//! The crate's error type for everything except JWT verification (which has
//! its own, more detailed [`crate::JwtError`]). Messages never contain key
//! material or plaintext.

/// Errors from sealing, key handling, signing and password hashing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The master key is not exactly 64 hexadecimal characters.
    #[error("master key must be exactly 64 hex characters")]
    InvalidMasterKey,
    /// The sealed value is not in the `v1.<base64url>` format.
    #[error("sealed value is malformed")]
    MalformedSealed,
    /// The sealed value uses a format version this build does not know.
    #[error("sealed value has an unsupported version")]
    UnsupportedSealVersion,
    /// Authentication failed: wrong key, wrong context, or tampered data.
    #[error("sealed value could not be opened")]
    OpenFailed,
    /// The opened plaintext was expected to be UTF-8 and is not.
    #[error("opened value is not valid UTF-8")]
    NotUtf8,
    /// The system random number generator failed.
    #[error("random number generator failed")]
    Random,
    /// Key generation failed inside the crypto library.
    #[error("key generation failed")]
    KeyGeneration,
    /// A private or public key was rejected.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// Producing a signature failed inside the crypto library.
    #[error("signing failed")]
    Signing,
    /// JWT claims must be a JSON object.
    #[error("claims must be a JSON object")]
    ClaimsNotObject,
    /// Claims could not be serialised to JSON.
    #[error("claims could not be serialised")]
    Serialization,
    /// Building a certificate failed.
    #[error("certificate generation failed: {0}")]
    Certificate(String),
    /// Password hashing parameters are out of range.
    #[error("invalid password hashing parameters")]
    InvalidPasswordParams,
    /// A stored password hash is not a PHC string we can verify.
    #[error("unsupported or malformed password hash")]
    InvalidPasswordHash,
    /// The password hashing computation failed.
    #[error("password hashing failed")]
    PasswordHashing,
}
