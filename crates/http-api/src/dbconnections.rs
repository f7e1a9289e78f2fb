//! `POST /dbconnections/signup` and `POST /dbconnections/change_password`:
//! Auth0's Authentication API for database connections, with its request
//! and response shapes.

use crate::AppState;
use crate::extract::{ClientIp, CurrentTenant};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use engine::login::database_users::{self, SignupError, SignupInput};
use engine::login::login_events;
use engine::login::password_policy::PasswordPolicy;
use serde::Deserialize;
use serde_json::{Value, json};

pub const SIGNUP_PATH: &str = "/dbconnections/signup";
pub const CHANGE_PASSWORD_PATH: &str = "/dbconnections/change_password";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(SIGNUP_PATH, post(signup))
        .route(CHANGE_PASSWORD_PATH, post(change_password))
}

/// The fields of a JSON or form body, as strings.
fn body_fields(headers: &HeaderMap, body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        Some(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect(),
        )
    } else {
        serde_json::from_slice(body).ok()
    }
}

/// Auth0's answer to every accepted reset request, whether or not an
/// account has that address.
pub const CHANGE_PASSWORD_SENT: &str = "We've just sent you an email to reset your password.";

/// `POST /dbconnections/change_password` `{client_id, email, connection}`.
/// Other fields SDKs send (`client_secret`, `organization`) are ignored, as
/// Auth0 does. The email goes out in the background.
async fn change_password(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if body.len() > 16 * 1024 {
        return bad_request("invalid_body", "The request body is too large");
    }
    let Some(fields) = body_fields(&headers, &body) else {
        return bad_request("invalid_body", "The request body is not valid");
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(client_id), Some(connection), Some(email)) =
        (text("client_id"), text("connection"), text("email"))
    else {
        return bad_request(
            "invalid_request",
            "client_id, email and connection are required",
        );
    };
    match engine::email::request_password_reset(
        &state.engine,
        &tenant.id,
        &client_id,
        &connection,
        &email,
        ip,
    )
    .await
    {
        Ok(()) => {
            let mut response = CHANGE_PASSWORD_SENT.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
        }
        Err(engine::EngineError::NotFound(_)) => auth_error(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedError",
            "unauthorized_client",
            "Unknown client",
            None,
        ),
        Err(engine::EngineError::Invalid { field, message }) => auth_error(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            if field == "connection" {
                "connection_not_enabled"
            } else {
                "invalid_request"
            },
            &message,
            None,
        ),
        Err(engine::EngineError::RateLimited(message)) => auth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsError",
            "too_many_requests",
            message,
            None,
        ),
        Err(error) => server_error(&error),
    }
}

#[derive(Debug, Deserialize)]
struct SignupBody {
    client_id: Option<String>,
    connection: Option<String>,
    email: Option<String>,
    password: Option<String>,
    username: Option<String>,
    name: Option<String>,
    nickname: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    picture: Option<String>,
    #[serde(default)]
    user_metadata: Option<serde_json::Map<String, Value>>,
}

/// Auth0's Authentication API error body (`code`/`description`), with the
/// OAuth-style `error`/`error_description` that SDKs also read.
fn auth_error(
    status: StatusCode,
    name: &str,
    code: &str,
    description: &str,
    extra: Option<(&str, Value)>,
) -> Response {
    let mut body = json!({
        "name": name,
        "code": code,
        "description": description,
        "error": code,
        "error_description": description,
        "statusCode": status.as_u16(),
    });
    if let (Some((key, value)), Value::Object(map)) = (extra, &mut body) {
        map.insert(key.to_owned(), value);
    }
    (status, Json(body)).into_response()
}

fn bad_request(code: &str, description: &str) -> Response {
    auth_error(
        StatusCode::BAD_REQUEST,
        "BadRequestError",
        code,
        description,
        None,
    )
}

async fn signup(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if body.len() > 64 * 1024 {
        return bad_request("invalid_body", "The request body is too large");
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let parsed: Result<SignupBody, String> = if is_form {
        let map: serde_json::Map<String, Value> = url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        serde_json::from_value(Value::Object(map)).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    };
    let body = match parsed {
        Ok(body) => body,
        Err(_) => return bad_request("invalid_body", "The request body is not valid"),
    };
    let (Some(client_id), Some(connection_name)) =
        (body.client_id.as_deref(), body.connection.as_deref())
    else {
        return bad_request("invalid_body", "client_id and connection are required");
    };
    let engine = &state.engine;
    let client = match engine.storage.get_client(&tenant.id, client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => {
            return auth_error(
                StatusCode::UNAUTHORIZED,
                "UnauthorizedError",
                "unauthorized_client",
                "Unknown client",
                None,
            );
        }
        Err(error) => return server_error(&error),
    };
    let connections = match engine
        .storage
        .list_client_connections(&tenant.id, &client.client_id)
        .await
    {
        Ok(list) => list,
        Err(error) => return server_error(&error),
    };
    let Some(connection) = connections
        .into_iter()
        .find(|c| c.name == connection_name && database_users::is_database(c))
    else {
        return bad_request(
            "connection_not_enabled",
            "The connection is not enabled for this client",
        );
    };
    let input = SignupInput {
        email: body.email,
        username: body.username,
        password: body.password.unwrap_or_default(),
        name: body.name,
        nickname: body.nickname,
        given_name: body.given_name,
        family_name: body.family_name,
        picture: body.picture,
        user_metadata: body.user_metadata.unwrap_or_default(),
    };
    let email = input.email.clone();
    let result =
        database_users::signup(engine, &tenant.id, &connection, input, ip.as_deref()).await;
    let origin = login_events::Origin {
        client: &client,
        ip: ip.as_deref(),
    };
    login_events::signup(
        engine,
        &tenant.id,
        origin,
        &connection,
        email.as_deref(),
        result.as_ref(),
    )
    .await;
    match result {
        Ok(user) => {
            queue_verification_email(engine, &tenant.id, &user, &client.client_id).await;
            let mut out = json!({
                "_id": user.user_id.trim_start_matches("auth0|"),
                "email_verified": user.email_verified,
                "email": user.email,
            });
            if let (Some(username), Value::Object(map)) = (&user.username, &mut out) {
                map.insert("username".into(), json!(username));
            }
            Json(out).into_response()
        }
        // Auth0 answers an existing user with the generic invalid_signup.
        Err(SignupError::UserExists) => bad_request("invalid_signup", "Invalid sign up"),
        Err(SignupError::SignupDisabled) => bad_request(
            "operation_not_allowed",
            "Signups are disabled for this connection",
        ),
        Err(SignupError::Password(rejection)) => {
            let policy = PasswordPolicy::from_options(&connection.options).describe();
            auth_error(
                StatusCode::BAD_REQUEST,
                rejection.name(),
                "invalid_password",
                rejection.description(),
                Some(("policy", json!(policy))),
            )
        }
        Err(SignupError::Invalid { field, message }) => auth_error(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "invalid_signup",
            &message,
            Some(("field", json!(field))),
        ),
        Err(SignupError::Throttled) => auth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsError",
            "too_many_requests",
            database_users::SIGNUP_THROTTLED,
            None,
        ),
        Err(SignupError::Engine(error)) if crate::error::retry_after(&error).is_some() => {
            crate::error::with_retry_after(
                auth_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequestsError",
                    "too_many_requests",
                    "The server is busy; try again later.",
                    None,
                ),
                &error,
            )
        }
        Err(SignupError::Engine(error)) => server_error(&error),
    }
}

/// Signup's verification email: queued, never failing the signup.
pub(crate) async fn queue_verification_email(
    engine: &engine::Engine,
    tenant: &model::TenantId,
    user: &model::User,
    client_id: &str,
) {
    if user.email_verified {
        return;
    }
    if let Err(error) =
        engine::email::send_verification_email(engine, tenant, &user.user_id, Some(client_id)).await
    {
        tracing::error!(error = %crate::error::error_chain(&error), "could not queue the verification email");
    }
}

fn server_error(error: &dyn std::error::Error) -> Response {
    tracing::error!(error = %crate::error::error_chain(error), "signup failed");
    auth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        "server_error",
        "The server could not complete the request",
        None,
    )
}
