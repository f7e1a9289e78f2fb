//! Filtered, paged lists: one builder for every `list_*` of the interface.
//!
//! The SQL is assembled at run time from fixed column names and numbered
//! placeholders only; every value is bound. Records come back ordered by
//! their id. `Paging::after` selects checkpoint paging (ids greater than the
//! last one seen), otherwise `OFFSET`/`LIMIT`. The total counts every record
//! that matches the filter, whatever the page.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode};
use crate::pool::{Arg, args};
use serde::de::DeserializeOwned;
use sqlx::AssertSqlSafe;
use storage::{Page, Paging, Result};

pub(crate) struct ListQuery {
    table: &'static str,
    id_column: &'static str,
    conditions: Vec<String>,
    args: Vec<Arg>,
}

impl ListQuery {
    /// All records of `tenant` in `table`, ordered by `id_column`.
    pub(crate) fn new(table: &'static str, id_column: &'static str, tenant: &str) -> Self {
        Self {
            table,
            id_column,
            conditions: vec!["tenant_id = $1".to_owned()],
            args: args![tenant],
        }
    }

    fn placeholder(&mut self, value: Arg) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
    }

    /// Only records whose `column` equals `value`.
    pub(crate) fn equals(mut self, column: &'static str, value: impl Into<Arg>) -> Self {
        let placeholder = self.placeholder(value.into());
        self.conditions.push(format!("{column} = {placeholder}"));
        self
    }

    /// Only records whose `column` is NULL.
    pub(crate) fn where_null(mut self, column: &'static str) -> Self {
        self.conditions.push(format!("{column} IS NULL"));
        self
    }

    /// Only records whose `column` is one of `values`; no restriction when empty.
    pub(crate) fn any_of(mut self, column: &'static str, values: Vec<Arg>) -> Self {
        if values.is_empty() {
            return self;
        }
        let placeholders: Vec<String> = values
            .into_iter()
            .map(|value| self.placeholder(value))
            .collect();
        self.conditions
            .push(format!("{column} IN ({})", placeholders.join(", ")));
        self
    }

    pub(crate) async fn fetch<R: DeserializeOwned>(
        mut self,
        storage: &SqlStorage,
        paging: &Paging,
        context: &'static str,
    ) -> Result<Page<R>> {
        let filter = self.conditions.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) FROM {} WHERE {filter}", self.table);
        let (total,): (i64,) = storage
            .pool
            .fetch_one(AssertSqlSafe(count_sql), self.args.clone())
            .await
            .ctx(context)?;

        let limit = i64::try_from(paging.limit).unwrap_or(i64::MAX);
        let mut page_filter = filter;
        let window = match &paging.after {
            Some(after) => {
                let after = self.placeholder(Arg::from(after.as_str()));
                page_filter.push_str(&format!(" AND {} > {after}", self.id_column));
                format!("LIMIT {}", self.placeholder(Arg::Int(limit)))
            }
            None => {
                let offset = i64::try_from(paging.offset).unwrap_or(i64::MAX);
                let limit = self.placeholder(Arg::Int(limit));
                format!(
                    "LIMIT {limit} OFFSET {}",
                    self.placeholder(Arg::Int(offset))
                )
            }
        };
        let page_sql = format!(
            "SELECT data FROM {} WHERE {page_filter} ORDER BY {} {window}",
            self.table, self.id_column
        );
        let rows: Vec<(String,)> = storage
            .pool
            .fetch_all(AssertSqlSafe(page_sql), self.args)
            .await
            .ctx(context)?;
        let items = rows
            .iter()
            .map(|(data,)| decode(data))
            .collect::<Result<Vec<R>>>()?;
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}
