//! `list_log_events`: a [`LogSearch`] becomes one parameterised statement,
//! the way `user_search.rs` does it for users.
//!
//! Column names come only from the fixed [`column`] table and operators
//! from this file; every value the caller gave is a bound parameter. Every
//! column but `date` may be NULL, so leaves read `col IS NOT NULL AND …`
//! and `NOT` means "does not match" even for events without the field.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode};
use crate::pool::{Arg, args};
use model::{LogEvent, TenantId};
use sqlx::AssertSqlSafe;
use storage::{Bound, LogCondition, LogField, LogSearch, Page, Paging, Result, StorageError};

/// Conditions deeper or larger than this are refused.
const MAX_DEPTH: usize = 16;
const MAX_LEAVES: usize = 64;

/// The column a field is copied to (migration 0011).
fn column(field: LogField) -> &'static str {
    match field {
        LogField::Type => "event_type",
        LogField::UserId => "user_id",
        LogField::ClientId => "client_id",
        LogField::Connection => "connection",
        LogField::Ip => "ip",
        LogField::UserName => "user_name",
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refused(&'static str);

struct Builder {
    args: Vec<Arg>,
}

impl Builder {
    fn bind(&mut self, value: Arg) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
    }

    fn condition(&mut self, condition: &LogCondition) -> String {
        match condition {
            LogCondition::Equals(field, value) => {
                let name = column(*field);
                let value = self.bind(Arg::from(value.as_str()));
                format!("({name} IS NOT NULL AND {name} = {value})")
            }
            LogCondition::Date { lower, upper } => {
                let mut parts = Vec::new();
                for (bound, inclusive, exclusive) in [(lower, ">=", ">"), (upper, "<=", "<")] {
                    if let Some(Bound {
                        value,
                        inclusive: incl,
                    }) = bound
                    {
                        let op = if *incl { inclusive } else { exclusive };
                        let value = self.bind(Arg::Int(*value));
                        parts.push(format!("date {op} {value}"));
                    }
                }
                if parts.is_empty() {
                    parts.push("date IS NOT NULL".to_owned());
                }
                format!("({})", parts.join(" AND "))
            }
            LogCondition::And(items) | LogCondition::Or(items) if items.is_empty() => {
                // An empty AND holds, an empty OR does not.
                let holds = matches!(condition, LogCondition::And(_));
                (if holds { "(1 = 1)" } else { "(1 = 0)" }).to_owned()
            }
            LogCondition::And(items) | LogCondition::Or(items) => {
                let joiner = if matches!(condition, LogCondition::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let parts: Vec<String> = items.iter().map(|item| self.condition(item)).collect();
                format!("({})", parts.join(joiner))
            }
            LogCondition::Not(inner) => format!("(NOT {})", self.condition(inner)),
        }
    }
}

impl SqlStorage {
    pub(crate) async fn list_log_events_sql(
        &self,
        tenant: &TenantId,
        search: &LogSearch,
        paging: &Paging,
    ) -> Result<Page<LogEvent>> {
        const CONTEXT: &str = "list log events";
        let mut builder = Builder {
            args: args![tenant],
        };
        let mut filter = "tenant_id = $1".to_owned();
        if let Some(condition) = &search.condition {
            if condition.depth() > MAX_DEPTH || condition.leaves() > MAX_LEAVES {
                return Err(StorageError::Rejected(Box::new(Refused(
                    "the search condition is too large",
                ))));
            }
            filter.push_str(" AND ");
            filter.push_str(&builder.condition(condition));
        }
        let count_sql = format!("SELECT COUNT(*) FROM log_events WHERE {filter}");
        let (total,): (i64,) = self
            .pool
            .fetch_one(AssertSqlSafe(count_sql), builder.args.clone())
            .await
            .ctx(CONTEXT)?;
        let (order, offset) = match &paging.after {
            // Checkpoint: after the id, in id order, no offset.
            Some(after) => {
                let after = builder.bind(Arg::from(after.as_str()));
                filter.push_str(&format!(" AND log_id > {after}"));
                ("log_id", 0)
            }
            None if search.ascending => ("date, log_id", paging.offset),
            None => ("date DESC, log_id DESC", paging.offset),
        };
        let limit = builder.bind(Arg::Int(i64::try_from(paging.limit).unwrap_or(i64::MAX)));
        let offset = builder.bind(Arg::Int(i64::try_from(offset).unwrap_or(i64::MAX)));
        let page_sql = format!(
            "SELECT data FROM log_events WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
        );
        let rows: Vec<(String,)> = self
            .pool
            .fetch_all(AssertSqlSafe(page_sql), builder.args)
            .await
            .ctx(CONTEXT)?;
        Ok(Page {
            items: rows
                .iter()
                .map(|(data,)| decode(data))
                .collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}
