//! Options of the social strategies: the presets (`google-oauth2`, `github`,
//! …) and the custom social connection `oauth2`.
//!
//! Every preset shares the same core: `client_id`, `client_secret`, `scope`,
//! profile sync (`set_user_root_attributes`, `non_persistent_attrs`),
//! `upstream_params`, and the boolean scope/attribute flags Auth0 documents
//! for that provider. Presets also take endpoint overrides
//! (`authorization_endpoint`, `token_endpoint`, `userinfo_endpoint`,
//! `jwks_uri`, `api_base_url`): a Vestibule extension so tests and local
//! development can point a preset at a stub server.
//!
//! `client_id` is not required at configuration time, as in Auth0 (which
//! falls back to its development keys); Vestibule has no such keys, so a
//! connection without credentials fails at login with a clear error instead.

use super::common::{HttpUrl, Secret, SetUserRootAttributes, StringOrList, UpstreamParams};
use super::validation::{OptionsError, StrategyOptions};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Declares a preset's options type: the shared core, the given extra typed
/// fields, and the given boolean flags.
macro_rules! social_options {
    (
        $(#[$doc:meta])*
        $name:ident $(checked by $check:path)? {
            fields { $($(#[$fdoc:meta])* $field:ident : $ty:ty,)* }
            flags { $($flag:ident),* $(,)? }
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            pub client_id: Option<String>,
            /// A space-separated string or an array (Auth0 accepts both).
            pub scope: Option<StringOrList>,
            pub set_user_root_attributes: Option<SetUserRootAttributes>,
            pub non_persistent_attrs: Option<Vec<String>>,
            pub upstream_params: Option<UpstreamParams>,
            pub strategy_version: Option<u32>,
            /// Vestibule extension: overrides the preset's endpoint.
            pub authorization_endpoint: Option<HttpUrl>,
            /// Vestibule extension: overrides the preset's endpoint.
            pub token_endpoint: Option<HttpUrl>,
            /// Vestibule extension: overrides the preset's endpoint.
            pub userinfo_endpoint: Option<HttpUrl>,
            /// Vestibule extension: overrides the preset's endpoint.
            pub jwks_uri: Option<HttpUrl>,
            /// Vestibule extension: overrides the provider's API base URL
            /// (GitHub's `https://api.github.com`, …).
            pub api_base_url: Option<HttpUrl>,
            $($(#[$fdoc])* pub $field: $ty,)*
            $(pub $flag: Option<bool>,)*
        }

        impl StrategyOptions for $name {
            fn check(&self) -> Result<(), OptionsError> {
                let checks: &[fn(&Self) -> Result<(), OptionsError>] = &[$($check)?];
                checks.iter().try_for_each(|check| check(self))
            }
        }
    };
}

social_options! {
    /// `google-oauth2`.
    GoogleOAuth2Options {
        fields {
            client_secret: Option<Secret>,
            /// Other client ids whose Google ID tokens this connection accepts
            /// (native sign-in). A string or an array.
            allowed_audiences: Option<StringOrList>,
        }
        flags {
            email, profile, contacts, blogger, calendar, gmail, google_plus, orkut,
            picasa_web, tasks, youtube, adsense_management, google_affiliate_network,
            analytics, google_books, google_cloud_storage, content_api_for_shopping,
            chrome_web_store, document_list, google_drive, google_drive_files,
            latitude_best, latitude_city, moderator, sites, spreadsheets, url_shortener,
            webmaster_tools, coordinate, coordinate_readonly,
        }
    }
}

social_options! {
    /// `github`.
    GithubOptions {
        fields {
            client_secret: Option<Secret>,
        }
        flags {
            email, profile, read_user, follow, public_repo, repo, repo_deployment,
            repo_status, delete_repo, notifications, gist, read_repo_hook,
            write_repo_hook, admin_repo_hook, read_org, admin_org, write_org,
            read_public_key, write_public_key, admin_public_key,
        }
    }
}

social_options! {
    /// `facebook`. Its `scope` is comma-separated when given as a string.
    FacebookOptions {
        fields {
            client_secret: Option<Secret>,
            allow_context_profile_field: Option<bool>,
        }
        flags {
            email, public_profile, groups_access_member_info, publish_to_groups,
            user_age_range, user_birthday, ads_management, ads_read,
            read_audience_network_insights, read_insights, manage_notifications,
            publish_actions, read_mailbox, user_events, user_friends, user_gender,
            user_hometown, user_likes, user_link, user_location, user_photos,
            user_posts, user_tagged_places, user_videos, business_management,
            leads_retrieval, manage_pages, pages_manage_cta,
            pages_manage_instant_articles, pages_show_list, pages_messaging,
            pages_messaging_phone_number, pages_messaging_subscriptions,
            publish_pages, publish_video, read_page_mailboxes, read_stream,
            user_groups, user_managed_groups, user_status,
        }
    }
}

social_options! {
    /// `linkedin`.
    LinkedinOptions {
        fields {
            client_secret: Option<Secret>,
        }
        flags { email, profile, basic_profile }
    }
}

social_options! {
    /// `windowslive` (Microsoft personal accounts).
    WindowsLiveOptions {
        fields {
            client_secret: Option<Secret>,
        }
        flags {
            signin, offline_access, graph_user, graph_user_update, graph_user_activity,
            graph_device, graph_device_command, graph_emails, graph_emails_update,
            graph_calendars, graph_calendars_update, graph_contacts,
            graph_contacts_update, graph_files, graph_files_all, graph_files_update,
            graph_files_all_update, graph_notes, graph_notes_create,
            graph_notes_update, graph_tasks, graph_tasks_update,
        }
    }
}

social_options! {
    /// `apple`. Sign in with Apple has no static client secret: the client
    /// signs one with the team's `.p8` key (`app_secret`, identified by
    /// `kid`, issued to `team_id`). `client_id` is the Services ID.
    AppleOptions checked by check_apple {
        fields {
            /// The `.p8` private key (PEM). Secret.
            app_secret: Option<Secret>,
            team_id: Option<String>,
            kid: Option<String>,
        }
        flags { name, email }
    }
}

/// The `.p8` key must be an EC P-256 private key (it signs ES256), and
/// the team and key ids Apple's identifiers (letters and digits): both are
/// copied into every client secret.
fn check_apple(options: &AppleOptions) -> Result<(), OptionsError> {
    if let Some(key) = &options.app_secret {
        crate::redirect::assertion::apple_signing_key(key.expose()).map_err(|_| {
            OptionsError::at(
                "app_secret",
                "must be the .p8 private key from Apple: a PKCS#8 PEM EC P-256 key",
            )
        })?;
    }
    for (name, value) in [("team_id", &options.team_id), ("kid", &options.kid)] {
        if let Some(value) = value
            && (value.is_empty()
                || value.len() > 64
                || !value.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(OptionsError::at(name, "must be letters and digits only"));
        }
    }
    Ok(())
}

social_options! {
    /// `amazon`.
    AmazonOptions {
        fields {
            client_secret: Option<Secret>,
        }
        flags { profile, postal_code }
    }
}

social_options! {
    /// `bitbucket`.
    BitbucketOptions {
        fields {
            client_secret: Option<Secret>,
        }
        flags { email, profile }
    }
}

social_options! {
    /// `gitlab` (Vestibule preset; Auth0 offers GitLab as an `oauth2`
    /// marketplace connection).
    GitlabOptions {
        fields {
            client_secret: Option<Secret>,
        }
        flags { email, profile }
    }
}

social_options! {
    /// `twitter` (X).
    TwitterOptions {
        fields {
            client_secret: Option<Secret>,
        }
        flags { email, profile }
    }
}

social_options! {
    /// `discord` (Vestibule preset; an `oauth2` marketplace connection in
    /// Auth0).
    DiscordOptions {
        fields {
            client_secret: Option<Secret>,
        }
        flags { email, profile }
    }
}

social_options! {
    /// `slack` (Vestibule preset; an `oauth2` marketplace connection in
    /// Auth0).
    SlackOptions {
        fields {
            client_secret: Option<Secret>,
        }
        flags { email, profile }
    }
}

/// `oauth2`: the custom social connection, any OAuth 2.0 provider.
///
/// Auth0 reads the user's profile with a `fetchUserProfile` script; Vestibule
/// adds a declarative alternative: `userInfoURL` (a Vestibule extension,
/// named in the style of `authorizationURL`/`tokenURL`) and
/// `profile_mapping`, which maps profile attributes to paths in the
/// user-info response (`"user_id": "id"`, `"email": "emails.0.value"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2Options {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    #[serde(rename = "authorizationURL")]
    pub authorization_url: Option<HttpUrl>,
    #[serde(rename = "tokenURL")]
    pub token_url: Option<HttpUrl>,
    #[serde(rename = "userInfoURL")]
    pub user_info_url: Option<HttpUrl>,
    pub scope: Option<StringOrList>,
    #[serde(rename = "useOauthSpecScope")]
    pub use_oauth_spec_scope: Option<bool>,
    pub scripts: Option<OAuth2Scripts>,
    pub profile_mapping: Option<BTreeMap<ProfileAttribute, String>>,
    #[serde(rename = "customHeaders")]
    pub custom_headers: Option<BTreeMap<String, String>>,
    pub pkce_enabled: Option<bool>,
    pub icon_url: Option<HttpUrl>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
    pub strategy_version: Option<u32>,
    pub email: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2Scripts {
    #[serde(rename = "fetchUserProfile")]
    pub fetch_user_profile: Option<String>,
}

/// The normalized profile attributes a `profile_mapping` may fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileAttribute {
    UserId,
    Email,
    EmailVerified,
    Username,
    PhoneNumber,
    PhoneVerified,
    Name,
    Nickname,
    GivenName,
    FamilyName,
    Picture,
}

impl StrategyOptions for OAuth2Options {
    fn check(&self) -> Result<(), OptionsError> {
        if self.client_id.is_none() {
            return Err(OptionsError::at("client_id", "is required"));
        }
        if self.authorization_url.is_none() {
            return Err(OptionsError::at("authorizationURL", "is required"));
        }
        if self.token_url.is_none() {
            return Err(OptionsError::at("tokenURL", "is required"));
        }
        let has_script = self
            .scripts
            .as_ref()
            .is_some_and(|s| s.fetch_user_profile.is_some());
        match &self.profile_mapping {
            Some(mapping) => {
                if !mapping.contains_key(&ProfileAttribute::UserId) {
                    return Err(OptionsError::at(
                        "profile_mapping.user_id",
                        "is required: it names the upstream user id",
                    ));
                }
                if self.user_info_url.is_none() {
                    return Err(OptionsError::at(
                        "userInfoURL",
                        "is required with `profile_mapping`",
                    ));
                }
            }
            None if !has_script => {
                return Err(OptionsError::at(
                    "profile_mapping",
                    "is required unless `scripts.fetchUserProfile` is set",
                ));
            }
            None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::options::tests::{assert_rejected, full_options, validate};
    use crate::strategy::Strategy;
    use serde_json::json;

    const PRESETS: &[Strategy] = &[
        Strategy::GoogleOAuth2,
        Strategy::Github,
        Strategy::Facebook,
        Strategy::Linkedin,
        Strategy::WindowsLive,
        Strategy::Apple,
        Strategy::Amazon,
        Strategy::Bitbucket,
        Strategy::Gitlab,
        Strategy::Twitter,
        Strategy::Discord,
        Strategy::Slack,
    ];

    #[test]
    fn presets_accept_empty_and_full_options() {
        for &strategy in PRESETS {
            assert_eq!(validate(strategy, json!({})), json!({}), "{strategy}");
            let full = full_options(strategy);
            assert_eq!(validate(strategy, full.clone()), full, "{strategy}");
        }
    }

    #[test]
    fn scope_may_be_a_string_or_an_array() {
        let out = validate(Strategy::Github, json!({"scope": "read:user user:email"}));
        assert_eq!(out["scope"], "read:user user:email");
        let out = validate(
            Strategy::Github,
            json!({"scope": ["read:user", "user:email"]}),
        );
        assert_eq!(out["scope"], json!(["read:user", "user:email"]));
        assert_rejected(Strategy::Github, json!({"scope": 7}), "options.scope");
        assert_rejected(
            Strategy::Github,
            json!({"scope": ["a", 7]}),
            "options.scope[1]",
        );
    }

    #[test]
    fn flags_are_booleans_and_per_provider() {
        assert_rejected(Strategy::Github, json!({"email": "yes"}), "options.email");
        // `gmail` is a Google flag, not a GitHub one.
        assert_rejected(Strategy::Github, json!({"gmail": true}), "options.gmail");
        validate(Strategy::GoogleOAuth2, json!({"gmail": true}));
    }

    #[test]
    fn set_user_root_attributes_is_an_exact_enum() {
        validate(
            Strategy::Facebook,
            json!({"set_user_root_attributes": "on_first_login"}),
        );
        assert_rejected(
            Strategy::Facebook,
            json!({"set_user_root_attributes": "first_login"}),
            "options.set_user_root_attributes",
        );
    }

    #[test]
    fn endpoint_overrides_require_https_except_on_loopback() {
        validate(
            Strategy::Github,
            json!({"api_base_url": "http://127.0.0.1:8080/api"}),
        );
        validate(
            Strategy::Github,
            json!({"token_endpoint": "http://localhost:9999/token"}),
        );
        validate(
            Strategy::Github,
            json!({"userinfo_endpoint": "http://[::1]:9999/user"}),
        );
        assert_rejected(
            Strategy::Github,
            json!({"token_endpoint": "http://github.example/token"}),
            "options.token_endpoint",
        );
        assert_rejected(
            Strategy::Github,
            json!({"token_endpoint": "/relative/token"}),
            "options.token_endpoint",
        );
        assert_rejected(
            Strategy::Github,
            json!({"token_endpoint": "ftp://github.example/token"}),
            "options.token_endpoint",
        );
        assert_rejected(
            Strategy::Github,
            json!({"token_endpoint": "https://user:pw@github.example/token"}),
            "options.token_endpoint",
        );
    }

    #[test]
    fn apple_needs_a_p256_key_and_plain_ids() {
        let key = crate::options::tests::APPLE_TEST_KEY;
        validate(
            Strategy::Apple,
            json!({"app_secret": key, "team_id": "TEAM123456", "kid": "KEY1234567"}),
        );
        for bad in [
            "not a key",
            "-----BEGIN PRIVATE KEY-----\nMIGT\n-----END PRIVATE KEY-----\n",
            // An Ed25519 key is no P-256 key.
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHb/bf5UZM29QH69Vb/C5qTrMErits2j6/vwMeENCvpO\n-----END PRIVATE KEY-----\n",
        ] {
            assert_rejected(
                Strategy::Apple,
                json!({"app_secret": bad}),
                "options.app_secret",
            );
        }
        assert_rejected(Strategy::Apple, json!({"team_id": ""}), "options.team_id");
        assert_rejected(Strategy::Apple, json!({"kid": "K\"Y"}), "options.kid");
    }

    #[test]
    fn apple_keeps_its_key_in_app_secret_not_client_secret() {
        assert_rejected(
            Strategy::Apple,
            json!({"client_secret": "x"}),
            "options.client_secret",
        );
    }

    #[test]
    fn upstream_params_take_a_value_or_a_known_alias() {
        validate(
            Strategy::GoogleOAuth2,
            json!({"upstream_params": {"hd": {"value": "example.com"}, "login_hint": {"alias": "login_hint"}}}),
        );
        assert_rejected(
            Strategy::GoogleOAuth2,
            json!({"upstream_params": {"x": {"alias": "email"}}}),
            "options.upstream_params.x.alias",
        );
        assert_rejected(
            Strategy::GoogleOAuth2,
            json!({"upstream_params": {"x": {"value": "a", "alias": "prompt"}}}),
            "options.upstream_params.x",
        );
    }

    #[test]
    fn oauth2_requires_endpoints_and_a_way_to_read_the_profile() {
        let minimal = json!({
            "client_id": "c",
            "authorizationURL": "https://idp.example/authorize",
            "tokenURL": "https://idp.example/token",
            "userInfoURL": "https://idp.example/me",
            "profile_mapping": {"user_id": "id"},
        });
        assert_eq!(validate(Strategy::OAuth2, minimal.clone()), minimal);
        for (missing, field) in [
            ("client_id", "options.client_id"),
            ("authorizationURL", "options.authorizationURL"),
            ("tokenURL", "options.tokenURL"),
            ("userInfoURL", "options.userInfoURL"),
            ("profile_mapping", "options.profile_mapping"),
        ] {
            let mut options = minimal.clone();
            options.as_object_mut().unwrap().remove(missing);
            assert_rejected(Strategy::OAuth2, options, field);
        }
        let mut script_only = minimal.clone();
        let object = script_only.as_object_mut().unwrap();
        object.remove("profile_mapping");
        object.remove("userInfoURL");
        object.insert(
            "scripts".into(),
            json!({"fetchUserProfile": "function(t, c, cb) {}"}),
        );
        validate(Strategy::OAuth2, script_only);
    }

    #[test]
    fn oauth2_profile_mapping_needs_user_id_and_known_attributes() {
        let base = json!({
            "client_id": "c",
            "authorizationURL": "https://idp.example/authorize",
            "tokenURL": "https://idp.example/token",
            "userInfoURL": "https://idp.example/me",
        });
        let mut options = base.clone();
        options["profile_mapping"] = json!({"email": "mail"});
        assert_rejected(Strategy::OAuth2, options, "options.profile_mapping.user_id");
        let mut options = base;
        options["profile_mapping"] = json!({"user_id": "id", "shoe_size": "s"});
        assert_rejected(
            Strategy::OAuth2,
            options,
            "options.profile_mapping.shoe_size",
        );
    }
}
