//! The engine's error type: what went wrong, in domain words. The HTTP layer
//! maps each variant to the Management API or OAuth wire shape.

use storage::StorageError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The named record does not exist in this tenant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule would be broken.
    #[error("{0}")]
    AlreadyExists(String),
    /// Input failed validation; `field` names it (`options.client_id`, `callbacks[0]`).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The operation is not allowed on this record (e.g. changing a system record).
    #[error("{0}")]
    Forbidden(String),
    /// Too many concurrent changes to the same record; try again.
    #[error("conflicting concurrent update, try again")]
    Conflict,
    /// A new password breaks the connection's password policy.
    #[error("{0}")]
    Password(crate::login::password_rejection::PasswordRejection),
    /// A user with this email or username already exists in the connection.
    #[error("The user already exists.")]
    UserExists,
    /// A search query (`q`, `sort`) could not be parsed or is too large.
    #[error("{0}")]
    InvalidQuery(String),
    /// The caller sent too many requests of this kind; try again later.
    #[error("{0}")]
    RateLimited(&'static str),
    /// The server is saturated (the password-hashing queue is full); the
    /// caller may try again after `retry_after` seconds.
    #[error("the server is busy, try again later")]
    Overloaded { retry_after: u64 },
    /// Storage failed; details are logged, never shown.
    #[error("storage failure")]
    Storage(#[source] StorageError),
    /// A cryptographic operation failed; details are logged, never shown.
    #[error("cryptographic failure")]
    Crypto(#[source] crypto::CryptoError),
    /// An upstream identity provider could not be used; details are logged.
    #[error("upstream identity provider failure")]
    Upstream(#[source] connectors::redirect::RedirectError),
    /// A connection's custom database failed or is misconfigured; details
    /// are logged.
    #[error("custom database failure")]
    CustomDatabase(#[source] connectors::custom_database::CustomDbError),
}

impl EngineError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<StorageError> for EngineError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound => Self::NotFound("record"),
            StorageError::AlreadyExists(what) => {
                Self::AlreadyExists(format!("{what} already exists"))
            }
            StorageError::Conflict => Self::Conflict,
            StorageError::Rejected(source) => match source.downcast::<EngineError>() {
                Ok(engine_error) => *engine_error,
                Err(other) => Self::Storage(StorageError::Rejected(other)),
            },
            other => Self::Storage(other),
        }
    }
}

impl From<crypto::CryptoError> for EngineError {
    fn from(error: crypto::CryptoError) -> Self {
        Self::Crypto(error)
    }
}

/// Turns a storage `NotFound` into a `NotFound` naming the record kind.
pub(crate) fn not_found_as(what: &'static str) -> impl Fn(StorageError) -> EngineError {
    move |error| match error {
        StorageError::NotFound => EngineError::NotFound(what),
        other => EngineError::from(other),
    }
}

/// Lets an update closure reject a change with an engine error.
pub(crate) fn reject(error: EngineError) -> StorageError {
    StorageError::Rejected(Box::new(error))
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// `error: cause: cause` for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
