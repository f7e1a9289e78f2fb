//! The users Management API, password policy errors and brute-force
//! protection, over HTTP, in process.

use crate::support::{Server, http, management_token, token_for};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const DB: &str = "Username-Password-Authentication";
const PASSWORD: &str = "Corr3ct-Horse-Battery";
const REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

struct Api {
    server: Server,
    token: String,
}

impl Api {
    async fn start() -> Self {
        let server = Server::start().await;
        let token = management_token(&server).await;
        Self { server, token }
    }

    async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = http()
            .request(method, self.server.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_as(&self.token, method, path, body).await
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

    /// A database connection with these options, enabled for a new client
    /// that may use the password-realm grant; returns (connection id, client id, secret).
    async fn database(&self, options: Value) -> (String, String, String) {
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
                json!({"name": DB, "strategy": "auth0", "options": options, "enabled_clients": [client_id]}),
            )
            .await;
        assert_eq!(status, 201, "{connection}");
        (
            connection["id"].as_str().unwrap().to_owned(),
            client_id,
            client["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    async fn create_user(&self, email: &str, extra: Value) -> Value {
        let mut body = json!({"connection": DB, "email": email, "password": PASSWORD});
        if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
            body.extend(extra);
        }
        let (status, user) = self.post("/api/v2/users", body).await;
        assert_eq!(status, 201, "{user}");
        user
    }

    async fn realm_login(
        &self,
        client: &(String, String),
        username: &str,
        password: &str,
    ) -> (StatusCode, Value) {
        let response = http()
            .post(self.server.url("/oauth/token"))
            .form(&[
                ("grant_type", REALM),
                ("client_id", client.0.as_str()),
                ("client_secret", client.1.as_str()),
                ("username", username),
                ("password", password),
                ("realm", DB),
                ("scope", "openid"),
            ])
            .send()
            .await
            .expect("token request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn assert_error(status: StatusCode, body: &Value, expected: u16, code: &str) {
    assert_eq!(status.as_u16(), expected, "{body}");
    assert_eq!(body["statusCode"], expected, "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
    assert!(body["message"].is_string(), "{body}");
}

fn ids(body: &Value) -> Vec<String> {
    let list = body.get("users").unwrap_or(body);
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {body}"))
        .iter()
        .map(|u| u["email"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn users_crud_with_auth0_shapes_and_metadata_merge() {
    let api = Api::start().await;
    let (_, client_id, secret) = api.database(json!({"passwordPolicy": "good"})).await;

    let user = api
        .create_user(
            "Ada@Example.com",
            json!({"email_verified": true, "name": "Ada Lovelace",
                   "user_metadata": {"theme": "dark", "lang": "en"}, "app_metadata": {"plan": "gold"}}),
        )
        .await;
    let id = user["user_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("auth0|"), "{user}");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["identities"][0]["connection"], DB);
    assert_eq!(user["identities"][0]["provider"], "auth0");
    assert_eq!(user["identities"][0]["isSocial"], false);
    assert_eq!(
        format!(
            "auth0|{}",
            user["identities"][0]["user_id"].as_str().unwrap()
        ),
        id
    );
    assert_eq!(user["logins_count"], 0);
    assert!(
        user["created_at"].as_str().unwrap().ends_with('Z'),
        "{user}"
    );
    let text = user.to_string();
    assert!(
        !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );

    // Bad input.
    let (status, body) = api
        .post(
            "/api/v2/users",
            json!({"email": "x@example.com", "password": PASSWORD}),
        )
        .await;
    assert_error(status, &body, 400, "invalid_body");
    let (status, body) = api
        .post(
            "/api/v2/users",
            json!({"connection": DB, "email": "ada@example.com", "password": PASSWORD}),
        )
        .await;
    assert_error(status, &body, 409, "auth0_idp_error");
    assert_eq!(body["message"], "The user already exists.");
    let (status, body) = api
        .post(
            "/api/v2/users",
            json!({"connection": DB, "email": "w@example.com", "password": "weak"}),
        )
        .await;
    assert_error(status, &body, 400, "invalid_password");
    assert_eq!(
        body["message"],
        "PasswordStrengthError: Password is too weak"
    );
    let (status, body) = api.post("/api/v2/users", json!({"connection": DB, "email": "u@example.com", "password": PASSWORD, "password_hash": "x"})).await;
    assert_error(status, &body, 400, "invalid_body");
    let (status, body) = api
        .post(
            "/api/v2/users",
            json!({"connection": "nope", "email": "u@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 404, "{body}");

    // Read, with fields.
    let path = format!("/api/v2/users/{}", urlencoding(&id));
    let (status, fetched) = api.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(fetched["email"], "Ada@Example.com");
    let (_, some) = api.get(&format!("{path}?fields=email,user_id")).await;
    assert_eq!(some, json!({"email": "Ada@Example.com", "user_id": id}));

    // Metadata merges at the top level; null removes a key; {} clears.
    let (status, patched) = api
        .patch(&path, json!({"user_metadata": {"lang": null, "tz": "UTC"}, "app_metadata": {"roles": ["admin"]}}))
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        patched["user_metadata"],
        json!({"theme": "dark", "tz": "UTC"})
    );
    assert_eq!(
        patched["app_metadata"],
        json!({"plan": "gold", "roles": ["admin"]})
    );
    let (_, cleared) = api.patch(&path, json!({"user_metadata": {}})).await;
    assert_eq!(cleared["user_metadata"], json!({}));
    assert_eq!(
        cleared["app_metadata"],
        json!({"plan": "gold", "roles": ["admin"]})
    );

    // A new email is unverified unless said otherwise; null unsets a name.
    let (_, moved) = api
        .patch(&path, json!({"email": "ada@lovelace.org", "name": null}))
        .await;
    assert_eq!(moved["email"], "ada@lovelace.org");
    assert_eq!(moved["email_verified"], false);
    assert!(moved.get("name").is_none(), "{moved}");
    let (_, verified) = api
        .patch(
            &path,
            json!({"email": "ada@math.org", "email_verified": true}),
        )
        .await;
    assert_eq!(verified["email_verified"], true);
    let (status, body) = api
        .patch(
            &path,
            json!({"connection": "other-db", "password": "N3w-Horse-Battery"}),
        )
        .await;
    assert_error(status, &body, 400, "invalid_body");
    let (status, body) = api.patch(&path, json!({"user_id": "auth0|x"})).await;
    assert_error(status, &body, 400, "invalid_body");

    // A password change takes effect at login.
    let (status, _) = api
        .patch(
            &path,
            json!({"connection": DB, "password": "N3w-Horse-Battery"}),
        )
        .await;
    assert_eq!(status, 200);
    let client = (client_id, secret);
    assert_eq!(
        api.realm_login(&client, "ada@math.org", PASSWORD).await.0,
        400
    );
    let (status, tokens) = api
        .realm_login(&client, "ada@math.org", "N3w-Horse-Battery")
        .await;
    assert_eq!(status, 200, "{tokens}");
    let (_, after) = api.get(&path).await;
    assert_eq!(after["logins_count"], 1);
    assert!(after["last_login"].is_string());

    // Blocked users cannot log in.
    api.patch(&path, json!({"blocked": true})).await;
    assert_eq!(
        api.realm_login(&client, "ada@math.org", "N3w-Horse-Battery")
            .await
            .0,
        400
    );

    let (status, _) = api.delete(&path).await;
    assert_eq!(status, 204);
    let (status, body) = api.get(&path).await;
    assert_error(status, &body, 404, "inexistent_user");
    let (status, body) = api.delete(&path).await;
    assert_error(status, &body, 404, "inexistent_user");
}

fn urlencoding(value: &str) -> String {
    value.replace('|', "%7C")
}

#[tokio::test]
async fn search_paging_sorting_by_email_and_delete_by_email() {
    let api = Api::start().await;
    let (connection_id, client_id, secret) = api.database(json!({})).await;
    for (email, name) in [
        ("ann@example.com", "Ann Archer"),
        ("anna@example.com", "Anna Bell"),
        ("bob@example.org", "Bob Stone"),
        ("carl@example.net", "Carl Ray"),
        ("x'or1=1--@example.com", "Robert'); DROP TABLE users;--"),
    ] {
        api.create_user(email, json!({"name": name})).await;
    }
    let client = (client_id, secret);
    for _ in 0..3 {
        assert_eq!(
            api.realm_login(&client, "bob@example.org", PASSWORD)
                .await
                .0,
            200
        );
    }
    assert_eq!(
        api.realm_login(&client, "carl@example.net", PASSWORD)
            .await
            .0,
        200
    );

    let search = |q: &str| format!("/api/v2/users?q={}&sort=email:1", form(q));
    let cases: &[(&str, &[&str])] = &[
        (r#"email:"ANN@example.com""#, &["ann@example.com"]),
        ("email:ann*", &["ann@example.com", "anna@example.com"]),
        ("name:bob*", &["bob@example.org"]),
        (
            "logins_count:[1 TO 10]",
            &["bob@example.org", "carl@example.net"],
        ),
        ("logins_count:{1 TO *]", &["bob@example.org"]),
        ("last_login:*", &["bob@example.org", "carl@example.net"]),
        (
            "created_at:[2000-01-01 TO *] AND NOT email:ann*",
            &[
                "bob@example.org",
                "carl@example.net",
                "x'or1=1--@example.com",
            ],
        ),
        (
            r#"(email:bob* OR email:carl*) AND identities.connection:"Username-Password-Authentication""#,
            &["bob@example.org", "carl@example.net"],
        ),
        ("identities.connection:other", &[]),
        (r#"email:"x' OR 1=1 --""#, &[]),
        (
            r#"email:"x'or1=1--@example.com""#,
            &["x'or1=1--@example.com"],
        ),
        (
            r#"name:"Robert'); DROP TABLE users;--""#,
            &["x'or1=1--@example.com"],
        ),
        ("email:%25*", &[]),
    ];
    for (q, expected) in cases {
        let (status, body) = api.get(&search(q)).await;
        assert_eq!(status, 200, "{q}: {body}");
        assert_eq!(ids(&body), *expected, "{q}");
    }
    for bad in [
        "ann",
        "email:",
        "email:\"open",
        "(email:a",
        "password:x",
        "logins_count:lots",
        "user_id:ab*",
        "email:a OR",
    ] {
        let (status, body) = api.get(&search(bad)).await;
        assert_error(status, &body, 400, "invalid_query_string");
    }
    let (status, body) = api.get("/api/v2/users?sort=password:1").await;
    assert_error(status, &body, 400, "invalid_query_string");
    let (status, body) = api.get("/api/v2/users?page=20&per_page=50").await;
    assert_error(status, &body, 400, "invalid_query_string");
    let (status, everyone) = api.get("/api/v2/users").await;
    assert_eq!(status, 200);
    assert_eq!(
        everyone.as_array().unwrap().len(),
        5,
        "the table survived: {everyone}"
    );

    // Paging, totals and sorting.
    let (_, page) = api
        .get("/api/v2/users?sort=logins_count:-1&per_page=2&page=0&include_totals=true")
        .await;
    assert_eq!(ids(&page), ["bob@example.org", "carl@example.net"]);
    assert_eq!(
        (
            page["start"].clone(),
            page["limit"].clone(),
            page["length"].clone(),
            page["total"].clone()
        ),
        (json!(0), json!(2), json!(2), json!(5))
    );
    let (_, page) = api
        .get("/api/v2/users?sort=email:-1&per_page=2&page=2&include_totals=true")
        .await;
    assert_eq!(ids(&page), ["ann@example.com"]);
    assert_eq!(page["length"], 1);
    let (_, last) = api
        .get("/api/v2/users?sort=last_login:-1&fields=email&per_page=3")
        .await;
    assert_eq!(last[0], json!({"email": "carl@example.net"}));

    // users-by-email, exact but for case.
    let (status, found) = api
        .get("/api/v2/users-by-email?email=ANN@EXAMPLE.COM")
        .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&found), ["ann@example.com"]);
    let (_, none) = api.get("/api/v2/users-by-email?email=ann*").await;
    assert_eq!(none, json!([]));
    let (status, body) = api.get("/api/v2/users-by-email").await;
    assert_error(status, &body, 400, "invalid_query_string");

    // Delete by email within a connection.
    let path = format!("/api/v2/connections/{connection_id}/users?email=Anna@Example.com");
    let (status, _) = api.delete(&path).await;
    assert_eq!(status, 204);
    let (_, gone) = api
        .get("/api/v2/users-by-email?email=anna@example.com")
        .await;
    assert_eq!(gone, json!([]));
    let (status, _) = api
        .delete("/api/v2/connections/con_nope/users?email=a@b.co")
        .await;
    assert_eq!(status, 404);
}

fn form(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn password_policy_errors_follow_auth0() {
    let api = Api::start().await;
    let (_, client_id, _) = api
        .database(json!({
            "passwordPolicy": "low",
            "password_history": {"enable": true, "size": 3},
            "password_dictionary": {"enable": true, "dictionary": ["Vestibule-Rocks"]},
            "password_no_personal_info": {"enable": true}
        }))
        .await;
    let create = |email: &str, password: &str| json!({"connection": DB, "email": email, "password": password});
    for (password, message) in [
        ("abc", "PasswordStrengthError: Password is too weak"),
        (
            "password123",
            "PasswordDictionaryError: Password is too common",
        ),
        (
            "vestibule-rocks",
            "PasswordDictionaryError: Password is too common",
        ),
        (
            "my-grace.hopper-pw",
            "PasswordNoUserInfoError: Password is based on user information",
        ),
    ] {
        let (status, body) = api
            .post(
                "/api/v2/users",
                create("grace.hopper@example.com", password),
            )
            .await;
        assert_error(status, &body, 400, "invalid_password");
        assert_eq!(body["message"], message, "{password}");
    }
    let user = api.create_user("grace.hopper@example.com", json!({})).await;
    let path = format!(
        "/api/v2/users/{}",
        urlencoding(user["user_id"].as_str().unwrap())
    );
    // The current password and the two before it are remembered (size 3).
    let history = "PasswordHistoryError: Password has previously been used";
    let (status, body) = api.patch(&path, json!({"password": PASSWORD})).await;
    assert_error(status, &body, 400, "invalid_password");
    assert_eq!(body["message"], history);
    for next in ["Second-Horse-1", "Third-Horse-22"] {
        let (status, body) = api.patch(&path, json!({"password": next})).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = api.patch(&path, json!({"password": PASSWORD})).await;
    assert_eq!(body["message"], history, "{status}");
    let (status, body) = api
        .patch(&path, json!({"password": "Fourth-Horse-333"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = api.patch(&path, json!({"password": PASSWORD})).await;
    assert_eq!(
        status, 200,
        "three changes later the first password is forgotten: {body}"
    );

    // The same rules at /dbconnections/signup, with Auth0's names.
    let response = http()
        .post(api.server.url("/dbconnections/signup"))
        .json(&json!({"client_id": client_id, "connection": DB, "email": "new@example.com", "password": "iloveyou"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_password", "{body}");
    assert_eq!(body["name"], "PasswordDictionaryError", "{body}");
}

#[tokio::test]
async fn brute_force_blocks_the_pair_alike_for_unknown_users_until_an_admin_unblocks() {
    let api = Api::start().await;
    let (_, client_id, secret) = api.database(json!({})).await;
    let user = api.create_user("eve@example.com", json!({})).await;
    let id = urlencoding(user["user_id"].as_str().unwrap());
    let client = (client_id, secret);

    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..10 {
        known.push(
            api.realm_login(&client, "eve@example.com", "Wr0ng-Horse-Battery")
                .await,
        );
        unknown.push(
            api.realm_login(&client, "nobody@example.com", "Wr0ng-Horse-Battery")
                .await,
        );
    }
    // The right password no longer helps from this IP; the unknown
    // identifier gets the very same answers.
    known.push(api.realm_login(&client, "eve@example.com", PASSWORD).await);
    unknown.push(
        api.realm_login(&client, "nobody@example.com", PASSWORD)
            .await,
    );
    assert_eq!(known, unknown);
    assert_eq!(known[9].0, 400, "{}", known[9].1);
    assert_eq!(known[9].1["error"], "invalid_grant");
    assert_eq!(known[10].0, 429, "{}", known[10].1);
    assert_eq!(known[10].1["error"], "too_many_attempts");

    let (status, blocks) = api.get(&format!("/api/v2/user-blocks/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        blocks["blocked_for"][0]["identifier"], "eve@example.com",
        "{blocks}"
    );
    assert_eq!(blocks["blocked_for"][0]["ip"], "127.0.0.1", "{blocks}");
    let (_, by_identifier) = api
        .get("/api/v2/user-blocks?identifier=nobody@example.com")
        .await;
    assert_eq!(
        by_identifier["blocked_for"].as_array().unwrap().len(),
        1,
        "{by_identifier}"
    );

    let (status, _) = api.delete(&format!("/api/v2/user-blocks/{id}")).await;
    assert_eq!(status, 204);
    let (_, blocks) = api.get(&format!("/api/v2/user-blocks/{id}")).await;
    assert_eq!(blocks, json!({"blocked_for": []}));
    assert_eq!(
        api.realm_login(&client, "eve@example.com", PASSWORD)
            .await
            .0,
        200
    );
    let (status, _) = api
        .delete("/api/v2/user-blocks?identifier=nobody@example.com")
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        api.realm_login(&client, "nobody@example.com", PASSWORD)
            .await
            .0,
        400
    );
    let (status, _) = api.get("/api/v2/user-blocks/auth0%7Cnope").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn users_scopes_are_enforced() {
    let api = Api::start().await;
    api.database(json!({})).await;
    let user = api.create_user("sam@example.com", json!({})).await;
    let path = format!(
        "/api/v2/users/{}",
        urlencoding(user["user_id"].as_str().unwrap())
    );
    let (status, machine) = api
        .post("/api/v2/clients", json!({"name": "M2M", "app_type": "non_interactive", "grant_types": ["client_credentials"]}))
        .await;
    assert_eq!(status, 201, "{machine}");
    let machine_id = machine["client_id"].as_str().unwrap();
    let audience = api.server.management_audience();
    let (status, grant) = api
        .post("/api/v2/client-grants", json!({"client_id": machine_id, "audience": audience, "scope": ["read:users", "update:users_app_metadata"]}))
        .await;
    assert_eq!(status, 201, "{grant}");
    let token = token_for(
        &api.server,
        machine_id,
        machine["client_secret"].as_str().unwrap(),
        &audience,
        None,
    )
    .await;

    let (status, _) = api.call_as(&token, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    let (status, _) = api
        .call_as(&token, Method::GET, "/api/v2/users?q=email:sam*", None)
        .await;
    assert_eq!(status, 200);
    let (status, body) = api
        .call_as(
            &token,
            Method::PATCH,
            &path,
            Some(json!({"app_metadata": {"tier": 2}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for (method, target, body) in [
        (
            Method::PATCH,
            path.as_str(),
            Some(json!({"email": "new@example.com"})),
        ),
        (
            Method::POST,
            "/api/v2/users",
            Some(json!({"connection": DB, "email": "z@example.com", "password": PASSWORD})),
        ),
        (Method::DELETE, path.as_str(), None),
        (
            Method::DELETE,
            "/api/v2/user-blocks?identifier=sam@example.com",
            None,
        ),
    ] {
        let (status, answer) = api.call_as(&token, method.clone(), target, body).await;
        assert_error(status, &answer, 403, "insufficient_scope");
    }
    let (status, _) = api.call_as("not-a-token", Method::GET, &path, None).await;
    assert_eq!(status, 401);
}
