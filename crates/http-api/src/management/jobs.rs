//! `/api/v2/jobs`: user imports (multipart upload, as Auth0), user exports,
//! verification emails, a job's status and error report, and the download
//! of a finished export (Vestibule serves the file itself, to callers with
//! `read:users`).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, Management};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::jobs::{self, ExportRequest, ImportRequest, VerificationEmailRequest};
use model::clock::to_rfc3339;
use model::{ExportField, ExportFormat, Job, JobParams, JobStatus};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Reading a job: Auth0 accepts either scope.
const READ_JOBS: &[&str] = &["read:users", "create:users"];

/// Text fields of the import form are short.
const MAX_TEXT_FIELD: u64 = 1024;

/// The job as Auth0 shows it.
fn job_view(job: &Job, issuer: &str) -> Value {
    let mut view = Map::new();
    view.insert("id".into(), json!(job.id));
    view.insert("type".into(), json!(job.kind().as_str()));
    view.insert("status".into(), json!(job.status.as_str()));
    view.insert("created_at".into(), json!(to_rfc3339(job.created_at)));
    if let Some(connection_id) = &job.connection_id {
        view.insert("connection_id".into(), json!(connection_id));
    }
    if let Some(connection) = &job.connection {
        view.insert("connection".into(), json!(connection));
    }
    match &job.params {
        JobParams::UsersImport {
            upsert,
            external_id,
            send_completion_email,
        } => {
            view.insert("upsert".into(), json!(upsert));
            if let Some(external_id) = external_id {
                view.insert("external_id".into(), json!(external_id));
            }
            view.insert("send_completion_email".into(), json!(send_completion_email));
            if let Some(summary) = job.summary.filter(|_| job.status.is_finished()) {
                view.insert("summary".into(), json!(summary));
            }
        }
        JobParams::UsersExport {
            format,
            fields,
            limit,
        } => {
            view.insert("format".into(), json!(format));
            if !fields.is_empty() {
                view.insert("fields".into(), json!(fields));
            }
            if let Some(limit) = limit {
                view.insert("limit".into(), json!(limit));
            }
            if job.status == JobStatus::Completed {
                view.insert(
                    "location".into(),
                    json!(format!("{issuer}api/v2/jobs/{}/download", job.id)),
                );
            }
        }
        JobParams::VerificationEmail { .. } => {}
    }
    if let Some(failure) = &job.failure {
        view.insert("status_details".into(), json!(failure));
    }
    Value::Object(view)
}

fn created(job: &Job, management: &Management) -> (StatusCode, Json<Value>) {
    (
        StatusCode::CREATED,
        Json(job_view(job, &management.tenant.issuer)),
    )
}

fn form_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_body", message)
}

/// The import form, read with size limits from a `multipart/form-data` body.
async fn read_import_form(request: Request, max_file: usize) -> Result<ImportRequest, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        form_error("Expected request with `Content-Type: multipart/form-data` and a boundary")
    })?;
    let max_file = max_file as u64;
    let constraints = multer::Constraints::new()
        .allowed_fields(vec![
            "users",
            "connection_id",
            "upsert",
            "external_id",
            "send_completion_email",
        ])
        .size_limit(
            multer::SizeLimit::new()
                .whole_stream(max_file + 64 * 1024)
                .for_field("users", max_file)
                .per_field(MAX_TEXT_FIELD),
        );
    let stream = request.into_body().into_data_stream();
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut form = ImportRequest::default();
    let mut seen: Vec<String> = Vec::new();
    let mut file = None;
    let mut connection_id = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return Err(multipart_error(&error, max_file)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if seen.contains(&name) {
            return Err(form_error(format!(
                "Payload validation error: 'The {name} field is given twice' on property {name}"
            )));
        }
        seen.push(name.clone());
        let bytes = field
            .bytes()
            .await
            .map_err(|error| multipart_error(&error, max_file))?;
        if name == "users" {
            file = Some(bytes.to_vec());
            continue;
        }
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            form_error(format!(
                "Payload validation error: 'Expected a UTF-8 string' on property {name}"
            ))
        })?;
        match name.as_str() {
            "connection_id" => connection_id = Some(text),
            "upsert" => form.upsert = form_bool(&name, &text)?,
            "send_completion_email" => form.send_completion_email = form_bool(&name, &text)?,
            "external_id" => form.external_id = Some(text).filter(|t| !t.is_empty()),
            _ => {}
        }
    }
    form.file = file.ok_or_else(|| {
        form_error("Payload validation error: 'Missing required property: users' on property users")
    })?;
    form.connection_id = connection_id.filter(|c| !c.is_empty()).ok_or_else(|| {
        form_error(
            "Payload validation error: 'Missing required property: connection_id' on property connection_id",
        )
    })?;
    Ok(form)
}

fn form_bool(name: &str, text: &str) -> Result<bool, ApiError> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(form_error(format!(
            "Payload validation error: 'Expected type boolean but found type string' on property {name}"
        ))),
    }
}

fn multipart_error(error: &multer::Error, max_file: u64) -> ApiError {
    match error {
        multer::Error::FieldSizeExceeded { field_name, .. }
            if field_name.as_deref() == Some("users") =>
        {
            form_error(format!(
                "Payload validation error: 'The users file is larger than the limit of {max_file} bytes' on property users"
            ))
        }
        multer::Error::StreamSizeExceeded { .. } => form_error(format!(
            "Payload validation error: 'The users file is larger than the limit of {max_file} bytes' on property users"
        )),
        multer::Error::FieldSizeExceeded { field_name, .. } => form_error(format!(
            "Payload validation error: 'Field too long' on property {}",
            field_name.as_deref().unwrap_or("body")
        )),
        multer::Error::UnknownField { field_name } => form_error(format!(
            "Payload validation error: 'Additional properties not allowed: {}' on property body",
            field_name
                .as_deref()
                .unwrap_or("(unnamed)")
                .chars()
                .take(100)
                .collect::<String>()
        )),
        _ => form_error("Invalid multipart/form-data body"),
    }
}

#[utoipa::path(post, path = "/api/v2/jobs/users-imports", tag = "jobs",
    request_body(content_type = "multipart/form-data", description = "`users` (a JSON file: an array of users), `connection_id`, `upsert`, `external_id`, `send_completion_email`"),
    responses((status = 201, description = "The job, pending"),
        (status = 400, description = "Malformed form or file (not JSON, not an array, too large)"),
        (status = 404, description = "No such connection")),
    security(("bearer" = ["create:users"])))]
pub async fn import_users(
    State(state): State<AppState>,
    management: Management,
    request: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    management.require("create:users")?;
    let form = read_import_form(request, state.engine.settings.import_max_bytes).await?;
    let job = jobs::create_import(&state.engine, management.tenant_id(), form).await?;
    Ok(created(&job, &management))
}

/// One exported field.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportFieldBody {
    /// The attribute: `email`, `user_metadata.plan`, `identities[0].connection`.
    pub name: String,
    /// The column heading (default: `name`).
    pub export_as: Option<String>,
}

/// `POST /api/v2/jobs/users-exports`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    pub connection_id: String,
    /// `json` (NDJSON) or `csv` (default).
    pub format: Option<ExportFormatBody>,
    pub fields: Option<Vec<ExportFieldBody>>,
    /// At most this many users.
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormatBody {
    Json,
    Csv,
}

#[utoipa::path(post, path = "/api/v2/jobs/users-exports", tag = "jobs", request_body = ExportBody,
    responses((status = 201, description = "The job, pending"),
        (status = 404, description = "No such connection")),
    security(("bearer" = ["read:users"])))]
pub async fn export_users(
    State(state): State<AppState>,
    management: Management,
    ApiJson(body): ApiJson<ExportBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    management.require("read:users")?;
    let request = ExportRequest {
        connection_id: body.connection_id,
        format: match body.format {
            Some(ExportFormatBody::Json) => ExportFormat::Json,
            Some(ExportFormatBody::Csv) | None => ExportFormat::Csv,
        },
        fields: body
            .fields
            .unwrap_or_default()
            .into_iter()
            .map(|field| ExportField {
                name: field.name,
                export_as: field.export_as,
            })
            .collect(),
        limit: body.limit,
    };
    let job = jobs::create_export(&state.engine, management.tenant_id(), request).await?;
    Ok(created(&job, &management))
}

/// `POST /api/v2/jobs/verification-email`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationEmailBody {
    pub user_id: String,
    pub client_id: Option<String>,
    /// `{user_id, provider}` of the identity to verify.
    #[schema(value_type = Option<Object>)]
    pub identity: Option<Value>,
}

#[utoipa::path(post, path = "/api/v2/jobs/verification-email", tag = "jobs",
    request_body = VerificationEmailBody,
    responses((status = 201, description = "The job, pending"),
        (status = 404, description = "No such user or client")),
    security(("bearer" = ["update:users"])))]
pub async fn verification_email(
    State(state): State<AppState>,
    management: Management,
    ApiJson(body): ApiJson<VerificationEmailBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    management.require("update:users")?;
    let request = VerificationEmailRequest {
        user_id: body.user_id,
        client_id: body.client_id,
        identity: body.identity,
    };
    let job =
        jobs::create_verification_email(&state.engine, management.tenant_id(), request).await?;
    Ok(created(&job, &management))
}

#[utoipa::path(get, path = "/api/v2/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "job id")),
    responses((status = 200, description = "The job"), (status = 404, description = "No such job")),
    security(("bearer" = ["create:users", "read:users"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    management.require_any(READ_JOBS)?;
    let job = jobs::get_job(&state.engine, management.tenant_id(), &id).await?;
    Ok(Json(job_view(&job, &management.tenant.issuer)))
}

#[utoipa::path(get, path = "/api/v2/jobs/{id}/errors", tag = "jobs",
    params(("id" = String, Path, description = "job id")),
    responses((status = 200, description = "`[{user, errors: [{code, message, path}]}]`, or the job when it has no errors"),
        (status = 404, description = "No such job")),
    security(("bearer" = ["create:users", "read:users"])))]
pub async fn errors(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    management.require_any(READ_JOBS)?;
    let (job, report) = jobs::job_errors(&state.engine, management.tenant_id(), &id).await?;
    Ok(Json(report.unwrap_or_else(|| {
        job_view(&job, &management.tenant.issuer)
    })))
}

#[utoipa::path(get, path = "/api/v2/jobs/{id}/download", tag = "jobs",
    params(("id" = String, Path, description = "job id")),
    responses((status = 200, description = "The export file: NDJSON or CSV"),
        (status = 404, description = "No such finished export")),
    security(("bearer" = ["read:users"])))]
pub async fn download(
    State(state): State<AppState>,
    management: Management,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    management.require("read:users")?;
    let file = jobs::export_file(&state.engine, management.tenant_id(), &id).await?;
    let (content_type, extension) = match file.format {
        ExportFormat::Json => ("application/x-ndjson; charset=utf-8", "json"),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    // The id was found in storage, so it is one of ours: `job_` + alphanumerics.
    let disposition = format!("attachment; filename=\"{id}.{extension}\"");
    let mut response = Body::from(file.content).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition)
            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
