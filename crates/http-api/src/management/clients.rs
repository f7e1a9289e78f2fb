//! `/api/v2/clients`: applications.

use super::query::{FieldSelection, PageRequest};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Management};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use engine::management::clients::{self, ClientInput};
use model::Client;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use storage::ClientFilter;

/// A client as the Management API shows it. `client_secret` appears only in
/// the responses that create or rotate it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub client_id: String,
    pub tenant: String,
    pub name: String,
    pub description: String,
    pub global: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    pub is_first_party: bool,
    pub oidc_conformant: bool,
    pub callbacks: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub web_origins: Vec<String>,
    pub client_aliases: Vec<String>,
    pub allowed_clients: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub grant_types: Vec<String>,
    #[schema(value_type = Object)]
    pub jwt_configuration: Value,
    #[schema(value_type = Vec<Object>)]
    pub signing_keys: Vec<Value>,
    pub sso: bool,
    pub sso_disabled: bool,
    pub cross_origin_authentication: bool,
    pub custom_login_page_on: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiate_login_uri: Option<String>,
    pub token_endpoint_auth_method: String,
    pub client_metadata: BTreeMap<String, String>,
    #[schema(value_type = Object)]
    pub refresh_token: Value,
    #[schema(value_type = Object)]
    pub addons: serde_json::Map<String, Value>,
    pub is_token_endpoint_ip_header_trusted: bool,
}

impl ClientView {
    pub fn new(client: &Client, secret: Option<String>) -> Self {
        Self {
            client_id: client.client_id.clone(),
            tenant: client.tenant_id.to_string(),
            name: client.name.clone(),
            description: client.description.clone(),
            global: false,
            client_secret: secret,
            app_type: client
                .app_type
                .and_then(|t| serde_json::to_value(t).ok())
                .and_then(|v| v.as_str().map(str::to_owned)),
            logo_uri: client.logo_uri.clone(),
            is_first_party: client.is_first_party,
            oidc_conformant: client.oidc_conformant,
            callbacks: client.callbacks.clone(),
            allowed_origins: client.allowed_origins.clone(),
            web_origins: client.web_origins.clone(),
            client_aliases: client.client_aliases.clone(),
            allowed_clients: client.allowed_clients.clone(),
            allowed_logout_urls: client.allowed_logout_urls.clone(),
            grant_types: client.grant_types.clone(),
            jwt_configuration: serde_json::json!({
                "alg": client.jwt_configuration.alg.as_str(),
                "lifetime_in_seconds": client.jwt_configuration.lifetime_in_seconds,
                "secret_encoded": client.jwt_configuration.secret_encoded,
            }),
            signing_keys: Vec::new(),
            sso: client.sso,
            sso_disabled: client.sso_disabled,
            cross_origin_authentication: client.cross_origin_authentication,
            custom_login_page_on: client.custom_login_page_on,
            initiate_login_uri: client.initiate_login_uri.clone(),
            token_endpoint_auth_method: client.token_endpoint_auth_method.as_str().to_owned(),
            client_metadata: client.client_metadata.clone(),
            refresh_token: serde_json::to_value(&client.refresh_token).unwrap_or(Value::Null),
            addons: client.addons.clone(),
            is_token_endpoint_ip_header_trusted: client.is_token_endpoint_ip_header_trusted,
        }
    }

    fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page index, from 0.
    pub page: Option<String>,
    /// Records per page, 1–100 (default 50).
    pub per_page: Option<String>,
    /// `true` wraps the list as `{clients, start, limit, total}`.
    pub include_totals: Option<String>,
    /// Comma-separated fields to include (or exclude, with `include_fields=false`).
    pub fields: Option<String>,
    pub include_fields: Option<String>,
    /// Comma-separated `app_type` values.
    pub app_type: Option<String>,
    pub is_first_party: Option<String>,
    /// Accepted for Auth0 compatibility: Vestibule has no global client.
    pub is_global: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FieldsQuery {
    pub fields: Option<String>,
    pub include_fields: Option<String>,
}

#[utoipa::path(get, path = "/api/v2/clients", tag = "clients", params(ListQuery),
    responses((status = 200, description = "Clients, as an array or wrapped with totals", body = [ClientView])),
    security(("bearer" = ["read:clients"])))]
pub async fn list(
    State(state): State<AppState>,
    management: Management,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    management.require("read:clients")?;
    let page = PageRequest::parse(
        query.page.as_deref(),
        query.per_page.as_deref(),
        query.include_totals.as_deref(),
    )?;
    let fields = FieldSelection::parse(query.fields.as_deref(), query.include_fields.as_deref())?;
    let filter = ClientFilter {
        app_types: query
            .app_type
            .map(|list| list.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        is_first_party: super::query::parse_bool(
            "is_first_party",
            query.is_first_party.as_deref(),
        )?,
    };
    if super::query::parse_bool("is_global", query.is_global.as_deref())? == Some(true) {
        return Ok(Json(page.respond("clients", Vec::new(), 0)));
    }
    let result = clients::list_clients(
        &state.engine,
        management.tenant_id(),
        &filter,
        &page.paging(),
    )
    .await?;
    let items = result
        .items
        .iter()
        .map(|client| fields.apply(ClientView::new(client, None).to_json()))
        .collect();
    Ok(Json(page.respond("clients", items, result.total)))
}

#[utoipa::path(post, path = "/api/v2/clients", tag = "clients", request_body = ClientInput,
    responses((status = 201, description = "The new client, with its secret", body = ClientView)),
    security(("bearer" = ["create:clients"])))]
pub async fn create(
    State(state): State<AppState>,
    management: Management,
    ApiJson(input): ApiJson<ClientInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    management.require("create:clients")?;
    let (client, secret) =
        clients::create_client(&state.engine, management.tenant_id(), &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(ClientView::new(&client, secret).to_json()),
    ))
}

#[utoipa::path(get, path = "/api/v2/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "client_id"), FieldsQuery),
    responses((status = 200, body = ClientView), (status = 404, description = "No such client")),
    security(("bearer" = ["read:clients"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<FieldsQuery>,
) -> Result<Json<Value>, ApiError> {
    management.require("read:clients")?;
    let fields = FieldSelection::parse(query.fields.as_deref(), query.include_fields.as_deref())?;
    let client = clients::get_client(&state.engine, management.tenant_id(), &id).await?;
    Ok(Json(fields.apply(ClientView::new(&client, None).to_json())))
}

#[utoipa::path(patch, path = "/api/v2/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "client_id")), request_body = ClientInput,
    responses((status = 200, body = ClientView), (status = 404, description = "No such client")),
    security(("bearer" = ["update:clients"])))]
pub async fn update(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ClientInput>,
) -> Result<Json<Value>, ApiError> {
    management.require("update:clients")?;
    let (client, secret) =
        clients::update_client(&state.engine, management.tenant_id(), &id, &input).await?;
    Ok(Json(ClientView::new(&client, secret).to_json()))
}

#[utoipa::path(delete, path = "/api/v2/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "client_id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such client")),
    security(("bearer" = ["delete:clients"])))]
pub async fn delete(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    management.require("delete:clients")?;
    clients::delete_client(&state.engine, management.tenant_id(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v2/clients/{id}/rotate-secret", tag = "clients",
    params(("id" = String, Path, description = "client_id")),
    responses((status = 200, description = "The client with its new secret", body = ClientView), (status = 404, description = "No such client")),
    security(("bearer" = ["update:client_keys"])))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    management.require("update:client_keys")?;
    let (client, secret) =
        clients::rotate_secret(&state.engine, management.tenant_id(), &id).await?;
    Ok(Json(ClientView::new(&client, Some(secret)).to_json()))
}
