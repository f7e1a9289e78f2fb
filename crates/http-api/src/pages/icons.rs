//! The icons on the login page's "Continue with …" buttons.
//!
//! Small SVG marks drawn for Vestibule (simple shapes in the providers'
//! colours, not their artwork files), embedded in the binary like the
//! stylesheet and served from `/u/assets/icons/{name}.svg`. Page URLs carry
//! a hash of the icon (`?v=…`), so browsers may keep an icon for a year and
//! a changed icon is fetched at once. The buttons' text names the provider;
//! icons are decorative (`alt=""`).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Every icon: its file name (without `.svg`) and its SVG text.
const ICONS: &[(&str, &str)] = &[
    ("amazon", include_str!("../../templates/icons/amazon.svg")),
    ("apple", include_str!("../../templates/icons/apple.svg")),
    (
        "bitbucket",
        include_str!("../../templates/icons/bitbucket.svg"),
    ),
    ("discord", include_str!("../../templates/icons/discord.svg")),
    (
        "enterprise",
        include_str!("../../templates/icons/enterprise.svg"),
    ),
    (
        "facebook",
        include_str!("../../templates/icons/facebook.svg"),
    ),
    ("generic", include_str!("../../templates/icons/generic.svg")),
    ("github", include_str!("../../templates/icons/github.svg")),
    ("gitlab", include_str!("../../templates/icons/gitlab.svg")),
    ("google", include_str!("../../templates/icons/google.svg")),
    (
        "linkedin",
        include_str!("../../templates/icons/linkedin.svg"),
    ),
    (
        "microsoft",
        include_str!("../../templates/icons/microsoft.svg"),
    ),
    ("okta", include_str!("../../templates/icons/okta.svg")),
    ("slack", include_str!("../../templates/icons/slack.svg")),
    ("x", include_str!("../../templates/icons/x.svg")),
];

/// The icon of a strategy: the provider's mark, a building for enterprise
/// protocols that name no provider, a person for anything else.
pub fn icon_name(strategy: &str) -> &'static str {
    match strategy {
        "google-oauth2" | "google-apps" => "google",
        "windowslive" | "waad" => "microsoft",
        "twitter" => "x",
        "github" => "github",
        "apple" => "apple",
        "facebook" => "facebook",
        "linkedin" => "linkedin",
        "okta" => "okta",
        "slack" => "slack",
        "discord" => "discord",
        "gitlab" => "gitlab",
        "bitbucket" => "bitbucket",
        "amazon" => "amazon",
        "oidc" | "samlp" | "adfs" | "pingfederate" | "ad" => "enterprise",
        _ => "generic",
    }
}

/// Each icon's URL with its content hash.
fn urls() -> &'static HashMap<&'static str, String> {
    static URLS: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    URLS.get_or_init(|| {
        ICONS
            .iter()
            .map(|(name, svg)| {
                let hash = crypto::secrets::sha256_hex(svg.as_bytes());
                let version = hash.get(..12).unwrap_or(&hash);
                (*name, format!("/u/assets/icons/{name}.svg?v={version}"))
            })
            .collect()
    })
}

/// The URL of a strategy's icon, for the login template.
pub fn icon_url(strategy: &str) -> String {
    urls().get(icon_name(strategy)).cloned().unwrap_or_default()
}

/// `GET /u/assets/icons/{file}`: one icon, `image/svg+xml`, cached for a
/// year (its URL changes with its content).
pub async fn icon(Path(file): Path<String>) -> Response {
    let svg = file
        .strip_suffix(".svg")
        .and_then(|name| ICONS.iter().find(|(known, _)| *known == name))
        .map(|(_, svg)| *svg);
    let Some(svg) = svg else {
        return StatusCode::NOT_FOUND.into_response();
    };
    super::assets::asset(svg, "image/svg+xml", "public, max-age=31536000, immutable")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_has_an_icon_that_exists() {
        for &strategy in connectors::Strategy::ALL {
            let name = icon_name(strategy.as_str());
            assert!(
                ICONS.iter().any(|(known, _)| *known == name),
                "{strategy}: {name}"
            );
            // Every provider with a name people know has its own mark.
            if strategy.is_social() && strategy != connectors::Strategy::OAuth2 {
                assert_ne!(name, "generic", "{strategy}");
            }
            assert!(
                icon_url(strategy.as_str()).starts_with(&format!("/u/assets/icons/{name}.svg?v="))
            );
        }
        assert_eq!(icon_name("google-apps"), "google");
        assert_eq!(icon_name("waad"), "microsoft");
        assert_eq!(icon_name("twitter"), "x");
        assert_eq!(icon_name("no-such-strategy"), "generic");
    }

    #[test]
    fn icons_are_plain_svg() {
        for (name, svg) in ICONS {
            assert!(
                svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
                "{name}"
            );
            for forbidden in ["<script", "<style", "href", "on", "<image"] {
                let found = if forbidden == "on" {
                    svg.contains(" on")
                } else {
                    svg.contains(forbidden)
                };
                assert!(!found, "{name} contains {forbidden}");
            }
        }
    }
}
