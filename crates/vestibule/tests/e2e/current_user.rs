//! End users and the Management API, tried as an attacker would: every
//! user-facing grant asked for administrative scopes on `{issuer}api/v2/`
//! gets only Auth0's current-user scopes, and such a token reads and changes
//! only its own user's `user_metadata` and identities. A token signed with
//! the tenant's own key (read from the server's database with the master
//! key) that combines a user subject with administrative scopes is worth
//! the current-user scopes alone.

use crate::harness::{BOOTSTRAP_ID, MASTER_KEY, http};
use crate::login::implicit_client;
use crate::support::{
    App, Browser, DATABASE, PASSWORD, REDIRECT_A, Tenant, authorize, exchange, jwt_claims, refresh,
};
use model::Clock as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storage::{SigningKeyStore, Storage, TokenStore};

const REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
/// What an attacker asks for, next to what an end user may have.
const ASKED: &str = "openid read:users delete:users read:clients update:users read:current_user update:current_user_metadata";
const ADMIN: &[&str] = &["read:users", "delete:users", "read:clients", "update:users"];

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

/// `password` or `password-realm` at the token endpoint.
async fn password_grant(
    tenant: &Tenant,
    app: &App,
    grant_type: &str,
    email: &str,
    scope: &str,
) -> (StatusCode, Value) {
    let audience = tenant.server.management_audience();
    let mut form = vec![
        ("grant_type", grant_type),
        ("username", email),
        ("password", PASSWORD),
        ("scope", scope),
        ("audience", audience.as_str()),
    ];
    if grant_type == REALM {
        form.push(("realm", DATABASE));
    }
    let response = http()
        .post(tenant.server.url("/oauth/token"))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&form)
        .send()
        .await
        .expect("token request");
    let status = response.status();
    (status, response.json().await.expect("token json"))
}

fn scopes(scope: &Value) -> Vec<String> {
    scope
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .map(str::to_owned)
        .collect()
}

/// The granted scope (as answered and as carried by the token) holds the
/// current-user scopes and no administrative one, and the token cannot
/// list users or clients.
async fn assert_end_user_token(tenant: &Tenant, flow: &str, answered: &Value, access_token: &str) {
    let claims = jwt_claims(access_token);
    assert_eq!(
        claims["aud"][0],
        tenant.server.management_audience(),
        "{flow}: {claims}"
    );
    for granted in [scopes(answered), scopes(&claims["scope"])] {
        for admin in ADMIN {
            assert!(
                !granted.iter().any(|s| s == admin),
                "{flow} granted {admin}: {granted:?}"
            );
        }
        for own in ["read:current_user", "update:current_user_metadata"] {
            assert!(
                granted.iter().any(|s| s == own),
                "{flow} did not grant {own}: {granted:?}"
            );
        }
    }
    for path in [
        "/api/v2/users",
        "/api/v2/clients",
        "/api/v2/users-by-email?email=bob@example.com",
    ] {
        let (status, body) = call(tenant, access_token, Method::GET, path, None).await;
        assert_eq!(status, 403, "{flow}: GET {path} answered {body}");
        assert_eq!(body["errorCode"], "insufficient_scope", "{flow}: {body}");
    }
}

/// A tenant with a regular client, a client that names `implicit`, the
/// database connection, and two users signed up through the public API.
async fn tenant_with_users() -> (Tenant, App, App) {
    let tenant = Tenant::start().await;
    let app = tenant.client("RP", REDIRECT_A, "client_secret_basic").await;
    let implicit = implicit_client(&tenant).await;
    tenant.database(&[&app, &implicit]).await;
    tenant.signup(&app, "alice@example.com").await;
    tenant.signup(&app, "bob@example.com").await;
    (tenant, app, implicit)
}

/// An `/authorize` URL asking for the Management API with [`ASKED`].
fn management_authorize(
    tenant: &Tenant,
    app: &App,
    response_type: &str,
) -> crate::support::AuthRequest {
    let audience = tenant.server.management_audience();
    let mut request = authorize(
        tenant,
        app,
        &[
            ("response_type", response_type),
            ("scope", ASKED),
            ("audience", &audience),
        ],
    );
    // The helper's own response_type and scope come first; drop them.
    request.url = request.url.replacen("response_type=code&", "", 1).replacen(
        "scope=openid+profile+email+offline_access&",
        "",
        1,
    );
    request
}

/// The parameters of a redirect's fragment.
fn fragment(url: &url::Url) -> Vec<(String, String)> {
    url::form_urlencoded::parse(url.fragment().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

#[tokio::test]
async fn no_user_grant_obtains_administrative_scopes() {
    let (tenant, app, implicit) = tenant_with_users().await;

    for grant_type in [REALM, "password"] {
        let (status, body) =
            password_grant(&tenant, &app, grant_type, "alice@example.com", ASKED).await;
        assert_eq!(status, 200, "{grant_type}: {body}");
        let token = body["access_token"].as_str().expect("access_token");
        assert_end_user_token(&tenant, grant_type, &body["scope"], token).await;
    }

    // authorization_code through the hosted login page.
    let browser = Browser::new(&tenant);
    let request = management_authorize(&tenant, &app, "code");
    let callback = browser.login(&request, "alice@example.com").await;
    let code = crate::support::query_param(&callback, "code").expect("code");
    let (status, body) = exchange(&tenant, &app, &code, &request.verifier).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().expect("access_token");
    assert_end_user_token(&tenant, "authorization_code", &body["scope"], token).await;

    // Implicit and hybrid, for a client that names the implicit grant.
    for response_type in ["token", "id_token token", "code id_token token"] {
        let browser = Browser::new(&tenant);
        let request = management_authorize(&tenant, &implicit, response_type);
        let (_, page_url, html) = browser.navigate(&request.url).await.page();
        let response = browser
            .post_login(&page_url, &html, "alice@example.com", PASSWORD, &[])
            .await;
        let callback = browser.follow(response).await.away();
        let params = fragment(&callback);
        let token = param(&params, "access_token")
            .unwrap_or_else(|| panic!("{response_type}: no access token in {callback}"));
        let scope = Value::from(param(&params, "scope").unwrap_or_default());
        assert_end_user_token(&tenant, response_type, &scope, &token).await;
    }
}

#[tokio::test]
async fn a_stored_refresh_token_with_administrative_scopes_refreshes_to_current_user_ones() {
    let (tenant, app, _) = tenant_with_users().await;
    let (_, body) = password_grant(&tenant, &app, REALM, "alice@example.com", "openid").await;
    let user_id = jwt_claims(body["id_token"].as_str().expect("id_token"))["sub"]
        .as_str()
        .expect("sub")
        .to_owned();
    // A refresh token for the Management API with administrative scopes,
    // as a server without the rule could have stored it.
    let storage =
        storage_sql::SqlStorage::open_sqlite_file(&tenant.server.data_dir.join("vestibule.db"))
            .await
            .expect("open the server's database");
    let now = model::SystemClock.now_millis();
    let value = engine::token::opaque_tokens::new_token(now).expect("token");
    let record = model::IssuedToken {
        tenant_id: model::TenantId::new("default"),
        token_hash: engine::token::opaque_tokens::key(&value),
        kind: model::TokenKind::Refresh,
        family_id: "legacy-family".into(),
        client_id: app.id.clone(),
        user_id: user_id.clone(),
        sid: None,
        scope: ASKED.split(' ').map(str::to_owned).collect(),
        audience: Some(tenant.server.management_audience()),
        auth_time: now,
        created_at: now,
        expires_at: now + 3_600_000,
        family_expires_at: now + 3_600_000,
        used_at: None,
        revoked_at: None,
    };
    storage.create_token(&record).await.expect("store token");
    storage.close().await;

    let (status, body) = refresh(&tenant, &app, &value).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().expect("access_token");
    assert_end_user_token(&tenant, "refresh_token", &body["scope"], token).await;
    // The successor refresh token carries no administrative scope either.
    let next = body["refresh_token"].as_str().expect("refresh_token");
    let (status, body) = refresh(&tenant, &app, next).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().expect("access_token");
    assert_end_user_token(&tenant, "second refresh", &body["scope"], token).await;
}

/// A password-realm login of `email` asking for `scope` on the Management
/// API: its access token and user id.
async fn user_token(tenant: &Tenant, app: &App, email: &str, scope: &str) -> (String, String) {
    let (status, body) = password_grant(tenant, app, REALM, email, scope).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    let sub = jwt_claims(&token)["sub"].as_str().expect("sub").to_owned();
    (token, sub)
}

fn user_path(id: &str) -> String {
    format!("/api/v2/users/{}", id.replace('|', "%7C"))
}

#[tokio::test]
async fn an_end_user_token_reads_and_patches_only_its_own_user_metadata() {
    let (tenant, app, _) = tenant_with_users().await;
    let (token, alice) = user_token(&tenant, &app, "alice@example.com", ASKED).await;
    let (_, bob) = user_token(&tenant, &app, "bob@example.com", "openid").await;
    let me = user_path(&alice);

    let (status, body) = call(&tenant, &token, Method::GET, &me, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "alice@example.com");
    let (status, body) = call(&tenant, &token, Method::GET, &user_path(&bob), None).await;
    assert_eq!(status, 403, "another user: {body}");
    assert_eq!(body["errorCode"], "insufficient_scope", "{body}");

    let patch = json!({"user_metadata": {"theme": "dark", "lang": "fr"}});
    let (status, body) = call(&tenant, &token, Method::PATCH, &me, Some(patch)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["user_metadata"],
        json!({"theme": "dark", "lang": "fr"})
    );
    // A null removes a key (Auth0's merge).
    let patch = json!({"user_metadata": {"lang": null}});
    let (status, body) = call(&tenant, &token, Method::PATCH, &me, Some(patch)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_metadata"], json!({"theme": "dark"}));

    for forbidden in [
        json!({"email": "mallory@example.com"}),
        json!({"app_metadata": {"roles": ["admin"]}}),
        json!({"blocked": true}),
        json!({"email_verified": true, "user_metadata": {"a": 1}}),
        json!({"password": "An0ther-Passw0rd-Here"}),
    ] {
        let (status, body) =
            call(&tenant, &token, Method::PATCH, &me, Some(forbidden.clone())).await;
        assert_eq!(status, 403, "{forbidden} answered {body}");
        assert_eq!(body["errorCode"], "insufficient_scope", "{body}");
    }
    let patch = json!({"user_metadata": {"pwned": true}});
    let (status, body) = call(
        &tenant,
        &token,
        Method::PATCH,
        &user_path(&bob),
        Some(patch),
    )
    .await;
    assert_eq!(status, 403, "another user's metadata: {body}");
    let (status, body) = call(&tenant, &token, Method::DELETE, &me, None).await;
    assert_eq!(status, 403, "deleting itself: {body}");

    // Nothing but the metadata changed, for either user.
    let (_, stored) = call(&tenant, &tenant.token, Method::GET, &me, None).await;
    assert_eq!(stored["email"], "alice@example.com");
    assert_eq!(stored["blocked"], false);
    assert_eq!(stored["app_metadata"], json!({}));
    let (_, stored) = call(&tenant, &tenant.token, Method::GET, &user_path(&bob), None).await;
    assert_eq!(stored["user_metadata"], json!({}));

    // read:current_user alone does not write.
    let (reader, _) = user_token(&tenant, &app, "alice@example.com", "read:current_user").await;
    let patch = json!({"user_metadata": {"theme": "light"}});
    let (status, body) = call(&tenant, &reader, Method::PATCH, &me, Some(patch)).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = call(&tenant, &reader, Method::GET, &me, None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_end_user_links_its_own_account_only_with_an_id_token() {
    let (tenant, app, _) = tenant_with_users().await;
    let scope = "openid update:current_user_identities read:current_user";
    let (token, alice) = user_token(&tenant, &app, "alice@example.com", scope).await;
    let (status, bob_login) =
        password_grant(&tenant, &app, REALM, "bob@example.com", "openid").await;
    assert_eq!(status, 200);
    let bob_id_token = bob_login["id_token"].as_str().expect("id_token");
    let bob = jwt_claims(bob_id_token)["sub"]
        .as_str()
        .expect("sub")
        .to_owned();
    let (provider, bob_local) = bob.split_once('|').expect("provider|id");
    let identities = format!("{}/identities", user_path(&alice));

    // Naming the secondary by id is for administrators.
    let by_id = json!({"provider": provider, "user_id": bob_local});
    let (status, body) = call(&tenant, &token, Method::POST, &identities, Some(by_id)).await;
    assert_eq!(status, 400, "{body}");
    // Another user's identities are out of reach.
    let other = format!("{}/identities", user_path(&bob));
    let (alice_login_status, alice_login) =
        password_grant(&tenant, &app, REALM, "alice@example.com", "openid").await;
    assert_eq!(alice_login_status, 200);
    let with = json!({"link_with": alice_login["id_token"]});
    let (status, body) = call(&tenant, &token, Method::POST, &other, Some(with)).await;
    assert_eq!(status, 403, "{body}");

    let with = json!({"link_with": bob_id_token});
    let (status, body) = call(&tenant, &token, Method::POST, &identities, Some(with)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
    let unlink = format!("{identities}/{provider}/{bob_local}");
    let (status, body) = call(&tenant, &token, Method::DELETE, &unlink, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(1), "{body}");
}

/// Signs `claims` as an access token with the tenant's current RS256 key,
/// read from the server's database and unsealed with the master key.
async fn forge(tenant: &Tenant, claims: &Value) -> String {
    let storage =
        storage_sql::SqlStorage::open_sqlite_file(&tenant.server.data_dir.join("vestibule.db"))
            .await
            .expect("open the server's database");
    let tenant_id = model::TenantId::new("default");
    let keys = storage.list_signing_keys(&tenant_id).await.expect("keys");
    storage.close().await;
    let key = keys
        .iter()
        .find(|k| k.alg == model::SigningAlg::Rs256 && k.state == model::KeyState::Current)
        .expect("a current RS256 key");
    let master = crypto::MasterKey::from_hex(MASTER_KEY).expect("master key");
    let der = master
        .open(
            &format!("signing_key:{tenant_id}:{}", key.kid),
            &key.private_sealed,
        )
        .expect("unseal");
    let pair = crypto::KeyPair::from_pkcs8(model::SigningAlg::Rs256, &der).expect("key");
    pair.sign_jwt(&key.kid, Some("at+jwt"), claims)
        .expect("sign")
}

#[tokio::test]
async fn forged_administrative_scopes_with_a_user_subject_are_refused() {
    let (tenant, app, _) = tenant_with_users().await;
    let (_, alice) = user_token(&tenant, &app, "alice@example.com", "openid").await;
    let now = model::SystemClock.now_seconds();
    let claims = |sub: &str, gty: Option<&str>, azp: &str| {
        let mut claims = json!({
            "iss": tenant.server.issuer(),
            "sub": sub,
            "aud": tenant.server.management_audience(),
            "iat": now,
            "exp": now + 600,
            "scope": "read:users update:users read:clients read:current_user",
            "azp": azp,
            "client_id": azp,
        });
        if let Some(gty) = gty {
            claims["gty"] = json!(gty);
        }
        claims
    };
    // The forging works: an administrator's token passes.
    let admin = forge(
        &tenant,
        &claims(
            &format!("{BOOTSTRAP_ID}@clients"),
            Some("client-credentials"),
            BOOTSTRAP_ID,
        ),
    )
    .await;
    let (status, body) = call(&tenant, &admin, Method::GET, "/api/v2/users", None).await;
    assert_eq!(status, 200, "{body}");

    // A user's subject with administrative scopes: the current-user ones only.
    let user = forge(&tenant, &claims(&alice, None, &app.id)).await;
    for path in ["/api/v2/users", "/api/v2/clients"] {
        let (status, body) = call(&tenant, &user, Method::GET, path, None).await;
        assert_eq!(status, 403, "GET {path}: {body}");
        assert_eq!(body["errorCode"], "insufficient_scope", "{body}");
    }
    let patch = json!({"app_metadata": {"roles": ["admin"]}});
    let (status, body) = call(
        &tenant,
        &user,
        Method::PATCH,
        &user_path(&alice),
        Some(patch),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = call(&tenant, &user, Method::GET, &user_path(&alice), None).await;
    assert_eq!(status, 200, "read:current_user still counts: {body}");

    // Claiming to be a machine while naming a user (or the reverse) is refused.
    for forged in [
        claims(&alice, Some("client-credentials"), &app.id),
        claims(&format!("{BOOTSTRAP_ID}@clients"), None, BOOTSTRAP_ID),
        claims(
            &format!("{BOOTSTRAP_ID}@clients"),
            Some("client-credentials"),
            &app.id,
        ),
    ] {
        let token = forge(&tenant, &forged).await;
        let (status, body) = call(&tenant, &token, Method::GET, "/api/v2/users", None).await;
        assert_eq!(status, 401, "{forged} answered {body}");
    }
}

#[tokio::test]
async fn a_client_created_without_grant_types_cannot_use_implicit() {
    let tenant = Tenant::start().await;
    let created = tenant
        .management(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "Defaults", "app_type": "regular_web", "callbacks": [REDIRECT_A]}),
        )
        .await;
    let granted: Vec<&str> = created["grant_types"]
        .as_array()
        .expect("grant_types")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!granted.contains(&"implicit"), "{created}");
    assert!(granted.contains(&"authorization_code"), "{created}");
    let app = App {
        id: created["client_id"].as_str().expect("client_id").to_owned(),
        secret: created["client_secret"]
            .as_str()
            .expect("secret")
            .to_owned(),
        redirect_uri: REDIRECT_A,
    };
    tenant.database(&[&app]).await;
    for response_type in [
        "token",
        "id_token token",
        "code id_token token",
        "code token",
    ] {
        let mut request = authorize(&tenant, &app, &[("response_type", response_type)]);
        request.url = request.url.replacen("response_type=code&", "", 1);
        let callback = Browser::new(&tenant).navigate(&request.url).await.away();
        let params = fragment(&callback);
        assert_eq!(
            param(&params, "error").as_deref(),
            Some("unauthorized_client"),
            "{response_type}: {callback}"
        );
        assert!(param(&params, "access_token").is_none(), "{callback}");
    }
    // A list that names implicit, as Auth0 exports carry it, keeps it.
    let named = tenant
        .management(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "Named", "callbacks": [REDIRECT_A], "grant_types": ["implicit", "authorization_code"]}),
        )
        .await;
    assert_eq!(
        named["grant_types"],
        json!(["implicit", "authorization_code"]),
        "{named}"
    );
}

/// The consent page asks only about scopes a token would carry: an end user
/// is never asked to allow administrative Management API scopes that no
/// token of theirs will hold.
#[tokio::test]
async fn the_consent_page_lists_only_grantable_scopes() {
    let (tenant, app, _) = tenant_with_users().await;
    let browser = Browser::new(&tenant);
    let mut request = management_authorize(&tenant, &app, "code");
    request.url.push_str("&prompt=consent");
    let (_, page_url, html) = browser.navigate(&request.url).await.page();
    let response = browser
        .post_login(&page_url, &html, "alice@example.com", PASSWORD, &[])
        .await;
    let (status, url, html) = browser.follow(response).await.page();
    assert_eq!(status, 200, "{html}");
    assert_eq!(url.path(), "/u/consent", "{url}");
    assert!(html.contains("<li>read:current_user</li>"), "{html}");
    for admin in ADMIN {
        assert!(
            !html.contains(&format!("<li>{admin}</li>")),
            "{admin}: {html}"
        );
    }
}
