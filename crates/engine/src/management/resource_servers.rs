//! Resource servers (APIs): the audiences that access tokens name.

use crate::Engine;
use crate::error::{EngineError, Result, not_found_as, reject};
use crate::validation::check_text;
use model::{ResourceServer, ResourceServerScope, SigningAlg, TenantId};
use serde::Deserialize;
use storage::{Page, Paging};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeInput {
    pub value: String,
    pub description: Option<String>,
}

/// Fields callers set; `identifier` only on create (Auth0 makes it immutable).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceServerInput {
    pub name: Option<String>,
    pub identifier: Option<String>,
    pub scopes: Option<Vec<ScopeInput>>,
    /// `RS256` (default), `ES256` or `EdDSA`.
    pub signing_alg: Option<String>,
    pub token_lifetime: Option<i64>,
    pub token_lifetime_for_web: Option<i64>,
    pub allow_offline_access: Option<bool>,
    pub skip_consent_for_verifiable_first_party_clients: Option<bool>,
    pub enforce_policies: Option<bool>,
    /// `access_token` or `access_token_authz`.
    pub token_dialect: Option<String>,
}

fn apply(server: &mut ResourceServer, input: &ResourceServerInput) -> Result<()> {
    if let Some(name) = &input.name {
        check_text("name", name, 200)?;
        server.name = name.clone();
    }
    if let Some(scopes) = &input.scopes {
        if scopes.len() > 1_000 {
            return Err(EngineError::invalid(
                "scopes",
                "scopes may hold at most 1000 entries",
            ));
        }
        let mut seen: Vec<ResourceServerScope> = Vec::with_capacity(scopes.len());
        for (index, scope) in scopes.iter().enumerate() {
            if !crate::token::scopes::is_valid_token(&scope.value) || scope.value.len() > 280 {
                return Err(EngineError::invalid(
                    format!("scopes[{index}].value"),
                    format!("scopes[{index}].value must be a non-empty scope token without spaces"),
                ));
            }
            if seen.iter().any(|s| s.value == scope.value) {
                return Err(EngineError::invalid(
                    format!("scopes[{index}].value"),
                    format!("scope {} is listed twice", scope.value),
                ));
            }
            let description = scope.description.clone().unwrap_or_default();
            crate::validation::check_optional_text(
                &format!("scopes[{index}].description"),
                &description,
                500,
            )?;
            seen.push(ResourceServerScope {
                value: scope.value.clone(),
                description,
            });
        }
        server.scopes = seen;
    }
    if let Some(alg) = &input.signing_alg {
        server.signing_alg = SigningAlg::parse(alg).ok_or_else(|| {
            EngineError::invalid(
                "signing_alg",
                "signing_alg must be one of RS256, ES256, EdDSA",
            )
        })?;
    }
    let lifetime = |field: &str, value: i64| -> Result<i64> {
        if (60..=2_592_000).contains(&value) {
            Ok(value)
        } else {
            Err(EngineError::invalid(
                field,
                format!("{field} must be between 60 and 2592000"),
            ))
        }
    };
    if let Some(value) = input.token_lifetime {
        server.token_lifetime = lifetime("token_lifetime", value)?;
    }
    if let Some(value) = input.token_lifetime_for_web {
        server.token_lifetime_for_web = lifetime("token_lifetime_for_web", value)?;
    }
    if let Some(value) = input.allow_offline_access {
        server.allow_offline_access = value;
    }
    if let Some(value) = input.skip_consent_for_verifiable_first_party_clients {
        server.skip_consent_for_verifiable_first_party_clients = value;
    }
    if let Some(value) = input.enforce_policies {
        server.enforce_policies = value;
    }
    if let Some(dialect) = &input.token_dialect {
        if !matches!(dialect.as_str(), "access_token" | "access_token_authz") {
            return Err(EngineError::invalid(
                "token_dialect",
                "token_dialect must be access_token or access_token_authz",
            ));
        }
        server.token_dialect = dialect.clone();
    }
    Ok(())
}

pub async fn create_resource_server(
    engine: &Engine,
    tenant: &TenantId,
    input: &ResourceServerInput,
) -> Result<ResourceServer> {
    let identifier = input
        .identifier
        .as_deref()
        .ok_or_else(|| EngineError::invalid("identifier", "identifier is required"))?;
    check_text("identifier", identifier, 600)?;
    if identifier.chars().any(char::is_whitespace) {
        return Err(EngineError::invalid(
            "identifier",
            "identifier must not contain spaces",
        ));
    }
    let now = engine.now();
    let mut server = ResourceServer {
        tenant_id: tenant.clone(),
        id: model::ids::random_alphanumeric(24),
        name: identifier.to_owned(),
        identifier: identifier.to_owned(),
        scopes: Vec::new(),
        signing_alg: SigningAlg::Rs256,
        token_lifetime: 86_400,
        token_lifetime_for_web: 7_200,
        allow_offline_access: false,
        skip_consent_for_verifiable_first_party_clients: true,
        enforce_policies: false,
        token_dialect: "access_token".into(),
        is_system: false,
        created_at: now,
        updated_at: now,
    };
    apply(&mut server, input)?;
    engine.storage.create_resource_server(&server).await?;
    engine.keys.publish(tenant, server.signing_alg).await?;
    Ok(server)
}

/// Auth0 lets `{id}` be either the id or the identifier (URL-encoded).
pub async fn get_resource_server(
    engine: &Engine,
    tenant: &TenantId,
    id_or_identifier: &str,
) -> Result<ResourceServer> {
    if let Some(server) = engine
        .storage
        .get_resource_server(tenant, id_or_identifier)
        .await?
    {
        return Ok(server);
    }
    engine
        .storage
        .get_resource_server_by_identifier(tenant, id_or_identifier)
        .await?
        .ok_or(EngineError::NotFound("resource server"))
}

pub async fn list_resource_servers(
    engine: &Engine,
    tenant: &TenantId,
    paging: &Paging,
) -> Result<Page<ResourceServer>> {
    Ok(engine.storage.list_resource_servers(tenant, paging).await?)
}

pub async fn update_resource_server(
    engine: &Engine,
    tenant: &TenantId,
    id_or_identifier: &str,
    input: &ResourceServerInput,
) -> Result<ResourceServer> {
    let existing = get_resource_server(engine, tenant, id_or_identifier).await?;
    if existing.is_system {
        return Err(EngineError::Forbidden(
            "the Management API resource server cannot be changed".into(),
        ));
    }
    if let Some(identifier) = &input.identifier
        && identifier != &existing.identifier
    {
        return Err(EngineError::invalid(
            "identifier",
            "identifier cannot be changed",
        ));
    }
    let now = engine.now();
    let server = engine
        .storage
        .update_resource_server(tenant, &existing.id, &|mut server: ResourceServer| {
            apply(&mut server, input).map_err(reject)?;
            server.updated_at = now;
            Ok(server)
        })
        .await
        .map_err(not_found_as("resource server"));
    engine.lookups.invalidate(tenant);
    let server = server?;
    engine.keys.publish(tenant, server.signing_alg).await?;
    Ok(server)
}

pub async fn delete_resource_server(
    engine: &Engine,
    tenant: &TenantId,
    id_or_identifier: &str,
) -> Result<()> {
    let existing = get_resource_server(engine, tenant, id_or_identifier).await?;
    if existing.is_system {
        return Err(EngineError::Forbidden(
            "the Management API resource server cannot be deleted".into(),
        ));
    }
    let deleted = engine
        .storage
        .delete_resource_server(tenant, &existing.id)
        .await
        .map_err(not_found_as("resource server"));
    engine.lookups.invalidate(tenant);
    deleted
}
