//! `/healthz` (the process answers) and `/readyz` (and its storage does).

use crate::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
}

async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.engine.storage.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(error = %crate::error::error_chain(&error), "storage is not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
        }
    }
}
