//! The OAuth 2.0 social presets end to end, each against a local server
//! that speaks that provider's documented API: the authorization endpoint,
//! the token endpoint (with the client authentication the provider takes:
//! form fields, or HTTP Basic for X), and the user API at the preset's own
//! path under the overridden `api_base_url` (Facebook's Graph `/me` with
//! `fields`, LinkedIn's OpenID user-info, Microsoft Graph `/me`, Discord's
//! `/users/@me`, GitLab's `/api/v4/user`, X's `/2/users/me`). One fake,
//! parameterised by a [`Provider`] row per provider.
//!
//! Each login must create `{provider}|{id}` with the mapped profile; an email
//! counts as verified only where the provider says so (Discord's `verified`,
//! LinkedIn's `email_verified`, GitLab's `confirmed_at`), and never for
//! providers that document no such flag (Facebook, Microsoft).

use crate::support::{App, Browser, REDIRECT_A, Tenant, authorize};
use crate::upstream::{code_to_id_token, start_walk, users};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use url::Url;

const CLIENT_ID: &str = "preset-client-id";
const CLIENT_SECRET: &str = "preset-client-secret-0123456789";

/// One provider's documented API, as the fake serves it.
struct Provider {
    strategy: &'static str,
    authorize_path: &'static str,
    token_path: &'static str,
    /// The API base, after the origin (`api_base_url` = origin + this).
    api_base: &'static str,
    /// The user API's path, and the query the preset must send.
    user_path: &'static str,
    user_query: Option<&'static str>,
    /// A second API for the user's emails (Bitbucket): its path and answer.
    emails: Option<(&'static str, Value)>,
    /// The exact `scope` parameter the preset sends by default.
    scope: &'static str,
    /// The client authenticates with HTTP Basic (else form fields).
    basic_auth: bool,
    /// The user API's answer.
    user: Value,
    /// The same account once the provider says its email is verified
    /// (providers that have such a flag).
    verified_user: Option<Value>,
    /// What Vestibule makes of it.
    expect: Expected,
}

struct Expected {
    id: &'static str,
    email: Option<&'static str>,
    name: &'static str,
    nickname: Option<&'static str>,
    given_name: Option<&'static str>,
    family_name: Option<&'static str>,
    picture: Option<&'static str>,
}

#[derive(Default)]
struct FakeState {
    /// code -> (redirect_uri, code_challenge)
    codes: HashMap<String, (String, String)>,
    tokens: Vec<String>,
    user: Value,
    /// The query of each user API request.
    user_queries: Vec<Option<String>>,
    /// The scope of each authorization request.
    scopes: Vec<String>,
}

struct Fake {
    provider: Provider,
    state: Mutex<FakeState>,
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({"error": error}))).into_response()
}

fn form(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

/// Every route of the provider (one handler: paths like `/users/@me`).
async fn handle(
    State(fake): State<Arc<Fake>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let provider = &fake.provider;
    let mut state = fake.state.lock().unwrap();
    let path = uri.path();
    if method == Method::GET && path == provider.authorize_path {
        let params = form(uri.query().unwrap_or("").as_bytes());
        let param = |name: &str| params.get(name).cloned().unwrap_or_default();
        let mut target = Url::parse(&param("redirect_uri")).expect("redirect_uri");
        state.scopes.push(param("scope"));
        let valid = param("client_id") == CLIENT_ID
            && param("response_type") == "code"
            && param("code_challenge_method") == "S256"
            && !param("code_challenge").is_empty()
            && !param("state").is_empty();
        if !valid {
            target
                .query_pairs_mut()
                .append_pair("error", "invalid_request")
                .append_pair("state", &param("state"));
            return Redirect::to(target.as_str()).into_response();
        }
        let code = format!("code-{}-{}", state.codes.len(), state.tokens.len());
        state.codes.insert(
            code.clone(),
            (param("redirect_uri"), param("code_challenge")),
        );
        target
            .query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &param("state"));
        return Redirect::to(target.as_str()).into_response();
    }
    if method == Method::POST && path == provider.token_path {
        let fields = form(&body);
        let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
        let basic = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
            .and_then(|v| String::from_utf8(v).ok());
        let authenticated = if provider.basic_auth {
            basic.as_deref() == Some(format!("{CLIENT_ID}:{CLIENT_SECRET}").as_str())
                && !fields.contains_key("client_secret")
        } else {
            basic.is_none()
                && field("client_id") == CLIENT_ID
                && field("client_secret") == CLIENT_SECRET
        };
        if !authenticated {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
        }
        let Some((redirect_uri, challenge)) = state.codes.remove(&field("code")) else {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
        };
        let computed =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA256,
                field("code_verifier").as_bytes(),
            ));
        if field("grant_type") != "authorization_code"
            || field("redirect_uri") != redirect_uri
            || computed != challenge
        {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
        }
        let token = format!("{}-access-{}", provider.strategy, state.tokens.len());
        state.tokens.push(token.clone());
        return axum::Json(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": 3600,
        }))
        .into_response();
    }
    if method == Method::GET && path == provider.user_path {
        let authorized = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| state.tokens.iter().any(|k| k == t));
        if !authorized {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
        }
        state.user_queries.push(uri.query().map(str::to_owned));
        return axum::Json(state.user.clone()).into_response();
    }
    if let Some((emails_path, emails)) = &provider.emails
        && method == Method::GET
        && path == *emails_path
    {
        let authorized = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| state.tokens.iter().any(|k| k == t));
        if !authorized {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
        }
        return axum::Json(emails.clone()).into_response();
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// Starts the provider's fake on a free port; returns its origin.
async fn start(provider: Provider) -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake {
        state: Mutex::new(FakeState {
            user: provider.user.clone(),
            ..FakeState::default()
        }),
        provider,
    });
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, fake)
}

async fn login(tenant: &Tenant, app: &App, strategy: &str, origin: &str) -> Value {
    let browser = Browser::new(tenant);
    let request = authorize(tenant, app, &[("connection", strategy)]);
    let own = tenant.origin();
    let at = start_walk(&browser, &request.url, &[own.as_str(), origin])
        .await
        .away();
    code_to_id_token(tenant, app, &request, &at).await
}

/// Logs in through the preset (twice where the provider can say the email
/// is verified) and checks the user.
async fn run(provider: Provider) {
    let strategy = provider.strategy;
    let (origin, fake) = start(provider).await;
    let provider = &fake.provider;
    let expect = &provider.expect;
    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    tenant
        .connection(json!({
            "name": strategy,
            "strategy": strategy,
            "options": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "authorization_endpoint": format!("{origin}{}", provider.authorize_path),
                "token_endpoint": format!("{origin}{}", provider.token_path),
                "api_base_url": format!("{origin}{}", provider.api_base),
            },
            "enabled_clients": [app.id],
        }))
        .await;
    let user_id = format!("{strategy}|{}", expect.id);

    let claims = login(&tenant, &app, strategy, &origin).await;
    assert_eq!(claims["sub"], user_id, "{claims}");
    assert_eq!(claims["name"], expect.name, "{claims}");
    match expect.email {
        Some(email) => {
            assert_eq!(claims["email"], email, "{claims}");
            assert_eq!(
                claims["email_verified"], false,
                "{strategy}: an email the provider does not vouch for is unverified: {claims}"
            );
        }
        None => assert!(claims.get("email").is_none(), "{claims}"),
    }
    let stored = users(&tenant, &format!("{strategy}|")).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    let user = &stored[0];
    assert_eq!(user["user_id"], user_id.as_str(), "{user}");
    assert_eq!(user["email_verified"], false, "{user}");
    for (field, expected) in [
        ("nickname", expect.nickname),
        ("given_name", expect.given_name),
        ("family_name", expect.family_name),
        ("picture", expect.picture),
    ] {
        if let Some(expected) = expected {
            assert_eq!(user[field], expected, "{strategy} {field}: {user}");
        }
    }
    let identity = &user["identities"][0];
    assert_eq!(identity["provider"], strategy);
    assert_eq!(identity["user_id"], expect.id);
    assert_eq!(identity["connection"], strategy);
    assert_eq!(identity["is_social"], true);
    assert!(
        identity["profile_data"].is_object(),
        "the user API's answer is the profileData: {identity}"
    );

    {
        let state = fake.state.lock().unwrap();
        assert_eq!(state.scopes[0], provider.scope, "{strategy} scope");
        assert_eq!(
            state.user_queries[0].as_deref(),
            provider.user_query,
            "{strategy} user API query"
        );
    }

    // Where the provider vouches for the email, it is verified (and the
    // profile follows the provider at each login).
    if let Some(verified) = &provider.verified_user {
        fake.state.lock().unwrap().user = verified.clone();
        let claims = login(&tenant, &app, strategy, &origin).await;
        assert_eq!(claims["sub"], user_id, "{claims}");
        assert_eq!(claims["email_verified"], true, "{strategy}: {claims}");
        let stored = users(&tenant, &format!("{strategy}|")).await;
        assert_eq!(stored.len(), 1, "the same user: {stored:?}");
        assert_eq!(stored[0]["email_verified"], true);
        assert_eq!(stored[0]["logins_count"], 2);
    }
}

fn with(mut value: Value, pointer: &str, replacement: Value) -> Value {
    *value.pointer_mut(pointer).expect(pointer) = replacement;
    value
}

#[tokio::test]
async fn facebook_graph_me() {
    run(Provider {
        strategy: "facebook",
        authorize_path: "/v19.0/dialog/oauth",
        token_path: "/v19.0/oauth/access_token",
        api_base: "/v19.0",
        user_path: "/v19.0/me",
        user_query: Some("fields=id,name,email,first_name,last_name,picture"),
        emails: None,
        scope: "email,public_profile",
        basic_auth: false,
        user: json!({
            "id": "10158112233445566",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "picture": {"data": {
                "height": 50, "is_silhouette": false, "width": 50,
                "url": "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158112233445566",
            }},
        }),
        verified_user: None,
        expect: Expected {
            id: "10158112233445566",
            email: Some("ada@example.com"),
            name: "Ada Lovelace",
            nickname: None,
            given_name: Some("Ada"),
            family_name: Some("Lovelace"),
            picture: Some(
                "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158112233445566",
            ),
        },
    })
    .await;
}

#[tokio::test]
async fn linkedin_openid_userinfo() {
    let user = json!({
        "sub": "782bbtaQ",
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "picture": "https://media.licdn.com/dms/image/ada.jpg",
        "locale": {"country": "GB", "language": "en"},
        "email": "ada@example.com",
        "email_verified": false,
    });
    run(Provider {
        strategy: "linkedin",
        authorize_path: "/oauth/v2/authorization",
        token_path: "/oauth/v2/accessToken",
        api_base: "/v2",
        user_path: "/v2/userinfo",
        user_query: None,
        emails: None,
        scope: "openid profile email",
        basic_auth: false,
        verified_user: Some(with(user.clone(), "/email_verified", json!(true))),
        user,
        expect: Expected {
            id: "782bbtaQ",
            email: Some("ada@example.com"),
            name: "Ada Lovelace",
            nickname: None,
            given_name: Some("Ada"),
            family_name: Some("Lovelace"),
            picture: Some("https://media.licdn.com/dms/image/ada.jpg"),
        },
    })
    .await;
}

#[tokio::test]
async fn windowslive_microsoft_graph_me() {
    run(Provider {
        strategy: "windowslive",
        authorize_path: "/consumers/oauth2/v2.0/authorize",
        token_path: "/consumers/oauth2/v2.0/token",
        api_base: "/v1.0",
        user_path: "/v1.0/me",
        user_query: None,
        emails: None,
        scope: "User.Read offline_access",
        basic_auth: false,
        // A personal account: no `mail`, the sign-in name is the address.
        user: json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
            "businessPhones": [],
            "displayName": "Ada Lovelace",
            "givenName": "Ada",
            "jobTitle": null,
            "mail": null,
            "mobilePhone": null,
            "officeLocation": null,
            "preferredLanguage": null,
            "surname": "Lovelace",
            "userPrincipalName": "ada@outlook.com",
            "id": "0e4c3a2b1f5d6e7a",
        }),
        verified_user: None,
        expect: Expected {
            id: "0e4c3a2b1f5d6e7a",
            email: Some("ada@outlook.com"),
            name: "Ada Lovelace",
            nickname: Some("ada"),
            given_name: Some("Ada"),
            family_name: Some("Lovelace"),
            picture: None,
        },
    })
    .await;
}

#[tokio::test]
async fn discord_users_me() {
    let user = json!({
        "id": "80351110224678912",
        "username": "ada",
        "discriminator": "0",
        "global_name": "Ada Lovelace",
        "avatar": "8342729096ea3675442027381ff50dfe",
        "verified": false,
        "email": "ada@example.com",
        "flags": 0,
        "banner": null,
        "accent_color": null,
        "premium_type": 0,
        "public_flags": 0,
        "locale": "en-US",
        "mfa_enabled": false,
    });
    run(Provider {
        strategy: "discord",
        authorize_path: "/oauth2/authorize",
        token_path: "/api/oauth2/token",
        api_base: "/api",
        user_path: "/api/users/@me",
        user_query: None,
        emails: None,
        scope: "identify email",
        basic_auth: false,
        verified_user: Some(with(user.clone(), "/verified", json!(true))),
        user,
        expect: Expected {
            id: "80351110224678912",
            email: Some("ada@example.com"),
            name: "Ada Lovelace",
            nickname: Some("ada"),
            given_name: None,
            family_name: None,
            picture: Some(
                "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png",
            ),
        },
    })
    .await;
}

#[tokio::test]
async fn gitlab_api_v4_user() {
    let user = json!({
        "id": 1234567,
        "username": "ada",
        "name": "Ada Lovelace",
        "state": "active",
        "avatar_url": "https://gitlab.com/uploads/-/system/user/avatar/1234567/avatar.png",
        "web_url": "https://gitlab.com/ada",
        "created_at": "2012-05-23T08:00:58Z",
        "public_email": "",
        "email": "ada@example.com",
        "confirmed_at": null,
    });
    run(Provider {
        strategy: "gitlab",
        authorize_path: "/oauth/authorize",
        token_path: "/oauth/token",
        api_base: "/api/v4",
        user_path: "/api/v4/user",
        user_query: None,
        emails: None,
        scope: "read_user",
        basic_auth: false,
        verified_user: Some(with(
            user.clone(),
            "/confirmed_at",
            json!("2012-05-23T09:05:22Z"),
        )),
        user,
        expect: Expected {
            id: "1234567",
            email: Some("ada@example.com"),
            name: "Ada Lovelace",
            nickname: Some("ada"),
            given_name: None,
            family_name: None,
            picture: Some("https://gitlab.com/uploads/-/system/user/avatar/1234567/avatar.png"),
        },
    })
    .await;
}

/// X's OAuth 2.0: PKCE, confidential clients authenticate with HTTP Basic,
/// and the user API has no email at all.
#[tokio::test]
async fn twitter_users_me_with_basic_auth() {
    run(Provider {
        strategy: "twitter",
        authorize_path: "/i/oauth2/authorize",
        token_path: "/2/oauth2/token",
        api_base: "/2",
        user_path: "/2/users/me",
        user_query: Some("user.fields=profile_image_url"),
        emails: None,
        scope: "users.read tweet.read offline.access",
        basic_auth: true,
        user: json!({"data": {
            "id": "2244994945",
            "name": "Ada Lovelace",
            "username": "ada",
            "profile_image_url": "https://pbs.twimg.com/profile_images/ada_normal.jpg",
        }}),
        verified_user: None,
        expect: Expected {
            id: "2244994945",
            email: None,
            name: "Ada Lovelace",
            nickname: Some("ada"),
            given_name: None,
            family_name: None,
            picture: Some("https://pbs.twimg.com/profile_images/ada_normal.jpg"),
        },
    })
    .await;
}

/// Bitbucket: HTTP Basic at the token endpoint, the account at `/2.0/user`
/// (a `{uuid}` id) and the address at `/2.0/user/emails`: only the primary,
/// confirmed one is taken, and then it is verified.
#[tokio::test]
async fn bitbucket_user_and_emails() {
    let emails = json!({
        "pagelen": 10, "page": 1, "size": 2,
        "values": [
            {"type": "email", "email": "ada-old@example.com", "is_primary": false, "is_confirmed": true},
            {"type": "email", "email": "ada@example.com", "is_primary": true, "is_confirmed": false},
        ],
    });
    let user = json!({
        "type": "user",
        "uuid": "{d301aafa-d676-4ee0-88be-962be7417567}",
        "account_id": "557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443",
        "display_name": "Ada Lovelace",
        "nickname": "ada",
        "links": {"avatar": {"href": "https://bitbucket.org/account/ada/avatar/"}},
    });
    run(Provider {
        strategy: "bitbucket",
        authorize_path: "/site/oauth2/authorize",
        token_path: "/site/oauth2/access_token",
        api_base: "/2.0",
        user_path: "/2.0/user",
        user_query: None,
        // The primary address is not confirmed: no email at all (the
        // confirmed one is not the primary).
        emails: Some(("/2.0/user/emails", emails)),
        scope: "account email",
        basic_auth: true,
        user,
        verified_user: None,
        expect: Expected {
            id: "d301aafa-d676-4ee0-88be-962be7417567",
            email: None,
            name: "Ada Lovelace",
            nickname: Some("ada"),
            given_name: None,
            family_name: None,
            picture: Some("https://bitbucket.org/account/ada/avatar/"),
        },
    })
    .await;
}

/// Sign in with Slack: OpenID user-info; the id carries the workspace.
#[tokio::test]
async fn slack_openid_userinfo() {
    let user = json!({
        "ok": true,
        "sub": "U0R7JM",
        "https://slack.com/user_id": "U0R7JM",
        "https://slack.com/team_id": "T0R7GR",
        "email": "ada@example.com",
        "email_verified": false,
        "date_email_verified": 0,
        "name": "Ada Lovelace",
        "picture": "https://secure.gravatar.com/avatar/ada.jpg",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "locale": "en-US",
        "https://slack.com/team_name": "Analytical Engines",
        "https://slack.com/team_domain": "engines",
    });
    run(Provider {
        strategy: "slack",
        authorize_path: "/openid/connect/authorize",
        token_path: "/api/openid.connect.token",
        api_base: "/api",
        user_path: "/api/openid.connect.userInfo",
        user_query: None,
        emails: None,
        scope: "openid profile email",
        basic_auth: false,
        verified_user: Some(with(user.clone(), "/email_verified", json!(true))),
        user,
        expect: Expected {
            id: "T0R7GR-U0R7JM",
            email: Some("ada@example.com"),
            name: "Ada Lovelace",
            nickname: None,
            given_name: Some("Ada"),
            family_name: Some("Lovelace"),
            picture: Some("https://secure.gravatar.com/avatar/ada.jpg"),
        },
    })
    .await;
}

/// Login with Amazon: `/user/profile`, no verification flag.
#[tokio::test]
async fn amazon_user_profile() {
    run(Provider {
        strategy: "amazon",
        authorize_path: "/ap/oa",
        token_path: "/auth/o2/token",
        api_base: "",
        user_path: "/user/profile",
        user_query: None,
        emails: None,
        scope: "profile",
        basic_auth: false,
        user: json!({
            "user_id": "amzn1.account.K2LI23KL2LK2",
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "postal_code": "98052",
        }),
        verified_user: None,
        expect: Expected {
            id: "amzn1.account.K2LI23KL2LK2",
            email: Some("ada@example.com"),
            name: "Ada Lovelace",
            nickname: None,
            given_name: None,
            family_name: None,
            picture: None,
        },
    })
    .await;
}
