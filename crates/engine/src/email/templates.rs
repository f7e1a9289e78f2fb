//! Email templates (`/api/v2/email-templates/{templateName}`): Auth0's
//! fields, validated on save, with built-in defaults for every template
//! Vestibule sends. Rendering lives in [`super::render`].

use super::provider::{check_address, has_control};
use super::render;
use crate::Engine;
use crate::error::{EngineError, Result};
use model::{EmailTemplate, TenantId};

/// The templates Vestibule sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateName {
    VerifyEmail,
    ResetEmail,
    BlockedAccount,
    WelcomeEmail,
}

impl TemplateName {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "verify_email" => Self::VerifyEmail,
            "reset_email" => Self::ResetEmail,
            "blocked_account" => Self::BlockedAccount,
            "welcome_email" => Self::WelcomeEmail,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetEmail => "reset_email",
            Self::BlockedAccount => "blocked_account",
            Self::WelcomeEmail => "welcome_email",
        }
    }
}

/// The largest template body accepted.
const MAX_BODY: usize = 100 * 1024;
/// Links live at most 30 days (Auth0's limit for tickets).
pub const MAX_URL_LIFETIME: i64 = 30 * 86_400;

/// Fields of a create, replace or patch (Auth0's names, typed).
#[derive(Debug, Clone, Default)]
pub struct TemplateInput {
    pub template: Option<String>,
    pub body: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub syntax: Option<String>,
    /// `Some(None)` clears it.
    pub result_url: Option<Option<String>>,
    pub url_lifetime_in_seconds: Option<Option<i64>>,
    pub include_email_in_redirect: Option<bool>,
    pub enabled: Option<bool>,
}

/// How a save treats fields the input leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// `POST`: a new template; `template`, `body`, `from`, `subject`, `syntax`, `enabled` required.
    Create,
    /// `PUT`: replace the template (creating it if missing); same required fields.
    Replace,
    /// `PATCH`: change only what is given.
    Patch,
}

fn name_of(name: &str) -> Result<TemplateName> {
    TemplateName::parse(name).ok_or_else(|| {
        EngineError::invalid(
            "template",
            "template must be one of verify_email, reset_email, blocked_account, welcome_email",
        )
    })
}

fn validate(template: &EmailTemplate) -> Result<()> {
    if template.body.len() > MAX_BODY {
        return Err(EngineError::invalid("body", "body is larger than 100 KiB"));
    }
    render::check_syntax(&template.body)
        .map_err(|message| EngineError::invalid("body", message))?;
    if template.subject.is_empty() || template.subject.len() > 998 || has_control(&template.subject)
    {
        return Err(EngineError::invalid(
            "subject",
            "subject must be 1 to 998 characters on one line",
        ));
    }
    render::check_syntax(&template.subject)
        .map_err(|message| EngineError::invalid("subject", message))?;
    if !template.from.is_empty() {
        check_address("from", &template.from)?;
    }
    if template.syntax != "liquid" {
        return Err(EngineError::invalid("syntax", "syntax must be \"liquid\""));
    }
    if let Some(url) = &template.result_url {
        crate::validation::check_url("resultUrl", url, crate::validation::UrlKind::Http)?;
    }
    if let Some(lifetime) = template.url_lifetime_in_seconds
        && !(1..=MAX_URL_LIFETIME).contains(&lifetime)
    {
        return Err(EngineError::invalid(
            "urlLifetimeInSeconds",
            format!("urlLifetimeInSeconds must be between 1 and {MAX_URL_LIFETIME}"),
        ));
    }
    Ok(())
}

fn require<T>(value: Option<T>, field: &str) -> Result<T> {
    value.ok_or_else(|| EngineError::invalid(field, format!("Missing required property: {field}")))
}

/// Saves a template; `name` is the path's `templateName` (for `POST`, the body's `template`).
pub async fn save(
    engine: &Engine,
    tenant: &TenantId,
    name: &str,
    input: TemplateInput,
    mode: SaveMode,
) -> Result<EmailTemplate> {
    let name = name_of(name)?;
    if let Some(other) = &input.template
        && other != name.as_str()
    {
        return Err(EngineError::invalid(
            "template",
            "template must match the template name of the path",
        ));
    }
    let existing = engine
        .storage
        .get_email_template(tenant, name.as_str())
        .await?;
    let base = match (mode, existing.clone()) {
        (SaveMode::Patch, Some(existing)) => existing,
        (SaveMode::Patch, None) => return Err(EngineError::NotFound("email template")),
        (SaveMode::Create, Some(_)) => {
            return Err(EngineError::AlreadyExists(format!(
                "Template {} already exists",
                name.as_str()
            )));
        }
        (SaveMode::Create | SaveMode::Replace, _) => EmailTemplate {
            tenant_id: tenant.clone(),
            template: name.as_str().to_owned(),
            body: require(input.body.clone(), "body")?,
            from: require(input.from.clone(), "from")?,
            subject: require(input.subject.clone(), "subject")?,
            syntax: require(input.syntax.clone(), "syntax")?,
            result_url: None,
            url_lifetime_in_seconds: None,
            enabled: require(input.enabled, "enabled")?,
            include_email_in_redirect: false,
            updated_at: 0,
        },
    };
    let mut template = base;
    if let Some(body) = input.body {
        template.body = body;
    }
    if let Some(from) = input.from {
        template.from = from;
    }
    if let Some(subject) = input.subject {
        template.subject = subject;
    }
    if let Some(syntax) = input.syntax {
        template.syntax = syntax;
    }
    if let Some(result_url) = input.result_url {
        template.result_url = result_url.filter(|url| !url.is_empty());
    }
    if let Some(lifetime) = input.url_lifetime_in_seconds {
        template.url_lifetime_in_seconds = lifetime;
    }
    if let Some(include) = input.include_email_in_redirect {
        template.include_email_in_redirect = include;
    }
    if let Some(enabled) = input.enabled {
        template.enabled = enabled;
    }
    template.updated_at = engine.now();
    validate(&template)?;
    let create = existing.is_none();
    match engine.storage.put_email_template(&template, create).await {
        // A concurrent create or delete: the caller may simply try again.
        Err(storage::StorageError::AlreadyExists(_) | storage::StorageError::NotFound) => {
            Err(EngineError::Conflict)
        }
        other => other.map_err(EngineError::from),
    }?;
    Ok(template)
}

pub async fn get(engine: &Engine, tenant: &TenantId, name: &str) -> Result<EmailTemplate> {
    let name = name_of(name)?;
    engine
        .storage
        .get_email_template(tenant, name.as_str())
        .await?
        .ok_or(EngineError::NotFound("email template"))
}

/// What is sent for a template: the tenant's, or the built-in default.
#[derive(Debug, Clone)]
pub struct Effective {
    pub subject: String,
    pub html: String,
    /// A plain-text template; `None` derives the text part from the HTML.
    pub text: Option<&'static str>,
    pub from: String,
    pub enabled: bool,
    pub result_url: Option<String>,
    pub url_lifetime_in_seconds: Option<i64>,
    pub include_email_in_redirect: bool,
}

/// The template to send: the tenant's, else the built-in one. Welcome emails
/// have no default: they go out only when the tenant enables one (as Auth0).
pub async fn effective(
    engine: &Engine,
    tenant: &TenantId,
    name: TemplateName,
) -> Result<Effective> {
    if let Some(custom) = engine
        .storage
        .get_email_template(tenant, name.as_str())
        .await?
    {
        return Ok(Effective {
            subject: custom.subject,
            html: custom.body,
            text: None,
            from: custom.from,
            enabled: custom.enabled,
            result_url: custom.result_url,
            url_lifetime_in_seconds: custom.url_lifetime_in_seconds,
            include_email_in_redirect: custom.include_email_in_redirect,
        });
    }
    let (subject, html, text) = defaults::of(name);
    Ok(Effective {
        subject: subject.to_owned(),
        html: html.to_owned(),
        text: Some(text),
        from: String::new(),
        enabled: name != TemplateName::WelcomeEmail,
        result_url: None,
        url_lifetime_in_seconds: None,
        include_email_in_redirect: false,
    })
}

/// The built-in templates: (subject, HTML, text).
mod defaults {
    use crate::email::templates::TemplateName;

    const VERIFY_HTML: &str = r#"<!doctype html><html><body style="font-family: sans-serif">
<p>Hello {{ user.name or user.email }},</p>
<p>Please confirm that <strong>{{ user.email }}</strong> is your email address for {{ application.name or friendly_name }}.</p>
<p><a href="{{ url }}">Verify your email</a></p>
<p>If you did not create an account, you can ignore this email.</p>
</body></html>"#;
    const VERIFY_TEXT: &str = "Hello {{ user.name or user.email }},\n\nPlease confirm that {{ user.email }} is your email address for {{ application.name or friendly_name }} by opening this link:\n\n{{ url }}\n\nIf you did not create an account, you can ignore this email.\n";

    const RESET_HTML: &str = r#"<!doctype html><html><body style="font-family: sans-serif">
<p>Hello {{ user.name or user.email }},</p>
<p>Someone asked to reset the password of your {{ application.name or friendly_name }} account ({{ user.email }}).</p>
<p><a href="{{ url }}">Choose a new password</a></p>
<p>If it was not you, ignore this email: your password stays as it is.</p>
</body></html>"#;
    const RESET_TEXT: &str = "Hello {{ user.name or user.email }},\n\nSomeone asked to reset the password of your {{ application.name or friendly_name }} account ({{ user.email }}). To choose a new password, open this link:\n\n{{ url }}\n\nIf it was not you, ignore this email: your password stays as it is.\n";

    const BLOCKED_HTML: &str = r#"<!doctype html><html><body style="font-family: sans-serif">
<p>Hello {{ user.name or user.email }},</p>
<p>Your {{ friendly_name }} account ({{ user.email }}) was blocked from one IP address after too many failed login attempts.</p>
<p><a href="{{ url }}">Unblock your account</a></p>
<p>If these attempts were not yours, consider changing your password.</p>
</body></html>"#;
    const BLOCKED_TEXT: &str = "Hello {{ user.name or user.email }},\n\nYour {{ friendly_name }} account ({{ user.email }}) was blocked from one IP address after too many failed login attempts. To unblock it, open this link:\n\n{{ url }}\n\nIf these attempts were not yours, consider changing your password.\n";

    const WELCOME_HTML: &str = r#"<!doctype html><html><body style="font-family: sans-serif">
<p>Welcome to {{ application.name or friendly_name }}, {{ user.name or user.email }}!</p>
</body></html>"#;
    const WELCOME_TEXT: &str =
        "Welcome to {{ application.name or friendly_name }}, {{ user.name or user.email }}!\n";

    pub(super) fn of(name: TemplateName) -> (&'static str, &'static str, &'static str) {
        match name {
            TemplateName::VerifyEmail => ("Verify your email", VERIFY_HTML, VERIFY_TEXT),
            TemplateName::ResetEmail => ("Reset your password", RESET_HTML, RESET_TEXT),
            TemplateName::BlockedAccount => {
                ("Your account has been blocked", BLOCKED_HTML, BLOCKED_TEXT)
            }
            TemplateName::WelcomeEmail => ("Welcome", WELCOME_HTML, WELCOME_TEXT),
        }
    }

    #[cfg(test)]
    pub(super) fn all() -> Vec<&'static str> {
        [
            TemplateName::VerifyEmail,
            TemplateName::ResetEmail,
            TemplateName::BlockedAccount,
            TemplateName::WelcomeEmail,
        ]
        .into_iter()
        .flat_map(|name| {
            let (subject, html, text) = of(name);
            [subject, html, text]
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_compile() {
        for source in defaults::all() {
            assert!(render::check_syntax(source).is_ok(), "{source}");
        }
    }

    #[test]
    fn names() {
        for name in [
            "verify_email",
            "reset_email",
            "blocked_account",
            "welcome_email",
        ] {
            assert_eq!(
                TemplateName::parse(name).map(TemplateName::as_str),
                Some(name)
            );
        }
        assert!(TemplateName::parse("mfa_oob_code").is_none());
    }
}
