//! The hosted pages in a real browser: Debian's Chromium, driven by
//! `playwright-core` (`tests/sdk/browser.mjs`), for an application on
//! another origin (`http://localhost:{port}`, while the server is
//! `http://127.0.0.1:{port}`: another site, as browsers count sites). An HTTP
//! library sends no `Origin`, no `Sec-Fetch-*`, and ignores CSP and referrer
//! policy, so only this test sees whether a person can sign up, consent, log
//! in, verify an email and reset a password; and whether a cross-site form
//! post is still refused by the same browser.

use crate::harness::{self, Server, ServerOptions, http, management_token};
use crate::sdk_node::{node_toolchain, sdk_packages};
use crate::smtp_sink::{SMTP_PASS, SMTP_USER, SmtpSink};
use crate::support::{App, DATABASE, Tenant, authorize, exchange, query_param};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use url::Url;

const PASSWORD: &str = "Browser-Horse-Battery-9";
const NEW_PASSWORD: &str = "Browser-Staple-Horse-7";

/// What the browser saw at the end of a plan.
struct Outcome {
    ok: bool,
    failure: Value,
    url: String,
    text: String,
    received: Vec<Value>,
    console: Vec<String>,
}

/// Chromium's path, or why the browser tests cannot run.
fn chromium() -> Result<String, String> {
    let path = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if Path::new(&path).is_file() {
        Ok(path)
    } else {
        Err(format!("no Chromium at {path} (apt-get install chromium)"))
    }
}

/// Runs one plan in a fresh browser profile.
async fn run(sdk_dir: &Path, chromium: &str, plan: Value) -> Outcome {
    let mut node = tokio::process::Command::new("node");
    node.arg(sdk_dir.join("browser.mjs"))
        .current_dir(sdk_dir)
        .env("BROWSER_PLAN", plan.to_string())
        .env("CHROMIUM", chromium)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(90), node.output())
        .await
        .expect("browser.mjs timed out")
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("browser.mjs printed no result:\n{stdout}\n{stderr}"));
    let result: Value = serde_json::from_str(line).expect("result json");
    let strings = |key: &str| -> Vec<Value> { result[key].as_array().cloned().unwrap_or_default() };
    Outcome {
        ok: result["ok"] == true,
        failure: result["failure"].clone(),
        url: result["url"].as_str().unwrap_or_default().to_owned(),
        text: result["text"].as_str().unwrap_or_default().to_owned(),
        received: strings("received"),
        console: strings("console")
            .iter()
            .map(|m| m.as_str().unwrap_or_default().to_owned())
            .collect(),
    }
}

impl Outcome {
    /// Panics with everything the browser saw unless the plan ran through
    /// and no page broke a Content Security Policy.
    fn expect_ok(self, what: &str) -> Self {
        let violations: Vec<&String> = self
            .console
            .iter()
            .filter(|m| m.contains("Content Security Policy"))
            .collect();
        assert!(
            self.ok && violations.is_empty(),
            "{what}: {}\nat {}\n--- page\n{}\n--- console\n{:#?}",
            self.failure,
            self.url,
            self.text,
            self.console
        );
        self
    }
}

/// The application's start page: a link that starts the login.
fn app_page(authorize_url: &str) -> String {
    let href = authorize_url.replace('&', "&amp;");
    format!("<!doctype html><title>App</title><a id=\"login\" href=\"{href}\">Log in</a>")
}

struct Setup {
    tenant: Tenant,
    app: App,
    sink: SmtpSink,
    app_port: u16,
    sdk_dir: std::path::PathBuf,
    chromium: String,
}

impl Setup {
    fn app_origin(&self) -> String {
        format!("http://localhost:{}", self.app_port)
    }

    /// A plan that starts at the application's page, whose link sends the
    /// browser to `/authorize`, then takes `steps`.
    async fn start_at_app(&self, authorize_url: &str, steps: Vec<Value>) -> Outcome {
        let mut all = vec![
            json!({"goto": format!("{}/", self.app_origin())}),
            json!({"click": "#login"}),
        ];
        all.extend(steps);
        self.plan(json!({"/": app_page(authorize_url)}), all).await
    }

    async fn plan(&self, pages: Value, steps: Vec<Value>) -> Outcome {
        run(
            &self.sdk_dir,
            &self.chromium,
            json!({"app_port": self.app_port, "app_pages": pages, "steps": steps}),
        )
        .await
    }

    /// The code the application's callback received, exchanged for tokens.
    async fn tokens(&self, outcome: &Outcome, state: &str, verifier: &str) -> Value {
        let url = Url::parse(&outcome.url).expect("final url");
        assert_eq!(
            url.origin().ascii_serialization(),
            self.app_origin(),
            "{}",
            outcome.url
        );
        assert_eq!(query_param(&url, "state").as_deref(), Some(state));
        let code = query_param(&url, "code").expect("code in the callback");
        let (status, body) = exchange(&self.tenant, &self.app, &code, verifier).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn user(&self, email: &str) -> Value {
        self.tenant
            .management(
                Method::GET,
                &format!("/api/v2/users-by-email?email={email}"),
                Value::Null,
            )
            .await[0]
            .clone()
    }
}

async fn setup() -> Option<Setup> {
    let toolchain = node_toolchain().and_then(|_| chromium());
    let chromium = match toolchain {
        Ok(path) => path,
        Err(reason) if harness::in_ci() => panic!("CI needs node, npm and Chromium: {reason}"),
        Err(reason) => {
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 SKIP browser tests: {reason}\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            return None;
        }
    };
    let sdk_dir = sdk_packages().await;
    let sink = SmtpSink::start().await;
    let server = Server::start_with(ServerOptions::default());
    let token = management_token(&server).await;
    let tenant = Tenant { server, token };
    let app_port = harness::free_port();
    // Another site than the server's 127.0.0.1: the browser's `localhost`.
    let redirect_uri: &'static str =
        Box::leak(format!("http://localhost:{app_port}/callback").into_boxed_str());
    let app = tenant
        .client("Browser App", redirect_uri, "client_secret_basic")
        .await;
    tenant
        .connection(json!({"name": DATABASE, "strategy": "auth0", "enabled_clients": [app.id]}))
        .await;
    // A social button on the login page, with its icon served by Vestibule.
    tenant
        .connection(json!({
            "name": "google-oauth2", "strategy": "google-oauth2", "enabled_clients": [app.id],
            "options": {"client_id": "google-client", "client_secret": "google-secret"},
        }))
        .await;
    tenant
        .management(
            Method::POST,
            "/api/v2/emails/provider",
            json!({
                "name": "smtp", "enabled": true, "default_from_address": "no-reply@vestibule.test",
                "credentials": {"smtp_host": "127.0.0.1", "smtp_port": sink.port,
                                "smtp_user": SMTP_USER, "smtp_pass": SMTP_PASS},
                "settings": {"allow_insecure_plaintext": true},
            }),
        )
        .await;
    Some(Setup {
        tenant,
        app,
        sink,
        app_port,
        sdk_dir,
        chromium,
    })
}

#[tokio::test]
async fn a_person_signs_up_consents_verifies_resets_and_logs_in_with_chromium() {
    let Some(setup) = setup().await else {
        return;
    };
    let email = "browser.user@example.com";
    let issuer = setup.tenant.server.issuer().to_owned();

    // Sign up from the application's page, then consent (asked for by
    // `prompt=consent`), and land on the application's callback.
    let request = authorize(&setup.tenant, &setup.app, &[("prompt", "consent")]);
    let outcome = setup
        .start_at_app(
            &request.url,
            vec![
                json!({"wait_text": "Continue with Google"}),
                json!({"wait_image": "a.connection img"}),
                json!({"click": "a[href^=\"/u/signup\"]"}),
                json!({"fill": "#email", "value": email}),
                json!({"fill": "#password", "value": PASSWORD}),
                json!({"click": "button[type=submit]"}),
                json!({"wait_text": "is asking for access to your account"}),
                json!({"click": "button[value=accept]"}),
                json!({"wait_url": format!("{}/callback", setup.app_origin())}),
            ],
        )
        .await
        .expect_ok("sign up and consent");
    let tokens = setup
        .tokens(&outcome, &request.state, &request.verifier)
        .await;
    assert!(tokens["id_token"].is_string(), "{tokens}");

    // The verification email's link, opened and confirmed in the browser.
    let verify = setup.sink.wait_for(email, "Verify your email").await;
    let link = verify.link(&format!("{issuer}u/email-verification?ticket="));
    assert_eq!(setup.user(email).await["email_verified"], false);
    setup
        .plan(
            json!({}),
            vec![
                json!({"goto": link}),
                json!({"click": "button[type=submit]"}),
                json!({"wait_text": "Your email was verified"}),
            ],
        )
        .await
        .expect_ok("email verification");
    assert_eq!(setup.user(email).await["email_verified"], true);

    // A password reset asked for by the application, completed in the browser.
    let response = http()
        .post(setup.tenant.server.url("/dbconnections/change_password"))
        .json(&json!({"client_id": setup.app.id, "email": email, "connection": DATABASE}))
        .send()
        .await
        .expect("change_password");
    assert_eq!(response.status(), 200);
    let reset = setup.sink.wait_for(email, "Reset your password").await;
    let link = reset.link(&format!("{issuer}u/reset-password?ticket="));
    setup
        .plan(
            json!({}),
            vec![
                json!({"goto": link}),
                json!({"fill": "#password", "value": NEW_PASSWORD}),
                json!({"fill": "#password_confirm", "value": NEW_PASSWORD}),
                json!({"click": "button[type=submit]"}),
                json!({"wait_text": "Your password has been changed"}),
            ],
        )
        .await
        .expect_ok("password reset");

    // Log in with the new password, in a fresh browser.
    let request = authorize(&setup.tenant, &setup.app, &[]);
    let outcome = setup
        .start_at_app(
            &request.url,
            vec![
                json!({"fill": "#username", "value": email}),
                json!({"fill": "#password", "value": NEW_PASSWORD}),
                json!({"click": "button[type=submit]"}),
                json!({"wait_url": format!("{}/callback", setup.app_origin())}),
            ],
        )
        .await
        .expect_ok("login with the new password");
    let tokens = setup
        .tokens(&outcome, &request.state, &request.verifier)
        .await;
    assert!(tokens["access_token"].is_string(), "{tokens}");

    // The same login answered by `response_mode=form_post`: the answer page's
    // script posts the code to the application (its own CSP allows exactly that).
    let request = authorize(&setup.tenant, &setup.app, &[("response_mode", "form_post")]);
    let callback = format!("{}/callback", setup.app_origin());
    let outcome = setup
        .start_at_app(
            &request.url,
            vec![
                json!({"fill": "#username", "value": email}),
                json!({"fill": "#password", "value": NEW_PASSWORD}),
                json!({"click": "button[type=submit]"}),
                json!({"wait_request": callback}),
            ],
        )
        .await
        .expect_ok("form_post login");
    let posted = outcome
        .received
        .iter()
        .find(|r| r["method"] == "POST")
        .expect("the callback was posted to");
    let fields: Vec<(String, String)> =
        url::form_urlencoded::parse(posted["body"].as_str().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(field("state").as_deref(), Some(request.state.as_str()));
    let (status, body) = exchange(
        &setup.tenant,
        &setup.app,
        &field("code").expect("code posted"),
        &request.verifier,
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn result_urls_on_other_origins_and_cross_site_posts_in_chromium() {
    let Some(setup) = setup().await else {
        return;
    };
    let email = "ticket.user@example.com";
    let created = setup
        .tenant
        .management(
            Method::POST,
            "/api/v2/users",
            json!({"email": email, "password": PASSWORD, "connection": DATABASE}),
        )
        .await;
    let user_id = created["user_id"].as_str().expect("user_id");

    // A password-change ticket whose result URL is the application's: the
    // form's answer redirects there, which the page's form-action allows.
    let done = format!("{}/done", setup.app_origin());
    let ticket = setup
        .tenant
        .management(
            Method::POST,
            "/api/v2/tickets/password-change",
            json!({"user_id": user_id, "result_url": done}),
        )
        .await;
    let outcome = setup
        .plan(
            json!({}),
            vec![
                json!({"goto": ticket["ticket"]}),
                json!({"fill": "#password", "value": NEW_PASSWORD}),
                json!({"fill": "#password_confirm", "value": NEW_PASSWORD}),
                json!({"click": "button[type=submit]"}),
                json!({"wait_url": done}),
            ],
        )
        .await
        .expect_ok("password-change ticket to the application");
    assert!(outcome.url.contains("success=true"), "{}", outcome.url);

    // A page of another site posting the login form (with a real
    // transaction, so only the cross-site check can stop it): refused by
    // Fetch Metadata, and nobody is logged in.
    let request = authorize(&setup.tenant, &setup.app, &[]);
    let landing = http().get(&request.url).send().await.expect("authorize");
    let location = landing
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("redirect to the login page")
        .to_owned();
    let login_url = Url::parse(&setup.tenant.server.url("/"))
        .and_then(|base| base.join(&location))
        .expect("login url");
    let attack = format!(
        "<!doctype html><title>Evil</title><form id=\"f\" method=\"post\" action=\"{}\">\
         <input name=\"username\" value=\"{email}\"><input name=\"password\" value=\"{NEW_PASSWORD}\">\
         <button id=\"go\" type=\"submit\">Go</button></form>",
        login_url.as_str().replace('&', "&amp;")
    );
    let outcome = setup
        .plan(
            json!({"/attack": attack}),
            vec![
                json!({"goto": format!("{}/attack", setup.app_origin())}),
                json!({"click": "#go"}),
                json!({"wait_text": "This form can only be submitted from this site."}),
            ],
        )
        .await
        .expect_ok("cross-site post");
    assert!(
        outcome.url.starts_with(setup.tenant.server.issuer()),
        "{}",
        outcome.url
    );
}
