//! `/api/v2/jobs` over HTTP against the real binary: imports (good, bad and
//! duplicate entries, upsert, imported bcrypt and custom hashes that log in
//! and are re-hashed to argon2id, malformed uploads), exports in both
//! formats, verification emails, scopes and tenant isolation.

use crate::harness::{self, Server, ServerOptions, http, management_token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use storage::{Storage, UserStore};

const DB: &str = "Username-Password-Authentication";
const REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
/// The password behind the known hashes below (vectors of `crypto`'s tests).
const PW: &str = "correct horse battery staple";
const BCRYPT: &str = "$2b$04$SvPgor8zmtTVIP7FZfoPvuOx1Zun1mSMjtL.JQWzUJX6WfnVfzPeW";
const PBKDF2_SHA256: &str =
    "$pbkdf2-sha256$i=1000,l=32$TmFDbC1zYWx0LTEyMzQ$kVbsXxLhUd2VtKunWiVCE3RVlZETJenV9D5EE67EMgs";
const BOUNDARY: &str = "vestibule-test-boundary-7MA4YWxkTrZu0gW";

struct Api {
    server: Server,
    token: String,
}

impl Api {
    async fn start_with(options: ServerOptions) -> Self {
        let server = Server::start_with(options);
        let token = management_token(&server).await;
        Self { server, token }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        http()
            .request(method, self.server.url(path))
            .bearer_auth(&self.token)
    }

    async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        Self::send(self.request(reqwest::Method::GET, path)).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        Self::send(self.request(reqwest::Method::POST, path).json(&body)).await
    }

    /// `POST /api/v2/jobs/users-imports` with these form parts.
    async fn upload(&self, parts: &[(&str, &[u8])]) -> (StatusCode, Value) {
        let request = self
            .request(reqwest::Method::POST, "/api/v2/jobs/users-imports")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(parts));
        Self::send(request).await
    }

    async fn import(&self, connection_id: &str, users: &Value, upsert: bool) -> Value {
        let file = users.to_string();
        let upsert = upsert.to_string();
        let (status, job) = self
            .upload(&[
                ("users", file.as_bytes()),
                ("connection_id", connection_id.as_bytes()),
                ("upsert", upsert.as_bytes()),
                ("external_id", b"batch-1"),
            ])
            .await;
        assert_eq!(status, 201, "{job}");
        assert_eq!(job["type"], "users_import");
        assert_eq!(job["status"], "pending");
        assert_eq!(job["connection_id"], connection_id);
        assert_eq!(job["external_id"], "batch-1");
        self.finished(job["id"].as_str().unwrap()).await
    }

    async fn finished(&self, id: &str) -> Value {
        for _ in 0..600 {
            let (status, job) = self.get(&format!("/api/v2/jobs/{id}")).await;
            assert_eq!(status, 200, "{job}");
            if job["status"] == "completed" || job["status"] == "failed" {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("job {id} did not finish");
    }

    /// A database connection enabled for a new client that may use the
    /// password-realm grant: (connection id, client id, secret).
    async fn database(&self) -> (String, String, String) {
        let (status, client) = self
            .post(
                "/api/v2/clients",
                json!({"name": "App", "app_type": "regular_web", "grant_types": [REALM]}),
            )
            .await;
        assert_eq!(status, 201, "{client}");
        let client_id = client["client_id"].as_str().unwrap().to_owned();
        let (status, connection) = self
            .post(
                "/api/v2/connections",
                json!({"name": DB, "strategy": "auth0", "enabled_clients": [client_id]}),
            )
            .await;
        assert_eq!(status, 201, "{connection}");
        (
            connection["id"].as_str().unwrap().to_owned(),
            client_id,
            client["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    async fn realm_login(&self, client: &(String, String), user: &str, password: &str) -> u16 {
        http()
            .post(self.server.url("/oauth/token"))
            .form(&[
                ("grant_type", REALM),
                ("client_id", client.0.as_str()),
                ("client_secret", client.1.as_str()),
                ("username", user),
                ("password", password),
                ("realm", DB),
                ("scope", "openid"),
            ])
            .send()
            .await
            .expect("token request")
            .status()
            .as_u16()
    }

    /// The stored password hash of a user, read from the server's SQLite file.
    async fn stored_hash(&self, email: &str, connection_id: &str) -> Option<String> {
        let storage =
            storage_sql::SqlStorage::open_sqlite_file(&self.server.data_dir.join("vestibule.db"))
                .await
                .expect("open the server's database");
        let user = storage
            .get_user_by_email(&model::TenantId::new("default"), connection_id, email)
            .await
            .expect("read user")
            .expect("user exists");
        storage.close().await;
        user.password_hash
    }
}

/// Form parts: (field name, content).
type Form<'a> = Vec<(&'a str, Vec<u8>)>;

fn multipart(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        if *name == "users" {
            body.extend_from_slice(
                b"Content-Disposition: form-data; name=\"users\"; filename=\"users.json\"\r\nContent-Type: application/json\r\n\r\n",
            );
        } else {
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn assert_bad_request(status: StatusCode, body: &Value, needle: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["statusCode"], 400, "{body}");
    assert_eq!(body["error"], "Bad Request", "{body}");
    assert!(body["errorCode"].is_string(), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{needle:?} not in {body}");
}

#[tokio::test]
async fn imports_report_bad_entries_honour_upsert_and_imported_hashes_log_in() {
    let api = Api::start_with(ServerOptions::default()).await;
    let (connection_id, client_id, secret) = api.database().await;
    let client = (client_id, secret);

    let users = json!([
        {"email": "ada@example.com", "email_verified": true, "password_hash": BCRYPT,
         "given_name": "Ada", "user_metadata": {"theme": "dark"}, "app_metadata": {"plan": "pro"}},
        {"email": "bob@example.com", "user_id": "bob-1",
         "custom_password_hash": {"algorithm": "pbkdf2", "hash": {"value": PBKDF2_SHA256, "encoding": "utf8"}}},
        {"email": "robert'); DROP TABLE users;--@example.com"},
        {"email": "eve@example.com", "name": "<script>alert(1)</script>'; DROP TABLE users;--"},
        {"email": "mallory@example.com", "password_hash": "plaintext"},
        {"email": "trent@example.com", "mfa_factors": [{"totp": {"secret": "x"}}]},
        {"email": "oscar@example.com", "is_admin": true},
        {"email": "ADA@example.com"},
        "not an object"
    ]);
    let job = api.import(&connection_id, &users, false).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["connection"], DB);
    assert_eq!(
        job["summary"],
        json!({"failed": 6, "updated": 0, "inserted": 3, "total": 9}),
        "{job}"
    );

    let id = job["id"].as_str().unwrap();
    let (status, report) = api.get(&format!("/api/v2/jobs/{id}/errors")).await;
    assert_eq!(status, 200);
    let report = report.as_array().unwrap_or_else(|| panic!("{report}"));
    let codes: Vec<(&str, &str)> = report
        .iter()
        .map(|line| {
            (
                line["user"]["email"].as_str().unwrap_or("-"),
                line["errors"][0]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            (
                "robert'); DROP TABLE users;--@example.com",
                "INVALID_FORMAT"
            ),
            ("mallory@example.com", "INVALID_FORMAT"),
            ("trent@example.com", "UNSUPPORTED_PROPERTY"),
            ("oscar@example.com", "OBJECT_ADDITIONAL_PROPERTIES"),
            ("ADA@example.com", "DUPLICATED_USER"),
            ("-", "INVALID_TYPE"),
        ]
    );
    for line in report {
        for error in line["errors"].as_array().unwrap() {
            assert!(
                error["message"].is_string() && error["path"].is_string(),
                "{error}"
            );
        }
    }
    // The report never repeats a hash.
    assert_eq!(report[1]["user"]["password_hash"], "[redacted]");

    // Stored as given: injection attempts are data, nothing else.
    let (_, eve) = api
        .get("/api/v2/users-by-email?email=eve@example.com")
        .await;
    assert_eq!(
        eve[0]["name"],
        "<script>alert(1)</script>'; DROP TABLE users;--"
    );
    let (_, bob) = api.get("/api/v2/users/auth0%7Cbob-1").await;
    assert_eq!(bob["email"], "bob@example.com", "{bob}");

    // Imported hashes log in with the original password, then become argon2id.
    for (email, prefix) in [
        ("ada@example.com", "$2b$"),
        ("bob@example.com", "$pbkdf2-sha256$"),
    ] {
        let before = api.stored_hash(email, &connection_id).await.unwrap();
        assert!(before.starts_with(prefix), "{before}");
        let refused = api.realm_login(&client, email, "wrong password").await;
        assert!(matches!(refused, 400 | 403), "{refused}");
        assert_eq!(
            api.stored_hash(email, &connection_id).await.unwrap(),
            before
        );
        assert_eq!(api.realm_login(&client, email, PW).await, 200, "{email}");
        let after = api.stored_hash(email, &connection_id).await.unwrap();
        assert!(after.starts_with("$argon2id$"), "{email}: {after}");
        assert_eq!(api.realm_login(&client, email, PW).await, 200, "{email}");
    }
    // A user imported without a hash cannot log in until a password is set.
    let refused = api.realm_login(&client, "eve@example.com", PW).await;
    assert!(matches!(refused, 400 | 403), "{refused}");

    // Upsert updates the existing user instead of reporting it.
    let job = api
        .import(
            &connection_id,
            &json!([{"email": "Ada@Example.com", "family_name": "Lovelace",
                     "user_metadata": {"lang": "en"}},
                    {"email": "new@example.com"}]),
            true,
        )
        .await;
    assert_eq!(
        job["summary"],
        json!({"failed": 0, "updated": 1, "inserted": 1, "total": 2})
    );
    let (_, ada) = api
        .get("/api/v2/users-by-email?email=ada@example.com")
        .await;
    assert_eq!(ada[0]["family_name"], "Lovelace");
    assert_eq!(ada[0]["given_name"], "Ada");
    assert_eq!(
        ada[0]["user_metadata"],
        json!({"theme": "dark", "lang": "en"})
    );
    // Without errors, /errors answers with the job itself (as Auth0 does).
    let id = job["id"].as_str().unwrap();
    let (_, no_errors) = api.get(&format!("/api/v2/jobs/{id}/errors")).await;
    assert_eq!(no_errors["id"], id);
    assert_eq!(no_errors["status"], "completed");
}

#[tokio::test]
async fn malformed_uploads_are_auth0_shaped_400s() {
    let api = Api::start_with(ServerOptions {
        env: vec![("VESTIBULE_IMPORT_MAX_BYTES".into(), "2000".into())],
        ..ServerOptions::default()
    })
    .await;
    let (connection_id, _, _) = api.database().await;
    let connection = connection_id.as_bytes();
    let cases: Vec<(Form, &str)> = vec![
        (
            vec![
                ("users", b"not json".to_vec()),
                ("connection_id", connection.to_vec()),
            ],
            "not valid JSON",
        ),
        (
            vec![
                ("users", br#"{"email":"a@b.co"}"#.to_vec()),
                ("connection_id", connection.to_vec()),
            ],
            "JSON array",
        ),
        (
            vec![
                ("users", b"[]".to_vec()),
                ("connection_id", connection.to_vec()),
            ],
            "at least one",
        ),
        (
            vec![
                ("users", vec![b' '; 2_001]),
                ("connection_id", connection.to_vec()),
            ],
            "larger than the limit",
        ),
        (
            vec![("connection_id", connection.to_vec())],
            "Missing required property: users",
        ),
        (
            vec![("users", b"[{}]".to_vec())],
            "Missing required property: connection_id",
        ),
        (
            vec![
                ("users", b"[{}]".to_vec()),
                ("connection_id", connection.to_vec()),
                ("upsert", b"yes".to_vec()),
            ],
            "boolean",
        ),
        (
            vec![
                ("users", b"[{}]".to_vec()),
                ("connection_id", connection.to_vec()),
                ("admin", b"1".to_vec()),
            ],
            "Additional properties",
        ),
        (
            vec![
                ("users", b"[{}]".to_vec()),
                ("users", b"[{}]".to_vec()),
                ("connection_id", connection.to_vec()),
            ],
            "given twice",
        ),
    ];
    for (parts, needle) in cases {
        let parts: Vec<(&str, &[u8])> = parts.iter().map(|(n, c)| (*n, c.as_slice())).collect();
        let (status, body) = api.upload(&parts).await;
        assert_bad_request(status, &body, needle);
    }
    // Not a multipart body at all.
    let (status, body) = Api::send(
        api.request(reqwest::Method::POST, "/api/v2/jobs/users-imports")
            .json(&json!({"users": [], "connection_id": connection_id})),
    )
    .await;
    assert_bad_request(status, &body, "multipart/form-data");
    // An unknown connection.
    let (status, body) = api
        .upload(&[("users", b"[{}]"), ("connection_id", b"con_doesnotexist")])
        .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn exports_in_both_formats_with_chosen_fields() {
    let api = Api::start_with(ServerOptions::default()).await;
    let (connection_id, _, _) = api.database().await;
    api.import(
        &connection_id,
        &json!([
            {"email": "ada@example.com", "name": "=HYPERLINK(\"http://evil.test\",\"x\")",
             "user_metadata": {"plan": "pro"}, "password_hash": BCRYPT},
            {"email": "bob@example.com", "name": "Bob, \"the\" builder"},
        ]),
        false,
    )
    .await;
    let fields = json!([
        {"name": "email", "export_as": "Email"},
        {"name": "name"},
        {"name": "user_metadata.plan", "export_as": "plan"},
        {"name": "password_hash"}
    ]);
    let download = |job: Value| {
        let api = &api;
        async move {
            assert_eq!(job["status"], "completed", "{job}");
            let location = job["location"].as_str().unwrap().to_owned();
            let id = job["id"].as_str().unwrap();
            assert!(
                location.ends_with(&format!("/api/v2/jobs/{id}/download")),
                "{location}"
            );
            let path = location
                .split_once("/api/")
                .map(|(_, p)| format!("/api/{p}"))
                .unwrap();
            // Authenticated: without a token the file is not served.
            let anonymous = http().get(api.server.url(&path)).send().await.unwrap();
            assert_eq!(anonymous.status(), 401);
            let response = api
                .request(reqwest::Method::GET, &path)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            (content_type, response.text().await.unwrap())
        }
    };

    let (status, job) = api
        .post(
            "/api/v2/jobs/users-exports",
            json!({"connection_id": connection_id, "format": "csv", "fields": fields}),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    assert_eq!(job["type"], "users_export");
    let job = api.finished(job["id"].as_str().unwrap()).await;
    let (content_type, csv) = download(job).await;
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let mut lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "Email,name,plan,password_hash");
    lines[1..].sort();
    assert_eq!(
        &lines[1..],
        [
            "ada@example.com,\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\")\",pro,",
            "bob@example.com,\"Bob, \"\"the\"\" builder\",,",
        ]
    );
    assert!(!csv.contains("$2b$"), "hashes are never exported");

    let (_, job) = api
        .post(
            "/api/v2/jobs/users-exports",
            json!({"connection_id": connection_id, "format": "json", "fields": fields, "limit": 1}),
        )
        .await;
    let job = api.finished(job["id"].as_str().unwrap()).await;
    assert_eq!(job["format"], "json");
    assert_eq!(job["limit"], 1);
    let (content_type, ndjson) = download(job).await;
    assert!(
        content_type.starts_with("application/x-ndjson"),
        "{content_type}"
    );
    let rows: Vec<Value> = ndjson
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["Email"].is_string() && rows[0].get("password_hash").is_none());

    // Bad export requests.
    let (status, body) = api
        .post(
            "/api/v2/jobs/users-exports",
            json!({"connection_id": connection_id, "format": "xml"}),
        )
        .await;
    assert_bad_request(status, &body, "format");
    let (status, body) = api
        .post(
            "/api/v2/jobs/users-exports",
            json!({"connection_id": connection_id, "fields": [{"name": "a) OR 1=1 --"}]}),
        )
        .await;
    assert_bad_request(status, &body, "fields[0].name");
}

#[tokio::test]
async fn verification_email_jobs_fail_honestly_and_scopes_and_tenants_are_enforced() {
    let api = Api::start_with(ServerOptions::default()).await;
    let (connection_id, _, _) = api.database().await;
    let job = api
        .import(
            &connection_id,
            &json!([{"email": "ada@example.com", "user_id": "ada"}]),
            false,
        )
        .await;
    let import_id = job["id"].as_str().unwrap().to_owned();

    let (status, job) = api
        .post(
            "/api/v2/jobs/verification-email",
            json!({"user_id": "auth0|ada"}),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    assert_eq!(job["type"], "verification_email");
    let job = api.finished(job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed");
    assert!(
        job["status_details"]
            .as_str()
            .unwrap()
            .contains("no email provider"),
        "{job}"
    );
    let (status, _) = api
        .post(
            "/api/v2/jobs/verification-email",
            json!({"user_id": "auth0|nobody"}),
        )
        .await;
    assert_eq!(status, 404);

    // Scopes: a token without create:users cannot import.
    let reader = harness::token_for(
        &api.server,
        harness::BOOTSTRAP_ID,
        harness::BOOTSTRAP_SECRET,
        &api.server.management_audience(),
        Some("read:clients"),
    )
    .await;
    let response = http()
        .post(api.server.url("/api/v2/jobs/users-imports"))
        .bearer_auth(&reader)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&[
            ("users", b"[{}]"),
            ("connection_id", connection_id.as_bytes()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = http()
        .get(api.server.url(&format!("/api/v2/jobs/{import_id}")))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    // Another tenant sees none of these jobs.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_vestibule"))
        .args(["tenant", "create", "acme", "--issuer", "http://acme.test/"])
        .env("VESTIBULE_DATA_DIR", &api.server.data_dir)
        .env("VESTIBULE_MASTER_KEY", harness::MASTER_KEY)
        .env("VESTIBULE_LOG", "warn")
        .output()
        .expect("run vestibule");
    assert!(output.status.success());
    let output = String::from_utf8_lossy(&output.stdout).into_owned();
    let words: Vec<&str> = output.split_whitespace().collect();
    let after = |label: &str| words[words.iter().position(|w| *w == label).unwrap() + 1].to_owned();
    let response = http()
        .post(api.server.url("/oauth/token"))
        .header("host", "acme.test")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", after("client_id").as_str()),
            ("client_secret", after("client_secret").as_str()),
            ("audience", "http://acme.test/api/v2/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let other_token = response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in ["", "/errors", "/download"] {
        let response = http()
            .get(api.server.url(&format!("/api/v2/jobs/{import_id}{path}")))
            .header("host", "acme.test")
            .bearer_auth(&other_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // Nor can it import into this tenant's connection.
    let response = http()
        .post(api.server.url("/api/v2/jobs/users-imports"))
        .header("host", "acme.test")
        .bearer_auth(&other_token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&[
            ("users", b"[{\"email\":\"x@y.co\"}]"),
            ("connection_id", connection_id.as_bytes()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
