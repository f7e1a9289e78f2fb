//! `GET|POST /userinfo` (OIDC Core §5.3) with a bearer token in the
//! `Authorization` header or, for POST, the `access_token` form field
//! (RFC 6750 §2.1–2.2; never both).

use crate::AppState;
use crate::extract::CurrentTenant;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::token::oauth_error::{ErrorCode, OAuthError};

pub const PATH: &str = "/userinfo";

fn bearer_error(status: StatusCode, error: &OAuthError) -> Response {
    let challenge = format!(
        "Bearer realm=\"vestibule\", error=\"{}\", error_description=\"{}\"",
        error.code.as_str(),
        error.description.replace('"', "'")
    );
    let mut response = (
        status,
        Json(serde_json::json!({"error": error.code.as_str(), "error_description": error.description})),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn token_from(method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<String, OAuthError> {
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let form_token = if method == Method::POST {
        url::form_urlencoded::parse(body)
            .find(|(key, _)| key == "access_token")
            .map(|(_, value)| value.into_owned())
    } else {
        None
    };
    match (header_token, form_token) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request("send the token once")),
        (Some(token), None) | (None, Some(token)) if !token.is_empty() => Ok(token),
        _ => Err(OAuthError::new(
            ErrorCode::InvalidToken,
            "an access token is required",
        )),
    }
}

pub async fn handle(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = match token_from(&method, &headers, &body) {
        Ok(token) => token,
        Err(error) if error.code == ErrorCode::InvalidRequest => {
            return bearer_error(StatusCode::BAD_REQUEST, &error);
        }
        Err(error) => return bearer_error(StatusCode::UNAUTHORIZED, &error),
    };
    match engine::token::userinfo::userinfo(&state.engine, &tenant, &token).await {
        Ok(claims) => {
            let mut response = Json(claims).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => match error.code {
            ErrorCode::InvalidToken => bearer_error(StatusCode::UNAUTHORIZED, &error),
            ErrorCode::InsufficientScope => bearer_error(StatusCode::FORBIDDEN, &error),
            _ => crate::error::OAuthResponse::from(error).into_response(),
        },
    }
}
