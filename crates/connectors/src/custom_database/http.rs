//! The `http` kind: the customer's own service, one URL per operation.
//!
//! Each call is a `POST` with a JSON body and
//! `Authorization: Bearer <configuration.http_secret>`:
//!
//! | operation | body | success |
//! | --- | --- | --- |
//! | `login` | `{"username": "<typed identifier>", "password": "…"}` | 200 + user; 401/403 wrong password; 404 unknown user |
//! | `get_user` | `{"email": "…"}` | 200 + user; 404 unknown user |
//! | `create` | `{"user_id": "…", "email": "…", "username": …, "password": "…"}` | 2xx; 409 user exists |
//! | `verify` | `{"email": "…"}` | 2xx |
//! | `change_password` | `{"email": "…", "password": "…"}` | 2xx; 404 unknown user |
//! | `delete` | `{"user_id": "…"}` | 2xx or 404 |
//!
//! A user is a JSON object with `user_id` (or `id`; string or number) and
//! optionally `email`, `email_verified`, `username`, `name`, `nickname`,
//! `given_name`, `family_name`, `picture` — the profile Auth0's scripts
//! return. Redirects are not followed, answers are cut at 64 KiB, every
//! call has the connection's timeout, and every destination passes the
//! outbound guard (a refusal names the rule, never the remote's answer).

use super::backend::{CustomDbError, CustomUser, LoginLookup, NewCustomUser, PasswordBackend};
use super::config::HttpConfig;
use crate::outbound::{self, http::GuardedClients};
use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const MAX_BODY: usize = 64 * 1024;

/// The clients' settings: a short connect timeout (the guard adds no
/// redirects and no proxies).
pub(super) fn configure(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    builder.connect_timeout(Duration::from_secs(5))
}

pub struct HttpBackend {
    clients: Arc<GuardedClients>,
    config: HttpConfig,
}

impl HttpBackend {
    pub fn new(clients: Arc<GuardedClients>, config: HttpConfig) -> Self {
        Self { clients, config }
    }

    async fn call(
        &self,
        operation: &'static str,
        body: Value,
    ) -> Result<(StatusCode, Option<Value>), CustomDbError> {
        let e = &self.config.endpoints;
        let url = match operation {
            "login" => &e.login,
            "get_user" => &e.get_user,
            "create" => &e.create,
            "verify" => &e.verify,
            "change_password" => &e.change_password,
            _ => &e.delete,
        }
        .as_deref()
        .ok_or(CustomDbError::OperationMissing(operation))?;
        let unavailable = |what: String| CustomDbError::Unavailable(format!("{operation}: {what}"));
        let parsed = url::Url::parse(url)
            .map_err(|_| CustomDbError::NotConfigured(format!("{operation}: invalid URL")))?;
        self.clients.check_url(&parsed).await?;
        let client = self
            .clients
            .for_url(&parsed)
            .map_err(|e| CustomDbError::NotConfigured(format!("HTTP client: {e}")))?;
        let mut response = client
            .post(parsed)
            .bearer_auth(&self.config.secret)
            .timeout(self.config.timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| match outbound::refusal_in(&e) {
                Some(refused) => CustomDbError::Refused(refused.to_string()),
                None => unavailable(transport(&e)),
            })?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| unavailable(transport(&e)))?
        {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(CustomDbError::InvalidResponse(format!(
                    "{operation}: answer larger than 64 KiB"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        let json = if bytes.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            serde_json::from_slice(&bytes).ok()
        };
        Ok((status, json))
    }
}

/// The transport error without the URL (it may carry a query secret).
fn transport(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        "request failed".into()
    }
}

fn unexpected(operation: &str, status: StatusCode) -> CustomDbError {
    CustomDbError::Unavailable(format!("{operation}: answered HTTP {}", status.as_u16()))
}

fn read_user(operation: &str, body: Option<Value>) -> Result<CustomUser, CustomDbError> {
    let invalid = |m: &str| CustomDbError::InvalidResponse(format!("{operation}: {m}"));
    let Some(Value::Object(user)) = body else {
        return Err(invalid("the answer is not a JSON object"));
    };
    let text = |key: &str| -> Result<Option<String>, CustomDbError> {
        match user.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() <= 4096 => {
                Ok(Some(s.clone()).filter(|s| !s.is_empty()))
            }
            Some(Value::Number(n)) if key == "user_id" || key == "id" => Ok(Some(n.to_string())),
            Some(_) => Err(invalid(&format!("`{key}` must be a string"))),
        }
    };
    let id = match text("user_id")? {
        Some(id) => id,
        None => text("id")?.ok_or_else(|| invalid("the user has no `user_id`"))?,
    };
    let email_verified = match user.get("email_verified") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("`email_verified` must be a boolean")),
    };
    Ok(CustomUser {
        id,
        email: text("email")?,
        email_verified,
        username: text("username")?,
        name: text("name")?,
        nickname: text("nickname")?,
        given_name: text("given_name")?,
        family_name: text("family_name")?,
        picture: text("picture")?,
        password_hash: None,
    })
}

#[async_trait]
impl PasswordBackend for HttpBackend {
    async fn login(&self, login: &str, password: &str) -> Result<LoginLookup, CustomDbError> {
        let (status, body) = self
            .call("login", json!({"username": login, "password": password}))
            .await?;
        match status {
            StatusCode::OK => read_user("login", body).map(LoginLookup::Authenticated),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Ok(LoginLookup::WrongPassword),
            StatusCode::NOT_FOUND => Ok(LoginLookup::NotFound),
            other => Err(unexpected("login", other)),
        }
    }

    async fn get_user(&self, email: &str) -> Result<Option<CustomUser>, CustomDbError> {
        let (status, body) = self.call("get_user", json!({"email": email})).await?;
        match status {
            StatusCode::OK => read_user("get_user", body).map(Some),
            StatusCode::NOT_FOUND => Ok(None),
            other => Err(unexpected("get_user", other)),
        }
    }

    async fn create(&self, user: &NewCustomUser) -> Result<(), CustomDbError> {
        let (status, _) = self
            .call(
                "create",
                json!({"user_id": user.id, "email": user.email, "username": user.username, "password": user.password}),
            )
            .await?;
        match status {
            s if s.is_success() => Ok(()),
            StatusCode::CONFLICT => Err(CustomDbError::UserExists),
            other => Err(unexpected("create", other)),
        }
    }

    async fn verify(&self, email: &str) -> Result<(), CustomDbError> {
        let (status, _) = self.call("verify", json!({"email": email})).await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(unexpected("verify", status))
        }
    }

    async fn change_password(
        &self,
        email: &str,
        password: &str,
        _password_hash: &str,
    ) -> Result<bool, CustomDbError> {
        let (status, _) = self
            .call(
                "change_password",
                json!({"email": email, "password": password}),
            )
            .await?;
        match status {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            other => Err(unexpected("change_password", other)),
        }
    }

    async fn delete(&self, id: &str) -> Result<(), CustomDbError> {
        let (status, _) = self.call("delete", json!({"user_id": id})).await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(unexpected("delete", status))
        }
    }
}
