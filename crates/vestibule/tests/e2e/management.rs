//! Management API behaviour that needs the real binary: tenants created
//! with its administration commands. The rest of the Management API is
//! tested in process (`crates/http-api/tests/router`).

use crate::harness::{self, Server, http, management_token};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A Management API caller bound to one server, host and token.
struct Api {
    server_url: String,
    host: Option<String>,
    token: String,
}

impl Api {
    async fn new(server: &Server) -> Self {
        Self {
            server_url: server.addr(),
            host: None,
            token: management_token(server).await,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = http()
            .request(method, format!("{}{path}", self.server_url))
            .bearer_auth(&self.token);
        if let Some(host) = &self.host {
            request = request.header("host", host);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }
    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }
}

/// Runs a `vestibule` administration command against a server's data directory.
pub(crate) fn cli(server: &Server, args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_vestibule"))
        .args(args)
        .env("VESTIBULE_DATA_DIR", &server.data_dir)
        .env("VESTIBULE_MASTER_KEY", harness::MASTER_KEY)
        .env("VESTIBULE_LOG", "warn")
        .output()
        .expect("run vestibule");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn tenants_are_isolated() {
    let server = Server::start();
    let api_a = Api::new(&server).await;
    let (_, client_a) = api_a
        .post("/api/v2/clients", json!({"name": "A's app"}))
        .await;
    let client_a_id = client_a["client_id"].as_str().unwrap().to_owned();
    let (_, connection_a) = api_a
        .post(
            "/api/v2/connections",
            json!({"name": "a-db", "strategy": "auth0"}),
        )
        .await;
    let connection_a_id = connection_a["id"].as_str().unwrap().to_owned();

    let output = cli(
        &server,
        &["tenant", "create", "acme", "--issuer", "http://acme.test/"],
    );
    let words: Vec<&str> = output.split_whitespace().collect();
    let after = |label: &str| words[words.iter().position(|w| *w == label).unwrap() + 1].to_owned();
    let (b_id, b_secret) = (after("client_id"), after("client_secret"));

    let b_token = {
        let response = http()
            .post(server.url("/oauth/token"))
            .header("host", "acme.test")
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", b_id.as_str()),
                ("client_secret", b_secret.as_str()),
                ("audience", "http://acme.test/api/v2/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let api_b = Api {
        server_url: server.addr(),
        host: Some("acme.test".into()),
        token: b_token.clone(),
    };

    // B sees none of A's records, and cannot change or delete them.
    let (status, clients) = api_b.get("/api/v2/clients").await;
    assert_eq!(status, 200);
    assert!(!clients.to_string().contains(&client_a_id));
    assert_eq!(
        api_b.get(&format!("/api/v2/clients/{client_a_id}")).await.0,
        404
    );
    assert_eq!(
        api_b
            .patch(
                &format!("/api/v2/clients/{client_a_id}"),
                json!({"name": "pwned"})
            )
            .await
            .0,
        404
    );
    assert_eq!(
        api_b
            .delete(&format!("/api/v2/clients/{client_a_id}"))
            .await
            .0,
        404
    );
    assert_eq!(
        api_b
            .post(
                &format!("/api/v2/clients/{client_a_id}/rotate-secret"),
                json!({})
            )
            .await
            .0,
        404
    );
    assert_eq!(
        api_b
            .get(&format!("/api/v2/connections/{connection_a_id}"))
            .await
            .0,
        404
    );
    assert_eq!(
        api_b
            .delete(&format!("/api/v2/connections/{connection_a_id}"))
            .await
            .0,
        404
    );
    let (status, _) = api_b
        .patch(
            &format!("/api/v2/connections/{connection_a_id}/clients"),
            json!([{"client_id": client_a_id, "status": true}]),
        )
        .await;
    assert_eq!(status, 404);
    let (_, b_connections) = api_b.get("/api/v2/connections").await;
    assert_eq!(b_connections, json!([]));
    // Same connection name is fine in another tenant.
    assert_eq!(
        api_b
            .post(
                "/api/v2/connections",
                json!({"name": "a-db", "strategy": "auth0"})
            )
            .await
            .0,
        201
    );

    // A's token is worthless on B's host, and B's on A's.
    let cross = Api {
        server_url: server.addr(),
        host: Some("acme.test".into()),
        token: api_a.token.clone(),
    };
    assert_eq!(cross.get("/api/v2/clients").await.0, 401);
    let cross = Api {
        server_url: server.addr(),
        host: None,
        token: b_token,
    };
    assert_eq!(cross.get("/api/v2/clients").await.0, 401);

    // A's records are untouched.
    let (_, still_a) = api_a.get(&format!("/api/v2/clients/{client_a_id}")).await;
    assert_eq!(still_a["name"], "A's app");
    let discovery: Value = http()
        .get(server.url("/.well-known/openid-configuration"))
        .header("host", "acme.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], "http://acme.test/");
}
