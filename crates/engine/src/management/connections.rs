//! Connections: create with options validated per strategy, change, delete,
//! and the set of clients that enable each one.
//!
//! Secret option values (client secrets, bind passwords, API tokens) are
//! write-only: sealed under the master key before storage, never returned by
//! the Management API, and kept when an update leaves them out.

pub mod offer;

pub use offer::{Warning, button_name, can_log_in, connection_can_log_in};

use crate::Engine;
use crate::error::{EngineError, Result, not_found_as, reject};
use connectors::Strategy;
use model::{Connection, TenantId};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use storage::{ConnectionFilter, Page, Paging};

/// The key under which a sealed option value is stored in place of the secret.
const SEALED_KEY: &str = "$sealed";

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionCreate {
    pub name: String,
    pub strategy: String,
    pub display_name: Option<String>,
    #[schema(value_type = Object)]
    pub options: Option<Value>,
    pub enabled_clients: Option<Vec<String>>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub realms: Option<Vec<String>>,
    pub is_domain_connection: Option<bool>,
    pub show_as_button: Option<bool>,
}

/// Auth0 does not allow changing `name` or `strategy`; `options` replaces the
/// whole options object (secrets left out are kept).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionUpdate {
    pub display_name: Option<String>,
    #[schema(value_type = Object)]
    pub options: Option<Value>,
    pub enabled_clients: Option<Vec<String>>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub realms: Option<Vec<String>>,
    pub is_domain_connection: Option<bool>,
    pub show_as_button: Option<bool>,
}

/// One change to the set of clients enabling a connection.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledClientChange {
    pub client_id: String,
    /// `true` enables, `false` disables.
    pub status: bool,
}

fn parse_strategy(name: &str) -> Result<Strategy> {
    Strategy::parse(name).ok_or_else(|| {
        EngineError::invalid(
            "strategy",
            format!("strategy \"{name}\" is not a supported strategy"),
        )
    })
}

/// Auth0's rule: letters, digits and single inner hyphens, at most 128.
fn check_connection_name(name: &str) -> Result<()> {
    let bytes = name.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= 128
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && !name.contains("--");
    if valid {
        Ok(())
    } else {
        Err(EngineError::invalid(
            "name",
            "name must be 1 to 128 letters, digits and single inner hyphens",
        ))
    }
}

fn check_realms(realms: &[String]) -> Result<()> {
    if realms.len() > 10
        || realms
            .iter()
            .any(|realm| check_connection_name(realm).is_err())
    {
        return Err(EngineError::invalid(
            "realms",
            "realms must be up to 10 connection-style names",
        ));
    }
    Ok(())
}

fn check_metadata(metadata: &BTreeMap<String, String>) -> Result<()> {
    if metadata.len() > 10
        || metadata
            .iter()
            .any(|(key, value)| key.is_empty() || key.len() > 255 || value.len() > 255)
    {
        return Err(EngineError::invalid(
            "metadata",
            "metadata holds at most 10 keys, keys and values of 1 to 255 characters",
        ));
    }
    Ok(())
}

fn seal_context(tenant: &TenantId, connection_id: &str, pointer: &str) -> String {
    format!("connection_option:{tenant}:{connection_id}:{pointer}")
}

/// Validates options for the strategy and seals their secret values.
///
/// `previous` is the stored options of an update. Auth0's PATCH replaces the
/// whole options object, but secrets are never returned, so a secret the new
/// options leave out (or set to `null`) is kept: it is put back in clear
/// before validation (a back-channel `oidc` connection requires its
/// `client_secret`) and stored again as the very sealed value it was. A secret
/// that is sent replaces the stored one.
fn prepare_options(
    engine: &Engine,
    tenant: &TenantId,
    connection_id: &str,
    strategy: Strategy,
    mut options: Value,
    previous: Option<&Value>,
) -> Result<Value> {
    let mut kept: Vec<(&str, Value)> = Vec::new();
    if let Some(previous) = previous {
        for pointer in connectors::secret_fields(strategy) {
            if options.pointer(pointer).is_some_and(|slot| !slot.is_null()) {
                continue; // Sent: it replaces the stored one.
            }
            let Some(stored) = previous.pointer(pointer) else {
                continue;
            };
            let Some(sealed) = stored.get(SEALED_KEY).and_then(Value::as_str) else {
                continue;
            };
            let plaintext = engine
                .master_key
                .open(&seal_context(tenant, connection_id, pointer), sealed)?;
            let secret = serde_json::from_slice(&plaintext).unwrap_or(Value::Null);
            if insert_at_pointer(&mut options, pointer, secret) {
                kept.push((pointer, stored.clone()));
            }
        }
    }
    let validated = connectors::validate_options(strategy, options)
        .map_err(|error| EngineError::invalid(error.field, error.message))?;
    let mut value = validated.into_json();
    for pointer in connectors::secret_fields(strategy) {
        let Some(slot) = value.pointer_mut(pointer).filter(|slot| !slot.is_null()) else {
            continue;
        };
        *slot = match kept.iter().find(|(kept, _)| kept == pointer) {
            Some((_, sealed)) => sealed.clone(),
            None => {
                let plaintext = serde_json::to_vec(slot).unwrap_or_default();
                let sealed = engine
                    .master_key
                    .seal(&seal_context(tenant, connection_id, pointer), &plaintext)?;
                serde_json::json!({ SEALED_KEY: sealed })
            }
        };
    }
    Ok(value)
}

/// Puts `new` at `pointer` when the parent object exists; says whether it did.
fn insert_at_pointer(root: &mut Value, pointer: &str, new: Value) -> bool {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    let parent = if parent.is_empty() {
        Some(root)
    } else {
        root.pointer_mut(parent)
    };
    if let Some(Value::Object(map)) = parent {
        map.insert(key.replace("~1", "/").replace("~0", "~"), new);
        return true;
    }
    false
}

/// The options as the Management API shows them: secrets removed.
pub fn public_options(connection: &Connection) -> Value {
    let mut options = connection.options.clone();
    if let Some(strategy) = Strategy::parse(&connection.strategy) {
        for pointer in connectors::secret_fields(strategy) {
            remove_at_pointer(&mut options, pointer);
        }
    }
    options
}

fn remove_at_pointer(root: &mut Value, pointer: &str) {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return;
    };
    let parent = if parent.is_empty() {
        Some(root)
    } else {
        root.pointer_mut(parent)
    };
    if let Some(Value::Object(map)) = parent {
        map.remove(&key.replace("~1", "/").replace("~0", "~"));
    }
}

/// The options with secrets opened, for the connection strategies themselves.
pub fn unsealed_options(engine: &Engine, connection: &Connection) -> Result<Value> {
    let mut options = connection.options.clone();
    if let Some(strategy) = Strategy::parse(&connection.strategy) {
        for pointer in connectors::secret_fields(strategy) {
            if let Some(slot) = options.pointer_mut(pointer)
                && let Some(sealed) = slot.get(SEALED_KEY).and_then(Value::as_str)
            {
                let plaintext = engine.master_key.open(
                    &seal_context(&connection.tenant_id, &connection.id, pointer),
                    sealed,
                )?;
                *slot = serde_json::from_slice(&plaintext).unwrap_or(Value::Null);
            }
        }
    }
    Ok(options)
}

/// Refuses destinations in the options (custom database hosts and
/// endpoints) that the outbound guard would refuse when they are used, so
/// the administrator learns it when saving, with the rule named. Every
/// connection checks again: DNS may change.
async fn check_destinations(engine: &Engine, options: Option<&Value>) -> Result<()> {
    let Some(options) = options else {
        return Ok(());
    };
    for (field, host, port) in connectors::custom_database::destinations(options) {
        engine
            .settings
            .outbound
            .check_configured(&host, port)
            .await
            .map_err(|refused| {
                EngineError::invalid(format!("options.{field}"), refused.to_string())
            })?;
    }
    Ok(())
}

async fn require_clients_exist(
    engine: &Engine,
    tenant: &TenantId,
    client_ids: &[String],
) -> Result<()> {
    if client_ids.len() > 1_000 {
        return Err(EngineError::invalid(
            "enabled_clients",
            "enabled_clients may hold at most 1000 clients",
        ));
    }
    for (index, client_id) in client_ids.iter().enumerate() {
        if engine
            .storage
            .get_client(tenant, client_id)
            .await?
            .is_none()
        {
            return Err(EngineError::invalid(
                format!("enabled_clients[{index}]"),
                format!("enabled_clients[{index}]: client {client_id} does not exist"),
            ));
        }
    }
    Ok(())
}

pub async fn create_connection(
    engine: &Engine,
    tenant: &TenantId,
    input: ConnectionCreate,
) -> Result<Connection> {
    check_connection_name(&input.name)?;
    let strategy = parse_strategy(&input.strategy)?;
    if let Some(display_name) = &input.display_name {
        crate::validation::check_text("display_name", display_name, 128)?;
    }
    if let Some(metadata) = &input.metadata {
        check_metadata(metadata)?;
    }
    if let Some(realms) = &input.realms {
        check_realms(realms)?;
    }
    let enabled_clients = input.enabled_clients.clone().unwrap_or_default();
    require_clients_exist(engine, tenant, &enabled_clients).await?;
    check_destinations(engine, input.options.as_ref()).await?;
    let id = model::ids::new_id("con");
    let options = prepare_options(
        engine,
        tenant,
        &id,
        strategy,
        input
            .options
            .unwrap_or_else(|| Value::Object(Default::default())),
        None,
    )?;
    let now = engine.now();
    let connection = Connection {
        tenant_id: tenant.clone(),
        id,
        realms: input.realms.unwrap_or_else(|| vec![input.name.clone()]),
        name: input.name,
        display_name: input.display_name,
        strategy: strategy.as_str().to_owned(),
        options,
        metadata: input.metadata.unwrap_or_default(),
        is_domain_connection: input.is_domain_connection.unwrap_or(false),
        show_as_button: input.show_as_button,
        created_at: now,
        updated_at: now,
    };
    engine.storage.create_connection(&connection).await?;
    for client_id in &enabled_clients {
        engine
            .storage
            .set_connection_enabled(tenant, &connection.id, client_id, true)
            .await
            .map_err(not_found_as("client"))?;
    }
    Ok(connection)
}

pub async fn get_connection(engine: &Engine, tenant: &TenantId, id: &str) -> Result<Connection> {
    engine
        .storage
        .get_connection(tenant, id)
        .await?
        .ok_or(EngineError::NotFound("connection"))
}

pub async fn list_connections(
    engine: &Engine,
    tenant: &TenantId,
    filter: &ConnectionFilter,
    paging: &Paging,
) -> Result<Page<Connection>> {
    for (index, strategy) in filter.strategies.iter().enumerate() {
        if Strategy::parse(strategy).is_none() {
            return Err(EngineError::invalid(
                format!("strategy[{index}]"),
                format!("strategy \"{strategy}\" is not a supported strategy"),
            ));
        }
    }
    Ok(engine
        .storage
        .list_connections(tenant, filter, paging)
        .await?)
}

pub async fn update_connection(
    engine: &Engine,
    tenant: &TenantId,
    id: &str,
    input: ConnectionUpdate,
) -> Result<Connection> {
    if let Some(display_name) = &input.display_name {
        crate::validation::check_text("display_name", display_name, 128)?;
    }
    if let Some(metadata) = &input.metadata {
        check_metadata(metadata)?;
    }
    if let Some(realms) = &input.realms {
        check_realms(realms)?;
    }
    if let Some(enabled) = &input.enabled_clients {
        require_clients_exist(engine, tenant, enabled).await?;
    }
    check_destinations(engine, input.options.as_ref()).await?;
    let now = engine.now();
    let connection = engine
        .storage
        .update_connection(tenant, id, &|mut connection: Connection| {
            if let Some(options) = &input.options {
                let strategy = parse_strategy(&connection.strategy).map_err(reject)?;
                connection.options = prepare_options(
                    engine,
                    tenant,
                    &connection.id,
                    strategy,
                    options.clone(),
                    Some(&connection.options),
                )
                .map_err(reject)?;
            }
            if let Some(display_name) = &input.display_name {
                connection.display_name = Some(display_name.clone());
            }
            if let Some(metadata) = &input.metadata {
                connection.metadata = metadata.clone();
            }
            if let Some(realms) = &input.realms {
                connection.realms = realms.clone();
            }
            if let Some(value) = input.is_domain_connection {
                connection.is_domain_connection = value;
            }
            if let Some(value) = input.show_as_button {
                connection.show_as_button = Some(value);
            }
            connection.updated_at = now;
            Ok(connection)
        })
        .await
        .map_err(not_found_as("connection"))?;
    if let Some(wanted) = &input.enabled_clients {
        let current = engine.storage.list_enabled_clients(tenant, id).await?;
        for client_id in current.iter().filter(|c| !wanted.contains(c)) {
            engine
                .storage
                .set_connection_enabled(tenant, id, client_id, false)
                .await?;
        }
        for client_id in wanted.iter().filter(|c| !current.contains(c)) {
            engine
                .storage
                .set_connection_enabled(tenant, id, client_id, true)
                .await
                .map_err(not_found_as("client"))?;
        }
    }
    Ok(connection)
}

pub async fn delete_connection(engine: &Engine, tenant: &TenantId, id: &str) -> Result<()> {
    engine
        .storage
        .delete_connection(tenant, id)
        .await
        .map_err(not_found_as("connection"))
}

pub async fn enabled_clients(engine: &Engine, tenant: &TenantId, id: &str) -> Result<Vec<String>> {
    get_connection(engine, tenant, id).await?;
    Ok(engine.storage.list_enabled_clients(tenant, id).await?)
}

/// Applies a batch of enable/disable changes; every client is checked first
/// so that a bad entry changes nothing.
pub async fn change_enabled_clients(
    engine: &Engine,
    tenant: &TenantId,
    id: &str,
    changes: &[EnabledClientChange],
) -> Result<()> {
    get_connection(engine, tenant, id).await?;
    if changes.len() > 50 {
        return Err(EngineError::invalid(
            "body",
            "at most 50 changes per request",
        ));
    }
    let ids: Vec<String> = changes.iter().map(|c| c.client_id.clone()).collect();
    require_clients_exist(engine, tenant, &ids).await?;
    for change in changes {
        engine
            .storage
            .set_connection_enabled(tenant, id, &change.client_id, change.status)
            .await
            .map_err(not_found_as("client"))?;
    }
    Ok(())
}
