//! `/api/v2/user-blocks`: the brute-force blocks of a user (by id) or of a
//! login identifier (`?identifier=`, which need not belong to an account),
//! and lifting them. `blocked: true` on the user is a different thing and
//! is changed through `PATCH /api/v2/users/{id}`.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Management};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use engine::users;
use serde::{Deserialize, Serialize};
use storage::LoginCounter;

/// One identifier blocked from one IP, or (without `ip`) from every IP
/// by the per-account cap.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlockView {
    pub identifier: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ip: String,
    /// The connection's id.
    pub connection: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlocksView {
    pub blocked_for: Vec<BlockView>,
}

fn blocks(counters: Vec<LoginCounter>) -> Json<BlocksView> {
    Json(BlocksView {
        blocked_for: counters
            .into_iter()
            .map(|counter| BlockView {
                identifier: counter.key.subject,
                ip: counter.key.ip,
                connection: counter.key.connection_id,
            })
            .collect(),
    })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IdentifierQuery {
    /// An email or username.
    pub identifier: Option<String>,
    /// Accepted for Auth0 compatibility.
    pub consider_brute_force_enablement: Option<String>,
}

fn identifier(query: IdentifierQuery) -> Result<String, ApiError> {
    query
        .identifier
        .filter(|i| !i.trim().is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query_string",
                "Query validation error: 'Missing required property: identifier' on property identifier",
            )
        })
}

#[utoipa::path(get, path = "/api/v2/user-blocks/{id}", tag = "user-blocks",
    params(("id" = String, Path, description = "user_id")),
    responses((status = 200, body = BlocksView), (status = 404, description = "No such user")),
    security(("bearer" = ["read:users"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<Json<BlocksView>, ApiError> {
    management.require("read:users")?;
    Ok(blocks(
        users::user_blocks(&state.engine, management.tenant_id(), &id).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v2/user-blocks/{id}", tag = "user-blocks",
    params(("id" = String, Path, description = "user_id")),
    responses((status = 204, description = "Unblocked"), (status = 404, description = "No such user")),
    security(("bearer" = ["update:users"])))]
pub async fn delete(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    management.require("update:users")?;
    users::unblock_user(&state.engine, management.tenant_id(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v2/user-blocks", tag = "user-blocks", params(IdentifierQuery),
    responses((status = 200, body = BlocksView)),
    security(("bearer" = ["read:users"])))]
pub async fn get_by_identifier(
    State(state): State<AppState>,
    management: Management,
    ApiQuery(query): ApiQuery<IdentifierQuery>,
) -> Result<Json<BlocksView>, ApiError> {
    management.require("read:users")?;
    let identifier = identifier(query)?;
    Ok(blocks(
        users::identifier_blocks(&state.engine, management.tenant_id(), &identifier).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v2/user-blocks", tag = "user-blocks", params(IdentifierQuery),
    responses((status = 204, description = "Unblocked")),
    security(("bearer" = ["update:users"])))]
pub async fn delete_by_identifier(
    State(state): State<AppState>,
    management: Management,
    ApiQuery(query): ApiQuery<IdentifierQuery>,
) -> Result<StatusCode, ApiError> {
    management.require("update:users")?;
    let identifier = identifier(query)?;
    users::unblock_identifier(&state.engine, management.tenant_id(), &identifier).await?;
    Ok(StatusCode::NO_CONTENT)
}
