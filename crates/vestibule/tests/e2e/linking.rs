//! Account linking end to end: a database user and a GitHub user (the local
//! GitHub API of `upstream.rs`) linked through the Management API, then a
//! login through each linked connection, upstream tokens shown only with
//! `read:user_idp_tokens`, and unlinking.

use crate::harness::{http, token_for};
use crate::support::{App, DATABASE, PASSWORD, REDIRECT_A, Tenant, jwt_claims};
use crate::upstream::{fake_github, github_connection, github_login, users};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

async fn call(
    tenant: &Tenant,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http()
        .request(method, tenant.server.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A password-realm login; the token endpoint's answer.
async fn password_login(tenant: &Tenant, app: &App, email: &str) -> (StatusCode, Value) {
    let response = http()
        .post(tenant.server.url("/oauth/token"))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[
            ("grant_type", REALM),
            ("username", email),
            ("password", PASSWORD),
            ("realm", DATABASE),
            ("scope", "openid"),
        ])
        .send()
        .await
        .expect("token request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn identity_ids(identities: &Value) -> Vec<String> {
    identities
        .as_array()
        .unwrap_or_else(|| panic!("not identities: {identities}"))
        .iter()
        .map(|i| {
            format!(
                "{}|{}",
                i["provider"].as_str().unwrap(),
                i["user_id"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn linked_identities_log_in_as_the_primary_and_unlink_back() {
    let (gh, _state) = fake_github().await;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    tenant.database(&[&app]).await;
    github_connection(&tenant, &app, &gh, "on_each_login").await;
    let token = tenant.token.clone();

    let primary = tenant
        .management(
            Method::POST,
            "/api/v2/users",
            json!({"connection": DATABASE, "email": "ada@example.com", "password": PASSWORD}),
        )
        .await;
    let primary_id = primary["user_id"].as_str().unwrap().to_owned();
    assert_eq!(
        github_login(&tenant, &app, &gh).await["sub"],
        "github|583231"
    );

    // Refused links.
    let identities = format!("/api/v2/users/{primary_id}/identities");
    let (local_provider, local_id) = primary_id.split_once('|').unwrap();
    for body in [
        json!({"provider": local_provider, "user_id": local_id}),
        json!({"provider": "github", "user_id": "999"}),
        json!({"provider": "github"}),
        json!({"provider": "github", "user_id": "583231", "link_with": "x.y.z"}),
        json!({"link_with": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJnaXRodWJ8NTgzMjMxIiwiYXVkIjoieCJ9.c2ln"}),
        json!({"provider": "github", "user_id": "583231", "connection_id": "con_other"}),
    ] {
        let (status, answer) = call(
            &tenant,
            &token,
            Method::POST,
            &identities,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    let (status, _) = call(
        &tenant,
        &token,
        Method::POST,
        "/api/v2/users/auth0|nobody/identities",
        Some(json!({"provider": "github", "user_id": "583231"})),
    )
    .await;
    assert_eq!(status, 404);
    // Linking needs update:users.
    let reader = token_for(
        &tenant.server,
        crate::harness::BOOTSTRAP_ID,
        crate::harness::BOOTSTRAP_SECRET,
        &tenant.server.management_audience(),
        Some("read:users"),
    )
    .await;
    let (status, _) = call(
        &tenant,
        &reader,
        Method::POST,
        &identities,
        Some(json!({"provider": "github", "user_id": "583231"})),
    )
    .await;
    assert_eq!(status, 403);

    // Link: Auth0's answer is the primary's identities.
    let (status, linked) = call(
        &tenant,
        &token,
        Method::POST,
        &identities,
        Some(json!({"provider": "github", "user_id": "583231"})),
    )
    .await;
    assert_eq!(status, 201, "{linked}");
    assert_eq!(
        identity_ids(&linked),
        [primary_id.clone(), "github|583231".to_owned()]
    );
    assert_eq!(linked[1]["profileData"]["login"], "octocat", "{linked}");
    assert!(linked[1].get("access_token").is_none(), "{linked}");
    let (status, _) = call(
        &tenant,
        &token,
        Method::GET,
        "/api/v2/users/github|583231",
        None,
    )
    .await;
    assert_eq!(status, 404, "a linked user is part of its primary");
    let (_, all) = call(&tenant, &token, Method::GET, "/api/v2/users", None).await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");

    // Logging in through either connection is the primary.
    assert_eq!(
        github_login(&tenant, &app, &gh).await["sub"],
        primary_id.as_str()
    );
    let (status, tokens) = password_login(&tenant, &app, "ada@example.com").await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        jwt_claims(tokens["id_token"].as_str().unwrap())["sub"],
        primary_id.as_str()
    );

    // Upstream tokens: only with read:user_idp_tokens, unsealed.
    let path = format!("/api/v2/users/{primary_id}");
    let (_, shown) = call(&tenant, &token, Method::GET, &path, None).await;
    let access = shown["identities"][1]["access_token"]
        .as_str()
        .unwrap_or_default();
    assert!(access.starts_with("gho_"), "{shown}");
    let (status, hidden) = call(&tenant, &reader, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{hidden}");
    assert!(
        hidden["identities"][1].get("access_token").is_none(),
        "{hidden}"
    );
    assert!(!hidden.to_string().contains("gho_"), "{hidden}");

    // Unlink: the main identity cannot go; the other becomes its own user.
    let (status, _) = call(
        &tenant,
        &token,
        Method::DELETE,
        &format!("{identities}/{local_provider}/{local_id}"),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &tenant,
        &token,
        Method::DELETE,
        &format!("{identities}/github/1"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, left) = call(
        &tenant,
        &token,
        Method::DELETE,
        &format!("{identities}/github/583231"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{left}");
    assert_eq!(identity_ids(&left), std::slice::from_ref(&primary_id));
    let (status, restored) = call(
        &tenant,
        &token,
        Method::GET,
        "/api/v2/users/github|583231",
        None,
    )
    .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(identity_ids(&restored["identities"]), ["github|583231"]);
    assert_eq!(
        github_login(&tenant, &app, &gh).await["sub"],
        "github|583231"
    );
    let (_, tokens) = password_login(&tenant, &app, "ada@example.com").await;
    assert_eq!(
        jwt_claims(tokens["id_token"].as_str().unwrap())["sub"],
        primary_id.as_str()
    );
    assert_eq!(users(&tenant, "github|").await.len(), 1);
}

#[tokio::test]
async fn link_with_takes_the_secondary_users_id_token() {
    let (gh, _state) = fake_github().await;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    tenant.database(&[&app]).await;
    github_connection(&tenant, &app, &gh, "on_each_login").await;
    github_login(&tenant, &app, &gh).await;
    let secondary = tenant
        .management(
            Method::POST,
            "/api/v2/users",
            json!({"connection": DATABASE, "email": "octo@example.com", "password": PASSWORD}),
        )
        .await;
    let secondary_id = secondary["user_id"].as_str().unwrap().to_owned();
    let (status, tokens) = password_login(&tenant, &app, "octo@example.com").await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();

    // An access token is not an ID token.
    let access_token = tokens["access_token"].as_str().unwrap_or("x.y.z");
    let path = "/api/v2/users/github|583231/identities";
    let (status, _) = call(
        &tenant,
        &tenant.token,
        Method::POST,
        path,
        Some(json!({"link_with": access_token})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, linked) = call(
        &tenant,
        &tenant.token,
        Method::POST,
        path,
        Some(json!({"link_with": id_token})),
    )
    .await;
    assert_eq!(status, 201, "{linked}");
    assert_eq!(
        identity_ids(&linked),
        ["github|583231".to_owned(), secondary_id]
    );
    // The database user's password now logs in the GitHub user.
    let (status, tokens) = password_login(&tenant, &app, "octo@example.com").await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        jwt_claims(tokens["id_token"].as_str().unwrap())["sub"],
        "github|583231"
    );
}
