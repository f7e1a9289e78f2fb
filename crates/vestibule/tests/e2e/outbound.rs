//! The outbound guard from the outside: destinations a tenant configures
//! (SMTP host, custom database SQL host and HTTP endpoints) are refused on
//! inner addresses unless the operator allows them, with an error that
//! names the rule; the operator's allow-list opens exactly what it lists;
//! SQLite custom databases and the server's own PostgreSQL are refused
//! whatever the settings say.

use crate::custom_db::{
    BCRYPT, HTTP_SECRET, LEGACY_PASSWORD, PG_ADMIN, Remote, app_with_connection, password_login,
    remote_user_service, require, unique_name,
};
use crate::harness::{Server, ServerOptions, http, management_token};
use crate::multi_node::TestDatabase;
use crate::smtp_sink::{SMTP_PASS, SMTP_USER, SmtpSink};
use crate::support::{DATABASE, PASSWORD, REDIRECT_A, Tenant};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PRIVATE: &str = "is a private address; the operator has not allowed it";
const OWN_DATABASE: &str = "is the server's own database; it is never allowed";

/// A server that refuses private destinations (the production default),
/// allowing those `allowed` lists.
fn strict_server(allowed: &str, data_dir: Option<std::path::PathBuf>) -> Server {
    Server::start_with(ServerOptions {
        data_dir,
        env: vec![
            ("VESTIBULE_ALLOW_PRIVATE_UPSTREAMS".into(), "false".into()),
            (
                "VESTIBULE_ALLOWED_PRIVATE_DESTINATIONS".into(),
                allowed.into(),
            ),
            ("VESTIBULE_EMAIL_RETRY_SECONDS".into(), "1".into()),
        ],
        ..ServerOptions::default()
    })
}

async fn tenant_on(server: Server) -> Tenant {
    let token = management_token(&server).await;
    Tenant { server, token }
}

/// A Management API call that may fail: status and body.
async fn call(tenant: &Tenant, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
    let response = http()
        .request(method, tenant.server.url(path))
        .bearer_auth(&tenant.token)
        .json(&body)
        .send()
        .await
        .expect("management request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn smtp_provider(host: &str, port: u16) -> Value {
    json!({
        "name": "smtp", "enabled": true, "default_from_address": "no-reply@vestibule.test",
        "credentials": {"smtp_host": host, "smtp_port": port, "smtp_user": SMTP_USER, "smtp_pass": SMTP_PASS},
        "settings": {"allow_insecure_plaintext": true},
    })
}

fn sql_connection(name: &str, url: &str) -> Value {
    json!({"name": name, "strategy": "auth0", "options": {
        "enabledDatabaseCustomization": true,
        "configuration": {"database_url": url},
        "custom_database": {"kind": "sql", "queries": {
            "login": "SELECT id, email, password_hash FROM users WHERE email = $1"}}
    }})
}

fn http_connection(name: &str, base: &str) -> Value {
    json!({"name": name, "strategy": "auth0", "options": {
        "enabledDatabaseCustomization": true,
        "configuration": {"http_secret": HTTP_SECRET},
        "custom_database": {"kind": "http", "endpoints": {
            "login": format!("{base}/login"), "create": format!("{base}/create")}}
    }})
}

/// Asserts a 400 whose message contains `expected`.
fn assert_refused(what: &str, (status, body): (StatusCode, Value), expected: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(expected), "{what}: {body}");
}

#[tokio::test]
async fn inner_destinations_are_refused_naming_the_rule() {
    let tenant = tenant_on(strict_server("", None)).await;
    let provider = smtp_provider;
    let post = |path: &'static str, body: Value| call(&tenant, Method::POST, path, body);

    let refused = post("/api/v2/emails/provider", provider("127.0.0.1", 25)).await;
    assert_refused(
        "SMTP on loopback",
        refused,
        &format!("destination 127.0.0.1:25 {PRIVATE}"),
    );
    let refused = post("/api/v2/emails/provider", provider("localhost", 2525)).await;
    assert_refused("SMTP by a name", refused, "destination localhost:2525 (");
    let refused = post("/api/v2/emails/provider", provider("169.254.169.254", 587)).await;
    assert_refused("SMTP on the metadata address", refused, PRIVATE);

    let refused = post(
        "/api/v2/connections",
        http_connection("http-loopback", "http://127.0.0.1:9"),
    )
    .await;
    assert_refused(
        "HTTP custom database on loopback",
        refused,
        &format!("destination 127.0.0.1:9 {PRIVATE}"),
    );
    let refused = post(
        "/api/v2/connections",
        http_connection("http-v6", "http://[::1]:8080"),
    )
    .await;
    assert_refused("HTTP custom database on ::1", refused, PRIVATE);
    let refused = post(
        "/api/v2/connections",
        sql_connection("sql-loopback", "postgres://postgres@127.0.0.1:5432/test"),
    )
    .await;
    assert_refused(
        "SQL custom database on loopback",
        refused,
        &format!("destination 127.0.0.1:5432 {PRIVATE}"),
    );
    let refused = post(
        "/api/v2/connections",
        sql_connection("sql-name", "mysql://root@localhost:3306/test"),
    )
    .await;
    assert_refused("SQL custom database by a name", refused, PRIVATE);
    // Nothing was saved.
    let (_, provider) = call(&tenant, Method::GET, "/api/v2/emails/provider", Value::Null).await;
    assert!(provider.get("credentials").is_none(), "{provider}");
    let (_, connections) = call(&tenant, Method::GET, "/api/v2/connections", Value::Null).await;
    assert!(
        !connections.to_string().contains("loopback"),
        "{connections}"
    );
}

#[tokio::test]
async fn sqlite_and_socket_custom_databases_are_refused_even_with_allow_all() {
    // The harness's default server allows every private destination.
    let tenant = Tenant::start().await;
    let data_file = format!("sqlite:{}/vestibule.db", tenant.server.data_dir.display());
    for (url, expected) in [
        (data_file.as_str(), "sqlite: URLs are not accepted"),
        ("sqlite::memory:", "sqlite: URLs are not accepted"),
        (
            "postgres://postgres@localhost/test?host=/var/run/postgresql",
            "`host` is not accepted",
        ),
        ("postgres:///test", "must name the database server's host"),
        (
            "mysql://root@127.0.0.1/test?ssl-ca=/etc/ssl/private/key.pem",
            "`ssl-ca` is not accepted",
        ),
    ] {
        let refused = call(
            &tenant,
            Method::POST,
            "/api/v2/connections",
            sql_connection("sqlite-db", url),
        )
        .await;
        assert_refused(url, refused, expected);
    }
    // An update cannot bring one in either.
    let created = tenant
        .connection(sql_connection(
            "later-sqlite",
            "postgres://postgres@127.0.0.1:5432/test",
        ))
        .await;
    let id = created["id"].as_str().expect("id");
    let options = sql_connection("x", &data_file)["options"].clone();
    let refused = call(
        &tenant,
        Method::PATCH,
        &format!("/api/v2/connections/{id}"),
        json!({ "options": options }),
    )
    .await;
    assert_refused("update to sqlite", refused, "sqlite: URLs are not accepted");
}

/// A fresh PostgreSQL database holding one legacy user; None to skip.
async fn seeded_postgres() -> Option<(String, sqlx::PgConnection)> {
    let mut admin = require(
        "PostgreSQL at 127.0.0.1:5432",
        sqlx::PgConnection::connect(PG_ADMIN).await,
    )?;
    let name = unique_name("vestibule_outbound");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create database");
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let mut db = sqlx::PgConnection::connect(&url).await.expect("connect");
    sqlx::query("CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, password_hash TEXT)")
        .execute(&mut db)
        .await
        .expect("create table");
    sqlx::query("INSERT INTO users VALUES ('p-1', 'paula@example.com', $1)")
        .bind(BCRYPT)
        .execute(&mut db)
        .await
        .expect("seed");
    db.close().await.ok();
    Some((name, admin))
}

#[tokio::test]
async fn the_allow_list_opens_exactly_what_it_lists() {
    let sink = SmtpSink::start().await;
    let (remote_base, _stop) = remote_user_service(Arc::new(Remote::default())).await;
    let remote_port = url::Url::parse(&remote_base)
        .expect("url")
        .port()
        .expect("port");
    let postgres = seeded_postgres().await;
    // Addresses with a port, and a name with a port (matched by name).
    let allowed = format!(
        "127.0.0.1:{},localhost:5432,127.0.0.1:{remote_port}",
        sink.port
    );
    let tenant = tenant_on(strict_server(&allowed, None)).await;

    // SMTP: the listed port works, the next one does not.
    let refused = call(
        &tenant,
        Method::POST,
        "/api/v2/emails/provider",
        smtp_provider("127.0.0.1", sink.port + 1),
    )
    .await;
    assert_refused("an unlisted port", refused, PRIVATE);
    tenant
        .management(
            Method::POST,
            "/api/v2/emails/provider",
            smtp_provider("127.0.0.1", sink.port),
        )
        .await;
    let app = tenant
        .client("Outbound", REDIRECT_A, "client_secret_post")
        .await;
    tenant.database(&[&app]).await;
    let response = http()
        .post(tenant.server.url("/dbconnections/signup"))
        .json(&json!({"client_id": app.id, "email": "olga@example.com", "password": PASSWORD, "connection": DATABASE}))
        .send()
        .await
        .expect("signup");
    assert_eq!(response.status(), StatusCode::OK);
    sink.wait_for("olga@example.com", "Verify your email").await;

    // The HTTP custom database on its listed port.
    let http_app = app_with_connection(
        &tenant,
        "http-listed",
        http_connection("http-listed", &remote_base)["options"].clone(),
    )
    .await;
    let (status, body) = password_login(
        &tenant,
        &http_app,
        "http-listed",
        "eve@example.com",
        LEGACY_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The SQL custom database by the listed name (`localhost`, not the
    // address it resolves to: `127.0.0.1:5432` is not listed).
    let Some((name, mut admin)) = postgres else {
        return;
    };
    let refused = call(
        &tenant,
        Method::POST,
        "/api/v2/connections",
        sql_connection(
            "sql-by-address",
            &format!("postgres://postgres@127.0.0.1:5432/{name}"),
        ),
    )
    .await;
    assert_refused("the address of a listed name", refused, PRIVATE);
    let sql_app = app_with_connection(
        &tenant,
        "sql-listed",
        sql_connection(
            "sql-listed",
            &format!("postgres://postgres@localhost:5432/{name}"),
        )["options"]
            .clone(),
    )
    .await;
    let (status, body) = password_login(
        &tenant,
        &sql_app,
        "sql-listed",
        "paula@example.com",
        LEGACY_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop database");
}

#[tokio::test]
async fn destinations_are_checked_again_when_used() {
    // Saved while the operator allowed them; the operator then restarts
    // the server without the allow-list.
    let sink = SmtpSink::start().await;
    let (remote_base, _stop) = remote_user_service(Arc::new(Remote::default())).await;
    let remote_port = url::Url::parse(&remote_base)
        .expect("url")
        .port()
        .expect("port");
    let data_dir = tempfile::tempdir().expect("tempdir");
    let allowed = format!("127.0.0.1:{},127.0.0.1:{remote_port}", sink.port);
    let tenant = tenant_on(strict_server(&allowed, Some(data_dir.path().into()))).await;
    tenant
        .management(
            Method::POST,
            "/api/v2/emails/provider",
            smtp_provider("127.0.0.1", sink.port),
        )
        .await;
    let app = tenant
        .client("Outbound", REDIRECT_A, "client_secret_post")
        .await;
    tenant.database(&[&app]).await;
    app_with_connection(
        &tenant,
        "http-later",
        http_connection("http-later", &remote_base)["options"].clone(),
    )
    .await;
    let Tenant { server, .. } = tenant;
    assert!(server.terminate().success());

    let tenant = tenant_on(strict_server("", Some(data_dir.path().into()))).await;
    let response = http()
        .post(tenant.server.url("/dbconnections/signup"))
        .json(&json!({"client_id": app.id, "email": "nina@example.com", "password": PASSWORD, "connection": DATABASE}))
        .send()
        .await
        .expect("signup");
    assert_eq!(response.status(), StatusCode::OK);
    // The delivery is refused before connecting; the tenant log says why.
    let deadline = Instant::now() + Duration::from_secs(20);
    let failed = loop {
        let logs = tenant
            .management(Method::GET, "/api/v2/logs", Value::Null)
            .await;
        if let Some(event) = logs
            .as_array()
            .expect("logs")
            .iter()
            .find(|e| e["type"] == "fn")
        {
            break event.clone();
        }
        assert!(Instant::now() < deadline, "no fn log event");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let description = failed["description"].as_str().unwrap_or_default();
    assert!(
        description.contains(&format!("destination 127.0.0.1:{} {PRIVATE}", sink.port)),
        "{failed}"
    );
    assert_eq!(sink.count(), 0);
    assert_eq!(
        sink.auth_failures(),
        0,
        "nothing was sent to the SMTP server"
    );

    // The custom database: a Management API create answers with the rule.
    let (status, body) = call(
        &tenant,
        Method::POST,
        "/api/v2/users",
        json!({"connection": "http-later", "email": "new@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("destination 127.0.0.1:{remote_port} {PRIVATE}"))),
        "{body}"
    );
}

#[tokio::test]
async fn the_servers_own_postgresql_is_refused_even_with_allow_all() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    // The harness allows every private destination.
    let server = Server::start_with(ServerOptions {
        database_url: Some(database.url()),
        ..ServerOptions::default()
    });
    let tenant = tenant_on(server).await;
    let own = database.url();
    let own_name = own.rsplit('/').next().expect("name").to_owned();
    for url in [
        own.clone(),
        "postgres://postgres@127.0.0.1:5432/test".to_owned(),
        format!("postgresql://postgres@localhost:5432/{own_name}"),
        "postgres://postgres@0.0.0.0/postgres".to_owned(),
        "postgres://postgres@[::1]:5432/test".to_owned(),
        "mysql://root@127.0.0.2:5432/test".to_owned(),
    ] {
        let refused = call(
            &tenant,
            Method::POST,
            "/api/v2/connections",
            sql_connection("own-db", &url),
        )
        .await;
        assert_refused(&url, refused, OWN_DATABASE);
    }
    let refused = call(
        &tenant,
        Method::POST,
        "/api/v2/emails/provider",
        smtp_provider("127.0.0.1", 5432),
    )
    .await;
    assert_refused("SMTP to the database port", refused, OWN_DATABASE);
    let refused = call(
        &tenant,
        Method::POST,
        "/api/v2/connections",
        http_connection("own-http", "http://127.0.0.1:5432"),
    )
    .await;
    assert_refused("HTTP to the database port", refused, OWN_DATABASE);
    // Another server (MariaDB) is a destination like any other.
    tenant
        .connection(sql_connection(
            "mariadb-db",
            "mariadb://root@127.0.0.1:3306/test",
        ))
        .await;
}

#[test]
fn a_malformed_allow_list_stops_the_start_naming_the_entry() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vestibule"))
        .arg("serve")
        .env_clear()
        .env("VESTIBULE_LISTEN", "127.0.0.1:0")
        .env("VESTIBULE_DATA_DIR", data_dir.path())
        .env("VESTIBULE_MASTER_KEY", crate::harness::MASTER_KEY)
        .env(
            "VESTIBULE_ALLOWED_PRIVATE_DESTINATIONS",
            "10.0.0.0/8, 10.0.0.1/8",
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run vestibule");
    // A server that starts anyway is killed and fails the test.
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().expect("wait").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("output");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("VESTIBULE_ALLOWED_PRIVATE_DESTINATIONS")
            && stderr.contains("\"10.0.0.1/8\"")
            && stderr.contains("bits set beyond the prefix"),
        "{stderr}"
    );
}
