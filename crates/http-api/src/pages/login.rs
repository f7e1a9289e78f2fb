//! The hosted login pages: log in, sign up, consent. Each page shows or
//! submits one step of the login state machine (`engine::authorize::steps`)
//! and renders its outcome ([`super::outcome`]); the state machine decides
//! everything else.

use super::outcome::respond;
use super::{error_page, is_cross_site, read_cookie};
use crate::AppState;
use crate::extract::{ClientIp, CurrentTenant, request_host_of};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use engine::authorize::outcome::SignupForm;
use engine::authorize::{self, Context, PageName, Submission, TRANSACTION_COOKIE};
use model::Tenant;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Deserialize)]
pub struct StateQuery {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub connection: Option<String>,
}

fn form(body: &[u8]) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        fields
            .entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    fields
}

fn refuse_cross_site(headers: &HeaderMap, tenant: &Tenant) -> Option<Response> {
    let host = request_host_of(headers);
    is_cross_site(headers, &tenant.issuer, host.as_deref()).then(|| {
        error_page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form can only be submitted from this site.",
        )
    })
}

/// Shows a page of the transaction the query names.
async fn show(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    query: &StateQuery,
    page: PageName,
) -> Response {
    let browser = read_cookie(headers, TRANSACTION_COOKIE);
    let context = Context {
        browser_cookie: browser.as_deref(),
        ip: None,
    };
    let outcome = authorize::show(&state.engine, tenant, &query.state, page, context).await;
    respond(tenant, outcome)
}

/// Every page form POST: refuse cross-site requests, parse the form, and
/// submit it to the transaction it names.
async fn submit(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    ip: Option<&str>,
    query: StateQuery,
    body: &[u8],
    parse: impl FnOnce(&HashMap<String, String>) -> Submission,
) -> Response {
    if let Some(refused) = refuse_cross_site(headers, tenant) {
        return refused;
    }
    let fields = form(body);
    let id = fields.get("state").cloned().unwrap_or(query.state);
    let browser = read_cookie(headers, TRANSACTION_COOKIE);
    let context = Context {
        browser_cookie: browser.as_deref(),
        ip,
    };
    let submission = parse(&fields);
    let outcome = authorize::submit(&state.engine, tenant, &id, submission, context).await;
    respond(tenant, outcome)
}

fn field(fields: &HashMap<String, String>, name: &str) -> String {
    fields.get(name).cloned().unwrap_or_default()
}

/// `GET /u/login`
pub async fn login_form(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
) -> Response {
    show(&state, &tenant, &headers, &query, PageName::Login).await
}

/// `POST /u/login`
pub async fn login_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
    body: Bytes,
) -> Response {
    submit(
        &state,
        &tenant,
        &headers,
        ip.as_deref(),
        query,
        &body,
        |fields| Submission::Password {
            username: field(fields, "username"),
            password: field(fields, "password"),
            connection: fields.get("connection").cloned(),
        },
    )
    .await
}

/// `GET /u/signup`
pub async fn signup_form(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
) -> Response {
    show(&state, &tenant, &headers, &query, PageName::Signup).await
}

/// `POST /u/signup`
pub async fn signup_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
    body: Bytes,
) -> Response {
    submit(
        &state,
        &tenant,
        &headers,
        ip.as_deref(),
        query,
        &body,
        |fields| {
            Submission::Signup(SignupForm {
                email: fields.get("email").cloned(),
                username: fields.get("username").cloned(),
                password: field(fields, "password"),
                connection: fields.get("connection").cloned(),
            })
        },
    )
    .await
}

/// `GET /u/consent`
pub async fn consent_form(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
) -> Response {
    show(&state, &tenant, &headers, &query, PageName::Consent).await
}

/// `POST /u/consent`
pub async fn consent_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
    body: Bytes,
) -> Response {
    submit(&state, &tenant, &headers, None, query, &body, |fields| {
        Submission::Consent {
            accepted: fields.get("action").map(String::as_str) == Some("accept"),
        }
    })
    .await
}

/// `GET /u/login/connection?state&connection`: the button of a social or
/// enterprise connection; sends the browser to the upstream provider.
pub async fn connection_redirect(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
) -> Response {
    let browser = read_cookie(&headers, TRANSACTION_COOKIE);
    let context = Context {
        browser_cookie: browser.as_deref(),
        ip: None,
    };
    let submission = Submission::Connection {
        name: query.connection.unwrap_or_default(),
    };
    let outcome =
        authorize::submit(&state.engine, &tenant, &query.state, submission, context).await;
    respond(&tenant, outcome)
}

/// `POST /u/login/identifier`: the first step of the identifier-first login
/// page (home-realm discovery).
pub async fn identifier_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Query(query): Query<StateQuery>,
    body: Bytes,
) -> Response {
    submit(&state, &tenant, &headers, None, query, &body, |fields| {
        Submission::Identifier {
            identifier: field(fields, "username"),
        }
    })
    .await
}
