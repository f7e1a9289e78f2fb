//! The closed list of connection strategies, by Auth0's names.
//!
//! Auth0 has no `wsfed` strategy: WS-Federation identity providers are
//! configured with `adfs` (and Entra ID, which also speaks WS-Fed, with
//! `waad`), so Vestibule follows suit. `gitlab`, `discord` and `slack` are
//! Vestibule presets; Auth0 offers them as marketplace connections built on
//! the custom social strategy `oauth2`, which Vestibule also accepts.

use std::fmt;
use std::str::FromStr;

/// The four families of connections shown in Auth0's dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// The built-in user store (`auth0`), optionally backed by a custom database.
    Database,
    /// Workforce identity providers: SAML, OIDC, Active Directory, Entra ID, …
    Enterprise,
    /// Consumer identity providers reached over OAuth 2.0 / OpenID Connect.
    Social,
    /// One-time codes or links sent by email or SMS.
    Passwordless,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Database => "database",
            Category::Enterprise => "enterprise",
            Category::Social => "social",
            Category::Passwordless => "passwordless",
        }
    }
}

macro_rules! strategies {
    ($($variant:ident => $name:literal, $category:ident;)*) => {
        /// A connection strategy. The string form is Auth0's strategy name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Strategy {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Strategy {
            /// Every strategy, in declaration order.
            pub const ALL: &'static [Strategy] = &[$(Strategy::$variant),*];

            /// Parses Auth0's strategy name (exact, case-sensitive).
            pub fn parse(name: &str) -> Option<Strategy> {
                match name {
                    $($name => Some(Strategy::$variant),)*
                    _ => None,
                }
            }

            /// Auth0's strategy name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Strategy::$variant => $name,)*
                }
            }

            pub fn category(self) -> Category {
                match self {
                    $(Strategy::$variant => Category::$category,)*
                }
            }
        }
    };
}

strategies! {
    Auth0 => "auth0", Database;

    Ad => "ad", Enterprise;
    Adfs => "adfs", Enterprise;
    Samlp => "samlp", Enterprise;
    Oidc => "oidc", Enterprise;
    Waad => "waad", Enterprise;
    GoogleApps => "google-apps", Enterprise;
    Okta => "okta", Enterprise;
    PingFederate => "pingfederate", Enterprise;

    GoogleOAuth2 => "google-oauth2", Social;
    Github => "github", Social;
    Facebook => "facebook", Social;
    Linkedin => "linkedin", Social;
    WindowsLive => "windowslive", Social;
    Apple => "apple", Social;
    Amazon => "amazon", Social;
    Bitbucket => "bitbucket", Social;
    Gitlab => "gitlab", Social;
    Twitter => "twitter", Social;
    Discord => "discord", Social;
    Slack => "slack", Social;
    OAuth2 => "oauth2", Social;

    Email => "email", Passwordless;
    Sms => "sms", Passwordless;
}

impl Strategy {
    /// Auth0's `identities[].isSocial`: true exactly for social strategies
    /// (including the custom `oauth2`); false for database, enterprise and
    /// passwordless identities.
    pub fn is_social(self) -> bool {
        self.category() == Category::Social
    }

    /// Auth0's `identities[].provider`, which is also the prefix of the user
    /// id (`auth0|…`, `google-oauth2|…`, `samlp|…`, `email|…`). Auth0 uses the
    /// strategy name for every strategy Vestibule supports, custom databases
    /// included (their users are `auth0|…` too).
    pub fn provider(self) -> &'static str {
        self.as_str()
    }
}

impl Strategy {
    /// The name people know the provider by, for "Continue with …" buttons
    /// (`Google`, not `google-oauth2`). `None` for the database and for
    /// strategies that do not name one provider (`oidc`, `oauth2`, `samlp`):
    /// their connections are named by their `display_name` or `name`.
    pub fn provider_name(self) -> Option<&'static str> {
        Some(match self {
            Strategy::GoogleOAuth2 => "Google",
            Strategy::GoogleApps => "Google Workspace",
            Strategy::Github => "GitHub",
            Strategy::Facebook => "Facebook",
            Strategy::Linkedin => "LinkedIn",
            Strategy::WindowsLive => "Microsoft",
            Strategy::Waad => "Microsoft Entra ID",
            Strategy::Apple => "Apple",
            Strategy::Amazon => "Amazon",
            Strategy::Bitbucket => "Bitbucket",
            Strategy::Gitlab => "GitLab",
            Strategy::Twitter => "X",
            Strategy::Discord => "Discord",
            Strategy::Slack => "Slack",
            Strategy::Okta => "Okta",
            Strategy::PingFederate => "PingFederate",
            Strategy::Adfs => "ADFS",
            Strategy::Ad => "Active Directory",
            Strategy::Email => "Email",
            Strategy::Sms => "SMS",
            Strategy::Auth0 | Strategy::Oidc | Strategy::OAuth2 | Strategy::Samlp => return None,
        })
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A strategy name Vestibule does not know. The Management API answers it
/// with 400 on the `strategy` field, distinct from an options error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown strategy {0:?}")]
pub struct UnknownStrategy(pub String);

impl UnknownStrategy {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        "strategy"
    }
}

impl FromStr for Strategy {
    type Err = UnknownStrategy;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Strategy::parse(name).ok_or_else(|| UnknownStrategy(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_round_trips_through_its_name() {
        for &strategy in Strategy::ALL {
            assert_eq!(Strategy::parse(strategy.as_str()), Some(strategy));
            assert_eq!(strategy.to_string(), strategy.as_str());
        }
        assert_eq!(Strategy::ALL.len(), 24);
    }

    #[test]
    fn parse_is_exact() {
        assert_eq!(Strategy::parse("Auth0"), None);
        assert_eq!(Strategy::parse(" auth0"), None);
        assert_eq!(Strategy::parse("wsfed"), None);
        assert_eq!(
            Strategy::parse("google-oauth2"),
            Some(Strategy::GoogleOAuth2)
        );
    }

    #[test]
    fn unknown_strategy_is_a_distinct_error_on_the_strategy_field() {
        let err = "myspace".parse::<Strategy>().unwrap_err();
        assert_eq!(err, UnknownStrategy("myspace".into()));
        assert_eq!(err.field(), "strategy");
        assert_eq!(err.to_string(), "unknown strategy \"myspace\"");
    }

    #[test]
    fn categories_and_is_social() {
        assert_eq!(Strategy::Auth0.category(), Category::Database);
        assert_eq!(Strategy::Samlp.category(), Category::Enterprise);
        assert_eq!(Strategy::GoogleApps.category(), Category::Enterprise);
        assert_eq!(Strategy::OAuth2.category(), Category::Social);
        assert_eq!(Strategy::Sms.category(), Category::Passwordless);
        assert!(Strategy::Github.is_social());
        assert!(Strategy::OAuth2.is_social());
        assert!(!Strategy::Auth0.is_social());
        assert!(!Strategy::Oidc.is_social());
        assert!(!Strategy::Email.is_social());
    }

    #[test]
    fn buttons_name_providers_as_people_know_them() {
        for (strategy, name) in [
            (Strategy::GoogleOAuth2, "Google"),
            (Strategy::GoogleApps, "Google Workspace"),
            (Strategy::Github, "GitHub"),
            (Strategy::WindowsLive, "Microsoft"),
            (Strategy::Waad, "Microsoft Entra ID"),
            (Strategy::Linkedin, "LinkedIn"),
            (Strategy::Gitlab, "GitLab"),
            (Strategy::Twitter, "X"),
            (Strategy::Okta, "Okta"),
        ] {
            assert_eq!(strategy.provider_name(), Some(name), "{strategy}");
        }
        // Generic strategies name no provider: the connection names itself.
        for strategy in [
            Strategy::Auth0,
            Strategy::Oidc,
            Strategy::OAuth2,
            Strategy::Samlp,
        ] {
            assert_eq!(strategy.provider_name(), None, "{strategy}");
        }
        // Every social strategy but the custom `oauth2` is one provider,
        // and no name is an Auth0 strategy id.
        for &strategy in Strategy::ALL {
            if strategy.is_social() && strategy != Strategy::OAuth2 {
                assert!(strategy.provider_name().is_some(), "{strategy}");
            }
            if let Some(name) = strategy.provider_name() {
                assert_eq!(Strategy::parse(name), None, "{name}");
            }
        }
    }

    #[test]
    fn provider_is_the_user_id_prefix() {
        assert_eq!(Strategy::Auth0.provider(), "auth0");
        assert_eq!(Strategy::GoogleOAuth2.provider(), "google-oauth2");
        assert_eq!(Strategy::Waad.provider(), "waad");
        assert_eq!(Strategy::Sms.provider(), "sms");
    }
}
