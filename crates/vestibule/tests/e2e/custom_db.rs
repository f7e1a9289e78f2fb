//! Custom database connections from the outside: users in a real
//! PostgreSQL, MariaDB, or HTTP user store log in, are migrated into the
//! built-in store (`import_mode`), and keep logging in once the custom
//! database is gone. Each run creates its own database (unique name) on
//! the machine's shared servers and drops it; under `CI=true` a missing
//! server fails the test instead of skipping it.

use crate::harness::{http, in_ci};
use crate::support::{App, Browser, REDIRECT_A, Tenant, authorize};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The legacy password of every seeded user.
pub(crate) const LEGACY_PASSWORD: &str = "correct horse battery staple";
/// bcrypt (Python `bcrypt`, cost 4) of `LEGACY_PASSWORD`.
pub(crate) const BCRYPT: &str = "$2b$04$SvPgor8zmtTVIP7FZfoPvuOx1Zun1mSMjtL.JQWzUJX6WfnVfzPeW";
/// PBKDF2-SHA256 in Auth0's PHC form, of `LEGACY_PASSWORD`.
const PBKDF2: &str =
    "$pbkdf2-sha256$i=1000,l=32$TmFDbC1zYWx0LTEyMzQ$kVbsXxLhUd2VtKunWiVCE3RVlZETJenV9D5EE67EMgs";
/// A format nobody verifies: must fail closed.
const UNKNOWN_FORMAT: &str = "md5crypt:9f3c1b2a7d";
pub(crate) const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/test";
const MARIADB_ADMIN: &str = "mysql://root@127.0.0.1:3306/test";

pub(crate) fn unique_name(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    aws_lc_rs::rand::fill(&mut bytes).expect("rng");
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{}_{suffix}", std::process::id())
}

/// `None` (skip) when the server is not there, unless in CI.
pub(crate) fn require<T>(what: &str, result: Result<T, sqlx::Error>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) if !in_ci() => {
            eprintln!("skipping: {what} is not reachable ({error})");
            None
        }
        Err(error) => panic!("{what} is required under CI=true: {error}"),
    }
}

pub(crate) async fn app_with_connection(tenant: &Tenant, name: &str, options: Value) -> App {
    let app = tenant
        .client(&format!("{name}-app"), REDIRECT_A, "client_secret_post")
        .await;
    tenant
        .connection(json!({
            "name": name, "strategy": "auth0",
            "enabled_clients": [app.id], "options": options
        }))
        .await;
    app
}

/// The password-realm grant; returns status and JSON body.
pub(crate) async fn password_login(
    tenant: &Tenant,
    app: &App,
    realm: &str,
    username: &str,
    password: &str,
) -> (StatusCode, Value) {
    let response = http()
        .post(tenant.server.url("/oauth/token"))
        .form(&[
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/password-realm",
            ),
            ("client_id", app.id.as_str()),
            ("client_secret", app.secret.as_str()),
            ("username", username),
            ("password", password),
            ("realm", realm),
            ("scope", "openid profile email"),
        ])
        .send()
        .await
        .expect("token request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn id_token_sub(body: &Value) -> String {
    use base64::Engine as _;
    let token = body["id_token"].as_str().expect("id_token");
    let payload = token.split('.').nth(1).expect("payload");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64"),
    )
    .expect("claims");
    claims["sub"].as_str().expect("sub").to_owned()
}

async fn users_of(tenant: &Tenant, connection: &str) -> Vec<Value> {
    let path = format!("/api/v2/users?q=identities.connection:%22{connection}%22&search_engine=v3");
    let body = tenant
        .management(reqwest::Method::GET, &path, Value::Null)
        .await;
    body.as_array().cloned().unwrap_or_default()
}

async fn get_user(tenant: &Tenant, user_id: &str) -> (StatusCode, Value) {
    let response = http()
        .get(
            tenant
                .server
                .url(&format!("/api/v2/users/{}", user_id.replace('|', "%7C"))),
        )
        .bearer_auth(&tenant.token)
        .send()
        .await
        .expect("get user");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The checks shared by the SQL kinds, run against a seeded database
/// reachable at `url`; `drop_database` makes it unreachable for good.
async fn lazy_migration_scenario(
    url: &str,
    queries: Value,
    drop_database: impl std::future::Future<Output = ()>,
) {
    let tenant = Tenant::start().await;
    let options = json!({
        "enabledDatabaseCustomization": true,
        "import_mode": true,
        "configuration": {"database_url": url},
        "custom_database": {"kind": "sql", "timeout_ms": 3000, "queries": queries}
    });
    let app = app_with_connection(&tenant, "legacy-db", options).await;

    // The URL is sealed and never shown.
    let connections = tenant
        .management(reqwest::Method::GET, "/api/v2/connections", Value::Null)
        .await;
    let listed = connections.to_string();
    assert!(!listed.contains(url), "database URL leaked: {listed}");

    // Wrong password, unknown user, injection attempts, unknown hash format:
    // all the same refusal, and nothing is created.
    for (login, password) in [
        ("alice@example.com", "wrong password"),
        ("nobody@example.com", LEGACY_PASSWORD),
        ("' OR '1'='1", LEGACY_PASSWORD),
        ("alice@example.com' --", LEGACY_PASSWORD),
        ("x' OR 1=1; DROP TABLE users; --", LEGACY_PASSWORD),
        ("carol@example.com", LEGACY_PASSWORD),
    ] {
        let (status, body) = password_login(&tenant, &app, "legacy-db", login, password).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{login}: {body}");
        assert_eq!(body["error"], "invalid_grant", "{login}: {body}");
    }
    assert!(users_of(&tenant, "legacy-db").await.is_empty());

    // First login: verified against the legacy bcrypt hash, then migrated
    // with the custom database's id.
    let (status, body) = password_login(
        &tenant,
        &app,
        "legacy-db",
        "alice@example.com",
        LEGACY_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(id_token_sub(&body), "auth0|1");
    let (status, alice) = get_user(&tenant, "auth0|1").await;
    assert_eq!(status, StatusCode::OK, "{alice}");
    assert_eq!(alice["email"], "alice@example.com");
    assert_eq!(alice["name"], "Alice Legacy");
    assert_eq!(alice["identities"][0]["connection"], "legacy-db");
    assert_eq!(alice["identities"][0]["user_id"], "1");
    assert_eq!(alice["logins_count"], 1);

    // A user with a PBKDF2 hash logs in by username.
    let (status, body) = password_login(&tenant, &app, "legacy-db", "bob", LEGACY_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(id_token_sub(&body), "auth0|2");

    // The custom database disappears for good.
    drop_database.await;

    // Migrated users keep logging in, from the built-in store only.
    let (status, body) = password_login(
        &tenant,
        &app,
        "legacy-db",
        "alice@example.com",
        LEGACY_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(id_token_sub(&body), "auth0|1");
    let (status, body) = password_login(
        &tenant,
        &app,
        "legacy-db",
        "alice@example.com",
        "wrong password",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, alice) = get_user(&tenant, "auth0|1").await;
    assert_eq!(alice["logins_count"], 2);

    // A user not migrated yet gets a clear error, and nothing is created.
    let (status, body) = password_login(
        &tenant,
        &app,
        "legacy-db",
        "dave@example.com",
        LEGACY_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["error"], "server_error", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("unavailable")),
        "{body}"
    );
    let migrated: Vec<String> = users_of(&tenant, "legacy-db")
        .await
        .iter()
        .map(|u| u["user_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(migrated.len(), 2, "{migrated:?}");

    // The hosted login page says so too.
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[("connection", "legacy-db")]);
    let (status, page_url, html) = browser.navigate(&request.url).await.page();
    assert_eq!(status, StatusCode::OK, "{html}");
    let response = browser
        .post_login(&page_url, &html, "dave@example.com", LEGACY_PASSWORD, &[])
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = response.text().await.expect("page");
    assert!(
        html.contains("could not reach the account database"),
        "{html}"
    );
}

const SEED: [(&str, Option<&str>, &str, &str); 4] = [
    ("alice@example.com", None, BCRYPT, "Alice Legacy"),
    ("bob@example.com", Some("bob"), PBKDF2, "Bob Legacy"),
    ("carol@example.com", None, UNKNOWN_FORMAT, "Carol Legacy"),
    ("dave@example.com", None, BCRYPT, "Dave Legacy"),
];

#[tokio::test]
async fn postgres_users_migrate_and_log_in_after_the_database_is_gone() {
    let Some(mut admin) = require(
        "PostgreSQL at 127.0.0.1:5432",
        sqlx::PgConnection::connect(PG_ADMIN).await,
    ) else {
        return;
    };
    let name = unique_name("vestibule_customdb");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create database");
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let mut db = sqlx::PgConnection::connect(&url).await.expect("connect");
    sqlx::query(
        "CREATE TABLE users (id SERIAL PRIMARY KEY, email TEXT UNIQUE NOT NULL, \
         username TEXT, password_hash TEXT NOT NULL, name TEXT, email_verified BOOLEAN NOT NULL DEFAULT true)",
    )
    .execute(&mut db)
    .await
    .expect("create table");
    for (email, username, hash, full_name) in SEED {
        sqlx::query(
            "INSERT INTO users (email, username, password_hash, name) VALUES ($1, $2, $3, $4)",
        )
        .bind(email)
        .bind(username)
        .bind(hash)
        .bind(full_name)
        .execute(&mut db)
        .await
        .expect("seed");
    }
    db.close().await.ok();
    let queries = json!({
        "login": "SELECT id, email, username, password_hash, name, email_verified FROM users WHERE email = $1 OR username = $1",
        "get_user": "SELECT id, email, username, name FROM users WHERE email = $1"
    });
    let drop_name = name.clone();
    lazy_migration_scenario(&url, queries, async move {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {drop_name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .expect("drop database");
    })
    .await;
}

#[tokio::test]
async fn mariadb_users_migrate_and_log_in_after_the_database_is_gone() {
    let Some(mut admin) = require(
        "MariaDB at 127.0.0.1:3306",
        sqlx::MySqlConnection::connect(MARIADB_ADMIN).await,
    ) else {
        return;
    };
    let name = unique_name("vestibule_customdb");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create database");
    let url = format!("mariadb://root@127.0.0.1:3306/{name}");
    let mut db = sqlx::MySqlConnection::connect(&format!("mysql://root@127.0.0.1:3306/{name}"))
        .await
        .expect("connect");
    sqlx::query(
        "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) UNIQUE NOT NULL, \
         username VARCHAR(64), password_hash VARCHAR(255) NOT NULL, name VARCHAR(255), verified INT NOT NULL DEFAULT 1)",
    )
    .execute(&mut db)
    .await
    .expect("create table");
    for (email, username, hash, full_name) in SEED {
        sqlx::query("INSERT INTO users (email, username, password_hash, name) VALUES (?, ?, ?, ?)")
            .bind(email)
            .bind(username)
            .bind(hash)
            .bind(full_name)
            .execute(&mut db)
            .await
            .expect("seed");
    }
    db.close().await.ok();
    // One text for every placeholder style: `$1` twice becomes `?`, `?`.
    let queries = json!({
        "login": "SELECT id, email, username, password_hash, name, verified AS email_verified FROM users WHERE email = $1 OR username = $1",
    });
    let drop_name = name.clone();
    lazy_migration_scenario(&url, queries, async move {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {drop_name}")))
            .execute(&mut admin)
            .await
            .expect("drop database");
    })
    .await;
}

// ------------------------------------------------------------------ HTTP kind

pub(crate) const HTTP_SECRET: &str = "shared-secret-for-tests";

#[derive(Default)]
pub(crate) struct Remote {
    logins: AtomicUsize,
    creates: AtomicUsize,
    created: std::sync::Mutex<Vec<Value>>,
    /// `(path, body)` of change_password and delete calls.
    other_calls: std::sync::Mutex<Vec<(String, Value)>>,
}

/// The customer's user service: one user, `eve@example.com`.
pub(crate) async fn remote_user_service(
    remote: Arc<Remote>,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    use axum::http::HeaderMap;
    use axum::routing::post;
    fn authorized(headers: &HeaderMap) -> bool {
        headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {HTTP_SECRET}"))
    }
    let login_remote = remote.clone();
    let create_remote = remote.clone();
    let password_remote = remote.clone();
    let delete_remote = remote.clone();
    let app = axum::Router::new()
        .route(
            "/login",
            post(move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                let remote = login_remote.clone();
                async move {
                    remote.logins.fetch_add(1, Ordering::SeqCst);
                    if !authorized(&headers) {
                        return (StatusCode::UNAUTHORIZED, axum::Json(json!({})));
                    }
                    match (body["username"].as_str(), body["password"].as_str()) {
                        (Some("eve@example.com" | "frank@example.com"), Some(LEGACY_PASSWORD)) => {
                            let id = if body["username"] == "eve@example.com" { "e-1" } else { "f-2" };
                            (
                                StatusCode::OK,
                                axum::Json(json!({"user_id": id, "email": body["username"], "email_verified": true, "name": "From HTTP"})),
                            )
                        }
                        (Some("eve@example.com" | "frank@example.com"), _) => {
                            (StatusCode::UNAUTHORIZED, axum::Json(json!({})))
                        }
                        (Some("broken@example.com"), _) => {
                            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({})))
                        }
                        _ => (StatusCode::NOT_FOUND, axum::Json(json!({}))),
                    }
                }
            }),
        )
        .route(
            "/create",
            post(move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                let remote = create_remote.clone();
                async move {
                    if !authorized(&headers) {
                        return StatusCode::UNAUTHORIZED;
                    }
                    remote.creates.fetch_add(1, Ordering::SeqCst);
                    remote.created.lock().expect("lock").push(body);
                    StatusCode::CREATED
                }
            }),
        )
        .route(
            "/change_password",
            post(move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                let remote = password_remote.clone();
                async move {
                    if !authorized(&headers) {
                        return StatusCode::UNAUTHORIZED;
                    }
                    remote
                        .other_calls
                        .lock()
                        .expect("lock")
                        .push(("change_password".into(), body));
                    StatusCode::NO_CONTENT
                }
            }),
        )
        .route(
            "/delete",
            post(move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                let remote = delete_remote.clone();
                async move {
                    if !authorized(&headers) {
                        return StatusCode::UNAUTHORIZED;
                    }
                    remote
                        .other_calls
                        .lock()
                        .expect("lock")
                        .push(("delete".into(), body));
                    StatusCode::NO_CONTENT
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                stopped.await.ok();
            })
            .await
            .ok();
    });
    (format!("http://127.0.0.1:{}", addr.port()), stop)
}

#[tokio::test]
async fn http_user_store_with_and_without_migration() {
    let remote = Arc::new(Remote::default());
    let (base, stop) = remote_user_service(remote.clone()).await;
    let tenant = Tenant::start().await;
    let endpoints = json!({
        "login": format!("{base}/login"),
        "create": format!("{base}/create"),
        "change_password": format!("{base}/change_password"),
        "delete": format!("{base}/delete"),
    });
    let live = app_with_connection(
        &tenant,
        "http-live",
        json!({
            "enabledDatabaseCustomization": true,
            "configuration": {"http_secret": HTTP_SECRET},
            "custom_database": {"kind": "http", "endpoints": endpoints}
        }),
    )
    .await;

    // Without import mode every login asks the user service.
    for expected in 1..=2 {
        let (status, body) = password_login(
            &tenant,
            &live,
            "http-live",
            "eve@example.com",
            LEGACY_PASSWORD,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(id_token_sub(&body), "auth0|e-1");
        assert_eq!(remote.logins.load(Ordering::SeqCst), expected);
    }
    let (_, eve) = get_user(&tenant, "auth0|e-1").await;
    assert_eq!(eve["name"], "From HTTP");
    assert_eq!(eve["email_verified"], true);
    let (status, body) =
        password_login(&tenant, &live, "http-live", "eve@example.com", "nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // A failing user service is an error, not a wrong password.
    let (status, body) =
        password_login(&tenant, &live, "http-live", "broken@example.com", "x").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(users_of(&tenant, "http-live").await.len(), 1);

    // Signup creates the user in the user service, not the password here.
    let response = http()
        .post(tenant.server.url("/dbconnections/signup"))
        .json(&json!({"client_id": live.id, "email": "new@example.com",
                      "password": "An0ther-Long-Passphrase", "connection": "http-live"}))
        .send()
        .await
        .expect("signup");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(remote.creates.load(Ordering::SeqCst), 1);
    let created = remote.created.lock().expect("lock")[0].clone();
    assert_eq!(created["email"], "new@example.com");
    assert_eq!(created["password"], "An0ther-Long-Passphrase");

    // Password changes and deletion through the Management API go to the
    // user service too.
    tenant
        .management(
            reqwest::Method::PATCH,
            "/api/v2/users/auth0%7Ce-1",
            json!({"password": "Brand-New-Passphrase-42", "connection": "http-live"}),
        )
        .await;
    let response = http()
        .delete(tenant.server.url("/api/v2/users/auth0%7Ce-1"))
        .bearer_auth(&tenant.token)
        .send()
        .await
        .expect("delete");
    assert!(response.status().is_success(), "{}", response.status());
    let calls = remote.other_calls.lock().expect("lock").clone();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].0, "change_password");
    assert_eq!(calls[0].1["email"], "eve@example.com");
    assert_eq!(calls[0].1["password"], "Brand-New-Passphrase-42");
    assert_eq!(calls[1], ("delete".to_owned(), json!({"user_id": "e-1"})));
    let (status, _) = get_user(&tenant, "auth0|e-1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // With import mode the first login migrates; then the service may go.
    let migrating = app_with_connection(
        &tenant,
        "http-import",
        json!({
            "enabledDatabaseCustomization": true,
            "import_mode": true,
            "configuration": {"http_secret": HTTP_SECRET},
            "custom_database": {"kind": "http", "timeout_ms": 1000,
                "endpoints": {"login": format!("{base}/login")}}
        }),
    )
    .await;
    let (status, body) = password_login(
        &tenant,
        &migrating,
        "http-import",
        "frank@example.com",
        LEGACY_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(id_token_sub(&body), "auth0|f-2");
    stop.send(()).ok();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let logins_before = remote.logins.load(Ordering::SeqCst);
    let (status, body) = password_login(
        &tenant,
        &migrating,
        "http-import",
        "frank@example.com",
        LEGACY_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(remote.logins.load(Ordering::SeqCst), logins_before);
    // Not migrated and the service is down: a clear error, nothing created.
    let (status, body) = password_login(
        &tenant,
        &migrating,
        "http-import",
        "eve@example.com",
        LEGACY_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(users_of(&tenant, "http-import").await.len(), 1);
}

#[tokio::test]
async fn custom_database_options_are_validated_and_secrets_hidden() {
    let tenant = Tenant::start().await;
    let response = http()
        .post(tenant.server.url("/api/v2/connections"))
        .bearer_auth(&tenant.token)
        .json(&json!({"name": "bad-sql", "strategy": "auth0", "options": {
            "enabledDatabaseCustomization": true,
            "custom_database": {"kind": "sql", "queries": {"login": "SELECT id FROM users WHERE email = $3"}}
        }}))
        .send()
        .await
        .expect("create");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("options.custom_database.queries.login")),
        "{body}"
    );
    let created = tenant
        .connection(json!({"name": "ok-http", "strategy": "auth0", "options": {
            "enabledDatabaseCustomization": true,
            "configuration": {"http_secret": HTTP_SECRET},
            "custom_database": {"kind": "http", "endpoints": {"login": "https://users.example.com/login"}}
        }}))
        .await;
    assert!(!created.to_string().contains(HTTP_SECRET), "{created}");
    assert_eq!(created["options"]["custom_database"]["kind"], "http");
}
