//! Command-line interface. Every setting is a flag and an environment
//! variable, with defaults that work with no configuration at all.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "vestibule",
    version,
    about = "Self-hosted identity broker and OpenID Provider, compatible with Auth0's APIs"
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(
        long,
        env = "VESTIBULE_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage clients (applications).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage connections.
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// Where the data lives; shared by `serve` and the administration commands.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Folder for the SQLite database and the generated master key.
    #[arg(long, env = "VESTIBULE_DATA_DIR", default_value = "vestibule-data")]
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL (required for several nodes); SQLite in the data directory when unset.
    #[arg(long, env = "VESTIBULE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// 64 hex characters (32 random bytes) that encrypt secrets and private keys at rest.
    /// Every node of a cluster needs the same one. Generated into the data directory when unset.
    #[arg(long, env = "VESTIBULE_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// The tenant that serves hosts no tenant claims.
    #[arg(long, env = "VESTIBULE_DEFAULT_TENANT", default_value = "default")]
    pub default_tenant: String,
    /// argon2id memory cost in KiB for new password hashes (OWASP: 19456).
    #[arg(
        long,
        env = "VESTIBULE_PASSWORD_HASH_MEMORY_KIB",
        default_value_t = 19_456
    )]
    pub password_hash_memory_kib: u32,
    /// argon2id passes (OWASP: 2).
    #[arg(long, env = "VESTIBULE_PASSWORD_HASH_ITERATIONS", default_value_t = 2)]
    pub password_hash_iterations: u32,
    /// argon2id lanes (OWASP: 1).
    #[arg(long, env = "VESTIBULE_PASSWORD_HASH_PARALLELISM", default_value_t = 1)]
    pub password_hash_parallelism: u32,
    /// Password hashes that may wait for a hashing thread (one per core);
    /// when that many wait, logins and signups are answered 429 with
    /// `Retry-After` at once. Default: 32 per core.
    #[arg(long, env = "VESTIBULE_PASSWORD_HASH_QUEUE")]
    pub password_hash_queue: Option<usize>,
    /// Seconds during which a rotated refresh token may be presented again
    /// (concurrent refreshes) before it counts as reuse and revokes its family.
    #[arg(long, env = "VESTIBULE_REFRESH_REUSE_INTERVAL", default_value_t = 0)]
    pub refresh_reuse_interval: i64,
    /// Largest user-import file accepted by `POST /api/v2/jobs/users-imports`,
    /// bytes (Auth0: 500 KB per file).
    #[arg(long, env = "VESTIBULE_IMPORT_MAX_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub import_max_bytes: usize,
    /// Seconds before the first retry of an email that could not be
    /// delivered; each further retry waits twice as long (at most an hour).
    #[arg(long, env = "VESTIBULE_EMAIL_RETRY_SECONDS", default_value_t = 30)]
    pub email_retry_seconds: i64,
    /// Let tenants' destinations (identity providers, custom databases, SMTP)
    /// be any loopback, private or link-local address (tests, local
    /// development). Off by default: protects the server's network and cloud
    /// metadata from tenant settings (SSRF). The server's own database stays
    /// refused.
    #[arg(long, env = "VESTIBULE_ALLOW_PRIVATE_UPSTREAMS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_upstreams: bool,
    /// Private destinations tenants may reach, comma-separated: CIDR blocks or
    /// addresses (any port), `address:port`, `host:port` (matched by name),
    /// e.g. `10.0.0.0/8,192.168.1.5:636,db.internal:5432`.
    #[arg(
        long,
        env = "VESTIBULE_ALLOWED_PRIVATE_DESTINATIONS",
        default_value = ""
    )]
    pub allowed_private_destinations: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on (host:port).
    #[arg(long, env = "VESTIBULE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The default tenant's issuer base URL, e.g. `https://auth.example.com/`.
    /// Defaults to `http://{listen}/`.
    #[arg(long, env = "VESTIBULE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// PEM certificate chain to serve HTTPS in-process.
    #[arg(long, env = "VESTIBULE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `--tls-cert`.
    #[arg(long, env = "VESTIBULE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Proxies and load balancers whose `X-Forwarded-For` names the client
    /// (comma-separated addresses or CIDR blocks, e.g. `10.0.0.0/8,::1`).
    /// Brute-force and throttling counters then see the client's address
    /// instead of the proxy's. Unset: the header is ignored.
    #[arg(long, env = "VESTIBULE_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Create (or keep) the default tenant's Management API client with exactly this id.
    #[arg(
        long,
        env = "VESTIBULE_BOOTSTRAP_CLIENT_ID",
        requires = "bootstrap_client_secret"
    )]
    pub bootstrap_client_id: Option<String>,
    /// The secret for `--bootstrap-client-id` (at least 16 characters).
    #[arg(
        long,
        env = "VESTIBULE_BOOTSTRAP_CLIENT_SECRET",
        hide_env_values = true,
        requires = "bootstrap_client_id"
    )]
    pub bootstrap_client_secret: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant (or bring it up to date) and print its bootstrap client once.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// Tenant name (a DNS label).
        name: String,
        /// The tenant's issuer base URL; its host selects the tenant.
        #[arg(long)]
        issuer: String,
        /// Further host names that select this tenant.
        #[arg(long = "host")]
        hosts: Vec<String>,
    },
    /// List tenants.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete a tenant and everything in it.
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Create a client from Auth0's JSON (e.g. '{"name":"App","app_type":"spa"}'); prints it with its secret.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "default")]
        tenant: String,
        json: String,
    },
    /// List clients.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "default")]
        tenant: String,
    },
    /// Delete a client.
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "default")]
        tenant: String,
        client_id: String,
    },
    /// Replace a client's secret and print the new one.
    RotateSecret {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "default")]
        tenant: String,
        client_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Create a connection from Auth0's JSON (e.g. '{"name":"db","strategy":"auth0"}').
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "default")]
        tenant: String,
        json: String,
    },
    /// List connections.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "default")]
        tenant: String,
    },
    /// Delete a connection.
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "default")]
        tenant: String,
        id: String,
    },
    /// Enable (or with --disable, disable) a connection for a client.
    Enable {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "default")]
        tenant: String,
        id: String,
        client_id: String,
        #[arg(long)]
        disable: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "default")]
        tenant: String,
    },
    /// Rotate signing keys: next becomes current, current becomes previous.
    Rotate {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "default")]
        tenant: String,
    },
}
