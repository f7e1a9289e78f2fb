//! Vestibule as the upstream of Vestibule: a second tenant of the same
//! server (created with `vestibule tenant create`, selected by the host
//! name `localhost`, so that its cookies stay apart from the first tenant's
//! on `127.0.0.1`, as they would on two domains) is the OpenID Provider of
//! an `oidc` connection of the first. The user types their password on the
//! second tenant's hosted login page, and the first tenant issues tokens for
//! `oidc|{connection}|{upstream sub}` with the upstream's profile. Both
//! flows: the back channel (code + PKCE, client secret, user-info) and the
//! front channel (`response_type=id_token`, `response_mode=form_post`).

use crate::harness::{self, http};
use crate::management::cli;
use crate::support::{
    App, AuthRequest, Browser, DATABASE, Landing, PASSWORD, REDIRECT_A, Tenant, authorize,
    first_form, jwt_claims, query_param,
};
use crate::upstream::{code_to_id_token, start_walk, users, walk};
use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

const PEER_EMAIL: &str = "dinah@example.com";

/// The upstream tenant, reached as `http://localhost:{port}`.
struct Peer {
    origin: String,
    token: String,
}

impl Peer {
    /// Creates the tenant in the server's store and gets a Management API
    /// token from its bootstrap client.
    async fn create(tenant: &Tenant) -> Self {
        let origin = format!("http://localhost:{}", tenant.server.port);
        let output = cli(
            &tenant.server,
            &[
                "tenant",
                "create",
                "upstream",
                "--issuer",
                &format!("{origin}/"),
            ],
        );
        let words: Vec<&str> = output.split_whitespace().collect();
        let after = |label: &str| {
            words[words.iter().position(|w| *w == label).expect(label) + 1].to_owned()
        };
        let response = http()
            .post(format!("{origin}/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", after("client_id").as_str()),
                ("client_secret", after("client_secret").as_str()),
                ("audience", &format!("{origin}/api/v2/")),
            ])
            .send()
            .await
            .expect("peer token");
        assert_eq!(response.status(), 200);
        let token = response.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        Self { origin, token }
    }

    async fn management(&self, method: Method, path: &str, body: Value) -> Value {
        let response = http()
            .request(method.clone(), format!("{}{path}", self.origin))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("peer management request");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A regular web application of the peer whose callback is the first
    /// tenant's `/login/callback`, with the database connection enabled and
    /// one user; returns (client id, client secret, the user's id).
    async fn application(
        &self,
        downstream: &Tenant,
        grant_types: &[&str],
    ) -> (String, String, String) {
        let callback = format!("{}login/callback", downstream.server.issuer());
        let client = self
            .management(
                Method::POST,
                "/api/v2/clients",
                json!({
                    "name": "Downstream Vestibule",
                    "app_type": "regular_web",
                    "callbacks": [callback],
                    "grant_types": grant_types,
                    "token_endpoint_auth_method": "client_secret_post",
                }),
            )
            .await;
        let client_id = client["client_id"].as_str().unwrap().to_owned();
        let secret = client["client_secret"].as_str().unwrap().to_owned();
        self.management(
            Method::POST,
            "/api/v2/connections",
            json!({"name": DATABASE, "strategy": "auth0", "enabled_clients": [client_id]}),
        )
        .await;
        let user = self
            .management(
                Method::POST,
                "/api/v2/users",
                json!({
                    "connection": DATABASE,
                    "email": PEER_EMAIL,
                    "email_verified": true,
                    "password": PASSWORD,
                    "name": "Dinah Liddell",
                    "given_name": "Dinah",
                    "family_name": "Liddell",
                }),
            )
            .await;
        let user_id = user["user_id"].as_str().unwrap().to_owned();
        (client_id, secret, user_id)
    }

    fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.origin)
    }
}

/// Starts a login on the downstream tenant and types the password on the
/// peer's hosted login page; returns the answer to that POST.
async fn login_at_peer(
    tenant: &Tenant,
    app: &App,
    peer: &Peer,
    browser: &Browser,
    connection: &str,
) -> (AuthRequest, reqwest::Response) {
    let request = authorize(tenant, app, &[("connection", connection)]);
    let origin = tenant.origin();
    let (status, url, html) = start_walk(
        browser,
        &request.url,
        &[origin.as_str(), peer.origin.as_str()],
    )
    .await
    .page();
    assert_eq!(status, 200, "{url}: {html}");
    assert!(
        url.as_str()
            .starts_with(&format!("{}/u/login", peer.origin)),
        "the peer's hosted login page: {url}"
    );
    let response = browser
        .post_login(&url, &html, PEER_EMAIL, PASSWORD, &[])
        .await;
    (request, response)
}

#[tokio::test]
async fn a_second_tenant_is_the_oidc_upstream_over_the_back_channel() {
    let tenant = Tenant::start().await;
    let peer = Peer::create(&tenant).await;
    let (peer_client, peer_secret, peer_user) = peer
        .application(&tenant, &["authorization_code", "refresh_token"])
        .await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    tenant
        .connection(json!({
            "name": "peer",
            "strategy": "oidc",
            "options": {
                "type": "back_channel",
                "client_id": peer_client,
                "client_secret": peer_secret,
                "discovery_url": peer.discovery_url(),
                "scope": "openid profile email",
            },
            "enabled_clients": [app.id],
        }))
        .await;
    tenant
        .connection(json!({
            "name": "peer-bad-secret",
            "strategy": "oidc",
            "options": {
                "type": "back_channel",
                "client_id": peer_client,
                "client_secret": "not-the-peer-client-secret-0123456789",
                "discovery_url": peer.discovery_url(),
            },
            "enabled_clients": [app.id],
        }))
        .await;
    let origin = tenant.origin();

    // With a wrong client secret, the peer refuses the code exchange
    // (invalid_client): the client gets an error and nobody is created.
    let browser = Browser::new(&tenant);
    let (request, response) =
        login_at_peer(&tenant, &app, &peer, &browser, "peer-bad-secret").await;
    let at = walk(&browser, response, &[origin.as_str(), peer.origin.as_str()])
        .await
        .away();
    assert!(at.as_str().starts_with(REDIRECT_A), "{at}");
    assert_eq!(
        query_param(&at, "error").as_deref(),
        Some("server_error"),
        "{at}"
    );
    assert_eq!(
        query_param(&at, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert!(users(&tenant, "oidc|").await.is_empty());

    for round in 1..=2 {
        // A fresh browser each time: the peer asks for the password again.
        let browser = Browser::new(&tenant);
        let (request, response) = login_at_peer(&tenant, &app, &peer, &browser, "peer").await;
        let at = walk(&browser, response, &[origin.as_str(), peer.origin.as_str()])
            .await
            .away();
        let claims = code_to_id_token(&tenant, &app, &request, &at).await;
        assert_eq!(claims["sub"], format!("oidc|peer|{peer_user}"), "{claims}");
        assert_eq!(claims["iss"], tenant.server.issuer(), "{claims}");
        assert_eq!(claims["email"], PEER_EMAIL, "{claims}");
        assert_eq!(claims["email_verified"], true, "{claims}");
        assert_eq!(claims["name"], "Dinah Liddell", "{claims}");
        assert_eq!(claims["given_name"], "Dinah", "{claims}");
        assert_eq!(claims["family_name"], "Liddell", "{claims}");

        let stored = users(&tenant, "oidc|").await;
        assert_eq!(stored.len(), 1, "round {round}: {stored:?}");
        let user = &stored[0];
        assert_eq!(user["logins_count"], round, "{user}");
        let identity = &user["identities"][0];
        assert_eq!(identity["provider"], "oidc");
        assert_eq!(identity["connection"], "peer");
        assert_eq!(identity["user_id"], format!("peer|{peer_user}"));
        assert_eq!(identity["is_social"], false);
        // The peer's profile, with the protocol claims left out.
        assert_eq!(identity["profile_data"]["email"], PEER_EMAIL, "{identity}");
        assert!(
            identity["profile_data"].get("nonce").is_none(),
            "{identity}"
        );
        assert!(identity["profile_data"].get("aud").is_none(), "{identity}");
    }
}

/// The fields of the first form on a page, and where it posts.
fn form_fields(html: &str, url: &Url) -> (Url, Vec<(String, String)>) {
    let form = first_form(html, url).unwrap_or_else(|| panic!("no form at {url}: {html}"));
    let fields = form
        .fields
        .into_iter()
        .filter(|(_, _, kind)| kind == "hidden")
        .map(|(name, value, _)| (name, value))
        .collect();
    (form.action, fields)
}

/// A front-channel login up to the peer's `form_post` page; returns the
/// downstream request, the callback URL and the posted fields.
async fn front_channel_to_form_post(
    tenant: &Tenant,
    app: &App,
    peer: &Peer,
    browser: &Browser,
) -> (AuthRequest, Url, Vec<(String, String)>) {
    let origin = tenant.origin();
    let (request, response) = login_at_peer(tenant, app, peer, browser, "peer-front").await;
    let (status, url, html) = walk(browser, response, &[origin.as_str(), peer.origin.as_str()])
        .await
        .page();
    assert_eq!(status, 200, "the peer's form_post page at {url}: {html}");
    let (action, fields) = form_fields(&html, &url);
    assert_eq!(
        action.as_str(),
        format!("{}login/callback", tenant.server.issuer()),
        "{html}"
    );
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"id_token") && names.contains(&"state"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"code"),
        "response_type=id_token: {names:?}"
    );
    (request, action, fields)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {fields:?}"))
}

#[tokio::test]
async fn a_second_tenant_is_the_oidc_upstream_over_the_front_channel() {
    let tenant = Tenant::start().await;
    let peer = Peer::create(&tenant).await;
    let (peer_client, _secret, peer_user) = peer
        .application(&tenant, &["authorization_code", "implicit"])
        .await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    tenant
        .connection(json!({
            "name": "peer-front",
            "strategy": "oidc",
            "options": {
                "type": "front_channel",
                "client_id": peer_client,
                "discovery_url": peer.discovery_url(),
                "scope": "openid profile email",
            },
            "enabled_clients": [app.id],
        }))
        .await;
    let origin = tenant.origin();

    // An ID token whose signature was tampered with is refused: the client
    // gets an error and nobody is created.
    let browser = Browser::new(&tenant);
    let (request, action, mut fields) =
        front_channel_to_form_post(&tenant, &app, &peer, &browser).await;
    for (name, value) in &mut fields {
        if name == "id_token" {
            let (rest, signature) = value.rsplit_once('.').unwrap();
            let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
            *value = format!("{rest}.{flipped}{}", &signature[1..]);
        }
    }
    let response = browser
        .client
        .post(action)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let at = walk(&browser, response, &[origin.as_str()]).await.away();
    assert_eq!(
        query_param(&at, "error").as_deref(),
        Some("server_error"),
        "{at}"
    );
    assert_eq!(
        query_param(&at, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert!(users(&tenant, "oidc|").await.is_empty());

    // The real answer. The peer's page posts it cross-site: a browser sends
    // no SameSite=Lax cookie with that POST, so the downstream answers with
    // a same-origin re-post, which carries the login transaction's cookie.
    let browser = Browser::new(&tenant);
    let (request, action, fields) =
        front_channel_to_form_post(&tenant, &app, &peer, &browser).await;
    let upstream_claims = jwt_claims(field(&fields, "id_token"));
    assert_eq!(upstream_claims["aud"], peer_client.as_str());
    assert_eq!(upstream_claims["iss"], format!("{}/", peer.origin));
    assert_eq!(upstream_claims["email"], PEER_EMAIL, "{upstream_claims}");
    let cookieless = harness::http();
    let response = cookieless.post(action).form(&fields).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let url = response.url().clone();
    let html = response.text().await.unwrap();
    let (again, again_fields) = form_fields(&html, &url);
    assert_eq!(
        field(&again_fields, "id_token"),
        field(&fields, "id_token"),
        "the re-post carries the same answer"
    );
    let response = browser
        .client
        .post(again)
        .form(&again_fields)
        .send()
        .await
        .unwrap();
    let at = match walk(&browser, response, &[origin.as_str()]).await {
        Landing::Away(url) => url,
        other => panic!("expected the client: {other:?}"),
    };
    let claims = code_to_id_token(&tenant, &app, &request, &at).await;
    assert_eq!(
        claims["sub"],
        format!("oidc|peer-front|{peer_user}"),
        "{claims}"
    );
    assert_eq!(claims["email"], PEER_EMAIL, "{claims}");
    assert_eq!(claims["email_verified"], true, "{claims}");
    assert_eq!(claims["name"], "Dinah Liddell", "{claims}");
    let stored = users(&tenant, "oidc|").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        stored[0]["identities"][0].get("upstream_tokens").is_none()
            || stored[0]["identities"][0]["upstream_tokens"].is_null(),
        "the front channel carries no upstream token: {}",
        stored[0]
    );
}
