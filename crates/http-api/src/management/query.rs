//! Query parameters shared by Management API lists and reads: Auth0's
//! `page`/`per_page`/`include_totals`, checkpoint `from`/`take`, and
//! `fields`/`include_fields`.

use crate::error::ApiError;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use storage::Paging;

/// Turns decoded query pairs into a JSON object; a repeated key becomes an array.
pub fn pairs_to_json(pairs: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (key, value) in pairs {
        match map.get_mut(key) {
            None => {
                map.insert(key.clone(), Value::String(value.clone()));
            }
            Some(Value::Array(list)) => list.push(Value::String(value.clone())),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value.clone())]);
            }
        }
    }
    Value::Object(map)
}

/// A parameter given once or repeated (`strategy=a&strategy=b`).
pub fn one_or_many<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(
        Option::<OneOrMany>::deserialize(deserializer)?.map(|value| match value {
            OneOrMany::One(one) => one
                .split(',')
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
                .collect(),
            OneOrMany::Many(many) => many,
        }),
    )
}

fn parse_u64(name: &str, value: Option<&str>) -> Result<Option<u64>, ApiError> {
    value
        .map(|raw| {
            raw.parse::<u64>().map_err(|_| {
                ApiError::bad_request(
                    "invalid_query_string",
                    format!("Query validation error: '{name} must be a non-negative integer' on property {name}"),
                )
            })
        })
        .transpose()
}

pub fn parse_bool(name: &str, value: Option<&str>) -> Result<Option<bool>, ApiError> {
    match value {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::bad_request(
            "invalid_query_string",
            format!("Query validation error: '{name} must be true or false' on property {name}"),
        )),
    }
}

/// `fields` and `include_fields`, applied to each returned object.
#[derive(Debug, Clone, Default)]
pub struct FieldSelection {
    fields: Option<Vec<String>>,
    include: bool,
}

impl FieldSelection {
    pub fn parse(fields: Option<&str>, include_fields: Option<&str>) -> Result<Self, ApiError> {
        let include = parse_bool("include_fields", include_fields)?.unwrap_or(true);
        let fields = fields.map(|list| {
            list.split(',')
                .map(|f| f.trim().to_owned())
                .filter(|f| !f.is_empty())
                .collect::<Vec<_>>()
        });
        Ok(Self { fields, include })
    }

    pub fn apply(&self, value: Value) -> Value {
        let (Some(fields), Value::Object(map)) = (&self.fields, &value) else {
            return value;
        };
        let kept: Map<String, Value> = map
            .iter()
            .filter(|(key, _)| fields.contains(key) == self.include)
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Value::Object(kept)
    }
}

/// Offset paging with Auth0's limits: `per_page` at most 100 (default 50).
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
    pub include_totals: bool,
}

impl PageRequest {
    pub fn parse(
        page: Option<&str>,
        per_page: Option<&str>,
        include_totals: Option<&str>,
    ) -> Result<Self, ApiError> {
        let page = parse_u64("page", page)?.unwrap_or(0);
        let per_page = parse_u64("per_page", per_page)?.unwrap_or(50);
        if !(1..=100).contains(&per_page) {
            return Err(ApiError::bad_request(
                "invalid_query_string",
                "Query validation error: 'per_page must be between 1 and 100' on property per_page",
            ));
        }
        if page > 1_000_000 {
            return Err(ApiError::bad_request(
                "invalid_query_string",
                "Query validation error: 'page is too large' on property page",
            ));
        }
        Ok(Self {
            page,
            per_page,
            include_totals: parse_bool("include_totals", include_totals)?.unwrap_or(false),
        })
    }

    pub fn paging(&self) -> Paging {
        Paging {
            offset: self.page * self.per_page,
            limit: self.per_page,
            after: None,
        }
    }

    /// Auth0's list body: a bare array, or `{<key>: [...], start, limit, total}`.
    pub fn respond(&self, key: &str, items: Vec<Value>, total: u64) -> Value {
        if self.include_totals {
            let mut body = Map::new();
            body.insert(key.to_owned(), Value::Array(items));
            body.insert("start".into(), Value::from(self.page * self.per_page));
            body.insert("limit".into(), Value::from(self.per_page));
            body.insert("total".into(), Value::from(total));
            Value::Object(body)
        } else {
            Value::Array(items)
        }
    }
}

/// Checkpoint paging: `take` records after the opaque `from` checkpoint.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub from: Option<String>,
    pub take: u64,
}

impl Checkpoint {
    pub fn parse(from: Option<&str>, take: Option<&str>) -> Result<Option<Self>, ApiError> {
        if from.is_none() && take.is_none() {
            return Ok(None);
        }
        let take = parse_u64("take", take)?.unwrap_or(50);
        if !(1..=100).contains(&take) {
            return Err(ApiError::bad_request(
                "invalid_query_string",
                "Query validation error: 'take must be between 1 and 100' on property take",
            ));
        }
        let from = from.filter(|f| !f.is_empty()).map(str::to_owned);
        if from.as_ref().is_some_and(|f| f.len() > 128) {
            return Err(ApiError::bad_request(
                "invalid_query_string",
                "Query validation error: 'from is not a valid checkpoint' on property from",
            ));
        }
        Ok(Some(Self { from, take }))
    }

    pub fn paging(&self) -> Paging {
        Paging {
            offset: 0,
            limit: self.take,
            after: self.from.clone(),
        }
    }

    /// `{<key>: [...], next}`: `next` is present while more records may follow.
    pub fn respond(&self, key: &str, items: Vec<Value>, last_id: Option<String>) -> Value {
        let mut body = Map::new();
        let full = items.len() as u64 == self.take;
        body.insert(key.to_owned(), Value::Array(items));
        if full && let Some(last) = last_id {
            body.insert("next".into(), Value::String(last));
        }
        Value::Object(body)
    }
}
