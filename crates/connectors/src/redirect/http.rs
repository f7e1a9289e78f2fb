//! Outbound HTTP to upstream providers, and what is cached from them.
//!
//! One `reqwest` client per destination port serves every upstream
//! (connection pooling), with a
//! connect timeout, a total timeout, **no redirects followed** (a redirect
//! is an error: an upstream API must answer where it is configured) and a
//! limit on the size of every response body, read in chunks so an endless
//! body is cut off. Discovery documents and JWKS are cached per URL for a
//! TTL; a JWKS is fetched again early when a token names an unknown `kid`,
//! at most once per [`UpstreamsConfig::jwks_refetch_interval`] per URL.
//!
//! Every request goes through the outbound guard's clients
//! ([`crate::outbound::http::GuardedClients`]): no request reaches an
//! address the operator has not allowed, whatever the URL or DNS says.

use super::upstream::RedirectError;
use crate::outbound::{self, OutboundPolicy, http::GuardedClients};
use crypto::PublicKey;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Limits and cache lifetimes.
#[derive(Debug, Clone)]
pub struct UpstreamsConfig {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub max_response_bytes: usize,
    pub discovery_ttl: Duration,
    pub jwks_ttl: Duration,
    pub jwks_refetch_interval: Duration,
    /// Which destinations tenants may reach (SSRF); the default refuses
    /// every private address.
    pub policy: OutboundPolicy,
}

impl Default for UpstreamsConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            max_response_bytes: 1024 * 1024,
            discovery_ttl: Duration::from_secs(600),
            jwks_ttl: Duration::from_secs(600),
            jwks_refetch_interval: Duration::from_secs(10),
            policy: OutboundPolicy::default(),
        }
    }
}

struct Cached<T> {
    fetched: Instant,
    value: T,
}

/// The shared outbound client and caches; one per process.
pub struct Upstreams {
    /// Guarded clients, one per destination port, built on first use:
    /// building loads the system's root certificates (~5 ms), which a
    /// server that never calls an upstream should not pay on the way to
    /// ready.
    clients: GuardedClients,
    config: UpstreamsConfig,
    discovery: Mutex<HashMap<String, Cached<Arc<Value>>>>,
    jwks: Mutex<HashMap<String, Cached<Arc<Vec<PublicKey>>>>>,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstreams")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn upstream(what: &str, error: impl std::fmt::Display) -> RedirectError {
    RedirectError::Upstream(format!("{what}: {error}"))
}

impl Upstreams {
    pub fn new(config: UpstreamsConfig) -> Self {
        let (connect, total) = (config.connect_timeout, config.total_timeout);
        let timeouts: outbound::http::Configure = Box::new(move |builder| {
            builder
                .connect_timeout(connect)
                .timeout(total)
                .user_agent(concat!("Vestibule/", env!("CARGO_PKG_VERSION")))
        });
        Self {
            clients: GuardedClients::new(config.policy.clone(), timeouts),
            config,
            discovery: Mutex::new(HashMap::new()),
            jwks: Mutex::new(HashMap::new()),
        }
    }

    /// A client to build requests with; [`json`](Self::json) sends them
    /// through the guarded client of their destination port.
    pub fn client(&self) -> Result<reqwest::Client, RedirectError> {
        self.clients
            .for_port(443)
            .map_err(|e| upstream("cannot build the HTTP client", e))
    }

    /// Sends a request and reads a JSON body of at most the size limit.
    /// Non-2xx answers are errors, except that `accept_error_json` lets a
    /// 4xx JSON body through (token endpoints answer `{"error": …}` so).
    pub async fn json(
        &self,
        what: &str,
        request: reqwest::RequestBuilder,
        accept_error_json: bool,
    ) -> Result<Value, RedirectError> {
        let (_builder, request) = request
            .header(reqwest::header::ACCEPT, "application/json")
            .build_split();
        let request = request.map_err(|_| upstream(what, "invalid request"))?;
        self.clients
            .check_url(request.url())
            .await
            .map_err(|refused| upstream(what, refused))?;
        let client = self
            .clients
            .for_url(request.url())
            .map_err(|e| upstream("cannot build the HTTP client", e))?;
        let mut response = client.execute(request).await.map_err(|e| {
            if let Some(refused) = outbound::refusal_in(&e) {
                upstream(what, refused)
            } else if e.is_timeout() {
                upstream(what, "timed out")
            } else {
                upstream(what, "unreachable")
            }
        })?;
        let status = response.status();
        if status.is_redirection() {
            return Err(upstream(what, "answered with a redirect"));
        }
        let client_error_allowed = accept_error_json && status.is_client_error();
        if !status.is_success() && !client_error_allowed {
            return Err(upstream(what, format!("answered HTTP {}", status.as_u16())));
        }
        if response
            .content_length()
            .is_some_and(|len| len > self.config.max_response_bytes as u64)
        {
            return Err(upstream(what, "response too large"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            if e.is_timeout() {
                upstream(what, "timed out")
            } else {
                upstream(what, "response interrupted")
            }
        })? {
            if body.len() + chunk.len() > self.config.max_response_bytes {
                return Err(upstream(what, "response too large"));
            }
            body.extend_from_slice(&chunk);
        }
        let value: Value =
            serde_json::from_slice(&body).map_err(|_| upstream(what, "answer is not JSON"))?;
        if !status.is_success() && value.get("error").is_none() {
            return Err(upstream(what, format!("answered HTTP {}", status.as_u16())));
        }
        Ok(value)
    }

    /// A discovery document, from the cache while fresh.
    pub async fn discovery(&self, url: &str) -> Result<Arc<Value>, RedirectError> {
        if let Some(document) = self.cached(&self.discovery, url, self.config.discovery_ttl) {
            return Ok(document);
        }
        let document = self
            .json("discovery", self.client()?.get(url), false)
            .await?;
        if !document.is_object() {
            return Err(upstream("discovery", "answer is not a JSON object"));
        }
        let document = Arc::new(document);
        if let Ok(mut cache) = self.discovery.lock() {
            cache.insert(
                url.to_owned(),
                Cached {
                    fetched: Instant::now(),
                    value: document.clone(),
                },
            );
        }
        Ok(document)
    }

    /// The usable signing keys of a JWKS. `refresh` asks for a fresh copy
    /// (unknown `kid`), granted when the cached one is older than the
    /// refetch interval.
    pub async fn jwks(
        &self,
        url: &str,
        refresh: bool,
    ) -> Result<Arc<Vec<PublicKey>>, RedirectError> {
        let max_age = if refresh {
            self.config.jwks_refetch_interval
        } else {
            self.config.jwks_ttl
        };
        if let Some(keys) = self.cached(&self.jwks, url, max_age) {
            return Ok(keys);
        }
        let document = self.json("JWKS", self.client()?.get(url), false).await?;
        let keys = crypto::parse_jwks(&document).map_err(|e| upstream("JWKS", e))?;
        let keys = Arc::new(keys);
        if let Ok(mut cache) = self.jwks.lock() {
            cache.insert(
                url.to_owned(),
                Cached {
                    fetched: Instant::now(),
                    value: keys.clone(),
                },
            );
        }
        Ok(keys)
    }

    fn cached<T: Clone>(
        &self,
        cache: &Mutex<HashMap<String, Cached<T>>>,
        url: &str,
        max_age: Duration,
    ) -> Option<T> {
        let cache = cache.lock().ok()?;
        let entry = cache.get(url)?;
        (entry.fetched.elapsed() < max_age).then(|| entry.value.clone())
    }
}
