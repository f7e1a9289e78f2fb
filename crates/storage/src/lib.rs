//! The storage interface: everything Vestibule persists goes through
//! [`Storage`].
//!
//! Rules every backend follows (and `storage-conformance` checks):
//! - Every method takes the tenant; no query reads or writes across tenants.
//! - Lookups return `Ok(None)` for a missing record; mutations of a missing
//!   record return [`StorageError::NotFound`].
//! - Uniqueness (client id, connection name per tenant, resource server
//!   identifier per tenant, one grant per client and audience) is enforced by
//!   the database and reported as [`StorageError::AlreadyExists`].
//! - `update_*` methods take a closure and apply it atomically. The closure may
//!   run more than once (optimistic concurrency), must not call storage, and
//!   must not change the record's identity fields.
//! - `consume_*` methods hand a single-use record out at most once, even to
//!   concurrent callers.
//!
//! This crate must not know SQL, HTTP or Auth0 wire shapes.

mod email;
mod job;
mod log_search;
mod login_counter;
mod user_search;

pub use job::JobStore;

pub use email::{ClaimedEmail, EmailStore};
pub use log_search::{LogCondition, LogField, LogSearch};
pub use login_counter::{CounterKey, CounterKind, Failure, LoginCounter};
pub use user_search::{Bound, UserCondition, UserField, UserSearch, UserSort};

use async_trait::async_trait;
use model::{
    Client, ClientGrant, Connection, IssuedToken, LoginTransaction, OneTimeRecord, RefreshUse,
    ResourceServer, Session, SigningAlg, SigningKey, Tenant, TenantId, UnixMillis, User,
};

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the string names the record kind.
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// Too many concurrent writers changed the record while we tried to update it.
    #[error("conflicting concurrent update")]
    Conflict,
    /// An `update_*` closure refused the change.
    #[error("update rejected: {0}")]
    Rejected(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("storage backend failed to {context}")]
    Backend {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StorageError {
    pub fn backend(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Backend {
            context,
            source: source.into(),
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A closure that turns the stored record into its new version.
pub type Updater<'a, T> = &'a (dyn Fn(T) -> Result<T> + Send + Sync);

/// Which slice of a list to return.
///
/// Offset paging (`page`/`per_page`) sets `offset`; checkpoint paging
/// (`from`/`take`) sets `after` to the id of the last record already seen.
/// Records are always ordered by their id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    pub offset: u64,
    pub limit: u64,
    pub after: Option<String>,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            offset: 0,
            limit: 50,
            after: None,
        }
    }
}

/// One page of a list and the number of records matching the filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFilter {
    pub app_types: Vec<String>,
    pub is_first_party: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionFilter {
    /// Any of these strategies (empty: all).
    pub strategies: Vec<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientGrantFilter {
    pub client_id: Option<String>,
    pub audience: Option<String>,
}

/// Tenants.
#[async_trait]
pub trait TenantStore: Send + Sync {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<()>;
    async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>>;
    /// The tenant that lists `host` among its hosts.
    async fn get_tenant_by_host(&self, host: &str) -> Result<Option<Tenant>>;
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;
    async fn update_tenant(&self, id: &TenantId, updater: Updater<'_, Tenant>) -> Result<Tenant>;
    /// Deletes the tenant and every record that belongs to it.
    async fn delete_tenant(&self, id: &TenantId) -> Result<()>;
}

/// Clients (applications).
#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn create_client(&self, client: &Client) -> Result<()>;
    async fn get_client(&self, tenant: &TenantId, client_id: &str) -> Result<Option<Client>>;
    async fn list_clients(
        &self,
        tenant: &TenantId,
        filter: &ClientFilter,
        paging: &Paging,
    ) -> Result<Page<Client>>;
    async fn update_client(
        &self,
        tenant: &TenantId,
        client_id: &str,
        updater: Updater<'_, Client>,
    ) -> Result<Client>;
    /// Deletes the client, its grants and its enabled-connection links.
    async fn delete_client(&self, tenant: &TenantId, client_id: &str) -> Result<()>;
}

/// Connections and which clients enable them.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn create_connection(&self, connection: &Connection) -> Result<()>;
    async fn get_connection(&self, tenant: &TenantId, id: &str) -> Result<Option<Connection>>;
    async fn get_connection_by_name(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<Connection>>;
    async fn list_connections(
        &self,
        tenant: &TenantId,
        filter: &ConnectionFilter,
        paging: &Paging,
    ) -> Result<Page<Connection>>;
    async fn update_connection(
        &self,
        tenant: &TenantId,
        id: &str,
        updater: Updater<'_, Connection>,
    ) -> Result<Connection>;
    /// Deletes the connection and its enabled-client links.
    async fn delete_connection(&self, tenant: &TenantId, id: &str) -> Result<()>;
    /// The client ids that enable a connection, ordered by client id.
    async fn list_enabled_clients(
        &self,
        tenant: &TenantId,
        connection_id: &str,
    ) -> Result<Vec<String>>;
    /// Enables (`true`) or disables a connection for a client. Idempotent.
    /// Fails with `NotFound` when the connection or the client does not exist.
    async fn set_connection_enabled(
        &self,
        tenant: &TenantId,
        connection_id: &str,
        client_id: &str,
        enabled: bool,
    ) -> Result<()>;
    /// The connections a client enables, ordered by connection name.
    async fn list_client_connections(
        &self,
        tenant: &TenantId,
        client_id: &str,
    ) -> Result<Vec<Connection>>;
}

/// Resource servers (APIs).
#[async_trait]
pub trait ResourceServerStore: Send + Sync {
    async fn create_resource_server(&self, resource_server: &ResourceServer) -> Result<()>;
    async fn get_resource_server(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<ResourceServer>>;
    async fn get_resource_server_by_identifier(
        &self,
        tenant: &TenantId,
        identifier: &str,
    ) -> Result<Option<ResourceServer>>;
    async fn list_resource_servers(
        &self,
        tenant: &TenantId,
        paging: &Paging,
    ) -> Result<Page<ResourceServer>>;
    async fn update_resource_server(
        &self,
        tenant: &TenantId,
        id: &str,
        updater: Updater<'_, ResourceServer>,
    ) -> Result<ResourceServer>;
    async fn delete_resource_server(&self, tenant: &TenantId, id: &str) -> Result<()>;
}

/// Client grants.
#[async_trait]
pub trait ClientGrantStore: Send + Sync {
    async fn create_client_grant(&self, grant: &ClientGrant) -> Result<()>;
    async fn get_client_grant(&self, tenant: &TenantId, id: &str) -> Result<Option<ClientGrant>>;
    async fn list_client_grants(
        &self,
        tenant: &TenantId,
        filter: &ClientGrantFilter,
        paging: &Paging,
    ) -> Result<Page<ClientGrant>>;
    async fn update_client_grant(
        &self,
        tenant: &TenantId,
        id: &str,
        updater: Updater<'_, ClientGrant>,
    ) -> Result<ClientGrant>;
    async fn delete_client_grant(&self, tenant: &TenantId, id: &str) -> Result<()>;
}

/// Signing keys.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// Adds a key. At most one key per tenant, algorithm and state among
    /// `next`/`current`/`previous` may exist: a second is `AlreadyExists`.
    async fn create_signing_key(&self, key: &SigningKey) -> Result<()>;
    /// All keys of the tenant (every algorithm and state), ordered by creation.
    async fn list_signing_keys(&self, tenant: &TenantId) -> Result<Vec<SigningKey>>;
    /// Rotates the keys of one algorithm in one transaction: `previous` becomes
    /// `revoked`, `current` becomes `previous` (until `now`), `next` becomes
    /// `current` (since `now`), and `new_next` is stored as `next`.
    /// Fails with `NotFound` when there is no `next` key to promote.
    async fn rotate_signing_keys(
        &self,
        tenant: &TenantId,
        alg: SigningAlg,
        new_next: &SigningKey,
        now: UnixMillis,
    ) -> Result<()>;
    /// Marks one key revoked: it leaves the JWKS at once.
    async fn revoke_signing_key(
        &self,
        tenant: &TenantId,
        kid: &str,
        now: UnixMillis,
    ) -> Result<SigningKey>;
}

/// Single-use records.
#[async_trait]
pub trait OneTimeStore: Send + Sync {
    /// Stores a record; a second one with the same tenant, kind and key hash
    /// is `AlreadyExists`. A record with a `subject` replaces, in the same
    /// transaction, every earlier record of the same tenant, kind and subject.
    async fn create_one_time(&self, record: &OneTimeRecord) -> Result<()>;
    /// Removes and returns the record if it exists and has not expired at `now`.
    /// Of concurrent callers, exactly one gets `Some`.
    async fn consume_one_time(
        &self,
        tenant: &TenantId,
        kind: &str,
        key_hash: &str,
        now: UnixMillis,
    ) -> Result<Option<OneTimeRecord>>;
    /// The record if it exists and has not expired at `now`, without consuming it.
    async fn get_one_time(
        &self,
        tenant: &TenantId,
        kind: &str,
        key_hash: &str,
        now: UnixMillis,
    ) -> Result<Option<OneTimeRecord>>;
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub connection_id: Option<String>,
    /// Case-insensitive exact email.
    pub email: Option<String>,
}

/// Users. `email` and `username` are unique per tenant and connection,
/// compared case-insensitively (`User::normalize_login`).
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn create_user(&self, user: &User) -> Result<()>;
    async fn get_user(&self, tenant: &TenantId, user_id: &str) -> Result<Option<User>>;
    /// The user of `connection_id` with this email (any case).
    async fn get_user_by_email(
        &self,
        tenant: &TenantId,
        connection_id: &str,
        email: &str,
    ) -> Result<Option<User>>;
    /// The user of `connection_id` with this username (any case).
    async fn get_user_by_username(
        &self,
        tenant: &TenantId,
        connection_id: &str,
        username: &str,
    ) -> Result<Option<User>>;
    async fn list_users(
        &self,
        tenant: &TenantId,
        filter: &UserFilter,
        paging: &Paging,
    ) -> Result<Page<User>>;
    async fn update_user(
        &self,
        tenant: &TenantId,
        user_id: &str,
        updater: Updater<'_, User>,
    ) -> Result<User>;
    /// Deletes the user, their sessions and their tokens.
    async fn delete_user(&self, tenant: &TenantId, user_id: &str) -> Result<()>;
    /// The users matching a typed search, in its order, one page of them.
    /// Very deep or large conditions may be refused with `Rejected`.
    async fn search_users(
        &self,
        tenant: &TenantId,
        search: &UserSearch,
        paging: &Paging,
    ) -> Result<Page<User>>;
    /// Creates many users at once (bulk imports): for each user, in order,
    /// `true` when it was stored and `false` when it collides with an
    /// existing user (same id, or same email or username in its
    /// connection), which is left unchanged. Backends may batch the inserts
    /// in one transaction; this default inserts one by one.
    async fn create_users(&self, users: &[User]) -> Result<Vec<bool>> {
        let mut created = Vec::with_capacity(users.len());
        for user in users {
            match self.create_user(user).await {
                Ok(()) => created.push(true),
                Err(StorageError::AlreadyExists(_)) => created.push(false),
                Err(other) => return Err(other),
            }
        }
        Ok(created)
    }

    // Account linking. A linked (secondary) user keeps its record, so its
    // password and its email's place in its connection stay; `get_user`,
    // lists and searches no longer see it, `get_user_by_email`/`_by_username`
    // still find it (the login then resolves it with `primary_user_id`).

    /// Links `secondary` (and every identity already linked to it) to
    /// `primary` in one transaction: the secondary's identities are appended
    /// to the primary's, the secondary's sessions and tokens are deleted.
    /// `NotFound` when either is missing or already linked; `Rejected` when
    /// they are the same user. Returns the updated primary.
    async fn link_user(
        &self,
        tenant: &TenantId,
        primary_user_id: &str,
        secondary_user_id: &str,
    ) -> Result<User>;
    /// Undoes a link in one transaction: the identity `secondary_user_id`
    /// (`{provider}|{id}`) leaves the primary's identities and the secondary
    /// becomes a user of its own again, whose only identity is that one
    /// (with the primary's latest copy of it). `NotFound` when the primary
    /// does not exist or that identity is not linked to it. Returns the
    /// updated primary and the restored secondary.
    async fn unlink_user(
        &self,
        tenant: &TenantId,
        primary_user_id: &str,
        secondary_user_id: &str,
    ) -> Result<(User, User)>;
    /// Whom a user id logs in as: the primary it is linked to, itself when
    /// it is not linked, `None` when there is no such user.
    async fn primary_user_id(&self, tenant: &TenantId, user_id: &str) -> Result<Option<String>>;
}

/// Failed-login counters (brute-force protection, IP throttling).
#[async_trait]
pub trait LoginCounterStore: Send + Sync {
    /// Adds one failure atomically and returns the new count: a missing
    /// counter, or one whose run started before `failure.restart_before`,
    /// becomes 1. Of concurrent callers each sees a distinct count.
    async fn add_login_failure(
        &self,
        tenant: &TenantId,
        key: &CounterKey,
        failure: Failure,
    ) -> Result<u64>;
    /// The counter if it exists and has not expired at `now`.
    async fn get_login_counter(
        &self,
        tenant: &TenantId,
        key: &CounterKey,
        now: UnixMillis,
    ) -> Result<Option<LoginCounter>>;
    /// Removes one counter; returns whether it existed.
    async fn delete_login_counter(&self, tenant: &TenantId, key: &CounterKey) -> Result<bool>;
    /// Every unexpired counter of a kind for these subjects (any connection
    /// and IP), ordered by subject, connection and IP.
    async fn list_login_counters(
        &self,
        tenant: &TenantId,
        kind: CounterKind,
        subjects: &[String],
        now: UnixMillis,
    ) -> Result<Vec<LoginCounter>>;
    /// Removes every counter of a kind for these subjects; returns how many.
    async fn delete_login_counters(
        &self,
        tenant: &TenantId,
        kind: CounterKind,
        subjects: &[String],
    ) -> Result<u64>;
}

/// SSO sessions, addressed by the hash of the cookie value.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &Session) -> Result<()>;
    /// The session if it exists and has not expired (absolute `expires_at`) at `now`.
    async fn get_session(
        &self,
        tenant: &TenantId,
        id_hash: &str,
        now: UnixMillis,
    ) -> Result<Option<Session>>;
    async fn update_session(
        &self,
        tenant: &TenantId,
        id_hash: &str,
        updater: Updater<'_, Session>,
    ) -> Result<Session>;
    async fn delete_session(&self, tenant: &TenantId, id_hash: &str) -> Result<()>;
    /// Ends every session of a user; returns how many there were.
    async fn delete_user_sessions(&self, tenant: &TenantId, user_id: &str) -> Result<u64>;
}

/// Refresh tokens and opaque access tokens, addressed by the hash of the value.
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn create_token(&self, token: &IssuedToken) -> Result<()>;
    /// Stores several tokens at once, all or none (one grant's access and
    /// refresh tokens: one write instead of two on the token endpoint).
    async fn create_tokens(&self, tokens: &[IssuedToken]) -> Result<()>;
    /// The token if it exists (revoked or expired ones too; callers check).
    async fn get_token(&self, tenant: &TenantId, token_hash: &str) -> Result<Option<IssuedToken>>;
    /// The token as [`TokenStore::get_token`] reads it, with the user it was
    /// issued to as [`UserStore::get_user`] reads that (`None` when the user
    /// is gone or linked into another): the refresh grant needs both before
    /// it rotates, and one read is one round trip instead of two.
    async fn get_token_with_user(
        &self,
        tenant: &TenantId,
        token_hash: &str,
    ) -> Result<Option<(IssuedToken, Option<User>)>>;
    /// Marks a refresh token of `client_id` used and stores `successors`
    /// (the rotation's new access and refresh tokens), atomically and in one
    /// commit: of concurrent callers exactly one gets `Fresh`, and only its
    /// successors are written; the others get `AlreadyUsed` and write
    /// nothing. Revoked, expired (`expires_at` or `family_expires_at` ≤
    /// `now`) or unknown tokens, and tokens of another client (left
    /// unmarked), are `Invalid`. With no successors it only marks.
    async fn rotate_refresh_token(
        &self,
        tenant: &TenantId,
        token_hash: &str,
        client_id: &str,
        now: UnixMillis,
        successors: &[IssuedToken],
    ) -> Result<RefreshUse>;
    /// Revokes every token of a family; returns how many were live.
    async fn revoke_family(
        &self,
        tenant: &TenantId,
        family_id: &str,
        now: UnixMillis,
    ) -> Result<u64>;
    /// Revokes every token of a user (optionally only those of one client).
    async fn revoke_user_tokens(
        &self,
        tenant: &TenantId,
        user_id: &str,
        client_id: Option<&str>,
        now: UnixMillis,
    ) -> Result<u64>;
}

/// Login transactions in progress.
#[async_trait]
pub trait TransactionStore: Send + Sync {
    async fn create_transaction(&self, transaction: &LoginTransaction) -> Result<()>;
    /// The transaction if it exists and has not expired at `now`.
    async fn get_transaction(
        &self,
        tenant: &TenantId,
        id: &str,
        now: UnixMillis,
    ) -> Result<Option<LoginTransaction>>;
    async fn update_transaction(
        &self,
        tenant: &TenantId,
        id: &str,
        updater: Updater<'_, LoginTransaction>,
    ) -> Result<LoginTransaction>;
    /// Removes and returns the transaction (unexpired at `now`); of concurrent
    /// callers exactly one gets it. Ends a transaction when it issues.
    async fn consume_transaction(
        &self,
        tenant: &TenantId,
        id: &str,
        now: UnixMillis,
    ) -> Result<Option<LoginTransaction>>;
}

/// The whole storage interface, held by the rest of Vestibule as `Arc<dyn Storage>`.
#[async_trait]
pub trait Storage:
    TenantStore
    + ClientStore
    + ConnectionStore
    + ResourceServerStore
    + ClientGrantStore
    + SigningKeyStore
    + OneTimeStore
    + UserStore
    + SessionStore
    + TokenStore
    + TransactionStore
    + LoginCounterStore
    + JobStore
    + EmailStore
{
    /// Which backend this is (`sqlite`, `postgres`), for logs and `/readyz`.
    fn backend_name(&self) -> &'static str;
    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;
    /// Removes expired single-use records, transactions, sessions, tokens
    /// (once both they and their family have expired) and login counters;
    /// returns how many.
    async fn garbage_collect(&self, now: UnixMillis) -> Result<u64>;
    /// Closes the storage's connections, waiting for those in use; later
    /// calls fail. A process calls it before it exits: the last SQLite
    /// connection to close checkpoints and removes the write-ahead log, so
    /// the next start does not replay it.
    async fn close(&self);
}
