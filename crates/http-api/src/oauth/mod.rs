//! The Authentication API's OAuth and OIDC endpoints.

pub mod revocation;
pub mod token;
pub mod userinfo;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(token::PATH, post(token::handle))
        .route(userinfo::PATH, get(userinfo::handle).post(userinfo::handle))
        .route(revocation::REVOKE_PATH, post(revocation::revoke))
        .route(revocation::INTROSPECT_PATH, post(revocation::introspect))
}
