//! `/.well-known/openid-configuration` and `/.well-known/jwks.json`.
//!
//! The discovery document is built from the same constants that register
//! the endpoints and grants, so it advertises only what is implemented.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::CurrentTenant;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use model::SigningAlg;

pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(DISCOVERY_PATH, get(openid_configuration))
        .route(JWKS_PATH, get(jwks))
}

/// The discovery document for a tenant's issuer.
pub fn document(issuer: &str) -> serde_json::Value {
    let base = issuer.trim_end_matches('/');
    let algs: Vec<&str> = SigningAlg::ALL.iter().map(|alg| alg.as_str()).collect();
    serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{base}{}", crate::oauth::token::PATH),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "grant_types_supported": crate::oauth::token::GRANT_TYPES,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": [],
        "response_types_supported": [],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    })
}

async fn openid_configuration(CurrentTenant(tenant): CurrentTenant) -> Response {
    let mut response = axum::Json(document(&tenant.issuer)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

async fn jwks(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
) -> Result<Response, ApiError> {
    let body = state.engine.keys.jwks_json(&tenant.id).await?;
    let mut response = (*body).clone().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}
