//! `/api/v2/connections`: sources of users, and the clients that enable them.
//!
//! A write that leaves a connection enabled for applications whose login
//! cannot use its strategy yet (`samlp`, `ad`, `email`, …) succeeds, so
//! Auth0 exports import, and says so: a `warnings` member in the answer's
//! body (never in `GET`, so `PATCH` takes what `GET` returns) and a
//! `Warning: 299` header, the only channel of the 204 of `PATCH …/clients`.

use super::query::{Checkpoint, FieldSelection, PageRequest};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Management};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use engine::Engine;
use engine::management::connections::{
    self, ConnectionCreate, ConnectionUpdate, EnabledClientChange, Warning,
};
use model::{Connection, TenantId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use storage::ConnectionFilter;

/// A connection as the Management API shows it: secret options never appear.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub strategy: String,
    #[schema(value_type = Object)]
    pub options: Value,
    pub enabled_clients: Vec<String>,
    pub realms: Vec<String>,
    pub is_domain_connection: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_as_button: Option<bool>,
    pub metadata: BTreeMap<String, String>,
    /// Only in the answers of writes, never in `GET`: what the write left
    /// that its caller should know (`connection_cannot_log_in`: enabled for
    /// applications whose login page cannot offer its strategy yet).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

impl ConnectionView {
    fn new(connection: &Connection, enabled_clients: Vec<String>) -> Self {
        Self {
            id: connection.id.clone(),
            name: connection.name.clone(),
            display_name: connection.display_name.clone(),
            strategy: connection.strategy.clone(),
            options: connections::public_options(connection),
            enabled_clients,
            realms: connection.realms.clone(),
            is_domain_connection: connection.is_domain_connection,
            show_as_button: connection.show_as_button,
            metadata: connection.metadata.clone(),
            warnings: Vec::new(),
        }
    }

    async fn load(
        engine: &Engine,
        tenant: &TenantId,
        connection: &Connection,
    ) -> Result<Value, ApiError> {
        let enabled = connections::enabled_clients(engine, tenant, &connection.id).await?;
        Ok(serde_json::to_value(Self::new(connection, enabled)).unwrap_or(Value::Null))
    }

    /// The answer of a write: the connection with its warnings, which also
    /// go in `Warning` headers.
    async fn written(
        engine: &Engine,
        tenant: &TenantId,
        connection: &Connection,
    ) -> Result<(HeaderMap, Json<Value>), ApiError> {
        let enabled = connections::enabled_clients(engine, tenant, &connection.id).await?;
        let warnings = connections::offer::warnings_for(connection, &enabled);
        let headers = warning_headers(&warnings);
        let view = Self {
            warnings,
            ..Self::new(connection, enabled)
        };
        Ok((
            headers,
            Json(serde_json::to_value(view).unwrap_or(Value::Null)),
        ))
    }
}

/// RFC 7234's `Warning` header, code 299 ("miscellaneous persistent
/// warning"), once per warning: how Kubernetes' API server tells clients
/// (kubectl prints them) about a request that succeeded.
fn warning_headers(warnings: &[Warning]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for warning in warnings {
        let text = warning.message.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(value) = HeaderValue::from_str(&format!("299 - \"{text}\"")) {
            headers.append(header::WARNING, value);
        }
    }
    headers
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
    /// One or more strategies (repeat the parameter or separate with commas).
    #[serde(default, deserialize_with = "super::query::one_or_many")]
    #[param(value_type = Option<Vec<String>>)]
    pub strategy: Option<Vec<String>>,
    pub name: Option<String>,
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

#[utoipa::path(get, path = "/api/v2/connections", tag = "connections", params(ListQuery),
    responses((status = 200, description = "Connections: an array, `{connections, start, limit, total}` with include_totals, or `{connections, next}` with from/take", body = [ConnectionView])),
    security(("bearer" = ["read:connections"])))]
pub async fn list(
    State(state): State<AppState>,
    management: Management,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    management.require("read:connections")?;
    let fields = FieldSelection::parse(query.fields.as_deref(), query.include_fields.as_deref())?;
    let filter = ConnectionFilter {
        strategies: query.strategy.clone().unwrap_or_default(),
        name: query.name.clone(),
    };
    let tenant = management.tenant_id();
    let checkpoint = Checkpoint::parse(query.from.as_deref(), query.take.as_deref())?;
    let offset_paging = PageRequest::parse(
        query.page.as_deref(),
        query.per_page.as_deref(),
        query.include_totals.as_deref(),
    )?;
    let paging = match &checkpoint {
        Some(checkpoint) => checkpoint.paging(),
        None => offset_paging.paging(),
    };
    let result = connections::list_connections(&state.engine, tenant, &filter, &paging).await?;
    let mut items = Vec::with_capacity(result.items.len());
    for connection in &result.items {
        items.push(fields.apply(ConnectionView::load(&state.engine, tenant, connection).await?));
    }
    let body = match checkpoint {
        Some(checkpoint) => checkpoint.respond(
            "connections",
            items,
            result.items.last().map(|c| c.id.clone()),
        ),
        None => offset_paging.respond("connections", items, result.total),
    };
    Ok(Json(body))
}

#[utoipa::path(post, path = "/api/v2/connections", tag = "connections", request_body = ConnectionCreate,
    responses((status = 201, body = ConnectionView, headers(("Warning" = String, description = "`299 - \"…\"` when the connection is enabled for applications whose login cannot use its strategy yet"))),
        (status = 409, description = "A connection with that name exists")),
    security(("bearer" = ["create:connections"])))]
pub async fn create(
    State(state): State<AppState>,
    management: Management,
    ApiJson(input): ApiJson<ConnectionCreate>,
) -> Result<(StatusCode, HeaderMap, Json<Value>), ApiError> {
    management.require("create:connections")?;
    let tenant = management.tenant_id();
    let connection = connections::create_connection(&state.engine, tenant, input)
        .await
        .map_err(|error| match error {
            engine::EngineError::AlreadyExists(_) => ApiError::new(
                StatusCode::CONFLICT,
                "connection_conflict",
                "A connection with the same name already exists",
            ),
            other => other.into(),
        })?;
    let (headers, body) = ConnectionView::written(&state.engine, tenant, &connection).await?;
    Ok((StatusCode::CREATED, headers, body))
}

#[utoipa::path(get, path = "/api/v2/connections/{id}", tag = "connections",
    params(("id" = String, Path, description = "Connection id (con_…)"), FieldsQuery),
    responses((status = 200, body = ConnectionView), (status = 404, description = "No such connection")),
    security(("bearer" = ["read:connections"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<FieldsQuery>,
) -> Result<Json<Value>, ApiError> {
    management.require("read:connections")?;
    let fields = FieldSelection::parse(query.fields.as_deref(), query.include_fields.as_deref())?;
    let tenant = management.tenant_id();
    let connection = connections::get_connection(&state.engine, tenant, &id).await?;
    Ok(Json(fields.apply(
        ConnectionView::load(&state.engine, tenant, &connection).await?,
    )))
}

#[utoipa::path(patch, path = "/api/v2/connections/{id}", tag = "connections",
    params(("id" = String, Path, description = "Connection id (con_…)")), request_body = ConnectionUpdate,
    responses((status = 200, body = ConnectionView, headers(("Warning" = String, description = "`299 - \"…\"` when the connection is enabled for applications whose login cannot use its strategy yet"))),
        (status = 404, description = "No such connection")),
    security(("bearer" = ["update:connections"])))]
pub async fn update(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ConnectionUpdate>,
) -> Result<(HeaderMap, Json<Value>), ApiError> {
    management.require("update:connections")?;
    let tenant = management.tenant_id();
    let connection = connections::update_connection(&state.engine, tenant, &id, input).await?;
    ConnectionView::written(&state.engine, tenant, &connection).await
}

#[utoipa::path(delete, path = "/api/v2/connections/{id}", tag = "connections",
    params(("id" = String, Path, description = "Connection id (con_…)")),
    responses((status = 202, description = "Deleted"), (status = 404, description = "No such connection")),
    security(("bearer" = ["delete:connections"])))]
pub async fn delete(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    management.require("delete:connections")?;
    connections::delete_connection(&state.engine, management.tenant_id(), &id).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClientsQuery {
    pub from: Option<String>,
    pub take: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnabledClient {
    pub client_id: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnabledClientsPage {
    pub clients: Vec<EnabledClient>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[utoipa::path(get, path = "/api/v2/connections/{id}/clients", tag = "connections",
    params(("id" = String, Path, description = "Connection id (con_…)"), ClientsQuery),
    responses((status = 200, body = EnabledClientsPage), (status = 404, description = "No such connection")),
    security(("bearer" = ["read:connections"])))]
pub async fn get_clients(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ClientsQuery>,
) -> Result<Json<EnabledClientsPage>, ApiError> {
    management.require("read:connections")?;
    let checkpoint =
        Checkpoint::parse(query.from.as_deref(), query.take.as_deref())?.unwrap_or(Checkpoint {
            from: None,
            take: 50,
        });
    let all = connections::enabled_clients(&state.engine, management.tenant_id(), &id).await?;
    let page: Vec<String> = all
        .into_iter()
        .filter(|client_id| checkpoint.from.as_ref().is_none_or(|from| client_id > from))
        .take(usize::try_from(checkpoint.take).unwrap_or(50))
        .collect();
    let next = (page.len() as u64 == checkpoint.take)
        .then(|| page.last().cloned())
        .flatten();
    Ok(Json(EnabledClientsPage {
        clients: page
            .into_iter()
            .map(|client_id| EnabledClient { client_id })
            .collect(),
        next,
    }))
}

#[utoipa::path(patch, path = "/api/v2/connections/{id}/clients", tag = "connections",
    params(("id" = String, Path, description = "Connection id (con_…)")), request_body = Vec<EnabledClientChange>,
    responses((status = 204, description = "Changed", headers(("Warning" = String, description = "`299 - \"…\"` when the connection is enabled for applications whose login cannot use its strategy yet"))),
        (status = 404, description = "No such connection")),
    security(("bearer" = ["update:connections"])))]
pub async fn patch_clients(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiJson(changes): ApiJson<Vec<EnabledClientChange>>,
) -> Result<(StatusCode, HeaderMap), ApiError> {
    management.require("update:connections")?;
    let tenant = management.tenant_id();
    connections::change_enabled_clients(&state.engine, tenant, &id, &changes).await?;
    let connection = connections::get_connection(&state.engine, tenant, &id).await?;
    let warnings = connections::offer::warnings(&state.engine, tenant, &connection).await?;
    Ok((StatusCode::NO_CONTENT, warning_headers(&warnings)))
}
