//! `/v2/logout` (Auth0) and `/oidc/logout` (RP-Initiated Logout 1.0).

use crate::AppState;
use crate::extract::CurrentTenant;
use crate::pages::{cookie, error_page, read_cookie, redirect, render, secure_cookies};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::get;
use engine::login::logout::{self, LoggedOut, LogoutError};
use engine::login::sessions;
use model::Tenant;
use std::collections::HashMap;

pub const V2_PATH: &str = "/v2/logout";
pub const OIDC_PATH: &str = "/oidc/logout";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(V2_PATH, get(v2_logout))
        .route(OIDC_PATH, get(oidc_logout).post(oidc_logout))
}

fn params(raw: &[u8]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(raw) {
        map.entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    map
}

fn finish(tenant: &Tenant, result: Result<LoggedOut, LogoutError>) -> Response {
    let mut response = match result {
        Ok(LoggedOut {
            redirect: Some(location),
        }) => redirect(&location),
        Ok(LoggedOut { redirect: None }) => {
            render(StatusCode::OK, "logged_out.html", serde_json::json!({}))
        }
        Err(LogoutError::Invalid(message)) => {
            return error_page(StatusCode::BAD_REQUEST, "Logout failed", &message);
        }
        Err(LogoutError::Engine(error)) => {
            tracing::error!(error = %crate::error::error_chain(&error), "logout failed");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Logout failed",
                "Please try again.",
            );
        }
    };
    if let Some(value) = cookie(
        sessions::COOKIE,
        "",
        secure_cookies(&tenant.issuer),
        Some(0),
    ) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn v2_logout(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let query = params(uri.query().unwrap_or("").as_bytes());
    let session = read_cookie(&headers, sessions::COOKIE);
    let result = logout::v2_logout(
        &state.engine,
        &tenant,
        session.as_deref(),
        query.get("client_id").map(String::as_str),
        query.get("returnTo").map(String::as_str),
    )
    .await;
    finish(&tenant, result)
}

async fn oidc_logout(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let query = if method == Method::POST {
        params(&body)
    } else {
        params(uri.query().unwrap_or("").as_bytes())
    };
    let session = read_cookie(&headers, sessions::COOKIE);
    let get = |name: &str| query.get(name).map(String::as_str);
    let result = logout::rp_initiated_logout(
        &state.engine,
        &tenant,
        session.as_deref(),
        get("id_token_hint"),
        get("post_logout_redirect_uri"),
        get("state"),
        get("client_id"),
    )
    .await;
    finish(&tenant, result)
}
