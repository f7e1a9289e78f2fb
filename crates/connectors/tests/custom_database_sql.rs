//! The `sql` custom database against real servers: a query whose string
//! literals, identifiers and comments contain `$…` runs unchanged (the
//! MySQL rewrite `$n` → `?` touches only real placeholders). Each run
//! creates its own database on the machine's shared MariaDB
//! (127.0.0.1:3306, root) or PostgreSQL (127.0.0.1:5432, postgres) and
//! drops it; a missing server skips the test, unless `CI=true`.

// The helpers below live outside `#[test]` functions, where clippy's
// allow-*-in-tests settings do not reach.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use connectors::custom_database::sql::SqlBackend;
use connectors::custom_database::{LoginLookup, PasswordBackend, SqlQueries, config::SqlConfig};
use sqlx::Connection as _;
use std::time::Duration;

/// bcrypt (cost 4) of "correct horse battery staple".
const BCRYPT: &str = "$2b$04$SvPgor8zmtTVIP7FZfoPvuOx1Zun1mSMjtL.JQWzUJX6WfnVfzPeW";
const ARGON2: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn unique_name() -> String {
    let nanos = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("vestibule_sqltext_{}_{nanos}", std::process::id())
}

/// `None` (skip) when the server is not there, unless in CI.
fn require<T>(what: &str, result: Result<T, sqlx::Error>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) if !in_ci() => {
            eprintln!("skipping: {what} is not reachable ({error})");
            None
        }
        Err(error) => panic!("{what} is required under CI=true: {error}"),
    }
}

fn login_only(login: &str) -> SqlQueries {
    SqlQueries {
        login: Some(login.to_owned()),
        get_user: None,
        create: None,
        verify: None,
        change_password: None,
        delete: None,
    }
}

/// Only users whose hash is bcrypt (`'$2b$%'`) are found: `alice` is,
/// `bob` (argon2id) is not.
async fn assert_bcrypt_only(backend: &SqlBackend) {
    match backend.login("alice@example.com", "x").await {
        Ok(LoginLookup::Verify(user)) => {
            assert_eq!(user.email.as_deref(), Some("alice@example.com"));
            assert_eq!(user.password_hash.as_deref(), Some(BCRYPT));
        }
        other => panic!("alice: {other:?}"),
    }
    match backend.login("bob", "x").await {
        Ok(LoginLookup::NotFound) => {}
        other => panic!("bob: {other:?}"),
    }
}

#[tokio::test]
async fn mariadb_runs_queries_with_dollars_in_literals_unchanged() {
    let Some(mut admin) = require(
        "MariaDB at 127.0.0.1:3306",
        sqlx::MySqlConnection::connect("mysql://root@127.0.0.1:3306/test").await,
    ) else {
        return;
    };
    let name = unique_name();
    let url = format!("mysql://root@127.0.0.1:3306/{name}");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create database");
    let mut db = sqlx::MySqlConnection::connect(&url).await.expect("connect");
    sqlx::query(
        "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) NOT NULL, \
         username VARCHAR(64), `pass$word` VARCHAR(255) NOT NULL, note VARCHAR(64) NOT NULL DEFAULT 'x')",
    )
    .execute(&mut db)
    .await
    .expect("create table");
    for (email, username, hash) in [
        ("alice@example.com", "alice", BCRYPT),
        ("bob@example.com", "bob", ARGON2),
    ] {
        sqlx::query("INSERT INTO users (email, username, `pass$word`) VALUES (?, ?, ?)")
            .bind(email)
            .bind(username)
            .bind(hash)
            .execute(&mut db)
            .await
            .expect("seed");
    }
    db.close().await.ok();

    // Every MySQL construct that may hold a `$n` that is no placeholder.
    let login = "SELECT id, email, `pass$word` AS password_hash FROM users -- not $2\n\
                 WHERE (email = $1 OR username = $1) /* nor $3 */ # nor $4\n\
                 AND `pass$word` LIKE '$2b$%' AND note <> 'it\\'s $2' AND note <> \"$3\"";
    let backend = SqlBackend::open(
        SqlConfig {
            url: url.clone(),
            queries: login_only(login),
            timeout: Duration::from_secs(5),
        },
        "127.0.0.1:3306".parse().expect("address"),
    )
    .expect("backend");
    let outcome = tokio::spawn(async move { assert_bcrypt_only(&backend).await }).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("drop database");
    outcome.expect("the login checks");
}

#[tokio::test]
async fn postgres_runs_queries_with_dollar_quotes() {
    let Some(mut admin) = require(
        "PostgreSQL at 127.0.0.1:5432",
        sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/test").await,
    ) else {
        return;
    };
    let name = unique_name();
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create database");
    let mut db = sqlx::PgConnection::connect(&url).await.expect("connect");
    sqlx::query(
        "CREATE TABLE users (id SERIAL PRIMARY KEY, email TEXT NOT NULL, username TEXT, \
         \"pass$word\" TEXT NOT NULL)",
    )
    .execute(&mut db)
    .await
    .expect("create table");
    for (email, username, hash) in [
        ("alice@example.com", "alice", BCRYPT),
        ("bob@example.com", "bob", ARGON2),
    ] {
        sqlx::query("INSERT INTO users (email, username, \"pass$word\") VALUES ($1, $2, $3)")
            .bind(email)
            .bind(username)
            .bind(hash)
            .execute(&mut db)
            .await
            .expect("seed");
    }
    db.close().await.ok();

    let login = "SELECT id::text, email, \"pass$word\" AS password_hash FROM users -- not $2\n\
                 WHERE (email = $1 OR username = $1) /* nor /* nested */ $3 */\n\
                 AND \"pass$word\" LIKE $h$$2b$%$h$ AND email <> E'it\\'s $2' AND email <> '$3'";
    let backend = SqlBackend::open(
        SqlConfig {
            url,
            queries: login_only(login),
            timeout: Duration::from_secs(5),
        },
        "127.0.0.1:5432".parse().expect("address"),
    )
    .expect("backend");
    let outcome = tokio::spawn(async move { assert_bcrypt_only(&backend).await }).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop database");
    outcome.expect("the login checks");
}
