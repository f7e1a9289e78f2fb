//! `apple`: Sign in with Apple, an OpenID Provider with two quirks.
//!
//! - **No static client secret.** The client secret is a JWT the client
//!   signs itself (ES256) with the team's `.p8` key (`app_secret`): header
//!   `kid`, claims `iss` = the team id, `sub` = the Services ID
//!   (`client_id`), `aud` = `https://appleid.apple.com`, `iat`, `exp`.
//!   Apple accepts up to six months; Vestibule signs a fresh one valid for
//!   five minutes for every token request, so none is stored or reused.
//! - **The name is sent once, unsigned.** With `name` or `email` scopes Apple
//!   requires `response_mode=form_post`, and only the first authorization
//!   carries a `user` form field (`{"name":{"firstName","lastName"},
//!   "email"}`). It is not part of the signed ID token, so it only ever
//!   names a user being created ([`UpstreamIdentity::first_login`]); its
//!   email is ignored: the ID token's `email` and `email_verified` (which
//!   Apple may send as the string `"true"`) are the only ones trusted.
//!
//! Authorization code without PKCE (Apple documents none; the `nonce`,
//! bound to this login and checked in the ID token, stops code injection),
//! the code exchanged with `client_secret_post`, the ID token verified
//! against Apple's JWKS (RS256, issuer `https://appleid.apple.com`,
//! `aud` = the Services ID). Every endpoint can be overridden in the options
//! (`authorization_endpoint`, `token_endpoint`, `jwks_uri`) for tests; the
//! issuer stays Apple's.

use super::assertion::apple_signing_key;
use super::http::Upstreams;
use super::id_token::{self, PROTOCOL_CLAIMS};
use super::mapping;
use super::oauth2::{self, ClientAuth, ClientCredentials};
use super::upstream::{
    CallbackMethod, CallbackParams, LoginRequest, RedirectConnector, RedirectError,
    UpstreamIdentity, UpstreamProfile, scope_or, with_query,
};
use crate::options::common::HttpUrl;
use crate::options::social::AppleOptions;
use async_trait::async_trait;
use crypto::{KeyPair, SigningAlg};
use serde_json::{Value, json};
use std::sync::Arc;

pub const ISSUER: &str = "https://appleid.apple.com";
pub const AUTHORIZATION_ENDPOINT: &str = "https://appleid.apple.com/auth/authorize";
pub const TOKEN_ENDPOINT: &str = "https://appleid.apple.com/auth/token";
pub const JWKS_URI: &str = "https://appleid.apple.com/auth/keys";
/// How long a client secret is valid (Apple's limit is six months).
const CLIENT_SECRET_LIFETIME_SECONDS: i64 = 300;
/// Apple signs its ID tokens with RS256.
const ID_TOKEN_ALGS: &[SigningAlg] = &[SigningAlg::Rs256];

/// A Sign in with Apple connection.
pub(crate) struct AppleConnector {
    upstreams: Arc<Upstreams>,
    client_id: String,
    team_id: String,
    kid: String,
    key: KeyPair,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    scope: Vec<String>,
}

fn url_or(value: &Option<HttpUrl>, default: &str) -> String {
    value
        .as_ref()
        .map_or_else(|| default.to_owned(), |url| url.as_str().to_owned())
}

impl AppleConnector {
    pub(crate) fn new(
        options: AppleOptions,
        upstreams: Arc<Upstreams>,
    ) -> Result<Self, RedirectError> {
        let required = |value: Option<String>, what: &str| {
            value.filter(|v| !v.is_empty()).ok_or_else(|| {
                RedirectError::Config(format!(
                    "{what} is required (Vestibule has no development keys)"
                ))
            })
        };
        let key = options
            .app_secret
            .as_ref()
            .map(|key| apple_signing_key(key.expose()))
            .transpose()?
            .ok_or_else(|| {
                RedirectError::Config("`app_secret` (the .p8 key) is required".into())
            })?;
        // An explicit `scope` wins; otherwise Auth0's `name` and `email`
        // flags, and both when neither is set.
        let scope = match (&options.scope, options.name, options.email) {
            (Some(scope), _, _) => scope_or(Some(scope), &[]),
            (None, None, None) => scope_or(None, &["name", "email"]),
            (None, name, email) => [("name", name), ("email", email)]
                .into_iter()
                .filter(|(_, on)| *on == Some(true))
                .map(|(scope, _)| scope.to_owned())
                .collect(),
        };
        Ok(Self {
            client_id: required(options.client_id, "`client_id` (the Services ID)")?,
            team_id: required(options.team_id, "`team_id`")?,
            kid: required(options.kid, "`kid`")?,
            key,
            authorization_endpoint: url_or(&options.authorization_endpoint, AUTHORIZATION_ENDPOINT),
            token_endpoint: url_or(&options.token_endpoint, TOKEN_ENDPOINT),
            jwks_uri: url_or(&options.jwks_uri, JWKS_URI),
            scope,
            upstreams,
        })
    }

    /// A fresh client secret for one token request.
    fn client_secret(&self, now_seconds: i64) -> Result<String, RedirectError> {
        let claims = json!({
            "iss": self.team_id,
            "iat": now_seconds,
            "exp": now_seconds + CLIENT_SECRET_LIFETIME_SECONDS,
            "aud": ISSUER,
            "sub": self.client_id,
        });
        self.key
            .sign_jwt(&self.kid, None, &claims)
            .map_err(|_| RedirectError::Config("cannot sign the Apple client secret".into()))
    }
}

/// The names in Apple's first-authorization `user` field (its email is
/// ignored: the signed ID token has the one to trust).
fn first_login_names(user: Option<&String>) -> UpstreamProfile {
    let Some(user) = user.and_then(|text| serde_json::from_str::<Value>(text).ok()) else {
        return UpstreamProfile::default();
    };
    let given_name = mapping::text(mapping::at_path(&user, "name.firstName"));
    let family_name = mapping::text(mapping::at_path(&user, "name.lastName"));
    let name = match (&given_name, &family_name) {
        (Some(given), Some(family)) => Some(format!("{given} {family}")),
        (Some(one), None) | (None, Some(one)) => Some(one.clone()),
        (None, None) => None,
    };
    UpstreamProfile {
        name,
        given_name,
        family_name,
        ..UpstreamProfile::default()
    }
}

#[async_trait]
impl RedirectConnector for AppleConnector {
    async fn authorization_url(&self, request: &LoginRequest) -> Result<String, RedirectError> {
        let scope = self.scope.join(" ");
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", request.callback_url.as_str()),
            ("state", request.state.as_str()),
            ("nonce", request.nonce.as_str()),
        ];
        if !scope.is_empty() {
            params.push(("scope", scope.as_str()));
            params.push(("response_mode", "form_post"));
        }
        for (name, value) in &request.extra_params {
            params.push((name.as_str(), value.as_str()));
        }
        with_query(&self.authorization_endpoint, &params)
    }

    async fn callback(
        &self,
        request: &LoginRequest,
        params: &CallbackParams,
        now_seconds: i64,
    ) -> Result<UpstreamIdentity, RedirectError> {
        let code = oauth2::code_param(params)?;
        let credentials = ClientCredentials {
            client_id: self.client_id.clone(),
            client_secret: Some(self.client_secret(now_seconds)?),
            auth: ClientAuth::SecretPost,
            client_assertion: None,
        };
        let tokens = oauth2::exchange_code(
            &self.upstreams,
            &self.token_endpoint,
            &credentials,
            code,
            request,
            false,
        )
        .await?;
        let id_token = tokens.id_token.as_deref().ok_or_else(|| {
            RedirectError::Upstream("Apple's token endpoint returned no ID token".into())
        })?;
        let rules = id_token::Rules {
            issuer: ISSUER,
            alternate_issuer: None,
            client_id: &self.client_id,
            jwks_uri: &self.jwks_uri,
            algs: ID_TOKEN_ALGS,
            nonce: &request.nonce,
        };
        let mut claims = id_token::verify(&self.upstreams, &rules, id_token, now_seconds).await?;
        let user_id = mapping::text(claims.get("sub"))
            .ok_or_else(|| RedirectError::InvalidIdToken("sub is missing".into()))?;
        for name in PROTOCOL_CLAIMS {
            claims.remove(*name);
        }
        let email = mapping::text(claims.get("email"));
        let profile = UpstreamProfile {
            email_verified: email.is_some() && mapping::truthy(claims.get("email_verified")),
            nickname: email
                .as_deref()
                .and_then(|e| e.split('@').next())
                .map(str::to_owned),
            email,
            ..UpstreamProfile::default()
        };
        Ok(UpstreamIdentity {
            user_id,
            profile,
            raw: claims,
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            first_login: first_login_names(params.get("user")),
        })
    }

    fn callback_method(&self) -> CallbackMethod {
        if self.scope.is_empty() {
            CallbackMethod::Query
        } else {
            CallbackMethod::FormPost
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_field_gives_names_only() {
        let user =
            r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"evil@example.com"}"#;
        let names = first_login_names(Some(&user.to_owned()));
        assert_eq!(names.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(names.given_name.as_deref(), Some("Ada"));
        assert_eq!(names.family_name.as_deref(), Some("Lovelace"));
        assert_eq!(names.email, None, "the unsigned email is never used");
        assert_eq!(first_login_names(None), UpstreamProfile::default());
        assert_eq!(
            first_login_names(Some(&"not json".to_owned())),
            UpstreamProfile::default()
        );
    }

    #[test]
    fn client_secrets_are_es256_jwts_for_apple() {
        let pem = crate::options::tests::APPLE_TEST_KEY;
        let key = apple_signing_key(pem).unwrap();
        let public = crypto::PublicKey::from_key_pair(&key, "KEY1234567").unwrap();
        let options: AppleOptions = serde_json::from_value(json!({
            "client_id": "com.example.web", "team_id": "TEAM123456",
            "kid": "KEY1234567", "app_secret": pem,
        }))
        .unwrap();
        let upstreams = Arc::new(Upstreams::new(Default::default()));
        let connector = AppleConnector::new(options, upstreams).unwrap();
        let secret = connector.client_secret(1_700_000_000).unwrap();
        let expected = crypto::Expectations::new("TEAM123456", ISSUER);
        let claims = crypto::verify_jwt(
            &secret,
            std::slice::from_ref(&public),
            &[SigningAlg::Es256],
            &expected,
            1_700_000_010,
        )
        .unwrap();
        assert_eq!(claims["sub"], "com.example.web");
        assert_eq!(claims["exp"], 1_700_000_300);
        assert_eq!(connector.callback_method(), CallbackMethod::FormPost);
        assert!(
            apple_signing_key("-----BEGIN PRIVATE KEY-----\nMIGT\n-----END PRIVATE KEY-----")
                .is_err()
        );
    }
}
