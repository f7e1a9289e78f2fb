//! Opaque refresh tokens and opaque access tokens: the value a client holds,
//! and the key the store finds its record by.
//!
//! A token is 12 lower-case hex digits of the millisecond it was issued,
//! then 43 base64url characters of 256 random bits. The store keeps only
//! [`key`]: the same time prefix followed by the SHA-256 of the whole token,
//! so a leaked database gives no usable token.
//!
//! Why the prefix: keys sort by issue time, so every new record lands on the
//! rightmost leaf of the primary-key index (SQLite's and PostgreSQL's
//! B-trees both keep such appends on one page) instead of a random leaf. A
//! refresh rotation inserts two records; with purely random keys each wrote
//! its own index page to the WAL: 19.5 `pwrite`s per rotation on SQLite
//! before, 14.8 after (BENCHMARKS.md). The secret is the
//! random part alone; the prefix tells the holder only when it got the token.
//!
//! Tokens issued before this format (43 base64url characters, stored under
//! their bare SHA-256) are still found: [`key`] of any value that is not of
//! the new shape is its bare hash, and the two kinds of key differ in length.

use crate::error::Result;

/// Hex digits of the issue time at the front of a token and of its key.
const TIME_DIGITS: usize = 12;
/// Random bytes after the time prefix (43 base64url characters).
const RANDOM_BYTES: usize = 32;
/// Length of a token of the current shape.
const TOKEN_LEN: usize = TIME_DIGITS + 43;

/// A new token issued at `now_ms` (milliseconds since the epoch).
pub fn new_token(now_ms: i64) -> Result<String> {
    // 12 hex digits hold milliseconds until the year 10889; the mask keeps
    // the prefix one width whatever the clock says.
    let prefix = (now_ms.max(0) as u64) & 0xffff_ffff_ffff;
    let random = crypto::secrets::random_token(RANDOM_BYTES)?;
    Ok(format!("{prefix:0TIME_DIGITS$x}{random}"))
}

/// The key a token's record is stored and looked up under.
pub fn key(token: &str) -> String {
    let hash = crypto::secrets::sha256_base64url(token.as_bytes());
    match time_prefix(token) {
        Some(prefix) => format!("{prefix}{hash}"),
        None => hash,
    }
}

/// The time prefix of a token of the current shape.
fn time_prefix(token: &str) -> Option<&str> {
    let prefix = token.get(..TIME_DIGITS)?;
    let is_current = token.len() == TOKEN_LEN
        && prefix
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    is_current.then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_carries_its_issue_time_and_256_random_bits() {
        let token = new_token(0x0193_0000_0001).unwrap();
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(token.starts_with("019300000001"));
        let other = new_token(0x0193_0000_0001).unwrap();
        assert_ne!(token, other, "the random part differs");
    }

    #[test]
    fn keys_sort_by_issue_time() {
        let earlier = key(&new_token(1_796_034_643_441).unwrap());
        let later = key(&new_token(1_796_034_643_442).unwrap());
        assert!(earlier < later);
        assert!(key(&new_token(9).unwrap()) < key(&new_token(10).unwrap()));
    }

    #[test]
    fn the_key_hashes_the_whole_token() {
        let token = new_token(1_796_034_643_441).unwrap();
        let key = key(&token);
        assert_eq!(&key[..TIME_DIGITS], &token[..TIME_DIGITS]);
        assert_eq!(
            &key[TIME_DIGITS..],
            crypto::secrets::sha256_base64url(token.as_bytes())
        );
        // Same prefix, another random part: another key.
        let mut forged = token.clone();
        forged.replace_range(TIME_DIGITS.., &"A".repeat(43));
        assert_ne!(super::key(&forged), key);
    }

    #[test]
    fn tokens_of_the_earlier_shape_keep_their_bare_hash() {
        let legacy = crypto::secrets::random_token(32).unwrap();
        assert_eq!(
            key(&legacy),
            crypto::secrets::sha256_base64url(legacy.as_bytes())
        );
        // Right length, but not hex up front: a bare hash too.
        let odd = format!("ZZZZZZZZZZZZ{}", "A".repeat(43));
        assert_eq!(key(&odd), crypto::secrets::sha256_base64url(odd.as_bytes()));
        assert_eq!(key(""), crypto::secrets::sha256_base64url(b""));
        // A multi-byte character across the prefix's end is no prefix.
        let multibyte = format!("01930000000é{}", "A".repeat(42));
        assert_eq!(
            key(&multibyte),
            crypto::secrets::sha256_base64url(multibyte.as_bytes())
        );
    }
}
