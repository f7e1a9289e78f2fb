//! Vestibule's HTTP layer.
//!
//! Owns routing, request parsing (parse once, into types), the tenant and
//! caller extractors, and the one mapping from engine errors to Auth0's wire
//! shapes: `{statusCode, error, message, errorCode}` on the Management API
//! ([`error::ApiError`]) and `{error, error_description}` on the
//! Authentication API ([`error::OAuthResponse`]). It must not contain SQL or
//! business rules: handlers parse, call the engine, and write.

pub mod discovery;
pub mod error;
pub mod extract;
pub mod health;
pub mod management;
pub mod oauth;
pub mod openapi;

use axum::Router;
use engine::Engine;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
}

/// The whole application: protocol endpoints, Management API, operations.
pub fn router(engine: Engine) -> Router {
    let state = AppState { engine };
    let (management, api_doc) = management::routes().split_for_parts();
    let api_doc = std::sync::Arc::new(api_doc);
    Router::new()
        .merge(discovery::routes())
        .merge(oauth::routes())
        .merge(health::routes())
        .merge(management)
        .merge(openapi::routes(api_doc))
        .fallback(error::not_found_fallback)
        .with_state(state)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
}
