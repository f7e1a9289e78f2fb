//! `/api/v2/client-grants`: which client may get which scopes of which API.

use super::query::{Checkpoint, PageRequest};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Management};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use engine::management::client_grants::{self, ClientGrantCreate, ClientGrantUpdate};
use model::ClientGrant;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use storage::ClientGrantFilter;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientGrantView {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
}

impl ClientGrantView {
    fn json(grant: &ClientGrant) -> Value {
        serde_json::to_value(Self {
            id: grant.id.clone(),
            client_id: grant.client_id.clone(),
            audience: grant.audience.clone(),
            scope: grant.scope.clone(),
        })
        .unwrap_or(Value::Null)
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub include_totals: Option<String>,
    /// Checkpoint paging: the `next` value of the previous page.
    pub from: Option<String>,
    /// Checkpoint paging: records per page, 1–100.
    pub take: Option<String>,
    pub client_id: Option<String>,
    pub audience: Option<String>,
}

#[utoipa::path(get, path = "/api/v2/client-grants", tag = "client-grants", params(ListQuery),
    responses((status = 200, description = "Client grants: an array, `{client_grants, start, limit, total}` with include_totals, or `{client_grants, next}` with from/take", body = [ClientGrantView])),
    security(("bearer" = ["read:client_grants"])))]
pub async fn list(
    State(state): State<AppState>,
    management: Management,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    management.require("read:client_grants")?;
    let page = PageRequest::parse(
        query.page.as_deref(),
        query.per_page.as_deref(),
        query.include_totals.as_deref(),
    )?;
    let filter = ClientGrantFilter {
        client_id: query.client_id,
        audience: query.audience,
    };
    let checkpoint = Checkpoint::parse(query.from.as_deref(), query.take.as_deref())?;
    let paging = match &checkpoint {
        Some(checkpoint) => checkpoint.paging(),
        None => page.paging(),
    };
    let result =
        client_grants::list_client_grants(&state.engine, management.tenant_id(), &filter, &paging)
            .await?;
    let items = result.items.iter().map(ClientGrantView::json).collect();
    let body = match checkpoint {
        Some(checkpoint) => checkpoint.respond(
            "client_grants",
            items,
            result.items.last().map(|g| g.id.clone()),
        ),
        None => page.respond("client_grants", items, result.total),
    };
    Ok(Json(body))
}

#[utoipa::path(post, path = "/api/v2/client-grants", tag = "client-grants", request_body = ClientGrantCreate,
    responses((status = 201, body = ClientGrantView), (status = 409, description = "A grant for that client and audience exists")),
    security(("bearer" = ["create:client_grants"])))]
pub async fn create(
    State(state): State<AppState>,
    management: Management,
    ApiJson(input): ApiJson<ClientGrantCreate>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    management.require("create:client_grants")?;
    let grant =
        client_grants::create_client_grant(&state.engine, management.tenant_id(), &input).await?;
    Ok((StatusCode::CREATED, Json(ClientGrantView::json(&grant))))
}

#[utoipa::path(get, path = "/api/v2/client-grants/{id}", tag = "client-grants",
    params(("id" = String, Path, description = "Client grant id (cgr_…)")),
    responses((status = 200, body = ClientGrantView), (status = 404, description = "No such grant")),
    security(("bearer" = ["read:client_grants"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    management.require("read:client_grants")?;
    let grant = client_grants::get_client_grant(&state.engine, management.tenant_id(), &id).await?;
    Ok(Json(ClientGrantView::json(&grant)))
}

#[utoipa::path(patch, path = "/api/v2/client-grants/{id}", tag = "client-grants",
    params(("id" = String, Path, description = "Client grant id (cgr_…)")), request_body = ClientGrantUpdate,
    responses((status = 200, body = ClientGrantView), (status = 404, description = "No such grant")),
    security(("bearer" = ["update:client_grants"])))]
pub async fn update(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ClientGrantUpdate>,
) -> Result<Json<Value>, ApiError> {
    management.require("update:client_grants")?;
    let grant =
        client_grants::update_client_grant(&state.engine, management.tenant_id(), &id, &input)
            .await?;
    Ok(Json(ClientGrantView::json(&grant)))
}

#[utoipa::path(delete, path = "/api/v2/client-grants/{id}", tag = "client-grants",
    params(("id" = String, Path, description = "Client grant id (cgr_…)")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such grant")),
    security(("bearer" = ["delete:client_grants"])))]
pub async fn delete(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    management.require("delete:client_grants")?;
    client_grants::delete_client_grant(&state.engine, management.tenant_id(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
