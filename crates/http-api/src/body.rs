//! Request bodies are read before routing, so a keep-alive connection
//! survives an answer given without them.
//!
//! hyper closes a connection, without saying so, when a response goes out
//! while the request's body is still unread (a 404 or 405, or an extractor
//! refusing a request before its body). A client that sent its next request
//! on that connection then sees it dropped. Small bodies (a declared
//! `Content-Length` up to [`READ_FIRST_LIMIT`]: every token, signup and
//! Management API request) are read whole first; a larger or chunked body
//! streams to its handler as before, and an error answer to it says
//! `Connection: close`, so the client opens a new connection for the next.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The largest body read before routing.
pub const READ_FIRST_LIMIT: usize = 1024 * 1024;

/// The middleware (`axum::middleware::from_fn`).
pub async fn read_first(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
    match declared {
        Some(length) if length <= READ_FIRST_LIMIT && !chunked => {
            let (parts, body) = request.into_parts();
            match axum::body::to_bytes(body, READ_FIRST_LIMIT).await {
                Ok(bytes) => {
                    next.run(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
                Err(_) => crate::error::unreadable_body(),
            }
        }
        None if !chunked => next.run(request).await,
        _ => {
            let mut response = next.run(request).await;
            if response.status().is_client_error() || response.status().is_server_error() {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    }
}
