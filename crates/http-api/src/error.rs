//! The one place where errors become responses.
//!
//! Management API errors take Auth0's shape
//! `{"statusCode", "error", "message", "errorCode"}`; Authentication API
//! errors take RFC 6749's `{"error", "error_description"}`. Internal causes
//! are logged with the request and never shown.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::EngineError;
use engine::login::custom_database::CustomDbError;
use engine::login::database_users::{SIGNUP_THROTTLED, SignupError};
use engine::login::signup::SignupFailure;
use engine::management::management_token::ManagementAuthError;
use engine::token::oauth_error::{ErrorCode, OAuthError};

/// A Management API error response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub error_code: &'static str,
    /// Seconds for a `Retry-After` header (a saturated server's 429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, error_code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            error_code,
            retry_after: None,
        }
    }

    pub fn bad_request(error_code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error_code, message)
    }

    pub fn not_found(what: &str) -> Self {
        let code = match what {
            "client" => "inexistent_client",
            "connection" => "inexistent_connection",
            "resource server" => "inexistent_resource_server",
            "client grant" => "inexistent_client_grant",
            "signing key" => "inexistent_signing_key",
            "user" => "inexistent_user",
            "job" | "export" => "inexistent_job",
            "email provider" => "inexistent_email_provider",
            "email template" => "inexistent_email_template",
            "log event" => "inexistent_log",
            _ => "inexistent_resource",
        };
        Self::new(
            StatusCode::NOT_FOUND,
            code,
            format!("The {what} does not exist"),
        )
    }
}

// The OpenAPI document describes every error answer with this same type
// (`openapi::complete`), so the schema cannot drift from what `ApiError`
// writes.
/// Auth0's Management API error body.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ManagementError)]
pub struct ErrorBody<'a> {
    /// The HTTP status, repeated.
    pub status_code: u16,
    /// The status's reason phrase, e.g. `Bad Request`.
    pub error: &'a str,
    pub message: &'a str,
    /// A stable code, e.g. `invalid_body`, `insufficient_scope`.
    pub error_code: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status_code: self.status.as_u16(),
            error: self.status.canonical_reason().unwrap_or("Error"),
            message: &self.message,
            error_code: self.error_code,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// `Retry-After` for an engine error that asks the caller to come back.
pub fn retry_after(error: &EngineError) -> Option<u64> {
    match error {
        EngineError::Overloaded { retry_after } => Some(*retry_after),
        _ => None,
    }
}

/// Adds `Retry-After` to a response when the engine error asks for one.
pub fn with_retry_after(mut response: Response, error: &EngineError) -> Response {
    if let Some(seconds) = retry_after(error) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::NotFound(what) => Self::not_found(what),
            EngineError::AlreadyExists(message) => {
                Self::new(StatusCode::CONFLICT, "conflict", message)
            }
            EngineError::Invalid { field, message } => Self::bad_request(
                "invalid_body",
                format!("Payload validation error: '{message}' on property {field}"),
            ),
            EngineError::Forbidden(message) => {
                Self::new(StatusCode::FORBIDDEN, "operation_not_supported", message)
            }
            EngineError::Password(rejection) => {
                Self::bad_request("invalid_password", rejection.to_string())
            }
            EngineError::UserExists => Self::new(
                StatusCode::CONFLICT,
                "auth0_idp_error",
                "The user already exists.",
            ),
            EngineError::InvalidQuery(message) => Self::bad_request(
                "invalid_query_string",
                format!("Query validation error: '{message}'"),
            ),
            EngineError::Conflict => Self::new(
                StatusCode::CONFLICT,
                "concurrent_update",
                "The record was changed concurrently; try again",
            ),
            EngineError::RateLimited(message) => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
            }
            EngineError::CustomDatabase(CustomDbError::Refused(rule)) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "custom_database_unavailable",
                format!("The custom database of this connection is unavailable: {rule}"),
            ),
            EngineError::Overloaded { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    "The server is busy; try again later",
                )
            },
            EngineError::CustomDatabase(cause) => {
                tracing::warn!(error = %error_chain(&cause), "custom database failed");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "custom_database_unavailable",
                    "The custom database of this connection is unavailable",
                )
            }
            other => internal(&other),
        }
    }
}

impl From<ManagementAuthError> for ApiError {
    fn from(error: ManagementAuthError) -> Self {
        match error {
            ManagementAuthError::Missing => Self::new(
                StatusCode::UNAUTHORIZED,
                "missing_authentication",
                "Missing authentication",
            ),
            ManagementAuthError::Invalid(cause) => {
                tracing::debug!(?cause, "management token rejected");
                Self::new(StatusCode::UNAUTHORIZED, "invalid_token", "Invalid token")
            }
            ManagementAuthError::WrongAudience(expected) => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                format!("Bad audience: the token is not for {expected}"),
            ),
            ManagementAuthError::InsufficientScope(scope) => Self::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("Insufficient scope, expected any of: {scope}"),
            ),
            ManagementAuthError::Engine(engine) => internal(&engine),
        }
    }
}

/// Logs the cause and answers a generic 500.
fn internal(error: &dyn std::error::Error) -> ApiError {
    tracing::error!(error = %error_chain(error), "internal error");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "The server could not complete the request",
    )
}

/// `error: cause: cause` for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// An Authentication API error (RFC 6749 §5.2).
#[derive(Debug)]
pub struct OAuthResponse {
    pub error: OAuthError,
    /// Set when the client tried HTTP Basic: a 401 then carries a challenge.
    pub basic_challenge: bool,
}

impl From<OAuthError> for OAuthResponse {
    fn from(error: OAuthError) -> Self {
        Self {
            error,
            basic_challenge: false,
        }
    }
}

impl IntoResponse for OAuthResponse {
    fn into_response(self) -> Response {
        let status = match self.error.code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            // Auth0 answers 403 for these; RFC 6749 allows any 4xx but 401 for invalid_client.
            ErrorCode::AccessDenied
            | ErrorCode::UnauthorizedClient
            | ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
            ErrorCode::ServerError => {
                if let Some(cause) = &self.error.cause {
                    tracing::error!(error = %error_chain(cause), "token endpoint failure");
                }
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ErrorCode::TooManyAttempts | ErrorCode::TooManyRequests => {
                StatusCode::TOO_MANY_REQUESTS
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let retry_after = self.error.cause.as_deref().and_then(retry_after);
        let body = serde_json::json!({
            "error": self.error.code.as_str(),
            "error_description": self.error.description,
        });
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.basic_challenge && status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"vestibule\""),
            );
        }
        response
    }
}

/// An error of a protected resource (RFC 6750 §3): the OAuth body plus a
/// `Bearer` challenge for a missing, invalid or under-scoped token; any
/// other error is the Authentication API's usual answer.
#[derive(Debug)]
pub struct BearerError(pub OAuthError);

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
            ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
            _ => return OAuthResponse::from(self.0).into_response(),
        };
        let error = self.0;
        let challenge = format!(
            "Bearer realm=\"vestibule\", error=\"{}\", error_description=\"{}\"",
            error.code.as_str(),
            error.description.replace('"', "'")
        );
        let body = serde_json::json!({
            "error": error.code.as_str(),
            "error_description": error.description,
        });
        let mut response = (status, axum::Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Unknown paths: Auth0's 404 shape under `/api/v2`, a plain JSON 404 elsewhere.
pub async fn not_found_fallback(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not Found").into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": "not_found", "error_description": "Not Found"})),
        )
            .into_response()
    }
}

/// A request body that ended early or broke off (`body::read_first`); the
/// connection is not reused.
pub fn unreadable_body() -> Response {
    let mut response = (
        StatusCode::BAD_REQUEST,
        axum::Json(serde_json::json!({
            "error": "invalid_request",
            "error_description": "The request body could not be read",
        })),
    )
        .into_response();
    response.headers_mut().insert(
        axum::http::header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    response
}

/// A handler panic becomes a generic 500 (the panic message is logged, not sent).
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    tracing::error!(panic = %detail, "handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "The server could not complete the request",
    )
    .into_response()
}

/// An Auth0 Authentication API error for `/dbconnections` (`name`, `code`,
/// `description`), with the OAuth-style `error`/`error_description` that
/// SDKs also read.
#[derive(Debug)]
pub struct AuthApiError {
    pub status: StatusCode,
    pub name: &'static str,
    pub code: &'static str,
    pub description: String,
    /// One more field: `policy` for a weak password, `field` for an invalid one.
    pub extra: Option<(&'static str, serde_json::Value)>,
    pub retry_after: Option<u64>,
}

impl AuthApiError {
    pub fn new(
        status: StatusCode,
        name: &'static str,
        code: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            name,
            code,
            description: description.into(),
            extra: None,
            retry_after: None,
        }
    }

    pub fn bad_request(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            code,
            description,
        )
    }

    pub fn unknown_client() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedError",
            "unauthorized_client",
            "Unknown client",
        )
    }

    pub fn too_many_requests(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsError",
            "too_many_requests",
            description,
        )
    }

    /// Logs the cause and answers a generic 500.
    pub fn internal(error: &dyn std::error::Error) -> Self {
        tracing::error!(error = %error_chain(error), "signup failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "server_error",
            "The server could not complete the request",
        )
    }

    /// A failed `/dbconnections/change_password`.
    pub fn from_password_reset(error: EngineError) -> Self {
        match error {
            EngineError::NotFound(_) => Self::unknown_client(),
            EngineError::Invalid { field, message } => Self::bad_request(
                if field == "connection" {
                    "connection_not_enabled"
                } else {
                    "invalid_request"
                },
                message,
            ),
            EngineError::RateLimited(message) => Self::too_many_requests(message),
            error => Self::internal(&error),
        }
    }
}

impl From<SignupFailure> for AuthApiError {
    fn from(failure: SignupFailure) -> Self {
        match failure {
            SignupFailure::UnknownClient => Self::unknown_client(),
            SignupFailure::ConnectionNotEnabled => Self::bad_request(
                "connection_not_enabled",
                "The connection is not enabled for this client",
            ),
            // Auth0 answers an existing user with the generic invalid_signup.
            SignupFailure::Refused {
                error: SignupError::UserExists,
                ..
            } => Self::bad_request("invalid_signup", "Invalid sign up"),
            SignupFailure::Refused {
                error: SignupError::SignupDisabled,
                ..
            } => Self::bad_request(
                "operation_not_allowed",
                "Signups are disabled for this connection",
            ),
            SignupFailure::Refused {
                error: SignupError::Password(rejection),
                policy,
            } => Self {
                extra: Some(("policy", serde_json::json!(policy))),
                ..Self::new(
                    StatusCode::BAD_REQUEST,
                    rejection.name(),
                    "invalid_password",
                    rejection.description(),
                )
            },
            SignupFailure::Refused {
                error: SignupError::Invalid { field, message },
                ..
            } => Self {
                extra: Some(("field", serde_json::json!(field))),
                ..Self::bad_request("invalid_signup", message)
            },
            SignupFailure::Refused {
                error: SignupError::Throttled,
                ..
            } => Self::too_many_requests(SIGNUP_THROTTLED),
            SignupFailure::Refused {
                error: SignupError::Engine(error),
                ..
            } => match retry_after(&error) {
                Some(seconds) => Self {
                    retry_after: Some(seconds),
                    ..Self::too_many_requests("The server is busy; try again later.")
                },
                None => Self::internal(&error),
            },
        }
    }
}

impl IntoResponse for AuthApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "name": self.name,
            "code": self.code,
            "description": self.description,
            "error": self.code,
            "error_description": self.description,
            "statusCode": self.status.as_u16(),
        });
        if let (Some((key, value)), serde_json::Value::Object(map)) = (self.extra, &mut body) {
            map.insert(key.to_owned(), value);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
