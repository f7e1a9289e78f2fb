//! The Authentication API's OAuth endpoints.

pub mod token;

use crate::AppState;
use axum::Router;
use axum::routing::post;

pub fn routes() -> Router<AppState> {
    Router::new().route(token::PATH, post(token::handle))
}
