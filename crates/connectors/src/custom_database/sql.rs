//! The `sql` kind: the customer's PostgreSQL or MySQL/MariaDB database,
//! reached through sqlx's `Any` driver with one small lazy pool per
//! connection. The pool connects to the address the outbound guard checked
//! (the URL's host replaced by it), so DNS cannot move it afterwards; the
//! caller resolves and checks again before each operation and opens a new
//! pool when the address changes. (sqlx is built without TLS here, so no
//! certificate name check depends on the host name.)
//!
//! Queries are written once with `$1`, `$2`, … placeholders (see
//! [`super::checks::query_params`] for each operation's parameters); for
//! MySQL/MariaDB they are rewritten to `?` with the arguments bound in order
//! of appearance. The rewrite reads the text as MySQL does
//! ([`super::sql_text`]), so a `$2b$` inside a string literal, an identifier
//! or a comment is left as written. Every value is a bound parameter, never
//! spliced into SQL.
//!
//! Result columns are read by name: `id` (text or integer), `email`,
//! `email_verified` (boolean, integer or text), `username`, `name`,
//! `nickname`, `given_name`, `family_name`, `picture`, `password_hash`.
//! The `Any` driver understands text, integers (not MySQL `TINYINT`),
//! floats, booleans (PostgreSQL) and blobs: cast other column types
//! in the query (`CAST(x AS CHAR)`, `x::text`).

use super::backend::{CustomDbError, CustomUser, LoginLookup, NewCustomUser, PasswordBackend};
use super::checks::check_database_url;
use super::config::SqlConfig;
use super::sql_text::{Dialect, placeholders};
use async_trait::async_trait;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::net::SocketAddr;
use std::time::Duration;

const MAX_CONNECTIONS: u32 = 4;
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_FIELD_LEN: usize = 4096;

pub struct SqlBackend {
    pool: AnyPool,
    mysql: bool,
    config: SqlConfig,
}

impl SqlBackend {
    /// A backend with a lazy pool to `address` (checked by the guard):
    /// nothing connects until the first query, so a wrong URL surfaces as
    /// `Unavailable` at login, not here.
    pub fn open(config: SqlConfig, address: SocketAddr) -> Result<Self, CustomDbError> {
        sqlx::any::install_default_drivers();
        let parsed = check_database_url(&config.url)
            .map_err(|e| CustomDbError::NotConfigured(format!("database_url {e}")))?;
        let mysql = parsed.mysql;
        let mut url = parsed.url;
        let moved =
            url.set_ip_host(address.ip()).is_ok() && url.set_port(Some(address.port())).is_ok();
        if !moved {
            return Err(CustomDbError::NotConfigured(
                "database URL: invalid host".into(),
            ));
        }
        if !mysql && url.password().is_none() {
            // Otherwise sqlx falls back to the server's own PGPASSWORD,
            // which a tenant's server could ask for in clear text.
            url.query_pairs_mut().append_pair("password", "");
        }
        let url = String::from(url);
        let pool = AnyPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(config.timeout)
            .idle_timeout(IDLE_TIMEOUT)
            .connect_lazy(&url)
            .map_err(|e| CustomDbError::NotConfigured(format!("database URL: {}", redact(&e))))?;
        Ok(Self {
            pool,
            mysql,
            config,
        })
    }

    /// The query text for this backend and the arguments in bind order.
    /// (A query stored before today's checks may not read; it is refused
    /// rather than sent changed.)
    fn prepare<'a>(
        &self,
        operation: &str,
        sql: &str,
        args: &[Option<&'a str>],
    ) -> Result<(String, Vec<Option<&'a str>>), CustomDbError> {
        if !self.mysql {
            return Ok((sql.to_owned(), args.to_vec()));
        }
        let found = placeholders(sql, Dialect::MySql).map_err(|message| {
            CustomDbError::NotConfigured(format!("the {operation} query {message}"))
        })?;
        let mut text = String::with_capacity(sql.len());
        let mut ordered = Vec::new();
        let mut last = 0;
        for placeholder in found {
            text.push_str(&sql[last..placeholder.range.start]);
            text.push('?');
            ordered.push(
                args.get(placeholder.number.wrapping_sub(1))
                    .copied()
                    .flatten(),
            );
            last = placeholder.range.end;
        }
        text.push_str(&sql[last..]);
        Ok((text, ordered))
    }

    fn query_for(&self, operation: &'static str) -> Result<&str, CustomDbError> {
        let q = &self.config.queries;
        let sql = match operation {
            "login" => &q.login,
            "get_user" => &q.get_user,
            "create" => &q.create,
            "verify" => &q.verify,
            "change_password" => &q.change_password,
            _ => &q.delete,
        };
        sql.as_deref()
            .ok_or(CustomDbError::OperationMissing(operation))
    }

    async fn fetch_user(
        &self,
        operation: &'static str,
        arg: &str,
    ) -> Result<Option<CustomUser>, CustomDbError> {
        let sql = self.query_for(operation)?;
        let (text, args) = self.prepare(operation, sql, &[Some(arg)])?;
        // The text is the administrator's configured query (checked at
        // connection create/update); user input only ever goes in binds.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(text));
        for a in args {
            query = query.bind(a.map(str::to_owned));
        }
        let rows = tokio::time::timeout(self.config.timeout, query.fetch_all(&self.pool))
            .await
            .map_err(|_| CustomDbError::Unavailable(format!("{operation} query timed out")))?
            .map_err(|e| {
                CustomDbError::Unavailable(format!("{operation} query: {}", redact(&e)))
            })?;
        match rows.as_slice() {
            [] => Ok(None),
            [row] => read_user(row).map(Some),
            // Two users for one identifier: refuse rather than guess.
            _ => Err(CustomDbError::InvalidResponse(format!(
                "{operation} query returned more than one row"
            ))),
        }
    }

    async fn execute(
        &self,
        operation: &'static str,
        args: &[Option<&str>],
    ) -> Result<u64, CustomDbError> {
        let sql = self.query_for(operation)?;
        let (text, args) = self.prepare(operation, sql, args)?;
        // The text is the administrator's configured query (checked at
        // connection create/update); user input only ever goes in binds.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(text));
        for a in args {
            query = query.bind(a.map(str::to_owned));
        }
        let result = tokio::time::timeout(self.config.timeout, query.execute(&self.pool))
            .await
            .map_err(|_| CustomDbError::Unavailable(format!("{operation} query timed out")))?;
        match result {
            Ok(done) => Ok(done.rows_affected()),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Err(CustomDbError::UserExists)
            }
            Err(e) => Err(CustomDbError::Unavailable(format!(
                "{operation} query: {}",
                redact(&e)
            ))),
        }
    }
}

/// The error without anything that could echo the URL (and its password).
fn redact(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Configuration(_) => "invalid database URL".into(),
        sqlx::Error::Database(db) => format!("database error: {}", db.message()),
        sqlx::Error::Io(io) => format!("I/O error: {io}"),
        sqlx::Error::Tls(_) => "TLS error".into(),
        sqlx::Error::PoolTimedOut => "could not connect in time".into(),
        sqlx::Error::ColumnNotFound(c) => format!("column {c} not found"),
        other => format!("{other}").chars().take(200).collect(),
    }
}

fn column_text(row: &AnyRow, name: &str) -> Result<Option<String>, CustomDbError> {
    if row.try_column(name).is_err() {
        return Ok(None);
    }
    let text = if let Ok(v) = row.try_get::<Option<String>, _>(name) {
        v
    } else if let Ok(v) = row.try_get::<Option<i64>, _>(name) {
        v.map(|n| n.to_string())
    } else if let Ok(v) = row.try_get::<Option<i32>, _>(name) {
        v.map(|n| n.to_string())
    } else if let Ok(v) = row.try_get::<Option<bool>, _>(name) {
        v.map(|b| b.to_string())
    } else if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(name) {
        v.map(String::from_utf8)
            .transpose()
            .map_err(|_| CustomDbError::InvalidResponse(format!("column {name} is not text")))?
    } else {
        return Err(CustomDbError::InvalidResponse(format!(
            "column {name} has an unsupported type; cast it to text"
        )));
    };
    match text {
        Some(t) if t.len() > MAX_FIELD_LEN => Err(CustomDbError::InvalidResponse(format!(
            "column {name} is too long"
        ))),
        other => Ok(other.filter(|t| !t.is_empty())),
    }
}

fn read_user(row: &AnyRow) -> Result<CustomUser, CustomDbError> {
    let id = column_text(row, "id")?
        .ok_or_else(|| CustomDbError::InvalidResponse("the row has no `id`".into()))?;
    let verified = column_text(row, "email_verified")?
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "t" | "yes"))
        .unwrap_or(false);
    Ok(CustomUser {
        id,
        email: column_text(row, "email")?,
        email_verified: verified,
        username: column_text(row, "username")?,
        name: column_text(row, "name")?,
        nickname: column_text(row, "nickname")?,
        given_name: column_text(row, "given_name")?,
        family_name: column_text(row, "family_name")?,
        picture: column_text(row, "picture")?,
        password_hash: column_text(row, "password_hash")?,
    })
}

#[async_trait]
impl PasswordBackend for SqlBackend {
    async fn login(&self, login: &str, _password: &str) -> Result<LoginLookup, CustomDbError> {
        match self.fetch_user("login", login).await? {
            None => Ok(LoginLookup::NotFound),
            Some(user) if user.password_hash.is_none() => Err(CustomDbError::InvalidResponse(
                "the login query returned no `password_hash`".into(),
            )),
            Some(user) => Ok(LoginLookup::Verify(user)),
        }
    }

    async fn get_user(&self, email: &str) -> Result<Option<CustomUser>, CustomDbError> {
        self.fetch_user("get_user", email).await
    }

    async fn create(&self, user: &NewCustomUser) -> Result<(), CustomDbError> {
        self.execute(
            "create",
            &[
                Some(&user.id),
                Some(&user.email),
                Some(&user.password_hash),
                user.username.as_deref(),
            ],
        )
        .await
        .map(|_| ())
    }

    async fn verify(&self, email: &str) -> Result<(), CustomDbError> {
        self.execute("verify", &[Some(email)]).await.map(|_| ())
    }

    async fn change_password(
        &self,
        email: &str,
        _password: &str,
        password_hash: &str,
    ) -> Result<bool, CustomDbError> {
        let changed = self
            .execute("change_password", &[Some(email), Some(password_hash)])
            .await?;
        Ok(changed > 0)
    }

    async fn delete(&self, id: &str) -> Result<(), CustomDbError> {
        self.execute("delete", &[Some(id)]).await.map(|_| ())
    }
}
