//! Jobs through the engine: imports with good, bad and duplicate entries,
//! upsert, exports, the verification-email hook, and the sweep that starts
//! forgotten jobs and fails interrupted ones.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use engine::Engine;
use engine::jobs::{self, ExportRequest, ImportRequest, VerificationEmailRequest, runner};
use engine::tenancy::tenants::{TenantSpec, ensure_tenant};
use model::{
    Connection, ExportField, ExportFormat, FixedClock, Job, JobParams, JobPayload, JobStatus,
    TenantId,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const START: i64 = 1_800_000_000_000;

async fn setup() -> (Engine, FixedClock, TenantId, Connection) {
    let storage = storage_sql::SqlStorage::open_sqlite_memory().await.unwrap();
    let clock = FixedClock::at(START);
    let engine = Engine::new(
        Arc::new(storage),
        Arc::new(clock.clone()),
        crypto::MasterKey::generate().unwrap(),
        engine::Settings {
            password_params: crypto::PasswordParams {
                m_cost_kib: 64,
                t_cost: 1,
                p_cost: 1,
            },
            ..engine::Settings::default()
        },
    )
    .unwrap();
    let tenant = ensure_tenant(
        &engine,
        &TenantSpec {
            id: TenantId::new("default"),
            friendly_name: "Default".into(),
            issuer: "https://auth.example.test".into(),
            hosts: vec![],
        },
    )
    .await
    .unwrap();
    let create =
        serde_json::from_value(json!({"name": "db", "strategy": "auth0", "options": {}})).unwrap();
    let connection =
        engine::management::connections::create_connection(&engine, &tenant.id, create)
            .await
            .unwrap();
    (engine, clock, tenant.id, connection)
}

async fn finished(engine: &Engine, tenant: &TenantId, id: &str) -> Job {
    for _ in 0..500 {
        let job = jobs::get_job(engine, tenant, id).await.unwrap();
        if job.status.is_finished() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} did not finish");
}

async fn import(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    users: Value,
    upsert: bool,
) -> Job {
    let job = jobs::create_import(
        engine,
        tenant,
        ImportRequest {
            connection_id: connection.id.clone(),
            upsert,
            file: users.to_string().into_bytes(),
            ..ImportRequest::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(job.status, JobStatus::Pending);
    finished(engine, tenant, &job.id).await
}

#[tokio::test]
async fn import_reports_bad_entries_and_honours_upsert() {
    let (engine, _clock, tenant, connection) = setup().await;
    let job = import(
        &engine,
        &tenant,
        &connection,
        json!([
            {"email": "ada@example.com", "given_name": "Ada", "user_metadata": {"a": 1}},
            {"email": "bob@example.com", "user_id": "bob-1"},
            {"email": "not-an-email"},
            {"email": "eve@example.com", "password_hash": "$2b$10$short"},
            {"email": "ADA@example.com"},
        ]),
        false,
    )
    .await;
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.failure);
    let summary = job.summary.unwrap();
    assert_eq!(
        (
            summary.total,
            summary.inserted,
            summary.updated,
            summary.failed
        ),
        (5, 2, 0, 3)
    );
    let (_, report) = jobs::job_errors(&engine, &tenant, &job.id).await.unwrap();
    let report = report.unwrap();
    let codes: Vec<&str> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["errors"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["INVALID_FORMAT", "INVALID_FORMAT", "DUPLICATED_USER"]
    );
    assert_eq!(report[1]["user"]["password_hash"], "[redacted]");
    let bob = engine
        .storage
        .get_user(&tenant, "auth0|bob-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bob.connection_id, connection.id);
    assert_eq!(bob.password_hash, None);
    // The uploaded file is dropped once the job ends.
    assert_eq!(
        engine
            .storage
            .get_job_payload(&tenant, &job.id, JobPayload::Input)
            .await
            .unwrap(),
        None
    );

    // With upsert the existing user is updated instead.
    let job = import(
        &engine,
        &tenant,
        &connection,
        json!([{"email": "Ada@Example.com", "family_name": "Lovelace", "user_metadata": {"b": 2}},
               {"email": "cy@example.com"}]),
        true,
    )
    .await;
    let summary = job.summary.unwrap();
    assert_eq!(
        (summary.inserted, summary.updated, summary.failed),
        (1, 1, 0)
    );
    assert_eq!(
        jobs::job_errors(&engine, &tenant, &job.id).await.unwrap().1,
        None
    );
    let ada = engine
        .storage
        .get_user_by_email(&tenant, &connection.id, "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ada.given_name.as_deref(), Some("Ada"));
    assert_eq!(ada.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(Value::Object(ada.user_metadata), json!({"a": 1, "b": 2}));
}

#[tokio::test]
async fn import_files_are_checked_when_the_job_is_created() {
    let (engine, _clock, tenant, connection) = setup().await;
    for (file, expected) in [
        (b"not json".to_vec(), "not valid JSON"),
        (b"{\"email\":\"a@b.co\"}".to_vec(), "JSON array"),
        (b"[]".to_vec(), "at least one"),
        (vec![0xff, 0xfe], "UTF-8"),
        (vec![b' '; 16 * 1024 * 1024 + 1], "larger than the limit"),
    ] {
        let error = jobs::create_import(
            &engine,
            &tenant,
            ImportRequest {
                connection_id: connection.id.clone(),
                file,
                ..ImportRequest::default()
            },
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
    let missing = jobs::create_import(
        &engine,
        &tenant,
        ImportRequest {
            connection_id: "con_missing".into(),
            file: b"[{}]".to_vec(),
            ..ImportRequest::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(
        missing,
        engine::EngineError::NotFound("connection")
    ));
}

#[tokio::test]
async fn exports_write_chosen_fields_in_both_formats() {
    let (engine, _clock, tenant, connection) = setup().await;
    import(
        &engine,
        &tenant,
        &connection,
        json!([
            {"email": "ada@example.com", "name": "=cmd|' /C calc'!A0", "user_metadata": {"plan": "pro"}},
            {"email": "bob@example.com", "name": "Bob, \"the\" builder"},
        ]),
        false,
    )
    .await;
    let fields = vec![
        ExportField {
            name: "email".into(),
            export_as: Some("Email".into()),
        },
        ExportField {
            name: "name".into(),
            export_as: None,
        },
        ExportField {
            name: "user_metadata.plan".into(),
            export_as: Some("plan".into()),
        },
    ];
    let export = |format| {
        let engine = engine.clone();
        let tenant = tenant.clone();
        let fields = fields.clone();
        let connection_id = connection.id.clone();
        async move {
            let job = jobs::create_export(
                &engine,
                &tenant,
                ExportRequest {
                    connection_id,
                    format,
                    fields,
                    limit: None,
                },
            )
            .await
            .unwrap();
            let job = finished(&engine, &tenant, &job.id).await;
            assert_eq!(job.status, JobStatus::Completed);
            jobs::export_file(&engine, &tenant, &job.id)
                .await
                .unwrap()
                .content
        }
    };
    let csv = export(ExportFormat::Csv).await;
    let mut lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.pop(), Some(""));
    assert_eq!(lines[0], "Email,name,plan");
    lines[1..].sort();
    assert_eq!(
        &lines[1..],
        [
            "ada@example.com,\"'=cmd|' /C calc'!A0\",pro",
            "bob@example.com,\"Bob, \"\"the\"\" builder\",",
        ]
    );
    let ndjson = export(ExportFormat::Json).await;
    let mut rows: Vec<Value> = ndjson
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    rows.sort_by_key(|row| row["Email"].as_str().unwrap().to_owned());
    assert_eq!(
        rows,
        [
            json!({"Email": "ada@example.com", "name": "=cmd|' /C calc'!A0", "plan": "pro"}),
            json!({"Email": "bob@example.com", "name": "Bob, \"the\" builder"}),
        ]
    );
    // A field path that is not an attribute path is refused.
    let bad = jobs::create_export(
        &engine,
        &tenant,
        ExportRequest {
            connection_id: connection.id.clone(),
            format: ExportFormat::Csv,
            fields: vec![ExportField {
                name: "email; DROP TABLE users".into(),
                export_as: None,
            }],
            limit: None,
        },
    )
    .await;
    assert!(bad.is_err());
}

#[tokio::test]
async fn verification_email_jobs_fail_honestly_without_a_provider() {
    let (engine, _clock, tenant, connection) = setup().await;
    import(
        &engine,
        &tenant,
        &connection,
        json!([{"email": "ada@example.com", "user_id": "ada"}]),
        false,
    )
    .await;
    let job = jobs::create_verification_email(
        &engine,
        &tenant,
        VerificationEmailRequest {
            user_id: "auth0|ada".into(),
            client_id: None,
            identity: None,
        },
    )
    .await
    .unwrap();
    let job = finished(&engine, &tenant, &job.id).await;
    assert_eq!(job.status, JobStatus::Failed);
    assert!(job.failure.unwrap().contains("no email provider"));
    let missing = jobs::create_verification_email(
        &engine,
        &tenant,
        VerificationEmailRequest {
            user_id: "auth0|nobody".into(),
            client_id: None,
            identity: None,
        },
    )
    .await;
    assert!(matches!(
        missing,
        Err(engine::EngineError::NotFound("user"))
    ));
}

#[tokio::test]
async fn the_sweep_starts_forgotten_jobs_and_fails_interrupted_ones() {
    let (engine, clock, tenant, connection) = setup().await;
    let base = |id: &str, status| Job {
        tenant_id: tenant.clone(),
        id: id.into(),
        status,
        params: JobParams::UsersImport {
            upsert: false,
            external_id: None,
            send_completion_email: false,
        },
        connection_id: Some(connection.id.clone()),
        connection: Some(connection.name.clone()),
        summary: None,
        failure: None,
        runner: None,
        heartbeat_at: None,
        created_at: START,
        updated_at: START,
        finished_at: None,
        expires_at: None,
    };
    // A job left pending by a node that stopped before starting it.
    engine
        .storage
        .create_job(
            &base("job_pending", JobStatus::Pending),
            Some(r#"[{"email":"late@example.com"}]"#),
        )
        .await
        .unwrap();
    // A job whose node stopped half-way.
    let mut interrupted = base("job_interrupted", JobStatus::Processing);
    interrupted.runner = Some("gone".into());
    interrupted.heartbeat_at = Some(START);
    interrupted.summary = Some(model::JobSummary {
        failed: 1,
        updated: 0,
        inserted: 499,
        total: 2_000,
    });
    engine
        .storage
        .create_job(&interrupted, Some("[]"))
        .await
        .unwrap();

    // Within the grace and stale periods nothing happens.
    assert_eq!(runner::sweep(&engine, 10_000).await.unwrap(), (0, 0));
    clock.set(START + 61_000);
    assert_eq!(runner::sweep(&engine, 10_000).await.unwrap(), (1, 1));

    let resumed = finished(&engine, &tenant, "job_pending").await;
    assert_eq!(resumed.status, JobStatus::Completed);
    assert_eq!(resumed.summary.unwrap().inserted, 1);
    let failed = jobs::get_job(&engine, &tenant, "job_interrupted")
        .await
        .unwrap();
    assert_eq!(failed.status, JobStatus::Failed);
    let reason = failed.failure.unwrap();
    assert!(
        reason.contains("interrupted") && reason.contains("500 of 2000"),
        "{reason}"
    );
    assert!(failed.expires_at.is_some());
    // Nothing is left to do.
    assert_eq!(runner::sweep(&engine, 10_000).await.unwrap(), (0, 0));
}
