//! Value types shared by several strategies' options.
//!
//! Checks that concern a single value (URL scheme, certificate encoding, enum
//! spelling) run while deserializing, so a failure carries the exact JSON path
//! of the value, nested or not.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A write-only option value (client secret, bind password, …).
///
/// Serializes as the plain string so the caller can seal it; `Debug` never
/// shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// An absolute `http(s)` URL, kept as the caller wrote it.
///
/// `https` is required, except for loopback hosts (`localhost`,
/// `127.0.0.0/8`, `[::1]`): that exception exists so tests and local
/// development can point a connection at a stub server; traffic to a loopback
/// host never leaves the machine. URLs carrying credentials
/// (`https://user:pass@host`) are refused: secrets belong in secret fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub fn parse(input: &str) -> Result<HttpUrl, String> {
        let url = url::Url::parse(input).map_err(|e| format!("must be an absolute URL ({e})"))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err("must use https (http is allowed only for loopback hosts)".into());
            }
            _ => return Err("must be an http(s) URL".into()),
        }
        if url.host().is_none() {
            return Err("must name a host".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not contain credentials".into());
        }
        Ok(HttpUrl(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        HttpUrl::parse(&raw).map_err(de::Error::custom)
    }
}

/// True for `localhost`, `127.0.0.0/8` and `[::1]`.
pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        // Non-special schemes (`ldap://`) leave IP literals unparsed.
        Some(url::Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost")
                || domain
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A value Auth0 accepts either as one string or as an array of strings
/// (`scope`, google's `allowed_audiences`). The form given is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StringOrList {
    Text(String),
    List(Vec<String>),
}

impl StringOrList {
    /// The items: the array, or the string split on spaces and commas.
    pub fn items(&self) -> Vec<&str> {
        match self {
            StringOrList::Text(text) => text
                .split([' ', ','])
                .filter(|item| !item.is_empty())
                .collect(),
            StringOrList::List(list) => list.iter().map(String::as_str).collect(),
        }
    }
}

impl<'de> Deserialize<'de> for StringOrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringOrListVisitor;

        impl<'de> Visitor<'de> for StringOrListVisitor {
            type Value = StringOrList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<StringOrList, E> {
                Ok(StringOrList::Text(value.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringOrList, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(StringOrList::List(items))
            }
        }

        deserializer.deserialize_any(StringOrListVisitor)
    }
}

/// Auth0's `set_user_root_attributes`: when the user's root profile
/// attributes are refreshed from the identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetUserRootAttributes {
    /// At every login (Auth0's default when absent).
    OnEachLogin,
    /// At the first login only, so the application may edit them afterwards.
    OnFirstLogin,
    /// Never.
    NeverOnLogin,
}

/// Whether the provider's `email_verified` is believed
/// (`should_trust_email_verified_connection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustEmailVerified {
    NeverSetEmailsAsVerified,
    AlwaysSetEmailsAsVerified,
}

/// Request parameters that Auth0 forwards to the upstream identity provider
/// (`upstream_params`), keyed by the upstream parameter name.
pub type UpstreamParams = BTreeMap<String, UpstreamParam>;

/// One upstream parameter: a fixed `value`, or an `alias` naming the
/// `/authorize` parameter whose value is forwarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawUpstreamParam")]
pub enum UpstreamParam {
    #[serde(rename = "value")]
    Value(String),
    #[serde(rename = "alias")]
    Alias(UpstreamAlias),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstreamParam {
    value: Option<String>,
    alias: Option<UpstreamAlias>,
}

impl TryFrom<RawUpstreamParam> for UpstreamParam {
    type Error = String;

    fn try_from(raw: RawUpstreamParam) -> Result<Self, Self::Error> {
        match (raw.value, raw.alias) {
            (Some(value), None) => Ok(UpstreamParam::Value(value)),
            (None, Some(alias)) => Ok(UpstreamParam::Alias(alias)),
            _ => Err("must have exactly one of `value` or `alias`".into()),
        }
    }
}

/// The `/authorize` parameters Auth0 allows as an upstream `alias`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamAlias {
    AcrValues,
    Audience,
    ClientId,
    Display,
    IdTokenHint,
    LoginHint,
    MaxAge,
    Prompt,
    Resource,
    ResponseMode,
    ResponseType,
    UiLocales,
}

/// An X.509 certificate given as PEM or as base64 DER (both forms Auth0
/// accepts for `signingCert`). Kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Certificate(String);

impl Certificate {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Certificate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use base64::Engine as _;
        let raw = String::deserialize(deserializer)?;
        let trimmed = raw.trim();
        if trimmed.starts_with("-----BEGIN CERTIFICATE-----") {
            if !trimmed.ends_with("-----END CERTIFICATE-----") {
                return Err(de::Error::custom("PEM certificate is not terminated"));
            }
            return Ok(Certificate(raw));
        }
        let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| de::Error::custom("must be a PEM certificate or base64 DER"))?;
        // A DER certificate is an ASN.1 SEQUENCE.
        if der.first() != Some(&0x30) {
            return Err(de::Error::custom("base64 value is not a DER certificate"));
        }
        Ok(Certificate(raw))
    }
}

/// Serializes a `BTreeMap<String, Secret>` (and similar) unchanged; kept here
/// so option types can name the intent.
pub type SecretMap = BTreeMap<String, Secret>;
