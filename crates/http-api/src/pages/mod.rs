//! Server-rendered pages under `/u/…`: templates, cookies, security headers
//! and the cross-site request check for their forms.
//!
//! Pages work without JavaScript. Every response carries a strict CSP, denies
//! framing, and is not cached. State-changing forms refuse cross-site
//! requests by Fetch Metadata and `Origin` (SECURITY.md §5.6); the session and
//! transaction cookies are `SameSite=Lax` and `HttpOnly`.

mod assets;
pub mod email;
pub mod icons;
pub mod login;
pub mod outcome;

pub use assets::{asset, stylesheet};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::authorize::{AuthorizationResponse, request::ResponseMode};
use minijinja::Environment;
use std::sync::OnceLock;

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        env.set_fuel(Some(100_000));
        // Vestibule's own constant URLs: nothing to escape.
        env.add_filter("icon_url", |strategy: String| {
            minijinja::Value::from_safe_string(icons::icon_url(&strategy))
        });
        let templates = [
            ("base.html", include_str!("../../templates/base.html")),
            ("login.html", include_str!("../../templates/login.html")),
            ("signup.html", include_str!("../../templates/signup.html")),
            ("consent.html", include_str!("../../templates/consent.html")),
            ("error.html", include_str!("../../templates/error.html")),
            (
                "logged_out.html",
                include_str!("../../templates/logged_out.html"),
            ),
            (
                "form_post.html",
                include_str!("../../templates/form_post.html"),
            ),
            (
                "reset_password.html",
                include_str!("../../templates/reset_password.html"),
            ),
            (
                "email_action.html",
                include_str!("../../templates/email_action.html"),
            ),
            ("message.html", include_str!("../../templates/message.html")),
        ];
        for (name, source) in templates {
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(%error, name, "template does not compile");
            }
        }
        env
    })
}

/// Renders a template whose forms stay on this site.
pub fn render(status: StatusCode, name: &str, context: serde_json::Value) -> Response {
    render_with_targets(status, name, context, &[])
}

/// Renders a template whose forms may end, through redirects, at `targets`
/// besides this site (see [`form_action`]). A template failure is logged and
/// becomes a plain 500.
pub fn render_with_targets(
    status: StatusCode,
    name: &str,
    context: serde_json::Value,
    targets: &[String],
) -> Response {
    let rendered = environment()
        .get_template(name)
        .and_then(|t| t.render(minijinja::value::Serde(&context)));
    match rendered {
        Ok(html) => {
            let csp = format!(
                "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action {}; frame-ancestors 'none'; base-uri 'none'",
                form_action(targets)
            );
            html_response(status, html, &csp)
        }
        Err(error) => {
            tracing::error!(%error, name, "template failed");
            html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>Error</title><p>Something went wrong.</p>".into(),
                "default-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
            )
        }
    }
}

/// The CSP `form-action` list: this site and each target's origin (a native
/// application's private-use scheme as `scheme:`). Browsers check it on every
/// redirect after a form's POST, so a login form whose answer ends at the
/// application's redirect URI must name that origin, and nothing else.
fn form_action(targets: &[String]) -> String {
    let mut sources = vec!["'self'".to_owned()];
    for source in targets.iter().filter_map(|target| csp_source(target)) {
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    sources.join(" ")
}

/// A URL as a CSP source expression, or `None` for schemes a form must never
/// reach. Origins are serialised by `url` (punycode, no spaces or `;`), and
/// schemes hold only `[a-z0-9+.-]`, so neither can inject a directive.
fn csp_source(target: &str) -> Option<String> {
    let url = url::Url::parse(target).ok()?;
    match url.scheme() {
        "http" | "https" => Some(url.origin().ascii_serialization()),
        "javascript" | "data" | "blob" | "file" | "filesystem" | "about" | "vbscript" => None,
        scheme => Some(format!("{scheme}:")),
    }
}

/// An HTML response with the pages' security headers and this CSP. The
/// referrer policy keeps the origin (browsers send `Origin: null` on the
/// pages' own form posts under `no-referrer`) but never a page's path or
/// query, which names the login transaction.
fn html_response(status: StatusCode, html: String, csp: &str) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin"),
    );
    if let Ok(value) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// An error page (never a redirect).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    render(
        status,
        "error.html",
        serde_json::json!({ "title": title, "message": message }),
    )
}

/// The page for an engine failure: a saturated server (the hashing queue
/// is full) is a 429 with `Retry-After`; anything else a logged 500.
pub fn engine_failure_page(error: &engine::EngineError, context: &'static str) -> Response {
    if let Some(seconds) = crate::error::retry_after(error) {
        let mut response = error_page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            "The server is busy. Please try again in a moment.",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return response;
    }
    tracing::error!(error = %crate::error::error_chain(error), "{context}");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Please try again.",
    )
}

/// Reads one cookie.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure unless the
/// issuer is plain-HTTP development. `max_age` None makes a browser-session cookie.
pub fn cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> Option<HeaderValue> {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        text.push_str("; Secure");
    }
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    HeaderValue::from_str(&text).ok()
}

/// Whether the tenant's cookies must be `Secure`.
pub fn secure_cookies(issuer: &str) -> bool {
    issuer.starts_with("https://")
}

/// True when a state-changing request comes from another site. Fetch
/// Metadata decides when the browser sends it (it cannot be set by a page):
/// only `same-origin` and `none` (typed by the user) pass. Older browsers
/// send only `Origin`, which must then name the issuer's or the request's own
/// origin (`null` does not). Requests with neither header (non-browser
/// clients, which carry no ambient cookies) pass.
pub fn is_cross_site(headers: &HeaderMap, issuer: &str, host: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == "null" {
        return true;
    }
    let issuer_origin = url::Url::parse(issuer)
        .ok()
        .map(|u| u.origin().ascii_serialization());
    let matches_issuer = issuer_origin.as_deref() == Some(origin);
    let matches_host = host.is_some_and(|host| {
        origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            == Some(host)
    });
    !(matches_issuer || matches_host)
}

/// Sends an authorization response (success or error) to the client.
pub fn authorization_response(response: AuthorizationResponse) -> Response {
    match response.response_mode {
        ResponseMode::Query | ResponseMode::Fragment => {
            let Ok(mut target) = url::Url::parse(&response.redirect_uri) else {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    "Error",
                    "The redirect URI is not valid",
                );
            };
            if response.response_mode == ResponseMode::Query {
                target
                    .query_pairs_mut()
                    .extend_pairs(response.params.iter());
            } else {
                let fragment = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(response.params.iter())
                    .finish();
                target.set_fragment(Some(&fragment));
            }
            redirect(target.as_str())
        }
        ResponseMode::FormPost => {
            let nonce = crypto::secrets::random_token(16).unwrap_or_default();
            let action = csp_source(&response.redirect_uri).unwrap_or_else(|| "'none'".into());
            let context = serde_json::json!({
                "action": response.redirect_uri,
                "params": response.params,
                "nonce": nonce,
            });
            match environment()
                .get_template("form_post.html")
                .and_then(|t| t.render(minijinja::value::Serde(&context)))
            {
                Ok(html) => html_response(
                    StatusCode::OK,
                    html,
                    &format!(
                        "default-src 'none'; script-src 'nonce-{nonce}'; form-action {action}; frame-ancestors 'none'; base-uri 'none'"
                    ),
                ),
                Err(error) => {
                    tracing::error!(%error, "form_post template failed");
                    error_page(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Error",
                        "Something went wrong",
                    )
                }
            }
        }
    }
}

/// A page or step URL naming a login transaction: `{path}?state={id}`.
pub fn transaction_url(path: &str, transaction_id: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(transaction_id.as_bytes()).collect();
    format!("{path}?state={id}")
}

/// A 302 redirect that is never cached.
pub fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compile_and_escape() {
        let page = render(
            StatusCode::OK,
            "error.html",
            serde_json::json!({"title": "<script>", "message": "\"quoted\" & <b>"}),
        );
        assert_eq!(page.status(), StatusCode::OK);
        for name in [
            "base.html",
            "login.html",
            "signup.html",
            "consent.html",
            "error.html",
            "logged_out.html",
            "form_post.html",
            "reset_password.html",
            "email_action.html",
            "message.html",
        ] {
            assert!(environment().get_template(name).is_ok(), "{name}");
        }
        let html = environment()
            .get_template("error.html")
            .unwrap()
            .render(minijinja::value::Serde(
                serde_json::json!({"title": "<script>", "message": "x"}),
            ))
            .unwrap();
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn cross_site_detection() {
        let mut headers = HeaderMap::new();
        assert!(!is_cross_site(
            &headers,
            "https://auth.example/",
            Some("auth.example")
        ));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(is_cross_site(
            &headers,
            "https://auth.example/",
            Some("auth.example")
        ));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(is_cross_site(
            &headers,
            "https://auth.example/",
            Some("auth.example")
        ));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://auth.example"),
        );
        assert!(!is_cross_site(
            &headers,
            "https://auth.example/",
            Some("auth.example")
        ));
        // Without Fetch Metadata, `Origin: null` is refused.
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(is_cross_site(
            &headers,
            "https://auth.example/",
            Some("auth.example")
        ));
        // Fetch Metadata decides when present: a browser's own same-origin
        // post whose Origin was withheld passes; a cross-site one with a
        // matching Origin does not; neither does a sibling subdomain.
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!is_cross_site(
            &headers,
            "https://auth.example/",
            Some("auth.example")
        ));
        for site in ["cross-site", "same-site", "garbage"] {
            let mut headers = HeaderMap::new();
            headers.insert("sec-fetch-site", HeaderValue::from_static(site));
            headers.insert(
                header::ORIGIN,
                HeaderValue::from_static("https://auth.example"),
            );
            assert!(
                is_cross_site(&headers, "https://auth.example/", Some("auth.example")),
                "{site}"
            );
        }
    }

    #[test]
    fn form_action_names_exactly_the_targets() {
        assert_eq!(form_action(&[]), "'self'");
        let targets = [
            "https://app.example.com/callback?x=1".to_owned(),
            "https://app.example.com/other".to_owned(),
            "http://localhost:3000/cb".to_owned(),
            "com.example.app:/oauth2redirect".to_owned(),
            "javascript:alert(1)".to_owned(),
            "data:text/html,x".to_owned(),
            "not a url".to_owned(),
            "https://b\u{fc}cher.example/cb".to_owned(),
        ];
        assert_eq!(
            form_action(&targets),
            "'self' https://app.example.com http://localhost:3000 com.example.app: https://xn--bcher-kva.example"
        );
    }

    #[test]
    fn pages_keep_their_origin_in_referrers() {
        let page = render(StatusCode::OK, "error.html", serde_json::json!({}));
        assert_eq!(page.headers()[header::REFERRER_POLICY], "strict-origin");
        let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("form-action 'self';"), "{csp}");
    }
}
