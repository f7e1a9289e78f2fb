//! Tenant log events for logins, signups and token exchanges, with Auth0's
//! type codes, which support staff and SIEMs filter on. The flows report
//! their outcome here once it is known; recording never changes an outcome.

use crate::Engine;
use crate::login::database_users::SignupError;
use crate::login::directory::LoginOutcome;
use crate::logs::{self, Event, codes};
use crate::token::oauth_error::{ErrorCode, OAuthError};
use model::{Client, Connection, TenantId, User};
use serde_json::json;

/// Who asked: the application and the end user's address.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub client: &'a Client,
    pub ip: Option<&'a str>,
}

impl Origin<'_> {
    fn event(&self, event_type: &'static str, description: impl Into<String>) -> Event {
        Event {
            event_type,
            description: description.into(),
            client_id: Some(self.client.client_id.clone()),
            client_name: Some(self.client.name.clone()),
            ip: self.ip.map(str::to_owned),
            ..Event::default()
        }
    }
}

/// A password login's outcome: `s`, `fp` (the identifier names a user of the
/// connection), `fu` (it names none), or `f` (blocked, throttled, the custom
/// database unavailable). Administrators may see which identifiers exist;
/// the person logging in never does.
pub async fn password_login(
    engine: &Engine,
    tenant: &TenantId,
    origin: Origin<'_>,
    connection: &Connection,
    identifier: &str,
    outcome: &LoginOutcome,
) {
    let identifier = identifier.trim();
    let mut event = match outcome {
        LoginOutcome::LoggedIn(user) => {
            let mut event = origin.event(codes::LOGIN, "Successful login");
            event.user_id = Some(user.user_id.clone());
            event
        }
        LoginOutcome::WrongCredentials => match known_user(engine, tenant, connection, identifier)
            .await
        {
            Some(user) => {
                let mut event = origin.event(codes::FAILED_PASSWORD, "Wrong email or password.");
                event.user_id = Some(user.user_id);
                event
            }
            None => origin.event(codes::FAILED_USERNAME, "Wrong email or password."),
        },
        LoginOutcome::Blocked => origin.event(
            codes::FAILED_LOGIN,
            "Too many failed attempts: the account is blocked",
        ),
        LoginOutcome::Throttled => origin.event(
            codes::FAILED_LOGIN,
            "Too many failed attempts from this IP address",
        ),
        LoginOutcome::Unavailable => origin.event(
            codes::FAILED_LOGIN,
            "The connection's custom database is unavailable",
        ),
    };
    event.connection = Some(connection.name.clone());
    event.connection_id = Some(connection.id.clone());
    event.user_name = Some(identifier.to_owned());
    logs::record(engine, tenant, event).await;
}

/// A login through an upstream identity provider (`s`).
pub async fn upstream_login(
    engine: &Engine,
    tenant: &TenantId,
    origin: Origin<'_>,
    connection: &Connection,
    user: &User,
) {
    let mut event = origin.event(codes::LOGIN, "Successful login");
    event.connection = Some(connection.name.clone());
    event.connection_id = Some(connection.id.clone());
    event.user_id = Some(user.user_id.clone());
    event.user_name = user.email.clone().or_else(|| user.username.clone());
    logs::record(engine, tenant, event).await;
}

/// A signup's outcome: `ss`, or `fs` with the reason (never the password).
pub async fn signup(
    engine: &Engine,
    tenant: &TenantId,
    origin: Origin<'_>,
    connection: &Connection,
    email: Option<&str>,
    result: Result<&User, &SignupError>,
) {
    let mut event = match result {
        Ok(user) => {
            let mut event = origin.event(codes::SIGNUP, "Successful signup");
            event.user_id = Some(user.user_id.clone());
            event
        }
        Err(error) => origin.event(codes::FAILED_SIGNUP, error.to_string()),
    };
    event.connection = Some(connection.name.clone());
    event.connection_id = Some(connection.id.clone());
    event.user_name = email.map(str::to_owned);
    logs::record(engine, tenant, event).await;
}

/// The success and failure codes of a grant's token exchange.
fn exchange_codes(grant_type: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match grant_type {
        "authorization_code" => (
            codes::EXCHANGE_CODE,
            codes::FAILED_EXCHANGE_CODE,
            "Authorization Code for Access Token",
        ),
        "refresh_token" => (
            codes::EXCHANGE_REFRESH,
            codes::FAILED_EXCHANGE_REFRESH,
            "Refresh Token for Access Token",
        ),
        "client_credentials" => (
            codes::EXCHANGE_CLIENT_CREDENTIALS,
            codes::FAILED_EXCHANGE_CLIENT_CREDENTIALS,
            "Client Credentials for Access Token",
        ),
        "password" | "http://auth0.com/oauth/grant-type/password-realm" => (
            codes::EXCHANGE_PASSWORD,
            codes::FAILED_EXCHANGE_PASSWORD,
            "Password for Access Token",
        ),
        _ => return None,
    })
}

/// A token endpoint exchange (`seacft`/`feacft`, `sertft`/`ferrt`,
/// `seccft`/`feccft`, `sepft`/`fepft`). A password grant refused for its
/// credentials was already recorded as a login (`fp`, `fu`, `f`).
pub async fn exchange(
    engine: &Engine,
    tenant: &TenantId,
    origin: Origin<'_>,
    grant_type: &str,
    failure: Option<&OAuthError>,
) {
    let Some((success, failed, what)) = exchange_codes(grant_type) else {
        return;
    };
    let is_password = success == codes::EXCHANGE_PASSWORD;
    let mut event = match failure {
        None => origin.event(success, what),
        Some(error)
            if is_password
                && matches!(
                    error.code,
                    ErrorCode::InvalidGrant | ErrorCode::TooManyAttempts
                ) =>
        {
            return;
        }
        Some(error) => origin.event(failed, error.description.to_string()),
    };
    event.details = json!({ "grant_type": grant_type });
    logs::record(engine, tenant, event).await;
}

/// Whether an identifier names a user of the connection (by email or
/// username), for telling `fp` from `fu`.
async fn known_user(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    identifier: &str,
) -> Option<User> {
    if identifier.is_empty() {
        return None;
    }
    let by_email = engine
        .storage
        .get_user_by_email(tenant, &connection.id, identifier)
        .await
        .ok()
        .flatten();
    match by_email {
        Some(user) => Some(user),
        None => engine
            .storage
            .get_user_by_username(tenant, &connection.id, identifier)
            .await
            .ok()
            .flatten(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_grant_has_its_auth0_codes() {
        assert_eq!(
            exchange_codes("authorization_code").map(|c| (c.0, c.1)),
            Some(("seacft", "feacft"))
        );
        assert_eq!(
            exchange_codes("refresh_token").map(|c| (c.0, c.1)),
            Some(("sertft", "ferrt"))
        );
        assert_eq!(
            exchange_codes("client_credentials").map(|c| (c.0, c.1)),
            Some(("seccft", "feccft"))
        );
        assert_eq!(
            exchange_codes("http://auth0.com/oauth/grant-type/password-realm").map(|c| (c.0, c.1)),
            Some(("sepft", "fepft"))
        );
        assert_eq!(exchange_codes("urn:unknown"), None);
    }
}
