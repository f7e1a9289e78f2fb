//! OAuth 2.0 errors as values (RFC 6749 §5.2), so flows report failures
//! without knowing how they are written on the wire.

use std::borrow::Cow;

/// The `error` codes of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, OIDC Core §3.1.2.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    InvalidToken,
    InsufficientScope,
    ServerError,
    UnsupportedResponseType,
    RequestNotSupported,
    RequestUriNotSupported,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    UnsupportedTokenType,
    /// Auth0's answer to a blocked or throttled login (HTTP 429).
    TooManyAttempts,
    /// Auth0's rate-limit answer (HTTP 429): the server is saturated.
    TooManyRequests,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::ServerError => "server_error",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::TooManyAttempts => "too_many_attempts",
            Self::TooManyRequests => "too_many_requests",
        }
    }
}

/// An OAuth error. `description` is safe to show the client; the cause, if
/// any, is for logs only.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", code.as_str(), description)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
    #[source]
    pub cause: Option<Box<crate::EngineError>>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            cause: None,
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }
}

impl From<crate::EngineError> for OAuthError {
    /// An engine failure inside an OAuth flow is a server error; its detail
    /// stays in the logs. A saturated server is Auth0's rate-limit answer.
    fn from(error: crate::EngineError) -> Self {
        if let crate::EngineError::Overloaded { .. } = error {
            // The cause carries `retry_after` to the HTTP layer.
            return Self {
                code: ErrorCode::TooManyRequests,
                description: Cow::Borrowed("The server is busy; try again later."),
                cause: Some(Box::new(error)),
            };
        }
        Self {
            code: ErrorCode::ServerError,
            description: Cow::Borrowed("the server could not complete the request"),
            cause: Some(Box::new(error)),
        }
    }
}
