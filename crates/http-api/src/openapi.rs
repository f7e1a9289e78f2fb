//! Serves the Management API's OpenAPI 3 document, generated from the same
//! route declarations that mount the handlers.

use crate::AppState;
use axum::Router;
use axum::routing::get;
use std::sync::Arc;

pub const PATH: &str = "/api/v2/openapi.json";

pub fn routes(document: Arc<utoipa::openapi::OpenApi>) -> Router<AppState> {
    Router::new().route(
        PATH,
        get(move || {
            let document = document.clone();
            async move { axum::Json((*document).clone()) }
        }),
    )
}
