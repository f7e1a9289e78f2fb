//! Why a legacy hash could not be used ([`LegacyHashError`]).

/// Why a legacy hash could not be used. The messages are meant for the
/// operator importing users (they name the problem, never the hash).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LegacyHashError {
    /// The string is not in any format Vestibule verifies.
    #[error("unknown password hash format")]
    UnknownFormat,
    /// The string names a known format but does not parse.
    #[error("malformed {format} hash: {reason}")]
    Malformed {
        format: &'static str,
        reason: String,
    },
    /// The cost parameters are beyond what a login may spend.
    #[error("{format} hash parameters are out of the accepted range: {reason}")]
    TooCostly {
        format: &'static str,
        reason: String,
    },
    /// An Auth0 `custom_password_hash` object is invalid.
    #[error("invalid custom_password_hash: {0}")]
    InvalidCustomHash(String),
}

pub(super) fn malformed(format: &'static str, reason: impl Into<String>) -> LegacyHashError {
    LegacyHashError::Malformed {
        format,
        reason: reason.into(),
    }
}

pub(super) fn too_costly(format: &'static str, reason: impl Into<String>) -> LegacyHashError {
    LegacyHashError::TooCostly {
        format,
        reason: reason.into(),
    }
}
