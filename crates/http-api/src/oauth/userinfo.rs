//! `GET|POST /userinfo` (OIDC Core §5.3) with a bearer token in the
//! `Authorization` header or, for POST, the `access_token` form field
//! (RFC 6750 §2.1–2.2; never both).

use crate::AppState;
use crate::error::BearerError;
use crate::extract::CurrentTenant;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use engine::token::oauth_error::{ErrorCode, OAuthError};

pub const PATH: &str = "/userinfo";

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
        Err(error) => return BearerError(error).into_response(),
    };
    match engine::token::userinfo::userinfo(&state.engine, &tenant, &token).await {
        Ok(claims) => {
            let mut response = Json(claims).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => BearerError(error).into_response(),
    }
}
