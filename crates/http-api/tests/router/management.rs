//! Management API behaviour over HTTP, in process: CRUD, Auth0 shapes, bad input,
//! tokens and scopes, tenant isolation, keys.

use crate::support::{Server, http, management_token, token_for};
use axum::http::{Method, StatusCode};
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

fn assert_auth0_error(body: &Value, status: StatusCode) {
    assert_eq!(body["statusCode"], status.as_u16(), "{body}");
    assert!(body["error"].is_string(), "{body}");
    assert!(body["message"].is_string(), "{body}");
    assert!(body["errorCode"].is_string(), "{body}");
}

async fn client_count(api: &Api) -> u64 {
    let (status, body) = api.get("/api/v2/clients?include_totals=true").await;
    assert_eq!(status, 200, "{body}");
    body["total"].as_u64().expect("total")
}

#[tokio::test]
async fn client_crud_returns_the_secret_only_at_creation_and_rotation() {
    let server = Server::start().await;
    let api = Api::new(&server).await;

    let (status, created) = api
        .post("/api/v2/clients", json!({"name": "Web App", "app_type": "regular_web", "callbacks": ["https://app.example/cb"]}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["client_id"].as_str().unwrap().to_owned();
    let first_secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(created["callbacks"], json!(["https://app.example/cb"]));

    let (status, fetched) = api.get(&format!("/api/v2/clients/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        fetched.get("client_secret").is_none(),
        "secret must not be readable: {fetched}"
    );
    assert_eq!(fetched["name"], "Web App");

    let (status, fields) = api
        .get(&format!(
            "/api/v2/clients/{id}?fields=name,client_id&include_fields=true"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(fields, json!({"client_id": id, "name": "Web App"}));

    let (status, updated) = api
        .patch(
            &format!("/api/v2/clients/{id}"),
            json!({"name": "Renamed", "allowed_logout_urls": ["https://app.example/bye"]}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(
        updated["callbacks"],
        json!(["https://app.example/cb"]),
        "unchanged fields stay"
    );
    assert!(updated.get("client_secret").is_none());

    let (status, rotated) = api
        .post(&format!("/api/v2/clients/{id}/rotate-secret"), json!({}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    let second_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(second_secret, first_secret);

    // The old secret no longer authenticates; the new one does.
    let form = |secret: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", id.clone()),
            ("client_secret", secret.to_owned()),
            ("audience", server.management_audience()),
        ]
    };
    let old = http()
        .post(server.url("/oauth/token"))
        .form(&form(&first_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);
    let new = http()
        .post(server.url("/oauth/token"))
        .form(&form(second_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(
        new.status(),
        403,
        "a valid client without a grant is refused the API, not the authentication"
    );

    let (status, list) = api
        .get("/api/v2/clients?per_page=1&page=0&include_totals=true")
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 2);
    assert_eq!(list["clients"].as_array().unwrap().len(), 1);
    let (_, past_end) = api
        .get("/api/v2/clients?per_page=50&page=7&include_totals=true")
        .await;
    assert_eq!(
        past_end["clients"],
        json!([]),
        "past the end is an empty page"
    );

    let (status, _) = api.delete(&format!("/api/v2/clients/{id}")).await;
    assert_eq!(status, 204);
    let (status, body) = api.get(&format!("/api/v2/clients/{id}")).await;
    assert_eq!(status, 404);
    assert_auth0_error(&body, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn connections_validate_options_hide_secrets_and_track_enabled_clients() {
    let server = Server::start().await;
    let api = Api::new(&server).await;
    let (_, app) = api.post("/api/v2/clients", json!({"name": "App"})).await;
    let client_id = app["client_id"].as_str().unwrap().to_owned();

    let (status, database) = api
        .post(
            "/api/v2/connections",
            json!({"name": "Username-Password", "strategy": "auth0"}),
        )
        .await;
    assert_eq!(status, 201, "{database}");
    assert_eq!(
        database["options"]["passwordPolicy"], "good",
        "new database connections default to Auth0's good policy"
    );
    let database_id = database["id"].as_str().unwrap().to_owned();
    assert!(database_id.starts_with("con_"));

    let (status, google) = api
        .post(
            "/api/v2/connections",
            json!({"name": "google", "strategy": "google-oauth2", "options": {"client_id": "gid", "client_secret": "very-secret", "scope": ["email", "profile"]}}),
        )
        .await;
    assert_eq!(status, 201, "{google}");
    assert!(
        !google.to_string().contains("very-secret"),
        "secrets are write-only: {google}"
    );
    let google_id = google["id"].as_str().unwrap().to_owned();

    // Options are typed per strategy; errors name the field.
    let (status, body) = api
        .post(
            "/api/v2/connections",
            json!({"name": "bad", "strategy": "google-oauth2", "options": {"client_id": 5}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("options.client_id"),
        "{body}"
    );
    let (status, body) = api
        .post(
            "/api/v2/connections",
            json!({"name": "bad", "strategy": "auth0", "options": {"passwordPolicy": "weak-ish"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("options.passwordPolicy"),
        "{body}"
    );
    let (status, body) = api
        .post(
            "/api/v2/connections",
            json!({"name": "bad", "strategy": "carrier-pigeon"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("strategy"),
        "{body}"
    );
    let (status, body) = api
        .post(
            "/api/v2/connections",
            json!({"name": "google", "strategy": "github"}),
        )
        .await;
    assert_eq!(status, 409);
    assert_auth0_error(&body, StatusCode::CONFLICT);

    // Enable the database connection only.
    let (status, _) = api
        .patch(
            &format!("/api/v2/connections/{database_id}/clients"),
            json!([{"client_id": client_id, "status": true}]),
        )
        .await;
    assert_eq!(status, 204);
    let (_, enabled) = api
        .get(&format!("/api/v2/connections/{database_id}/clients"))
        .await;
    assert_eq!(enabled["clients"], json!([{"client_id": client_id}]));
    let (_, not_enabled) = api
        .get(&format!("/api/v2/connections/{google_id}/clients"))
        .await;
    assert_eq!(not_enabled["clients"], json!([]));
    let (_, fetched) = api.get(&format!("/api/v2/connections/{database_id}")).await;
    assert_eq!(fetched["enabled_clients"], json!([client_id]));

    // Enabling an unknown client changes nothing.
    let (status, _) = api
        .patch(
            &format!("/api/v2/connections/{google_id}/clients"),
            json!([{"client_id": client_id, "status": true}, {"client_id": "no-such-client", "status": true}]),
        )
        .await;
    assert_eq!(status, 400);
    let (_, still_not_enabled) = api
        .get(&format!("/api/v2/connections/{google_id}/clients"))
        .await;
    assert_eq!(still_not_enabled["clients"], json!([]));

    // An update that leaves the secret out keeps it (and still never shows it).
    let (status, updated) = api
        .patch(
            &format!("/api/v2/connections/{google_id}"),
            json!({"options": {"client_id": "gid2"}, "display_name": "Google"}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["options"]["client_id"], "gid2");
    assert_eq!(updated["display_name"], "Google");
    assert!(updated["options"].get("client_secret").is_none());
    let (status, _) = api
        .patch(
            &format!("/api/v2/connections/{google_id}"),
            json!({"strategy": "github"}),
        )
        .await;
    assert_eq!(status, 400, "strategy cannot change");

    // Filters and both paging styles.
    let (_, by_strategy) = api.get("/api/v2/connections?strategy=auth0").await;
    let names: Vec<&str> = by_strategy
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Username-Password"]);
    let (_, first) = api
        .get("/api/v2/connections?take=1&include_totals=true")
        .await;
    assert_eq!(first["connections"].as_array().unwrap().len(), 1);
    let next = first["next"].as_str().expect("next checkpoint").to_owned();
    let (_, second) = api
        .get(&format!("/api/v2/connections?take=1&from={next}"))
        .await;
    assert_eq!(second["connections"].as_array().unwrap().len(), 1);
    assert_ne!(
        second["connections"][0]["id"],
        first["connections"][0]["id"]
    );
    let (_, last) = api
        .get(&format!(
            "/api/v2/connections?take=1&from={}",
            second["next"].as_str().unwrap()
        ))
        .await;
    assert_eq!(last["connections"], json!([]));
    assert!(last.get("next").is_none());
    let (_, totals) = api
        .get("/api/v2/connections?include_totals=true&per_page=1")
        .await;
    assert_eq!(totals["total"], 2);

    // Deleting the client removes it from the connection.
    api.delete(&format!("/api/v2/clients/{client_id}")).await;
    let (_, enabled) = api
        .get(&format!("/api/v2/connections/{database_id}/clients"))
        .await;
    assert_eq!(enabled["clients"], json!([]));
    let (status, _) = api
        .delete(&format!("/api/v2/connections/{database_id}"))
        .await;
    assert_eq!(status, 202);
    let (status, _) = api.get(&format!("/api/v2/connections/{database_id}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn client_credentials_issue_jwts_only_for_granted_apis_and_scopes() {
    let server = Server::start().await;
    let api = Api::new(&server).await;
    let (status, api_server) = api
        .post(
            "/api/v2/resource-servers",
            json!({"name": "Orders", "identifier": "https://orders.example/", "signing_alg": "ES256", "token_lifetime": 600,
                   "scopes": [{"value": "read:orders", "description": "Read"}, {"value": "write:orders"}]}),
        )
        .await;
    assert_eq!(status, 201, "{api_server}");
    let (status, duplicate) = api
        .post(
            "/api/v2/resource-servers",
            json!({"identifier": "https://orders.example/"}),
        )
        .await;
    assert_eq!(status, 409, "{duplicate}");
    let (_, machine) = api
        .post(
            "/api/v2/clients",
            json!({"name": "Worker", "app_type": "non_interactive"}),
        )
        .await;
    let id = machine["client_id"].as_str().unwrap().to_owned();
    let secret = machine["client_secret"].as_str().unwrap().to_owned();

    let request = |form: Vec<(&'static str, String)>| {
        let url = server.url("/oauth/token");
        async move {
            let response = http().post(url).form(&form).send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let base = |scope: Option<&str>| {
        let mut form = vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", id.clone()),
            ("client_secret", secret.clone()),
            ("audience", "https://orders.example/".to_owned()),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope.to_owned()));
        }
        form
    };

    let (status, body) = request(base(None)).await;
    assert_eq!(status, 403, "no grant yet: {body}");
    assert_eq!(body["error"], "access_denied");

    let (status, grant) = api
        .post("/api/v2/client-grants", json!({"client_id": id, "audience": "https://orders.example/", "scope": ["read:orders"]}))
        .await;
    assert_eq!(status, 201, "{grant}");
    let (status, _) = api
        .post(
            "/api/v2/client-grants",
            json!({"client_id": id, "audience": "https://orders.example/", "scope": []}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, body) = api
        .post("/api/v2/client-grants", json!({"client_id": id, "audience": "https://orders.example/", "scope": ["delete:everything"]}))
        .await;
    assert!(status == 400 || status == 409, "{body}");

    let (status, body) = request(base(None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "read:orders");
    let token = body["access_token"].as_str().unwrap();

    // The token verifies against the published JWKS with the API's algorithm.
    let jwks: Value = http()
        .get(server.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = crypto::parse_jwks(&jwks).unwrap();
    let expectations =
        crypto::Expectations::new(server.issuer(), "https://orders.example/").with_typ("at+jwt");
    let claims = crypto::verify_jwt(
        token,
        &keys,
        &[model::SigningAlg::Es256],
        &expectations,
        now_seconds(),
    )
    .unwrap();
    assert_eq!(claims["sub"], format!("{id}@clients"));
    assert_eq!(claims["scope"], "read:orders");
    assert_eq!(claims["gty"], "client-credentials");

    let (status, body) = request(base(Some("write:orders"))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_scope");

    // Only the registered authentication method is accepted.
    let response = http()
        .post(server.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", "https://orders.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // Wrong and unknown credentials look alike.
    let mut wrong = base(None);
    wrong[2].1 = "wrong-secret".into();
    let (status, wrong_body) = request(wrong).await;
    let mut unknown = base(None);
    unknown[1].1 = "no-such-client".into();
    let (unknown_status, unknown_body) = request(unknown).await;
    assert_eq!(
        (status, unknown_status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong_body, unknown_body);

    // Grant changes take effect; deleting the grant revokes access to the API.
    let grant_id = grant["id"].as_str().unwrap();
    let (status, _) = api
        .patch(
            &format!("/api/v2/client-grants/{grant_id}"),
            json!({"scope": ["read:orders", "write:orders"]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = request(base(Some("write:orders"))).await;
    assert_eq!(status, 200, "{body}");
    let (_, listed) = api
        .get(&format!("/api/v2/client-grants?client_id={id}"))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    api.delete(&format!("/api/v2/client-grants/{grant_id}"))
        .await;
    let (status, _) = request(base(None)).await;
    assert_eq!(status, 403);

    // The Management API's own resource server is read-only.
    let (_, servers) = api.get("/api/v2/resource-servers").await;
    let system = servers
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["is_system"] == true)
        .unwrap()
        .clone();
    let (status, _) = api
        .delete(&format!(
            "/api/v2/resource-servers/{}",
            system["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 403);
}

fn now_seconds() -> i64 {
    use model::Clock;
    model::SystemClock.now_seconds()
}

#[tokio::test]
async fn bad_input_gets_auth0_errors_and_writes_nothing() {
    let server = Server::start().await;
    let api = Api::new(&server).await;
    let before = client_count(&api).await;
    let send_raw = |body: Vec<u8>, content_type: &'static str| {
        let url = server.url("/api/v2/clients");
        let token = api.token.clone();
        async move {
            let response = http()
                .post(url)
                .bearer_auth(token)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let cases: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
        (
            b"{\"name\": ".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        (
            b"[1,2]".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "body",
        ),
        (
            br#"{"name":"x","colour":"red"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "colour",
        ),
        (
            br#"{"name":"x","callbacks":"https://a"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "callbacks",
        ),
        (
            br#"{"name":"x","callbacks":["javascript:alert(1)"]}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "callbacks[0]",
        ),
        (
            br#"{"name":"x","app_type":"mainframe"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "app_type",
        ),
        (
            br#"{"name":""}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            br#"{"description":"no name"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            br#"{"name":"x"}"#.to_vec(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
        ),
        (
            format!(r#"{{"name":"{}"}}"#, "x".repeat(300 * 1024)).into_bytes(),
            "application/json",
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger",
        ),
    ];
    for (body, content_type, expected, mentions) in cases {
        let (status, error) = send_raw(body, content_type).await;
        assert_eq!(status, expected, "{error}");
        assert_auth0_error(&error, expected);
        assert!(
            error["message"].as_str().unwrap().contains(mentions),
            "{mentions}: {error}"
        );
    }
    let (status, error) = api.get("/api/v2/clients?per_page=1000").await;
    assert_eq!(status, 400, "{error}");
    let (status, error) = api.get("/api/v2/clients?sneaky=1").await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["errorCode"], "invalid_query_string");
    let (status, _) = api.get("/api/v2/clients/does-not-exist").await;
    assert_eq!(status, 404);
    let (status, _) = api
        .patch("/api/v2/clients/does-not-exist", json!({"name": "x"}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(client_count(&api).await, before, "nothing was written");
}

#[tokio::test]
async fn management_api_checks_token_audience_and_scope() {
    let server = Server::start().await;
    let api = Api::new(&server).await;
    let anonymous = http()
        .get(server.url("/api/v2/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let garbage = http()
        .get(server.url("/api/v2/clients"))
        .bearer_auth("not.a.jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 401);

    // A token for another API is refused.
    api.post(
        "/api/v2/resource-servers",
        json!({"identifier": "urn:other", "scopes": [{"value": "read:clients"}]}),
    )
    .await;
    let (_, reader) = api
        .post(
            "/api/v2/clients",
            json!({"name": "Reader", "app_type": "non_interactive"}),
        )
        .await;
    let reader_id = reader["client_id"].as_str().unwrap();
    let reader_secret = reader["client_secret"].as_str().unwrap();
    api.post(
        "/api/v2/client-grants",
        json!({"client_id": reader_id, "audience": "urn:other", "scope": ["read:clients"]}),
    )
    .await;
    api.post(
        "/api/v2/client-grants",
        json!({"client_id": reader_id, "audience": server.management_audience(), "scope": ["read:clients"]}),
    )
    .await;
    let other_token = token_for(&server, reader_id, reader_secret, "urn:other", None).await;
    let response = http()
        .get(server.url("/api/v2/clients"))
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // A Management API token lacking a scope gets 403 naming it.
    let reader_token = token_for(
        &server,
        reader_id,
        reader_secret,
        &server.management_audience(),
        None,
    )
    .await;
    let read = http()
        .get(server.url("/api/v2/clients"))
        .bearer_auth(&reader_token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let write = http()
        .post(server.url("/api/v2/clients"))
        .bearer_auth(&reader_token)
        .json(&json!({"name": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 403);
    let body: Value = write.json().await.unwrap();
    assert_eq!(body["errorCode"], "insufficient_scope");
    assert!(body["message"].as_str().unwrap().contains("create:clients"));

    // A token whose signature does not verify is refused.
    let mut tampered = reader_token.clone();
    tampered.pop();
    tampered.push(if reader_token.ends_with('A') {
        'B'
    } else {
        'A'
    });
    let response = http()
        .get(server.url("/api/v2/clients"))
        .bearer_auth(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn key_rotation_keeps_issued_tokens_valid_until_revoked() {
    let server = Server::start().await;
    let api = Api::new(&server).await;
    let old_token = api.token.clone();
    let kid_of = |token: &str| -> String {
        use base64::Engine as _;
        let header = token.split('.').next().unwrap();
        let header: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header)
                .unwrap(),
        )
        .unwrap();
        header["kid"].as_str().unwrap().to_owned()
    };
    let old_kid = kid_of(&old_token);

    // The next keys are generated in the background after start; wait for them.
    let mut keys = Value::Null;
    for _ in 0..100 {
        let (status, listed) = api.get("/api/v2/keys/signing").await;
        assert_eq!(status, 200);
        keys = listed;
        if keys.as_array().unwrap().len() >= 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 6, "current and next for RS256, ES256, EdDSA");
    for key in keys {
        assert!(
            key["cert"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        assert!(key["fingerprint"].is_string() && key["thumbprint"].is_string());
    }
    let next_rs256 = keys
        .iter()
        .find(|k| k["next"] == true && k["alg"] == "RS256")
        .unwrap()["kid"]
        .clone();

    let (status, rotated) = api.post("/api/v2/keys/signing/rotate", json!({})).await;
    assert_eq!(status, 201, "{rotated}");
    assert_eq!(rotated["kid"], next_rs256, "the next key becomes current");

    let jwks: Value = http()
        .get(server.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()),
        "the previous key stays published"
    );
    assert_eq!(
        kids.len(),
        3,
        "previous, current and next RS256 keys; other algorithms only once a client or API uses them"
    );

    // Tokens signed before the rotation still work; new ones use the new key.
    assert_eq!(api.get("/api/v2/clients").await.0, 200);
    let new_token = management_token(&server).await;
    assert_eq!(kid_of(&new_token), next_rs256.as_str().unwrap());

    let (status, _) = api
        .call(
            Method::PUT,
            &format!("/api/v2/keys/signing/{old_kid}/revoke"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        api.get("/api/v2/clients").await.0,
        401,
        "a revoked key's tokens are refused"
    );
    let (status, _) = api
        .call(
            Method::PUT,
            &format!(
                "/api/v2/keys/signing/{}/revoke",
                next_rs256.as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, 401, "the old token can no longer do anything");
    let fresh = Api {
        server_url: server.addr(),
        host: None,
        token: new_token,
    };
    let (status, _) = fresh
        .call(
            Method::PUT,
            &format!(
                "/api/v2/keys/signing/{}/revoke",
                next_rs256.as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, 403, "the current key cannot be revoked");
}

#[tokio::test]
async fn openapi_document_describes_exactly_the_routes_that_exist() {
    let server = Server::start().await;
    let document: Value = http()
        .get(server.url("/api/v2/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    let mut operations = 0;
    for (path, item) in paths {
        let concrete = path.replace("{id}", "x").replace("{kid}", "x");
        for method in ["get", "post", "patch", "put", "delete"] {
            let documented = item.get(method).is_some();
            let response = http()
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    server.url(&concrete),
                )
                .send()
                .await
                .unwrap();
            if documented {
                operations += 1;
                assert_eq!(
                    response.status(),
                    401,
                    "{method} {path} is documented, so it must route (and need a token)"
                );
                let security = &item[method]["security"];
                assert!(security.is_array(), "{method} {path} names its scope");
            } else {
                assert!(
                    response.status() == 405 || response.status() == 404,
                    "{method} {path} is not documented, so it must not route: {}",
                    response.status()
                );
            }
        }
    }
    assert!(operations >= 20, "{operations} operations");
}

#[tokio::test]
async fn discovery_advertises_only_what_routes_and_health_endpoints_answer() {
    let server = Server::start().await;
    assert_eq!(
        http()
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http()
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let discovery: Value = http()
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], server.issuer());
    let local = |url: &str| url.replace(server.issuer().trim_end_matches('/'), &server.addr());
    let jwks = http()
        .get(local(discovery["jwks_uri"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);
    let token = http()
        .post(local(discovery["token_endpoint"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        token.status(),
        400,
        "the token endpoint exists and wants a request"
    );
    let algs = discovery["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(
        !algs.iter().any(|alg| alg == "none"),
        "alg none is never advertised"
    );
    let grants = discovery["grant_types_supported"].as_array().unwrap();
    assert!(grants.iter().any(|g| g == "client_credentials"));
}
