//! Tenant logs of logins, signups and token exchanges, with Auth0's type
//! codes (`s`, `fp`, `fu`, `ss`, `fs`, `seacft`, `feacft`, `sertft`,
//! `ferrt`, `seccft`, `feccft`, `sepft`), as support staff read them in
//! `GET /api/v2/logs`; and the password grant saying what is true of a
//! connection that takes no passwords.

use crate::harness::http;
use crate::support::{Browser, DATABASE, PASSWORD, REDIRECT_A, Tenant, authorize, query_param};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

/// The events of the tenant, oldest first.
async fn events(tenant: &Tenant) -> Vec<Value> {
    tenant
        .management(
            Method::GET,
            "/api/v2/logs?per_page=100&sort=date:1",
            Value::Null,
        )
        .await
        .as_array()
        .cloned()
        .expect("logs array")
}

/// The newest event of this type; panics with the whole log when none.
async fn latest(tenant: &Tenant, event_type: &str) -> Value {
    let all = events(tenant).await;
    all.iter()
        .rev()
        .find(|e| e["type"] == event_type)
        .cloned()
        .unwrap_or_else(|| panic!("no {event_type} event in {all:#?}"))
}

async fn count(tenant: &Tenant, event_type: &str) -> usize {
    events(tenant)
        .await
        .iter()
        .filter(|e| e["type"] == event_type)
        .count()
}

async fn password_realm(
    tenant: &Tenant,
    client: (&str, &str),
    user: &str,
    password: &str,
    realm: &str,
) -> (StatusCode, Value) {
    let response = http()
        .post(tenant.server.url("/oauth/token"))
        .form(&[
            ("grant_type", REALM),
            ("client_id", client.0),
            ("client_secret", client.1),
            ("username", user),
            ("password", password),
            ("realm", realm),
            ("scope", "openid offline_access"),
        ])
        .send()
        .await
        .expect("token");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn logins_signups_and_exchanges_are_logged_with_auth0_codes() {
    let tenant = Tenant::start().await;
    let app = tenant
        .client("Logged App", REDIRECT_A, "client_secret_post")
        .await;
    tenant.database(&[&app]).await;
    let client = (app.id.as_str(), app.secret.as_str());
    let email = "logged@example.com";

    // Signup, and a second signup of the same address.
    for expected in [200, 400] {
        let response = http()
            .post(tenant.server.url("/dbconnections/signup"))
            .json(&json!({"client_id": app.id, "email": email, "password": PASSWORD, "connection": DATABASE}))
            .send()
            .await
            .expect("signup");
        assert_eq!(response.status(), expected);
    }
    let signup = latest(&tenant, "ss").await;
    assert_eq!(signup["client_id"], app.id.as_str());
    assert_eq!(signup["connection"], DATABASE);
    assert_eq!(signup["user_name"], email);
    assert!(
        signup["user_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("auth0|")),
        "{signup}"
    );
    let failed = latest(&tenant, "fs").await;
    assert_eq!(failed["user_name"], email);
    let user_id = signup["user_id"].as_str().unwrap().to_owned();

    // Password grant: wrong password (a known user), unknown user, success.
    let (status, _) = password_realm(&tenant, client, email, "Wrong-Password-1", DATABASE).await;
    assert_eq!(status, 400);
    let fp = latest(&tenant, "fp").await;
    assert_eq!(fp["user_id"], user_id.as_str());
    assert_eq!(fp["connection"], DATABASE);
    let (status, _) = password_realm(
        &tenant,
        client,
        "nobody@example.com",
        "Wrong-Password-1",
        DATABASE,
    )
    .await;
    assert_eq!(status, 400);
    let fu = latest(&tenant, "fu").await;
    assert_eq!(fu["user_name"], "nobody@example.com");
    assert!(fu.get("user_id").is_none(), "{fu}");
    // Refused credentials are logins, not failed exchanges.
    assert_eq!(count(&tenant, "fepft").await, 0);
    let (status, tokens) = password_realm(&tenant, client, email, PASSWORD, DATABASE).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(latest(&tenant, "s").await["user_id"], user_id.as_str());
    assert_eq!(latest(&tenant, "sepft").await["client_id"], app.id.as_str());

    // Refresh, and a refresh with a token that does not exist.
    for (token, status) in [
        (tokens["refresh_token"].as_str().unwrap(), 200),
        ("not-a-token", 400),
    ] {
        let response = http()
            .post(tenant.server.url("/oauth/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", client.0),
                ("client_secret", client.1),
                ("refresh_token", token),
            ])
            .send()
            .await
            .expect("refresh");
        assert_eq!(response.status(), status);
    }
    assert_eq!(count(&tenant, "sertft").await, 1);
    assert_eq!(count(&tenant, "ferrt").await, 1);

    // The hosted login page, then the code exchange and its replay.
    let logins_before = count(&tenant, "s").await;
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[]);
    let (status, url, html) = browser.navigate(&request.url).await.page();
    assert_eq!(status, 200, "{html}");
    let response = browser.post_login(&url, &html, email, PASSWORD, &[]).await;
    let callback = browser.follow(response).await.away();
    assert_eq!(count(&tenant, "s").await, logins_before + 1);
    let code = query_param(&callback, "code").expect("code");
    // The exchange, then its replay.
    for expected in [200, 400] {
        let response = http()
            .post(tenant.server.url("/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", client.0),
                ("client_secret", client.1),
                ("code", &code),
                ("redirect_uri", REDIRECT_A),
                ("code_verifier", &request.verifier),
            ])
            .send()
            .await
            .expect("exchange");
        assert_eq!(response.status(), expected);
    }
    assert_eq!(count(&tenant, "seacft").await, 1);
    let replay = latest(&tenant, "feacft").await;
    assert_eq!(replay["client_id"], app.id.as_str());
    assert!(
        replay["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{replay}"
    );

    // A wrong password on the hosted page is logged as well.
    let browser = Browser::new(&tenant);
    let request = authorize(&tenant, &app, &[]);
    let (_, url, html) = browser.navigate(&request.url).await.page();
    let fp_before = count(&tenant, "fp").await;
    browser
        .post_login(&url, &html, email, "Wrong-Password-2", &[])
        .await;
    assert_eq!(count(&tenant, "fp").await, fp_before + 1);

    // Client credentials: granted, and refused for an unknown API.
    let management = tenant.server.management_audience();
    for (audience, status) in [
        (management.as_str(), 200),
        ("https://no-such-api.example/", 403),
    ] {
        let response = http()
            .post(tenant.server.url("/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", crate::harness::BOOTSTRAP_ID),
                ("client_secret", crate::harness::BOOTSTRAP_SECRET),
                ("audience", audience),
            ])
            .send()
            .await
            .expect("client credentials");
        assert_eq!(response.status(), status);
    }
    assert!(count(&tenant, "seccft").await >= 1);
    assert_eq!(count(&tenant, "feccft").await, 1);
}

#[tokio::test]
async fn password_realm_names_a_connection_that_takes_no_passwords() {
    let tenant = Tenant::start().await;
    let app = tenant
        .client("Realm App", REDIRECT_A, "client_secret_post")
        .await;
    tenant.database(&[&app]).await;
    tenant
        .connection(json!({
            "name": "github", "strategy": "github", "enabled_clients": [app.id],
            "options": {"client_id": "gh-client", "client_secret": "gh-secret"},
        }))
        .await;
    let client = (app.id.as_str(), app.secret.as_str());
    let (status, body) = password_realm(&tenant, client, "a@example.com", PASSWORD, "github").await;
    assert_eq!(status, 400, "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(description.contains("does not take passwords"), "{body}");
    let (status, body) =
        password_realm(&tenant, client, "a@example.com", PASSWORD, "nowhere").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("not enabled"),
        "{body}"
    );
}

/// `GET /api/v2/logs` with a query: status, `Link` header, JSON body.
async fn logs_get(tenant: &Tenant, query: &[(&str, &str)]) -> (StatusCode, Option<String>, Value) {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let response = http()
        .get(tenant.server.url(&format!("/api/v2/logs?{query}")))
        .bearer_auth(&tenant.token)
        .send()
        .await
        .expect("logs");
    let status = response.status();
    let link = response
        .headers()
        .get("link")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, link, response.json().await.unwrap_or(Value::Null))
}

fn field_of(events: &Value, name: &str) -> Vec<String> {
    events
        .as_array()
        .expect("logs array")
        .iter()
        .map(|e| e[name].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn logs_are_searched_read_from_checkpoints_and_trimmed() {
    let tenant = Tenant::start().await;
    let app = tenant
        .client("Searched App", REDIRECT_A, "client_secret_post")
        .await;
    tenant.database(&[&app]).await;
    let client = (app.id.as_str(), app.secret.as_str());
    let mut user_ids = Vec::new();
    for email in ["ann@example.com", "bob@example.com"] {
        let response = http()
            .post(tenant.server.url("/dbconnections/signup"))
            .json(&json!({"client_id": app.id, "email": email, "password": PASSWORD, "connection": DATABASE}))
            .send()
            .await
            .expect("signup");
        assert_eq!(response.status(), 200);
        let (status, _) = password_realm(&tenant, client, email, PASSWORD, DATABASE).await;
        assert_eq!(status, 200);
        let _ = password_realm(&tenant, client, email, "Wrong-Password-1", DATABASE).await;
        user_ids.push(
            latest(&tenant, "ss").await["user_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let _ = password_realm(&tenant, client, "nobody@example.com", "x", DATABASE).await;
    let all = events(&tenant).await;

    // Field terms, exact values, AND / OR / parentheses.
    let (status, _, found) = logs_get(&tenant, &[("q", "type:fp")]).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(field_of(&found, "type"), ["fp", "fp"]);
    let ann = format!(r#"type:s AND user_id:"{}""#, user_ids[0]);
    let (_, _, found) = logs_get(&tenant, &[("q", &ann)]).await;
    assert_eq!(field_of(&found, "user_id"), [user_ids[0].as_str()]);
    let (_, _, found) = logs_get(
        &tenant,
        &[(
            "q",
            "(type:fp OR type:fu) AND connection:Username-Password-Authentication",
        )],
    )
    .await;
    let mut kinds = field_of(&found, "type");
    kinds.sort();
    assert_eq!(kinds, ["fp", "fp", "fu"]);
    let (_, _, found) = logs_get(
        &tenant,
        &[("q", "user_name:\"bob@example.com\" AND type:ss")],
    )
    .await;
    assert_eq!(field_of(&found, "user_id"), [user_ids[1].as_str()]);
    let by_client = format!("client_id:{} AND ip:\"127.0.0.1\"", app.id);
    let (_, _, found) = logs_get(&tenant, &[("q", &by_client), ("include_totals", "true")]).await;
    let expected = all
        .iter()
        .filter(|e| e["client_id"] == app.id.as_str() && e["ip"] == "127.0.0.1")
        .count();
    assert!(expected >= 4, "{all:#?}");
    assert_eq!(found["total"], expected, "{found}");
    // Dates: the day of an event, open ranges.
    let day = &all[0]["date"].as_str().unwrap()[..10];
    let (_, _, found) = logs_get(
        &tenant,
        &[("q", &format!("date:[{day} TO *]")), ("per_page", "100")],
    )
    .await;
    assert_eq!(found.as_array().unwrap().len(), all.len());
    let (_, _, found) = logs_get(&tenant, &[("q", "date:[* TO 2000-01-01]")]).await;
    assert_eq!(found, json!([]));
    // Anything else is Auth0's 400.
    for bad in [
        "description:login",
        "type:f*",
        "type:s AND",
        "user_id:[a TO b]",
    ] {
        let (status, _, body) = logs_get(&tenant, &[("q", bad)]).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["errorCode"], "invalid_query_string", "{bad}: {body}");
    }

    // fields / include_fields.
    let (_, _, found) = logs_get(
        &tenant,
        &[("fields", "type,log_id"), ("include_fields", "true")],
    )
    .await;
    for event in found.as_array().unwrap() {
        let mut keys: Vec<&String> = event.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["log_id", "type"], "{event}");
    }
    let (_, _, found) = logs_get(
        &tenant,
        &[
            ("fields", "details,description"),
            ("include_fields", "false"),
        ],
    )
    .await;
    let first = &found[0];
    assert!(
        first.get("details").is_none() && first.get("description").is_none(),
        "{first}"
    );
    assert!(first.get("log_id").is_some(), "{first}");

    // Checkpoints: after `from`, `take` at most, in log_id order; the
    // `Link` header continues; other parameters are ignored.
    let ids = field_of(&Value::Array(all.clone()), "log_id");
    let (status, link, page) = logs_get(
        &tenant,
        &[
            ("from", &ids[0]),
            ("take", "2"),
            ("q", "type:fu"),
            ("per_page", "1"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(field_of(&page, "log_id"), ids[1..3]);
    let link = link.expect("Link header");
    assert_eq!(
        link,
        format!("</api/v2/logs?take=2&from={}>; rel=\"next\"", ids[2])
    );
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let response = http()
        .get(tenant.server.url(next))
        .bearer_auth(&tenant.token)
        .send()
        .await
        .expect("next");
    let page: Value = response.json().await.unwrap();
    assert_eq!(field_of(&page, "log_id"), ids[3..5]);
    let (_, link, page) = logs_get(&tenant, &[("from", ids.last().unwrap()), ("take", "5")]).await;
    assert_eq!(page, json!([]));
    assert!(link.unwrap().contains(ids.last().unwrap().as_str()));
    let (_, _, page) = logs_get(&tenant, &[("take", "3")]).await;
    assert_eq!(field_of(&page, "log_id"), ids[..3]);
    for (name, value) in [("take", "101"), ("take", "0")] {
        let (status, _, body) = logs_get(&tenant, &[("from", &ids[0]), (name, value)]).await;
        assert_eq!(status, 400, "{body}");
    }
}
