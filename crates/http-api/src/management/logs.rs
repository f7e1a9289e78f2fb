//! `/api/v2/logs`: tenant log events in Auth0's shape (`log_id`, `date`,
//! `type`, `description`, …): searched (`q`, `page`/`per_page`, `sort`,
//! newest first) or read from a checkpoint (`from`/`take`, oldest first,
//! with Auth0's `Link: <…>; rel="next"` for the following request), and
//! trimmed to `fields`/`include_fields`.

use super::query::{Checkpoint, FieldSelection, PageRequest};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Management};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use engine::logs::LogQuery;
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
    /// Search criteria in Lucene query syntax: `type`, `user_id`,
    /// `client_id`, `connection`, `ip`, `user_name` and `date` (a day, an
    /// RFC 3339 time or a `[a TO b]` range), with `AND`, `OR`, `NOT` and
    /// parentheses.
    pub q: Option<String>,
    /// Checkpoint: the `log_id` after which to read (oldest first). With
    /// `from` or `take`, every parameter but these two is ignored, as in
    /// Auth0.
    pub from: Option<String>,
    /// Checkpoint: how many events to read, 1..=100 (default 50).
    pub take: Option<String>,
    /// Comma-separated members to include (or exclude, with
    /// `include_fields=false`).
    pub fields: Option<String>,
    pub include_fields: Option<String>,
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
) -> Result<Response, ApiError> {
    management.require("read:logs")?;
    if let Some(checkpoint) = Checkpoint::parse(query.from.as_deref(), query.take.as_deref())? {
        return checkpoint_page(&state, &management, checkpoint).await;
    }
    let fields = FieldSelection::parse(query.fields.as_deref(), query.include_fields.as_deref())?;
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
        LogQuery::Search {
            q: query.q.filter(|q| !q.trim().is_empty()),
            ascending,
            paging: page.paging(),
        },
    )
    .await?;
    let items = result
        .items
        .iter()
        .map(|event| fields.apply(view(event)))
        .collect();
    Ok(Json(page.respond("logs", items, result.total)).into_response())
}

/// Auth0's checkpoint read: a bare array, and a `Link` header whose `next`
/// continues after the last event returned (the same request when none
/// was, so a consumer polls until new events arrive).
async fn checkpoint_page(
    state: &AppState,
    management: &Management,
    checkpoint: Checkpoint,
) -> Result<Response, ApiError> {
    let result = engine::logs::list(
        &state.engine,
        management.tenant_id(),
        LogQuery::Checkpoint {
            from: checkpoint.from.clone(),
            take: checkpoint.take,
        },
    )
    .await?;
    let next_from = result
        .items
        .last()
        .map(|event| event.log_id.clone())
        .or(checkpoint.from);
    let mut next = format!("/api/v2/logs?take={}", checkpoint.take);
    if let Some(from) = next_from {
        next.push_str("&from=");
        next.extend(url::form_urlencoded::byte_serialize(from.as_bytes()));
    }
    let items: Vec<Value> = result.items.iter().map(view).collect();
    Ok((
        [(header::LINK, format!("<{next}>; rel=\"next\""))],
        Json(Value::Array(items)),
    )
        .into_response())
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
