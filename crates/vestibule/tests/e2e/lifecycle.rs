//! Process lifecycle: a clean exit on SIGTERM, and a restart on the same
//! SQLite data directory that keeps what was created.

use crate::harness::{self, Server, ServerOptions};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json")
}

#[tokio::test]
async fn sigterm_exits_cleanly_and_a_restart_keeps_the_data() {
    // The data directory outlives the first process.
    let data = tempfile::tempdir().expect("tempdir");
    let options = ServerOptions {
        data_dir: Some(data.path().to_path_buf()),
        ..ServerOptions::default()
    };

    let first = Server::start_with(options.clone());
    let token = harness::management_token(&first).await;
    let claims = claims(&token);
    assert_eq!(claims["iss"], first.issuer());
    assert_eq!(claims["aud"], first.management_audience());
    let response = harness::http()
        .post(first.url("/api/v2/clients"))
        .bearer_auth(&token)
        .json(&json!({"name": "Survives restarts", "app_type": "non_interactive"}))
        .send()
        .await
        .expect("create client");
    assert_eq!(response.status(), 201);
    let client: Value = response.json().await.expect("client json");
    let client_id = client["client_id"].as_str().expect("client_id").to_owned();
    assert!(first.data_dir.join("vestibule.db").is_file());

    // SIGTERM: the server stops accepting, finishes, and exits with status 0.
    let status = first.terminate();
    assert!(
        status.success(),
        "vestibule exited with {status} after SIGTERM"
    );

    // A new process on the same directory still has the client.
    let second = Server::start_with(options);
    let token = harness::management_token(&second).await;
    let response = harness::http()
        .get(second.url(&format!("/api/v2/clients/{client_id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get client");
    assert_eq!(response.status(), 200);
    let client: Value = response.json().await.expect("client json");
    assert_eq!(client["name"], "Survives restarts");
    let status = second.terminate();
    assert!(
        status.success(),
        "vestibule exited with {status} after SIGTERM"
    );
}

#[tokio::test]
async fn default_start_serves_the_management_api() {
    let server = Server::start();
    let token = harness::management_token(&server).await;
    let response = harness::http()
        .get(server.url("/api/v2/clients"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list clients");
    assert_eq!(response.status(), 200);
}

/// Sends `request` on `stream` and reads one whole response (headers and a
/// `Content-Length` body); `None` when the server closed the connection.
async fn round_trip(stream: &mut tokio::net::TcpStream, request: &[u8]) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request).await.ok()?;
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return Some(text);
            }
        }
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buffer))
                .await
                .ok()?
                .ok()?;
        if read == 0 {
            return None;
        }
        received.extend_from_slice(&buffer[..read]);
    }
}

/// An answer given before the request's body was read (an unknown path, a
/// wrong method) leaves the keep-alive connection usable for the next
/// request: hyper closed it without a word when the body stayed unread.
#[tokio::test]
async fn a_keep_alive_connection_survives_answers_to_unread_bodies() {
    let server = Server::start();
    let body = format!("{{\"padding\":\"{}\"}}", "x".repeat(200_000));
    for (method, path, expected) in [
        ("POST", "/no/such/path", "404"),
        ("PUT", "/oauth/token", "405"),
        ("DELETE", "/api/v2/nothing-here", "404"),
    ] {
        let host = format!("127.0.0.1:{}", server.port);
        let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        for round in 0..5 {
            let request = format!(
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                host,
                body.len()
            );
            let first = round_trip(&mut stream, request.as_bytes())
                .await
                .unwrap_or_else(|| panic!("{method} {path}: no answer in round {round}"));
            assert!(
                first.starts_with(&format!("HTTP/1.1 {expected}")),
                "{first}"
            );
            let health = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n");
            let second = round_trip(&mut stream, health.as_bytes())
                .await
                .unwrap_or_else(|| {
                    panic!("{method} {path}: connection dropped after round {round}")
                });
            assert!(second.starts_with("HTTP/1.1 200"), "{second}");
        }
    }
}
