//! Tenants: resolution from the request's host, and provisioning — every
//! tenant gets its Management API (a system resource server), signing keys,
//! and optionally a bootstrap client holding every Management API scope.

use crate::error::{EngineError, Result, reject};
use crate::{Engine, token::scopes};
use model::{
    Client, ClientGrant, Clock, ResourceServer, ResourceServerScope, SigningAlg, Tenant, TenantId,
    UnixMillis,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use storage::{ClientFilter, Paging, Storage};

/// How long a host → tenant answer is trusted before storage is asked again.
/// Other nodes' changes to tenant hosts become visible within this time.
const CACHE_TTL_MILLIS: i64 = 10_000;

/// Finds the tenant a request is for, with a short-lived cache so that the hot
/// path does not query storage on every request.
pub struct TenantDirectory {
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    default_tenant: TenantId,
    cache: Mutex<HashMap<String, (Arc<Tenant>, UnixMillis)>>,
}

impl TenantDirectory {
    pub fn new(storage: Arc<dyn Storage>, clock: Arc<dyn Clock>, default_tenant: TenantId) -> Self {
        Self {
            storage,
            clock,
            default_tenant,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn default_tenant_id(&self) -> &TenantId {
        &self.default_tenant
    }

    /// The tenant for a `Host` header value: an exact `host:port` match first,
    /// then the host name alone, then the default tenant.
    pub async fn resolve(&self, host: Option<&str>) -> Result<Arc<Tenant>> {
        let host = host.unwrap_or("").trim().to_ascii_lowercase();
        let now = self.clock.now_millis();
        if let Some(tenant) = self.cached(&host, now) {
            return Ok(tenant);
        }
        let mut candidates = vec![host.clone()];
        if let Some((name, _port)) = host.rsplit_once(':')
            && !name.ends_with(']')
            && !name.is_empty()
        {
            candidates.push(name.to_owned());
        }
        let mut found = None;
        for candidate in candidates.iter().filter(|c| !c.is_empty()) {
            if let Some(tenant) = self.storage.get_tenant_by_host(candidate).await? {
                found = Some(tenant);
                break;
            }
        }
        let tenant = Arc::new(match found {
            Some(tenant) => tenant,
            None => self
                .storage
                .get_tenant(&self.default_tenant)
                .await?
                .ok_or(EngineError::NotFound("tenant"))?,
        });
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(host, (tenant.clone(), now));
        }
        Ok(tenant)
    }

    fn cached(&self, host: &str, now: UnixMillis) -> Option<Arc<Tenant>> {
        let cache = self.cache.lock().ok()?;
        let (tenant, at) = cache.get(host)?;
        (now - at < CACHE_TTL_MILLIS).then(|| tenant.clone())
    }

    /// Forgets every cached answer (after a tenant changed on this node).
    pub fn invalidate(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }
}

/// What a tenant should look like; `ensure_tenant` makes it so.
#[derive(Debug, Clone)]
pub struct TenantSpec {
    pub id: TenantId,
    pub friendly_name: String,
    pub issuer: String,
    pub hosts: Vec<String>,
}

/// Creates the tenant if missing, or brings its issuer and hosts up to date;
/// then makes sure its Management API resource server and signing keys exist.
/// Safe to run on every start of every node.
pub async fn ensure_tenant(engine: &Engine, spec: &TenantSpec) -> Result<Tenant> {
    let _forget = engine.lookups.invalidate_on_drop(&spec.id);
    if !TenantId::is_valid(spec.id.as_str()) {
        return Err(EngineError::invalid(
            "tenant",
            "tenant names are lowercase letters, digits and hyphens (1-63)",
        ));
    }
    let issuer = model::tenant::normalize_issuer(&spec.issuer);
    let issuer_url = url::Url::parse(&issuer)
        .map_err(|_| EngineError::invalid("issuer", "the issuer must be an absolute URL"))?;
    if !matches!(issuer_url.scheme(), "http" | "https") || issuer_url.query().is_some() {
        return Err(EngineError::invalid(
            "issuer",
            "the issuer must be an http(s) URL without query or fragment",
        ));
    }
    let mut hosts: Vec<String> = spec.hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
    if let Some(host) = issuer_url.host_str() {
        let with_port = match issuer_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        if !hosts.contains(&with_port) {
            hosts.push(with_port);
        }
    }
    let now = engine.now();
    let tenant = match engine.storage.get_tenant(&spec.id).await? {
        Some(existing) if existing.issuer == issuer && existing.hosts == hosts => existing,
        Some(_) => {
            let issuer = issuer.clone();
            let hosts = hosts.clone();
            engine
                .storage
                .update_tenant(&spec.id, &move |mut tenant: Tenant| {
                    tenant.issuer = issuer.clone();
                    tenant.hosts = hosts.clone();
                    tenant.updated_at = now;
                    Ok(tenant)
                })
                .await?
        }
        None => {
            let tenant = Tenant {
                id: spec.id.clone(),
                friendly_name: spec.friendly_name.clone(),
                hosts,
                issuer,
                published_algs: Vec::new(),
                prompts: model::PromptSettings::default(),
                settings: model::TenantSettings::default(),
                created_at: now,
                updated_at: now,
            };
            match engine.storage.create_tenant(&tenant).await {
                Ok(()) => tenant,
                // Another node created it at the same moment.
                Err(storage::StorageError::AlreadyExists(_)) => engine
                    .storage
                    .get_tenant(&spec.id)
                    .await?
                    .ok_or(EngineError::NotFound("tenant"))?,
                Err(error) => return Err(error.into()),
            }
        }
    };
    engine.tenants.invalidate();
    ensure_management_api(engine, &tenant).await?;
    engine.keys.create_in_background(&tenant.id).await?;
    Ok(tenant)
}

/// The id of the system resource server that stands for the Management API.
fn management_api_id(tenant: &TenantId) -> String {
    format!("mgmt-api-{tenant}")
}

/// Returns the tenant's Management API resource server, creating it (or
/// following a changed issuer) as needed.
async fn ensure_management_api(engine: &Engine, tenant: &Tenant) -> Result<ResourceServer> {
    let id = management_api_id(&tenant.id);
    let identifier = tenant.management_audience();
    // The current-user scopes are offered too (Auth0's Management API lists
    // them), for end users' own tokens; administrators get the others.
    let wanted_scopes: Vec<ResourceServerScope> = scopes::MANAGEMENT_SCOPES
        .iter()
        .chain(scopes::CURRENT_USER_SCOPES)
        .map(|scope| ResourceServerScope {
            value: (*scope).to_owned(),
            description: String::new(),
        })
        .collect();
    let now = engine.now();
    if let Some(existing) = engine.storage.get_resource_server(&tenant.id, &id).await? {
        if existing.identifier == identifier && existing.scopes == wanted_scopes {
            return Ok(existing);
        }
        let old_identifier = existing.identifier.clone();
        let updated = engine
            .storage
            .update_resource_server(&tenant.id, &id, &|mut server: ResourceServer| {
                server.identifier = identifier.clone();
                server.scopes = wanted_scopes.clone();
                server.updated_at = now;
                Ok(server)
            })
            .await?;
        if old_identifier != identifier {
            follow_audience_change(engine, &tenant.id, &old_identifier, &identifier).await?;
        }
        return Ok(updated);
    }
    let server = ResourceServer {
        tenant_id: tenant.id.clone(),
        id,
        name: "Vestibule Management API".into(),
        identifier,
        scopes: wanted_scopes,
        signing_alg: SigningAlg::Rs256,
        token_lifetime: engine.settings.default_token_lifetime,
        token_lifetime_for_web: 7_200,
        allow_offline_access: false,
        skip_consent_for_verifiable_first_party_clients: false,
        enforce_policies: false,
        token_dialect: "access_token".into(),
        is_system: true,
        created_at: now,
        updated_at: now,
    };
    match engine.storage.create_resource_server(&server).await {
        Ok(()) | Err(storage::StorageError::AlreadyExists(_)) => Ok(server),
        Err(error) => Err(error.into()),
    }
}

/// When the issuer moves, grants for the old Management API audience follow it.
async fn follow_audience_change(
    engine: &Engine,
    tenant: &TenantId,
    old: &str,
    new: &str,
) -> Result<()> {
    let filter = storage::ClientGrantFilter {
        client_id: None,
        audience: Some(old.to_owned()),
    };
    let paging = Paging {
        offset: 0,
        limit: 1_000,
        after: None,
    };
    let grants = engine
        .storage
        .list_client_grants(tenant, &filter, &paging)
        .await?;
    for grant in grants.items {
        engine
            .storage
            .update_client_grant(tenant, &grant.id, &|mut grant: ClientGrant| {
                grant.audience = new.to_owned();
                Ok(grant)
            })
            .await?;
    }
    Ok(())
}

/// Credentials of the bootstrap Management API client, shown once.
#[derive(Clone, PartialEq, Eq)]
pub struct BootstrapCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for BootstrapCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// Makes sure the tenant has a Management API client with every scope.
///
/// With `wanted` credentials that client is created, or kept with exactly
/// that secret (automation sets them through the environment). Without, a
/// client with random credentials is created only if the tenant has no
/// system client yet, and its credentials are returned for printing once.
pub async fn ensure_bootstrap_client(
    engine: &Engine,
    tenant: &Tenant,
    wanted: Option<&BootstrapCredentials>,
) -> Result<Option<BootstrapCredentials>> {
    let _forget = engine.lookups.invalidate_on_drop(&tenant.id);
    let credentials = match wanted {
        Some(wanted) => {
            if wanted.client_id.is_empty() || wanted.client_secret.len() < 16 {
                return Err(EngineError::invalid(
                    "bootstrap",
                    "the bootstrap client id must be set and its secret at least 16 characters",
                ));
            }
            wanted.clone()
        }
        None => {
            if find_system_client(engine, &tenant.id).await?.is_some() {
                return Ok(None);
            }
            BootstrapCredentials {
                client_id: model::ids::new_client_id(),
                client_secret: model::ids::new_secret(),
            }
        }
    };
    let now = engine.now();
    let sealed = crate::management::clients::seal_secret(
        engine,
        &tenant.id,
        &credentials.client_id,
        &credentials.client_secret,
    )?;
    match engine
        .storage
        .get_client(&tenant.id, &credentials.client_id)
        .await?
    {
        Some(_) => {
            let sealed = sealed.clone();
            engine
                .storage
                .update_client(
                    &tenant.id,
                    &credentials.client_id,
                    &move |mut client: Client| {
                        if client.is_public() {
                            return Err(reject(EngineError::Forbidden(
                                "the bootstrap client id belongs to a public client".into(),
                            )));
                        }
                        client.client_secret_sealed = Some(sealed.clone());
                        client.is_system = true;
                        if !client.allows_grant("client_credentials") {
                            client.grant_types.push("client_credentials".into());
                        }
                        client.updated_at = now;
                        Ok(client)
                    },
                )
                .await?;
        }
        None => {
            let client = Client {
                tenant_id: tenant.id.clone(),
                client_id: credentials.client_id.clone(),
                name: "Vestibule Management Client".into(),
                description: "Created at bootstrap; holds every Management API scope".into(),
                app_type: Some(model::AppType::NonInteractive),
                logo_uri: None,
                is_first_party: true,
                oidc_conformant: true,
                callbacks: Vec::new(),
                allowed_logout_urls: Vec::new(),
                web_origins: Vec::new(),
                allowed_origins: Vec::new(),
                allowed_clients: Vec::new(),
                grant_types: vec!["client_credentials".into()],
                token_endpoint_auth_method: model::TokenEndpointAuthMethod::ClientSecretPost,
                jwt_configuration: model::JwtConfiguration::default(),
                refresh_token: model::RefreshTokenPolicy::default(),
                sso_disabled: false,
                sso: false,
                custom_login_page_on: true,
                client_aliases: Vec::new(),
                cross_origin_authentication: false,
                initiate_login_uri: None,
                client_metadata: Default::default(),
                addons: Default::default(),
                allow_pkce_plain: false,
                client_secret_sealed: Some(sealed),
                is_system: true,
                is_token_endpoint_ip_header_trusted: false,
                created_at: now,
                updated_at: now,
            };
            match engine.storage.create_client(&client).await {
                Ok(()) | Err(storage::StorageError::AlreadyExists(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }
    let audience = tenant.management_audience();
    let all_scopes: Vec<String> = scopes::MANAGEMENT_SCOPES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let filter = storage::ClientGrantFilter {
        client_id: Some(credentials.client_id.clone()),
        audience: Some(audience.clone()),
    };
    let existing = engine
        .storage
        .list_client_grants(&tenant.id, &filter, &Paging::default())
        .await?;
    match existing.items.first() {
        Some(grant) => {
            engine
                .storage
                .update_client_grant(&tenant.id, &grant.id, &|mut grant: ClientGrant| {
                    grant.scope = all_scopes.clone();
                    grant.updated_at = now;
                    Ok(grant)
                })
                .await?;
        }
        None => {
            let grant = ClientGrant {
                tenant_id: tenant.id.clone(),
                id: model::ids::new_id("cgr"),
                client_id: credentials.client_id.clone(),
                audience,
                scope: all_scopes,
                created_at: now,
                updated_at: now,
            };
            match engine.storage.create_client_grant(&grant).await {
                Ok(()) | Err(storage::StorageError::AlreadyExists(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }
    Ok(Some(credentials))
}

async fn find_system_client(engine: &Engine, tenant: &TenantId) -> Result<Option<Client>> {
    let mut paging = Paging {
        offset: 0,
        limit: 200,
        after: None,
    };
    loop {
        let page = engine
            .storage
            .list_clients(tenant, &ClientFilter::default(), &paging)
            .await?;
        if let Some(found) = page.items.iter().find(|client| client.is_system) {
            return Ok(Some(found.clone()));
        }
        match page.items.last() {
            Some(last) if page.items.len() as u64 == paging.limit => {
                paging.after = Some(last.client_id.clone());
            }
            _ => return Ok(None),
        }
    }
}
