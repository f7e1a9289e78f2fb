//! Options of the SAML 2.0 and WS-Federation strategies: `samlp` (any SAML
//! identity provider), `pingfederate` (a SAML preset) and `adfs` (Active
//! Directory Federation Services over WS-Federation, also Auth0's strategy
//! for any WS-Fed identity provider).

use super::common::{
    Certificate, HttpUrl, Secret, SetUserRootAttributes, TrustEmailVerified, UpstreamParams,
};
use super::validation::{OptionsError, StrategyOptions};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureAlgorithm {
    RsaSha256,
    RsaSha1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestAlgorithm {
    Sha256,
    Sha1,
}

/// The binding of the AuthnRequest (SAML Bindings 2.0 §3.4, §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProtocolBinding {
    #[serde(rename = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")]
    HttpRedirect,
    #[serde(rename = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")]
    HttpPost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientProtocol {
    Samlp,
    Wsfed,
    Oauth2,
}

/// IdP-initiated sign-on: which application receives an unsolicited
/// response, and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpInitiated {
    pub enabled: Option<bool>,
    pub client_id: Option<String>,
    pub client_protocol: Option<ClientProtocol>,
    pub client_authorizequery: Option<String>,
}

/// A key pair the service provider uses (to sign requests or decrypt
/// assertions). `key` is secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPair {
    /// PEM private key. Secret.
    pub key: Option<Secret>,
    pub cert: Option<Certificate>,
}

/// One `fieldsMap` entry: a SAML attribute name, or several tried in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldSource {
    One(String),
    Many(Vec<String>),
}

/// Options of a `samlp` connection.
///
/// The identity provider is described by `signInEndpoint` + `signingCert`,
/// or by its metadata (`metadataUrl` or `metadataXml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlpOptions {
    #[serde(rename = "signInEndpoint")]
    pub sign_in_endpoint: Option<HttpUrl>,
    #[serde(rename = "signOutEndpoint")]
    pub sign_out_endpoint: Option<HttpUrl>,
    #[serde(rename = "disableSignout")]
    pub disable_signout: Option<bool>,
    /// The identity provider's signing certificate (PEM or base64 DER).
    #[serde(rename = "signingCert")]
    pub signing_cert: Option<Certificate>,
    #[serde(rename = "signSAMLRequest")]
    pub sign_saml_request: Option<bool>,
    #[serde(rename = "signatureAlgorithm")]
    pub signature_algorithm: Option<SignatureAlgorithm>,
    #[serde(rename = "digestAlgorithm")]
    pub digest_algorithm: Option<DigestAlgorithm>,
    #[serde(rename = "protocolBinding")]
    pub protocol_binding: Option<ProtocolBinding>,
    #[serde(rename = "requestTemplate")]
    pub request_template: Option<String>,
    /// Profile attribute → SAML attribute name(s).
    #[serde(rename = "fieldsMap")]
    pub fields_map: Option<BTreeMap<String, FieldSource>>,
    pub user_id_attribute: Option<String>,
    pub idpinitiated: Option<IdpInitiated>,
    #[serde(rename = "metadataUrl")]
    pub metadata_url: Option<HttpUrl>,
    #[serde(rename = "metadataXml")]
    pub metadata_xml: Option<String>,
    /// The service provider's entity id, when not the default.
    #[serde(rename = "entityId")]
    pub entity_id: Option<String>,
    pub signing_key: Option<KeyPair>,
    #[serde(rename = "decryptionKey")]
    pub decryption_key: Option<KeyPair>,
    pub debug: Option<bool>,
    pub cert_rollover_notification: Option<String>,
    pub domain_aliases: Option<Vec<String>>,
    pub tenant_domain: Option<String>,
    pub icon_url: Option<HttpUrl>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
    pub strategy_version: Option<u32>,
}

impl StrategyOptions for SamlpOptions {
    fn check(&self) -> Result<(), OptionsError> {
        if self.metadata_url.is_some() || self.metadata_xml.is_some() {
            return Ok(());
        }
        if self.sign_in_endpoint.is_none() {
            return Err(OptionsError::at(
                "signInEndpoint",
                "is required unless `metadataUrl` or `metadataXml` is given",
            ));
        }
        if self.signing_cert.is_none() {
            return Err(OptionsError::at(
                "signingCert",
                "is required unless `metadataUrl` or `metadataXml` is given",
            ));
        }
        Ok(())
    }
}

/// Options of a `pingfederate` connection: SAML against a PingFederate
/// server at `pingFederateBaseUrl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingFederateOptions {
    #[serde(rename = "pingFederateBaseUrl")]
    pub ping_federate_base_url: Option<HttpUrl>,
    #[serde(rename = "signingCert")]
    pub signing_cert: Option<Certificate>,
    #[serde(rename = "signSAMLRequest")]
    pub sign_saml_request: Option<bool>,
    #[serde(rename = "signatureAlgorithm")]
    pub signature_algorithm: Option<SignatureAlgorithm>,
    #[serde(rename = "digestAlgorithm")]
    pub digest_algorithm: Option<DigestAlgorithm>,
    pub idpinitiated: Option<IdpInitiated>,
    pub domain_aliases: Option<Vec<String>>,
    pub tenant_domain: Option<String>,
    pub icon_url: Option<HttpUrl>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
    pub strategy_version: Option<u32>,
}

impl StrategyOptions for PingFederateOptions {
    fn check(&self) -> Result<(), OptionsError> {
        if self.ping_federate_base_url.is_none() {
            return Err(OptionsError::at("pingFederateBaseUrl", "is required"));
        }
        if self.signing_cert.is_none() {
            return Err(OptionsError::at("signingCert", "is required"));
        }
        Ok(())
    }
}

/// Options of an `adfs` connection (WS-Federation).
///
/// The identity provider is described by `adfs_server` (the URL of its
/// federation metadata) or `fedMetadataXml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdfsOptions {
    pub adfs_server: Option<HttpUrl>,
    #[serde(rename = "fedMetadataXml")]
    pub fed_metadata_xml: Option<String>,
    #[serde(rename = "signInEndpoint")]
    pub sign_in_endpoint: Option<HttpUrl>,
    /// SHA-1 thumbprints (hex) of the accepted token-signing certificates.
    pub thumbprints: Option<Vec<String>>,
    pub prev_thumbprints: Option<Vec<String>>,
    #[serde(rename = "entityID")]
    pub entity_id: Option<String>,
    pub api_enable_users: Option<bool>,
    pub should_trust_email_verified_connection: Option<TrustEmailVerified>,
    pub cert_rollover_notification: Option<String>,
    pub domain_aliases: Option<Vec<String>>,
    pub tenant_domain: Option<String>,
    pub icon_url: Option<HttpUrl>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
    pub strategy_version: Option<u32>,
}

impl StrategyOptions for AdfsOptions {
    fn check(&self) -> Result<(), OptionsError> {
        if self.adfs_server.is_none() && self.fed_metadata_xml.is_none() {
            return Err(OptionsError::at(
                "adfs_server",
                "is required unless `fedMetadataXml` is given",
            ));
        }
        if let Some(thumbprints) = &self.thumbprints {
            for (index, thumbprint) in thumbprints.iter().enumerate() {
                let hex =
                    thumbprint.len() == 40 && thumbprint.chars().all(|c| c.is_ascii_hexdigit());
                if !hex {
                    return Err(OptionsError::at(
                        &format!("thumbprints[{index}]"),
                        "must be a SHA-1 thumbprint (40 hex digits)",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::options::tests::{TEST_CERT_B64, assert_rejected, full_options, validate};
    use crate::strategy::Strategy;
    use serde_json::json;

    #[test]
    fn samlp_minimal_gets_sha256_defaults() {
        let out = validate(
            Strategy::Samlp,
            json!({"signInEndpoint": "https://idp.example/sso", "signingCert": TEST_CERT_B64}),
        );
        assert_eq!(out["signatureAlgorithm"], "rsa-sha256");
        assert_eq!(out["digestAlgorithm"], "sha256");
        validate(
            Strategy::Samlp,
            json!({"metadataUrl": "https://idp.example/metadata"}),
        );
    }

    #[test]
    fn samlp_full_options_round_trip() {
        let full = full_options(Strategy::Samlp);
        assert_eq!(validate(Strategy::Samlp, full.clone()), full);
    }

    #[test]
    fn samlp_requires_an_idp_description() {
        assert_rejected(Strategy::Samlp, json!({}), "options.signInEndpoint");
        assert_rejected(
            Strategy::Samlp,
            json!({"signInEndpoint": "https://idp.example/sso"}),
            "options.signingCert",
        );
    }

    #[test]
    fn samlp_certificate_must_decode() {
        assert_rejected(
            Strategy::Samlp,
            json!({"signInEndpoint": "https://idp.example/sso", "signingCert": "not a cert!"}),
            "options.signingCert",
        );
        // Valid base64, but not DER.
        assert_rejected(
            Strategy::Samlp,
            json!({"signInEndpoint": "https://idp.example/sso", "signingCert": "aGVsbG8="}),
            "options.signingCert",
        );
        let pem =
            format!("-----BEGIN CERTIFICATE-----\n{TEST_CERT_B64}\n-----END CERTIFICATE-----\n");
        validate(
            Strategy::Samlp,
            json!({"signInEndpoint": "https://idp.example/sso", "signingCert": pem}),
        );
    }

    #[test]
    fn samlp_enums_are_exact() {
        let base = json!({"metadataUrl": "https://idp.example/metadata"});
        for (key, bad) in [
            ("signatureAlgorithm", "RSA-SHA256"),
            ("digestAlgorithm", "sha512"),
            ("protocolBinding", "HTTP-POST"),
        ] {
            let mut options = base.clone();
            options[key] = json!(bad);
            assert_rejected(Strategy::Samlp, options, &format!("options.{key}"));
        }
    }

    #[test]
    fn samlp_sign_in_endpoint_requires_https() {
        assert_rejected(
            Strategy::Samlp,
            json!({"signInEndpoint": "http://idp.example/sso", "signingCert": TEST_CERT_B64}),
            "options.signInEndpoint",
        );
    }

    #[test]
    fn pingfederate_minimal_and_full() {
        let minimal =
            json!({"pingFederateBaseUrl": "https://ping.example", "signingCert": TEST_CERT_B64});
        assert_eq!(validate(Strategy::PingFederate, minimal.clone()), minimal);
        let full = full_options(Strategy::PingFederate);
        assert_eq!(validate(Strategy::PingFederate, full.clone()), full);
        assert_rejected(
            Strategy::PingFederate,
            json!({"signingCert": TEST_CERT_B64}),
            "options.pingFederateBaseUrl",
        );
    }

    #[test]
    fn adfs_minimal_and_full() {
        let minimal = json!({"adfs_server": "https://adfs.example/FederationMetadata/2007-06/FederationMetadata.xml"});
        assert_eq!(validate(Strategy::Adfs, minimal.clone()), minimal);
        let full = full_options(Strategy::Adfs);
        assert_eq!(validate(Strategy::Adfs, full.clone()), full);
        assert_rejected(Strategy::Adfs, json!({}), "options.adfs_server");
        assert_rejected(
            Strategy::Adfs,
            json!({"fedMetadataXml": "<x/>", "thumbprints": ["abc"]}),
            "options.thumbprints[0]",
        );
    }
}
