//! Renders what the login state machine (`engine::authorize`) answers: a
//! page, an error page, a redirect, or the authorization response. Nothing
//! here decides; every branch maps one engine value to HTTP.

use super::{
    authorization_response, cookie, engine_failure_page, error_page, redirect, render_with_targets,
    secure_cookies, transaction_url,
};
use axum::http::{StatusCode, header};
use axum::response::Response;
use engine::authorize::outcome::{NewSession, Status, View};
use engine::authorize::request::AuthorizeError;
use engine::authorize::{AuthorizationResponse, Outcome, Step};
use model::Tenant;

/// Where every page returns when its step is done.
pub const RESUME_PATH: &str = "/authorize/resume";

/// The response for an outcome of a page's step.
pub fn respond(tenant: &Tenant, outcome: Outcome) -> Response {
    match outcome {
        Outcome::Render(page) => {
            let (template, context) = match &page.view {
                View::Login(view) => ("login.html", serde_json::to_value(view)),
                View::Signup(view) => ("signup.html", serde_json::to_value(view)),
                View::Consent(view) => ("consent.html", serde_json::to_value(view)),
            };
            let context = context.unwrap_or_default();
            render_with_targets(status(page.status), template, context, &page.form_targets)
        }
        Outcome::Error {
            status: code,
            title,
            message,
        } => error_page(status(code), title, &message),
        Outcome::Step(step) => step_response(step),
        Outcome::Resume {
            transaction_id,
            session,
        } => match session {
            Some(NewSession { cookie, lifetime }) => {
                logged_in(tenant, &transaction_id, &cookie, lifetime)
            }
            None => redirect(&transaction_url(RESUME_PATH, &transaction_id)),
        },
        Outcome::Fail(error) => authorize_error(tenant, error),
        Outcome::Failed(error) => engine_failure_page(&error, "login page failed"),
    }
}

fn status(status: Status) -> StatusCode {
    match status {
        Status::Ok => StatusCode::OK,
        Status::BadRequest => StatusCode::BAD_REQUEST,
        Status::Forbidden => StatusCode::FORBIDDEN,
        Status::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        Status::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        Status::BadGateway => StatusCode::BAD_GATEWAY,
        Status::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The next step of the authorization state machine, as a redirect or the
/// authorization response.
pub fn step_response(step: Step) -> Response {
    match step {
        Step::Login { transaction_id } => redirect(&transaction_url("/u/login", &transaction_id)),
        Step::Consent { transaction_id } => {
            redirect(&transaction_url("/u/consent", &transaction_id))
        }
        Step::Upstream { location } => redirect(&location),
        Step::Respond(response) => authorization_response(response),
    }
}

/// Turns an authorization failure into an error page or a redirect to the client.
pub fn authorize_error(tenant: &Tenant, error: AuthorizeError) -> Response {
    match error {
        AuthorizeError::Untrusted(message) => {
            error_page(StatusCode::BAD_REQUEST, "Invalid request", &message)
        }
        AuthorizeError::Redirect {
            redirect_uri,
            response_mode,
            state,
            error,
        } => authorization_response(AuthorizationResponse::error(
            &tenant.issuer,
            redirect_uri,
            response_mode,
            state,
            &error,
        )),
    }
}

/// After a successful login: sets the SSO session cookie and returns the
/// browser to the authorization state machine.
pub fn logged_in(
    tenant: &Tenant,
    transaction_id: &str,
    session_cookie: &str,
    lifetime: i64,
) -> Response {
    let mut response = redirect(&transaction_url(RESUME_PATH, transaction_id));
    if let Some(value) = cookie(
        engine::login::sessions::COOKIE,
        session_cookie,
        secure_cookies(&tenant.issuer),
        Some(lifetime),
    ) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
