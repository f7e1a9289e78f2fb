//! Vestibule's HTTP layer.
//!
//! Owns routing, request parsing (parse once, into types), the tenant and
//! caller extractors, and the one mapping from engine errors to Auth0's wire
//! shapes: `{statusCode, error, message, errorCode}` on the Management API
//! ([`error::ApiError`]) and `{error, error_description}` on the
//! Authentication API ([`error::OAuthResponse`]). It must not contain SQL or
//! business rules: handlers parse, call the engine, and write.

pub mod app;
pub mod authorize;
pub mod body;
pub mod client_ip;
pub mod dbconnections;
pub mod discovery;
pub mod error;
pub mod extract;
pub mod health;
pub mod logout;
pub mod management;
pub mod oauth;
pub mod openapi;
pub mod pages;
pub mod state;
pub mod upstream;

pub use app::router;
pub use state::{AppState, HttpOptions, SharedState};
