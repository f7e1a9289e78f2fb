//! `/.well-known/openid-configuration` and `/.well-known/jwks.json`.
//!
//! The discovery document is built from the same constants that register
//! the endpoints and grants, so it advertises only what is implemented.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::CurrentTenant;
use axum::Router;
use axum::body::Bytes;
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

/// The discovery document for a tenant's issuer (OIDC Discovery §3).
pub fn document(issuer: &str) -> serde_json::Value {
    let base = issuer.trim_end_matches('/');
    let algs: Vec<&str> = SigningAlg::ALL.iter().map(|alg| alg.as_str()).collect();
    let mut response_types: Vec<&str> =
        engine::authorize::request::ResponseType::SUPPORTED.to_vec();
    response_types.sort_unstable();
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}{}", crate::authorize::PATH),
        "token_endpoint": format!("{base}{}", crate::oauth::token::PATH),
        "userinfo_endpoint": format!("{base}{}", crate::oauth::userinfo::PATH),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "revocation_endpoint": format!("{base}{}", crate::oauth::revocation::REVOKE_PATH),
        "introspection_endpoint": format!("{base}{}", crate::oauth::revocation::INTROSPECT_PATH),
        "end_session_endpoint": format!("{base}{}", crate::logout::OIDC_PATH),
        "grant_types_supported": engine::token::request::GrantType::ALL.map(engine::token::request::GrantType::as_str),
        "response_types_supported": response_types,
        "response_modes_supported": ["query", "fragment", "form_post"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "scopes_supported": engine::token::tokens::OIDC_SCOPES,
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash", "sid",
            "name", "nickname", "given_name", "family_name", "picture", "preferred_username", "updated_at",
            "email", "email_verified", "phone_number", "phone_number_verified"
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    })
}

async fn openid_configuration(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
) -> Response {
    let mut response = state
        .discovery
        .get_or_build(&tenant.issuer, |issuer| {
            Bytes::from(document(issuer).to_string())
        })
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
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
    let mut response = body.into_response();
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
