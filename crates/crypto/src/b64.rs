//! Base64 helpers with one strict configuration each, so no module picks a
//! lenient decoder by accident.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// base64url without padding (JOSE, RFC 7515 §2).
pub(crate) fn url_encode(data: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Strict base64url decoding: URL-safe alphabet only, no padding, no
/// non-canonical trailing bits, no whitespace.
pub(crate) fn url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Standard base64 with padding (X.509 `x5c`, PEM bodies).
pub(crate) fn std_encode(data: impl AsRef<[u8]>) -> String {
    STANDARD.encode(data)
}

pub(crate) fn std_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}
