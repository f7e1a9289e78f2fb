//! Auth0's `password` and `password-realm` grants: a database login at the
//! token endpoint, with the same brute-force protection and logging as the
//! login page.

use crate::login::database_users::{self, LoginOutcome};
use crate::token::grant::errors::{engine_error, invalid_grant};
use crate::token::oauth_error::{ErrorCode, OAuthError};
use crate::token::request::PasswordRequest;
use crate::token::tokens::{self, GrantContext, TokenSet};
use crate::{Engine, EngineError, login::login_events, management::connections};
use model::{Client, Tenant};

/// Auth0's words for a login blocked by brute-force protection. The same for
/// every identifier, known or not.
pub const BLOCKED_DESCRIPTION: &str =
    "Your account has been blocked after multiple consecutive login attempts from this IP address.";

/// Auth0's words for a login refused by suspicious IP throttling.
pub const THROTTLED_DESCRIPTION: &str = "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.";

/// `grant_type=password` (the tenant's `default_directory`; without one,
/// where Auth0 refuses, the first database connection enabled for the
/// client) and Auth0's `password-realm` (`realm` names the connection). The
/// connection must be enabled for the client. A request without `audience`
/// gets the tenant's `default_audience`.
pub async fn issue(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    request: &PasswordRequest,
    ip: Option<&str>,
) -> Result<TokenSet, OAuthError> {
    let enabled = engine
        .storage
        .list_client_connections(&tenant.id, &client.client_id)
        .await
        .map_err(engine_error)?;
    let realm = request
        .realm
        .as_deref()
        .or(tenant.settings.default_directory.as_deref());
    let connection = match realm {
        Some(realm) => match enabled.into_iter().find(|c| c.name == realm) {
            Some(c) if database_users::is_database(&c) => Some(c),
            // Enabled, but no password goes there: say so.
            Some(c) if !connections::connection_can_log_in(&c) => {
                return Err(OAuthError::invalid_request(
                    connections::offer::cannot_log_in(&c),
                ));
            }
            Some(c) => {
                return Err(OAuthError::invalid_request(format!(
                    "connection {} is a {} connection, which does not take passwords",
                    c.name, c.strategy
                )));
            }
            None => None,
        },
        None => enabled.into_iter().find(database_users::is_database),
    }
    .ok_or_else(|| OAuthError::invalid_request("The connection is not enabled for this client"))?;
    let audience = request
        .audience
        .as_deref()
        .or(tenant.settings.default_audience.as_deref());
    if let Some(audience) = audience
        && engine
            .storage
            .get_resource_server_by_identifier(&tenant.id, audience)
            .await
            .map_err(engine_error)?
            .is_none()
    {
        return Err(OAuthError::new(
            ErrorCode::AccessDenied,
            format!("Service not found: {audience}"),
        ));
    }
    let (username, password) = (request.username.as_str(), request.password.as_str());
    let outcome = database_users::login(engine, &tenant.id, &connection, username, password, ip)
        .await
        .map_err(engine_error)?;
    let origin = login_events::Origin { client, ip };
    login_events::password_login(engine, &tenant.id, origin, &connection, username, &outcome).await;
    let user = match outcome {
        LoginOutcome::LoggedIn(user) => *user,
        LoginOutcome::WrongCredentials => return Err(invalid_grant("Wrong email or password.")),
        LoginOutcome::Blocked => {
            return Err(OAuthError::new(
                ErrorCode::TooManyAttempts,
                BLOCKED_DESCRIPTION,
            ));
        }
        LoginOutcome::Throttled => {
            return Err(OAuthError::new(
                ErrorCode::TooManyAttempts,
                THROTTLED_DESCRIPTION,
            ));
        }
        LoginOutcome::Unavailable => {
            return Err(OAuthError::new(
                ErrorCode::ServerError,
                "The user store of this connection is unavailable; try again later.",
            ));
        }
    };
    let audience = audience.map(str::to_owned);
    let scope = tokens::granted_scope(engine, tenant, &request.scope, audience.as_deref())
        .await
        .map_err(engine_error)?;
    let context = GrantContext {
        user,
        scope,
        audience,
        nonce: None,
        auth_time: engine.now(),
        sid: None,
        family_id: crypto::secrets::random_token(16)
            .map_err(|e| engine_error(EngineError::from(e)))?,
    };
    let family_expires_at = tokens::family_expiry(engine, client);
    tokens::token_set(engine, tenant, client, &context, family_expires_at)
        .await
        .map_err(engine_error)
}
