//! The `client_credentials` grant (RFC 6749 §4.4) with Auth0's `audience`:
//! a machine client gets a JWT access token (RFC 9068) for an API when a
//! client grant allows it.

use crate::Engine;
use crate::token::oauth_error::{ErrorCode, OAuthError};
use crate::token::request::ClientCredentialsRequest;
use model::{Client, Tenant};

/// A machine client's token response (RFC 6749 §5.1): an access token only.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccessTokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

pub async fn issue(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    request: &ClientCredentialsRequest,
) -> Result<AccessTokenResponse, OAuthError> {
    let audience = request
        .audience
        .as_deref()
        .or(tenant.settings.default_audience.as_deref())
        .ok_or_else(|| {
            OAuthError::new(
                ErrorCode::AccessDenied,
                "No audience parameter was provided, and no default audience has been configured",
            )
        })?;
    let server = engine
        .lookups
        .resource_server(&tenant.id, audience)
        .await
        .map_err(OAuthError::from)?
        .ok_or_else(|| {
            OAuthError::new(
                ErrorCode::AccessDenied,
                format!("Service not found: {audience}"),
            )
        })?;
    let grant = engine
        .lookups
        .client_grant(&tenant.id, &client.client_id, &server.identifier)
        .await
        .map_err(OAuthError::from)?
        .ok_or_else(|| {
        OAuthError::new(
            ErrorCode::AccessDenied,
            format!(
                "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API."
            ),
        )
    })?;
    let scopes: Vec<String> = match &request.scope {
        None => grant.scope.clone(),
        Some(requested) => {
            if let Some(missing) = requested.iter().find(|s| !grant.scope.contains(s)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("The client is not granted the scope {missing}"),
                ));
            }
            if requested.is_empty() {
                grant.scope.clone()
            } else {
                requested.clone()
            }
        }
    };
    let scope = scopes.join(" ");
    let now = engine.clock.now_seconds();
    let claims = serde_json::json!({
        "iss": tenant.issuer,
        "sub": format!("{}@clients", client.client_id),
        "aud": server.identifier,
        "iat": now,
        "exp": now + server.token_lifetime,
        "scope": scope,
        "gty": "client-credentials",
        "azp": client.client_id,
        "client_id": client.client_id,
        "jti": model::ids::random_alphanumeric(22),
    });
    let signer = engine.keys.signer(&tenant.id, server.signing_alg).await?;
    let access_token = signer
        .key
        .sign_jwt(&signer.kid, Some("at+jwt"), &claims)
        .map_err(|e| OAuthError::from(crate::EngineError::from(e)))?;
    Ok(AccessTokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: server.token_lifetime,
        scope: Some(scope),
    })
}
