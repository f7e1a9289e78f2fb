//! Administration commands that act on the configured store directly,
//! through the same engine operations as the Management API.

use crate::cli::{ClientCommand, ConnectionCommand, KeysCommand, TenantCommand};
use crate::config::open_engine;
use anyhow::{Context, Result, bail};
use engine::tenancy::tenants::{TenantSpec, ensure_bootstrap_client, ensure_tenant};
use model::TenantId;
use storage::{ClientFilter, ConnectionFilter, Paging};

fn tenant_id(name: &str) -> Result<TenantId> {
    if !TenantId::is_valid(name) {
        bail!("tenant names are DNS labels: lowercase letters, digits, hyphens");
    }
    Ok(TenantId::new(name))
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn engine_error(error: engine::EngineError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}

pub async fn tenant(command: TenantCommand) -> Result<()> {
    match command {
        TenantCommand::Create {
            store,
            name,
            issuer,
            hosts,
        } => {
            let engine = open_engine(&store).await?;
            let spec = TenantSpec {
                id: tenant_id(&name)?,
                friendly_name: name.clone(),
                issuer,
                hosts,
            };
            let tenant = ensure_tenant(&engine, &spec).await.map_err(engine_error)?;
            // The server creates keys in the background; this command exits
            // right away, so it creates them before it does.
            engine.keys.ensure(&tenant.id).await.map_err(engine_error)?;
            println!(
                "tenant {} issuer {} hosts {}",
                tenant.id,
                tenant.issuer,
                tenant.hosts.join(",")
            );
            if let Some(credentials) = ensure_bootstrap_client(&engine, &tenant, None)
                .await
                .map_err(engine_error)?
            {
                println!(
                    "Management API client: client_id {} client_secret {}",
                    credentials.client_id, credentials.client_secret
                );
            }
        }
        TenantCommand::List { store } => {
            let engine = open_engine(&store).await?;
            for tenant in engine
                .storage
                .list_tenants()
                .await
                .context("listing tenants")?
            {
                println!(
                    "{}\t{}\t{}",
                    tenant.id,
                    tenant.issuer,
                    tenant.hosts.join(",")
                );
            }
        }
        TenantCommand::Delete { store, name } => {
            let engine = open_engine(&store).await?;
            engine
                .storage
                .delete_tenant(&tenant_id(&name)?)
                .await
                .context("deleting the tenant")?;
            println!("deleted tenant {name}");
        }
    }
    Ok(())
}

pub async fn client(command: ClientCommand) -> Result<()> {
    match command {
        ClientCommand::Create {
            store,
            tenant,
            json,
        } => {
            let engine = open_engine(&store).await?;
            let input: engine::management::clients::ClientInput =
                serde_json::from_str(&json).context("parsing the client JSON")?;
            let (client, secret) =
                engine::management::clients::create_client(&engine, &tenant_id(&tenant)?, &input)
                    .await
                    .map_err(engine_error)?;
            print_json(&serde_json::json!({
                "client_id": client.client_id,
                "name": client.name,
                "client_secret": secret,
            }));
        }
        ClientCommand::List { store, tenant } => {
            let engine = open_engine(&store).await?;
            let page = engine::management::clients::list_clients(
                &engine,
                &tenant_id(&tenant)?,
                &ClientFilter::default(),
                &Paging {
                    offset: 0,
                    limit: 1000,
                    after: None,
                },
            )
            .await
            .map_err(engine_error)?;
            for client in page.items {
                println!("{}\t{}", client.client_id, client.name);
            }
        }
        ClientCommand::Delete {
            store,
            tenant,
            client_id,
        } => {
            let engine = open_engine(&store).await?;
            engine::management::clients::delete_client(&engine, &tenant_id(&tenant)?, &client_id)
                .await
                .map_err(engine_error)?;
            println!("deleted client {client_id}");
        }
        ClientCommand::RotateSecret {
            store,
            tenant,
            client_id,
        } => {
            let engine = open_engine(&store).await?;
            let (_, secret) = engine::management::clients::rotate_secret(
                &engine,
                &tenant_id(&tenant)?,
                &client_id,
            )
            .await
            .map_err(engine_error)?;
            println!("{secret}");
        }
    }
    Ok(())
}

pub async fn connection(command: ConnectionCommand) -> Result<()> {
    match command {
        ConnectionCommand::Create {
            store,
            tenant,
            json,
        } => {
            let engine = open_engine(&store).await?;
            let input: engine::management::connections::ConnectionCreate =
                serde_json::from_str(&json).context("parsing the connection JSON")?;
            let tenant = tenant_id(&tenant)?;
            let connection =
                engine::management::connections::create_connection(&engine, &tenant, input)
                    .await
                    .map_err(engine_error)?;
            print_warnings(&engine, &tenant, &connection).await?;
            print_json(&serde_json::json!({
                "id": connection.id,
                "name": connection.name,
                "strategy": connection.strategy,
                "options": engine::management::connections::public_options(&connection),
            }));
        }
        ConnectionCommand::List { store, tenant } => {
            let engine = open_engine(&store).await?;
            let page = engine::management::connections::list_connections(
                &engine,
                &tenant_id(&tenant)?,
                &ConnectionFilter::default(),
                &Paging {
                    offset: 0,
                    limit: 1000,
                    after: None,
                },
            )
            .await
            .map_err(engine_error)?;
            for connection in page.items {
                println!(
                    "{}\t{}\t{}",
                    connection.id, connection.name, connection.strategy
                );
            }
        }
        ConnectionCommand::Delete { store, tenant, id } => {
            let engine = open_engine(&store).await?;
            engine::management::connections::delete_connection(&engine, &tenant_id(&tenant)?, &id)
                .await
                .map_err(engine_error)?;
            println!("deleted connection {id}");
        }
        ConnectionCommand::Enable {
            store,
            tenant,
            id,
            client_id,
            disable,
        } => {
            let engine = open_engine(&store).await?;
            let change = engine::management::connections::EnabledClientChange {
                client_id: client_id.clone(),
                status: !disable,
            };
            let tenant = tenant_id(&tenant)?;
            engine::management::connections::change_enabled_clients(
                &engine,
                &tenant,
                &id,
                &[change],
            )
            .await
            .map_err(engine_error)?;
            let connection = engine::management::connections::get_connection(&engine, &tenant, &id)
                .await
                .map_err(engine_error)?;
            print_warnings(&engine, &tenant, &connection).await?;
            println!(
                "{} connection {id} for client {client_id}",
                if disable { "disabled" } else { "enabled" }
            );
        }
    }
    Ok(())
}

/// The Management API's write warnings, on standard error.
async fn print_warnings(
    engine: &engine::Engine,
    tenant: &TenantId,
    connection: &model::Connection,
) -> Result<()> {
    let warnings = engine::management::connections::offer::warnings(engine, tenant, connection)
        .await
        .map_err(engine_error)?;
    for warning in warnings {
        eprintln!("warning: {}", warning.message);
    }
    Ok(())
}

pub async fn keys(command: KeysCommand) -> Result<()> {
    match command {
        KeysCommand::List { store, tenant } => {
            let engine = open_engine(&store).await?;
            for key in engine
                .keys
                .records(&tenant_id(&tenant)?)
                .await
                .map_err(engine_error)?
            {
                println!("{}\t{}\t{}", key.kid, key.alg, key.state.as_str());
            }
        }
        KeysCommand::Rotate { store, tenant } => {
            let engine = open_engine(&store).await?;
            engine
                .keys
                .rotate(&tenant_id(&tenant)?)
                .await
                .map_err(engine_error)?;
            println!("rotated the signing keys of tenant {tenant}");
        }
    }
    Ok(())
}
