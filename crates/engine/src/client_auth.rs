//! Client authentication at the token endpoint (RFC 6749 §2.3).
//!
//! Only the client's registered `token_endpoint_auth_method` is accepted
//! (SECURITY.md OA-CA-04). Every failure is the same `invalid_client`, and an
//! unknown client costs the same secret comparison as a known one.

use crate::Engine;
use crate::oauth_error::{ErrorCode, OAuthError};
use model::{Client, TenantId, TokenEndpointAuthMethod};

/// How the caller presented its credentials; the HTTP layer decides which
/// one it was (and refuses requests that use two at once).
#[derive(Clone, PartialEq, Eq)]
pub enum PresentedCredentials {
    /// HTTP Basic, already form-urldecoded (RFC 6749 §2.3.1).
    Basic { client_id: String, secret: String },
    /// `client_id` and `client_secret` in the request body.
    Post { client_id: String, secret: String },
    /// Only `client_id`: a public client.
    PublicId { client_id: String },
}

impl std::fmt::Debug for PresentedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, id) = match self {
            Self::Basic { client_id, .. } => ("basic", client_id),
            Self::Post { client_id, .. } => ("post", client_id),
            Self::PublicId { client_id } => ("public", client_id),
        };
        write!(f, "PresentedCredentials::{kind}({id})")
    }
}

impl PresentedCredentials {
    pub fn client_id(&self) -> &str {
        match self {
            Self::Basic { client_id, .. }
            | Self::Post { client_id, .. }
            | Self::PublicId { client_id } => client_id,
        }
    }
}

fn invalid_client() -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, "Client authentication failed")
}

/// Finds the client and checks its credentials.
pub async fn authenticate(
    engine: &Engine,
    tenant: &TenantId,
    presented: &PresentedCredentials,
) -> Result<Client, OAuthError> {
    let client_id = presented.client_id();
    if client_id.is_empty() || client_id.len() > 128 {
        return Err(invalid_client());
    }
    let client = engine
        .lookups
        .client(tenant, client_id)
        .await
        .map_err(OAuthError::from)?;
    let Some(client) = client else {
        // Spend the same work as a real comparison before answering.
        let _ = crypto::secrets::constant_time_eq(
            b"vestibule-unknown-client-padding",
            b"vestibule-unknown-client-padding",
        );
        return Err(invalid_client());
    };
    let (expected_method, secret) = match presented {
        PresentedCredentials::Basic { secret, .. } => {
            (TokenEndpointAuthMethod::ClientSecretBasic, Some(secret))
        }
        PresentedCredentials::Post { secret, .. } => {
            (TokenEndpointAuthMethod::ClientSecretPost, Some(secret))
        }
        PresentedCredentials::PublicId { .. } => (TokenEndpointAuthMethod::None, None),
    };
    if client.token_endpoint_auth_method != expected_method {
        return Err(invalid_client());
    }
    if let Some(secret) = secret {
        let stored = crate::clients::open_secret(engine, &client)?.ok_or_else(invalid_client)?;
        if !crypto::secrets::constant_time_eq(stored.as_slice(), secret.as_bytes()) {
            return Err(invalid_client());
        }
    }
    Ok(Client::clone(&client))
}
