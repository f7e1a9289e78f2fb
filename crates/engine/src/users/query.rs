//! Auth0's user search syntax (`q`, a Lucene subset) and `sort`, parsed into
//! the storage's typed [`UserCondition`] — never into SQL.
//!
//! Supported: `field:value`, `field:"quoted value"` (backslash escapes),
//! a trailing wildcard `value*` on `email`, `name` and `username`,
//! `field:*` (has a value), ranges `[a TO b]` (inclusive) / `{a TO b}`
//! (exclusive) with `*` for an open end, `AND`, `OR`, `NOT` (also `&&`,
//! `||`, `!`) and parentheses. Terms side by side without an operator are
//! OR-ed, as in Lucene. Fields: `email`, `name`, `username`, `user_id`,
//! `identities.connection` (or `connection`), `logins_count`, `created_at`,
//! `last_login`; dates are `YYYY-MM-DD` (a whole UTC day) or RFC 3339.
//! Anything else is an error naming what was wrong.

use storage::{Bound, UserCondition, UserField, UserSort};
use time::format_description::well_known::Rfc3339;

/// Longest `q` accepted, bytes.
const MAX_QUERY: usize = 2_048;
/// Deepest nesting of parentheses and `NOT`.
const MAX_DEPTH: usize = 12;
const DAY: i64 = 86_400_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `field:` followed by its value.
    Term(String, Value),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    /// A bare or quoted word; `wildcard` when a bare word ended in `*`.
    Word { text: String, wildcard: bool },
    Range {
        lower: Option<String>,
        upper: Option<String>,
        lower_inclusive: bool,
        upper_inclusive: bool,
    },
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

const SPECIAL: &str = "():\"[]{}";

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Lexer<'_> {
    fn skip_space(&mut self) {
        while self.chars.next_if(|c| c.is_whitespace()).is_some() {}
    }

    /// A bare word: up to whitespace or a special character; `\x` escapes.
    /// Returns the text and whether it ended with an unescaped `*`.
    /// Values (`value` true) may hold ':' (times); field names end at it.
    fn bare(&mut self, value: bool) -> Result<(String, bool), String> {
        let mut text = String::new();
        let mut wildcard = false;
        while let Some(&c) = self.chars.peek() {
            if c.is_whitespace() || (SPECIAL.contains(c) && !(value && c == ':')) {
                break;
            }
            self.chars.next();
            if wildcard {
                return Err("a wildcard may only end a value".into());
            }
            match c {
                '\\' => text.push(
                    self.chars
                        .next()
                        .ok_or("a value ends with a lone backslash")?,
                ),
                '*' => wildcard = true,
                '?' => return Err("the '?' wildcard is not supported".into()),
                _ => text.push(c),
            }
        }
        Ok((text, wildcard))
    }

    fn quoted(&mut self) -> Result<String, String> {
        let mut text = String::new();
        loop {
            match self.chars.next() {
                None => return Err("a quoted value is not closed".into()),
                Some('"') => return Ok(text),
                Some('\\') => text.push(self.chars.next().ok_or("a quoted value is not closed")?),
                Some(c) => text.push(c),
            }
        }
    }

    fn range_end(&mut self) -> Result<Option<String>, String> {
        self.skip_space();
        let text = if self.chars.next_if_eq(&'"').is_some() {
            self.quoted()?
        } else {
            let (text, wildcard) = self.bare(true)?;
            if wildcard && text.is_empty() {
                return Ok(None);
            }
            if wildcard {
                return Err("a range end may not hold a wildcard".into());
            }
            text
        };
        if text.is_empty() {
            return Err("a range end is empty".into());
        }
        Ok(Some(text))
    }

    fn range(&mut self, lower_inclusive: bool) -> Result<Value, String> {
        let lower = self.range_end()?;
        self.skip_space();
        let (to, _) = self.bare(false)?;
        if to != "TO" {
            return Err("a range needs the form [a TO b]".into());
        }
        let upper = self.range_end()?;
        self.skip_space();
        let upper_inclusive = match self.chars.next() {
            Some(']') => true,
            Some('}') => false,
            _ => return Err("a range is not closed with ] or }".into()),
        };
        Ok(Value::Range {
            lower,
            upper,
            lower_inclusive,
            upper_inclusive,
        })
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.chars.peek() {
            Some('"') => {
                self.chars.next();
                Ok(Value::Word {
                    text: self.quoted()?,
                    wildcard: false,
                })
            }
            Some('[') | Some('{') => {
                let inclusive = self.chars.next() == Some('[');
                self.range(inclusive)
            }
            _ => {
                let (text, wildcard) = self.bare(true)?;
                if text.is_empty() && !wildcard {
                    return Err("a field has no value".into());
                }
                Ok(Value::Word { text, wildcard })
            }
        }
    }

    fn tokens(mut self) -> Result<Vec<Token>, String> {
        let mut out = Vec::new();
        loop {
            self.skip_space();
            let Some(&c) = self.chars.peek() else {
                return Ok(out);
            };
            let token = match c {
                '(' => {
                    self.chars.next();
                    Token::Open
                }
                ')' => {
                    self.chars.next();
                    Token::Close
                }
                '!' => {
                    self.chars.next();
                    Token::Not
                }
                '"' | '[' | '{' | ']' | '}' | ':' => {
                    return Err("a value must follow a field name and ':'".into());
                }
                _ => {
                    let (word, wildcard) = self.bare(false)?;
                    match word.as_str() {
                        "AND" | "&&" if !wildcard => Token::And,
                        "OR" | "||" if !wildcard => Token::Or,
                        "NOT" if !wildcard => Token::Not,
                        _ => {
                            if wildcard || self.chars.next_if_eq(&':').is_none() {
                                return Err(format!("'{word}' is not of the form field:value"));
                            }
                            Token::Term(word, self.value()?)
                        }
                    }
                }
            };
            out.push(token);
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn or(&mut self) -> Result<UserCondition, String> {
        let mut items = vec![self.and()?];
        loop {
            match self.peek() {
                Some(Token::Or) => {
                    self.next();
                    items.push(self.and()?);
                }
                // Side by side: Lucene's default operator, OR.
                Some(Token::Open | Token::Not | Token::Term(..)) => items.push(self.and()?),
                _ => break,
            }
        }
        Ok(collapse(items, UserCondition::Or))
    }

    fn and(&mut self) -> Result<UserCondition, String> {
        let mut items = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.next();
            items.push(self.unary()?);
        }
        Ok(collapse(items, UserCondition::And))
    }

    fn unary(&mut self) -> Result<UserCondition, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("the query nests too deeply".into());
        }
        let result = match self.next() {
            Some(Token::Not) => Ok(UserCondition::Not(Box::new(self.unary()?))),
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("a parenthesis is not closed".into()),
                }
            }
            Some(Token::Term(name, value)) => term(&name, value),
            Some(Token::Close) => Err("unexpected ')'".into()),
            Some(Token::And | Token::Or) => Err("an operator lacks its operand".into()),
            None => Err("the query ends too early".into()),
        };
        self.depth -= 1;
        result
    }
}

fn collapse(
    mut items: Vec<UserCondition>,
    wrap: fn(Vec<UserCondition>) -> UserCondition,
) -> UserCondition {
    if items.len() == 1 {
        items.remove(0)
    } else {
        wrap(items)
    }
}

/// A time: `YYYY-MM-DD` (its UTC midnight, and a one-day span) or RFC 3339.
fn parse_time(text: &str) -> Result<(i64, i64), String> {
    let invalid = || format!("'{text}' is not a date (YYYY-MM-DD) or an RFC 3339 time");
    if text.len() == 10 {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(text, &format).map_err(|_| invalid())?;
        let millis = date.midnight().assume_utc().unix_timestamp() * 1_000;
        return Ok((millis, DAY));
    }
    let at = time::OffsetDateTime::parse(text, &Rfc3339).map_err(|_| invalid())?;
    let millis = i64::try_from(at.unix_timestamp_nanos() / 1_000_000).map_err(|_| invalid())?;
    Ok((millis, 1))
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
            let lower = lower
                .map(|text| {
                    numeric(field, &text).map(|(start, span)| {
                        if lower_inclusive {
                            Bound {
                                value: start,
                                inclusive: true,
                            }
                        } else {
                            Bound {
                                value: start.saturating_add(span),
                                inclusive: true,
                            }
                        }
                    })
                })
                .transpose()?;
            let upper = upper
                .map(|text| {
                    numeric(field, &text).map(|(start, span)| {
                        if upper_inclusive {
                            Bound {
                                value: start.saturating_add(span),
                                inclusive: false,
                            }
                        } else {
                            Bound {
                                value: start,
                                inclusive: false,
                            }
                        }
                    })
                })
                .transpose()?;
            Ok(UserCondition::Range {
                field,
                lower,
                upper,
            })
        }
    }
}

fn value_length(value: &Value) -> usize {
    match value {
        Value::Word { text, .. } => text.len(),
        Value::Range { lower, upper, .. } => {
            lower.as_ref().map_or(0, String::len) + upper.as_ref().map_or(0, String::len)
        }
    }
}

/// Parses `q`; `Ok(None)` for an empty query (every user).
pub fn parse_query(q: &str) -> Result<Option<UserCondition>, String> {
    if q.len() > MAX_QUERY {
        return Err("the query is too long".into());
    }
    if q.chars().any(char::is_control) {
        return Err("the query holds control characters".into());
    }
    let tokens = Lexer {
        chars: q.chars().peekable(),
    }
    .tokens()?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    let condition = parser.or()?;
    if parser.at < parser.tokens.len() {
        return Err("unexpected ')'".into());
    }
    if condition.leaves() > 32 {
        return Err("the query has too many terms".into());
    }
    Ok(Some(condition))
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
                    value: day + DAY,
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
