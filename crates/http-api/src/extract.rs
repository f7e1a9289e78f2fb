//! Extractors: the tenant from the Host, the Management API caller from the
//! bearer token, and JSON bodies and query strings parsed with errors in
//! Auth0's shape naming the offending property.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use engine::management::management_token::{self, ManagementAuthError, ManagementCaller};
use model::Tenant;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The largest Management API body accepted.
pub const MAX_JSON_BODY: usize = 256 * 1024;

/// The host the request was sent to: the HTTP/2 `:authority` or the `Host` header.
pub fn request_host(parts: &Parts) -> Option<String> {
    if let Some(authority) = parts.uri.authority() {
        return Some(authority.as_str().to_owned());
    }
    parts
        .headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The tenant this request is for (shared: the directory's cached record).
pub struct CurrentTenant(pub Arc<Tenant>);

impl FromRequestParts<AppState> for CurrentTenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(tenant) = parts.extensions.get::<Arc<Tenant>>() {
            return Ok(Self(tenant.clone()));
        }
        let host = request_host(parts);
        let tenant = state.engine.tenants.resolve(host.as_deref()).await?;
        parts.extensions.insert(tenant.clone());
        Ok(Self(tenant))
    }
}

/// An authenticated Management API call: the tenant and who is calling.
pub struct Management {
    pub tenant: Arc<Tenant>,
    pub caller: ManagementCaller,
}

impl Management {
    /// Fails with 403 unless the token carries `scope`.
    pub fn require(&self, scope: &'static str) -> Result<(), ApiError> {
        if self.caller.has_scope(scope) {
            Ok(())
        } else {
            Err(ManagementAuthError::InsufficientScope(scope.to_owned()).into())
        }
    }

    /// Fails with 403 unless the token carries at least one of `scopes`.
    pub fn require_any(&self, scopes: &[&'static str]) -> Result<(), ApiError> {
        if scopes.iter().any(|scope| self.caller.has_scope(scope)) {
            Ok(())
        } else {
            Err(ManagementAuthError::InsufficientScope(scopes.join(",")).into())
        }
    }

    /// Whether the token carries `scope`.
    pub fn has(&self, scope: &str) -> bool {
        self.caller.has_scope(scope)
    }

    pub fn tenant_id(&self) -> &model::TenantId {
        &self.tenant.id
    }
}

impl FromRequestParts<AppState> for Management {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let CurrentTenant(tenant) = CurrentTenant::from_request_parts(parts, state).await?;
        let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(ManagementAuthError::Missing.into());
        };
        let value = value
            .to_str()
            .map_err(|_| ManagementAuthError::Invalid(None))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => return Err(ManagementAuthError::Missing.into()),
        };
        let caller = management_token::authenticate(&state.engine, &tenant, token).await?;
        Ok(Self { tenant, caller })
    }
}

/// A JSON body whose errors (syntax, types, unknown fields, size, content
/// type) come back as Auth0's 400/413/415 naming the property.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Expected request with `Content-Type: application/json`",
            ));
        }
        let body = axum::body::to_bytes(request.into_body(), MAX_JSON_BODY)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("Request body larger than {MAX_JSON_BODY} bytes"),
                )
            })?;
        parse_json(&body).map(ApiJson)
    }
}

/// Parses a JSON body into `T`, naming the property that failed.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::bad_request("invalid_body", "Invalid request payload JSON format")
    })?;
    let top_level_kind = match &value {
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
        _ => "scalar",
    };
    let parsed: Result<T, _> = serde_path_to_error::deserialize(value);
    parsed.map_err(|error| {
        let path = error.path().to_string();
        let message = clean_serde_message(&error.into_inner().to_string());
        // serde reads a top-level array as a struct's fields in order; say
        // plainly that an object was expected instead.
        if top_level_kind != "object" && (path == "." || path.starts_with('[')) && !message.contains("sequence") {
            return ApiError::bad_request(
                "invalid_body",
                format!("Payload validation error: 'Expected type object but found type {top_level_kind}' on property body"),
            );
        }
        let property = if path == "." { "body".to_owned() } else { path };
        ApiError::bad_request(
            "invalid_body",
            format!("Payload validation error: '{message}' on property {property}"),
        )
    })
}

/// Drops serde's " at line X column Y" tail.
fn clean_serde_message(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string parsed into `T`; unknown or malformed parameters are a 400.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        if query.len() > 8 * 1024 {
            return Err(ApiError::bad_request(
                "invalid_query_string",
                "Query string too long",
            ));
        }
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let value = crate::management::query::pairs_to_json(&pairs);
        let parsed: Result<T, _> = serde_path_to_error::deserialize(value);
        parsed.map(ApiQuery).map_err(|error| {
            let path = error.path().to_string();
            let message = clean_serde_message(&error.into_inner().to_string());
            ApiError::bad_request(
                "invalid_query_string",
                format!("Query validation error: '{message}' on property {path}"),
            )
        })
    }
}

/// The `Host` header alone (for checks on requests already split into parts).
pub fn request_host_of(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The client's IP address, when the server knows it (not behind oneshot
/// tests): the peer's, or the one trusted proxies report
/// ([`crate::client_ip::TrustedProxies`]).
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| {
                    state
                        .trusted_proxies
                        .client_ip(info.0.ip(), &parts.headers)
                        .to_string()
                }),
        ))
    }
}
