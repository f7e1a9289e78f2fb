//! Turns command-line settings into an engine: opens the store (SQLite in the
//! data directory unless a PostgreSQL URL is given) and loads the master key.

use crate::cli::StoreArgs;
use anyhow::{Context, Result, bail};
use connectors::outbound::{OutboundPolicy, OwnDatabase, parse_allow_list};
use crypto::MasterKey;
use engine::{Engine, Settings};
use model::{SystemClock, TenantId};
use std::path::Path;
use std::sync::Arc;
use storage_sql::SqlStorage;

pub async fn open_engine(store: &StoreArgs) -> Result<Engine> {
    let default_tenant = TenantId::new(store.default_tenant.clone());
    if !TenantId::is_valid(default_tenant.as_str()) {
        bail!("--default-tenant must be a DNS label (lowercase letters, digits, hyphens)");
    }
    let storage: SqlStorage = match &store.database_url {
        Some(url) => SqlStorage::open(url)
            .await
            .with_context(|| "opening the database")?,
        None => {
            std::fs::create_dir_all(&store.data_dir).with_context(|| {
                format!("creating the data directory {}", store.data_dir.display())
            })?;
            SqlStorage::open_sqlite_file(&store.data_dir.join("vestibule.db"))
                .await
                .with_context(|| "opening the SQLite database")?
        }
    };
    let master_key = load_master_key(store)?;
    let outbound = outbound_policy(store)?;
    let cores = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2);
    let settings = Settings {
        default_tenant,
        password_params: crypto::PasswordParams {
            m_cost_kib: store.password_hash_memory_kib,
            t_cost: store.password_hash_iterations,
            p_cost: store.password_hash_parallelism,
        },
        // Hashing is CPU-bound: more threads than cores adds memory, not speed.
        max_concurrent_hashes: cores,
        // About a second of waiting at OWASP's cost; beyond it a flood is
        // refused at once instead of holding requests and memory.
        password_hash_queue: store.password_hash_queue.unwrap_or(32 * cores),
        refresh_reuse_interval: store.refresh_reuse_interval.clamp(0, 300),
        import_max_bytes: store.import_max_bytes,
        email_retry_base: store.email_retry_seconds.clamp(1, 3_600),
        outbound,
        ..Settings::default()
    };
    Engine::new(
        Arc::new(storage),
        Arc::new(SystemClock),
        master_key,
        settings,
    )
    .map_err(|error| anyhow::anyhow!("invalid password hashing parameters: {error}"))
}

/// The rules for destinations tenants configure: the allow-list (a
/// malformed entry stops the start, naming it) and the server's own
/// database, which no tenant may reach.
fn outbound_policy(store: &StoreArgs) -> Result<OutboundPolicy> {
    let allowed = parse_allow_list(&store.allowed_private_destinations)
        .map_err(|error| anyhow::anyhow!("VESTIBULE_ALLOWED_PRIVATE_DESTINATIONS: {error}"))?;
    let own_database = store
        .database_url
        .as_deref()
        .and_then(OwnDatabase::from_url);
    Ok(OutboundPolicy::new(
        store.allow_private_upstreams,
        allowed,
        own_database,
    ))
}

/// The master key from the flag/environment, else from (or generated into)
/// `master.key` in the data directory.
fn load_master_key(store: &StoreArgs) -> Result<MasterKey> {
    if let Some(hex) = &store.master_key {
        return MasterKey::from_hex(hex.trim()).map_err(|_| {
            anyhow::anyhow!("VESTIBULE_MASTER_KEY must be 64 hexadecimal characters (32 bytes)")
        });
    }
    let path = store.data_dir.join("master.key");
    if path.exists() {
        let hex = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return MasterKey::from_hex(hex.trim()).map_err(|_| {
            anyhow::anyhow!("{} does not hold 64 hexadecimal characters", path.display())
        });
    }
    std::fs::create_dir_all(&store.data_dir)
        .with_context(|| format!("creating the data directory {}", store.data_dir.display()))?;
    let key = MasterKey::generate()
        .map_err(|error| anyhow::anyhow!("generating a master key: {error}"))?;
    write_private_file(&path, &key.to_hex())
        .with_context(|| format!("writing {}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "VESTIBULE_MASTER_KEY is not set: generated a master key into the data directory. \
         Back it up; every node of a cluster needs the same key"
    );
    if store.database_url.is_some() {
        tracing::warn!(
            "with a shared database, set VESTIBULE_MASTER_KEY on every node, or nodes cannot read each other's secrets"
        );
    }
    Ok(key)
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}
