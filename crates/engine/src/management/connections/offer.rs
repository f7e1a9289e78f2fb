//! Which connections can log someone in, and how the login page names them.
//!
//! One rule, [`can_log_in`], serves the login page, home-realm discovery,
//! `/authorize?connection=`, the password grants and the Management API's
//! warnings, so a strategy that gains a login (LDAP, SAML, passwordless)
//! is switched on here and nowhere else. Connections of other strategies
//! are still stored and enabled as asked (Auth0 exports must import); they
//! are simply not offered.

use crate::Engine;
use crate::error::Result;
use connectors::Strategy;
use model::{Connection, TenantId};
use serde::Serialize;

/// True for the strategies Vestibule can log a user in through today: the
/// database (`auth0`) and every redirect strategy (OAuth 2.0 / OpenID
/// Connect upstreams).
pub fn can_log_in(strategy: Strategy) -> bool {
    strategy == Strategy::Auth0 || connectors::redirect::is_redirect(strategy)
}

/// [`can_log_in`] for a stored connection; an unknown strategy cannot.
pub fn connection_can_log_in(connection: &Connection) -> bool {
    Strategy::parse(&connection.strategy).is_some_and(can_log_in)
}

/// Why a connection that cannot log in is refused, for the client or the
/// administrator: names the connection and its strategy.
pub fn cannot_log_in(connection: &Connection) -> String {
    format!(
        "connection {} cannot be used to log in: Vestibule does not support logins through {} connections yet",
        connection.name, connection.strategy
    )
}

/// The name on a connection's login button: its `display_name` when set,
/// else the provider's name as people know it (`Google`), else the
/// connection's own name (generic `oidc`, `oauth2`, the database).
pub fn button_name(connection: &Connection) -> String {
    if let Some(display_name) = connection
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        return display_name.to_owned();
    }
    Strategy::parse(&connection.strategy)
        .and_then(Strategy::provider_name)
        .map_or_else(|| connection.name.clone(), str::to_owned)
}

/// The `code` of the warning about a connection enabled for applications
/// whose login cannot use it.
pub const CANNOT_LOG_IN: &str = "connection_cannot_log_in";

/// Something a Management API write did that its caller should know,
/// although the write succeeded. Only write answers carry warnings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Warning {
    /// A stable identifier (`connection_cannot_log_in`).
    pub code: String,
    /// What it means, in a sentence.
    pub message: String,
}

/// The warnings about a connection enabled for `enabled_clients`: one when
/// its strategy cannot log in and some application enables it.
pub fn warnings_for(connection: &Connection, enabled_clients: &[String]) -> Vec<Warning> {
    if enabled_clients.is_empty() || connection_can_log_in(connection) {
        return Vec::new();
    }
    let applications = match enabled_clients.len() {
        1 => "1 application".to_owned(),
        n => format!("{n} applications"),
    };
    vec![Warning {
        code: CANNOT_LOG_IN.to_owned(),
        message: format!(
            "Vestibule cannot log in through {strategy} connections yet: connection {name} is saved and enabled for {applications}, but their login page does not offer it and /authorize with connection={name} is refused",
            strategy = connection.strategy,
            name = connection.name,
        ),
    }]
}

/// [`warnings_for`] the connection's current enabled clients.
pub async fn warnings(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
) -> Result<Vec<Warning>> {
    let enabled = engine
        .storage
        .list_enabled_clients(tenant, &connection.id)
        .await?;
    Ok(warnings_for(connection, &enabled))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(strategy: &str, name: &str, display_name: Option<&str>) -> Connection {
        Connection {
            tenant_id: TenantId::new("t"),
            id: "con_1".into(),
            name: name.into(),
            display_name: display_name.map(str::to_owned),
            strategy: strategy.into(),
            options: serde_json::json!({}),
            metadata: Default::default(),
            realms: vec![name.into()],
            is_domain_connection: false,
            show_as_button: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn only_the_database_and_redirect_strategies_can_log_in() {
        for &strategy in Strategy::ALL {
            let expected = !matches!(
                strategy,
                Strategy::Ad
                    | Strategy::Adfs
                    | Strategy::Samlp
                    | Strategy::PingFederate
                    | Strategy::Email
                    | Strategy::Sms
            );
            assert_eq!(can_log_in(strategy), expected, "{strategy}");
        }
        assert!(!connection_can_log_in(&connection("myspace", "m", None)));
    }

    #[test]
    fn buttons_use_display_name_then_provider_then_name() {
        let cases = [
            ("google-oauth2", "google-oauth2", None, "Google"),
            ("google-apps", "acme-workspace", None, "Google Workspace"),
            ("waad", "contoso", None, "Microsoft Entra ID"),
            ("windowslive", "windowslive", None, "Microsoft"),
            (
                "github",
                "github",
                Some("Octocat Sign-In"),
                "Octocat Sign-In",
            ),
            ("github", "github", Some("  "), "GitHub"),
            ("twitter", "twitter", None, "X"),
            ("oidc", "corp-sso", None, "corp-sso"),
            ("oidc", "corp-sso", Some("Acme SSO"), "Acme SSO"),
            ("oauth2", "wordpress", None, "wordpress"),
            (
                "auth0",
                "Username-Password-Authentication",
                None,
                "Username-Password-Authentication",
            ),
        ];
        for (strategy, name, display_name, expected) in cases {
            assert_eq!(
                button_name(&connection(strategy, name, display_name)),
                expected,
                "{strategy} {name}"
            );
        }
    }

    #[test]
    fn a_connection_that_cannot_log_in_warns_only_when_enabled() {
        let saml = connection("samlp", "corp-saml", None);
        assert!(warnings_for(&saml, &[]).is_empty());
        let warnings = warnings_for(&saml, &["app-1".into(), "app-2".into()]);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].code, CANNOT_LOG_IN);
        assert!(warnings[0].message.contains("samlp"), "{warnings:?}");
        assert!(
            warnings[0].message.contains("2 applications"),
            "{warnings:?}"
        );
        let google = connection("google-oauth2", "google-oauth2", None);
        assert!(warnings_for(&google, &["app-1".into()]).is_empty());
    }
}
