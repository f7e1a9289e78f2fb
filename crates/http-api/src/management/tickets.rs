//! `/api/v2/tickets`: password-change and email-verification links for an
//! administrator to hand out (`{"ticket": url}`); nothing is emailed.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, Management};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::email::{self, TicketOptions, TicketUser};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeBody {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub connection_id: Option<String>,
    pub client_id: Option<String>,
    pub organization_id: Option<String>,
    pub result_url: Option<String>,
    pub ttl_sec: Option<i64>,
    pub mark_email_as_verified: Option<bool>,
    #[serde(rename = "includeEmailInRedirect")]
    pub include_email_in_redirect: Option<bool>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailVerificationBody {
    pub user_id: Option<String>,
    pub result_url: Option<String>,
    pub client_id: Option<String>,
    pub organization_id: Option<String>,
    pub ttl_sec: Option<i64>,
    #[serde(rename = "includeEmailInRedirect")]
    pub include_email_in_redirect: Option<bool>,
    /// Accepted for Auth0 compatibility: `{user_id, provider}`.
    #[schema(value_type = Option<Object>)]
    pub identity: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub ticket: String,
}

fn refused(message: &str, property: &str) -> ApiError {
    ApiError::bad_request(
        "invalid_body",
        format!("Payload validation error: '{message}' on property {property}"),
    )
}

#[utoipa::path(post, path = "/api/v2/tickets/password-change", tag = "tickets", request_body = PasswordChangeBody,
    responses((status = 201, body = TicketView), (status = 404, description = "No such user")),
    security(("bearer" = ["create:user_tickets"])))]
pub async fn password_change(
    State(state): State<AppState>,
    management: Management,
    ApiJson(body): ApiJson<PasswordChangeBody>,
) -> Result<(StatusCode, Json<TicketView>), ApiError> {
    management.require("create:user_tickets")?;
    if body.organization_id.is_some() {
        return Err(refused(
            "organizations are not supported",
            "organization_id",
        ));
    }
    let who = match (body.user_id, body.email, body.connection_id) {
        (Some(id), None, None) => TicketUser::Id(id),
        (None, Some(email), Some(connection_id)) => TicketUser::Email {
            email,
            connection_id,
        },
        _ => {
            return Err(refused(
                "Either user_id, or email and connection_id, are required",
                "user_id",
            ));
        }
    };
    let options = TicketOptions {
        result_url: body.result_url,
        ttl_sec: body.ttl_sec,
        mark_email_as_verified: body.mark_email_as_verified.unwrap_or(false),
        include_email_in_redirect: body.include_email_in_redirect.unwrap_or(false),
        client_id: body.client_id,
    };
    let ticket =
        email::password_change_ticket(&state.engine, management.tenant_id(), who, options).await?;
    Ok((StatusCode::CREATED, Json(TicketView { ticket })))
}

#[utoipa::path(post, path = "/api/v2/tickets/email-verification", tag = "tickets", request_body = EmailVerificationBody,
    responses((status = 201, body = TicketView), (status = 404, description = "No such user")),
    security(("bearer" = ["create:user_tickets"])))]
pub async fn email_verification(
    State(state): State<AppState>,
    management: Management,
    ApiJson(body): ApiJson<EmailVerificationBody>,
) -> Result<(StatusCode, Json<TicketView>), ApiError> {
    management.require("create:user_tickets")?;
    if body.organization_id.is_some() {
        return Err(refused(
            "organizations are not supported",
            "organization_id",
        ));
    }
    let Some(user_id) = body.user_id else {
        return Err(refused("Missing required property: user_id", "user_id"));
    };
    let options = TicketOptions {
        result_url: body.result_url,
        ttl_sec: body.ttl_sec,
        include_email_in_redirect: body.include_email_in_redirect.unwrap_or(false),
        client_id: body.client_id,
        ..TicketOptions::default()
    };
    let ticket =
        email::email_verification_ticket(&state.engine, management.tenant_id(), &user_id, options)
            .await?;
    Ok((StatusCode::CREATED, Json(TicketView { ticket })))
}
