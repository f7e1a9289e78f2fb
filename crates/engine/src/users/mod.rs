//! Users as the Management API manages them: create in a database
//! connection ([`create`]), change ([`update`]), read, delete, search
//! ([`query`] parses Auth0's `q` and `sort`), find by email, and lift
//! brute-force blocks.

pub mod create;
pub mod link;
mod metadata;
pub mod query;
mod read;
pub mod update;

use crate::Engine;
use crate::error::{EngineError, Result, not_found_as};
use crate::login::login_protection;
use crate::login::password_login::directory;
use model::{TenantId, User};
use std::collections::HashMap;
use storage::{
    LoginCounter, Page, Paging, StorageError, UserCondition, UserField, UserFilter, UserSearch,
};

pub use create::{UserCreate, create_user};
pub use metadata::merge_metadata;
pub use read::get_user;
pub use update::{UserUpdate, update_user};

/// Auth0 lets searches reach only the first 1000 results.
pub const MAX_SEARCH_WINDOW: u64 = 1_000;

/// Deletes the user with their sessions, tokens and brute-force counters.
pub async fn delete_user(engine: &Engine, tenant: &TenantId, user_id: &str) -> Result<()> {
    let user = get_user(engine, tenant, user_id).await?;
    if let Some(connection) = engine
        .storage
        .get_connection(tenant, &user.connection_id)
        .await?
    {
        directory(&connection, Some(&user))
            .before_delete(engine, &user)
            .await?;
    }
    engine
        .storage
        .delete_user(tenant, user_id)
        .await
        .map_err(not_found_as("user"))?;
    login_protection::unblock(engine, tenant, &login_protection::identifiers_of(&user)).await?;
    Ok(())
}

/// What `GET /api/v2/users` asks for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: Option<String>,
    pub sort: Option<String>,
    /// Only users of this connection (by name).
    pub connection: Option<String>,
    pub paging: Paging,
}

pub async fn search_users(
    engine: &Engine,
    tenant: &TenantId,
    request: &SearchRequest,
) -> Result<Page<User>> {
    if request.paging.offset + request.paging.limit > MAX_SEARCH_WINDOW {
        return Err(EngineError::InvalidQuery(format!(
            "You can only page through the first {MAX_SEARCH_WINDOW} records"
        )));
    }
    let mut condition = match request.q.as_deref() {
        Some(q) => query::parse_query(q).map_err(EngineError::InvalidQuery)?,
        None => None,
    };
    if let Some(connection) = request.connection.as_deref().filter(|c| !c.is_empty()) {
        let only = UserCondition::TextEquals(UserField::Connection, connection.to_owned());
        condition = Some(match condition {
            Some(other) => UserCondition::And(vec![only, other]),
            None => only,
        });
    }
    let sort = request
        .sort
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(query::parse_sort)
        .transpose()
        .map_err(EngineError::InvalidQuery)?;
    let condition = match condition {
        Some(condition) => Some(resolve_connection_names(engine, tenant, condition).await?),
        None => None,
    };
    let search = UserSearch {
        condition,
        sort,
        total_limit: Some(MAX_SEARCH_WINDOW),
    };
    match engine
        .storage
        .search_users(tenant, &search, &request.paging)
        .await
    {
        Err(StorageError::Rejected(reason)) => Err(EngineError::InvalidQuery(reason.to_string())),
        other => Ok(other?),
    }
}

/// Replaces each connection-name comparison by one on the connection's id,
/// which the backends answer from their `(tenant, connection, user)` index in
/// user-id order; a name no connection has is left as it is (it matches no
/// user either way).
async fn resolve_connection_names(
    engine: &Engine,
    tenant: &TenantId,
    condition: UserCondition,
) -> Result<UserCondition> {
    fn names(condition: &UserCondition, into: &mut Vec<String>) {
        match condition {
            UserCondition::TextEquals(UserField::Connection, name) => into.push(name.clone()),
            UserCondition::And(items) | UserCondition::Or(items) => {
                items.iter().for_each(|item| names(item, into));
            }
            UserCondition::Not(inner) => names(inner, into),
            _ => {}
        }
    }
    fn rewrite(condition: UserCondition, ids: &HashMap<String, String>) -> UserCondition {
        match condition {
            UserCondition::TextEquals(UserField::Connection, name) => match ids.get(&name) {
                Some(id) => UserCondition::TextEquals(UserField::ConnectionId, id.clone()),
                None => UserCondition::TextEquals(UserField::Connection, name),
            },
            UserCondition::And(items) => {
                UserCondition::And(items.into_iter().map(|c| rewrite(c, ids)).collect())
            }
            UserCondition::Or(items) => {
                UserCondition::Or(items.into_iter().map(|c| rewrite(c, ids)).collect())
            }
            UserCondition::Not(inner) => UserCondition::Not(Box::new(rewrite(*inner, ids))),
            other => other,
        }
    }
    let mut wanted = Vec::new();
    names(&condition, &mut wanted);
    wanted.sort();
    wanted.dedup();
    let mut ids = HashMap::new();
    // Bounded by the parser's limit on leaves, so a handful of lookups at most.
    for name in wanted {
        if let Some(connection) = engine.storage.get_connection_by_name(tenant, &name).await? {
            ids.insert(name, connection.id);
        }
    }
    Ok(rewrite(condition, &ids))
}

/// Every user with this email (any case), across connections.
pub async fn users_by_email(engine: &Engine, tenant: &TenantId, email: &str) -> Result<Vec<User>> {
    let filter = UserFilter {
        connection_id: None,
        email: Some(email.to_owned()),
    };
    let paging = Paging {
        offset: 0,
        limit: 100,
        after: None,
    };
    Ok(engine
        .storage
        .list_users(tenant, &filter, &paging)
        .await?
        .items)
}

/// Deletes the database connection's user with this email, if any.
pub async fn delete_connection_user_by_email(
    engine: &Engine,
    tenant: &TenantId,
    connection_id: &str,
    email: &str,
) -> Result<()> {
    let connection = engine
        .storage
        .get_connection(tenant, connection_id)
        .await?
        .ok_or(EngineError::NotFound("connection"))?;
    if !crate::login::database_users::is_database(&connection) {
        return Err(EngineError::invalid(
            "connection",
            "users can be deleted by email only in database connections",
        ));
    }
    if let Some(user) = engine
        .storage
        .get_user_by_email(tenant, &connection.id, email)
        .await?
    {
        delete_user(engine, tenant, &user.user_id).await?;
    }
    Ok(())
}

/// The brute-force blocks of a user (by id).
pub async fn user_blocks(
    engine: &Engine,
    tenant: &TenantId,
    user_id: &str,
) -> Result<Vec<LoginCounter>> {
    let user = get_user(engine, tenant, user_id).await?;
    login_protection::blocks(engine, tenant, &login_protection::identifiers_of(&user)).await
}

/// Lifts a user's brute-force blocks (by id).
pub async fn unblock_user(engine: &Engine, tenant: &TenantId, user_id: &str) -> Result<()> {
    let user = get_user(engine, tenant, user_id).await?;
    login_protection::unblock(engine, tenant, &login_protection::identifiers_of(&user)).await?;
    Ok(())
}

/// The brute-force blocks of an identifier (email or username), whether or
/// not an account uses it.
pub async fn identifier_blocks(
    engine: &Engine,
    tenant: &TenantId,
    identifier: &str,
) -> Result<Vec<LoginCounter>> {
    login_protection::blocks(engine, tenant, &[User::normalize_login(identifier)]).await
}

pub async fn unblock_identifier(
    engine: &Engine,
    tenant: &TenantId,
    identifier: &str,
) -> Result<()> {
    login_protection::unblock(engine, tenant, &[User::normalize_login(identifier)]).await?;
    Ok(())
}
