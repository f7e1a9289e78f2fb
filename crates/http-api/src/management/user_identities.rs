//! `/api/v2/users/{id}/identities`: account linking. `POST` links a
//! secondary user (named by `provider` + `user_id`, or by its ID token in
//! `link_with`) to the user of the path; `DELETE …/{provider}/{user_id}`
//! unlinks one identity, which becomes a user of its own again. Both answer
//! the primary's identities, as Auth0 does. An end user's own token
//! (`update:current_user_identities`) may change only its own identities,
//! and links only with `link_with`. The rules live in
//! `engine::users::link`.

use super::users::IdentityView;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, Management};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use engine::users::link::{self, LinkRequest};
use model::Identity;

fn views(primary_user_id: &str, identities: &[Identity]) -> Vec<IdentityView> {
    identities
        .iter()
        .map(|identity| IdentityView::new(primary_user_id, identity))
        .collect()
}

#[utoipa::path(post, path = "/api/v2/users/{id}/identities", tag = "users",
    params(("id" = String, Path, description = "the primary user's user_id")),
    request_body = LinkRequest,
    responses((status = 201, description = "The primary's identities", body = [IdentityView]),
        (status = 400, description = "Invalid body, unknown or already linked secondary, invalid link_with"),
        (status = 404, description = "No such primary user")),
    security(("bearer" = ["update:users"]), ("bearer" = ["update:current_user_identities"])))]
pub async fn link(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LinkRequest>,
) -> Result<(StatusCode, Json<Vec<IdentityView>>), ApiError> {
    let own_client = management.caller.may_change_identities(&id)?;
    let identities = link::link(&state.engine, &management.tenant, &id, &input, own_client).await?;
    Ok((StatusCode::CREATED, Json(views(&id, &identities))))
}

#[utoipa::path(delete, path = "/api/v2/users/{id}/identities/{provider}/{user_id}", tag = "users",
    params(("id" = String, Path, description = "the primary user's user_id"),
        ("provider" = String, Path, description = "the linked identity's provider"),
        ("user_id" = String, Path, description = "the linked identity's id")),
    responses((status = 200, description = "The identities the primary keeps", body = [IdentityView]),
        (status = 400, description = "The main identity cannot be unlinked"),
        (status = 404, description = "No such user or linked identity")),
    security(("bearer" = ["update:users"]), ("bearer" = ["update:current_user_identities"])))]
pub async fn unlink(
    State(state): State<AppState>,
    management: Management,
    Path((id, provider, user_id)): Path<(String, String, String)>,
) -> Result<Json<Vec<IdentityView>>, ApiError> {
    management.caller.may_change_identities(&id)?;
    let identities = link::unlink(
        &state.engine,
        management.tenant_id(),
        &id,
        &provider,
        &user_id,
    )
    .await?;
    Ok(Json(views(&id, &identities)))
}
