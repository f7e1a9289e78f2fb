//! Options of the OpenID Connect enterprise strategies: `oidc` (any OpenID
//! Provider) and `okta` (Okta Workforce, an OpenID Provider at a known
//! domain).

use super::common::{HttpUrl, Secret, SetUserRootAttributes, UpstreamParams};
use super::validation::{OptionsError, StrategyOptions};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How the authorization response comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OidcType {
    /// The ID token comes back through the browser (`response_type=id_token`,
    /// form post); no client secret is needed. Auth0's default.
    FrontChannel,
    /// Authorization code exchanged at the token endpoint.
    BackChannel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    ClientSecretPost,
    PrivateKeyJwt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pkce {
    #[serde(rename = "auto")]
    Auto,
    S256,
    #[serde(rename = "plain")]
    Plain,
    #[serde(rename = "disabled")]
    Disabled,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSettings {
    pub pkce: Option<Pkce>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingMode {
    UseMap,
    BindAll,
    BasicProfile,
}

/// How claims from the provider map onto the user profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeMap {
    pub mapping_mode: Option<MappingMode>,
    pub userinfo_scope: Option<String>,
    pub attributes: Option<Map<String, Value>>,
}

/// Options of an `oidc` connection.
///
/// Either `discovery_url` is given, or the provider is described by hand:
/// `issuer`, `authorization_endpoint` and `jwks_uri`, plus `token_endpoint`
/// for `back_channel`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcOptions {
    #[serde(rename = "type")]
    pub kind: Option<OidcType>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub discovery_url: Option<HttpUrl>,
    pub issuer: Option<HttpUrl>,
    pub authorization_endpoint: Option<HttpUrl>,
    pub token_endpoint: Option<HttpUrl>,
    pub userinfo_endpoint: Option<HttpUrl>,
    pub jwks_uri: Option<HttpUrl>,
    /// Space-separated; `openid` is always sent.
    pub scope: Option<String>,
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// `RS256` (default), `ES256` or `EdDSA`: the `private_key_jwt` signature.
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// Vestibule extension: the PKCS#8 PEM private key that signs
    /// `private_key_jwt` client assertions (its public key is registered at
    /// the provider). Secret: sealed, never shown.
    pub client_assertion_signing_key: Option<Secret>,
    /// Vestibule extension: the `kid` of that key at the provider (default:
    /// its RFC 7638 thumbprint).
    pub client_assertion_signing_kid: Option<String>,
    pub id_token_signed_response_algs: Option<Vec<String>>,
    pub send_back_channel_nonce: Option<bool>,
    pub connection_settings: Option<ConnectionSettings>,
    pub attribute_map: Option<AttributeMap>,
    /// Provider metadata as in OpenID Connect Discovery 1.0 §3, free-form.
    pub oidc_metadata: Option<Map<String, Value>>,
    pub domain_aliases: Option<Vec<String>>,
    pub tenant_domain: Option<String>,
    pub icon_url: Option<HttpUrl>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
    pub strategy_version: Option<u32>,
}

impl StrategyOptions for OidcOptions {
    fn check(&self) -> Result<(), OptionsError> {
        if self.client_id.is_none() {
            return Err(OptionsError::at("client_id", "is required"));
        }
        let back_channel = self.kind == Some(OidcType::BackChannel);
        if self.discovery_url.is_none() {
            let mut required: Vec<(&str, bool)> = vec![
                ("issuer", self.issuer.is_some()),
                (
                    "authorization_endpoint",
                    self.authorization_endpoint.is_some(),
                ),
                ("jwks_uri", self.jwks_uri.is_some()),
            ];
            if back_channel {
                required.push(("token_endpoint", self.token_endpoint.is_some()));
            }
            if let Some((name, _)) = required.iter().find(|(_, present)| !present) {
                return Err(OptionsError::at(
                    name,
                    "is required when `discovery_url` is not set",
                ));
            }
        }
        if back_channel {
            check_back_channel_secret(&self.client_secret, self.token_endpoint_auth_method)?;
        }
        if self.token_endpoint_auth_method == Some(TokenEndpointAuthMethod::PrivateKeyJwt)
            && back_channel
            && self.client_assertion_signing_key.is_none()
        {
            return Err(OptionsError::at(
                "client_assertion_signing_key",
                "is required with `private_key_jwt` (a PKCS#8 PEM private key)",
            ));
        }
        Ok(())
    }
}

/// A back-channel client authenticates at the token endpoint: with the
/// client secret unless it signs a `private_key_jwt` assertion.
fn check_back_channel_secret(
    client_secret: &Option<Secret>,
    method: Option<TokenEndpointAuthMethod>,
) -> Result<(), OptionsError> {
    if client_secret.is_none() && method != Some(TokenEndpointAuthMethod::PrivateKeyJwt) {
        return Err(OptionsError::at(
            "client_secret",
            "is required for back-channel connections (unless `token_endpoint_auth_method` is `private_key_jwt`)",
        ));
    }
    Ok(())
}

/// Options of an `okta` connection (always back channel).
///
/// `domain` is the Okta organization's host (`acme.okta.com`); the endpoints
/// are discovered from it unless given explicitly.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OktaOptions {
    pub domain: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub issuer: Option<HttpUrl>,
    pub authorization_endpoint: Option<HttpUrl>,
    pub token_endpoint: Option<HttpUrl>,
    pub userinfo_endpoint: Option<HttpUrl>,
    pub jwks_uri: Option<HttpUrl>,
    pub scope: Option<String>,
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    pub token_endpoint_auth_signing_alg: Option<String>,
    pub id_token_signed_response_algs: Option<Vec<String>>,
    pub connection_settings: Option<ConnectionSettings>,
    pub attribute_map: Option<AttributeMap>,
    pub oidc_metadata: Option<Map<String, Value>>,
    pub domain_aliases: Option<Vec<String>>,
    pub tenant_domain: Option<String>,
    pub icon_url: Option<HttpUrl>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
    pub strategy_version: Option<u32>,
}

impl StrategyOptions for OktaOptions {
    fn check(&self) -> Result<(), OptionsError> {
        match &self.domain {
            None => return Err(OptionsError::at("domain", "is required")),
            Some(domain) => check_hostname(domain, "domain")?,
        }
        if self.client_id.is_none() {
            return Err(OptionsError::at("client_id", "is required"));
        }
        check_back_channel_secret(&self.client_secret, self.token_endpoint_auth_method)
    }
}

/// A bare host name (`acme.okta.com`), not a URL.
pub(crate) fn check_hostname(host: &str, path: &str) -> Result<(), OptionsError> {
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if valid {
        Ok(())
    } else {
        Err(OptionsError::at(
            path,
            "must be a host name such as `example.com` (no scheme or path)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::options::tests::{assert_rejected, full_options, validate};
    use crate::strategy::Strategy;
    use serde_json::json;

    #[test]
    fn oidc_with_discovery_needs_only_client_id() {
        let out = validate(
            Strategy::Oidc,
            json!({"client_id": "c", "discovery_url": "https://idp.example/.well-known/openid-configuration"}),
        );
        assert_eq!(out["type"], "front_channel");
    }

    #[test]
    fn oidc_full_options_round_trip() {
        let full = full_options(Strategy::Oidc);
        assert_eq!(validate(Strategy::Oidc, full.clone()), full);
    }

    #[test]
    fn oidc_requires_client_id() {
        assert_rejected(
            Strategy::Oidc,
            json!({"discovery_url": "https://idp.example/.well-known/openid-configuration"}),
            "options.client_id",
        );
    }

    #[test]
    fn oidc_without_discovery_needs_issuer_and_endpoints() {
        let manual = json!({
            "client_id": "c",
            "issuer": "https://idp.example/",
            "authorization_endpoint": "https://idp.example/authorize",
            "jwks_uri": "https://idp.example/jwks",
        });
        validate(Strategy::Oidc, manual.clone());
        for (missing, field) in [
            ("issuer", "options.issuer"),
            ("authorization_endpoint", "options.authorization_endpoint"),
            ("jwks_uri", "options.jwks_uri"),
        ] {
            let mut options = manual.clone();
            options.as_object_mut().unwrap().remove(missing);
            assert_rejected(Strategy::Oidc, options, field);
        }
        assert_rejected(Strategy::Oidc, json!({"client_id": "c"}), "options.issuer");
    }

    #[test]
    fn oidc_back_channel_needs_token_endpoint_and_secret() {
        let mut options = json!({
            "type": "back_channel",
            "client_id": "c",
            "issuer": "https://idp.example/",
            "authorization_endpoint": "https://idp.example/authorize",
            "jwks_uri": "https://idp.example/jwks",
        });
        assert_rejected(Strategy::Oidc, options.clone(), "options.token_endpoint");
        options["token_endpoint"] = json!("https://idp.example/token");
        assert_rejected(Strategy::Oidc, options.clone(), "options.client_secret");
        options["client_secret"] = json!("s3cret");
        validate(Strategy::Oidc, options.clone());
        options.as_object_mut().unwrap().remove("client_secret");
        options["token_endpoint_auth_method"] = json!("private_key_jwt");
        assert_rejected(
            Strategy::Oidc,
            options.clone(),
            "options.client_assertion_signing_key",
        );
        options["client_assertion_signing_key"] = json!("-----BEGIN PRIVATE KEY-----");
        validate(Strategy::Oidc, options);
    }

    #[test]
    fn oidc_type_is_an_exact_enum() {
        assert_rejected(
            Strategy::Oidc,
            json!({"type": "backchannel", "client_id": "c"}),
            "options.type",
        );
    }

    #[test]
    fn oidc_endpoints_require_https_except_on_loopback() {
        validate(
            Strategy::Oidc,
            json!({"client_id": "c", "discovery_url": "http://127.0.0.1:4444/.well-known/openid-configuration"}),
        );
        assert_rejected(
            Strategy::Oidc,
            json!({"client_id": "c", "discovery_url": "http://idp.example/.well-known/openid-configuration"}),
            "options.discovery_url",
        );
    }

    #[test]
    fn oidc_nested_enum_error_has_its_path() {
        assert_rejected(
            Strategy::Oidc,
            json!({"client_id": "c", "discovery_url": "https://idp.example/", "connection_settings": {"pkce": "s256"}}),
            "options.connection_settings.pkce",
        );
    }

    #[test]
    fn okta_requires_a_domain_client_and_secret() {
        let minimal = json!({"domain": "acme.okta.com", "client_id": "c", "client_secret": "s"});
        assert_eq!(validate(Strategy::Okta, minimal.clone()), minimal);
        let full = full_options(Strategy::Okta);
        assert_eq!(validate(Strategy::Okta, full.clone()), full);
        assert_rejected(
            Strategy::Okta,
            json!({"client_id": "c", "client_secret": "s"}),
            "options.domain",
        );
        assert_rejected(
            Strategy::Okta,
            json!({"domain": "https://acme.okta.com", "client_id": "c", "client_secret": "s"}),
            "options.domain",
        );
        assert_rejected(
            Strategy::Okta,
            json!({"domain": "acme.okta.com", "client_id": "c"}),
            "options.client_secret",
        );
    }
}
