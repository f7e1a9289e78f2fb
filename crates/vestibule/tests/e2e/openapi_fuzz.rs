//! The OpenAPI document tells the truth: schemathesis (property-based
//! testing, pinned in `tests/schemathesis/requirements.txt`) generates
//! requests for every Management operation from `/api/v2/openapi.json` and
//! checks each answer against what the document declares — no 5xx, only
//! documented statuses and content types, bodies that match their schemas.
//!
//! Bounded so it stays a suite test: a fixed seed, a small example budget
//! per operation, one worker, no example database (each run starts from the
//! seed alone), and a wall-clock limit after which the test fails.

use crate::harness::{self, Server, http, management_token};
use crate::login::{ensure_venv, python_toolchain};
use crate::support::toolchain_or_skip;
use serde_json::{Value, json};
use std::time::Duration;

/// The schemathesis invocation, fixed so a failure reproduces with the
/// same command (printed on failure).
const SEED: &str = "20261207";
const EXAMPLES_PER_OPERATION: &str = "20";
/// The checks the document must pass.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
/// Operations left out, and why:
/// - `POST /api/v2/keys/signing/rotate` and
///   `POST /api/v2/keys/signing/{kid}/revoke`: a rotation makes the key that
///   signed the run's token `previous`, which a following revoke may take
///   out of the JWKS; every later request would then be a 401 and the rest
///   of the run would test nothing. Key rotation is covered by the
///   management tests.
const EXCLUDED_PATHS: &str = r"^/api/v2/keys/signing/(rotate|\{kid\}/revoke)$";
/// About 30 s on two cores; the limit leaves room for a slow CI machine.
const TIME_LIMIT: Duration = Duration::from_secs(150);

#[tokio::test]
async fn schemathesis_finds_the_openapi_document_true() {
    let test = "schemathesis_finds_the_openapi_document_true";
    let Some(python) = toolchain_or_skip(test, python_toolchain()) else {
        return;
    };
    let dir = harness::repo_root().join("tests/schemathesis");
    let venv_python = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || ensure_venv(&dir)
    })
    .await
    .expect("venv task");
    let schemathesis = venv_python.with_file_name("schemathesis");

    let server = Server::start();
    let token = management_token(&server).await;
    let schema_url = server.url("/api/v2/openapi.json");
    // Hypothesis keeps state in the working directory: give it a fresh one,
    // holding the configuration that names the seeded records.
    let work = tempfile::tempdir().expect("tempdir");
    let config = seed(&server, &token).await;
    std::fs::write(work.path().join("schemathesis.toml"), &config).expect("write config");
    let args = [
        "run",
        schema_url.as_str(),
        "--checks",
        CHECKS,
        "--seed",
        SEED,
        "--max-examples",
        EXAMPLES_PER_OPERATION,
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "10",
        "--exclude-path-regex",
        EXCLUDED_PATHS,
        "--no-color",
    ];
    let mut command = tokio::process::Command::new(&schemathesis);
    command
        .args(args)
        .arg("--header")
        .arg(format!("Authorization: Bearer {token}"))
        .current_dir(work.path())
        .kill_on_drop(true);
    let output = tokio::time::timeout(TIME_LIMIT, command.output())
        .await
        .unwrap_or_else(|_| panic!("schemathesis ran longer than {TIME_LIMIT:?}"))
        .expect("run schemathesis");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "schemathesis found the document untrue ({}, {python}); reproduce with \
         `schemathesis {}`, the header and this schemathesis.toml:\n{config}\n{report}",
        output.status,
        args.join(" ")
    );
    // A run that locked itself out (its client deleted, its key revoked)
    // would pass on documented 401s alone: the token must still work.
    let after = http()
        .get(server.url("/api/v2/clients"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("clients");
    assert_eq!(after.status(), 200, "the run's token stopped working");
    assert!(
        generated(&report) >= 1000,
        "schemathesis generated too few requests to mean anything:\n{report}"
    );
    eprintln!("schemathesis ({python}):\n{report}");
}

/// Creates one record of each kind an `{id}` path names and returns the
/// schemathesis configuration that sends their ids: random ids only reach
/// the 404 branch, so without them half the operations would never get to
/// their own logic. The client is one of its own, never the bootstrap client
/// whose token the run uses (`DELETE /api/v2/clients/{id}` is exercised).
async fn seed(server: &Server, token: &str) -> String {
    let post = |path: &'static str, body: Value| {
        let request = http().post(server.url(path)).bearer_auth(token).json(&body);
        async move {
            let response = request.send().await.expect("seed request");
            let status = response.status();
            let body: Value = response.json().await.expect("seed json");
            assert!(status.is_success(), "seeding {path}: {status} {body}");
            body
        }
    };
    let client = post(
        "/api/v2/clients",
        json!({"name": "schemathesis", "app_type": "non_interactive"}),
    )
    .await;
    let client_id = client["client_id"].as_str().expect("client_id");
    let connection = post(
        "/api/v2/connections",
        json!({"name": "fuzz-db", "strategy": "auth0", "enabled_clients": [client_id]}),
    )
    .await;
    let user = post(
        "/api/v2/users",
        json!({"connection": "fuzz-db", "email": "fuzz@example.com",
               "password": "Correct-Horse-9-battery"}),
    )
    .await;
    let api = post(
        "/api/v2/resource-servers",
        json!({"identifier": "https://fuzz.example.com/", "scopes": [{"value": "read:fuzz"}]}),
    )
    .await;
    let grant = post(
        "/api/v2/client-grants",
        json!({"client_id": client_id, "audience": "https://fuzz.example.com/",
               "scope": ["read:fuzz"]}),
    )
    .await;
    let id = |record: &Value, member: &str| -> String {
        record[member].as_str().expect("seeded id").to_owned()
    };
    [
        ("clients", client_id.to_owned()),
        ("connections", id(&connection, "id")),
        ("users", id(&user, "user_id")),
        ("user-blocks", id(&user, "user_id")),
        ("resource-servers", id(&api, "id")),
        ("client-grants", id(&grant, "id")),
    ]
    .iter()
    .map(|(resource, id)| {
        // TOML basic strings: the regex's backslashes are doubled.
        format!(
            "[[operations]]\ninclude-path-regex = \"^/api/v2/{resource}/\\\\{{id\\\\}}\"\nparameters = {{ id = \"{id}\" }}\n"
        )
    })
    .collect()
}

/// The number in schemathesis' summary line `N generated, …`.
fn generated(report: &str) -> u64 {
    report
        .lines()
        .find_map(|line| {
            let (count, _) = line.trim().split_once(" generated, ")?;
            count.parse().ok()
        })
        .unwrap_or(0)
}
