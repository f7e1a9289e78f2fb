//! `search_users`: a [`UserSearch`] becomes one parameterised statement.
//!
//! Column names come only from the fixed [`column`] table and operators from
//! this file; every value the caller gave is a bound parameter. Leaves never
//! evaluate to NULL (`col IS NOT NULL AND …`), so `NOT` means "does not
//! match" even for users without the field. Prefixes become byte-order
//! ranges over the search columns (`col >= p AND col < p || U+10FFFF`), which
//! both backends answer from an index (the PostgreSQL columns use the "C"
//! collation for that); a value continuing the prefix with U+10FFFF itself
//! is the one string this misses.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode};
use crate::pool::{Arg, args};
use model::{TenantId, User};
use sqlx::AssertSqlSafe;
use storage::{Bound, Page, Paging, Result, StorageError, UserCondition, UserField, UserSearch};

/// Conditions deeper or larger than this are refused.
const MAX_DEPTH: usize = 16;
const MAX_LEAVES: usize = 64;

/// The column a field lives in, and whether it may be NULL.
fn column(field: UserField) -> (&'static str, bool) {
    match field {
        UserField::Email => ("email_search", true),
        UserField::Name => ("name_search", true),
        UserField::Username => ("username_lower", true),
        UserField::UserId => ("user_id", false),
        UserField::Connection | UserField::ConnectionId => ("connection_id", false),
        UserField::LoginsCount => ("logins_count", false),
        UserField::CreatedAt => ("created_at", false),
        UserField::LastLogin => ("last_login", true),
    }
}

/// Text values of these fields are compared as `User::normalize_login` has them.
fn folds_case(field: UserField) -> bool {
    matches!(
        field,
        UserField::Email | UserField::Name | UserField::Username
    )
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refused(&'static str);

fn refused(message: &'static str) -> StorageError {
    StorageError::Rejected(Box::new(Refused(message)))
}

struct Builder {
    args: Vec<Arg>,
}

impl Builder {
    fn bind(&mut self, value: Arg) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
    }

    fn not_null(field: UserField, sql: String) -> String {
        match column(field) {
            (name, true) => format!("({name} IS NOT NULL AND {sql})"),
            (_, false) => format!("({sql})"),
        }
    }

    fn text_value(field: UserField, value: &str) -> String {
        if folds_case(field) {
            User::normalize_login(value)
        } else {
            value.to_owned()
        }
    }

    fn condition(&mut self, condition: &UserCondition) -> Result<String> {
        Ok(match condition {
            UserCondition::TextEquals(UserField::Connection, name) => {
                let name = self.bind(Arg::from(name.as_str()));
                format!(
                    "(connection_id IN (SELECT id FROM connections \
                     WHERE tenant_id = $1 AND name = {name}))"
                )
            }
            UserCondition::TextEquals(field, value) if !field.is_numeric() => {
                let (name, _) = column(*field);
                let value = self.bind(Arg::from(Self::text_value(*field, value)));
                Self::not_null(*field, format!("{name} = {value}"))
            }
            UserCondition::TextPrefix(field, prefix) if folds_case(*field) => {
                let (name, _) = column(*field);
                let prefix = Self::text_value(*field, prefix);
                if prefix.is_empty() {
                    return Ok(format!("({name} IS NOT NULL)"));
                }
                let upper = format!("{prefix}{}", char::MAX);
                let lower = self.bind(Arg::from(prefix));
                let upper = self.bind(Arg::from(upper));
                Self::not_null(*field, format!("{name} >= {lower} AND {name} < {upper}"))
            }
            UserCondition::Range {
                field,
                lower,
                upper,
            } if field.is_numeric() => {
                let (name, _) = column(*field);
                let mut parts = Vec::new();
                for (bound, inclusive, exclusive) in [(lower, ">=", ">"), (upper, "<=", "<")] {
                    if let Some(Bound {
                        value,
                        inclusive: incl,
                    }) = bound
                    {
                        let op = if *incl { inclusive } else { exclusive };
                        let value = self.bind(Arg::Int(*value));
                        parts.push(format!("{name} {op} {value}"));
                    }
                }
                if parts.is_empty() {
                    parts.push(format!("{name} IS NOT NULL"));
                }
                Self::not_null(*field, parts.join(" AND "))
            }
            UserCondition::And(items) | UserCondition::Or(items) if !items.is_empty() => {
                let joiner = if matches!(condition, UserCondition::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let parts = items
                    .iter()
                    .map(|item| self.condition(item))
                    .collect::<Result<Vec<_>>>()?;
                format!("({})", parts.join(joiner))
            }
            UserCondition::Not(inner) => format!("(NOT {})", self.condition(inner)?),
            _ => return Err(refused("a search condition does not fit its field")),
        })
    }
}

fn order_by(search: &UserSearch) -> String {
    match search.sort {
        Some(sort) => {
            let (name, nullable) = column(sort.field);
            let direction = if sort.descending { "DESC" } else { "ASC" };
            let nulls = if nullable { " NULLS LAST" } else { "" };
            if name == "user_id" {
                format!("user_id {direction}")
            } else {
                format!("{name} {direction}{nulls}, user_id {direction}")
            }
        }
        None => "user_id ASC".to_owned(),
    }
}

impl SqlStorage {
    pub(crate) async fn search_users_sql(
        &self,
        tenant: &TenantId,
        search: &UserSearch,
        paging: &Paging,
    ) -> Result<Page<User>> {
        const CONTEXT: &str = "search users";
        let mut builder = Builder {
            args: args![tenant],
        };
        // Linked (secondary) users are part of their primary, not users of their own.
        let mut filter = "tenant_id = $1 AND linked_to IS NULL".to_owned();
        if let Some(condition) = &search.condition {
            if condition.depth() > MAX_DEPTH || condition.leaves() > MAX_LEAVES {
                return Err(refused("the search condition is too large"));
            }
            filter.push_str(" AND ");
            filter.push_str(&builder.condition(condition)?);
        }
        let count_sql = match search.total_limit {
            Some(cap) => {
                let cap = builder.bind(Arg::Int(i64::try_from(cap).unwrap_or(i64::MAX)));
                format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE {filter} LIMIT {cap}) AS capped"
                )
            }
            None => format!("SELECT COUNT(*) FROM users WHERE {filter}"),
        };
        let (total,): (i64,) = self
            .pool
            .fetch_one(AssertSqlSafe(count_sql), builder.args.clone())
            .await
            .ctx(CONTEXT)?;
        let limit = builder.bind(Arg::Int(i64::try_from(paging.limit).unwrap_or(i64::MAX)));
        let offset = builder.bind(Arg::Int(i64::try_from(paging.offset).unwrap_or(i64::MAX)));
        // A deferred join: the page's ids are picked (and sorted) from what
        // the indexes hold, and only those rows are read whole; sorting
        // every match with its JSON `data` first made wide searches slow.
        let order = order_by(search);
        let page_sql = format!(
            "SELECT data FROM users WHERE tenant_id = $1 AND user_id IN \
             (SELECT user_id FROM users WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}) \
             ORDER BY {order}"
        );
        let rows: Vec<(String,)> = self
            .pool
            .fetch_all(AssertSqlSafe(page_sql), builder.args)
            .await
            .ctx(CONTEXT)?;
        let items = rows
            .iter()
            .map(|(data,)| decode(data))
            .collect::<Result<Vec<User>>>()?;
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}
