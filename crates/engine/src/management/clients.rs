//! Clients (applications): create, change, rotate secrets, delete.
//!
//! Secrets are generated here, sealed under the master key for storage, and
//! returned to the caller only when created or rotated.

use crate::Engine;
use crate::error::{EngineError, Result, not_found_as, reject};
use crate::validation::{UrlKind, check_optional_text, check_text, check_url, check_urls};
use model::{
    AppType, Client, JwtConfiguration, RefreshTokenPolicy, SigningAlg, TenantId,
    TokenEndpointAuthMethod,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use storage::{ClientFilter, Page, Paging};

/// Grant types a client may be given (Auth0's names).
pub const KNOWN_GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    "password",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/passwordless/otp",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "urn:ietf:params:oauth:grant-type:device_code",
];

/// `jwt_configuration` as Auth0 accepts it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JwtConfigurationInput {
    /// `RS256` (default), `ES256` or `EdDSA`.
    pub alg: Option<String>,
    pub lifetime_in_seconds: Option<i64>,
    pub secret_encoded: Option<bool>,
    /// Accepted for Auth0 compatibility; Vestibule has no custom scopes here.
    pub scopes: Option<serde_json::Value>,
}

/// `refresh_token` as Auth0 accepts it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenInput {
    pub rotation_type: Option<String>,
    pub expiration_type: Option<String>,
    pub leeway: Option<i64>,
    pub token_lifetime: Option<i64>,
    pub infinite_token_lifetime: Option<bool>,
    pub idle_token_lifetime: Option<i64>,
    pub infinite_idle_token_lifetime: Option<bool>,
}

/// The fields of a client that callers set, for create (`name` required)
/// and for update (every field optional; absent means unchanged).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `spa`, `native`, `regular_web` or `non_interactive`.
    pub app_type: Option<String>,
    pub logo_uri: Option<String>,
    pub is_first_party: Option<bool>,
    pub oidc_conformant: Option<bool>,
    pub callbacks: Option<Vec<String>>,
    pub allowed_logout_urls: Option<Vec<String>>,
    pub web_origins: Option<Vec<String>>,
    pub allowed_origins: Option<Vec<String>>,
    pub allowed_clients: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    /// `none`, `client_secret_post`, `client_secret_basic` or `private_key_jwt`.
    pub token_endpoint_auth_method: Option<String>,
    pub jwt_configuration: Option<JwtConfigurationInput>,
    pub refresh_token: Option<RefreshTokenInput>,
    pub sso_disabled: Option<bool>,
    /// Auth0's legacy flag, stored and returned; SSO is Vestibule's own
    /// unless `sso_disabled`.
    pub sso: Option<bool>,
    /// Stored and returned; Vestibule has no custom login page.
    pub custom_login_page_on: Option<bool>,
    /// Audiences of the WS-Fed addon: stored and returned.
    pub client_aliases: Option<Vec<String>>,
    pub cross_origin_authentication: Option<bool>,
    pub initiate_login_uri: Option<String>,
    pub client_metadata: Option<BTreeMap<String, String>>,
    #[schema(value_type = Object)]
    pub addons: Option<serde_json::Map<String, serde_json::Value>>,
    /// Sets the secret explicitly (Auth0 allows this); otherwise one is generated.
    pub client_secret: Option<String>,
    /// Allow PKCE `plain` for this client (off by default; S256 is always allowed).
    pub allow_pkce_plain: Option<bool>,
    /// Believe this client's `auth0-forwarded-for` header at the token
    /// endpoint (honoured only while the client is confidential).
    pub is_token_endpoint_ip_header_trusted: Option<bool>,
}

pub(crate) fn seal_secret(
    engine: &Engine,
    tenant: &TenantId,
    client_id: &str,
    secret: &str,
) -> Result<String> {
    Ok(engine
        .master_key
        .seal(&secret_context(tenant, client_id), secret.as_bytes())?)
}

pub(crate) fn secret_context(tenant: &TenantId, client_id: &str) -> String {
    format!("client_secret:{tenant}:{client_id}")
}

/// The client's secret in clear, for client authentication.
pub(crate) fn open_secret(engine: &Engine, client: &Client) -> Result<Option<Vec<u8>>> {
    match &client.client_secret_sealed {
        None => Ok(None),
        Some(sealed) => Ok(Some(engine.master_key.open(
            &secret_context(&client.tenant_id, &client.client_id),
            sealed,
        )?)),
    }
}

fn parse_app_type(value: &str) -> Result<AppType> {
    match value {
        "spa" => Ok(AppType::Spa),
        "native" => Ok(AppType::Native),
        "regular_web" => Ok(AppType::RegularWeb),
        "non_interactive" => Ok(AppType::NonInteractive),
        _ => Err(EngineError::invalid(
            "app_type",
            "app_type must be one of spa, native, regular_web, non_interactive",
        )),
    }
}

fn parse_auth_method(value: &str) -> Result<TokenEndpointAuthMethod> {
    match value {
        "none" => Ok(TokenEndpointAuthMethod::None),
        "client_secret_post" => Ok(TokenEndpointAuthMethod::ClientSecretPost),
        "client_secret_basic" => Ok(TokenEndpointAuthMethod::ClientSecretBasic),
        "private_key_jwt" => Err(EngineError::invalid(
            "token_endpoint_auth_method",
            "private_key_jwt needs client credentials (public keys), which Vestibule does not manage yet",
        )),
        _ => Err(EngineError::invalid(
            "token_endpoint_auth_method",
            "token_endpoint_auth_method must be one of none, client_secret_post, client_secret_basic",
        )),
    }
}

fn check_secret(secret: &str) -> Result<()> {
    if secret.len() < 16 || secret.len() > 512 || secret.chars().any(char::is_control) {
        return Err(EngineError::invalid(
            "client_secret",
            "client_secret must be 16 to 512 printable characters",
        ));
    }
    Ok(())
}

/// Applies `input` to `client`, validating every field it sets. Returns a new
/// plaintext secret if the change calls for one (explicit `client_secret`, or
/// a switch from a public to a confidential auth method).
fn apply(engine: &Engine, client: &mut Client, input: &ClientInput) -> Result<Option<String>> {
    if let Some(name) = &input.name {
        check_text("name", name, 128)?;
        client.name = name.clone();
    }
    if let Some(description) = &input.description {
        check_optional_text("description", description, 140)?;
        client.description = description.clone();
    }
    if let Some(app_type) = &input.app_type {
        client.app_type = Some(parse_app_type(app_type)?);
    }
    if let Some(logo_uri) = &input.logo_uri {
        check_url("logo_uri", logo_uri, UrlKind::Http)?;
        client.logo_uri = Some(logo_uri.clone());
    }
    if let Some(value) = input.is_first_party {
        client.is_first_party = value;
    }
    if let Some(value) = input.oidc_conformant {
        client.oidc_conformant = value;
    }
    if let Some(list) = &input.callbacks {
        check_urls("callbacks", list, UrlKind::Redirect)?;
        client.callbacks = list.clone();
    }
    if let Some(list) = &input.allowed_logout_urls {
        check_urls("allowed_logout_urls", list, UrlKind::Redirect)?;
        client.allowed_logout_urls = list.clone();
    }
    if let Some(list) = &input.web_origins {
        check_urls("web_origins", list, UrlKind::Origin)?;
        client.web_origins = list.clone();
    }
    if let Some(list) = &input.allowed_origins {
        check_urls("allowed_origins", list, UrlKind::Origin)?;
        client.allowed_origins = list.clone();
    }
    if let Some(list) = &input.allowed_clients {
        if list.len() > 100 || list.iter().any(|id| id.is_empty() || id.len() > 64) {
            return Err(EngineError::invalid(
                "allowed_clients",
                "allowed_clients must hold at most 100 client ids",
            ));
        }
        client.allowed_clients = list.clone();
    }
    if let Some(list) = &input.grant_types {
        for (index, grant) in list.iter().enumerate() {
            if !KNOWN_GRANT_TYPES.contains(&grant.as_str()) {
                return Err(EngineError::invalid(
                    format!("grant_types[{index}]"),
                    format!("grant_types[{index}] is not a supported grant type: {grant}"),
                ));
            }
        }
        let mut unique = list.clone();
        unique.dedup();
        client.grant_types = unique;
    }
    let mut new_secret = None;
    if let Some(method) = &input.token_endpoint_auth_method {
        let method = parse_auth_method(method)?;
        if method != TokenEndpointAuthMethod::None && client.client_secret_sealed.is_none() {
            new_secret = Some(model::ids::new_secret());
        }
        if method == TokenEndpointAuthMethod::None {
            client.client_secret_sealed = None;
        }
        client.token_endpoint_auth_method = method;
    }
    if let Some(jwt) = &input.jwt_configuration {
        if let Some(alg) = &jwt.alg {
            client.jwt_configuration.alg = SigningAlg::parse(alg).ok_or_else(|| {
                EngineError::invalid(
                    "jwt_configuration.alg",
                    "jwt_configuration.alg must be one of RS256, ES256, EdDSA",
                )
            })?;
        }
        if let Some(lifetime) = jwt.lifetime_in_seconds {
            if !(60..=2_592_000).contains(&lifetime) {
                return Err(EngineError::invalid(
                    "jwt_configuration.lifetime_in_seconds",
                    "jwt_configuration.lifetime_in_seconds must be between 60 and 2592000",
                ));
            }
            client.jwt_configuration.lifetime_in_seconds = lifetime;
        }
        if let Some(encoded) = jwt.secret_encoded {
            client.jwt_configuration.secret_encoded = encoded;
        }
    }
    if let Some(refresh) = &input.refresh_token {
        apply_refresh_policy(&mut client.refresh_token, refresh)?;
    }
    if let Some(value) = input.sso_disabled {
        client.sso_disabled = value;
    }
    if let Some(value) = input.sso {
        client.sso = value;
    }
    if let Some(value) = input.custom_login_page_on {
        client.custom_login_page_on = value;
    }
    if let Some(list) = &input.client_aliases {
        check_aliases(list)?;
        client.client_aliases = list.clone();
    }
    if let Some(value) = input.is_token_endpoint_ip_header_trusted {
        client.is_token_endpoint_ip_header_trusted = value;
    }
    if let Some(value) = input.cross_origin_authentication {
        client.cross_origin_authentication = value;
    }
    if let Some(uri) = &input.initiate_login_uri {
        if !uri.is_empty() {
            check_url("initiate_login_uri", uri, UrlKind::Http)?;
            if !uri.starts_with("https://") {
                return Err(EngineError::invalid(
                    "initiate_login_uri",
                    "initiate_login_uri must use https",
                ));
            }
        }
        client.initiate_login_uri = (!uri.is_empty()).then(|| uri.clone());
    }
    if let Some(metadata) = &input.client_metadata {
        check_metadata(metadata)?;
        client.client_metadata = metadata.clone();
    }
    if let Some(addons) = &input.addons {
        client.addons = addons.clone();
    }
    if let Some(value) = input.allow_pkce_plain {
        client.allow_pkce_plain = value;
    }
    if let Some(secret) = &input.client_secret {
        if client.token_endpoint_auth_method == TokenEndpointAuthMethod::None {
            return Err(EngineError::invalid(
                "client_secret",
                "a client whose token_endpoint_auth_method is none has no secret",
            ));
        }
        check_secret(secret)?;
        new_secret = Some(secret.clone());
    }
    if let Some(secret) = &new_secret {
        client.client_secret_sealed = Some(seal_secret(
            engine,
            &client.tenant_id,
            &client.client_id,
            secret,
        )?);
    }
    Ok(new_secret)
}

fn apply_refresh_policy(policy: &mut RefreshTokenPolicy, input: &RefreshTokenInput) -> Result<()> {
    if let Some(rotation) = &input.rotation_type {
        if !matches!(rotation.as_str(), "rotating" | "non-rotating") {
            return Err(EngineError::invalid(
                "refresh_token.rotation_type",
                "refresh_token.rotation_type must be rotating or non-rotating",
            ));
        }
        policy.rotation_type = rotation.clone();
    }
    if let Some(expiration) = &input.expiration_type {
        if !matches!(expiration.as_str(), "expiring" | "non-expiring") {
            return Err(EngineError::invalid(
                "refresh_token.expiration_type",
                "refresh_token.expiration_type must be expiring or non-expiring",
            ));
        }
        policy.expiration_type = expiration.clone();
    }
    let seconds = |field: &str, value: i64, max: i64| -> Result<i64> {
        if (0..=max).contains(&value) {
            Ok(value)
        } else {
            Err(EngineError::invalid(
                field,
                format!("{field} must be between 0 and {max}"),
            ))
        }
    };
    if let Some(value) = input.leeway {
        policy.leeway = seconds("refresh_token.leeway", value, 60)?;
    }
    if let Some(value) = input.token_lifetime {
        policy.token_lifetime = seconds("refresh_token.token_lifetime", value, 31_557_600)?;
    }
    if let Some(value) = input.idle_token_lifetime {
        policy.idle_token_lifetime =
            seconds("refresh_token.idle_token_lifetime", value, 31_557_600)?;
    }
    if let Some(value) = input.infinite_token_lifetime {
        policy.infinite_token_lifetime = value;
    }
    if let Some(value) = input.infinite_idle_token_lifetime {
        policy.infinite_idle_token_lifetime = value;
    }
    Ok(())
}

/// Auth0 sets no limit of its own; these bound what one record may hold.
fn check_aliases(aliases: &[String]) -> Result<()> {
    if aliases.len() > 100 {
        return Err(EngineError::invalid(
            "client_aliases",
            "client_aliases may hold at most 100 entries",
        ));
    }
    for (index, alias) in aliases.iter().enumerate() {
        check_text(&format!("client_aliases[{index}]"), alias, 2048)?;
    }
    Ok(())
}

fn check_metadata(metadata: &BTreeMap<String, String>) -> Result<()> {
    // Auth0: at most 10 keys, key names up to 255 characters, values up to 255.
    if metadata.len() > 10 {
        return Err(EngineError::invalid(
            "client_metadata",
            "client_metadata may hold at most 10 keys",
        ));
    }
    for (key, value) in metadata {
        if key.is_empty() || key.len() > 255 || value.len() > 255 {
            return Err(EngineError::invalid(
                format!("client_metadata.{key}"),
                "client_metadata keys and values are 1 to 255 characters",
            ));
        }
    }
    Ok(())
}

/// Creates a client; returns it and its secret (None for public clients).
pub async fn create_client(
    engine: &Engine,
    tenant: &TenantId,
    input: &ClientInput,
) -> Result<(Client, Option<String>)> {
    let name = input
        .name
        .as_deref()
        .ok_or_else(|| EngineError::invalid("name", "name is required"))?;
    check_text("name", name, 128)?;
    let app_type = input.app_type.as_deref().map(parse_app_type).transpose()?;
    let default_method = match app_type {
        Some(AppType::Spa | AppType::Native) => TokenEndpointAuthMethod::None,
        _ => TokenEndpointAuthMethod::ClientSecretPost,
    };
    let now = engine.now();
    let mut client = Client {
        tenant_id: tenant.clone(),
        client_id: model::ids::new_client_id(),
        name: name.to_owned(),
        description: String::new(),
        app_type,
        logo_uri: None,
        is_first_party: true,
        oidc_conformant: true,
        callbacks: Vec::new(),
        allowed_logout_urls: Vec::new(),
        web_origins: Vec::new(),
        allowed_origins: Vec::new(),
        allowed_clients: Vec::new(),
        grant_types: Client::default_grant_types(app_type),
        token_endpoint_auth_method: default_method,
        jwt_configuration: JwtConfiguration::default(),
        refresh_token: RefreshTokenPolicy::default(),
        sso_disabled: false,
        sso: false,
        custom_login_page_on: true,
        client_aliases: Vec::new(),
        cross_origin_authentication: false,
        initiate_login_uri: None,
        client_metadata: BTreeMap::new(),
        addons: serde_json::Map::new(),
        allow_pkce_plain: false,
        client_secret_sealed: None,
        is_system: false,
        is_token_endpoint_ip_header_trusted: false,
        created_at: now,
        updated_at: now,
    };
    let mut secret = apply(engine, &mut client, input)?;
    if !client.is_public() && client.client_secret_sealed.is_none() {
        let generated = model::ids::new_secret();
        client.client_secret_sealed =
            Some(seal_secret(engine, tenant, &client.client_id, &generated)?);
        secret = Some(generated);
    }
    engine.storage.create_client(&client).await?;
    engine
        .keys
        .publish(tenant, client.jwt_configuration.alg)
        .await?;
    Ok((client, secret))
}

pub async fn get_client(engine: &Engine, tenant: &TenantId, client_id: &str) -> Result<Client> {
    engine
        .storage
        .get_client(tenant, client_id)
        .await?
        .ok_or(EngineError::NotFound("client"))
}

pub async fn list_clients(
    engine: &Engine,
    tenant: &TenantId,
    filter: &ClientFilter,
    paging: &Paging,
) -> Result<Page<Client>> {
    Ok(engine.storage.list_clients(tenant, filter, paging).await?)
}

/// Changes a client; returns it and a new secret when the change made one.
pub async fn update_client(
    engine: &Engine,
    tenant: &TenantId,
    client_id: &str,
    input: &ClientInput,
) -> Result<(Client, Option<String>)> {
    let now = engine.now();
    // The secret must be decided once, outside the retried closure.
    let explicit_or_new = std::sync::Mutex::new(None::<String>);
    let client = engine
        .storage
        .update_client(tenant, client_id, &|mut client: Client| {
            let secret = apply(engine, &mut client, input).map_err(reject)?;
            if let Ok(mut slot) = explicit_or_new.lock() {
                *slot = secret;
            }
            client.updated_at = now;
            Ok(client)
        })
        .await
        .map_err(not_found_as("client"));
    engine.lookups.invalidate(tenant);
    let client = client?;
    let secret = explicit_or_new.lock().ok().and_then(|mut slot| slot.take());
    engine
        .keys
        .publish(tenant, client.jwt_configuration.alg)
        .await?;
    Ok((client, secret))
}

/// Replaces the client's secret with a new random one and returns it.
pub async fn rotate_secret(
    engine: &Engine,
    tenant: &TenantId,
    client_id: &str,
) -> Result<(Client, String)> {
    let secret = model::ids::new_secret();
    let sealed = seal_secret(engine, tenant, client_id, &secret)?;
    let now = engine.now();
    let client = engine
        .storage
        .update_client(tenant, client_id, &|mut client: Client| {
            if client.is_public() {
                return Err(reject(EngineError::invalid(
                    "client_id",
                    "a client whose token_endpoint_auth_method is none has no secret to rotate",
                )));
            }
            client.client_secret_sealed = Some(sealed.clone());
            client.updated_at = now;
            Ok(client)
        })
        .await
        .map_err(not_found_as("client"));
    engine.lookups.invalidate(tenant);
    Ok((client?, secret))
}

pub async fn delete_client(engine: &Engine, tenant: &TenantId, client_id: &str) -> Result<()> {
    let deleted = engine
        .storage
        .delete_client(tenant, client_id)
        .await
        .map_err(not_found_as("client"));
    engine.lookups.invalidate(tenant);
    deleted
}
