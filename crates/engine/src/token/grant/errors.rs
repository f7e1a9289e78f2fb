//! The errors the grants share.

use crate::EngineError;
use crate::token::oauth_error::{ErrorCode, OAuthError};

pub fn invalid_grant(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

/// An engine failure in the middle of a grant: a server error to the client.
pub fn engine_error(error: impl Into<EngineError>) -> OAuthError {
    OAuthError::from(error.into())
}
