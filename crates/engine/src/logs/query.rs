//! Auth0's log search syntax (`GET /api/v2/logs?q=`, parsed by
//! [`crate::lucene`]) turned into the storage's typed [`LogCondition`].
//!
//! Fields, as support staff and SIEM queries write them: `type`,
//! `user_id`, `client_id`, `connection`, `ip`, `user_name` (exact values,
//! quoted when they hold special characters: `user_id:"auth0|…"`), and
//! `date` — a day (`date:2026-01-31`), an RFC 3339 time, or a range
//! `date:[2026-01-01 TO 2026-12-31]` with `*` for an open end (`date:*`:
//! any). Other fields, wildcards and ranges on text fields are refused:
//! Vestibule keeps no index that could answer them.

use crate::lucene::{self, Condition, Value, parse_time, range_bounds, value_length};
use storage::{LogCondition, LogField};

impl Condition for LogCondition {
    fn and(items: Vec<Self>) -> Self {
        Self::And(items)
    }
    fn or(items: Vec<Self>) -> Self {
        Self::Or(items)
    }
    fn not(inner: Self) -> Self {
        Self::Not(Box::new(inner))
    }
    fn leaves(&self) -> usize {
        LogCondition::leaves(self)
    }
}

fn field(name: &str) -> Result<LogField, String> {
    Ok(match name {
        "type" => LogField::Type,
        "user_id" => LogField::UserId,
        "client_id" => LogField::ClientId,
        "connection" => LogField::Connection,
        "ip" => LogField::Ip,
        "user_name" => LogField::UserName,
        other => return Err(format!("field '{other}' cannot be searched")),
    })
}

fn term(name: &str, value: Value) -> Result<LogCondition, String> {
    if value_length(&value) > 320 {
        return Err("a value is too long".into());
    }
    if name == "date" {
        return match value {
            Value::Word { text, wildcard } if wildcard && text.is_empty() => {
                Ok(LogCondition::Date {
                    lower: None,
                    upper: None,
                })
            }
            Value::Word { wildcard: true, .. } => {
                Err("field 'date' does not take wildcards".into())
            }
            Value::Word { text, .. } => {
                let (lower, upper) =
                    range_bounds((Some(text.clone()), true), (Some(text), true), parse_time)?;
                Ok(LogCondition::Date { lower, upper })
            }
            Value::Range {
                lower,
                upper,
                lower_inclusive,
                upper_inclusive,
            } => {
                let (lower, upper) = range_bounds(
                    (lower, lower_inclusive),
                    (upper, upper_inclusive),
                    parse_time,
                )?;
                Ok(LogCondition::Date { lower, upper })
            }
        };
    }
    let field = field(name)?;
    match value {
        Value::Word { wildcard: true, .. } => {
            Err(format!("field '{name}' does not take wildcards"))
        }
        Value::Word { text, .. } => Ok(LogCondition::Equals(field, text)),
        Value::Range { .. } => Err(format!("field '{name}' does not take ranges")),
    }
}

/// Parses `q`; `Ok(None)` for an empty query (every event).
pub fn parse_query(q: &str) -> Result<Option<LogCondition>, String> {
    lucene::parse(q, &term)
}

#[cfg(test)]
mod tests {
    use super::*;
    use LogCondition as C;
    use storage::Bound;

    fn eq(field: LogField, value: &str) -> C {
        C::Equals(field, value.into())
    }

    #[test]
    fn field_terms_with_and_or_and_parentheses() {
        assert_eq!(parse_query("").unwrap(), None);
        assert_eq!(
            parse_query(r#"type:s AND user_id:"auth0|abc""#).unwrap(),
            Some(C::And(vec![
                eq(LogField::Type, "s"),
                eq(LogField::UserId, "auth0|abc")
            ]))
        );
        assert_eq!(
            parse_query("(type:fp OR type:fu) AND client_id:app1 AND connection:db").unwrap(),
            Some(C::And(vec![
                C::Or(vec![eq(LogField::Type, "fp"), eq(LogField::Type, "fu")]),
                eq(LogField::ClientId, "app1"),
                eq(LogField::Connection, "db"),
            ]))
        );
        assert_eq!(
            parse_query(r#"ip:"10.0.0.1" NOT user_name:jane@example.com"#).unwrap(),
            Some(C::Or(vec![
                eq(LogField::Ip, "10.0.0.1"),
                C::Not(Box::new(eq(LogField::UserName, "jane@example.com"))),
            ]))
        );
    }

    #[test]
    fn dates_are_days_times_or_ranges() {
        let jan1 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
        let dec31 = 1_798_675_200_000; // 2026-12-31T00:00:00Z
        let day = lucene::DAY;
        let date = |lower: Option<(i64, bool)>, upper: Option<(i64, bool)>| C::Date {
            lower: lower.map(|(value, inclusive)| Bound { value, inclusive }),
            upper: upper.map(|(value, inclusive)| Bound { value, inclusive }),
        };
        assert_eq!(
            parse_query("date:[2026-01-01 TO 2026-12-31]").unwrap(),
            Some(date(Some((jan1, true)), Some((dec31 + day, false))))
        );
        assert_eq!(
            parse_query("date:{2026-01-01 TO *]").unwrap(),
            Some(date(Some((jan1 + day, true)), None))
        );
        assert_eq!(
            parse_query("date:[* TO 2026-01-01T00:00:00Z}").unwrap(),
            Some(date(None, Some((jan1, false))))
        );
        assert_eq!(
            parse_query("date:2026-01-01").unwrap(),
            Some(date(Some((jan1, true)), Some((jan1 + day, false))))
        );
        assert_eq!(parse_query("date:*").unwrap(), Some(date(None, None)));
    }

    #[test]
    fn anything_else_is_an_error() {
        for bad in [
            "s",
            "type:",
            "type:f*",
            "type:*",
            "user_id:[a TO b]",
            "description:login",
            "details.error:x",
            "date:yesterday",
            "date:[2026-01-01 TO]",
            "date:2026*",
            "(type:s",
            "type:s)",
            "type:s AND",
            "user_id:\"open",
        ] {
            assert!(parse_query(bad).is_err(), "{bad}");
        }
    }
}
