//! The OAuth 2.0 social presets that read the profile from a user API:
//! `facebook`, `linkedin`, `windowslive`, `amazon`, `bitbucket`, `gitlab`,
//! `discord`, `slack` and `twitter`.
//!
//! They differ only in data, so each is one row of [`PRESETS`] (production
//! endpoints, default scope, how the client authenticates) plus one mapping
//! function from the provider's documented user response to Auth0's
//! normalized profile; one connector ([`PresetConnector`]) runs them all:
//! authorization code with PKCE (S256), the code exchange, then `GET` of
//! the user API (and, for Bitbucket, of the emails API) with the access
//! token. Every endpoint can be overridden in the options
//! (`authorization_endpoint`, `token_endpoint`, `userinfo_endpoint` for the
//! user API, `api_base_url` for the API the other calls use), so tests and
//! self-hosted installations (GitLab) point a preset elsewhere.
//!
//! An email counts as verified only where the provider says so (Discord's
//! `verified`, LinkedIn's and Slack's `email_verified`, Bitbucket's
//! `is_confirmed`, GitLab's `confirmed_at`); Facebook, Microsoft and Amazon
//! document no such flag, so their emails are unverified.

use super::http::Upstreams;
use super::mapping;
use super::oauth2::{self, ClientAuth, ClientCredentials};
use super::upstream::{
    CallbackParams, LoginRequest, RedirectConnector, RedirectError, UpstreamIdentity,
    UpstreamProfile, pkce_challenge, scope_or, with_query,
};
use crate::options::common::{HttpUrl, Secret, StringOrList};
use crate::strategy::Strategy;
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The user's upstream id and normalized profile, from the user API's
/// answer (and the emails API's, where the preset has one).
type MapProfile = fn(&Value, Option<&Value>) -> Option<(String, UpstreamProfile)>;

/// One provider's fixed data.
pub(crate) struct Preset {
    pub strategy: Strategy,
    pub authorization_endpoint: &'static str,
    pub token_endpoint: &'static str,
    /// The provider's API; `api_base_url` replaces it.
    pub api_base_url: &'static str,
    /// The user API under the base; `userinfo_endpoint` replaces the URL.
    pub user_path: &'static str,
    /// A second call for the user's emails, under the base.
    pub emails_path: Option<&'static str>,
    pub scope: &'static [&'static str],
    pub scope_separator: &'static str,
    pub auth: ClientAuth,
    pub map: MapProfile,
}

/// Production endpoints, from each provider's documentation.
pub(crate) const PRESETS: &[Preset] = &[
    Preset {
        strategy: Strategy::Facebook,
        authorization_endpoint: "https://www.facebook.com/v19.0/dialog/oauth",
        token_endpoint: "https://graph.facebook.com/v19.0/oauth/access_token",
        api_base_url: "https://graph.facebook.com/v19.0",
        user_path: "/me?fields=id,name,email,first_name,last_name,picture",
        emails_path: None,
        scope: &["email", "public_profile"],
        scope_separator: ",",
        auth: ClientAuth::SecretPost,
        map: facebook,
    },
    Preset {
        strategy: Strategy::Linkedin,
        authorization_endpoint: "https://www.linkedin.com/oauth/v2/authorization",
        token_endpoint: "https://www.linkedin.com/oauth/v2/accessToken",
        api_base_url: "https://api.linkedin.com/v2",
        user_path: "/userinfo",
        emails_path: None,
        scope: &["openid", "profile", "email"],
        scope_separator: " ",
        auth: ClientAuth::SecretPost,
        map: standard_claims,
    },
    Preset {
        strategy: Strategy::WindowsLive,
        authorization_endpoint: "https://login.microsoftonline.com/consumers/oauth2/v2.0/authorize",
        token_endpoint: "https://login.microsoftonline.com/consumers/oauth2/v2.0/token",
        api_base_url: "https://graph.microsoft.com/v1.0",
        user_path: "/me",
        emails_path: None,
        scope: &["User.Read", "offline_access"],
        scope_separator: " ",
        auth: ClientAuth::SecretPost,
        map: microsoft_graph,
    },
    Preset {
        strategy: Strategy::Amazon,
        authorization_endpoint: "https://www.amazon.com/ap/oa",
        token_endpoint: "https://api.amazon.com/auth/o2/token",
        api_base_url: "https://api.amazon.com",
        user_path: "/user/profile",
        emails_path: None,
        scope: &["profile"],
        scope_separator: " ",
        auth: ClientAuth::SecretPost,
        map: amazon,
    },
    Preset {
        strategy: Strategy::Bitbucket,
        authorization_endpoint: "https://bitbucket.org/site/oauth2/authorize",
        token_endpoint: "https://bitbucket.org/site/oauth2/access_token",
        api_base_url: "https://api.bitbucket.org/2.0",
        user_path: "/user",
        emails_path: Some("/user/emails"),
        scope: &["account", "email"],
        scope_separator: " ",
        auth: ClientAuth::SecretBasic,
        map: bitbucket,
    },
    Preset {
        strategy: Strategy::Gitlab,
        authorization_endpoint: "https://gitlab.com/oauth/authorize",
        token_endpoint: "https://gitlab.com/oauth/token",
        api_base_url: "https://gitlab.com/api/v4",
        user_path: "/user",
        emails_path: None,
        scope: &["read_user"],
        scope_separator: " ",
        auth: ClientAuth::SecretPost,
        map: gitlab,
    },
    Preset {
        strategy: Strategy::Discord,
        authorization_endpoint: "https://discord.com/oauth2/authorize",
        token_endpoint: "https://discord.com/api/oauth2/token",
        api_base_url: "https://discord.com/api",
        user_path: "/users/@me",
        emails_path: None,
        scope: &["identify", "email"],
        scope_separator: " ",
        auth: ClientAuth::SecretPost,
        map: discord,
    },
    Preset {
        strategy: Strategy::Slack,
        authorization_endpoint: "https://slack.com/openid/connect/authorize",
        token_endpoint: "https://slack.com/api/openid.connect.token",
        api_base_url: "https://slack.com/api",
        user_path: "/openid.connect.userInfo",
        emails_path: None,
        scope: &["openid", "profile", "email"],
        scope_separator: " ",
        auth: ClientAuth::SecretPost,
        map: slack,
    },
    Preset {
        strategy: Strategy::Twitter,
        authorization_endpoint: "https://x.com/i/oauth2/authorize",
        token_endpoint: "https://api.x.com/2/oauth2/token",
        api_base_url: "https://api.x.com/2",
        user_path: "/users/me?user.fields=profile_image_url",
        emails_path: None,
        scope: &["users.read", "tweet.read", "offline.access"],
        scope_separator: " ",
        auth: ClientAuth::SecretBasic,
        map: twitter,
    },
];

/// The preset of a strategy, if it is one of these.
pub(crate) fn preset(strategy: Strategy) -> Option<&'static Preset> {
    PRESETS.iter().find(|preset| preset.strategy == strategy)
}

// ------------------------------------------------------------ mappings

fn text(value: &Value, path: &str) -> Option<String> {
    mapping::text(mapping::at_path(value, path))
}

/// An id that is a string or a number (never empty).
fn id(value: &Value, path: &str) -> Option<String> {
    text(value, path)
}

fn unverified(email: Option<String>) -> (Option<String>, bool) {
    (email, false)
}

/// Graph API `/me` with `id,name,email,first_name,last_name,picture`.
fn facebook(user: &Value, _: Option<&Value>) -> Option<(String, UpstreamProfile)> {
    let (email, email_verified) = unverified(text(user, "email"));
    Some((
        id(user, "id")?,
        UpstreamProfile {
            email,
            email_verified,
            username: None,
            name: text(user, "name"),
            nickname: text(user, "first_name"),
            given_name: text(user, "first_name"),
            family_name: text(user, "last_name"),
            picture: text(user, "picture.data.url"),
        },
    ))
}

/// OpenID Connect user-info (LinkedIn's `/v2/userinfo`).
fn standard_claims(user: &Value, _: Option<&Value>) -> Option<(String, UpstreamProfile)> {
    let claims = user.as_object()?;
    Some((id(user, "sub")?, mapping::from_standard_claims(claims)))
}

/// Microsoft Graph `/me`: `mail`, else the sign-in name.
fn microsoft_graph(user: &Value, _: Option<&Value>) -> Option<(String, UpstreamProfile)> {
    let email = text(user, "mail")
        .or_else(|| text(user, "userPrincipalName").filter(|upn| upn.contains('@')));
    let (email, email_verified) = unverified(email);
    Some((
        id(user, "id")?,
        UpstreamProfile {
            nickname: email
                .as_deref()
                .and_then(|e| e.split('@').next())
                .map(str::to_owned),
            email,
            email_verified,
            username: None,
            name: text(user, "displayName"),
            given_name: text(user, "givenName"),
            family_name: text(user, "surname"),
            picture: None,
        },
    ))
}

/// Login with Amazon `/user/profile`.
fn amazon(user: &Value, _: Option<&Value>) -> Option<(String, UpstreamProfile)> {
    let (email, email_verified) = unverified(text(user, "email"));
    Some((
        id(user, "user_id")?,
        UpstreamProfile {
            email,
            email_verified,
            name: text(user, "name"),
            ..UpstreamProfile::default()
        },
    ))
}

/// Bitbucket `/2.0/user` and `/2.0/user/emails` (the primary, confirmed one).
fn bitbucket(user: &Value, emails: Option<&Value>) -> Option<(String, UpstreamProfile)> {
    let uuid = text(user, "uuid")?;
    let uuid = uuid
        .trim_start_matches('{')
        .trim_end_matches('}')
        .to_owned();
    let email = emails
        .and_then(|emails| emails.get("values"))
        .and_then(Value::as_array)
        .and_then(|values| {
            values.iter().find_map(|entry| {
                (entry.get("is_primary") == Some(&Value::Bool(true))
                    && entry.get("is_confirmed") == Some(&Value::Bool(true)))
                .then(|| text(entry, "email"))
                .flatten()
            })
        });
    Some((
        uuid,
        UpstreamProfile {
            email_verified: email.is_some(),
            email,
            username: None,
            name: text(user, "display_name"),
            nickname: text(user, "nickname").or_else(|| text(user, "username")),
            given_name: None,
            family_name: None,
            picture: text(user, "links.avatar.href"),
        },
    ))
}

/// GitLab `/api/v4/user`; the email is verified once `confirmed_at` is set.
fn gitlab(user: &Value, _: Option<&Value>) -> Option<(String, UpstreamProfile)> {
    let email = text(user, "email");
    Some((
        id(user, "id")?,
        UpstreamProfile {
            email_verified: email.is_some() && text(user, "confirmed_at").is_some(),
            email,
            username: None,
            name: text(user, "name"),
            nickname: text(user, "username"),
            given_name: None,
            family_name: None,
            picture: text(user, "avatar_url"),
        },
    ))
}

/// Discord `/users/@me`; the avatar is a hash on Discord's CDN.
fn discord(user: &Value, _: Option<&Value>) -> Option<(String, UpstreamProfile)> {
    let user_id = id(user, "id")?;
    let email = text(user, "email");
    let picture = text(user, "avatar")
        .filter(|hash| hash.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|hash| format!("https://cdn.discordapp.com/avatars/{user_id}/{hash}.png"));
    Some((
        user_id,
        UpstreamProfile {
            email_verified: email.is_some() && mapping::truthy(user.get("verified")),
            email,
            username: None,
            name: text(user, "global_name").or_else(|| text(user, "username")),
            nickname: text(user, "username"),
            given_name: None,
            family_name: None,
            picture,
        },
    ))
}

/// Sign in with Slack (OpenID Connect user-info). Slack user ids are unique
/// within a workspace, so the id carries the workspace (team) id.
fn slack(user: &Value, _: Option<&Value>) -> Option<(String, UpstreamProfile)> {
    let claims = user.as_object()?;
    let sub = id(user, "sub")?;
    let user_id = match mapping::text(claims.get("https://slack.com/team_id")) {
        Some(team) => format!("{team}-{sub}"),
        None => sub,
    };
    Some((user_id, mapping::from_standard_claims(claims)))
}

/// X (Twitter) API v2 `/2/users/me`: no email.
fn twitter(user: &Value, _: Option<&Value>) -> Option<(String, UpstreamProfile)> {
    let data = user.get("data")?;
    Some((
        id(data, "id")?,
        UpstreamProfile {
            name: text(data, "name"),
            nickname: text(data, "username"),
            picture: text(data, "profile_image_url"),
            ..UpstreamProfile::default()
        },
    ))
}

// ------------------------------------------------------------ connector

/// The options every preset has (already validated by its options type).
#[derive(Deserialize)]
struct PresetOptions {
    client_id: Option<String>,
    client_secret: Option<Secret>,
    scope: Option<StringOrList>,
    authorization_endpoint: Option<HttpUrl>,
    token_endpoint: Option<HttpUrl>,
    userinfo_endpoint: Option<HttpUrl>,
    api_base_url: Option<HttpUrl>,
}

/// A preset, with the connection's credentials and overrides.
pub(crate) struct PresetConnector {
    preset: &'static Preset,
    upstreams: Arc<Upstreams>,
    credentials: ClientCredentials,
    authorization_endpoint: String,
    token_endpoint: String,
    user_endpoint: String,
    emails_endpoint: Option<String>,
    scope: String,
}

impl PresetConnector {
    pub(crate) fn new(
        preset: &'static Preset,
        options: &Value,
        upstreams: Arc<Upstreams>,
    ) -> Result<Self, RedirectError> {
        let options: PresetOptions = super::upstream::parse(options)?;
        let client_id = options.client_id.clone().ok_or_else(|| {
            RedirectError::Config(
                "`client_id` is required (Vestibule has no development keys)".into(),
            )
        })?;
        let pick = |value: &Option<HttpUrl>, default: String| {
            value
                .as_ref()
                .map_or(default, |url| url.as_str().to_owned())
        };
        let api = options
            .api_base_url
            .as_ref()
            .map_or(preset.api_base_url, |url| url.as_str())
            .trim_end_matches('/')
            .to_owned();
        Ok(Self {
            preset,
            upstreams,
            credentials: ClientCredentials {
                client_id,
                client_secret: options.client_secret.map(|s| s.expose().to_owned()),
                auth: preset.auth,
                client_assertion: None,
            },
            authorization_endpoint: pick(
                &options.authorization_endpoint,
                preset.authorization_endpoint.to_owned(),
            ),
            token_endpoint: pick(&options.token_endpoint, preset.token_endpoint.to_owned()),
            user_endpoint: pick(
                &options.userinfo_endpoint,
                format!("{api}{}", preset.user_path),
            ),
            emails_endpoint: preset.emails_path.map(|path| format!("{api}{path}")),
            scope: scope_or(options.scope.as_ref(), preset.scope).join(preset.scope_separator),
        })
    }
}

#[async_trait]
impl RedirectConnector for PresetConnector {
    async fn authorization_url(&self, request: &LoginRequest) -> Result<String, RedirectError> {
        let challenge = pkce_challenge(&request.pkce_verifier);
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", self.credentials.client_id.as_str()),
            ("redirect_uri", request.callback_url.as_str()),
            ("scope", self.scope.as_str()),
            ("state", request.state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        for (name, value) in &request.extra_params {
            params.push((name.as_str(), value.as_str()));
        }
        with_query(&self.authorization_endpoint, &params)
    }

    async fn callback(
        &self,
        request: &LoginRequest,
        params: &CallbackParams,
        _now_seconds: i64,
    ) -> Result<UpstreamIdentity, RedirectError> {
        let name = self.preset.strategy.as_str();
        let code = oauth2::code_param(params)?;
        let tokens = oauth2::exchange_code(
            &self.upstreams,
            &self.token_endpoint,
            &self.credentials,
            code,
            request,
            true,
        )
        .await?;
        let access_token = tokens
            .access_token
            .ok_or_else(|| RedirectError::Upstream(format!("{name} returned no access token")))?;
        let headers = BTreeMap::new();
        let user = oauth2::get_with_token(
            &self.upstreams,
            "user API",
            &self.user_endpoint,
            &access_token,
            &headers,
        )
        .await?;
        let emails = match &self.emails_endpoint {
            Some(url) => Some(
                oauth2::get_with_token(&self.upstreams, "emails API", url, &access_token, &headers)
                    .await?,
            ),
            None => None,
        };
        let (user_id, profile) = (self.preset.map)(&user, emails.as_ref()).ok_or_else(|| {
            RedirectError::Upstream(format!("{name} user API answered no user id"))
        })?;
        let mut raw = user.as_object().cloned().unwrap_or_default();
        if let Some(emails) = emails {
            raw.insert("emails".into(), emails);
        }
        Ok(UpstreamIdentity {
            user_id,
            profile,
            raw,
            access_token: Some(access_token),
            refresh_token: tokens.refresh_token,
            first_login: UpstreamProfile::default(),
        })
    }
}

#[cfg(test)]
mod tests;
