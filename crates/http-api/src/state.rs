//! The state every handler shares, and the deployment settings it is built
//! from. Its own file, so that handlers depend on it without depending on
//! the module that assembles the application.

use crate::client_ip::TrustedProxies;
use axum::body::Bytes;
use engine::Engine;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Shared state of every handler. Extractors clone it for every request,
/// so it is one reference count (an `Engine` is a dozen).
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

pub struct SharedState {
    pub engine: Engine,
    /// Discovery documents, built once per issuer.
    pub discovery: DocumentCache,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

/// Deployment settings of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// `VESTIBULE_TRUSTED_PROXIES`.
    pub trusted_proxies: TrustedProxies,
}

impl AppState {
    pub fn new(engine: Engine, options: HttpOptions) -> Self {
        Self(Arc::new(SharedState {
            engine,
            discovery: DocumentCache::default(),
            trusted_proxies: options.trusted_proxies,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;
    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// Serialised discovery documents by issuer: the document depends on the
/// issuer alone, so each is built once, not per request. The caller says
/// how to build one, so this file needs nothing from the handlers.
#[derive(Default)]
pub struct DocumentCache(Mutex<HashMap<String, Bytes>>);

impl DocumentCache {
    pub fn get_or_build(&self, issuer: &str, build: impl FnOnce(&str) -> Bytes) -> Bytes {
        if let Ok(cache) = self.0.lock()
            && let Some(body) = cache.get(issuer)
        {
            return body.clone();
        }
        let body = build(issuer);
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() >= 10_000 {
                cache.clear();
            }
            cache.insert(issuer.to_owned(), body.clone());
        }
        body
    }
}
