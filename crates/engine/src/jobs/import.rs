//! `POST /api/v2/jobs/users-imports`: Auth0's bulk user import into a
//! database connection.
//!
//! The file is checked whole when the job is created (size, JSON, an array
//! of at least one entry); each entry is validated when the job runs,
//! against Auth0's import schema and the connection's own rules (email,
//! username required or forbidden and its length, text lengths, picture
//! URL, metadata size), and a bad entry is reported with its reason while
//! the others are imported. Users are inserted a few hundred at a time
//! (`UserStore::create_users`); an entry that collides with an existing
//! user is updated when `upsert` is set, reported otherwise.
//!
//! Password hashes are stored as given (bcrypt `password_hash`, or an Auth0
//! `custom_password_hash` converted by `crypto::legacy_hash`); the login
//! path verifies them and re-hashes to argon2id on the first login. Error
//! reports never repeat a hash.

mod entry;

use entry::reported_entry;
pub use entry::{EntryError, ImportedUser, validate_entry};

use super::pending::pending_job;
use super::progress::{Finished, Heartbeat, JobFailure};
use crate::Engine;
use crate::error::{EngineError, Result};
use crate::login::database_users;
use model::{Connection, Identity, Job, JobParams, JobPayload, JobSummary, TenantId, User};
use serde_json::{Value, json};
use storage::StorageError;

/// Users validated and inserted per batch (one heartbeat each).
const BATCH: usize = 500;
/// Longest `external_id` accepted.
const MAX_EXTERNAL_ID: usize = 255;

/// What `POST /api/v2/jobs/users-imports` carries.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    pub connection_id: String,
    pub upsert: bool,
    pub external_id: Option<String>,
    pub send_completion_email: bool,
    /// The `users` file.
    pub file: Vec<u8>,
}

/// Checks the request and the file's shape: the pending job and its file.
pub(super) async fn prepare(
    engine: &Engine,
    tenant: &TenantId,
    request: ImportRequest,
) -> Result<(Job, String)> {
    let connection = import_connection(engine, tenant, &request.connection_id).await?;
    if let Some(external_id) = &request.external_id
        && (external_id.chars().count() > MAX_EXTERNAL_ID
            || external_id.chars().any(char::is_control))
    {
        return Err(EngineError::invalid(
            "external_id",
            format!("external_id must be at most {MAX_EXTERNAL_ID} printable characters"),
        ));
    }
    let limit = engine.settings.import_max_bytes;
    if request.file.len() > limit {
        return Err(EngineError::invalid(
            "users",
            format!("The users file is larger than the limit of {limit} bytes"),
        ));
    }
    let users = String::from_utf8(request.file)
        .map_err(|_| EngineError::invalid("users", "The users file must be UTF-8 JSON"))?;
    let entries = parse_file(&users)?;
    if entries.is_empty() {
        return Err(EngineError::invalid(
            "users",
            "The users file must contain at least one user",
        ));
    }
    let params = JobParams::UsersImport {
        upsert: request.upsert,
        external_id: request.external_id,
        send_completion_email: request.send_completion_email,
    };
    let job = pending_job(engine, tenant, params, Some(&connection));
    Ok((job, users))
}

async fn import_connection(
    engine: &Engine,
    tenant: &TenantId,
    connection_id: &str,
) -> Result<Connection> {
    if connection_id.is_empty() {
        return Err(EngineError::invalid(
            "connection_id",
            "Missing required property: connection_id",
        ));
    }
    let connection = engine
        .storage
        .get_connection(tenant, connection_id)
        .await?
        .ok_or(EngineError::NotFound("connection"))?;
    if !database_users::is_database(&connection) {
        return Err(EngineError::invalid(
            "connection_id",
            "Users can be imported only into database connections",
        ));
    }
    Ok(connection)
}

/// The file must be a JSON array; its entries are checked one by one later.
fn parse_file(text: &str) -> Result<Vec<Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(entries)) => Ok(entries),
        Ok(_) => Err(EngineError::invalid(
            "users",
            "The users file must be a JSON array of user objects",
        )),
        Err(_) => Err(EngineError::invalid(
            "users",
            "The users file is not valid JSON",
        )),
    }
}

fn new_user(
    imported: &ImportedUser,
    tenant: &TenantId,
    connection: &Connection,
    now: i64,
) -> Result<User> {
    let local_id = match &imported.local_id {
        Some(id) => id.clone(),
        None => random_local_id()?,
    };
    let local_part = imported
        .email
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok(User {
        tenant_id: tenant.clone(),
        user_id: format!("auth0|{local_id}"),
        connection_id: connection.id.clone(),
        email: Some(imported.email.clone()),
        email_verified: imported.email_verified.unwrap_or(false),
        username: imported.username.clone(),
        phone_number: None,
        phone_verified: false,
        name: imported
            .name
            .clone()
            .or_else(|| Some(imported.email.clone())),
        nickname: imported.nickname.clone().or(Some(local_part)),
        given_name: imported.given_name.clone(),
        family_name: imported.family_name.clone(),
        picture: imported.picture.clone(),
        password_hash: imported.password_hash.clone(),
        password_history: Vec::new(),
        blocked: imported.blocked.unwrap_or(false),
        identities: vec![Identity {
            connection: connection.name.clone(),
            connection_id: connection.id.clone(),
            provider: "auth0".into(),
            user_id: local_id,
            is_social: false,
            profile_data: None,
            upstream_tokens: None,
        }],
        user_metadata: imported.user_metadata.clone().unwrap_or_default(),
        app_metadata: imported.app_metadata.clone().unwrap_or_default(),
        logins_count: 0,
        last_login: None,
        last_ip: None,
        created_at: now,
        updated_at: now,
    })
}

fn random_local_id() -> Result<String> {
    let bytes = crypto::secrets::random_bytes(12)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Upsert: the fields the entry gives replace the stored ones (metadata is
/// merged at the top level, as `PATCH /users` does).
fn apply_update(user: &mut User, imported: &ImportedUser, now: i64) {
    if let Some(verified) = imported.email_verified {
        user.email_verified = verified;
    }
    if imported.username.is_some() {
        user.username = imported.username.clone();
    }
    for (target, value) in [
        (&mut user.given_name, &imported.given_name),
        (&mut user.family_name, &imported.family_name),
        (&mut user.name, &imported.name),
        (&mut user.nickname, &imported.nickname),
        (&mut user.picture, &imported.picture),
    ] {
        if value.is_some() {
            target.clone_from(value);
        }
    }
    if let Some(blocked) = imported.blocked {
        user.blocked = blocked;
    }
    if let Some(patch) = &imported.user_metadata {
        crate::users::merge_metadata(&mut user.user_metadata, patch);
    }
    if let Some(patch) = &imported.app_metadata {
        crate::users::merge_metadata(&mut user.app_metadata, patch);
    }
    if imported.password_hash.is_some() {
        user.password_hash = imported.password_hash.clone();
    }
    user.updated_at = now;
}

/// Runs an import job.
pub(super) async fn run(
    engine: &Engine,
    job: &Job,
    heartbeat: &Heartbeat<'_>,
) -> std::result::Result<Finished, JobFailure> {
    let JobParams::UsersImport { upsert, .. } = job.params else {
        return Err(JobFailure::Refused("not an import job".into()));
    };
    let tenant = &job.tenant_id;
    let Some(text) = engine
        .storage
        .get_job_payload(tenant, &job.id, JobPayload::Input)
        .await?
    else {
        return Err(JobFailure::Refused(
            "The uploaded users file is no longer available".into(),
        ));
    };
    let entries = parse_file(&text).map_err(|_| {
        JobFailure::Refused("The users file is not a JSON array of user objects".into())
    })?;
    drop(text);
    let connection_id = job.connection_id.clone().unwrap_or_default();
    let Some(connection) = engine
        .storage
        .get_connection(tenant, &connection_id)
        .await?
    else {
        return Err(JobFailure::Refused(
            "The connection was deleted before the import ran".into(),
        ));
    };
    let mut summary = JobSummary {
        total: entries.len() as u64,
        ..JobSummary::default()
    };
    let mut report: Vec<Value> = Vec::new();
    for batch in entries.chunks(BATCH) {
        import_batch(
            engine,
            tenant,
            &connection,
            upsert,
            batch,
            &mut summary,
            &mut report,
        )
        .await?;
        heartbeat.beat(Some(summary)).await?;
    }
    let errors = serde_json::to_string(&report)
        .map_err(|_| JobFailure::Refused("The error report could not be written".into()))?;
    Ok(Finished {
        summary: Some(summary),
        errors: Some(errors),
        output: None,
    })
}

async fn import_batch(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    upsert: bool,
    batch: &[Value],
    summary: &mut JobSummary,
    report: &mut Vec<Value>,
) -> std::result::Result<(), JobFailure> {
    let now = engine.now();
    let mut valid = Vec::with_capacity(batch.len());
    let mut users = Vec::with_capacity(batch.len());
    // (position in the batch, report line): the report follows the file's order.
    let mut failures: Vec<(usize, Value)> = Vec::new();
    for (position, entry) in batch.iter().enumerate() {
        match validate_entry(entry, connection) {
            Ok(imported) => {
                users.push(new_user(&imported, tenant, connection, now)?);
                valid.push((position, entry, imported));
            }
            Err(errors) => {
                failures.push((
                    position,
                    json!({"user": reported_entry(entry), "errors": errors}),
                ));
            }
        }
    }
    let created = engine.storage.create_users(&users).await?;
    for ((position, entry, imported), inserted) in valid.into_iter().zip(created) {
        if inserted {
            summary.inserted += 1;
            continue;
        }
        let failure = if upsert {
            match update_existing(engine, tenant, connection, &imported, now).await? {
                true => {
                    summary.updated += 1;
                    continue;
                }
                false => EntryError::new(
                    "DUPLICATED_USER",
                    "",
                    "Another user of the connection already has this user_id or username",
                ),
            }
        } else {
            EntryError::new(
                "DUPLICATED_USER",
                "",
                "The user already exists and upsert parameter is false",
            )
        };
        failures.push((
            position,
            json!({"user": reported_entry(entry), "errors": [failure]}),
        ));
    }
    failures.sort_by_key(|(position, _)| *position);
    summary.failed += failures.len() as u64;
    report.extend(failures.into_iter().map(|(_, line)| line));
    Ok(())
}

/// Updates the connection's user with the entry's email; `false` when no
/// such user exists (the entry collided on its id or username instead) or
/// the update would collide in turn.
async fn update_existing(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    imported: &ImportedUser,
    now: i64,
) -> Result<bool> {
    let Some(existing) = engine
        .storage
        .get_user_by_email(tenant, &connection.id, &imported.email)
        .await?
    else {
        return Ok(false);
    };
    if let Some(id) = &imported.local_id
        && existing.user_id != format!("auth0|{id}")
    {
        return Ok(false);
    }
    let outcome = engine
        .storage
        .update_user(tenant, &existing.user_id, &|mut user: User| {
            apply_update(&mut user, imported, now);
            Ok(user)
        })
        .await;
    match outcome {
        Ok(_) => Ok(true),
        Err(StorageError::AlreadyExists(_) | StorageError::NotFound) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_must_be_arrays() {
        assert!(parse_file("[]").is_ok());
        assert!(parse_file("{\"email\":\"a@b.co\"}").is_err());
        assert!(parse_file("not json").is_err());
    }
}
