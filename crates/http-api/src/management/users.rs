//! `/api/v2/users`, `/api/v2/users-by-email` and
//! `DELETE /api/v2/connections/{id}/users`: users in Auth0's shape. The
//! password hash and history never leave the server.

use super::query::{FieldSelection, PageRequest};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Management};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use engine::users::{self, SearchRequest, UserCreate, UserUpdate};
use model::clock::to_rfc3339;
use model::{Identity, User};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One of a user's identities.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IdentityView {
    pub connection: String,
    pub provider: String,
    pub user_id: String,
    #[serde(rename = "isSocial")]
    pub is_social: bool,
    /// The profile a linked (secondary) identity brought along; the primary
    /// identity's profile is the user's root profile.
    #[serde(rename = "profileData", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub profile_data: Option<Map<String, Value>>,
    /// The upstream's access token: only for callers with
    /// `read:user_idp_tokens`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// The upstream's refresh token: only for callers with
    /// `read:user_idp_tokens`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl IdentityView {
    /// The identity as shown within `user` (without upstream tokens).
    pub fn new(user_id: &str, identity: &Identity) -> Self {
        let is_primary = format!("{}|{}", identity.provider, identity.user_id) == user_id;
        Self {
            connection: identity.connection.clone(),
            provider: identity.provider.clone(),
            user_id: identity.user_id.clone(),
            is_social: identity.is_social,
            profile_data: if is_primary {
                None
            } else {
                identity.profile_data.clone()
            },
            access_token: None,
            refresh_token: None,
        }
    }
}

/// A user as the Management API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub email_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub identities: Vec<IdentityView>,
    #[schema(value_type = Object)]
    pub user_metadata: Map<String, Value>,
    #[schema(value_type = Object)]
    pub app_metadata: Map<String, Value>,
    pub logins_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ip: Option<String>,
    pub blocked: bool,
}

impl UserView {
    pub fn new(user: &User) -> Self {
        Self {
            user_id: user.user_id.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified,
            username: user.username.clone(),
            name: user.name.clone(),
            nickname: user.nickname.clone(),
            given_name: user.given_name.clone(),
            family_name: user.family_name.clone(),
            picture: user.picture.clone(),
            created_at: to_rfc3339(user.created_at),
            updated_at: to_rfc3339(user.updated_at),
            identities: user
                .identities
                .iter()
                .map(|identity| IdentityView::new(&user.user_id, identity))
                .collect(),
            user_metadata: user.user_metadata.clone(),
            app_metadata: user.app_metadata.clone(),
            logins_count: user.logins_count,
            last_login: user.last_login.map(to_rfc3339),
            last_ip: user.last_ip.clone(),
            blocked: user.blocked,
        }
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page index, from 0.
    pub page: Option<String>,
    /// Users per page, 1–100 (default 50); only the first 1000 results are reachable.
    pub per_page: Option<String>,
    /// `true` wraps the list as `{users, start, limit, length, total}`.
    pub include_totals: Option<String>,
    /// `field:1` (ascending) or `field:-1`: created_at, last_login, email, name, username, user_id, logins_count.
    pub sort: Option<String>,
    /// Only users of this connection (name).
    pub connection: Option<String>,
    pub fields: Option<String>,
    pub include_fields: Option<String>,
    /// Lucene-style query, e.g. `email:"jane@example.com"`, `name:jan*`, `logins_count:[1 TO 10]`.
    pub q: Option<String>,
    /// Accepted for Auth0 compatibility (`v3`).
    pub search_engine: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FieldsQuery {
    pub fields: Option<String>,
    pub include_fields: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ByEmailQuery {
    /// The email, matched exactly but for case, in every connection.
    pub email: Option<String>,
    pub fields: Option<String>,
    pub include_fields: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EmailQuery {
    /// The email of the user to delete.
    pub email: Option<String>,
}

const READ: &[&str] = &["read:users", "read:users_app_metadata"];
/// Lets a caller see the upstream tokens of users' identities.
const READ_IDP_TOKENS: &str = "read:user_idp_tokens";

/// Adds each identity's upstream tokens, unsealed, to the view: only ever
/// called for a caller holding [`READ_IDP_TOKENS`].
fn reveal_idp_tokens(
    state: &AppState,
    management: &Management,
    user: &User,
    view: &mut UserView,
) -> Result<(), ApiError> {
    for (identity, shown) in user.identities.iter().zip(view.identities.iter_mut()) {
        let Some(tokens) = engine::login::upstream::users::upstream_tokens(
            &state.engine,
            &management.tenant,
            identity,
        )?
        else {
            continue;
        };
        let text = |name: &str| tokens.get(name).and_then(Value::as_str).map(str::to_owned);
        shown.access_token = text("access_token");
        shown.refresh_token = text("refresh_token");
    }
    Ok(())
}

fn views(users: &[User], fields: &FieldSelection) -> Vec<Value> {
    users
        .iter()
        .map(|user| fields.apply(UserView::new(user).to_json()))
        .collect()
}

#[utoipa::path(get, path = "/api/v2/users", tag = "users", params(ListQuery),
    responses((status = 200, description = "Users, as an array or wrapped with totals", body = [UserView]),
        (status = 400, description = "Malformed q, sort or paging")),
    security(("bearer" = ["read:users"])))]
pub async fn list(
    State(state): State<AppState>,
    management: Management,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    management.require_any(READ)?;
    let page = PageRequest::parse(
        query.page.as_deref(),
        query.per_page.as_deref(),
        query.include_totals.as_deref(),
    )?;
    let fields = FieldSelection::parse(query.fields.as_deref(), query.include_fields.as_deref())?;
    let request = SearchRequest {
        q: query.q,
        sort: query.sort,
        connection: query.connection,
        paging: page.paging(),
    };
    let result = users::search_users(&state.engine, management.tenant_id(), &request).await?;
    let items = views(&result.items, &fields);
    let length = items.len();
    let mut body = page.respond("users", items, result.total);
    if let Value::Object(map) = &mut body {
        map.insert("length".into(), Value::from(length));
    }
    Ok(Json(body))
}

#[utoipa::path(post, path = "/api/v2/users", tag = "users", request_body = UserCreate,
    responses((status = 201, description = "The new user", body = UserView),
        (status = 400, description = "Invalid body or password (invalid_password)"),
        (status = 409, description = "The user already exists"),
        (status = 429, description = "The password hashing queue is full (with Retry-After), or signups are throttled"),
        (status = 503, description = "The connection's custom database is unavailable")),
    security(("bearer" = ["create:users"])))]
pub async fn create(
    State(state): State<AppState>,
    management: Management,
    ApiJson(input): ApiJson<UserCreate>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    management.require("create:users")?;
    let user = users::create_user(&state.engine, management.tenant_id(), input).await?;
    Ok((StatusCode::CREATED, Json(UserView::new(&user).to_json())))
}

#[utoipa::path(get, path = "/api/v2/users/{id}", tag = "users",
    params(("id" = String, Path, description = "user_id"), FieldsQuery),
    responses((status = 200, body = UserView), (status = 404, description = "No such user")),
    security(("bearer" = ["read:users"]), ("bearer" = ["read:current_user"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<FieldsQuery>,
) -> Result<Json<Value>, ApiError> {
    management.caller.may_read_user(&id)?;
    let fields = FieldSelection::parse(query.fields.as_deref(), query.include_fields.as_deref())?;
    let user = users::get_user(&state.engine, management.tenant_id(), &id).await?;
    let mut view = UserView::new(&user);
    if management.has(READ_IDP_TOKENS) {
        reveal_idp_tokens(&state, &management, &user, &mut view)?;
    }
    Ok(Json(fields.apply(view.to_json())))
}

#[utoipa::path(patch, path = "/api/v2/users/{id}", tag = "users",
    params(("id" = String, Path, description = "user_id")), request_body = UserUpdate,
    responses((status = 200, body = UserView), (status = 404, description = "No such user"),
        (status = 400, description = "Invalid body or password (invalid_password)"),
        (status = 429, description = "The password hashing queue is full (with Retry-After)"), (status = 503, description = "The connection's custom database is unavailable")),
    security(("bearer" = ["update:users"]), ("bearer" = ["update:users_app_metadata"]),
        ("bearer" = ["update:current_user_metadata"])))]
pub async fn update(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UserUpdate>,
) -> Result<Json<Value>, ApiError> {
    management.caller.may_update_user(&id, &input)?;
    let user = users::update_user(&state.engine, management.tenant_id(), &id, input).await?;
    Ok(Json(UserView::new(&user).to_json()))
}

#[utoipa::path(delete, path = "/api/v2/users/{id}", tag = "users",
    params(("id" = String, Path, description = "user_id")),
    responses((status = 204, description = "Deleted, with the user's sessions and tokens"),
        (status = 404, description = "No such user"), (status = 503, description = "The connection's custom database is unavailable")),
    security(("bearer" = ["delete:users"])))]
pub async fn delete(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    management.require("delete:users")?;
    users::delete_user(&state.engine, management.tenant_id(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn required_email(email: Option<String>) -> Result<String, ApiError> {
    email.filter(|e| !e.trim().is_empty()).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_query_string",
            "Query validation error: 'Missing required property: email' on property email",
        )
    })
}

#[utoipa::path(get, path = "/api/v2/users-by-email", tag = "users", params(ByEmailQuery),
    responses((status = 200, description = "The users with this email", body = [UserView])),
    security(("bearer" = ["read:users"])))]
pub async fn by_email(
    State(state): State<AppState>,
    management: Management,
    ApiQuery(query): ApiQuery<ByEmailQuery>,
) -> Result<Json<Value>, ApiError> {
    management.require_any(READ)?;
    let fields = FieldSelection::parse(query.fields.as_deref(), query.include_fields.as_deref())?;
    let email = required_email(query.email)?;
    let found = users::users_by_email(&state.engine, management.tenant_id(), &email).await?;
    Ok(Json(Value::Array(views(&found, &fields))))
}

#[utoipa::path(delete, path = "/api/v2/connections/{id}/users", tag = "users",
    params(("id" = String, Path, description = "connection id"), EmailQuery),
    responses((status = 204, description = "Deleted (or there was no such user)"),
        (status = 404, description = "No such connection"), (status = 503, description = "The connection's custom database is unavailable")),
    security(("bearer" = ["delete:users"])))]
pub async fn delete_by_email(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<EmailQuery>,
) -> Result<StatusCode, ApiError> {
    management.require("delete:users")?;
    let email = required_email(query.email)?;
    users::delete_connection_user_by_email(&state.engine, management.tenant_id(), &id, &email)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
