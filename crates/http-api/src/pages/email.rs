//! The pages emailed links open: verify an address, choose a new password,
//! lift a brute-force block. A GET only shows the page (mail scanners that
//! fetch links use nothing up); the action is a same-site POST. Every
//! unusable link — unknown, used, expired — gets the same page.

use super::{error_page, is_cross_site, redirect, render, render_with_targets};
use crate::AppState;
use crate::extract::{ClientIp, CurrentTenant, request_host_of};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use engine::email::{self, Done, ResetOutcome, tickets};
use engine::login::password_policy::PasswordRejection;
use model::Tenant;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Deserialize)]
pub struct TicketQuery {
    #[serde(default)]
    pub ticket: String,
}

const INVALID_TITLE: &str = "Link not valid";
const INVALID_MESSAGE: &str =
    "This link is invalid, has already been used, or has expired. Ask for a new one.";

fn invalid_link() -> Response {
    error_page(StatusCode::BAD_REQUEST, INVALID_TITLE, INVALID_MESSAGE)
}

fn failed(error: engine::EngineError) -> Response {
    super::engine_failure_page(&error, "email link page failed")
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

/// A refusal page when a post comes from another site.
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

fn done(outcome: Done, title: &str, message: &str) -> Response {
    match outcome.redirect {
        Some(target) => redirect(&target),
        None => render(
            StatusCode::OK,
            "message.html",
            serde_json::json!({"title": title, "message": message}),
        ),
    }
}

/// A page with one button that uses the link. Its answer may redirect to the
/// ticket's `result_url`, which the page's `form-action` must allow.
fn action_page(
    title: &str,
    message: &str,
    action: &str,
    button: &str,
    ticket: &str,
    result_url: Option<&String>,
) -> Response {
    render_with_targets(
        StatusCode::OK,
        "email_action.html",
        serde_json::json!({
            "title": title, "message": message, "action": action,
            "button": button, "ticket": ticket,
        }),
        result_url.map(std::slice::from_ref).unwrap_or_default(),
    )
}

/// `GET /u/email-verification?ticket=…`
pub async fn verification_form(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Query(query): Query<TicketQuery>,
) -> Response {
    match tickets::peek(
        &state.engine,
        &tenant.id,
        tickets::TicketKind::EmailVerification,
        &query.ticket,
    )
    .await
    {
        Ok(Some(payload)) => action_page(
            "Verify your email",
            &format!(
                "Confirm that {} is your email address.",
                payload.email.as_deref().unwrap_or("this")
            ),
            "/u/email-verification",
            "Verify my email",
            &query.ticket,
            payload.result_url.as_ref(),
        ),
        Ok(None) => invalid_link(),
        Err(error) => failed(error),
    }
}

/// `POST /u/email-verification`
pub async fn verification_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = refuse_cross_site(&headers, &tenant) {
        return refused;
    }
    let fields = form(&body);
    let ticket = fields.get("ticket").map(String::as_str).unwrap_or("");
    match email::verify_email(&state.engine, &tenant.id, ticket).await {
        Ok(Some(outcome)) => done(
            outcome,
            "Email verified",
            "Your email was verified. You can continue using the application.",
        ),
        Ok(None) => invalid_link(),
        Err(error) => failed(error),
    }
}

fn reset_page(
    status: StatusCode,
    ticket: &str,
    form: &email::ResetForm,
    error: Option<&str>,
) -> Response {
    render_with_targets(
        status,
        "reset_password.html",
        serde_json::json!({
            "ticket": ticket,
            "email": form.email,
            "policy": form.policy,
            "error": error,
        }),
        form.result_url.as_slice(),
    )
}

/// `GET /u/reset-password?ticket=…`
pub async fn reset_form(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Query(query): Query<TicketQuery>,
) -> Response {
    match email::reset_form(&state.engine, &tenant.id, &query.ticket).await {
        Ok(Some(form)) => reset_page(StatusCode::OK, &query.ticket, &form, None),
        Ok(None) => invalid_link(),
        Err(error) => failed(error),
    }
}

/// `POST /u/reset-password`: the new password, twice.
pub async fn reset_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = refuse_cross_site(&headers, &tenant) {
        return refused;
    }
    let fields = form(&body);
    let ticket = fields.get("ticket").map(String::as_str).unwrap_or("");
    let password = fields.get("password").map(String::as_str).unwrap_or("");
    let confirm = fields
        .get("password_confirm")
        .map(String::as_str)
        .unwrap_or("");
    let again = |error: String| {
        let engine = state.engine.clone();
        let tenant_id = tenant.id.clone();
        let ticket = ticket.to_owned();
        async move {
            match email::reset_form(&engine, &tenant_id, &ticket).await {
                Ok(Some(form)) => reset_page(StatusCode::BAD_REQUEST, &ticket, &form, Some(&error)),
                Ok(None) => invalid_link(),
                Err(error) => failed(error),
            }
        }
    };
    if password != confirm {
        return again("The two passwords do not match.".into()).await;
    }
    if password.is_empty() || password.len() > 1_024 {
        return again("Enter a new password.".into()).await;
    }
    match email::complete_password_reset(&state.engine, &tenant.id, ticket, password, ip).await {
        Ok(ResetOutcome::Done(outcome)) => done(
            outcome,
            "Password changed",
            "Your password has been changed. You can now log in with it.",
        ),
        Ok(ResetOutcome::InvalidTicket) => invalid_link(),
        Ok(ResetOutcome::Rejected(rejection)) => {
            let message = match &rejection {
                PasswordRejection::TooWeak(policy) => policy.clone(),
                other => format!("{}.", other.description()),
            };
            again(message).await
        }
        Err(error) => failed(error),
    }
}

/// `GET /u/unblock?ticket=…`
pub async fn unblock_form(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Query(query): Query<TicketQuery>,
) -> Response {
    match email::unblock_form(&state.engine, &tenant.id, &query.ticket).await {
        Ok(Some(payload)) => action_page(
            "Unblock your account",
            "Your account was blocked after too many failed login attempts. Unblock it to log in again.",
            "/u/unblock",
            "Unblock my account",
            &query.ticket,
            payload.result_url.as_ref(),
        ),
        Ok(None) => invalid_link(),
        Err(error) => failed(error),
    }
}

/// `POST /u/unblock`
pub async fn unblock_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = refuse_cross_site(&headers, &tenant) {
        return refused;
    }
    let fields = form(&body);
    let ticket = fields.get("ticket").map(String::as_str).unwrap_or("");
    match email::unblock(&state.engine, &tenant.id, ticket).await {
        Ok(Some(outcome)) => done(
            outcome,
            "Account unblocked",
            "Your account has been unblocked. You can log in again.",
        ),
        Ok(None) => invalid_link(),
        Err(error) => failed(error),
    }
}
