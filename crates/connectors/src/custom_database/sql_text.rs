//! Reading a custom database query the way its server will, to find the
//! `$n` placeholders Vestibule binds.
//!
//! A query is the administrator's text, and `$` is common inside it where
//! it is no placeholder: a bcrypt prefix in a literal
//! (`password_hash LIKE '$2b$%'`), an identifier (`user$1`), a PostgreSQL
//! dollar-quoted string (`$$…$$`, `$tag$…$tag$`). Reading those as
//! placeholders refuses good queries at validation (`$2` in a `login`
//! query) and, worse, the MySQL rewrite (`$n` → `?`) would change the
//! literal itself. So the text is scanned as a small lexer of the server's
//! dialect: string literals, quoted identifiers and comments are skipped,
//! and a statement separator outside them ends the statement.
//!
//! Where the dialects differ, each is read as its server reads it by
//! default: PostgreSQL has dollar quotes, nested block comments, `--`
//! comments anywhere, and backslash escapes only in `E'…'` strings
//! (`standard_conforming_strings` is on); MySQL/MariaDB has backslash
//! escapes in `'…'` and `"…"` strings, backquoted identifiers, `#`
//! comments, and `--` comments only when followed by whitespace. Text the
//! scanner cannot read the way the server would is refused rather than
//! guessed at: unterminated quotes and comments, MySQL's executable
//! comments (`/*! … */`, whose content the server runs), and `?` in a MySQL
//! query (it would be a second placeholder style, bound out of order).

use std::ops::Range;

/// The SQL dialect a query is read in: the custom database's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    MySql,
}

impl Dialect {
    pub const ALL: [Dialect; 2] = [Dialect::Postgres, Dialect::MySql];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL/MariaDB",
        }
    }
}

/// One `$n` placeholder: where it is in the text, and `n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub range: Range<usize>,
    pub number: usize,
}

/// The placeholders of `sql` in order of appearance, read as `dialect`
/// reads it; an error names what the scanner could not read (see the
/// module documentation), or a second statement.
pub fn placeholders(sql: &str, dialect: Dialect) -> Result<Vec<Placeholder>, String> {
    let b = sql.as_bytes();
    let mut found = Vec::new();
    // After a `;` only comments, whitespace and further `;` may follow.
    let mut ended = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if starts_line_comment(b, i, dialect) {
            i = end_of_line(b, i);
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = skip_block_comment(b, i, dialect)?;
            continue;
        }
        if c.is_ascii_whitespace() || (ended && c == b';') {
            i += 1;
            continue;
        }
        if ended {
            return Err("must be a single statement".into());
        }
        i = match c {
            b';' => {
                ended = true;
                i + 1
            }
            b'\'' => {
                let backslash = dialect == Dialect::MySql || is_escape_string(b, i);
                skip_quoted(b, i, b'\'', backslash, "string literal")?
            }
            // MySQL reads "…" as a string (an identifier under ANSI_QUOTES,
            // where a backslash is rare enough not to matter).
            b'"' if dialect == Dialect::MySql => skip_quoted(b, i, b'"', true, "string literal")?,
            b'"' => skip_quoted(b, i, b'"', false, "quoted identifier")?,
            b'`' if dialect == Dialect::MySql => {
                skip_quoted(b, i, b'`', false, "backquoted identifier")?
            }
            b'?' if dialect == Dialect::MySql => {
                return Err("must write its parameters as $1, $2, … (not `?`)".into());
            }
            // `$` inside an identifier (`user$1`) is part of it, in both
            // dialects.
            b'$' if i > 0 && is_identifier_byte(b[i - 1]) => i + 1,
            b'$' => {
                let digits = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
                if digits > 0 {
                    let end = i + 1 + digits;
                    let number = sql[i + 1..end]
                        .parse::<usize>()
                        .map_err(|_| format!("uses an invalid placeholder {}", &sql[i..end]))?;
                    found.push(Placeholder {
                        range: i..end,
                        number,
                    });
                    end
                } else if dialect == Dialect::Postgres
                    && let Some(opener_end) = dollar_tag_end(b, i)
                {
                    skip_dollar_quoted(b, i, opener_end)?
                } else {
                    i + 1
                }
            }
            _ => i + 1,
        };
    }
    Ok(found)
}

/// Letters (any non-ASCII byte, as both servers allow), digits, `_`, `$`.
fn is_identifier_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn starts_line_comment(b: &[u8], i: usize, dialect: Dialect) -> bool {
    match dialect {
        Dialect::Postgres => b[i..].starts_with(b"--"),
        // MySQL: `-- ` needs whitespace or a control character after it;
        // `--1` is minus minus one.
        Dialect::MySql => {
            b[i] == b'#'
                || (b[i..].starts_with(b"--")
                    && b.get(i + 2)
                        .is_none_or(|c| c.is_ascii_whitespace() || *c < 0x20))
        }
    }
}

/// The index after the line's end (or the text's end).
fn end_of_line(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|c| *c == b'\n' || *c == b'\r')
        .map_or(b.len(), |p| i + p + 1)
}

/// Skips `/* … */` starting at `i`; PostgreSQL's nest, MySQL's do not.
fn skip_block_comment(b: &[u8], i: usize, dialect: Dialect) -> Result<usize, String> {
    if dialect == Dialect::MySql && (b[i..].starts_with(b"/*!") || b[i..].starts_with(b"/*M!")) {
        return Err(
            "must not contain executable comments (`/*! … */`): the server runs their content"
                .into(),
        );
    }
    let mut depth = 0usize;
    let mut j = i;
    while j + 1 < b.len() {
        if b[j] == b'/' && b[j + 1] == b'*' && (depth == 0 || dialect == Dialect::Postgres) {
            depth += 1;
            j += 2;
        } else if b[j] == b'*' && b[j + 1] == b'/' {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return Ok(j);
            }
        } else {
            j += 1;
        }
    }
    Err("has an unterminated /* comment".into())
}

/// PostgreSQL `E'…'`: the `E` (a token of its own) makes backslashes
/// escapes.
fn is_escape_string(b: &[u8], quote: usize) -> bool {
    quote > 0
        && matches!(b[quote - 1], b'e' | b'E')
        && (quote == 1 || !is_identifier_byte(b[quote - 2]))
}

/// Skips a quoted run starting at `i`: a doubled quote is one quote, and
/// with `backslash` a backslash escapes the next byte.
fn skip_quoted(
    b: &[u8],
    i: usize,
    quote: u8,
    backslash: bool,
    what: &str,
) -> Result<usize, String> {
    let mut j = i + 1;
    while j < b.len() {
        if backslash && b[j] == b'\\' {
            j += 2;
        } else if b[j] == quote {
            if b.get(j + 1) == Some(&quote) {
                j += 2;
            } else {
                return Ok(j + 1);
            }
        } else {
            j += 1;
        }
    }
    Err(format!("has an unterminated {what}"))
}

/// At a `$` not followed by a digit: the index after the opening
/// delimiter of a dollar-quoted string (`$$` or `$tag$`, the tag an
/// identifier without `$`), if it is one.
fn dollar_tag_end(b: &[u8], i: usize) -> Option<usize> {
    let first = *b.get(i + 1)?;
    if first == b'$' {
        return Some(i + 2);
    }
    if !(first.is_ascii_alphabetic() || first == b'_' || first >= 0x80) {
        return None;
    }
    let tag_len = b[i + 1..]
        .iter()
        .take_while(|c| **c != b'$' && is_identifier_byte(**c))
        .count();
    (b.get(i + 1 + tag_len) == Some(&b'$')).then_some(i + 2 + tag_len)
}

/// Skips a dollar-quoted string whose opener is `b[i..opener_end]`.
fn skip_dollar_quoted(b: &[u8], i: usize, opener_end: usize) -> Result<usize, String> {
    let opener = &b[i..opener_end];
    b[opener_end..]
        .windows(opener.len())
        .position(|w| w == opener)
        .map(|p| opener_end + p + opener.len())
        .ok_or_else(|| "has an unterminated dollar-quoted string".into())
}

#[cfg(test)]
mod tests {
    use super::Dialect::{MySql, Postgres};
    use super::*;

    fn numbers(sql: &str, dialect: Dialect) -> Vec<usize> {
        placeholders(sql, dialect)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .map(|p| p.number)
            .collect()
    }

    fn refused(sql: &str, dialect: Dialect) -> String {
        placeholders(sql, dialect).expect_err(sql)
    }

    #[test]
    fn plain_placeholders_in_order_with_ranges() {
        let sql = "SELECT id FROM u WHERE email = $1 OR name = $12 AND x = $2";
        for dialect in Dialect::ALL {
            assert_eq!(numbers(sql, dialect), vec![1, 12, 2]);
        }
        let found = placeholders("a = $1", Postgres).unwrap();
        assert_eq!(found[0].range, 4..6);
        assert_eq!(numbers("SELECT $ + 1 FROM u WHERE e = $1", MySql), vec![1]);
    }

    #[test]
    fn single_quoted_literals_are_skipped() {
        let sql = "SELECT id FROM u WHERE email = $1 AND password_hash LIKE '$2b$10$%'";
        for dialect in Dialect::ALL {
            assert_eq!(numbers(sql, dialect), vec![1]);
            // A doubled quote stays inside the literal.
            assert_eq!(numbers("SELECT 'it''s $2' WHERE e = $1", dialect), vec![1]);
            assert!(refused("SELECT 'open $1", dialect).contains("unterminated string"));
        }
    }

    #[test]
    fn backslashes_escape_where_the_server_says_so() {
        // MySQL: `\'` does not end the literal.
        assert_eq!(numbers(r"SELECT 'a\' $2' WHERE e = $1", MySql), vec![1]);
        // PostgreSQL: a backslash is an ordinary character in '…'…
        assert_eq!(numbers(r"SELECT 'C:\' WHERE e = $1", Postgres), vec![1]);
        // …but escapes in E'…'.
        assert_eq!(numbers(r"SELECT E'a\' $2' WHERE e = $1", Postgres), vec![1]);
        assert_eq!(numbers(r"SELECT e'\\' WHERE e = $1", Postgres), vec![1]);
        // `type'…'` is not an E-string.
        assert_eq!(numbers(r"SELECT date'\' WHERE e = $1", Postgres), vec![1]);
    }

    #[test]
    fn quoted_identifiers_are_skipped() {
        for dialect in Dialect::ALL {
            assert_eq!(
                numbers(r#"SELECT "pass$2" FROM u WHERE e = $1"#, dialect),
                vec![1]
            );
            assert_eq!(
                numbers(r#"SELECT "a""$2" FROM u WHERE e = $1"#, dialect),
                vec![1]
            );
        }
        assert_eq!(
            numbers("SELECT `pass$2` FROM u WHERE e = $1", MySql),
            vec![1]
        );
        assert_eq!(
            numbers("SELECT `a``$2` FROM u WHERE e = $1", MySql),
            vec![1]
        );
        assert!(refused("SELECT `open $1", MySql).contains("backquoted identifier"));
        // Backquotes mean nothing to PostgreSQL.
        assert_eq!(numbers("SELECT `$1` ", Postgres), vec![1]);
        // `$` inside an unquoted identifier is part of it.
        assert_eq!(
            numbers("SELECT user$2 FROM u WHERE e = $1", Postgres),
            vec![1]
        );
        assert_eq!(numbers("SELECT user$2 FROM u WHERE e = $1", MySql), vec![1]);
    }

    #[test]
    fn comments_are_skipped() {
        for dialect in Dialect::ALL {
            assert_eq!(
                numbers("SELECT id -- uses $2 later\nFROM u WHERE e = $1", dialect),
                vec![1]
            );
            assert_eq!(
                numbers("SELECT /* $2; 'x */ id FROM u WHERE e = $1", dialect),
                vec![1]
            );
            assert!(refused("SELECT id /* $1", dialect).contains("unterminated /*"));
        }
        assert_eq!(
            numbers("SELECT id # $2\nFROM u WHERE e = $1", MySql),
            vec![1]
        );
        // In MySQL `--` needs a space after it to start a comment.
        assert_eq!(numbers("SELECT 1 --$1", MySql), vec![1]);
        assert_eq!(numbers("SELECT 1 --$1\n, $2", Postgres), vec![2]);
        // PostgreSQL comments nest; MySQL's end at the first `*/`.
        assert_eq!(
            numbers("SELECT /* a /* $3 */ $2 */ id WHERE e = $1", Postgres),
            vec![1]
        );
        assert_eq!(
            numbers("SELECT /* a /* $3 */ $2, id WHERE e = $1", MySql),
            vec![2, 1]
        );
        assert!(refused("SELECT /*! $1 */ 1", MySql).contains("executable comments"));
        assert!(refused("SELECT /*M!100000 $1 */ 1", MySql).contains("executable"));
    }

    #[test]
    fn dollar_quoted_strings_are_skipped_in_postgres() {
        assert_eq!(
            numbers("SELECT $$a '$2' $$ WHERE e = $1", Postgres),
            vec![1]
        );
        assert_eq!(
            numbers("SELECT $h$ $$ $2 $h$ WHERE e = $1", Postgres),
            vec![1]
        );
        assert_eq!(
            numbers("SELECT $_x1$ $2 $_x1$ WHERE e = $1", Postgres),
            vec![1]
        );
        assert!(refused("SELECT $t$ $1 ", Postgres).contains("dollar-quoted"));
        // Not a tag: `$a` without a closing `$` is plain text.
        assert_eq!(numbers("SELECT $a + $1", Postgres), vec![1]);
        // MySQL has no dollar quotes.
        assert_eq!(numbers("SELECT $$ $2 $$ WHERE e = $1", MySql), vec![2, 1]);
    }

    #[test]
    fn one_statement_only() {
        for dialect in Dialect::ALL {
            assert!(numbers("DELETE FROM u WHERE id = $1;", dialect) == vec![1]);
            assert!(numbers("DELETE FROM u WHERE id = $1 ; ; -- done\n", dialect) == vec![1]);
            assert_eq!(numbers("SELECT ';' WHERE e = $1", dialect), vec![1]);
            assert!(refused("SELECT 1 WHERE $1 = 'x'; DROP TABLE u", dialect).contains("single"));
        }
    }

    #[test]
    fn mysql_refuses_question_marks() {
        assert!(refused("SELECT id FROM u WHERE e = ?", MySql).contains("$1"));
        assert_eq!(numbers("SELECT '?' WHERE e = $1", MySql), vec![1]);
        // In PostgreSQL `?` is a (jsonb) operator.
        assert_eq!(
            numbers("SELECT d ? 'k' FROM u WHERE e = $1", Postgres),
            vec![1]
        );
    }
}
