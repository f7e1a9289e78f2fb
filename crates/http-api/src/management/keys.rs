//! `/api/v2/keys/signing`: the tenant's token signing keys, and rotation.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Management;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use model::{KeyState, SigningKey};
use serde::Serialize;

/// A signing key as Auth0 shows it (public parts only).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SigningKeyView {
    pub kid: String,
    pub alg: String,
    /// PEM of the key's self-signed certificate.
    pub cert: String,
    pub fingerprint: String,
    pub thumbprint: String,
    pub current: bool,
    pub next: bool,
    pub previous: bool,
    pub revoked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl SigningKeyView {
    fn new(key: &SigningKey) -> Self {
        Self {
            kid: key.kid.clone(),
            alg: key.alg.as_str().to_owned(),
            cert: key.cert_pem.clone().unwrap_or_default(),
            fingerprint: certificate_fingerprint(key),
            thumbprint: key
                .public_jwk
                .get("x5t")
                .and_then(serde_json::Value::as_str)
                .unwrap_or(&key.kid)
                .to_owned(),
            current: key.state == KeyState::Current,
            next: key.state == KeyState::Next,
            previous: key.state == KeyState::Previous,
            revoked: key.state == KeyState::Revoked,
            current_since: key.current_since.map(model::clock::to_rfc3339),
            current_until: key.current_until.map(model::clock::to_rfc3339),
            revoked_at: key.revoked_at.map(model::clock::to_rfc3339),
        }
    }
}

/// The certificate's SHA-1 fingerprint as colon-separated hex, as Auth0 shows it
/// (taken from the JWK's `x5t`; the key id when there is no certificate).
fn certificate_fingerprint(key: &SigningKey) -> String {
    use base64::Engine as _;
    key.public_jwk
        .get("x5t")
        .and_then(serde_json::Value::as_str)
        .and_then(|x5t| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(x5t)
                .ok()
        })
        .map(|digest| {
            digest
                .iter()
                .map(|byte| format!("{byte:02X}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .unwrap_or_else(|| key.kid.clone())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RotatedKey {
    pub kid: String,
    pub cert: String,
}

#[utoipa::path(get, path = "/api/v2/keys/signing", tag = "keys",
    responses((status = 200, body = [SigningKeyView])),
    security(("bearer" = ["read:signing_keys"])))]
pub async fn list(
    State(state): State<AppState>,
    management: Management,
) -> Result<Json<Vec<SigningKeyView>>, ApiError> {
    management.require("read:signing_keys")?;
    let keys = state.engine.keys.records(management.tenant_id()).await?;
    Ok(Json(keys.iter().map(SigningKeyView::new).collect()))
}

#[utoipa::path(get, path = "/api/v2/keys/signing/{kid}", tag = "keys",
    params(("kid" = String, Path, description = "Key id")),
    responses((status = 200, body = SigningKeyView), (status = 404, description = "No such key")),
    security(("bearer" = ["read:signing_keys"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
    Path(kid): Path<String>,
) -> Result<Json<SigningKeyView>, ApiError> {
    management.require("read:signing_keys")?;
    let keys = state.engine.keys.records(management.tenant_id()).await?;
    let key = keys
        .iter()
        .find(|key| key.kid == kid)
        .ok_or_else(|| ApiError::not_found("signing key"))?;
    Ok(Json(SigningKeyView::new(key)))
}

#[utoipa::path(post, path = "/api/v2/keys/signing/rotate", tag = "keys",
    responses((status = 201, description = "The key that became current", body = RotatedKey)),
    security(("bearer" = ["create:signing_keys", "update:signing_keys"])))]
pub async fn rotate(
    State(state): State<AppState>,
    management: Management,
) -> Result<(StatusCode, Json<RotatedKey>), ApiError> {
    management.require("create:signing_keys")?;
    management.require("update:signing_keys")?;
    let tenant = management.tenant_id();
    state.engine.keys.rotate(tenant).await?;
    let keys = state.engine.keys.records(tenant).await?;
    let current = keys
        .iter()
        .find(|key| key.state == KeyState::Current && key.alg == model::SigningAlg::Rs256)
        .ok_or_else(|| ApiError::not_found("signing key"))?;
    Ok((
        StatusCode::CREATED,
        Json(RotatedKey {
            kid: current.kid.clone(),
            cert: current.cert_pem.clone().unwrap_or_default(),
        }),
    ))
}

#[utoipa::path(put, path = "/api/v2/keys/signing/{kid}/revoke", tag = "keys",
    params(("kid" = String, Path, description = "Key id")),
    responses((status = 200, body = RotatedKey), (status = 404, description = "No such key")),
    security(("bearer" = ["update:signing_keys"])))]
pub async fn revoke(
    State(state): State<AppState>,
    management: Management,
    Path(kid): Path<String>,
) -> Result<Json<RotatedKey>, ApiError> {
    management.require("update:signing_keys")?;
    let key = state
        .engine
        .keys
        .revoke(management.tenant_id(), &kid)
        .await?;
    Ok(Json(RotatedKey {
        kid: key.kid,
        cert: key.cert_pem.unwrap_or_default(),
    }))
}
