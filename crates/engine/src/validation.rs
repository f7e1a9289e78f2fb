//! Field checks shared by the management operations. Each returns an
//! `EngineError::Invalid` naming the offending field.

use crate::error::{EngineError, Result};

/// A display name: 1–`max` characters, no control characters.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(EngineError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if value.chars().count() > max {
        return Err(EngineError::invalid(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(EngineError::invalid(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(())
}

/// Optional free text: at most `max` characters, no control characters but newlines.
pub fn check_optional_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(EngineError::invalid(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(EngineError::invalid(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(())
}

/// What kind of URL a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlKind {
    /// Redirect URIs: absolute, no fragment (RFC 6749 §3.1.2); private-use
    /// schemes allowed for native apps (RFC 8252 §7.1).
    Redirect,
    /// Web origins: scheme, host and optional port only.
    Origin,
    /// Ordinary http(s) links (logo, initiate login).
    Http,
}

const MAX_URLS: usize = 100;
const MAX_URL_LEN: usize = 2_048;

/// Checks every entry of a URL list and the list's size.
pub fn check_urls(field: &str, urls: &[String], kind: UrlKind) -> Result<()> {
    if urls.len() > MAX_URLS {
        return Err(EngineError::invalid(
            field,
            format!("{field} may hold at most {MAX_URLS} entries"),
        ));
    }
    for (index, value) in urls.iter().enumerate() {
        check_url(&format!("{field}[{index}]"), value, kind)?;
    }
    Ok(())
}

pub fn check_url(field: &str, value: &str, kind: UrlKind) -> Result<()> {
    let bad = |why: &str| EngineError::invalid(field, format!("{field} {why}"));
    if value.len() > MAX_URL_LEN {
        return Err(bad("is too long"));
    }
    if value.contains('*') {
        return Err(bad(
            "must not contain wildcards: Vestibule matches URLs exactly, so register each one",
        ));
    }
    let url = url::Url::parse(value).map_err(|_| bad("must be an absolute URL"))?;
    let scheme = url.scheme();
    if matches!(scheme, "javascript" | "data" | "file" | "vbscript" | "blob") {
        return Err(bad("uses a scheme that is not allowed"));
    }
    match kind {
        UrlKind::Redirect => {
            if url.fragment().is_some() {
                return Err(bad("must not contain a fragment"));
            }
            if matches!(scheme, "http" | "https") && url.host_str().is_none_or(str::is_empty) {
                return Err(bad("must name a host"));
            }
        }
        UrlKind::Origin => {
            if !matches!(scheme, "http" | "https") {
                return Err(bad("must be an http(s) origin"));
            }
            if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
                return Err(bad("must be an origin: scheme, host and port only"));
            }
        }
        UrlKind::Http => {
            if !matches!(scheme, "http" | "https") {
                return Err(bad("must be an http(s) URL"));
            }
        }
    }
    Ok(())
}
