//! `google-oauth2`: Google's OpenID Provider through the OIDC engine (back
//! channel, PKCE, user-info), with Google's documented endpoints. Each
//! endpoint can be overridden in the options (`authorization_endpoint`,
//! `token_endpoint`, `userinfo_endpoint`, `jwks_uri`) so that tests point the
//! preset at a local server; the issuer stays Google's.

use super::http::Upstreams;
use super::oidc::{
    DEFAULT_ALGS, Endpoints, Flow, OidcConfig, OidcConnector, Overrides, ProviderSource,
};
use super::upstream::{RedirectError, scope_or};
use crate::options::social::GoogleOAuth2Options;
use std::sync::Arc;

pub const ISSUER: &str = "https://accounts.google.com";
/// Google documents this second spelling of its issuer in ID tokens.
pub const ALTERNATE_ISSUER: &str = "accounts.google.com";
pub const AUTHORIZATION_ENDPOINT: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const TOKEN_ENDPOINT: &str = "https://oauth2.googleapis.com/token";
pub const USERINFO_ENDPOINT: &str = "https://openidconnect.googleapis.com/v1/userinfo";
pub const JWKS_URI: &str = "https://www.googleapis.com/oauth2/v3/certs";

pub(crate) fn connector(
    options: GoogleOAuth2Options,
    upstreams: Arc<Upstreams>,
) -> Result<OidcConnector, RedirectError> {
    let client_id = options.client_id.clone().ok_or_else(|| {
        RedirectError::Config("`client_id` is required (Vestibule has no development keys)".into())
    })?;
    let pick = |value: &Option<crate::options::common::HttpUrl>, default: &str| {
        value
            .as_ref()
            .map_or_else(|| default.to_owned(), |url| url.as_str().to_owned())
    };
    let mut scope = scope_or(options.scope.as_ref(), &["openid", "email", "profile"]);
    if !scope.iter().any(|s| s == "openid") {
        scope.insert(0, "openid".to_owned());
    }
    Ok(OidcConnector::new(
        OidcConfig {
            source: ProviderSource::Manual(Endpoints {
                issuer: ISSUER.to_owned(),
                authorization_endpoint: pick(
                    &options.authorization_endpoint,
                    AUTHORIZATION_ENDPOINT,
                ),
                token_endpoint: Some(pick(&options.token_endpoint, TOKEN_ENDPOINT)),
                userinfo_endpoint: Some(pick(&options.userinfo_endpoint, USERINFO_ENDPOINT)),
                jwks_uri: pick(&options.jwks_uri, JWKS_URI),
                token_endpoint_auth_methods: vec!["client_secret_post".into()],
                iss_parameter_supported: false,
            }),
            overrides: Overrides::default(),
            client_id,
            client_secret: options.client_secret.map(|s| s.expose().to_owned()),
            auth: None,
            flow: Flow::BackChannel,
            scope,
            algs: DEFAULT_ALGS.to_vec(),
            alternate_issuer: Some(ALTERNATE_ISSUER.to_owned()),
            pkce: true,
            send_nonce: true,
        },
        upstreams,
    ))
}
