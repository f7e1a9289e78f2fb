//! What a login identifier may be: an email address, or a username within
//! the connection's bounds. Shared by signup, the password login, imports
//! and the directories that return profiles.

use model::Connection;
use serde_json::Value;

/// The longest login identifier any account can have: an email address is
/// at most 254 bytes (RFC 5321), a username at most 128 characters (Auth0's
/// largest `validation.username.max`). Longer ones are refused unhashed.
pub const MAX_IDENTIFIER_BYTES: usize = 254;

/// A plausible email address: one `@`, non-empty parts, no spaces, ≤ 254 bytes.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The connection's `validation.username` bounds, characters (1 to 15 by default).
pub(crate) fn username_bounds(connection: &Connection) -> (usize, usize) {
    let min = connection
        .options
        .pointer("/validation/username/min")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    let max = connection
        .options
        .pointer("/validation/username/max")
        .and_then(Value::as_u64)
        .unwrap_or(15);
    (
        usize::try_from(min).unwrap_or(1),
        usize::try_from(max).unwrap_or(15),
    )
}

/// A username within `bounds` of letters, digits and Auth0's allowed symbols.
pub(crate) fn is_valid_username(username: &str, (min, max): (usize, usize)) -> bool {
    let length = username.chars().count();
    length >= min
        && length <= max
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+-.!#$^`~'".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_usernames() {
        assert!(is_valid_email("a@b.co"));
        assert!(!is_valid_email("a@b"));
        assert!(!is_valid_email("a b@c.d"));
        assert!(!is_valid_email("@c.d"));
        assert!(is_valid_username("alice_1", (1, 15)));
        assert!(!is_valid_username("alice smith", (1, 15)));
        assert!(!is_valid_username("a-very-long-username", (1, 15)));
    }
}
