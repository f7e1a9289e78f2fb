//! `POST /api/v2/jobs/users-exports`: the users of one connection as a
//! file — NDJSON (one object per line, as Auth0 writes it) or CSV with a
//! header row.
//!
//! Each field names a user attribute (`email`, `user_metadata.plan`,
//! `identities[0].connection`) of the same document the Management API
//! shows, so hashes can never be exported. CSV cells are quoted per RFC 4180
//! and text cells that a spreadsheet would run as a formula (`=`, `+`, `-`,
//! `@`, tab, carriage return) are prefixed with `'` (OWASP CSV injection).

use super::pending::pending_job;
use super::progress::{Finished, Heartbeat, JobFailure};
use crate::Engine;
use crate::error::{EngineError, Result};
use model::clock::to_rfc3339;
use model::{ExportField, ExportFormat, Job, JobParams, JobSummary, TenantId, User};
use serde_json::{Map, Value, json};
use storage::{Paging, UserFilter};

/// Users read per page (one heartbeat each).
const PAGE: u64 = 1_000;
const MAX_FIELDS: usize = 100;
const MAX_FIELD_NAME: usize = 100;

/// Auth0's defaults when no field is named.
const DEFAULT_FIELDS: &[&str] = &[
    "user_id",
    "email",
    "email_verified",
    "username",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "picture",
    "created_at",
    "updated_at",
    "last_login",
    "logins_count",
    "blocked",
];

/// What `POST /api/v2/jobs/users-exports` asks for.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub connection_id: String,
    pub format: ExportFormat,
    pub fields: Vec<ExportField>,
    pub limit: Option<u64>,
}

/// Checks the request: the pending export job.
pub(super) async fn prepare(
    engine: &Engine,
    tenant: &TenantId,
    request: ExportRequest,
) -> Result<Job> {
    if request.connection_id.is_empty() {
        return Err(EngineError::invalid(
            "connection_id",
            "Missing required property: connection_id",
        ));
    }
    let connection = engine
        .storage
        .get_connection(tenant, &request.connection_id)
        .await?
        .ok_or(EngineError::NotFound("connection"))?;
    check_fields(&request.fields)?;
    if request.limit == Some(0) {
        return Err(EngineError::invalid("limit", "limit must be at least 1"));
    }
    let params = JobParams::UsersExport {
        format: request.format,
        fields: request.fields,
        limit: request.limit,
    };
    let job = pending_job(engine, tenant, params, Some(&connection));
    Ok(job)
}

fn check_fields(fields: &[ExportField]) -> Result<()> {
    if fields.len() > MAX_FIELDS {
        return Err(EngineError::invalid(
            "fields",
            format!("At most {MAX_FIELDS} fields can be exported"),
        ));
    }
    for (index, field) in fields.iter().enumerate() {
        let name_ok = !field.name.is_empty()
            && field.name.len() <= MAX_FIELD_NAME
            && field
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.[]".contains(c))
            && parse_path(&field.name).is_some();
        if !name_ok {
            return Err(EngineError::invalid(
                format!("fields[{index}].name"),
                "A field name is an attribute path such as email, user_metadata.plan or identities[0].connection",
            ));
        }
        if let Some(alias) = &field.export_as
            && (alias.is_empty()
                || alias.chars().count() > MAX_FIELD_NAME
                || alias.chars().any(char::is_control))
        {
            return Err(EngineError::invalid(
                format!("fields[{index}].export_as"),
                format!("export_as must be 1 to {MAX_FIELD_NAME} printable characters"),
            ));
        }
    }
    Ok(())
}

/// One step of an attribute path.
#[derive(Debug, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `a.b[0].c` → `[Key(a), Key(b), Index(0), Key(c)]`.
fn parse_path(path: &str) -> Option<Vec<Step<'_>>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(open) => (&part[..open], &part[open..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return None;
        }
        steps.push(Step::Key(key));
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let index = rest.get(1..close)?.parse().ok()?;
            steps.push(Step::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    Some(steps)
}

fn lookup<'v>(document: &'v Value, path: &str) -> Option<&'v Value> {
    let mut at = document;
    for step in parse_path(path)? {
        at = match step {
            Step::Key(key) => at.get(key)?,
            Step::Index(index) => at.get(index)?,
        };
    }
    (!at.is_null()).then_some(at)
}

/// The user as the Management API shows it (never a hash).
pub fn user_document(user: &User) -> Value {
    let mut document = Map::new();
    document.insert("user_id".into(), json!(user.user_id));
    for (key, value) in [
        ("email", &user.email),
        ("username", &user.username),
        ("phone_number", &user.phone_number),
        ("name", &user.name),
        ("nickname", &user.nickname),
        ("given_name", &user.given_name),
        ("family_name", &user.family_name),
        ("picture", &user.picture),
        ("last_ip", &user.last_ip),
    ] {
        if let Some(value) = value {
            document.insert(key.into(), json!(value));
        }
    }
    document.insert("email_verified".into(), json!(user.email_verified));
    document.insert("blocked".into(), json!(user.blocked));
    document.insert("created_at".into(), json!(to_rfc3339(user.created_at)));
    document.insert("updated_at".into(), json!(to_rfc3339(user.updated_at)));
    if let Some(last_login) = user.last_login {
        document.insert("last_login".into(), json!(to_rfc3339(last_login)));
    }
    document.insert("logins_count".into(), json!(user.logins_count));
    document.insert(
        "identities".into(),
        Value::Array(
            user.identities
                .iter()
                .map(|identity| {
                    json!({
                        "connection": identity.connection,
                        "provider": identity.provider,
                        "user_id": identity.user_id,
                        "isSocial": identity.is_social,
                    })
                })
                .collect(),
        ),
    );
    document.insert(
        "user_metadata".into(),
        Value::Object(user.user_metadata.clone()),
    );
    document.insert(
        "app_metadata".into(),
        Value::Object(user.app_metadata.clone()),
    );
    Value::Object(document)
}

/// The columns of an export: `(attribute path, heading)`.
fn columns(fields: &[ExportField]) -> Vec<(String, String)> {
    if fields.is_empty() {
        return DEFAULT_FIELDS
            .iter()
            .map(|name| ((*name).to_owned(), (*name).to_owned()))
            .collect();
    }
    fields
        .iter()
        .map(|field| {
            let heading = field
                .export_as
                .clone()
                .unwrap_or_else(|| field.name.clone());
            (field.name.clone(), heading)
        })
        .collect()
}

/// One NDJSON line: the present fields under their headings.
pub fn ndjson_line(document: &Value, columns: &[(String, String)]) -> String {
    let mut line = Map::new();
    for (path, heading) in columns {
        if let Some(value) = lookup(document, path) {
            line.insert(heading.clone(), value.clone());
        }
    }
    Value::Object(line).to_string()
}

/// One CSV cell: text is neutralised against formulas, then quoted if needed.
pub fn csv_cell(value: Option<&Value>) -> String {
    let text = match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => neutralise_formula(text),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => neutralise_formula(&other.to_string()),
    };
    quote_csv(&text)
}

fn neutralise_formula(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn quote_csv(text: &str) -> String {
    let needs_quotes = text.contains([',', '"', '\n', '\r'])
        || text.starts_with(' ')
        || text.ends_with(' ')
        || text.starts_with('\'');
    if needs_quotes {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

pub fn csv_row<'a>(cells: impl Iterator<Item = Option<&'a Value>>) -> String {
    let mut row = cells.map(csv_cell).collect::<Vec<_>>().join(",");
    row.push_str("\r\n");
    row
}

/// Runs an export job.
pub(super) async fn run(
    engine: &Engine,
    job: &Job,
    heartbeat: &Heartbeat<'_>,
) -> std::result::Result<Finished, JobFailure> {
    let JobParams::UsersExport {
        format,
        fields,
        limit,
    } = &job.params
    else {
        return Err(JobFailure::Refused("not an export job".into()));
    };
    let columns = columns(fields);
    let mut output = String::new();
    if *format == ExportFormat::Csv {
        let headings: Vec<Value> = columns
            .iter()
            .map(|(_, heading)| Value::String(heading.clone()))
            .collect();
        output.push_str(&csv_row(headings.iter().map(Some)));
    }
    let filter = UserFilter {
        connection_id: job.connection_id.clone(),
        email: None,
    };
    let wanted = limit.unwrap_or(u64::MAX);
    let mut written = 0u64;
    let mut after: Option<String> = None;
    while written < wanted {
        let paging = Paging {
            offset: 0,
            limit: PAGE.min(wanted - written),
            after: after.clone(),
        };
        let page = engine
            .storage
            .list_users(&job.tenant_id, &filter, &paging)
            .await?;
        let Some(last) = page.items.last() else {
            break;
        };
        after = Some(last.user_id.clone());
        for user in &page.items {
            let document = user_document(user);
            match format {
                ExportFormat::Json => {
                    output.push_str(&ndjson_line(&document, &columns));
                    output.push('\n');
                }
                ExportFormat::Csv => output.push_str(&csv_row(
                    columns.iter().map(|(path, _)| lookup(&document, path)),
                )),
            }
            written += 1;
        }
        heartbeat
            .beat(Some(JobSummary {
                total: written,
                ..JobSummary::default()
            }))
            .await?;
    }
    Ok(Finished {
        summary: None,
        errors: None,
        output: Some(output),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_reach_nested_attributes() {
        let document = json!({
            "email": "a@b.co",
            "user_metadata": {"plan": "pro"},
            "identities": [{"connection": "db"}]
        });
        assert_eq!(lookup(&document, "email"), Some(&json!("a@b.co")));
        assert_eq!(lookup(&document, "user_metadata.plan"), Some(&json!("pro")));
        assert_eq!(
            lookup(&document, "identities[0].connection"),
            Some(&json!("db"))
        );
        assert_eq!(lookup(&document, "identities[1].connection"), None);
        assert_eq!(lookup(&document, "password_hash"), None);
        assert!(parse_path("a..b").is_none());
        assert!(parse_path("a[x]").is_none());
        assert!(parse_path("a[0]b").is_none());
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell(Some(&json!("plain"))), "plain");
        assert_eq!(csv_cell(Some(&json!("a,b"))), "\"a,b\"");
        assert_eq!(csv_cell(Some(&json!("say \"hi\""))), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell(Some(&json!("line\nbreak"))), "\"line\nbreak\"");
        assert_eq!(
            csv_cell(Some(&json!("=HYPERLINK(\"http://x\")"))),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        for formula in ["+1", "-1+2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(
                csv_cell(Some(&json!(formula))).starts_with("\"'"),
                "{formula}"
            );
        }
        assert_eq!(csv_cell(Some(&json!(-3))), "-3");
        assert_eq!(csv_cell(Some(&json!(true))), "true");
        assert_eq!(csv_cell(None), "");
        assert_eq!(
            csv_row([Some(&json!("a")), None, Some(&json!(1))].into_iter()),
            "a,,1\r\n"
        );
    }

    #[test]
    fn ndjson_lines_use_headings_and_skip_missing_fields() {
        let document = json!({"email": "a@b.co", "user_metadata": {"plan": "pro"}});
        let columns = vec![
            ("email".to_owned(), "Email".to_owned()),
            ("user_metadata.plan".to_owned(), "plan".to_owned()),
            ("nickname".to_owned(), "nickname".to_owned()),
        ];
        assert_eq!(
            ndjson_line(&document, &columns),
            r#"{"Email":"a@b.co","plan":"pro"}"#
        );
    }
}
