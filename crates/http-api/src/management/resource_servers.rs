//! `/api/v2/resource-servers`: APIs that access tokens are issued for.

use super::query::{FieldSelection, PageRequest};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Management};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use engine::management::resource_servers::{self, ResourceServerInput};
use model::ResourceServer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScopeView {
    pub value: String,
    pub description: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResourceServerView {
    pub id: String,
    pub name: String,
    pub identifier: String,
    pub is_system: bool,
    pub scopes: Vec<ScopeView>,
    pub signing_alg: String,
    pub token_lifetime: i64,
    pub token_lifetime_for_web: i64,
    pub allow_offline_access: bool,
    pub skip_consent_for_verifiable_first_party_clients: bool,
    pub enforce_policies: bool,
    pub token_dialect: String,
}

impl ResourceServerView {
    fn json(server: &ResourceServer) -> Value {
        let view = Self {
            id: server.id.clone(),
            name: server.name.clone(),
            identifier: server.identifier.clone(),
            is_system: server.is_system,
            scopes: server
                .scopes
                .iter()
                .map(|s| ScopeView {
                    value: s.value.clone(),
                    description: s.description.clone(),
                })
                .collect(),
            signing_alg: server.signing_alg.as_str().to_owned(),
            token_lifetime: server.token_lifetime,
            token_lifetime_for_web: server.token_lifetime_for_web,
            allow_offline_access: server.allow_offline_access,
            skip_consent_for_verifiable_first_party_clients: server
                .skip_consent_for_verifiable_first_party_clients,
            enforce_policies: server.enforce_policies,
            token_dialect: server.token_dialect.clone(),
        };
        serde_json::to_value(view).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub include_totals: Option<String>,
    pub fields: Option<String>,
    pub include_fields: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FieldsQuery {
    pub fields: Option<String>,
    pub include_fields: Option<String>,
}

#[utoipa::path(get, path = "/api/v2/resource-servers", tag = "resource-servers", params(ListQuery),
    responses((status = 200, description = "APIs, as an array or wrapped with totals", body = [ResourceServerView])),
    security(("bearer" = ["read:resource_servers"])))]
pub async fn list(
    State(state): State<AppState>,
    management: Management,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    management.require("read:resource_servers")?;
    let page = PageRequest::parse(
        query.page.as_deref(),
        query.per_page.as_deref(),
        query.include_totals.as_deref(),
    )?;
    let fields = FieldSelection::parse(query.fields.as_deref(), query.include_fields.as_deref())?;
    let result = resource_servers::list_resource_servers(
        &state.engine,
        management.tenant_id(),
        &page.paging(),
    )
    .await?;
    let items = result
        .items
        .iter()
        .map(|s| fields.apply(ResourceServerView::json(s)))
        .collect();
    Ok(Json(page.respond("resource_servers", items, result.total)))
}

#[utoipa::path(post, path = "/api/v2/resource-servers", tag = "resource-servers", request_body = ResourceServerInput,
    responses((status = 201, body = ResourceServerView), (status = 409, description = "An API with that identifier exists")),
    security(("bearer" = ["create:resource_servers"])))]
pub async fn create(
    State(state): State<AppState>,
    management: Management,
    ApiJson(input): ApiJson<ResourceServerInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    management.require("create:resource_servers")?;
    let server =
        resource_servers::create_resource_server(&state.engine, management.tenant_id(), &input)
            .await?;
    Ok((StatusCode::CREATED, Json(ResourceServerView::json(&server))))
}

#[utoipa::path(get, path = "/api/v2/resource-servers/{id}", tag = "resource-servers",
    params(("id" = String, Path, description = "The API's id or its identifier"), FieldsQuery),
    responses((status = 200, body = ResourceServerView), (status = 404, description = "No such API")),
    security(("bearer" = ["read:resource_servers"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<FieldsQuery>,
) -> Result<Json<Value>, ApiError> {
    management.require("read:resource_servers")?;
    let fields = FieldSelection::parse(query.fields.as_deref(), query.include_fields.as_deref())?;
    let server =
        resource_servers::get_resource_server(&state.engine, management.tenant_id(), &id).await?;
    Ok(Json(fields.apply(ResourceServerView::json(&server))))
}

#[utoipa::path(patch, path = "/api/v2/resource-servers/{id}", tag = "resource-servers",
    params(("id" = String, Path, description = "The API's id or its identifier")), request_body = ResourceServerInput,
    responses((status = 200, body = ResourceServerView), (status = 404, description = "No such API")),
    security(("bearer" = ["update:resource_servers"])))]
pub async fn update(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ResourceServerInput>,
) -> Result<Json<Value>, ApiError> {
    management.require("update:resource_servers")?;
    let server = resource_servers::update_resource_server(
        &state.engine,
        management.tenant_id(),
        &id,
        &input,
    )
    .await?;
    Ok(Json(ResourceServerView::json(&server)))
}

#[utoipa::path(delete, path = "/api/v2/resource-servers/{id}", tag = "resource-servers",
    params(("id" = String, Path, description = "The API's id or its identifier")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such API")),
    security(("bearer" = ["delete:resource_servers"])))]
pub async fn delete(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    management.require("delete:resource_servers")?;
    resource_servers::delete_resource_server(&state.engine, management.tenant_id(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
