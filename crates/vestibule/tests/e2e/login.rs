//! The hosted login flow from the outside: `/authorize`, the `/u/login`
//! page, SSO sessions, the token endpoint's code/PKCE/replay rules, and two
//! independent clients — panva's `openid-client` (`tests/sdk/rp.mjs`) and
//! Auth0's `auth0-python` (`tests/python`).
//!
//! The "browser" here is reqwest with a cookie store that never follows
//! redirects by itself: every hop is looked at, nothing is ever requested
//! from a client's redirect URI or from another origin.

use crate::harness::{self, http};
use crate::sdk_node::{node_toolchain, sdk_packages};
use crate::support::{
    App, Browser, DATABASE, LOGOUT_URI, Landing, PASSWORD, REDIRECT_A, Tenant, attribute,
    authorize, exchange, has_login_form, jwt_claims, query_param, refresh, set_cookies, start_tags,
    toolchain_or_skip,
};
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use url::Url;

const REDIRECT_B: &str = "http://127.0.0.1:3102/cb";
const WRONG_CREDENTIALS: &str = "Wrong email or password.";

async fn userinfo_status(tenant: &Tenant, access_token: &str) -> StatusCode {
    http()
        .get(tenant.server.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .expect("userinfo")
        .status()
}

// =================================================================== tests

#[tokio::test]
async fn openid_client_runs_code_flow_refresh_revocation_and_logout() {
    let Some(versions) = toolchain_or_skip(
        "openid_client_runs_code_flow_refresh_revocation_and_logout",
        node_toolchain(),
    ) else {
        return;
    };

    let (tenant, app, email) = Tenant::with_user().await;
    run_rp(
        &tenant,
        &app,
        &versions,
        &[("USERNAME", &email), ("PASSWORD", PASSWORD)],
    )
    .await;
}

/// Runs `tests/sdk/rp.mjs` (openid-client) against the tenant as `app`,
/// with `env` added (see the script's header), and asserts it passed.
pub(crate) async fn run_rp(tenant: &Tenant, app: &App, versions: &str, env: &[(&str, &str)]) {
    let sdk_dir = sdk_packages().await;
    let started = Instant::now();
    let mut node = tokio::process::Command::new("node");
    node.arg(sdk_dir.join("rp.mjs"))
        .current_dir(&sdk_dir)
        .env("VESTIBULE_ISSUER", tenant.server.issuer())
        .env("CLIENT_ID", &app.id)
        .env("CLIENT_SECRET", &app.secret)
        .env("REDIRECT_URI", app.redirect_uri)
        .env("LOGOUT_URI", LOGOUT_URI)
        .envs(env.iter().copied())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(120), node.output())
        .await
        .expect("rp.mjs timed out")
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "rp.mjs failed ({}, {versions}):\n--- stdout\n{stdout}--- stderr\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("all RP checks passed"),
        "unexpected output:\n{stdout}"
    );
    eprintln!(
        "rp.mjs ({versions}) passed in {:?}:\n{stdout}",
        started.elapsed()
    );
}

#[tokio::test]
async fn login_page_lists_only_the_connections_enabled_for_the_client() {
    let tenant = Tenant::start().await;
    let a = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    let b = tenant.client("B", REDIRECT_B, "client_secret_basic").await;
    let c = tenant.client("C", REDIRECT_A, "client_secret_basic").await;
    tenant.database(&[&a, &b]).await;
    tenant
        .connection(json!({
            "name": "github",
            "strategy": "github",
            "display_name": "Octocat Sign-In",
            "options": {"client_id": "gh-client-id", "client_secret": "gh-client-secret"},
            "enabled_clients": [b.id],
        }))
        .await;
    tenant
        .connection(json!({
            "name": "gadget-work",
            "strategy": "google-oauth2",
            "display_name": "Gadget Workspace",
            "options": {"client_id": "g-client-id", "client_secret": "g-client-secret"},
            "enabled_clients": [c.id],
        }))
        .await;

    let page_a = Browser::new(&tenant)
        .navigate(&authorize(&tenant, &a, &[]).url)
        .await;
    let (status, url, html_a) = page_a.page();
    assert_eq!(status, 200, "{url}: {html_a}");
    assert!(has_login_form(&html_a), "A gets a login form:\n{html_a}");
    assert!(
        html_a.contains("/u/signup?state="),
        "signup link:\n{html_a}"
    );
    assert!(
        !html_a.contains(r#"name="connection""#) || !html_a.contains("<select"),
        "one database connection: no connection chooser expected:\n{html_a}"
    );

    let (status, url, html_b) = Browser::new(&tenant)
        .navigate(&authorize(&tenant, &b, &[]).url)
        .await
        .page();
    assert_eq!(status, 200, "{url}: {html_b}");
    assert!(has_login_form(&html_b), "B gets a login form:\n{html_b}");
    assert!(
        html_b.contains("Octocat Sign-In"),
        "B's page names its github connection:\n{html_b}"
    );
    assert!(
        html_b.contains("connection=github"),
        "B's page links to the github connection:\n{html_b}"
    );

    for (who, html) in [("A", &html_a), ("B", &html_b)] {
        assert!(
            !html.contains("Gadget Workspace") && !html.contains("gadget-work"),
            "{who}'s page shows a connection enabled only for C:\n{html}"
        );
    }
    assert!(
        !html_a.contains("Octocat") && !html_a.contains("connection=github"),
        "A's page shows B's github connection:\n{html_a}"
    );
}

#[tokio::test]
async fn a_connection_not_enabled_for_the_client_is_refused() {
    let tenant = Tenant::start().await;
    let a = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    let b = tenant.client("B", REDIRECT_B, "client_secret_basic").await;
    tenant.database(&[&a, &b]).await;
    tenant
        .connection(json!({
            "name": "github",
            "strategy": "github",
            "options": {"client_id": "gh-client-id", "client_secret": "gh-client-secret"},
            "enabled_clients": [b.id],
        }))
        .await;

    // Control: the database connection, enabled for A, shows the form (so
    // the refusals below are about the connection, not a broken endpoint).
    let request = authorize(&tenant, &a, &[("connection", DATABASE)]);
    let (status, url, html) = Browser::new(&tenant).navigate(&request.url).await.page();
    assert_eq!(status, 200, "connection={DATABASE}: {url}:\n{html}");
    assert!(
        has_login_form(&html),
        "connection={DATABASE}: no login form:\n{html}"
    );

    for connection in ["github", "no-such-connection"] {
        let request = authorize(&tenant, &a, &[("connection", connection)]);
        match Browser::new(&tenant).navigate(&request.url).await {
            Landing::Away(url) => {
                assert!(
                    url.as_str().starts_with(REDIRECT_A),
                    "connection={connection}: redirected to {url}, expected an error at the client"
                );
                assert_eq!(
                    query_param(&url, "error").as_deref(),
                    Some("invalid_request"),
                    "connection={connection}: {url}"
                );
                assert_eq!(
                    query_param(&url, "state").as_deref(),
                    Some(request.state.as_str())
                );
                assert_eq!(query_param(&url, "code"), None, "{url}");
            }
            Landing::Page { status, url, html } => {
                assert_eq!(
                    status, 400,
                    "connection={connection}: expected an error page, got HTTP {status} at {url}:\n{html}"
                );
                assert!(
                    !has_login_form(&html),
                    "connection={connection}: a login form was shown at {url}:\n{html}"
                );
            }
        }
    }
}

#[tokio::test]
async fn sso_session_prompt_none_max_age_and_prompt_login() {
    let tenant = Tenant::start().await;
    let a = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    let b = tenant.client("B", REDIRECT_B, "client_secret_basic").await;
    tenant.database(&[&a, &b]).await;
    let email = "sso@example.com";
    tenant.signup(&a, email).await;

    // The transaction cookie set by /authorize: HttpOnly, SameSite=Lax.
    let browser = Browser::new(&tenant);
    let first = authorize(&tenant, &a, &[]);
    let raw = browser
        .client
        .get(&first.url)
        .send()
        .await
        .expect("authorize");
    assert_eq!(raw.status(), StatusCode::FOUND, "/authorize answers 302");
    let location = raw
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(location.contains("/u/login?state="), "{location}");
    let cookies = set_cookies(&raw);
    assert!(!cookies.is_empty(), "/authorize sets a transaction cookie");
    for cookie in &cookies {
        let lower = cookie.to_ascii_lowercase();
        assert!(lower.contains("httponly"), "not HttpOnly: {cookie}");
        assert!(lower.contains("samesite=lax"), "not SameSite=Lax: {cookie}");
    }

    // Log in with A.
    let callback_a = browser.login(&first, email).await;
    assert!(callback_a.as_str().starts_with(REDIRECT_A));
    let (status, tokens_a) = exchange(
        &tenant,
        &a,
        &query_param(&callback_a, "code").expect("code"),
        &first.verifier,
    )
    .await;
    assert_eq!(status, 200, "{tokens_a}");
    let claims_a = jwt_claims(tokens_a["id_token"].as_str().expect("id_token"));

    // Same browser, client B: straight back with a code, no login page.
    let request_b = authorize(&tenant, &b, &[]);
    let callback_b = browser.navigate(&request_b.url).await.away();
    assert!(
        callback_b.as_str().starts_with(REDIRECT_B),
        "SSO for B went to {callback_b}"
    );
    assert_eq!(
        query_param(&callback_b, "state").as_deref(),
        Some(request_b.state.as_str())
    );
    let code_b = query_param(&callback_b, "code").expect("SSO code for B");
    let (status, tokens_b) = exchange(&tenant, &b, &code_b, &request_b.verifier).await;
    assert_eq!(status, 200, "{tokens_b}");
    let claims_b = jwt_claims(tokens_b["id_token"].as_str().expect("id_token"));
    assert_eq!(claims_b["sub"], claims_a["sub"], "same user through SSO");
    assert_eq!(claims_b["aud"], json!(b.id), "B's token is for B");
    assert_eq!(
        claims_b["auth_time"], claims_a["auth_time"],
        "SSO keeps the original auth_time"
    );

    // prompt=none with a session: a code, no page.
    let quiet = authorize(&tenant, &a, &[("prompt", "none")]);
    let url = browser.navigate(&quiet.url).await.away();
    assert!(query_param(&url, "code").is_some(), "{url}");

    // prompt=none in a fresh browser: login_required at the redirect_uri.
    let quiet = authorize(&tenant, &a, &[("prompt", "none")]);
    let url = Browser::new(&tenant).navigate(&quiet.url).await.away();
    assert!(url.as_str().starts_with(REDIRECT_A), "{url}");
    assert_eq!(
        query_param(&url, "error").as_deref(),
        Some("login_required"),
        "{url}"
    );
    assert_eq!(
        query_param(&url, "state").as_deref(),
        Some(quiet.state.as_str())
    );
    assert_eq!(query_param(&url, "code"), None);

    // max_age=0 and prompt=login: the login form again despite the session.
    for extra in [("max_age", "0"), ("prompt", "login")] {
        let request = authorize(&tenant, &a, &[extra]);
        let (status, url, html) = browser.navigate(&request.url).await.page();
        assert_eq!(status, 200, "{extra:?}: {url}");
        assert!(
            has_login_form(&html),
            "{extra:?}: expected the login form:\n{html}"
        );
    }

    // ... and logging in there gives a later auth_time (OIDCC prompt=login).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = authorize(&tenant, &a, &[("prompt", "login")]);
    let callback = browser.login(&again, email).await;
    let (status, tokens) = exchange(
        &tenant,
        &a,
        &query_param(&callback, "code").expect("code"),
        &again.verifier,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let claims = jwt_claims(tokens["id_token"].as_str().expect("id_token"));
    assert!(
        claims["auth_time"].as_i64() > claims_a["auth_time"].as_i64(),
        "re-authentication moves auth_time: {} then {}",
        claims_a["auth_time"],
        claims["auth_time"]
    );
}

#[tokio::test]
async fn unknown_client_or_unregistered_redirect_uri_gets_an_error_page_never_a_redirect() {
    let (tenant, app, _) = Tenant::with_user().await;

    let unknown = App {
        id: "no-such-client".to_owned(),
        secret: String::new(),
        redirect_uri: REDIRECT_A,
    };
    let mut cases = vec![("unknown client_id", authorize(&tenant, &unknown, &[]).url)];
    for bad in [
        "http://127.0.0.1:3101/cb/extra",
        "http://127.0.0.1:3101/CB",
        "http://127.0.0.1:3101/cb?x=1",
        "http://127.0.0.1:3199/cb",
        "http://evil.example/cb",
    ] {
        let mut url = Url::parse(&authorize(&tenant, &app, &[]).url).expect("url");
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "redirect_uri" {
                    bad.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        cases.push(("unregistered redirect_uri", url.into()));
    }
    for (what, url) in cases {
        let response = http().get(&url).send().await.expect("authorize");
        let status = response.status();
        let location = response.headers().get("location").cloned();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.unwrap_or_default();
        assert_eq!(location, None, "{what}: {url} redirected");
        assert_eq!(status, 400, "{what}: {url}:\n{body}");
        assert!(
            content_type.starts_with("text/html"),
            "{what}: error page is {content_type}"
        );
    }
}

#[tokio::test]
async fn missing_response_type_redirects_with_invalid_request_and_state() {
    let (tenant, app, _) = Tenant::with_user().await;
    let request = authorize(&tenant, &app, &[]);
    let mut url = Url::parse(&request.url).expect("url");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "response_type")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let response = http().get(url.as_str()).send().await.expect("authorize");
    assert!(
        response.status().is_redirection(),
        "HTTP {}",
        response.status()
    );
    let location = Url::parse(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("Location"),
    )
    .expect("absolute Location");
    assert!(location.as_str().starts_with(REDIRECT_A), "{location}");
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("invalid_request"),
        "{location}"
    );
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert_eq!(query_param(&location, "code"), None);
}

#[tokio::test]
async fn wrong_pkce_verifier_and_replayed_code_are_invalid_grant() {
    let (tenant, app, email) = Tenant::with_user().await;
    let browser = Browser::new(&tenant);

    // Code 1: the wrong verifier.
    let first = authorize(&tenant, &app, &[]);
    let callback = browser.login(&first, &email).await;
    let code = query_param(&callback, "code").expect("code");
    let (status, body) = exchange(&tenant, &app, &code, &format!("{}x", first.verifier)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");

    // Code 2 (through the session): redeemed once, then replayed.
    let second = authorize(&tenant, &app, &[]);
    let callback = browser.navigate(&second.url).await.away();
    let code = query_param(&callback, "code").expect("SSO code");
    let (status, tokens) = exchange(&tenant, &app, &code, &second.verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let access_token = tokens["access_token"].as_str().expect("access_token");
    assert_eq!(userinfo_status(&tenant, access_token).await, 200);

    let (status, body) = exchange(&tenant, &app, &code, &second.verifier).await;
    assert_eq!(status, 400, "replayed code: {body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert_eq!(
        userinfo_status(&tenant, access_token).await,
        401,
        "the access token of a replayed code must be revoked"
    );
    if let Some(refresh_token) = tokens["refresh_token"].as_str() {
        let (status, body) = refresh(&tenant, &app, refresh_token).await;
        assert_eq!(
            body["error"], "invalid_grant",
            "the refresh token of a replayed code must be revoked (HTTP {status}): {body}"
        );
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let (tenant, app, email) = Tenant::with_user().await;
    let mut answers = Vec::new();
    for (username, password) in [
        (email.as_str(), "Wr0ng-Horse-Battery"),
        ("nobody@example.com", PASSWORD),
    ] {
        let browser = Browser::new(&tenant);
        let request = authorize(&tenant, &app, &[]);
        let (_, url, html) = browser.navigate(&request.url).await.page();
        let response = browser
            .post_login(&url, &html, username, password, &[])
            .await;
        let status = response.status();
        let cookies = set_cookies(&response);
        let body = response.text().await.expect("body");
        assert_eq!(status, 400, "{username}: {body}");
        assert!(
            body.contains(WRONG_CREDENTIALS),
            "{username}: no \"{WRONG_CREDENTIALS}\":\n{body}"
        );
        assert!(
            has_login_form(&body),
            "{username}: the form is shown again:\n{body}"
        );
        assert!(
            !cookies.iter().any(|c| c.starts_with("vestibule_session=")),
            "{username}: a session cookie after a failed login: {cookies:?}"
        );
        // Compare the pages with the per-transaction state and the echoed
        // username (a prefilled field is fine) taken out.
        let state = query_param(&url, "state").expect("state in the page URL");
        answers.push((
            status,
            body.replace(&state, "STATE").replace(username, "USERNAME"),
        ));
    }
    assert_eq!(answers[0].0, answers[1].0);
    assert_eq!(
        answers[0].1, answers[1].1,
        "wrong password and unknown user must give the same page"
    );
}

#[tokio::test]
async fn cross_site_login_posts_are_refused() {
    let (tenant, app, email) = Tenant::with_user().await;
    for header in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "http://evil.example"),
    ] {
        let browser = Browser::new(&tenant);
        let request = authorize(&tenant, &app, &[]);
        let (_, url, html) = browser.navigate(&request.url).await.page();
        let response = browser
            .post_login(&url, &html, &email, PASSWORD, &[header])
            .await;
        let status = response.status();
        let cookies = set_cookies(&response);
        assert_eq!(status, 403, "{header:?}");
        assert!(
            !cookies.iter().any(|c| c.starts_with("vestibule_session=")),
            "{header:?}: session cookie set: {cookies:?}"
        );
        // The same browser, same transaction, no foreign header: accepted —
        // so the 403 was about the header, not the credentials.
        let response = browser.post_login(&url, &html, &email, PASSWORD, &[]).await;
        assert!(
            response.status().is_redirection(),
            "{header:?}: then a same-site POST answered {}",
            response.status()
        );
    }
}

// ------------------------------------------------------------ auth0-python

/// `python3 --version`, or why not.
pub(crate) fn python_toolchain() -> Result<String, String> {
    let output = Command::new("python3")
        .arg("--version")
        .output()
        .map_err(|e| format!("`python3` not found: {e}"))?;
    if !output.status.success() {
        return Err("`python3 --version` failed".to_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `python3 -m venv .venv` + `pip install -r requirements.txt` in
/// `tests/python`, once per requirements file: `.venv/.installed` keeps the
/// requirements it was built from. A lock file serialises test processes.
pub(crate) fn ensure_venv(dir: &Path) -> std::path::PathBuf {
    let _lock = harness::InstallLock::acquire(&dir.join(".venv-install.lock"));
    let venv = dir.join(".venv");
    let python = venv.join("bin/python");
    let requirements = std::fs::read_to_string(dir.join("requirements.txt")).expect("requirements");
    let marker = venv.join(".installed");
    if python.is_file() && std::fs::read_to_string(&marker).is_ok_and(|m| m == requirements) {
        return python;
    }
    let started = Instant::now();
    let run = |command: &mut Command| {
        let output = command.output().expect("run");
        assert!(
            output.status.success(),
            "{command:?} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(dir.join("requirements.txt")));
    std::fs::write(&marker, requirements).expect("write marker");
    eprintln!(
        "python venv in {} took {:?}",
        venv.display(),
        started.elapsed()
    );
    python
}

#[tokio::test]
async fn auth0_python_signs_up_and_logs_in_with_password_realm() {
    let Some(version) = toolchain_or_skip(
        "auth0_python_signs_up_and_logs_in_with_password_realm",
        python_toolchain(),
    ) else {
        return;
    };
    let dir = harness::repo_root().join("tests/python");
    let python = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || ensure_venv(&dir)
    })
    .await
    .expect("venv task");

    let tenant = Tenant::start().await;
    // auth0-python sends the secret in the body: client_secret_post.
    let app = tenant
        .client("Python", REDIRECT_A, "client_secret_post")
        .await;
    tenant.database(&[&app]).await;

    let mut script = tokio::process::Command::new(&python);
    script
        .arg(dir.join("test_auth0_python.py"))
        .current_dir(&dir)
        .env(
            "VESTIBULE_DOMAIN",
            format!("127.0.0.1:{}", tenant.server.port),
        )
        .env("VESTIBULE_ISSUER", tenant.server.issuer())
        .env("CLIENT_ID", &app.id)
        .env("CLIENT_SECRET", &app.secret)
        .env("CONNECTION", DATABASE)
        .env("EMAIL", "py-user@example.com")
        .env("PASSWORD", PASSWORD)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(120), script.output())
        .await
        .expect("python script timed out")
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "test_auth0_python.py failed ({}, {version}):\n--- stdout\n{stdout}--- stderr\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("all auth0-python checks passed"),
        "unexpected output:\n{stdout}"
    );
    eprintln!("auth0-python ({version}):\n{stdout}");
}

// ------------------------------------------- response types, consent, PKCE

/// Every named `<input>` of a page, with its value.
fn inputs(html: &str) -> Vec<(String, String)> {
    start_tags(html, "input")
        .into_iter()
        .filter_map(|(_, tag)| {
            Some((
                attribute(tag, "name")?,
                attribute(tag, "value").unwrap_or_default(),
            ))
        })
        .collect()
}

fn input(html: &str, name: &str) -> Option<String> {
    inputs(html)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// A client that may receive tokens from /authorize (the `implicit` grant).
pub(crate) async fn implicit_client(tenant: &Tenant) -> App {
    let body = json!({
        "name": "Hybrid", "app_type": "regular_web", "callbacks": [REDIRECT_B],
        "grant_types": ["authorization_code", "implicit"],
        "token_endpoint_auth_method": "client_secret_post",
    });
    let created = tenant
        .management(reqwest::Method::POST, "/api/v2/clients", body)
        .await;
    App {
        id: created["client_id"].as_str().unwrap().to_owned(),
        secret: created["client_secret"].as_str().unwrap().to_owned(),
        redirect_uri: REDIRECT_B,
    }
}

fn half_hash(value: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}

#[tokio::test]
async fn hybrid_form_post_returns_a_code_and_an_id_token_bound_to_it() {
    let tenant = Tenant::start().await;
    let app = implicit_client(&tenant).await;
    tenant.database(&[&app]).await;
    tenant.signup(&app, "hybrid@example.com").await;
    let request = authorize(
        &tenant,
        &app,
        &[
            ("response_type", "code id_token"),
            ("response_mode", "form_post"),
        ],
    );
    // The helper put response_type=code first; the server refuses repeats, so build it cleanly.
    let url = request.url.replacen("response_type=code&", "", 1);
    let browser = Browser::new(&tenant);
    let (_, page_url, html) = browser.navigate(&url).await.page();
    let response = browser
        .post_login(&page_url, &html, "hybrid@example.com", PASSWORD, &[])
        .await;
    let (status, _, html) = browser.follow(response).await.page();
    assert_eq!(status, 200, "{html}");
    let form = start_tags(&html, "form")
        .into_iter()
        .next()
        .map(|(_, tag)| attribute(tag, "action"));
    assert_eq!(form.flatten().as_deref(), Some(REDIRECT_B), "{html}");
    let code = input(&html, "code").expect("code");
    let id_token = input(&html, "id_token").expect("id_token");
    assert_eq!(
        input(&html, "state").as_deref(),
        Some(request.state.as_str())
    );
    let claims = jwt_claims(&id_token);
    assert_eq!(claims["c_hash"], half_hash(&code), "{claims}");
    assert!(claims["nonce"].is_string());
    assert!(
        claims.get("at_hash").is_none(),
        "no access token was issued from /authorize"
    );
}

#[tokio::test]
async fn implicit_id_token_token_goes_in_the_fragment_with_at_hash() {
    let tenant = Tenant::start().await;
    let app = implicit_client(&tenant).await;
    tenant.database(&[&app]).await;
    tenant.signup(&app, "implicit@example.com").await;
    let request = authorize(&tenant, &app, &[("response_type", "id_token token")]);
    let url = request.url.replacen("response_type=code&", "", 1);
    let browser = Browser::new(&tenant);
    let (_, page_url, html) = browser.navigate(&url).await.page();
    let response = browser
        .post_login(&page_url, &html, "implicit@example.com", PASSWORD, &[])
        .await;
    let callback = browser.follow(response).await.away();
    assert!(
        callback.query().is_none(),
        "tokens never travel in the query: {callback}"
    );
    let fragment: Vec<(String, String)> =
        url::form_urlencoded::parse(callback.fragment().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let get = |name: &str| {
        fragment
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let access_token = get("access_token").expect("access_token");
    let claims = jwt_claims(&get("id_token").expect("id_token"));
    assert_eq!(claims["at_hash"], half_hash(&access_token));
    assert_eq!(get("token_type").as_deref(), Some("Bearer"));
    assert_eq!(get("state").as_deref(), Some(request.state.as_str()));
    assert_eq!(userinfo_status(&tenant, &access_token).await, 200);
}

#[tokio::test]
async fn tokens_from_authorize_need_the_implicit_grant_and_query_mode_never_carries_them() {
    let (tenant, app, _) = Tenant::with_user().await;
    let request = authorize(&tenant, &app, &[("response_type", "code id_token")]);
    let url = request.url.replacen("response_type=code&", "", 1);
    let callback = Browser::new(&tenant).navigate(&url).await.away();
    let fragment = callback.fragment().unwrap_or("");
    assert!(fragment.contains("error=unauthorized_client"), "{callback}");
    let hybrid = implicit_client(&tenant).await;
    let request = authorize(
        &tenant,
        &hybrid,
        &[
            ("response_type", "code id_token"),
            ("response_mode", "query"),
        ],
    );
    let url = request.url.replacen("response_type=code&", "", 1);
    let callback = Browser::new(&tenant).navigate(&url).await.away();
    assert!(
        callback.as_str().contains("error=invalid_request"),
        "{callback}"
    );
}

#[tokio::test]
async fn third_party_clients_ask_for_consent_and_a_refusal_is_access_denied() {
    let tenant = Tenant::start().await;
    let body = json!({
        "name": "Third Party App", "app_type": "regular_web", "callbacks": [REDIRECT_B],
        "is_first_party": false, "token_endpoint_auth_method": "client_secret_post",
    });
    let created = tenant
        .management(reqwest::Method::POST, "/api/v2/clients", body)
        .await;
    let app = App {
        id: created["client_id"].as_str().unwrap().to_owned(),
        secret: created["client_secret"].as_str().unwrap().to_owned(),
        redirect_uri: REDIRECT_B,
    };
    tenant.database(&[&app]).await;
    tenant.signup(&app, "consent@example.com").await;
    for (action, expected) in [("deny", "access_denied"), ("accept", "code")] {
        let request = authorize(&tenant, &app, &[]);
        let browser = Browser::new(&tenant);
        let (_, page_url, html) = browser.navigate(&request.url).await.page();
        let response = browser
            .post_login(&page_url, &html, "consent@example.com", PASSWORD, &[])
            .await;
        let (status, consent_url, html) = browser.follow(response).await.page();
        assert_eq!(status, 200);
        assert_eq!(consent_url.path(), "/u/consent", "{html}");
        assert!(
            html.contains("Third Party App") && html.contains("openid"),
            "{html}"
        );
        let state = input(&html, "state").expect("state");
        let response = browser
            .client
            .post(consent_url.clone())
            .form(&[("state", state.as_str()), ("action", action)])
            .send()
            .await
            .unwrap();
        let callback = browser.follow(response).await.away();
        if expected == "code" {
            assert!(query_param(&callback, "code").is_some(), "{callback}");
        } else {
            assert_eq!(
                query_param(&callback, "error").as_deref(),
                Some("access_denied"),
                "{callback}"
            );
            assert!(query_param(&callback, "code").is_none());
        }
    }
}

#[tokio::test]
async fn public_clients_must_send_pkce_and_plain_is_refused_unless_allowed() {
    let tenant = Tenant::start().await;
    let body = json!({"name": "SPA", "app_type": "spa", "callbacks": [REDIRECT_B]});
    let created = tenant
        .management(reqwest::Method::POST, "/api/v2/clients", body)
        .await;
    assert_eq!(created["token_endpoint_auth_method"], "none");
    assert!(
        created.get("client_secret").is_none(),
        "public clients have no secret"
    );
    let client_id = created["client_id"].as_str().unwrap();
    let base = tenant.server.url("/authorize");
    let without_pkce = format!(
        "{base}?client_id={client_id}&redirect_uri={REDIRECT_B}&response_type=code&scope=openid&state=s1"
    );
    let callback = Browser::new(&tenant).navigate(&without_pkce).await.away();
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("invalid_request"),
        "{callback}"
    );
    let challenge = "a".repeat(43);
    let plain = format!("{without_pkce}&code_challenge={challenge}&code_challenge_method=plain");
    let callback = Browser::new(&tenant).navigate(&plain).await.away();
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("invalid_request"),
        "{callback}"
    );
    let s256 = format!("{without_pkce}&code_challenge={challenge}&code_challenge_method=S256");
    let (status, url, _) = Browser::new(&tenant).navigate(&s256).await.page();
    assert_eq!((status, url.path()), (StatusCode::OK, "/u/login"));
}

#[tokio::test]
async fn id_token_hint_limits_silent_login_to_the_hinted_user() {
    let (tenant, app, alice) = Tenant::with_user().await;
    tenant.signup(&app, "bob@example.com").await;
    let id_token_of = |browser: Browser, email: String| {
        let tenant = &tenant;
        let app = &app;
        async move {
            let request = authorize(tenant, app, &[]);
            let callback = browser.login(&request, &email).await;
            let code = query_param(&callback, "code").unwrap();
            let (status, tokens) = exchange(tenant, app, &code, &request.verifier).await;
            assert_eq!(status, 200, "{tokens}");
            (browser, tokens["id_token"].as_str().unwrap().to_owned())
        }
    };
    let (alice_browser, alice_hint) = id_token_of(Browser::new(&tenant), alice.clone()).await;
    let (_, bob_hint) = id_token_of(Browser::new(&tenant), "bob@example.com".to_owned()).await;

    let silent = |hint: &str| {
        authorize(
            &tenant,
            &app,
            &[("prompt", "none"), ("id_token_hint", hint)],
        )
    };
    let callback = alice_browser
        .navigate(&silent(&alice_hint).url)
        .await
        .away();
    assert!(
        query_param(&callback, "code").is_some(),
        "the hinted user's session is reused: {callback}"
    );
    let callback = alice_browser.navigate(&silent(&bob_hint).url).await.away();
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("login_required"),
        "{callback}"
    );
    let callback = alice_browser
        .navigate(&silent("not-a-token").url)
        .await
        .away();
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("invalid_request"),
        "{callback}"
    );
}
