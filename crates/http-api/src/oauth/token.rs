//! `POST /oauth/token` (RFC 6749 §3.2): decodes the request and runs
//! `engine::token::exchange`.
//!
//! The body is decoded once into a flat parameter list — from
//! `application/x-www-form-urlencoded` as the RFC requires, or from JSON as
//! Auth0's SDKs send it — with repeated parameters refused (§3.2). Client
//! credentials come from exactly one place: HTTP Basic or the body (§2.3).

use crate::AppState;
use crate::error::OAuthResponse;
use crate::extract::{ClientIp, CurrentTenant};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use engine::token::client_auth::{self, PresentedCredentials};
use engine::token::exchange::{self, RequestOrigin};
use engine::token::oauth_error::{ErrorCode, OAuthError};
use engine::token::request::{GrantType, TokenParams};

pub const PATH: &str = "/oauth/token";

/// Auth0's header by which a trusted confidential client relays its end
/// user's IP (`engine::token::client_auth::end_user_ip` decides whether to believe it).
pub const AUTH0_FORWARDED_FOR: &str = "auth0-forwarded-for";

const MAX_BODY: usize = 64 * 1024;

/// Decodes a form or JSON body into its parameters.
fn decode_body(content_type: Option<&str>, body: &[u8]) -> Result<TokenParams, OAuthError> {
    if body.len() > MAX_BODY {
        return Err(OAuthError::invalid_request("request body too large"));
    }
    let mime = content_type
        .and_then(|value| value.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase());
    let mut params = TokenParams::default();
    match mime.as_deref() {
        Some("application/x-www-form-urlencoded") => {
            for (key, value) in url::form_urlencoded::parse(body) {
                params.insert(key.into_owned(), value.into_owned())?;
            }
        }
        Some("application/json") => {
            let value: serde_json::Value = serde_json::from_slice(body)
                .map_err(|_| OAuthError::invalid_request("the body is not valid JSON"))?;
            let serde_json::Value::Object(map) = value else {
                return Err(OAuthError::invalid_request(
                    "the body must be a JSON object",
                ));
            };
            for (key, value) in map {
                let value = match value {
                    serde_json::Value::String(text) => text,
                    serde_json::Value::Number(number) => number.to_string(),
                    serde_json::Value::Bool(flag) => flag.to_string(),
                    serde_json::Value::Null => continue,
                    _ => {
                        return Err(OAuthError::invalid_request(format!(
                            "parameter {key} must be a string"
                        )));
                    }
                };
                params.insert(key, value)?;
            }
        }
        _ => {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded or application/json",
            ));
        }
    }
    Ok(params)
}

/// Decodes `Authorization: Basic` per RFC 6749 §2.3.1: base64 of
/// `urlencode(client_id) ":" urlencode(client_secret)`.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(OAuthError::invalid_request("repeated Authorization header"));
    }
    let value = value
        .to_str()
        .map_err(|_| OAuthError::new(ErrorCode::InvalidClient, "malformed Authorization header"))?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "malformed Authorization header",
        ));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "unsupported Authorization scheme",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| OAuthError::new(ErrorCode::InvalidClient, "malformed Basic credentials"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| OAuthError::new(ErrorCode::InvalidClient, "malformed Basic credentials"))?;
    let decode = |part: &str| -> String {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((decode(id), decode(secret))))
}

/// Works out which authentication method the client used; two at once is an error.
fn presented_credentials(
    headers: &HeaderMap,
    params: &TokenParams,
) -> Result<PresentedCredentials, OAuthResponse> {
    let basic = basic_credentials(headers).map_err(|error| OAuthResponse {
        error,
        basic_challenge: true,
    })?;
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    if params.get("client_assertion").is_some() || params.get("client_assertion_type").is_some() {
        return Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "client assertions are not supported",
        )
        .into());
    }
    match basic {
        Some((client_id, secret)) => {
            if body_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "use only one client authentication method",
                )
                .into());
            }
            if body_id.is_some_and(|id| id != client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id does not match the Authorization header",
                )
                .into());
            }
            Ok(PresentedCredentials::Basic { client_id, secret })
        }
        None => match (body_id, body_secret) {
            (Some(client_id), Some(secret)) => Ok(PresentedCredentials::Post {
                client_id: client_id.to_owned(),
                secret: secret.to_owned(),
            }),
            (Some(client_id), None) => Ok(PresentedCredentials::PublicId {
                client_id: client_id.to_owned(),
            }),
            _ => Err(OAuthError::new(
                ErrorCode::InvalidClient,
                "client authentication is required",
            )
            .into()),
        },
    }
}

pub async fn handle(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match token(&state, &tenant, &headers, &body, ip.as_deref()).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// Authenticates the client of a token, revocation or introspection request.
pub async fn authenticate_client(
    state: &AppState,
    tenant: &model::Tenant,
    headers: &HeaderMap,
    params: &TokenParams,
    ip: Option<&str>,
) -> Result<model::Client, OAuthResponse> {
    let presented = presented_credentials(headers, params)?;
    let used_basic = matches!(presented, PresentedCredentials::Basic { .. });
    client_auth::authenticate(&state.engine, &tenant.id, &presented, ip)
        .await
        .map_err(|error| OAuthResponse {
            error,
            basic_challenge: used_basic,
        })
}

/// Parses the body of an OAuth endpoint.
pub fn parse_params(headers: &HeaderMap, body: &[u8]) -> Result<TokenParams, OAuthResponse> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    Ok(decode_body(content_type, body)?)
}

async fn token(
    state: &AppState,
    tenant: &model::Tenant,
    headers: &HeaderMap,
    body: &[u8],
    ip: Option<&str>,
) -> Result<Response, OAuthResponse> {
    let params = parse_params(headers, body)?;
    let grant_type = GrantType::of(&params)?;
    let credentials = presented_credentials(headers, &params)?;
    let origin = RequestOrigin {
        ip,
        forwarded_for: headers
            .get(AUTH0_FORWARDED_FOR)
            .and_then(|value| value.to_str().ok()),
    };
    let answer = exchange::exchange(
        &state.engine,
        tenant,
        grant_type,
        &params,
        &credentials,
        origin,
    )
    .await
    .map_err(|error| OAuthResponse {
        error,
        basic_challenge: matches!(credentials, PresentedCredentials::Basic { .. }),
    })?;
    let mut response = Json(answer).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused() {
        let error = decode_body(
            Some("application/x-www-form-urlencoded"),
            b"grant_type=client_credentials&grant_type=password",
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn json_and_form_bodies_parse_alike() {
        let form = decode_body(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"a=1&b=x%20y",
        )
        .unwrap();
        let json = decode_body(Some("application/json"), br#"{"a":"1","b":"x y"}"#).unwrap();
        assert_eq!(form.get("b"), Some("x y"));
        assert_eq!(form, json);
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let raw = base64::engine::general_purpose::STANDARD.encode("my%3Aclient:p%40ss+word");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {raw}")).unwrap(),
        );
        let (id, secret) = basic_credentials(&headers).unwrap().unwrap();
        assert_eq!(id, "my:client");
        assert_eq!(secret, "p@ss word");
    }

    #[test]
    fn two_authentication_methods_are_refused() {
        let mut headers = HeaderMap::new();
        let raw = base64::engine::general_purpose::STANDARD.encode("id:secret");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {raw}")).unwrap(),
        );
        let params =
            decode_body(Some("application/json"), br#"{"client_secret":"secret"}"#).unwrap();
        let error = presented_credentials(&headers, &params).unwrap_err();
        assert_eq!(error.error.code, ErrorCode::InvalidRequest);
    }
}
