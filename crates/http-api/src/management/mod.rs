//! The Management API v2 under `/api/v2/`: Auth0's paths, field names,
//! paging and error shape. Each resource has its own module; every handler
//! checks the scope its operation needs before doing anything else.

pub mod client_grants;
pub mod clients;
pub mod connections;
pub mod email_templates;
pub mod emails;
pub mod jobs;
pub mod keys;
pub mod logs;
pub mod prompts;
pub mod query;
pub mod resource_servers;
pub mod tenant_settings;
pub mod tickets;
pub mod user_blocks;
pub mod user_identities;
pub mod users;

use crate::AppState;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vestibule Management API",
        description = "Auth0-compatible Management API v2. Every operation needs a bearer token whose audience is `{issuer}api/v2/` and the scope named in its security requirement."
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "clients", description = "Applications"),
        (name = "connections", description = "Sources of users"),
        (name = "resource-servers", description = "APIs"),
        (name = "client-grants", description = "Machine-to-machine permissions"),
        (name = "keys", description = "Token signing keys"),
        (name = "users", description = "Users"),
        (name = "user-blocks", description = "Brute-force blocks"),
        (name = "jobs", description = "User imports, exports and verification emails"),
        (name = "emails", description = "Email provider"),
        (name = "email-templates", description = "Email templates"),
        (name = "tickets", description = "Password-change and email-verification links"),
        (name = "logs", description = "Tenant log events"),
        (name = "prompts", description = "Login prompt settings"),
        (name = "tenants", description = "Tenant settings"),
    )
)]
pub struct ManagementApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every Management API route, with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ManagementApiDoc::openapi())
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::get, clients::update, clients::delete))
        .routes(routes!(clients::rotate_secret))
        .routes(routes!(connections::list, connections::create))
        .routes(routes!(
            connections::get,
            connections::update,
            connections::delete
        ))
        .routes(routes!(
            connections::get_clients,
            connections::patch_clients
        ))
        .routes(routes!(resource_servers::list, resource_servers::create))
        .routes(routes!(
            resource_servers::get,
            resource_servers::update,
            resource_servers::delete
        ))
        .routes(routes!(client_grants::list, client_grants::create))
        .routes(routes!(
            client_grants::get,
            client_grants::update,
            client_grants::delete
        ))
        .routes(routes!(keys::list))
        .routes(routes!(keys::get))
        .routes(routes!(keys::rotate))
        .routes(routes!(keys::revoke))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::by_email))
        .routes(routes!(users::delete_by_email))
        .routes(routes!(user_identities::link))
        .routes(routes!(user_identities::unlink))
        .routes(routes!(user_blocks::get, user_blocks::delete))
        .routes(routes!(
            user_blocks::get_by_identifier,
            user_blocks::delete_by_identifier
        ))
        .routes(routes!(jobs::import_users))
        .routes(routes!(jobs::export_users))
        .routes(routes!(jobs::verification_email))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::errors))
        .routes(routes!(jobs::download))
        .routes(routes!(
            emails::get,
            emails::create,
            emails::update,
            emails::delete
        ))
        .routes(routes!(email_templates::create))
        .routes(routes!(
            email_templates::get,
            email_templates::patch,
            email_templates::put
        ))
        .routes(routes!(tickets::password_change))
        .routes(routes!(tickets::email_verification))
        .routes(routes!(logs::list))
        .routes(routes!(logs::get))
        .routes(routes!(prompts::get, prompts::update))
        .routes(routes!(tenant_settings::get, tenant_settings::update))
}
