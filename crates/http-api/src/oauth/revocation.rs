//! `POST /oauth/revoke` (RFC 7009) and `POST /oauth/introspect` (RFC 7662).
//! Both authenticate the client exactly as the token endpoint does.

use super::token::{authenticate_client, parse_params};
use crate::AppState;
use crate::error::OAuthResponse;
use crate::extract::{ClientIp, CurrentTenant};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::token::oauth_error::{ErrorCode, OAuthError};

pub const REVOKE_PATH: &str = "/oauth/revoke";
pub const INTROSPECT_PATH: &str = "/oauth/introspect";

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn revoke(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result: Result<(), OAuthResponse> = async {
        let params = parse_params(&headers, &body)?;
        let client = authenticate_client(&state, &tenant, &headers, &params, ip.as_deref()).await?;
        let token = params
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        engine::token::userinfo::revoke(&state.engine, &tenant, &client, token).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(error) => error.into_response(),
    }
}

pub async fn introspect(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result: Result<serde_json::Value, OAuthResponse> = async {
        let params = parse_params(&headers, &body)?;
        let client = authenticate_client(&state, &tenant, &headers, &params, ip.as_deref()).await?;
        if client.is_public() {
            return Err(OAuthError::new(
                ErrorCode::InvalidClient,
                "public clients cannot introspect tokens",
            )
            .into());
        }
        let token = params
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        Ok(engine::token::userinfo::introspect(&state.engine, &tenant, &client, token).await?)
    }
    .await;
    match result {
        Ok(body) => no_store(Json(body).into_response()),
        Err(error) => error.into_response(),
    }
}
