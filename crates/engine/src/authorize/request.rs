//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, Auth0's
//! parameters), parsed once and validated against the client.
//!
//! Errors follow RFC 6749 §4.1.2.1: while the client and redirect URI are not
//! both trusted the error is shown to the user ([`AuthorizeError::Untrusted`]);
//! once they are, it goes back to the client ([`AuthorizeError::Redirect`]).

use crate::error::EngineError;
use crate::token::oauth_error::{ErrorCode, OAuthError};
use model::Client;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the authorization response is returned (OAuth 2.0 Multiple Response
/// Type Encoding Practices; Form Post Response Mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

/// The validated request, kept in the login transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub response_mode: ResponseMode,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub id_token_hint: Option<String>,
    pub ui_locales: Option<String>,
    pub audience: Option<String>,
    pub connection: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// The `sub` of a verified `id_token_hint`: only that user's session may be reused.
    #[serde(default)]
    pub hint_subject: Option<String>,
}

/// Which artefacts the authorization response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseType {
    pub code: bool,
    pub id_token: bool,
    pub token: bool,
}

impl ResponseType {
    /// The response types Vestibule serves (OIDC Core §3).
    pub const SUPPORTED: &'static [&'static str] = &[
        "code",
        "token",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ];

    fn parse(value: &str) -> Option<Self> {
        let mut parts: Vec<&str> = value.split(' ').filter(|p| !p.is_empty()).collect();
        let count = parts.len();
        parts.sort_unstable();
        parts.dedup();
        if parts.len() != count {
            return None;
        }
        let parsed = Self {
            code: parts.contains(&"code"),
            id_token: parts.contains(&"id_token"),
            token: parts.contains(&"token"),
        };
        let known =
            usize::from(parsed.code) + usize::from(parsed.id_token) + usize::from(parsed.token);
        // `token` alone is OAuth 2.0's implicit grant (RFC 6749 §4.2), which
        // Auth0 serves; the client must still name `implicit`.
        if known != count || count == 0 {
            return None;
        }
        Some(parsed)
    }

    /// True when the front channel carries tokens (implicit or hybrid).
    pub fn returns_tokens(self) -> bool {
        self.id_token || self.token
    }
}

/// Why an authorization request failed, and where the error goes.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Shown on an error page: the client or redirect URI cannot be trusted.
    Untrusted(String),
    /// Returned to the client at its (registered) redirect URI.
    Redirect {
        redirect_uri: String,
        response_mode: ResponseMode,
        state: Option<String>,
        error: OAuthError,
    },
}

impl AuthorizeError {
    pub fn redirect(request: &AuthorizationRequest, error: OAuthError) -> Self {
        Self::Redirect {
            redirect_uri: request.redirect_uri.clone(),
            response_mode: request.response_mode,
            state: request.state.clone(),
            error,
        }
    }
}

/// An internal failure during a request that cannot be trusted to redirect:
/// logged, and shown as a generic error page.
pub(crate) fn server_error_page(error: impl Into<EngineError>) -> AuthorizeError {
    let error: EngineError = error.into();
    tracing::error!(error = %error, "authorize failed");
    AuthorizeError::Untrusted("The server could not handle the request; try again".into())
}

const MAX_PARAM: usize = 2_048;
const MAX_HINT: usize = 8_192;

/// Parameters that may appear in an authorization request. Others are
/// ignored, as RFC 6749 §3.1 requires.
const KNOWN: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "login_hint",
    "id_token_hint",
    "ui_locales",
    "audience",
    "connection",
    "code_challenge",
    "code_challenge_method",
    "request",
    "request_uri",
    "display",
    "acr_values",
    "claims",
    "registration",
    "organization",
    "invitation",
    "screen_hint",
    "resource",
];

/// Parses and validates the request against the client it names.
///
/// `params` holds each parameter once (the HTTP layer refuses repeats of
/// known parameters, RFC 6749 §3.1).
pub fn validate(
    params: &BTreeMap<String, String>,
    client: Option<&Client>,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    for name in KNOWN {
        if let Some(value) = params.get(*name) {
            let limit = if *name == "id_token_hint" {
                MAX_HINT
            } else {
                MAX_PARAM
            };
            if value.len() > limit {
                return Err(AuthorizeError::Untrusted(format!(
                    "The parameter {name} is too long"
                )));
            }
        }
    }
    let Some(client_id) = get("client_id") else {
        return Err(AuthorizeError::Untrusted(
            "The request has no client_id".into(),
        ));
    };
    let Some(client) = client.filter(|c| c.client_id == client_id) else {
        return Err(AuthorizeError::Untrusted("Unknown client".into()));
    };
    // The redirect URI must match a registered callback exactly (RFC 9700 §2.1).
    let redirect_uri = match get("redirect_uri") {
        Some(uri) if client.callbacks.iter().any(|registered| registered == uri) => uri.to_owned(),
        Some(_) => {
            return Err(AuthorizeError::Untrusted(
                "The redirect_uri is not registered for this client".into(),
            ));
        }
        None if client.callbacks.len() == 1 => client.callbacks[0].clone(),
        None => {
            return Err(AuthorizeError::Untrusted(
                "The request has no redirect_uri".into(),
            ));
        }
    };
    let state = get("state").map(str::to_owned);
    let fail = |mode: ResponseMode, error: OAuthError| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        response_mode: mode,
        state: state.clone(),
        error,
    };
    let invalid = |mode: ResponseMode, description: &'static str| {
        fail(mode, OAuthError::invalid_request(description))
    };

    let Some(response_type) = get("response_type") else {
        return Err(invalid(ResponseMode::Query, "response_type is required"));
    };
    let Some(response_type) = ResponseType::parse(response_type) else {
        return Err(fail(
            ResponseMode::Query,
            OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "response_type is not supported",
            ),
        ));
    };
    let default_mode = if response_type.returns_tokens() {
        ResponseMode::Fragment
    } else {
        ResponseMode::Query
    };
    let response_mode = match get("response_mode") {
        None => default_mode,
        Some("query") if response_type.returns_tokens() => {
            return Err(invalid(
                default_mode,
                "tokens are never returned in the query",
            ));
        }
        Some("query") => ResponseMode::Query,
        Some("fragment") => ResponseMode::Fragment,
        Some("form_post") => ResponseMode::FormPost,
        Some(_) => return Err(invalid(default_mode, "response_mode is not supported")),
    };
    if params.contains_key("request") {
        return Err(fail(
            response_mode,
            OAuthError::new(
                ErrorCode::RequestNotSupported,
                "request objects are not supported",
            ),
        ));
    }
    if params.contains_key("request_uri") {
        return Err(fail(
            response_mode,
            OAuthError::new(
                ErrorCode::RequestUriNotSupported,
                "request_uri is not supported",
            ),
        ));
    }
    if response_type.code && !client.allows_grant("authorization_code") {
        return Err(fail(
            response_mode,
            OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the client may not use the authorization code flow",
            ),
        ));
    }
    // Tokens from the front channel only for clients that opt in (BRIEF §6.1).
    if response_type.returns_tokens() && !client.allows_grant("implicit") {
        return Err(fail(
            response_mode,
            OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the client may not receive tokens from /authorize",
            ),
        ));
    }
    let scope = crate::token::scopes::split(get("scope").unwrap_or(""));
    if scope
        .iter()
        .any(|s| !crate::token::scopes::is_valid_token(s))
    {
        return Err(fail(
            response_mode,
            OAuthError::new(ErrorCode::InvalidScope, "scope is malformed"),
        ));
    }
    let is_oidc = scope.iter().any(|s| s == "openid");
    if response_type.id_token && !is_oidc {
        return Err(invalid(
            response_mode,
            "response_type id_token needs the openid scope",
        ));
    }
    let nonce = get("nonce").map(str::to_owned);
    if response_type.id_token && nonce.is_none() {
        return Err(invalid(
            response_mode,
            "nonce is required when an ID token is returned from /authorize",
        ));
    }
    let prompt = crate::token::scopes::split(get("prompt").unwrap_or(""));
    for value in &prompt {
        if !matches!(
            value.as_str(),
            "none" | "login" | "consent" | "select_account"
        ) {
            return Err(invalid(response_mode, "prompt has an unsupported value"));
        }
    }
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(invalid(
            response_mode,
            "prompt=none cannot be combined with other values",
        ));
    }
    let max_age = match get("max_age") {
        None => None,
        Some(value) => match value.parse::<i64>() {
            Ok(seconds) if seconds >= 0 => Some(seconds),
            _ => {
                return Err(invalid(
                    response_mode,
                    "max_age must be a non-negative integer",
                ));
            }
        },
    };
    let code_challenge = get("code_challenge").map(str::to_owned);
    let code_challenge_method = match (&code_challenge, get("code_challenge_method")) {
        (None, Some(_)) => {
            return Err(invalid(
                response_mode,
                "code_challenge_method without code_challenge",
            ));
        }
        (None, None) => None,
        (Some(_), None) | (Some(_), Some("plain")) => {
            if !client.allow_pkce_plain {
                return Err(invalid(response_mode, "code_challenge_method must be S256"));
            }
            Some("plain".to_owned())
        }
        (Some(_), Some("S256")) => Some("S256".to_owned()),
        (Some(_), Some(_)) => {
            return Err(invalid(response_mode, "code_challenge_method must be S256"));
        }
    };
    if let Some(challenge) = &code_challenge {
        // RFC 7636 §4.2: 43–128 unreserved characters.
        let valid = (43..=128).contains(&challenge.len())
            && challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !valid {
            return Err(invalid(response_mode, "code_challenge is malformed"));
        }
    }
    // PKCE is required for public clients (BRIEF §6.2).
    if response_type.code && client.is_public() && code_challenge.is_none() {
        return Err(invalid(
            response_mode,
            "public clients must send a PKCE code_challenge",
        ));
    }
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri,
        response_type,
        response_mode,
        scope,
        state,
        nonce,
        prompt,
        max_age,
        login_hint: get("login_hint").map(str::to_owned),
        id_token_hint: get("id_token_hint").map(str::to_owned),
        ui_locales: get("ui_locales").map(str::to_owned),
        audience: get("audience").map(str::to_owned),
        connection: get("connection").map(str::to_owned),
        code_challenge,
        code_challenge_method,
        hint_subject: None,
    })
}

impl AuthorizationRequest {
    pub fn has_prompt(&self, value: &str) -> bool {
        self.prompt.iter().any(|p| p == value)
    }

    pub fn is_oidc(&self) -> bool {
        self.scope.iter().any(|s| s == "openid")
    }
}
