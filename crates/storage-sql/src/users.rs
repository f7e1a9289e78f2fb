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

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode, encode};
use crate::list::ListQuery;
use crate::pool::{Arg, args, retrying};
use crate::record::{Record, write_args};
use async_trait::async_trait;
use model::{TenantId, User};
use sqlx::AssertSqlSafe;
use storage::{Page, Paging, Result, StorageError, Updater, UserFilter, UserSearch, UserStore};

impl Record for User {
    const KIND: &'static str = "user";
    const KEY_FIELD: &'static str = "user_id";
    const SELECT: &'static str =
        "SELECT data, version FROM users WHERE tenant_id = $1 AND user_id = $2";
    const INSERT: &'static str = "INSERT INTO users \
         (tenant_id, data, version, user_id, connection_id, email_lower, username_lower, \
          created_at, last_login, logins_count, email_search, name_search) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    const UPDATE: &'static str = "UPDATE users \
         SET data = $2, version = version + 1, connection_id = $5, email_lower = $6, \
             username_lower = $7, created_at = $8, last_login = $9, logins_count = $10, \
             email_search = $11, name_search = $12 \
         WHERE tenant_id = $1 AND user_id = $4 AND version = $3";

    fn tenant(&self) -> &str {
        self.tenant_id.as_str()
    }
    fn key(&self) -> &str {
        &self.user_id
    }
    fn columns(&self) -> Vec<Arg> {
        vec![
            Arg::from(self.user_id.as_str()),
            Arg::from(self.connection_id.as_str()),
            Arg::OptText(self.email.as_deref().map(User::normalize_login)),
            Arg::OptText(self.username.as_deref().map(User::normalize_login)),
            Arg::Int(self.created_at),
            Arg::OptInt(self.last_login),
            Arg::Int(self.logins_count),
            Arg::OptText(self.email.as_deref().map(User::normalize_login)),
            Arg::OptText(self.name.as_deref().map(User::normalize_login)),
        ]
    }
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
        let mut query = ListQuery::new("users", "user_id", tenant.as_str());
        if let Some(connection_id) = &filter.connection_id {
            query = query.equals("connection_id", connection_id.as_str());
        }
        if let Some(email) = &filter.email {
            query = query.equals("email_lower", User::normalize_login(email));
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
                    "DELETE FROM users WHERE tenant_id = $1 AND user_id = $2",
                    args![tenant, user_id],
                )
                .await
                .ctx(CONTEXT)?;
            if deleted == 0 {
                return Err(StorageError::NotFound);
            }
            for sql in [
                "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2",
                "DELETE FROM tokens WHERE tenant_id = $1 AND user_id = $2",
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
}
