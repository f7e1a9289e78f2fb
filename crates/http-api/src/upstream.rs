//! `GET|POST /login/callback`: where upstream identity providers send the
//! browser back (query for code flows, form POST for `form_post`).
//!
//! There is no cross-site check here: the upstream's site *is* the other
//! site. What protects the callback is the single-use `state` record and
//! its binding to the browser's transaction cookie (`engine::login::upstream`);
//! the login state machine completes the login (`engine::authorize::steps`).
//!
//! A cross-site form POST does not carry the `SameSite=Lax` transaction
//! cookie, so such a POST (without the cookie) is answered with a page that
//! posts the same fields again from this origin, where the cookie is sent.

use crate::AppState;
use crate::extract::{ClientIp, CurrentTenant};
use crate::pages::{authorization_response, error_page, outcome, read_cookie};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use engine::authorize::request::ResponseMode;
use engine::authorize::{self, AuthorizationResponse, Context, TRANSACTION_COOKIE};
use engine::login::upstream;
use std::collections::BTreeMap;

/// Marks the same-origin re-post of a form_post callback.
const RESUBMITTED: &str = "vestibule_resubmitted";
const MAX_PARAMS_BYTES: usize = 64 * 1024;

fn parameters(method: &Method, uri: &Uri, body: &[u8]) -> Option<BTreeMap<String, String>> {
    let raw = if method == Method::POST {
        body
    } else {
        uri.query().unwrap_or("").as_bytes()
    };
    if raw.len() > MAX_PARAMS_BYTES {
        return None;
    }
    let mut params = BTreeMap::new();
    for (key, value) in url::form_urlencoded::parse(raw) {
        if params
            .insert(key.into_owned(), value.into_owned())
            .is_some()
        {
            return None;
        }
    }
    Some(params)
}

/// `GET|POST /login/callback`
pub async fn callback(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(mut params) = parameters(&method, &uri, &body) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The sign-in response is malformed.",
        );
    };
    let browser = read_cookie(&headers, TRANSACTION_COOKIE);
    let resubmitted = params.remove(RESUBMITTED).is_some();
    if method == Method::POST && browser.is_none() && !resubmitted {
        let mut fields: Vec<(String, String)> = params.into_iter().collect();
        fields.push((RESUBMITTED.to_owned(), "1".to_owned()));
        // The same URL again: SAML's ACS names its connection in the query.
        let mut target = upstream::callback_url(&tenant);
        if let Some(query) = uri.query() {
            target.push('?');
            target.push_str(query);
        }
        return authorization_response(AuthorizationResponse {
            redirect_uri: target,
            response_mode: ResponseMode::FormPost,
            params: fields,
        });
    }
    let context = Context {
        browser_cookie: browser.as_deref(),
        ip: ip.as_deref(),
    };
    let outcome = authorize::upstream_returned(&state.engine, &tenant, &params, context).await;
    outcome::respond(&tenant, outcome)
}
