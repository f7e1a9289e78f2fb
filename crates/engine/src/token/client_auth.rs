//! Client authentication at the token endpoint (RFC 6749 §2.3).
//!
//! Only the client's registered `token_endpoint_auth_method` is accepted
//! (SECURITY.md OA-CA-04). Every failure is the same `invalid_client`, and an
//! unknown client costs the same secret comparison as a known one.

use crate::Engine;
use crate::token::oauth_error::{ErrorCode, OAuthError};
use model::{Client, TenantId, TokenEndpointAuthMethod};

/// How the caller presented its credentials; the HTTP layer decides which
/// one it was (and refuses requests that use two at once).
#[derive(Clone, PartialEq, Eq)]
pub enum PresentedCredentials {
    /// HTTP Basic, already form-urldecoded (RFC 6749 §2.3.1).
    Basic { client_id: String, secret: String },
    /// `client_id` and `client_secret` in the request body.
    Post { client_id: String, secret: String },
    /// Only `client_id`: a public client.
    PublicId { client_id: String },
}

impl std::fmt::Debug for PresentedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, id) = match self {
            Self::Basic { client_id, .. } => ("basic", client_id),
            Self::Post { client_id, .. } => ("post", client_id),
            Self::PublicId { client_id } => ("public", client_id),
        };
        write!(f, "PresentedCredentials::{kind}({id})")
    }
}

impl PresentedCredentials {
    pub fn client_id(&self) -> &str {
        match self {
            Self::Basic { client_id, .. }
            | Self::Post { client_id, .. }
            | Self::PublicId { client_id } => client_id,
        }
    }
}

fn invalid_client() -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, "Client authentication failed")
}

/// Failures allowed per client id and IP within [`THROTTLE_WINDOW_MILLIS`].
pub const THROTTLE_MAX_FAILURES: u32 = 20;
/// How long a run of failures counts, and how long the block lasts.
pub const THROTTLE_WINDOW_MILLIS: i64 = 15 * 60 * 1000;
const THROTTLE_MAX_ENTRIES: usize = 100_000;

type ThrottleKey = (TenantId, String, String);

/// Guessing client secrets (SECURITY.md OA-CA-02): after
/// [`THROTTLE_MAX_FAILURES`] failed authentications of one client id from
/// one IP within the window, that pair is refused — with the same
/// `invalid_client` — until the window ends. Counted in memory per node, so
/// the token endpoint's hot path adds no query; a cluster of N nodes allows
/// at most N times the budget.
#[derive(Default)]
pub struct FailureThrottle {
    entries: std::sync::Mutex<std::collections::HashMap<ThrottleKey, (u32, i64)>>,
}

impl FailureThrottle {
    fn is_blocked(&self, key: &ThrottleKey, now: i64) -> bool {
        self.entries.lock().is_ok_and(|entries| {
            entries.get(key).is_some_and(|(failures, start)| {
                *failures >= THROTTLE_MAX_FAILURES && now - start < THROTTLE_WINDOW_MILLIS
            })
        })
    }

    fn record_failure(&self, key: ThrottleKey, now: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= THROTTLE_MAX_ENTRIES {
                entries.retain(|_, (_, start)| now - *start < THROTTLE_WINDOW_MILLIS);
            }
            let entry = entries.entry(key).or_insert((0, now));
            if now - entry.1 >= THROTTLE_WINDOW_MILLIS {
                *entry = (0, now);
            }
            entry.0 = entry.0.saturating_add(1);
        }
    }

    fn reset(&self, key: &ThrottleKey) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

/// Finds the client and checks its credentials; `ip` is the caller's
/// address, for throttling secret guessing.
pub async fn authenticate(
    engine: &Engine,
    tenant: &TenantId,
    presented: &PresentedCredentials,
    ip: Option<&str>,
) -> Result<Client, OAuthError> {
    let client_id = presented.client_id();
    if client_id.is_empty() || client_id.len() > 128 {
        return Err(invalid_client());
    }
    let key = (
        tenant.clone(),
        client_id.to_owned(),
        ip.unwrap_or("unknown").to_owned(),
    );
    let now = engine.now();
    if engine.client_auth_throttle.is_blocked(&key, now) {
        return Err(invalid_client());
    }
    let result = check(engine, tenant, presented).await;
    match &result {
        Ok(_) => engine.client_auth_throttle.reset(&key),
        Err(error) if error.code == ErrorCode::InvalidClient => {
            engine.client_auth_throttle.record_failure(key, now)
        }
        Err(_) => {}
    }
    result
}

async fn check(
    engine: &Engine,
    tenant: &TenantId,
    presented: &PresentedCredentials,
) -> Result<Client, OAuthError> {
    let client_id = presented.client_id();
    let client = engine
        .lookups
        .client(tenant, client_id)
        .await
        .map_err(OAuthError::from)?;
    let Some(client) = client else {
        // Spend the same work as a real comparison before answering.
        let _ = crypto::secrets::constant_time_eq(
            b"vestibule-unknown-client-padding",
            b"vestibule-unknown-client-padding",
        );
        return Err(invalid_client());
    };
    let (expected_method, secret) = match presented {
        PresentedCredentials::Basic { secret, .. } => {
            (TokenEndpointAuthMethod::ClientSecretBasic, Some(secret))
        }
        PresentedCredentials::Post { secret, .. } => {
            (TokenEndpointAuthMethod::ClientSecretPost, Some(secret))
        }
        PresentedCredentials::PublicId { .. } => (TokenEndpointAuthMethod::None, None),
    };
    if client.token_endpoint_auth_method != expected_method {
        return Err(invalid_client());
    }
    if let Some(secret) = secret {
        let stored =
            crate::management::clients::open_secret(engine, &client)?.ok_or_else(invalid_client)?;
        if !crypto::secrets::constant_time_eq(stored.as_slice(), secret.as_bytes()) {
            return Err(invalid_client());
        }
    }
    Ok(Client::clone(&client))
}

/// The end user's IP for a grant that logs a user in: the value of Auth0's
/// `auth0-forwarded-for` header when the client that authenticated is
/// confidential and trusted to send it (`is_token_endpoint_ip_header_trusted`),
/// else the request's own IP. A public client can put anything in a header,
/// so believing it would let anyone pick the address brute-force counters
/// see; a header that is not one IP address is ignored.
pub fn end_user_ip(
    client: &Client,
    forwarded_for: Option<&str>,
    ip: Option<&str>,
) -> Option<String> {
    let forwarded = forwarded_for
        .filter(|_| client.is_token_endpoint_ip_header_trusted && !client.is_public())
        .and_then(|value| value.trim().parse::<std::net::IpAddr>().ok());
    match forwarded {
        Some(address) => Some(address.to_string()),
        None => ip.map(str::to_owned),
    }
}
