//! Users.
//!
//! `email_lower` and `username_lower` hold `User::normalize_login` of the
//! email and username (computed here, never in SQL, so both backends agree on
//! what "case-insensitive" means) and carry the per-tenant, per-connection
//! unique constraints; a user without an email or username stores NULL, which
//! never collides. `created_at`, `last_login` and `logins_count` are columns
//! for search and sorting, with `email_search` and `name_search` (see
//! `user_search.rs`). Deleting a user also deletes their sessions
//! and tokens, in one transaction.
//!
//! Uniqueness of email and username applies where Vestibule itself knows
//! users by them: database (`auth0`) and passwordless (`email`, `sms`)
//! identities. Users of redirect connections (social, enterprise) are known
//! by their upstream id only, and Auth0 lets several of them share an email,
//! so their `email_lower`/`username_lower` stay NULL (searches and
//! users-by-email use `email_search`).
//!
//! A linked secondary user keeps its row with `linked_to` naming its
//! primary: the plain reads (`SELECT`, lists, search) skip it, logins by
//! email or username still find it and resolve it with `primary_user_id`.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode, encode};
use crate::list::ListQuery;
use crate::pool::{ATTEMPTS, Arg, args, pause, retrying};
use crate::record::{Record, write_args};
use async_trait::async_trait;
use model::{TenantId, User};
use sqlx::AssertSqlSafe;
use storage::{Page, Paging, Result, StorageError, Updater, UserFilter, UserSearch, UserStore};

impl Record for User {
    const KIND: &'static str = "user";
    const KEY_FIELD: &'static str = "user_id";
    const SELECT: &'static str = "SELECT data, version FROM users WHERE tenant_id = $1 AND user_id = $2 AND linked_to IS NULL";
    const INSERT: &'static str = "INSERT INTO users \
         (tenant_id, data, version, user_id, connection_id, email_lower, username_lower, \
          created_at, last_login, logins_count, email_search, name_search) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    const UPDATE: &'static str = "UPDATE users \
         SET data = $2, version = version + 1, connection_id = $5, email_lower = $6, \
             username_lower = $7, created_at = $8, last_login = $9, logins_count = $10, \
             email_search = $11, name_search = $12 \
         WHERE tenant_id = $1 AND user_id = $4 AND version = $3 AND linked_to IS NULL";

    fn tenant(&self) -> &str {
        self.tenant_id.as_str()
    }
    fn key(&self) -> &str {
        &self.user_id
    }
    fn columns(&self) -> Vec<Arg> {
        let unique = logins_are_unique(self);
        let login = |value: &Option<String>| {
            Arg::OptText(
                value
                    .as_deref()
                    .filter(|_| unique)
                    .map(User::normalize_login),
            )
        };
        vec![
            Arg::from(self.user_id.as_str()),
            Arg::from(self.connection_id.as_str()),
            login(&self.email),
            login(&self.username),
            Arg::Int(self.created_at),
            Arg::OptInt(self.last_login),
            Arg::Int(self.logins_count),
            Arg::OptText(self.email.as_deref().map(User::normalize_login)),
            Arg::OptText(self.name.as_deref().map(User::normalize_login)),
        ]
    }
}

/// Whether the user's email and username must be unique in its connection:
/// true unless its own identity comes from a redirect connection (a user
/// without that identity is treated as unique, the safe side).
fn logins_are_unique(user: &User) -> bool {
    user.identities
        .iter()
        .find(|identity| identity.connection_id == user.connection_id)
        .is_none_or(|identity| matches!(identity.provider.as_str(), "auth0" | "email" | "sms"))
}

impl SqlStorage {
    /// The user of `connection_id` whose `column` (a lowercased login) is `value`.
    async fn get_user_by_login(
        &self,
        sql: &'static str,
        tenant: &TenantId,
        connection_id: &str,
        value: &str,
        context: &'static str,
    ) -> Result<Option<User>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                sql,
                args![tenant, connection_id, User::normalize_login(value)],
            )
            .await
            .ctx(context)?;
        row.map(|(data,)| decode(&data)).transpose()
    }
}

#[async_trait]
impl UserStore for SqlStorage {
    async fn create_user(&self, user: &User) -> Result<()> {
        self.insert_record(user, "create user").await
    }

    async fn get_user(&self, tenant: &TenantId, user_id: &str) -> Result<Option<User>> {
        self.get_record(tenant.as_str(), user_id, "get user").await
    }

    async fn get_user_by_email(
        &self,
        tenant: &TenantId,
        connection_id: &str,
        email: &str,
    ) -> Result<Option<User>> {
        self.get_user_by_login(
            "SELECT data FROM users \
             WHERE tenant_id = $1 AND connection_id = $2 AND email_lower = $3",
            tenant,
            connection_id,
            email,
            "get user by email",
        )
        .await
    }

    async fn get_user_by_username(
        &self,
        tenant: &TenantId,
        connection_id: &str,
        username: &str,
    ) -> Result<Option<User>> {
        self.get_user_by_login(
            "SELECT data FROM users \
             WHERE tenant_id = $1 AND connection_id = $2 AND username_lower = $3",
            tenant,
            connection_id,
            username,
            "get user by username",
        )
        .await
    }

    async fn list_users(
        &self,
        tenant: &TenantId,
        filter: &UserFilter,
        paging: &Paging,
    ) -> Result<Page<User>> {
        let mut query = ListQuery::new("users", "user_id", tenant.as_str()).where_null("linked_to");
        if let Some(connection_id) = &filter.connection_id {
            query = query.equals("connection_id", connection_id.as_str());
        }
        if let Some(email) = &filter.email {
            query = query.equals("email_search", User::normalize_login(email));
        }
        query.fetch(self, paging, "list users").await
    }

    async fn update_user(
        &self,
        tenant: &TenantId,
        user_id: &str,
        updater: Updater<'_, User>,
    ) -> Result<User> {
        self.update_record(tenant.as_str(), user_id, updater, "update user")
            .await
    }

    async fn delete_user(&self, tenant: &TenantId, user_id: &str) -> Result<()> {
        const CONTEXT: &str = "delete user";
        retrying(|| async {
            let mut tx = self.pool.begin().await.ctx(CONTEXT)?;
            let deleted = tx
                .conn()
                .execute(
                    "DELETE FROM users \
                     WHERE tenant_id = $1 AND user_id = $2 AND linked_to IS NULL",
                    args![tenant, user_id],
                )
                .await
                .ctx(CONTEXT)?;
            if deleted == 0 {
                return Err(StorageError::NotFound);
            }
            // The users linked to it go with it (their sessions and tokens
            // went when they were linked).
            for sql in [
                "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2",
                "DELETE FROM tokens WHERE tenant_id = $1 AND user_id = $2",
                "DELETE FROM users WHERE tenant_id = $1 AND linked_to = $2",
            ] {
                tx.conn()
                    .execute(sql, args![tenant, user_id])
                    .await
                    .ctx(CONTEXT)?;
            }
            tx.commit().await.ctx(CONTEXT)
        })
        .await
    }

    async fn search_users(
        &self,
        tenant: &TenantId,
        search: &UserSearch,
        paging: &Paging,
    ) -> Result<Page<User>> {
        self.search_users_sql(tenant, search, paging).await
    }

    /// Multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING user_id`, a few
    /// hundred rows per statement, all in one transaction: a colliding row
    /// is skipped by the database (whichever unique rule it breaks) and
    /// reported `false`, without aborting the others.
    async fn create_users(&self, users: &[User]) -> Result<Vec<bool>> {
        const CONTEXT: &str = "create users";
        /// 12 values a row: well below both backends' bind limits.
        const ROWS_PER_STATEMENT: usize = 500;
        let mut encoded = Vec::with_capacity(users.len());
        for user in users {
            encoded.push(write_args(user, encode(user)?, 1));
        }
        let inserted: Vec<String> = retrying(|| async {
            let mut tx = self.pool.begin().await.ctx(CONTEXT)?;
            let mut inserted = Vec::with_capacity(users.len());
            for rows in encoded.chunks(ROWS_PER_STATEMENT) {
                let mut values = Vec::with_capacity(rows.len() * 12);
                let mut tuples = Vec::with_capacity(rows.len());
                for row in rows {
                    let first = values.len() + 1;
                    let placeholders: Vec<String> = (first..first + row.len())
                        .map(|n| format!("${n}"))
                        .collect();
                    tuples.push(format!("({})", placeholders.join(", ")));
                    values.extend(row.iter().cloned());
                }
                let sql = format!(
                    "INSERT INTO users \
                     (tenant_id, data, version, user_id, connection_id, email_lower, \
                      username_lower, created_at, last_login, logins_count, email_search, \
                      name_search) \
                     VALUES {} ON CONFLICT DO NOTHING RETURNING user_id",
                    tuples.join(", ")
                );
                let returned: Vec<(String,)> = tx
                    .conn()
                    .fetch_all(AssertSqlSafe(sql), values)
                    .await
                    .ctx(CONTEXT)?;
                inserted.extend(returned.into_iter().map(|(id,)| id));
            }
            tx.commit().await.ctx(CONTEXT)?;
            Ok(inserted)
        })
        .await?;
        // A user id returned once marks only its first occurrence, so a
        // batch that repeats an id reports the repeats as collisions.
        let mut inserted: std::collections::HashSet<String> = inserted.into_iter().collect();
        Ok(users
            .iter()
            .map(|user| inserted.remove(&user.user_id))
            .collect())
    }
    async fn link_user(
        &self,
        tenant: &TenantId,
        primary_user_id: &str,
        secondary_user_id: &str,
    ) -> Result<User> {
        const CONTEXT: &str = "link users";
        if primary_user_id == secondary_user_id {
            return Err(StorageError::Rejected(
                "a user cannot be linked to itself".into(),
            ));
        }
        on_conflict_again(|| async {
            let mut tx = self.pool.begin().await.ctx(CONTEXT)?;
            let (mut primary, primary_version) = read_standalone(&mut tx, tenant, primary_user_id)
                .await?
                .ok_or(StorageError::NotFound)?;
            let (secondary, _) = read_standalone(&mut tx, tenant, secondary_user_id)
                .await?
                .ok_or(StorageError::NotFound)?;
            primary.identities.extend(secondary.identities);
            let data = encode(&primary)?;
            let written = tx
                .conn()
                .execute(User::UPDATE, write_args(&primary, data, primary_version))
                .await
                .unique(CONTEXT, User::KIND)?;
            if written != 1 {
                return Err(StorageError::Conflict);
            }
            // The secondary and every user already linked to it now belong
            // to the primary; the version bump stops concurrent updates.
            tx.conn()
                .execute(
                    "UPDATE users SET linked_to = $2, version = version + 1 \
                     WHERE tenant_id = $1 AND (user_id = $3 OR linked_to = $3)",
                    args![tenant, primary_user_id, secondary_user_id],
                )
                .await
                .ctx(CONTEXT)?;
            for sql in [
                "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2",
                "DELETE FROM tokens WHERE tenant_id = $1 AND user_id = $2",
            ] {
                tx.conn()
                    .execute(sql, args![tenant, secondary_user_id])
                    .await
                    .ctx(CONTEXT)?;
            }
            tx.commit().await.ctx(CONTEXT)?;
            Ok(primary)
        })
        .await
    }

    async fn unlink_user(
        &self,
        tenant: &TenantId,
        primary_user_id: &str,
        secondary_user_id: &str,
    ) -> Result<(User, User)> {
        const CONTEXT: &str = "unlink users";
        on_conflict_again(|| async {
            let mut tx = self.pool.begin().await.ctx(CONTEXT)?;
            let (mut primary, primary_version) = read_standalone(&mut tx, tenant, primary_user_id)
                .await?
                .ok_or(StorageError::NotFound)?;
            let row: Option<(String, i64)> = tx
                .conn()
                .fetch_optional(
                    "SELECT data, version FROM users \
                     WHERE tenant_id = $1 AND user_id = $2 AND linked_to = $3",
                    args![tenant, secondary_user_id, primary_user_id],
                )
                .await
                .ctx(CONTEXT)?;
            let Some((data, secondary_version)) = row else {
                return Err(StorageError::NotFound);
            };
            let mut secondary: User = decode(&data)?;
            let position = primary
                .identities
                .iter()
                .position(|identity| {
                    format!("{}|{}", identity.provider, identity.user_id) == secondary_user_id
                })
                .ok_or(StorageError::NotFound)?;
            let identity = primary.identities.remove(position);
            secondary.identities = vec![identity];
            let written = tx
                .conn()
                .execute(
                    User::UPDATE,
                    write_args(&primary, encode(&primary)?, primary_version),
                )
                .await
                .unique(CONTEXT, User::KIND)?;
            if written != 1 {
                return Err(StorageError::Conflict);
            }
            let mut restore = write_args(&secondary, encode(&secondary)?, secondary_version);
            restore.push(Arg::from(primary_user_id));
            let restored = tx
                .conn()
                .execute(
                    "UPDATE users \
                     SET data = $2, version = version + 1, connection_id = $5, \
                         email_lower = $6, username_lower = $7, created_at = $8, \
                         last_login = $9, logins_count = $10, email_search = $11, \
                         name_search = $12, linked_to = NULL \
                     WHERE tenant_id = $1 AND user_id = $4 AND version = $3 AND linked_to = $13",
                    restore,
                )
                .await
                .ctx(CONTEXT)?;
            if restored != 1 {
                return Err(StorageError::Conflict);
            }
            tx.commit().await.ctx(CONTEXT)?;
            Ok((primary, secondary))
        })
        .await
    }

    async fn primary_user_id(&self, tenant: &TenantId, user_id: &str) -> Result<Option<String>> {
        let row: Option<(Option<String>,)> = self
            .pool
            .fetch_optional(
                "SELECT linked_to FROM users WHERE tenant_id = $1 AND user_id = $2",
                args![tenant, user_id],
            )
            .await
            .ctx("find the primary user")?;
        Ok(row.map(|(linked_to,)| linked_to.unwrap_or_else(|| user_id.to_owned())))
    }
}

/// Runs a whole transaction again while it reports `Conflict` (a version it
/// read changed before it wrote), like `update_record` does.
async fn on_conflict_again<T, F, Fut>(mut work: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    for attempt in 0..ATTEMPTS {
        match retrying(&mut work).await {
            Err(StorageError::Conflict) => pause(attempt).await,
            other => return other,
        }
    }
    Err(StorageError::Conflict)
}

/// A user that is not linked to another, and its version, read inside `tx`.
async fn read_standalone(
    tx: &mut crate::pool::Tx,
    tenant: &TenantId,
    user_id: &str,
) -> Result<Option<(User, i64)>> {
    let row: Option<(String, i64)> = tx
        .conn()
        .fetch_optional(User::SELECT, args![tenant, user_id])
        .await
        .ctx("read a user")?;
    row.map(|(data, version)| Ok((decode(&data)?, version)))
        .transpose()
}
