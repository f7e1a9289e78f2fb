//! Rendering tenant templates: minijinja in a sandbox (no loader, so no
//! `include`/`import` of anything; a fuel budget bounds loops; output size
//! capped), HTML bodies autoescaped, and a plain-text part derived from the
//! HTML when no text template exists.
//!
//! Auth0 templates use Liquid; the common subset (`{{ user.email }}`,
//! `{% if %}`, `{% for %}`, filters such as `upcase` spelled `upper`) is
//! Jinja syntax too. Liquid-only tags (`{% assign %}`, `{% capture %}`) are
//! refused when the template is saved.

use minijinja::{AutoEscape, Environment, Value};

/// Instructions one rendering may run.
const FUEL: u64 = 50_000;
/// The largest rendered part accepted.
const MAX_OUTPUT: usize = 512 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(String);

fn environment(escape: AutoEscape) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(move |_| escape.clone());
    env
}

/// Whether `source` compiles; the message says why not.
pub fn check_syntax(source: &str) -> Result<(), String> {
    environment(AutoEscape::None)
        .template_from_named_str("template", source)
        .map(|_| ())
        .map_err(|error| format!("the template does not compile: {error}"))
}

fn render(escape: AutoEscape, source: &str, context: &Value) -> Result<String, RenderError> {
    let env = environment(escape);
    let out = env
        .render_named_str("template", source, context.clone())
        .map_err(|error| RenderError(error.to_string()))?;
    if out.len() > MAX_OUTPUT {
        return Err(RenderError("the rendered email is too large".into()));
    }
    Ok(out)
}

/// An HTML body: every variable is HTML-escaped.
pub fn html(source: &str, context: &Value) -> Result<String, RenderError> {
    render(AutoEscape::Html, source, context)
}

/// A subject or text part: no escaping; control characters (CR, LF, …)
/// become spaces in subjects, so a value cannot add a header.
pub fn text(source: &str, context: &Value) -> Result<String, RenderError> {
    render(AutoEscape::None, source, context)
}

/// A one-line subject.
pub fn subject(source: &str, context: &Value) -> Result<String, RenderError> {
    let rendered = text(source, context)?;
    let line: String = rendered
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Ok(line.trim().to_owned())
}

/// A readable plain-text version of an HTML body: links keep their target
/// (`text (url)`), block ends become line breaks, `<style>`/`<script>`/`<head>`
/// disappear, entities are decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut pending_href: Option<String> = None;
    while let Some(start) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..start]));
        let after = &rest[start..];
        let Some(end) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = &after[1..end];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        rest = &after[end + 1..];
        match (name.as_str(), closing) {
            ("style" | "script" | "head" | "title", false) => {
                let close = format!("</{name}");
                match rest.to_ascii_lowercase().find(&close) {
                    Some(at) => {
                        rest = &rest[at..];
                        if let Some(gt) = rest.find('>') {
                            rest = &rest[gt + 1..];
                        }
                    }
                    None => rest = "",
                }
            }
            ("a", false) => pending_href = attribute(tag, "href"),
            ("a", true) => {
                if let Some(href) = pending_href.take() {
                    out.push_str(&format!(" ({href})"));
                }
            }
            ("br", _) => out.push('\n'),
            ("p" | "div" | "tr" | "h1" | "h2" | "h3" | "h4" | "li" | "table", true) => {
                out.push_str("\n\n")
            }
            _ => {}
        }
    }
    out.push_str(&decode_entities(rest));
    // Collapse runs of blank lines and trailing spaces.
    let mut text = String::new();
    let mut blank = 0;
    for line in out.lines().map(str::trim) {
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        text.push_str(line);
        text.push('\n');
    }
    text.trim().to_owned() + "\n"
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))?;
    let value = &tag[at + name.len() + 1..];
    let (quote, body) = match value.chars().next()? {
        q @ ('"' | '\'') => (Some(q), &value[1..]),
        _ => (None, value),
    };
    let end = match quote {
        Some(q) => body.find(q)?,
        None => body.find(char::is_whitespace).unwrap_or(body.len()),
    };
    Some(decode_entities(&body[..end]))
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        let decoded = candidate
            .find(';')
            .filter(|end| *end <= 10)
            .and_then(|end| {
                let entity = &candidate[1..end];
                let ch = match entity {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    _ => entity
                        .strip_prefix("#x")
                        .or_else(|| entity.strip_prefix("#X"))
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                        .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                }?;
                Some((ch, end))
            });
        match decoded {
            Some((ch, end)) => {
                out.push(ch);
                rest = &candidate[end + 1..];
            }
            None => {
                out.push('&');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Value {
        Value::from(minijinja::value::Serde(serde_json::json!({
            "user": {"email": "<b>eve</b>@example.com", "name": "Eve\r\nBcc: x@evil.example"},
            "url": "https://auth.example/u/reset-password?ticket=abc&x=1",
        })))
    }

    #[test]
    fn html_is_escaped_and_text_keeps_links() {
        let body = html(
            r#"<p>Hi {{ user.email }}</p><a href="{{ url }}">Reset</a>"#,
            &context(),
        )
        .unwrap();
        assert!(body.contains("&lt;b&gt;eve"), "{body}");
        assert!(!body.contains("<b>eve"), "{body}");
        let plain = html_to_text(&body);
        assert!(plain.contains("Hi <b>eve</b>@example.com"), "{plain}");
        assert!(
            plain.contains("Reset (https://auth.example/u/reset-password?ticket=abc&x=1)"),
            "{plain}"
        );
    }

    #[test]
    fn subjects_stay_on_one_line() {
        let line = subject("Hello {{ user.name }}", &context()).unwrap();
        assert!(!line.contains('\r') && !line.contains('\n'), "{line:?}");
    }

    #[test]
    fn sandbox_refuses_includes_and_runaway_loops() {
        assert!(html("{% include 'x' %}", &context()).is_err());
        let runaway =
            "{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}";
        assert!(html(runaway, &context()).is_err());
        assert!(check_syntax("{% if %}").is_err());
        assert!(check_syntax("{% assign x = 1 %}").is_err());
    }

    #[test]
    fn style_and_entities() {
        let plain = html_to_text(
            "<html><head><style>p{}</style></head><body><p>a&amp;b&#x2f;c</p>d<br>e</body></html>",
        );
        assert_eq!(plain, "a&b/c\n\nd\ne\n");
    }
}
