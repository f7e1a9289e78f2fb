//! A token request (RFC 6749 §3.2), typed: the grant type, then the fields
//! of that grant, each checked once, so a grant never reads raw parameters.
//!
//! The HTTP layer decodes the body into [`TokenParams`]; [`GrantType::of`]
//! reads the grant type before the client authenticates and
//! [`TokenRequest::parse`] the grant's fields after it, so a caller that
//! fails to authenticate learns nothing about its request.

use crate::token::oauth_error::{ErrorCode, OAuthError};
use crate::token::scopes;
use model::Client;
use std::collections::BTreeMap;

const MAX_NAME: usize = 128;
const MAX_VALUE: usize = 4 * 1024;

/// The request parameters, each present at most once (RFC 6749 §3.2).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TokenParams(BTreeMap<String, String>);

impl TokenParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Adds one decoded parameter; a repeated or oversized one is refused.
    pub fn insert(&mut self, name: String, value: String) -> Result<(), OAuthError> {
        if name.len() > MAX_NAME || value.len() > MAX_VALUE {
            return Err(OAuthError::invalid_request("a parameter is too long"));
        }
        if self.0.contains_key(&name) {
            return Err(OAuthError::invalid_request(format!(
                "parameter {name} is repeated"
            )));
        }
        self.0.insert(name, value);
        Ok(())
    }

    /// A parameter that counts only when not empty.
    fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }
}

/// Auth0's password grant with a named connection (`realm`).
pub const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

/// The grants the token endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    Password,
    PasswordRealm,
}

impl GrantType {
    /// Every grant served, in the order discovery advertises them.
    pub const ALL: [GrantType; 5] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::Password,
        Self::PasswordRealm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
            Self::PasswordRealm => PASSWORD_REALM,
        }
    }

    /// The request's `grant_type`.
    pub fn of(params: &TokenParams) -> Result<Self, OAuthError> {
        let grant_type = params
            .get("grant_type")
            .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
        Self::ALL
            .into_iter()
            .find(|known| known.as_str() == grant_type)
            .ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    format!("Unsupported grant type: {grant_type}"),
                )
            })
    }

    /// Refuses a client not registered for this grant; `client_credentials`
    /// also needs a confidential client (RFC 6749 §4.4).
    pub fn check_allowed(self, client: &Client) -> Result<(), OAuthError> {
        let machine_only = self == Self::ClientCredentials && client.is_public();
        if client.allows_grant(self.as_str()) && !machine_only {
            Ok(())
        } else {
            Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                format!("Grant type '{}' not allowed for the client.", self.as_str()),
            ))
        }
    }
}

/// One token request: a variant per grant, its fields already checked.
#[derive(Debug)]
pub enum TokenRequest {
    AuthorizationCode(AuthorizationCodeRequest),
    RefreshToken(RefreshTokenRequest),
    ClientCredentials(ClientCredentialsRequest),
    Password(PasswordRequest),
    PasswordRealm(PasswordRequest),
}

/// `grant_type=authorization_code` (RFC 6749 §4.1.3, PKCE per RFC 7636).
#[derive(Debug)]
pub struct AuthorizationCodeRequest {
    pub code: String,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

/// `grant_type=refresh_token` (RFC 6749 §6).
#[derive(Debug)]
pub struct RefreshTokenRequest {
    pub refresh_token: String,
    /// A narrower scope than granted; `None` keeps the granted one.
    pub scope: Option<Vec<String>>,
}

/// `grant_type=client_credentials` (RFC 6749 §4.4) with Auth0's `audience`.
#[derive(Debug)]
pub struct ClientCredentialsRequest {
    pub audience: Option<String>,
    /// `None` asks for every scope the client grant allows.
    pub scope: Option<Vec<String>>,
}

/// Auth0's `password` and `password-realm` grants.
pub struct PasswordRequest {
    pub username: String,
    pub password: String,
    /// The connection named by `realm`, if any.
    pub realm: Option<String>,
    pub scope: Vec<String>,
    pub audience: Option<String>,
}

impl std::fmt::Debug for PasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordRequest")
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl TokenRequest {
    /// The fields of `grant_type`'s request, checked.
    pub fn parse(grant_type: GrantType, params: &TokenParams) -> Result<Self, OAuthError> {
        let owned = |name: &str| params.get(name).map(str::to_owned);
        Ok(match grant_type {
            GrantType::AuthorizationCode => Self::AuthorizationCode(AuthorizationCodeRequest {
                code: bounded(params, "code")?,
                redirect_uri: owned("redirect_uri"),
                code_verifier: owned("code_verifier"),
            }),
            GrantType::RefreshToken => Self::RefreshToken(RefreshTokenRequest {
                refresh_token: bounded(params, "refresh_token")?,
                scope: params.non_empty("scope").map(scopes::split),
            }),
            GrantType::ClientCredentials => Self::ClientCredentials(ClientCredentialsRequest {
                audience: params.non_empty("audience").map(str::to_owned),
                scope: params.get("scope").map(scopes::split),
            }),
            GrantType::Password => Self::Password(PasswordRequest::parse(params)?),
            GrantType::PasswordRealm => Self::PasswordRealm(PasswordRequest::parse(params)?),
        })
    }
}

impl PasswordRequest {
    fn parse(params: &TokenParams) -> Result<Self, OAuthError> {
        let required = |name: &'static str| {
            params
                .non_empty(name)
                .map(str::to_owned)
                .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
        };
        Ok(Self {
            username: required("username")?,
            password: required("password")?,
            realm: params.non_empty("realm").map(str::to_owned),
            scope: scopes::split(params.get("scope").unwrap_or("openid")),
            audience: params.non_empty("audience").map(str::to_owned),
        })
    }
}

/// A required opaque value (a code or a refresh token), at most 256 bytes.
fn bounded(params: &TokenParams, name: &'static str) -> Result<String, OAuthError> {
    params
        .non_empty(name)
        .filter(|value| value.len() <= 256)
        .map(str::to_owned)
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
}
