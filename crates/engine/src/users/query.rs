//! Auth0's user search syntax (`q`, parsed by [`crate::lucene`]) and
//! `sort`, turned into the storage's typed [`UserCondition`] — never into
//! SQL.
//!
//! Fields: `email`, `name`, `username`, `user_id`, `identities.connection`
//! (or `connection`), `logins_count`, `created_at`, `last_login`; a
//! trailing wildcard `value*` on `email`, `name` and `username`; dates are
//! `YYYY-MM-DD` (a whole UTC day) or RFC 3339.

use crate::lucene::{self, Condition, Value, parse_time, range_bounds, value_length};
use storage::{Bound, UserCondition, UserField, UserSort};

impl Condition for UserCondition {
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
        UserCondition::leaves(self)
    }
}

fn field(name: &str) -> Result<UserField, String> {
    Ok(match name {
        "email" => UserField::Email,
        "name" => UserField::Name,
        "username" => UserField::Username,
        "user_id" => UserField::UserId,
        "identities.connection" | "connection" => UserField::Connection,
        "logins_count" => UserField::LoginsCount,
        "created_at" => UserField::CreatedAt,
        "last_login" => UserField::LastLogin,
        other => return Err(format!("field '{other}' cannot be searched")),
    })
}

/// A number or time, with the span an equality on it covers.
fn numeric(field: UserField, text: &str) -> Result<(i64, i64), String> {
    if field == UserField::LoginsCount {
        let n = text
            .parse::<i64>()
            .map_err(|_| format!("'{text}' is not a whole number"))?;
        Ok((n, 1))
    } else {
        parse_time(text)
    }
}

fn term(name: &str, value: Value) -> Result<UserCondition, String> {
    let field = field(name)?;
    if value_length(&value) > 320 {
        return Err("a value is too long".into());
    }
    match (field.is_numeric(), value) {
        (
            false,
            Value::Word {
                text,
                wildcard: false,
            },
        ) => Ok(UserCondition::TextEquals(field, text)),
        (
            false,
            Value::Word {
                text,
                wildcard: true,
            },
        ) => match field {
            UserField::Email | UserField::Name | UserField::Username => {
                Ok(UserCondition::TextPrefix(field, text))
            }
            _ => Err(format!("field '{name}' does not take wildcards")),
        },
        (false, Value::Range { .. }) => Err(format!("field '{name}' does not take ranges")),
        (
            true,
            Value::Word {
                text,
                wildcard: true,
            },
        ) if text.is_empty() => Ok(UserCondition::Range {
            field,
            lower: None,
            upper: None,
        }),
        (true, Value::Word { wildcard: true, .. }) => {
            Err(format!("field '{name}' does not take wildcards"))
        }
        (true, Value::Word { text, .. }) => {
            let (start, span) = numeric(field, &text)?;
            Ok(UserCondition::Range {
                field,
                lower: Some(Bound {
                    value: start,
                    inclusive: true,
                }),
                upper: Some(Bound {
                    value: start.saturating_add(span),
                    inclusive: false,
                }),
            })
        }
        (
            true,
            Value::Range {
                lower,
                upper,
                lower_inclusive,
                upper_inclusive,
            },
        ) => {
            let (lower, upper) =
                range_bounds((lower, lower_inclusive), (upper, upper_inclusive), |text| {
                    numeric(field, text)
                })?;
            Ok(UserCondition::Range {
                field,
                lower,
                upper,
            })
        }
    }
}

/// Parses `q`; `Ok(None)` for an empty query (every user).
pub fn parse_query(q: &str) -> Result<Option<UserCondition>, String> {
    lucene::parse(q, &term)
}

/// Parses Auth0's `sort` (`field:1` ascending, `field:-1` descending).
pub fn parse_sort(sort: &str) -> Result<UserSort, String> {
    let (name, direction) = sort
        .split_once(':')
        .ok_or("sort must be of the form field:1 or field:-1")?;
    let descending = match direction {
        "1" => false,
        "-1" => true,
        _ => return Err("the sort direction must be 1 or -1".into()),
    };
    let field = field(name).map_err(|_| format!("cannot sort by '{name}'"))?;
    Ok(UserSort { field, descending })
}

#[cfg(test)]
mod tests {
    use super::*;
    use UserCondition as C;

    fn text(field: UserField, value: &str) -> C {
        C::TextEquals(field, value.into())
    }

    #[test]
    fn terms_operators_and_parentheses() {
        assert_eq!(parse_query("  ").unwrap(), None);
        assert_eq!(
            parse_query(r#"email:"jane@example.com""#).unwrap(),
            Some(text(UserField::Email, "jane@example.com"))
        );
        assert_eq!(
            parse_query("email:jane* AND NOT name:bob").unwrap(),
            Some(C::And(vec![
                C::TextPrefix(UserField::Email, "jane".into()),
                C::Not(Box::new(text(UserField::Name, "bob"))),
            ]))
        );
        assert_eq!(
            parse_query("(user_id:a OR user_id:b) identities.connection:db").unwrap(),
            Some(C::Or(vec![
                C::Or(vec![
                    text(UserField::UserId, "a"),
                    text(UserField::UserId, "b")
                ]),
                text(UserField::Connection, "db"),
            ]))
        );
        assert_eq!(
            parse_query(r#"name:"Jane \"JJ\" Doe""#).unwrap(),
            Some(text(UserField::Name, "Jane \"JJ\" Doe"))
        );
    }

    #[test]
    fn ranges_and_dates() {
        let day = 1_704_067_200_000; // 2024-01-01T00:00:00Z
        assert_eq!(
            parse_query("logins_count:[1 TO 10]").unwrap(),
            Some(C::Range {
                field: UserField::LoginsCount,
                lower: Some(Bound {
                    value: 1,
                    inclusive: true
                }),
                upper: Some(Bound {
                    value: 11,
                    inclusive: false
                }),
            })
        );
        assert_eq!(
            parse_query("created_at:[2024-01-01 TO *]").unwrap(),
            Some(C::Range {
                field: UserField::CreatedAt,
                lower: Some(Bound {
                    value: day,
                    inclusive: true
                }),
                upper: None,
            })
        );
        assert_eq!(
            parse_query("last_login:{* TO 2024-01-01T00:00:00Z}").unwrap(),
            Some(C::Range {
                field: UserField::LastLogin,
                lower: None,
                upper: Some(Bound {
                    value: day,
                    inclusive: false
                }),
            })
        );
        assert_eq!(
            parse_query("created_at:2024-01-01T00:00:00.000Z").unwrap(),
            Some(C::Range {
                field: UserField::CreatedAt,
                lower: Some(Bound {
                    value: day,
                    inclusive: true
                }),
                upper: Some(Bound {
                    value: day + 1,
                    inclusive: false
                }),
            })
        );
        assert_eq!(
            parse_query("created_at:2024-01-01").unwrap(),
            Some(C::Range {
                field: UserField::CreatedAt,
                lower: Some(Bound {
                    value: day,
                    inclusive: true
                }),
                upper: Some(Bound {
                    value: day + lucene::DAY,
                    inclusive: false
                }),
            })
        );
    }

    #[test]
    fn malformed_queries_are_errors() {
        for bad in [
            "jane",
            "email:",
            "email:\"open",
            "(email:a",
            "email:a)",
            "AND email:a",
            "email:a OR",
            "password:x",
            "app_metadata.plan:gold",
            "user_id:ab*",
            "email:a*b",
            "email:a?",
            "logins_count:many",
            "logins_count:[1 TO]",
            "logins_count:[1 10]",
            "created_at:[yesterday TO *]",
            "name:[a TO b]",
            "email:\"x' OR 1=1 --",
            "email:x\\",
            "email:a\u{0}",
        ] {
            assert!(parse_query(bad).is_err(), "{bad}");
        }
        let deep = format!("{}email:a{}", "(".repeat(40), ")".repeat(40));
        assert!(parse_query(&deep).is_err());
        let wide = vec!["email:a"; 40].join(" OR ");
        assert!(parse_query(&wide).is_err());
    }

    #[test]
    fn injection_is_only_ever_a_value() {
        assert_eq!(
            parse_query(r#"email:"x' OR 1=1 --""#).unwrap(),
            Some(text(UserField::Email, "x' OR 1=1 --"))
        );
    }

    #[test]
    fn sorts() {
        assert_eq!(
            parse_sort("last_login:-1").unwrap(),
            UserSort {
                field: UserField::LastLogin,
                descending: true
            }
        );
        assert!(parse_sort("created_at").is_err());
        assert!(parse_sort("created_at:2").is_err());
        assert!(parse_sort("password:1").is_err());
    }
}
