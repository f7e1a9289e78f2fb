//! `GET|POST /authorize` and `GET /authorize/resume`: the HTTP face of the
//! authorization state machine in `engine::authorize`.

use crate::AppState;
use crate::extract::CurrentTenant;
use crate::pages::outcome::{authorize_error, step_response};
use crate::pages::{self, cookie, error_page, read_cookie, secure_cookies};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use engine::authorize::{self, ResumeError, TRANSACTION_COOKIE};
use engine::login::sessions;
use std::collections::BTreeMap;

pub const PATH: &str = "/authorize";
pub use crate::pages::outcome::RESUME_PATH;

/// Parses the request's parameters; a repeated parameter is refused (RFC 6749 §3.1).
fn parameters(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<BTreeMap<String, String>, String> {
    let raw: Vec<u8> = if method == Method::POST {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err("POST /authorize takes a form body".into());
        }
        body.to_vec()
    } else {
        uri.query().unwrap_or("").as_bytes().to_vec()
    };
    if raw.len() > 32 * 1024 {
        return Err("The request is too large".into());
    }
    let mut params = BTreeMap::new();
    for (key, value) in url::form_urlencoded::parse(&raw) {
        if params
            .insert(key.clone().into_owned(), value.into_owned())
            .is_some()
        {
            return Err(format!("The parameter {key} is repeated"));
        }
    }
    Ok(params)
}

/// `GET|POST /authorize` (OIDC Core §3.1.2.1 allows both).
pub async fn handle(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match parameters(&method, &uri, &headers, &body) {
        Ok(params) => params,
        Err(message) => return error_page(StatusCode::BAD_REQUEST, "Invalid request", &message),
    };
    let browser = read_cookie(&headers, TRANSACTION_COOKIE);
    let session = read_cookie(&headers, sessions::COOKIE);
    match authorize::start(
        &state.engine,
        &tenant,
        &params,
        browser.as_deref(),
        session.as_deref(),
    )
    .await
    {
        Ok(started) => {
            let mut response = step_response(started.step);
            if let Some(value) = started.new_browser_cookie
                && let Some(header_value) = cookie(
                    TRANSACTION_COOKIE,
                    &value,
                    secure_cookies(&tenant.issuer),
                    None,
                )
            {
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, header_value);
            }
            response
        }
        Err(error) => authorize_error(&tenant, error),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ResumeQuery {
    #[serde(default)]
    state: String,
}

/// `GET /authorize/resume?state=…`: pages return here when their step is done.
pub async fn resume(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<ResumeQuery>,
) -> Response {
    let browser = read_cookie(&headers, TRANSACTION_COOKIE);
    let session = read_cookie(&headers, sessions::COOKIE);
    match authorize::resume(
        &state.engine,
        &tenant,
        &query.state,
        browser.as_deref(),
        session.as_deref(),
    )
    .await
    {
        Ok(step) => step_response(step),
        Err(ResumeError::Authorize(error)) => authorize_error(&tenant, error),
        Err(ResumeError::Page(error)) => {
            let message = error.to_string();
            pages::error_page(StatusCode::BAD_REQUEST, "Login expired", &message)
        }
    }
}
