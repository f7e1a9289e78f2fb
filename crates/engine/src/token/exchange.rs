//! The token endpoint's pipeline (RFC 6749 §3.2): from a decoded request to
//! issued tokens. The steps every grant shares run here, in this order: the
//! grant type, client authentication, the client's right to the grant, the
//! grant's typed request, the grant itself, and the log event. A new grant
//! joins by adding a [`GrantType`], a [`TokenRequest`] variant and a module
//! under `grant/`.

use crate::Engine;
use crate::login::login_events;
use crate::token::client_auth::{self, PresentedCredentials};
use crate::token::grant::{authorization_code, client_credentials, password, refresh_token};
use crate::token::oauth_error::OAuthError;
use crate::token::request::{GrantType, TokenParams, TokenRequest};
use crate::token::tokens::TokenSet;
use model::{Client, Tenant};

/// Where a token request comes from, as the HTTP layer saw it.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestOrigin<'a> {
    /// The caller's IP (client authentication is throttled per IP).
    pub ip: Option<&'a str>,
    /// Auth0's `auth0-forwarded-for` header: the end user's IP, believed
    /// only from a trusted confidential client ([`client_auth::end_user_ip`]).
    pub forwarded_for: Option<&'a str>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum TokenResponse {
    /// An end user's tokens (OIDC Core §3.1.3.3).
    User(TokenSet),
    /// A machine client's access token.
    Client(client_credentials::AccessTokenResponse),
}

/// Runs one token request whose grant type is already read (see
/// [`GrantType::of`]) and whose client presented `credentials`.
pub async fn exchange(
    engine: &Engine,
    tenant: &Tenant,
    grant_type: GrantType,
    params: &TokenParams,
    credentials: &PresentedCredentials,
    origin: RequestOrigin<'_>,
) -> Result<TokenResponse, OAuthError> {
    let client = client_auth::authenticate(engine, &tenant.id, credentials, origin.ip).await?;
    let end_user_ip = client_auth::end_user_ip(&client, origin.forwarded_for, origin.ip);
    let result = run(
        engine,
        tenant,
        &client,
        grant_type,
        params,
        end_user_ip.as_deref(),
    )
    .await;
    let origin = login_events::Origin {
        client: &client,
        ip: end_user_ip.as_deref(),
    };
    login_events::exchange(
        engine,
        &tenant.id,
        origin,
        grant_type.as_str(),
        result.as_ref().err(),
    )
    .await;
    result
}

/// The steps after client authentication, each of whose failures is logged.
async fn run(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    grant_type: GrantType,
    params: &TokenParams,
    end_user_ip: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    grant_type.check_allowed(client)?;
    let response = match TokenRequest::parse(grant_type, params)? {
        TokenRequest::AuthorizationCode(request) => {
            TokenResponse::User(authorization_code::issue(engine, tenant, client, &request).await?)
        }
        TokenRequest::RefreshToken(request) => {
            TokenResponse::User(refresh_token::issue(engine, tenant, client, &request).await?)
        }
        TokenRequest::ClientCredentials(request) => TokenResponse::Client(
            client_credentials::issue(engine, tenant, client, &request).await?,
        ),
        TokenRequest::Password(request) | TokenRequest::PasswordRealm(request) => {
            TokenResponse::User(
                password::issue(engine, tenant, client, &request, end_user_ip).await?,
            )
        }
    };
    Ok(response)
}
