//! `/api/v2/logs`: tenant log events in Auth0's shape (`log_id`, `date`,
//! `type`, `description`, …), newest first.

use super::query::PageRequest;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Management};
use axum::Json;
use axum::extract::{Path, State};
use model::LogEvent;
use serde::Deserialize;
use serde_json::{Value, json};

fn view(event: &LogEvent) -> Value {
    let mut body = json!({
        "_id": event.log_id,
        "log_id": event.log_id,
        "date": model::clock::to_rfc3339(event.date),
        "type": event.event_type,
        "description": event.description,
        "details": event.details,
    });
    if let Value::Object(map) = &mut body {
        for (key, value) in [
            ("client_id", &event.client_id),
            ("client_name", &event.client_name),
            ("connection", &event.connection),
            ("connection_id", &event.connection_id),
            ("ip", &event.ip),
            ("user_id", &event.user_id),
            ("user_name", &event.user_name),
        ] {
            if let Some(value) = value {
                map.insert(key.into(), json!(value));
            }
        }
    }
    body
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub include_totals: Option<String>,
    /// `date:1` (oldest first) or `date:-1` (the default).
    pub sort: Option<String>,
}

#[utoipa::path(get, path = "/api/v2/logs", tag = "logs", params(LogsQuery),
    responses((status = 200, description = "Log events, as an array or wrapped with totals")),
    security(("bearer" = ["read:logs"])))]
pub async fn list(
    State(state): State<AppState>,
    management: Management,
    ApiQuery(query): ApiQuery<LogsQuery>,
) -> Result<Json<Value>, ApiError> {
    management.require("read:logs")?;
    let page = PageRequest::parse(
        query.page.as_deref(),
        query.per_page.as_deref(),
        query.include_totals.as_deref(),
    )?;
    let ascending = match query.sort.as_deref() {
        None | Some("date:-1") => false,
        Some("date:1") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query_string",
                "Query validation error: 'sort must be date:1 or date:-1' on property sort",
            ));
        }
    };
    let result = engine::logs::list(
        &state.engine,
        management.tenant_id(),
        ascending,
        &page.paging(),
    )
    .await?;
    let items = result.items.iter().map(view).collect();
    Ok(Json(page.respond("logs", items, result.total)))
}

#[utoipa::path(get, path = "/api/v2/logs/{id}", tag = "logs",
    params(("id" = String, Path, description = "log_id")),
    responses((status = 200, description = "One log event"), (status = 404, description = "No such event")),
    security(("bearer" = ["read:logs"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    management.require("read:logs")?;
    Ok(Json(view(
        &engine::logs::get(&state.engine, management.tenant_id(), &id).await?,
    )))
}
