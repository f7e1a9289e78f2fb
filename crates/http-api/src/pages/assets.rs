//! The pages' embedded assets, served as they are: the stylesheet and
//! the connection icons.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const STYLESHEET: &str = include_str!("../../templates/style.css");

/// Serves the one stylesheet.
pub async fn stylesheet() -> Response {
    asset(
        STYLESHEET,
        "text/css; charset=utf-8",
        "public, max-age=3600",
    )
}

/// An embedded asset: its type, how long it may be cached, never sniffed;
/// opened on its own, it runs and loads nothing.
pub fn asset(body: &'static str, content_type: &'static str, cache: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    response
}
