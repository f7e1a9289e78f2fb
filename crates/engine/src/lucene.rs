//! Auth0's query syntax (`q`, a Lucene subset) for every search that takes
//! one — users (`users/query.rs`) and log events (`logs/query.rs`): one
//! lexer and parser, each caller supplying how a `field:value` term becomes
//! its storage's typed condition. Never SQL.
//!
//! Supported: `field:value`, `field:"quoted value"` (backslash escapes), a
//! trailing wildcard `value*` (the caller decides where it is allowed),
//! `field:*`, ranges `[a TO b]` (inclusive) / `{a TO b}` (exclusive) with
//! `*` for an open end, `AND`, `OR`, `NOT` (also `&&`, `||`, `!`) and
//! parentheses. Terms side by side without an operator are OR-ed, as in
//! Lucene. Anything else is an error naming what was wrong.

use storage::Bound;
use time::format_description::well_known::Rfc3339;

/// Longest `q` accepted, bytes.
const MAX_QUERY: usize = 2_048;
/// Deepest nesting of parentheses and `NOT`.
const MAX_DEPTH: usize = 12;
/// Most leaf terms in one query.
const MAX_TERMS: usize = 32;
pub(crate) const DAY: i64 = 86_400_000;

/// A storage condition the parser can combine.
pub(crate) trait Condition: Sized {
    fn and(items: Vec<Self>) -> Self;
    fn or(items: Vec<Self>) -> Self;
    fn not(inner: Self) -> Self;
    fn leaves(&self) -> usize;
}

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
pub(crate) enum Value {
    /// A bare or quoted word; `wildcard` when a bare word ended in `*`.
    Word { text: String, wildcard: bool },
    Range {
        lower: Option<String>,
        upper: Option<String>,
        lower_inclusive: bool,
        upper_inclusive: bool,
    },
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

struct Parser<'t, C> {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
    term: &'t dyn Fn(&str, Value) -> Result<C, String>,
}

impl<C: Condition> Parser<'_, C> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn or(&mut self) -> Result<C, String> {
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
        Ok(collapse(items, C::or))
    }

    fn and(&mut self) -> Result<C, String> {
        let mut items = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.next();
            items.push(self.unary()?);
        }
        Ok(collapse(items, C::and))
    }

    fn unary(&mut self) -> Result<C, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("the query nests too deeply".into());
        }
        let result = match self.next() {
            Some(Token::Not) => Ok(C::not(self.unary()?)),
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("a parenthesis is not closed".into()),
                }
            }
            Some(Token::Term(name, value)) => (self.term)(&name, value),
            Some(Token::Close) => Err("unexpected ')'".into()),
            Some(Token::And | Token::Or) => Err("an operator lacks its operand".into()),
            None => Err("the query ends too early".into()),
        };
        self.depth -= 1;
        result
    }
}

fn collapse<C>(mut items: Vec<C>, wrap: fn(Vec<C>) -> C) -> C {
    if items.len() == 1 {
        items.remove(0)
    } else {
        wrap(items)
    }
}

/// A time: `YYYY-MM-DD` (its UTC midnight, and a one-day span) or RFC 3339.
pub(crate) fn parse_time(text: &str) -> Result<(i64, i64), String> {
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

/// The bounds of a range over a numeric field; `numeric` reads one end as
/// its start and the span an equality on it covers (a day for a date), so
/// `[2024-01-01 TO 2024-01-31]` takes in all of the 31st.
pub(crate) fn range_bounds(
    (lower, lower_inclusive): (Option<String>, bool),
    (upper, upper_inclusive): (Option<String>, bool),
    numeric: impl Fn(&str) -> Result<(i64, i64), String>,
) -> Result<(Option<Bound>, Option<Bound>), String> {
    let lower = lower
        .map(|text| {
            numeric(&text).map(|(start, span)| Bound {
                value: if lower_inclusive {
                    start
                } else {
                    start.saturating_add(span)
                },
                inclusive: true,
            })
        })
        .transpose()?;
    let upper = upper
        .map(|text| {
            numeric(&text).map(|(start, span)| Bound {
                value: if upper_inclusive {
                    start.saturating_add(span)
                } else {
                    start
                },
                inclusive: false,
            })
        })
        .transpose()?;
    Ok((lower, upper))
}

pub(crate) fn value_length(value: &Value) -> usize {
    match value {
        Value::Word { text, .. } => text.len(),
        Value::Range { lower, upper, .. } => {
            lower.as_ref().map_or(0, String::len) + upper.as_ref().map_or(0, String::len)
        }
    }
}

/// Parses `q` with `term` for each `field:value`; `Ok(None)` for an empty
/// query.
pub(crate) fn parse<C: Condition>(
    q: &str,
    term: &dyn Fn(&str, Value) -> Result<C, String>,
) -> Result<Option<C>, String> {
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
        term,
    };
    let condition = parser.or()?;
    if parser.at < parser.tokens.len() {
        return Err("unexpected ')'".into());
    }
    if condition.leaves() > MAX_TERMS {
        return Err("the query has too many terms".into());
    }
    Ok(Some(condition))
}
