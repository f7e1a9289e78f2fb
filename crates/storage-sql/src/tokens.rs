//! Issued tokens (refresh tokens and opaque access tokens), addressed by the
//! hash of the token value.
//!
//! Tokens are never rewritten whole, only marked used or revoked, so the two
//! marks live **only** in the `used_at` and `revoked_at` columns: the JSON in
//! `data` is written once, with both cleared, and every read lays the columns
//! over the decoded record. That keeps each mark a single-column `UPDATE`
//! with no JSON to keep in step, and makes marking a refresh token used one
//! statement: `UPDATE … WHERE used_at IS NULL AND … RETURNING`, which the
//! database applies for exactly one of any number of concurrent callers. A
//! rotation commits that mark and the `INSERT` of its successors together:
//! in one statement on PostgreSQL, in one transaction sent as one command on
//! SQLite.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode, encode};
use crate::pool::{Arg, Pool, args, retrying};
use async_trait::async_trait;
use model::{IssuedToken, RefreshUse, TenantId, UnixMillis, User};
use sqlx::AssertSqlSafe;
use storage::{Result, TokenStore};

/// The columns every token read selects, in this order.
type TokenRow = (String, Option<UnixMillis>, Option<UnixMillis>);

/// A token row with the `data` of its user, if that user exists unlinked.
type TokenWithUserRow = (
    String,
    Option<UnixMillis>,
    Option<UnixMillis>,
    Option<String>,
);

/// How many columns one token row binds in `create_tokens`.
const TOKEN_COLUMNS: usize = 11;

/// The bound values of one token row, in `create_tokens`' column order. The
/// JSON is written with both marks cleared; the columns carry them.
fn token_args(token: &IssuedToken) -> Result<Vec<Arg>> {
    // New tokens carry no marks: no copy needed to clear them.
    let data = if token.used_at.is_none() && token.revoked_at.is_none() {
        encode(token)?
    } else {
        encode(&IssuedToken {
            used_at: None,
            revoked_at: None,
            ..token.clone()
        })?
    };
    Ok(vec![
        Arg::from(&token.tenant_id),
        Arg::from(token.token_hash.as_str()),
        Arg::from(data),
        Arg::from(token.kind.as_str()),
        Arg::from(token.family_id.as_str()),
        Arg::from(token.user_id.as_str()),
        Arg::from(token.client_id.as_str()),
        Arg::from(token.expires_at),
        Arg::from(token.family_expires_at),
        Arg::from(token.used_at),
        Arg::from(token.revoked_at),
    ])
}

const GET_TOKEN: &str = "SELECT data, used_at, revoked_at FROM tokens \
     WHERE tenant_id = $1 AND token_hash = $2";

/// A token and its user. The user's conditions are those of `get_user` (a
/// linked user is read through its primary only).
const GET_TOKEN_WITH_USER: &str = "SELECT t.data, t.used_at, t.revoked_at, u.data FROM tokens t \
     LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.user_id = t.user_id \
       AND u.linked_to IS NULL \
     WHERE t.tenant_id = $1 AND t.token_hash = $2";

/// Marks a live refresh token of the client used, for exactly one caller.
const MARK_USED: &str = "UPDATE tokens SET used_at = $3 \
     WHERE tenant_id = $1 AND token_hash = $2 AND kind = 'refresh' \
       AND client_id = $4 AND used_at IS NULL AND revoked_at IS NULL \
       AND expires_at > $3 AND family_expires_at > $3 \
     RETURNING data, used_at, revoked_at";

/// The columns of a token row, in the order [`token_args`] binds them.
const TOKEN_COLUMN_NAMES: &str = "tenant_id, token_hash, data, kind, family_id, user_id, \
     client_id, expires_at, family_expires_at, used_at, revoked_at";

/// `($first, …), (…), …`: one row of placeholders per token, numbered from
/// `first`, and their values. The text holds placeholders only, never values.
fn token_rows(tokens: &[IssuedToken], first: usize) -> Result<(String, Vec<Arg>)> {
    use std::fmt::Write as _;
    // Written into one buffer: this runs on every rotation.
    let mut rows = String::with_capacity(tokens.len() * TOKEN_COLUMNS * 6);
    let mut values = Vec::with_capacity(tokens.len() * TOKEN_COLUMNS);
    for (row, token) in tokens.iter().enumerate() {
        let start = first + row * TOKEN_COLUMNS;
        rows.push_str(if row == 0 { "(" } else { ", (" });
        for n in start..start + TOKEN_COLUMNS {
            let separator = if n == start { "" } else { ", " };
            // Writing to a `String` cannot fail.
            let _ = write!(rows, "{separator}${n}");
        }
        rows.push(')');
        values.extend(token_args(token)?);
    }
    Ok((rows, values))
}

/// One multi-row `INSERT` of `tokens` (atomic on its own, one commit instead
/// of one per token), or `None` for no tokens.
fn insert_tokens(tokens: &[IssuedToken]) -> Result<Option<(String, Vec<Arg>)>> {
    if tokens.is_empty() {
        return Ok(None);
    }
    let (rows, values) = token_rows(tokens, 1)?;
    Ok(Some((
        format!("INSERT INTO tokens ({TOKEN_COLUMN_NAMES}) VALUES {rows}"),
        values,
    )))
}

/// PostgreSQL's rotation in one statement (one round trip, one commit): the
/// mark of [`MARK_USED`] (`$1`–`$4`), and the successors (from `$5`),
/// inserted by a data-modifying `WITH` only when the mark returned the row.
/// A clash of a successor fails the whole statement, mark included.
fn rotate_on_postgres(successors: &[IssuedToken], mark: Vec<Arg>) -> Result<(String, Vec<Arg>)> {
    let (rows, values) = token_rows(successors, mark.len() + 1)?;
    let sql = format!(
        "WITH used AS ({MARK_USED}), \
         stored AS (INSERT INTO tokens ({TOKEN_COLUMN_NAMES}) \
           SELECT * FROM (VALUES {rows}) AS successor ({TOKEN_COLUMN_NAMES}) \
           WHERE EXISTS (SELECT 1 FROM used)) \
         SELECT data, used_at, revoked_at FROM used"
    );
    Ok((sql, mark.into_iter().chain(values).collect()))
}

/// SQLite's rotation in one transaction sent as one command (one round trip
/// to the connection's thread): the mark of [`MARK_USED`] (`$1`–`$4`), then
/// the successors (from `$5`), inserted only when the mark changed a row
/// (`changes()` is the count of the last statement completed before this
/// one). A clash of a successor fails the script before its `COMMIT`, and
/// the mark is rolled back with it.
fn rotate_on_sqlite(successors: &[IssuedToken], mark: Vec<Arg>) -> Result<(String, Vec<Arg>)> {
    let (rows, values) = token_rows(successors, mark.len() + 1)?;
    let sql = format!(
        "{MARK_USED}; \
         INSERT INTO tokens ({TOKEN_COLUMN_NAMES}) \
           SELECT * FROM (VALUES {rows}) WHERE changes() = 1"
    );
    Ok((sql, mark.into_iter().chain(values).collect()))
}

/// The record as it currently stands: the stored JSON with the marks laid over.
fn token_from_row((data, used_at, revoked_at): TokenRow) -> Result<IssuedToken> {
    let mut token: IssuedToken = decode(&data)?;
    token.used_at = used_at;
    token.revoked_at = revoked_at;
    Ok(token)
}

#[async_trait]
impl TokenStore for SqlStorage {
    async fn create_token(&self, token: &IssuedToken) -> Result<()> {
        self.create_tokens(std::slice::from_ref(token)).await
    }

    async fn create_tokens(&self, tokens: &[IssuedToken]) -> Result<()> {
        let Some((sql, values)) = insert_tokens(tokens)? else {
            return Ok(());
        };
        self.pool
            .execute(AssertSqlSafe(sql), values)
            .await
            .unique("create token", "token")?;
        Ok(())
    }

    async fn get_token(&self, tenant: &TenantId, token_hash: &str) -> Result<Option<IssuedToken>> {
        let row: Option<TokenRow> = self
            .pool
            .fetch_optional(GET_TOKEN, args![tenant, token_hash])
            .await
            .ctx("get token")?;
        row.map(token_from_row).transpose()
    }

    async fn get_token_with_user(
        &self,
        tenant: &TenantId,
        token_hash: &str,
    ) -> Result<Option<(IssuedToken, Option<User>)>> {
        let row: Option<TokenWithUserRow> = self
            .pool
            .fetch_optional(GET_TOKEN_WITH_USER, args![tenant, token_hash])
            .await
            .ctx("get token with user")?;
        let Some((data, used_at, revoked_at, user)) = row else {
            return Ok(None);
        };
        let token = token_from_row((data, used_at, revoked_at))?;
        let user = user.as_deref().map(decode::<User>).transpose()?;
        Ok(Some((token, user)))
    }

    async fn rotate_refresh_token(
        &self,
        tenant: &TenantId,
        token_hash: &str,
        client_id: &str,
        now: UnixMillis,
        successors: &[IssuedToken],
    ) -> Result<RefreshUse> {
        const CONTEXT: &str = "use refresh token";
        let mark = || args![tenant, token_hash, now, client_id];
        let rotation = match (&self.pool, successors.is_empty()) {
            // Nothing to store: the mark alone, one statement.
            (_, true) => None,
            (Pool::Postgres(_), false) => Some(rotate_on_postgres(successors, mark())?),
            (Pool::Sqlite(..), false) => Some(rotate_on_sqlite(successors, mark())?),
        };
        let used: Option<TokenRow> = retrying(|| async {
            match (&rotation, &self.pool) {
                (None, _) => self
                    .pool
                    .fetch_optional(MARK_USED, mark())
                    .await
                    .ctx(CONTEXT),
                (Some((sql, values)), Pool::Postgres(_)) => self
                    .pool
                    .fetch_optional(AssertSqlSafe(sql.clone()), values.clone())
                    .await
                    .unique(CONTEXT, "token"),
                // SQLite has no data-modifying `WITH`: the statements in one
                // transaction, sent at once. Only the mark returns a row.
                (Some((sql, values)), Pool::Sqlite(..)) => Ok(self
                    .pool
                    .sqlite_transaction::<TokenRow>(sql, values.clone())
                    .await
                    .unique(CONTEXT, "token")?
                    .into_iter()
                    .next()),
            }
        })
        .await?;
        if let Some(row) = used {
            return Ok(RefreshUse::Fresh(token_from_row(row)?));
        }
        // Not marked by us: tell a token used before from one that is not
        // usable at all. Once used, a token's mark never goes away, so this
        // read cannot mistake a fresh token for a used one.
        let Some(token) = self.get_token(tenant, token_hash).await? else {
            return Ok(RefreshUse::Invalid);
        };
        Ok(match token.used_at {
            Some(_) if token.is_live_refresh_of(client_id, now) => RefreshUse::AlreadyUsed(token),
            _ => RefreshUse::Invalid,
        })
    }

    async fn revoke_family(
        &self,
        tenant: &TenantId,
        family_id: &str,
        now: UnixMillis,
    ) -> Result<u64> {
        self.revoke_until_none_left(
            "UPDATE tokens SET revoked_at = $3 \
             WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL",
            args![tenant, family_id, now],
            "revoke token family",
        )
        .await
    }

    async fn revoke_user_tokens(
        &self,
        tenant: &TenantId,
        user_id: &str,
        client_id: Option<&str>,
        now: UnixMillis,
    ) -> Result<u64> {
        const CONTEXT: &str = "revoke user tokens";
        match client_id {
            Some(client_id) => {
                self.revoke_until_none_left(
                    "UPDATE tokens SET revoked_at = $3 \
                     WHERE tenant_id = $1 AND user_id = $2 AND client_id = $4 \
                       AND revoked_at IS NULL",
                    args![tenant, user_id, now, client_id],
                    CONTEXT,
                )
                .await
            }
            None => {
                self.revoke_until_none_left(
                    "UPDATE tokens SET revoked_at = $3 \
                     WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL",
                    args![tenant, user_id, now],
                    CONTEXT,
                )
                .await
            }
        }
    }
}

impl SqlStorage {
    /// Runs a revoking `UPDATE` until a pass revokes nothing (a few passes at
    /// most); returns how many tokens it revoked. A rotation that holds one of
    /// the tokens' rows when the statement reaches it commits its successors
    /// first, and on PostgreSQL (READ COMMITTED) they are not in that
    /// statement's snapshot: the next pass sees and revokes them.
    async fn revoke_until_none_left(
        &self,
        sql: &'static str,
        values: Vec<Arg>,
        context: &'static str,
    ) -> Result<u64> {
        let mut revoked = 0;
        for _ in 0..8 {
            let pass = self.pool.execute(sql, values.clone()).await.ctx(context)?;
            revoked += pass;
            if pass == 0 {
                break;
            }
        }
        Ok(revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage_conformance::fixtures::refresh_token;

    #[test]
    fn rows_number_their_placeholders_from_first() {
        let tokens = [
            refresh_token("acme", "h1", "f1", 10),
            refresh_token("acme", "h2", "f1", 10),
        ];
        let (rows, values) = token_rows(&tokens, 5).unwrap();
        let row = |from: usize| {
            let list: Vec<String> = (from..from + TOKEN_COLUMNS)
                .map(|n| format!("${n}"))
                .collect();
            format!("({})", list.join(", "))
        };
        assert_eq!(rows, format!("{}, {}", row(5), row(16)));
        assert_eq!(values.len(), 2 * TOKEN_COLUMNS);
    }

    /// Every plan node of an `EXPLAIN (FORMAT JSON)` answer, depth first.
    fn plan_nodes(plan: &serde_json::Value, nodes: &mut Vec<serde_json::Value>) {
        nodes.push(plan.clone());
        for child in plan["Plans"].as_array().into_iter().flatten() {
            plan_nodes(child, nodes);
        }
    }

    /// PostgreSQL plans every token lookup of the hot paths on the primary
    /// key even while the table has no statistics (a new database, or
    /// autovacuum off), and in the generic plan a pooled connection caches
    /// (see migration 0010). Skipped without a server outside CI.
    #[tokio::test]
    async fn token_lookups_use_the_primary_key_before_any_statistics() {
        use sqlx::{Connection, Executor, PgConnection};
        use storage::Storage;
        let url = std::env::var("VESTIBULE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let mut conn = match PgConnection::connect(&url).await {
            Ok(conn) => conn,
            Err(err) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("CI=true but PostgreSQL at {url} is unreachable: {err}")
            }
            Err(err) => {
                eprintln!("SKIPPING: PostgreSQL at {url} is unreachable ({err})");
                return;
            }
        };
        let schema = format!("plans_{}", uuid::Uuid::new_v4().simple());
        let storage = SqlStorage::open_postgres(&url, Some(&schema))
            .await
            .unwrap();
        storage.close().await;
        conn.execute(AssertSqlSafe(format!(
            "SET search_path TO \"{schema}\"; SET plan_cache_mode = force_generic_plan"
        )))
        .await
        .unwrap();
        let statements = [
            ("get_token", "text, text", GET_TOKEN),
            ("get_token_with_user", "text, text", GET_TOKEN_WITH_USER),
            ("mark_used", "text, text, bigint, text", MARK_USED),
        ];
        let mut wrong = Vec::new();
        for (name, types, sql) in statements {
            conn.execute(AssertSqlSafe(format!("PREPARE {name} ({types}) AS {sql}")))
                .await
                .unwrap();
            let nulls = vec!["NULL"; types.split(',').count()].join(", ");
            let (explained,): (serde_json::Value,) = sqlx::query_as(AssertSqlSafe(format!(
                "EXPLAIN (FORMAT JSON) EXECUTE {name} ({nulls})"
            )))
            .fetch_one(&mut conn)
            .await
            .unwrap();
            let mut nodes = Vec::new();
            plan_nodes(&explained[0]["Plan"], &mut nodes);
            for node in nodes {
                let scan = node["Node Type"].as_str().unwrap_or_default();
                let index = node["Index Name"].as_str();
                let seq_scan = scan == "Seq Scan" && node["Relation Name"] == "tokens";
                let other_index =
                    index.is_some_and(|i| i.starts_with("tokens") && i != "tokens_pkey");
                if seq_scan || other_index {
                    wrong.push(format!("{name}: {scan} {}", index.unwrap_or_default()));
                }
            }
        }
        conn.execute(AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
            .await
            .unwrap();
        assert!(
            wrong.is_empty(),
            "token lookups not on tokens_pkey: {wrong:?}"
        );
    }

    #[test]
    fn the_stored_json_never_carries_the_marks() {
        let mut used = refresh_token("acme", "h1", "f1", 10);
        used.used_at = Some(3);
        used.revoked_at = Some(4);
        for token in [refresh_token("acme", "h1", "f1", 10), used] {
            let args = token_args(&token).unwrap();
            let Arg::Text(data) = &args[2] else {
                panic!("the data column is text");
            };
            let stored: IssuedToken = decode(data).unwrap();
            assert_eq!((stored.used_at, stored.revoked_at), (None, None));
        }
    }
}
