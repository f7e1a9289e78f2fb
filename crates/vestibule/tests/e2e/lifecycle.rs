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
