//! Two `vestibule serve` processes over one fresh PostgreSQL database, as
//! behind a load balancer: same master key, same public URL, requests sent
//! to each node's own port with `Host: vestibule.test`.

use crate::harness::{self, BOOTSTRAP_ID, BOOTSTRAP_SECRET, Server, ServerOptions};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use model::{Clock as _, SystemClock};
use reqwest::Method;
use reqwest::header::HOST;
use serde_json::{Value, json};
use sqlx::Connection as _;
use std::time::{Duration, Instant};

const PUBLIC_URL: &str = "http://vestibule.test/";
const PUBLIC_HOST: &str = "vestibule.test";
const MANAGEMENT_AUDIENCE: &str = "http://vestibule.test/api/v2/";
const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test; dropped (best effort, even on panic)
/// when this goes out of scope — after the servers, which hold connections.
pub(crate) struct TestDatabase {
    name: String,
}

impl TestDatabase {
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }

    /// Creates `vt_<random>`; None (after a loud SKIP) when PostgreSQL is
    /// unreachable outside CI.
    pub(crate) async fn create() -> Option<Self> {
        let mut admin = match admin_connection().await {
            Ok(connection) => connection,
            Err(error) => {
                start_local_cluster();
                match admin_connection().await {
                    Ok(connection) => connection,
                    Err(again) if harness::in_ci() => {
                        panic!("CI needs PostgreSQL at {ADMIN_URL}: {error}; {again}")
                    }
                    Err(again) => {
                        eprintln!(
                            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                             SKIP multi-node test: PostgreSQL unreachable at {ADMIN_URL}: {again}\n\
                             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
                        );
                        return None;
                    }
                }
            }
        };
        // Unique per run and per process, and a valid unquoted identifier.
        let random = std::hash::BuildHasher::hash_one(
            &std::collections::hash_map::RandomState::new(),
            SystemClock.now_millis(),
        );
        let name = format!("vt_{}_{random:016x}", std::process::id());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create database");
        let _ = admin.close().await;
        Some(Self { name })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = admin_connection().await.ok()?;
                let result = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await;
                let _ = admin.close().await;
                result.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

async fn admin_connection() -> Result<sqlx::PgConnection, String> {
    tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::PgConnection::connect(ADMIN_URL),
    )
    .await
    .map_err(|_| "timed out".to_owned())?
    .map_err(|e| e.to_string())
}

/// `pg_ctlcluster` for a local Debian-style cluster that is not running.
fn start_local_cluster() {
    let Ok(versions) = std::fs::read_dir("/etc/postgresql") else {
        return;
    };
    for version in versions.flatten() {
        let version = version.file_name().to_string_lossy().into_owned();
        eprintln!("starting PostgreSQL {version}/main with pg_ctlcluster");
        let _ = std::process::Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, "main", "start"])
            .status();
    }
}

fn node_options(database: &TestDatabase) -> ServerOptions {
    ServerOptions {
        database_url: Some(database.url()),
        public_url: Some(PUBLIC_URL.to_owned()),
        ..ServerOptions::default()
    }
}

/// A request to one node, addressed to the shared public host.
async fn call(
    node: &Server,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = harness::http()
        .request(method, node.url(path))
        .header(HOST, PUBLIC_HOST)
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// `client_credentials` against one node.
async fn token_from(node: &Server, client_id: &str, secret: &str, audience: &str) -> String {
    let response = harness::http()
        .post(node.url("/oauth/token"))
        .header(HOST, PUBLIC_HOST)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("audience", audience),
        ])
        .send()
        .await
        .expect("token request");
    let status = response.status();
    let body: Value = response.json().await.expect("token json");
    assert_eq!(status, 200, "token request failed: {body}");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

fn header_kid(token: &str) -> String {
    let header = token.split('.').next().expect("header");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64")).expect("json");
    header["kid"].as_str().expect("kid").to_owned()
}

/// Verifies `token` with `node`'s published JWKS; returns its claims.
async fn verify_with_jwks_of(node: &Server, token: &str, audience: &str) -> Value {
    let response = harness::http()
        .get(node.url("/.well-known/jwks.json"))
        .header(HOST, PUBLIC_HOST)
        .send()
        .await
        .expect("jwks");
    assert_eq!(response.status(), 200);
    let jwks: Value = response.json().await.expect("jwks json");
    let kid = header_kid(token);
    assert!(
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|key| key["kid"] == kid.as_str()),
        "kid {kid} missing from node {}'s JWKS: {jwks}",
        node.port
    );
    let keys = crypto::parse_jwks(&jwks).expect("parse jwks");
    crypto::verify_jwt(
        token,
        &keys,
        &crypto::SigningAlg::ALL,
        &crypto::Expectations::new(PUBLIC_URL, audience),
        SystemClock.now_seconds(),
    )
    .unwrap_or_else(|e| panic!("token does not verify with node {}'s JWKS: {e}", node.port))
}

#[tokio::test]
async fn two_nodes_share_one_postgres_database() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };

    // Both processes start at the same moment on an empty database: they race
    // on migrations, the default tenant, the bootstrap client and signing keys.
    let started = Instant::now();
    let mut a = Server::spawn(node_options(&database));
    let mut b = Server::spawn(node_options(&database));
    a.wait_ready();
    b.wait_ready();
    eprintln!("both nodes ready in {:?}", started.elapsed());

    // Each node issues Management API tokens to the bootstrap client.
    let token_a = token_from(&a, BOOTSTRAP_ID, BOOTSTRAP_SECRET, MANAGEMENT_AUDIENCE).await;
    let token_b = token_from(&b, BOOTSTRAP_ID, BOOTSTRAP_SECRET, MANAGEMENT_AUDIENCE).await;

    // The race left one tenant's worth of provisioning: exactly one current
    // and one next key per algorithm, and one bootstrap client.
    // (The next keys are generated in the background after start: wait for
    // all six, then check that the race made no more.)
    let mut keys = Value::Null;
    for _ in 0..100 {
        let (status, listed) = call(&b, Method::GET, "/api/v2/keys/signing", &token_a, None).await;
        assert_eq!(status, 200, "{listed}");
        keys = listed;
        if keys.as_array().expect("keys array").len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let keys = keys.as_array().expect("keys array");
    // Each node's JWKS publishes the next RS256 key once its own background
    // key task has finished, so a rotation on one node verifies on the other.
    for node in [&a, &b] {
        for attempt in 0.. {
            let jwks: Value = harness::http()
                .get(node.url("/.well-known/jwks.json"))
                .send()
                .await
                .expect("jwks")
                .json()
                .await
                .expect("jwks json");
            if jwks["keys"].as_array().is_some_and(|keys| keys.len() >= 2) {
                break;
            }
            assert!(
                attempt < 100,
                "node {} never published its next key",
                node.port
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for alg in ["RS256", "ES256", "EdDSA"] {
        for state in ["current", "next"] {
            let count = keys
                .iter()
                .filter(|key| key["alg"] == alg && key[state] == true)
                .count();
            assert_eq!(
                count, 1,
                "{state} {alg} keys after concurrent start: {keys:?}"
            );
        }
    }
    let (status, clients) = call(&a, Method::GET, "/api/v2/clients", &token_b, None).await;
    assert_eq!(status, 200, "{clients}");
    let bootstrap = clients
        .as_array()
        .expect("clients array")
        .iter()
        .filter(|client| client["client_id"] == BOOTSTRAP_ID)
        .count();
    assert_eq!(bootstrap, 1, "{clients}");

    // A token signed by A verifies with B's JWKS, and B's Management API takes it.
    let claims = verify_with_jwks_of(&b, &token_a, MANAGEMENT_AUDIENCE).await;
    assert_eq!(claims["iss"], PUBLIC_URL);
    verify_with_jwks_of(&a, &token_b, MANAGEMENT_AUDIENCE).await;

    // A client created through A is served by B.
    let (status, client) = call(
        &a,
        Method::POST,
        "/api/v2/clients",
        &token_a,
        Some(json!({"name": "Cluster worker", "app_type": "non_interactive"})),
    )
    .await;
    assert_eq!(status, 201, "{client}");
    let client_id = client["client_id"].as_str().expect("client_id").to_owned();
    let client_secret = client["client_secret"]
        .as_str()
        .expect("client_secret")
        .to_owned();
    let (status, read) = call(
        &b,
        Method::GET,
        &format!("/api/v2/clients/{client_id}"),
        &token_a,
        None,
    )
    .await;
    assert_eq!(status, 200, "B with A's token: {read}");
    assert_eq!(read["name"], "Cluster worker");

    // An API (ES256) and a grant created on A; B issues the client's token
    // (unsealing the secret A sealed), and A verifies what B signed.
    let api = "https://orders.example.test/";
    let (status, body) = call(
        &a,
        Method::POST,
        "/api/v2/resource-servers",
        &token_a,
        Some(json!({
            "name": "Orders",
            "identifier": api,
            "signing_alg": "ES256",
            "scopes": [{"value": "read:orders", "description": "Read orders"}],
        })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = call(
        &a,
        Method::POST,
        "/api/v2/client-grants",
        &token_a,
        Some(json!({"client_id": client_id, "audience": api, "scope": ["read:orders"]})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let worker_token = token_from(&b, &client_id, &client_secret, api).await;
    let claims = verify_with_jwks_of(&a, &worker_token, api).await;
    assert_eq!(claims["scope"], "read:orders");
    assert_eq!(claims["sub"], format!("{client_id}@clients"));

    // Keys rotated through B: A's next token uses the new key, which B
    // published ahead of time, and B accepts it at once.
    let (status, body) = call(
        &b,
        Method::POST,
        "/api/v2/keys/signing/rotate",
        &token_b,
        None,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let rotated = token_from(&a, BOOTSTRAP_ID, BOOTSTRAP_SECRET, MANAGEMENT_AUDIENCE).await;
    verify_with_jwks_of(&b, &rotated, MANAGEMENT_AUDIENCE).await;
    let (status, body) = call(&b, Method::GET, "/api/v2/clients", &rotated, None).await;
    assert_eq!(status, 200, "B with A's post-rotation token: {body}");

    for node in [a, b] {
        let status = node.terminate();
        assert!(status.success(), "node exited with {status} after SIGTERM");
    }
    drop(database);
}
