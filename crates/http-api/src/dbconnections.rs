//! `POST /dbconnections/signup` and `POST /dbconnections/change_password`:
//! Auth0's Authentication API for database connections, with its request
//! and response shapes.

use crate::AppState;
use crate::error::AuthApiError;
use crate::extract::{ClientIp, CurrentTenant};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use engine::login::database_users::SignupInput;
use engine::login::signup::{self, SignupRequest};
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
        return AuthApiError::bad_request("invalid_body", "The request body is too large")
            .into_response();
    }
    let Some(fields) = body_fields(&headers, &body) else {
        return AuthApiError::bad_request("invalid_body", "The request body is not valid")
            .into_response();
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(client_id), Some(connection), Some(email)) =
        (text("client_id"), text("connection"), text("email"))
    else {
        return AuthApiError::bad_request(
            "invalid_request",
            "client_id, email and connection are required",
        )
        .into_response();
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
        Err(error) => AuthApiError::from_password_reset(error).into_response(),
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

async fn signup(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if body.len() > 64 * 1024 {
        return AuthApiError::bad_request("invalid_body", "The request body is too large")
            .into_response();
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
        Err(_) => {
            return AuthApiError::bad_request("invalid_body", "The request body is not valid")
                .into_response();
        }
    };
    let (Some(client_id), Some(connection)) = (body.client_id, body.connection) else {
        return AuthApiError::bad_request("invalid_body", "client_id and connection are required")
            .into_response();
    };
    let request = SignupRequest {
        client_id,
        connection,
        input: SignupInput {
            email: body.email,
            username: body.username,
            password: body.password.unwrap_or_default(),
            name: body.name,
            nickname: body.nickname,
            given_name: body.given_name,
            family_name: body.family_name,
            picture: body.picture,
            user_metadata: body.user_metadata.unwrap_or_default(),
        },
    };
    match signup::signup(&state.engine, &tenant, request, ip.as_deref()).await {
        Ok(user) => {
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
        Err(failure) => AuthApiError::from(failure).into_response(),
    }
}
