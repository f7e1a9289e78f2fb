//! The enterprise OpenID Connect presets: `okta`, `waad` (Microsoft Entra
//! ID, v2 endpoints) and `google-apps` (Google Workspace). Each is the OIDC
//! engine with the provider's documented endpoints and one rule of its own:
//!
//! - `okta`: discovery at `https://{domain}/.well-known/openid-configuration`,
//!   issuer `https://{domain}` (the org authorization server) unless
//!   `issuer` names a custom one;
//! - `waad`: one directory (`tenant_domain` or `tenant_id`) has its own
//!   issuer, checked exactly; a multi-tenant app (`waad_common_endpoint`)
//!   uses `organizations`, whose documents name the issuer template
//!   `https://login.microsoftonline.com/{tenantid}/v2.0`: the ID token's
//!   issuer must be that template filled with the token's own `tid`, so a
//!   token issued by one directory can never claim another's;
//! - `google-apps`: only users of the configured Workspace domains: the ID
//!   token's `hd` claim must be one of them (`hd=` in the authorization
//!   request is only a hint to Google's account chooser).

use super::google;
use super::http::Upstreams;
use super::oidc::{
    DEFAULT_ALGS, Endpoints, Flow, OidcConfig, OidcConnector, Overrides, ProviderSource,
};
use super::upstream::{
    CallbackMethod, CallbackParams, LoginRequest, RedirectConnector, RedirectError,
    UpstreamIdentity, scope_or,
};
use crate::options::common::HttpUrl;
use crate::options::enterprise::{GoogleAppsOptions, WaadOptions};
use crate::options::oidc::OktaOptions;
use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;

/// Entra ID's login host.
pub const MICROSOFT_LOGIN: &str = "https://login.microsoftonline.com";
/// The issuer template of multi-tenant (`organizations`) documents.
pub const TENANT_ISSUER_PLACEHOLDER: &str = "{tenantid}";

fn url_text(url: &Option<HttpUrl>) -> Option<String> {
    url.as_ref().map(|u| u.as_str().to_owned())
}

fn required_client_id(client_id: &Option<String>) -> Result<String, RedirectError> {
    client_id
        .clone()
        .ok_or_else(|| RedirectError::Config("`client_id` is required".into()))
}

/// A bare host name (`acme.okta.com`), as options validation also demands.
fn host(value: &str, name: &str) -> Result<String, RedirectError> {
    let valid = !value.is_empty()
        && value.len() <= 253
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if valid {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(RedirectError::Config(format!(
            "`{name}` is not a host name"
        )))
    }
}

/// The `okta` connector.
pub(crate) fn okta(
    options: OktaOptions,
    upstreams: Arc<Upstreams>,
) -> Result<OidcConnector, RedirectError> {
    let domain = host(
        options
            .domain
            .as_deref()
            .ok_or_else(|| RedirectError::Config("`domain` is required".into()))?,
        "domain",
    )?;
    let issuer = url_text(&options.issuer).unwrap_or_else(|| format!("https://{domain}"));
    let discovery = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let mut scope = vec!["openid".to_owned()];
    for item in options
        .scope
        .as_deref()
        .unwrap_or("openid profile email")
        .split(' ')
    {
        if !item.is_empty() && !scope.iter().any(|s| s == item) {
            scope.push(item.to_owned());
        }
    }
    Ok(OidcConnector::new(
        OidcConfig {
            source: ProviderSource::Discovery {
                url: discovery,
                issuer: Some(issuer),
            },
            overrides: Overrides {
                authorization_endpoint: url_text(&options.authorization_endpoint),
                token_endpoint: url_text(&options.token_endpoint),
                userinfo_endpoint: url_text(&options.userinfo_endpoint),
                jwks_uri: url_text(&options.jwks_uri),
            },
            client_id: required_client_id(&options.client_id)?,
            client_secret: options.client_secret.map(|s| s.expose().to_owned()),
            auth: None,
            flow: Flow::BackChannel,
            scope,
            algs: DEFAULT_ALGS.to_vec(),
            alternate_issuer: None,
            pkce: true,
            send_nonce: true,
        },
        upstreams,
    ))
}

/// The `waad` connector (OpenID Connect, v2 endpoints).
pub(crate) fn waad(
    options: WaadOptions,
    upstreams: Arc<Upstreams>,
) -> Result<OidcConnector, RedirectError> {
    let common =
        options.waad_common_endpoint == Some(true) || options.use_common_endpoint == Some(true);
    let (directory, issuer) = if common {
        (
            "organizations".to_owned(),
            format!("{MICROSOFT_LOGIN}/{TENANT_ISSUER_PLACEHOLDER}/v2.0"),
        )
    } else {
        let directory = match (&options.tenant_id, &options.tenant_domain, &options.domain) {
            (Some(id), _, _) => host(id, "tenant_id")?,
            (None, Some(domain), _) | (None, None, Some(domain)) => host(domain, "tenant_domain")?,
            (None, None, None) => {
                return Err(RedirectError::Config(
                    "`tenant_domain` is required unless the app is multi-tenant".into(),
                ));
            }
        };
        (directory, String::new())
    };
    let base = format!("{MICROSOFT_LOGIN}/{directory}/v2.0");
    let discovery = format!("{base}/.well-known/openid-configuration");
    let source = match (common, &options.tenant_id) {
        (true, _) => ProviderSource::Discovery {
            url: discovery,
            issuer: Some(issuer.clone()),
        },
        // The directory's id is its issuer's path.
        (false, Some(_)) => ProviderSource::Discovery {
            url: discovery,
            issuer: Some(base.clone()),
        },
        (false, None) => ProviderSource::DirectoryDiscovery { url: discovery },
    };
    // Every endpoint given and the issuer known (a directory id, or the
    // multi-tenant pattern): nothing to discover, so a connection pointed
    // at a local server never asks Microsoft.
    let source = match (
        url_text(&options.authorization_endpoint),
        url_text(&options.token_endpoint),
        url_text(&options.jwks_uri),
    ) {
        (Some(authorization_endpoint), Some(token_endpoint), Some(jwks_uri))
            if common || options.tenant_id.is_some() =>
        {
            ProviderSource::Manual(Endpoints {
                issuer: if common { issuer } else { base },
                authorization_endpoint,
                token_endpoint: Some(token_endpoint),
                userinfo_endpoint: url_text(&options.userinfo_endpoint),
                jwks_uri,
                token_endpoint_auth_methods: vec![
                    "client_secret_post".into(),
                    "client_secret_basic".into(),
                ],
                iss_parameter_supported: false,
            })
        }
        _ => source,
    };
    let scope = scope_or(None, &["openid", "profile", "email", "offline_access"]);
    Ok(OidcConnector::new(
        OidcConfig {
            source,
            overrides: Overrides {
                authorization_endpoint: url_text(&options.authorization_endpoint),
                token_endpoint: url_text(&options.token_endpoint),
                userinfo_endpoint: url_text(&options.userinfo_endpoint),
                jwks_uri: url_text(&options.jwks_uri),
            },
            client_id: required_client_id(&options.client_id)?,
            client_secret: options.client_secret.map(|s| s.expose().to_owned()),
            auth: None,
            flow: Flow::BackChannel,
            scope,
            algs: DEFAULT_ALGS.to_vec(),
            alternate_issuer: None,
            pkce: true,
            send_nonce: true,
        },
        upstreams,
    ))
}

/// The `google-apps` connector: Google's OpenID Provider, restricted to
/// the configured Workspace domains.
pub(crate) struct GoogleAppsConnector {
    inner: OidcConnector,
    /// Lowercased; the first is sent as the `hd` hint.
    domains: Vec<String>,
}

impl GoogleAppsConnector {
    pub(crate) fn new(
        options: GoogleAppsOptions,
        upstreams: Arc<Upstreams>,
    ) -> Result<Self, RedirectError> {
        let mut domains = Vec::new();
        for domain in options
            .domain
            .iter()
            .chain(options.tenant_domain.iter())
            .chain(options.domain_aliases.iter().flatten())
        {
            let domain = host(domain, "domain")?;
            if !domains.contains(&domain) {
                domains.push(domain);
            }
        }
        if domains.is_empty() {
            return Err(RedirectError::Config(
                "`domain` is required: it restricts sign-in to the organization".into(),
            ));
        }
        let pick = |value: &Option<HttpUrl>, default: &str| {
            url_text(value).unwrap_or_else(|| default.to_owned())
        };
        let inner = OidcConnector::new(
            OidcConfig {
                source: ProviderSource::Manual(Endpoints {
                    issuer: google::ISSUER.to_owned(),
                    authorization_endpoint: pick(
                        &options.authorization_endpoint,
                        google::AUTHORIZATION_ENDPOINT,
                    ),
                    token_endpoint: Some(pick(&options.token_endpoint, google::TOKEN_ENDPOINT)),
                    userinfo_endpoint: Some(pick(
                        &options.userinfo_endpoint,
                        google::USERINFO_ENDPOINT,
                    )),
                    jwks_uri: pick(&options.jwks_uri, google::JWKS_URI),
                    token_endpoint_auth_methods: vec!["client_secret_post".into()],
                    iss_parameter_supported: false,
                }),
                overrides: Overrides::default(),
                client_id: required_client_id(&options.client_id)?,
                client_secret: options.client_secret.map(|s| s.expose().to_owned()),
                auth: None,
                flow: Flow::BackChannel,
                scope: vec!["openid".into(), "email".into(), "profile".into()],
                algs: DEFAULT_ALGS.to_vec(),
                alternate_issuer: Some(google::ALTERNATE_ISSUER.to_owned()),
                pkce: true,
                send_nonce: true,
            },
            upstreams,
        );
        Ok(Self { inner, domains })
    }
}

/// Whether the `hd` of a verified profile is one of `domains`.
fn hosted_domain_allowed(raw: &serde_json::Map<String, Value>, domains: &[String]) -> bool {
    raw.get("hd")
        .and_then(Value::as_str)
        .is_some_and(|hd| domains.iter().any(|d| d.eq_ignore_ascii_case(hd)))
}

#[async_trait]
impl RedirectConnector for GoogleAppsConnector {
    async fn authorization_url(&self, request: &LoginRequest) -> Result<String, RedirectError> {
        let mut request = request.clone();
        if !request.extra_params.iter().any(|(name, _)| name == "hd") {
            request
                .extra_params
                .push(("hd".into(), self.domains[0].clone()));
        }
        self.inner.authorization_url(&request).await
    }

    async fn callback(
        &self,
        request: &LoginRequest,
        params: &CallbackParams,
        now_seconds: i64,
    ) -> Result<UpstreamIdentity, RedirectError> {
        let identity = self.inner.callback(request, params, now_seconds).await?;
        if !hosted_domain_allowed(&identity.raw, &self.domains) {
            return Err(RedirectError::InvalidIdToken(
                "the user is not in one of the connection's Workspace domains (hd)".into(),
            ));
        }
        Ok(identity)
    }

    fn callback_method(&self) -> CallbackMethod {
        self.inner.callback_method()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_configured_hosted_domains_pass() {
        let domains = vec!["acme.com".to_owned(), "acme.org".to_owned()];
        let raw = |value: Value| value.as_object().cloned().unwrap();
        assert!(hosted_domain_allowed(
            &raw(json!({"hd": "acme.com"})),
            &domains
        ));
        assert!(hosted_domain_allowed(
            &raw(json!({"hd": "ACME.org"})),
            &domains
        ));
        assert!(!hosted_domain_allowed(
            &raw(json!({"hd": "evil.com"})),
            &domains
        ));
        assert!(!hosted_domain_allowed(
            &raw(json!({"hd": "acme.com.evil.com"})),
            &domains
        ));
        // A consumer Gmail account has no hd at all.
        assert!(!hosted_domain_allowed(
            &raw(json!({"email": "a@gmail.com"})),
            &domains
        ));
        assert!(!hosted_domain_allowed(&raw(json!({"hd": 7})), &domains));
    }

    #[test]
    fn hosts_are_checked() {
        assert_eq!(host("Acme.Okta.com", "domain").unwrap(), "acme.okta.com");
        for bad in [
            "",
            "acme.okta.com/evil",
            "evil@acme",
            "acme.okta.com:443",
            "a b",
        ] {
            assert!(host(bad, "domain").is_err(), "{bad}");
        }
    }
}
