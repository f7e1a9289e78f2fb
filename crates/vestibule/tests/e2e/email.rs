//! Email end to end: a real SMTP server on loopback (`smtp_sink`, which
//! demands AUTH) receives the verification, reset and blocked-account
//! emails; the tests read them, follow their links through the hosted
//! pages, and check the account changed — or, for guessed, used, expired or
//! cross-site attempts, that nothing changed. Also: provider and template
//! validation (Auth0's 400 body), failed delivery logged (`fn`) and retried,
//! and auth0-python's `Database.change_password`.

use crate::harness::{self, Server, ServerOptions, http, management_token};
use crate::login::{ensure_venv, python_toolchain};
use crate::smtp_sink::{Received, SMTP_PASS, SMTP_USER, SmtpSink};
use crate::support::{App, DATABASE, PASSWORD, REDIRECT_A, Tenant, toolchain_or_skip};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use url::Url;

const FROM: &str = "no-reply@vestibule.test";
const NEW_PASSWORD: &str = "N3w-Staple-Horse-Battery";
const REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
const SENT: &str = "We've just sent you an email to reset your password.";
const INVALID_LINK: &str = "This link is invalid, has already been used, or has expired.";

struct Mail {
    tenant: Tenant,
    app: App,
    sink: SmtpSink,
}

fn provider(sink: &SmtpSink, pass: &str) -> Value {
    json!({
        "name": "smtp",
        "enabled": true,
        "default_from_address": FROM,
        "credentials": {
            "smtp_host": "127.0.0.1",
            "smtp_port": sink.port,
            "smtp_user": SMTP_USER,
            "smtp_pass": pass,
        },
        "settings": {"allow_insecure_plaintext": true},
    })
}

impl Mail {
    /// A server (email retries after 1 s), an app, a database connection
    /// with a `good` policy and a history of 2, and (when `with_provider`)
    /// the SMTP provider pointing at a fresh sink.
    async fn start(with_provider: bool) -> Self {
        let sink = SmtpSink::start().await;
        let server = Server::start_with(ServerOptions {
            env: vec![("VESTIBULE_EMAIL_RETRY_SECONDS".into(), "1".into())],
            ..ServerOptions::default()
        });
        let token = management_token(&server).await;
        let tenant = Tenant { server, token };
        let app = tenant
            .client("Mail App", REDIRECT_A, "client_secret_post")
            .await;
        tenant
            .connection(json!({
                "name": DATABASE,
                "strategy": "auth0",
                "enabled_clients": [app.id],
                "options": {"passwordPolicy": "good", "password_history": {"enable": true, "size": 2}},
            }))
            .await;
        if with_provider {
            tenant
                .management(
                    Method::POST,
                    "/api/v2/emails/provider",
                    provider(&sink, SMTP_PASS),
                )
                .await;
        }
        Self { tenant, app, sink }
    }

    async fn signup(&self, email: &str) -> Value {
        let response = http()
            .post(self.tenant.server.url("/dbconnections/signup"))
            .json(&json!({"client_id": self.app.id, "email": email, "password": PASSWORD, "connection": DATABASE, "name": "<b>Alice</b>"}))
            .send()
            .await
            .expect("signup");
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    async fn login(&self, email: &str, password: &str) -> StatusCode {
        http()
            .post(self.tenant.server.url("/oauth/token"))
            .form(&[
                ("grant_type", REALM),
                ("client_id", &self.app.id),
                ("client_secret", &self.app.secret),
                ("username", email),
                ("password", password),
                ("realm", DATABASE),
                ("scope", "openid"),
            ])
            .send()
            .await
            .expect("token")
            .status()
    }

    async fn user(&self, email: &str) -> Value {
        let users = self
            .tenant
            .management(
                Method::GET,
                &format!("/api/v2/users-by-email?email={email}"),
                Value::Null,
            )
            .await;
        users[0].clone()
    }

    async fn change_password(&self, email: &str) -> (StatusCode, String) {
        let response = http()
            .post(self.tenant.server.url("/dbconnections/change_password"))
            .json(&json!({"client_id": self.app.id, "email": email, "connection": DATABASE}))
            .send()
            .await
            .expect("change_password");
        (response.status(), response.text().await.expect("text"))
    }

    /// The event types in `/api/v2/logs`, newest first.
    async fn log_types(&self) -> Vec<String> {
        let logs = self
            .tenant
            .management(Method::GET, "/api/v2/logs?per_page=100", Value::Null)
            .await;
        logs.as_array()
            .expect("logs array")
            .iter()
            .map(|event| event["type"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Requests a page the way the link's recipient would.
    async fn get(&self, link: &str) -> (StatusCode, String) {
        let response = http().get(link).send().await.expect("get link");
        (response.status(), response.text().await.expect("page"))
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> (StatusCode, String) {
        let mut request = http().post(self.tenant.server.url(path)).form(form);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.expect("post");
        (response.status(), response.text().await.expect("page"))
    }
}

fn ticket_of(link: &str) -> String {
    let url = Url::parse(link).expect("link url");
    url.query_pairs()
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v.into_owned())
        .expect("ticket in link")
}

fn check_message(message: &Received, to: &str) {
    assert!(
        message.rcpt.iter().any(|r| r.contains(to)),
        "{:?}",
        message.rcpt
    );
    assert_eq!(message.header("from").as_deref(), Some(FROM));
    let content_type = message.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("multipart/alternative"),
        "{content_type}"
    );
    let html = message.part("text/html");
    // The user's name is escaped in the HTML part, plain in the text part.
    assert!(
        html.contains("&lt;b&gt;Alice&lt;&#x2f;b&gt;") || html.contains("&lt;b&gt;Alice"),
        "{html}"
    );
    assert!(!html.contains("<b>Alice"), "{html}");
    assert!(message.part("text/plain").contains("<b>Alice</b>"));
}

#[tokio::test]
async fn verification_and_password_reset_emails_complete_over_smtp() {
    let mail = Mail::start(true).await;
    let email = "alice@example.com";
    mail.signup(email).await;

    // Verification email at signup, through a real SMTP conversation with AUTH.
    let verify = mail.sink.wait_for(email, "Verify your email").await;
    check_message(&verify, email);
    let issuer = mail.tenant.server.issuer().to_owned();
    let link = verify.link(&format!("{issuer}u/email-verification?ticket="));
    let (status, page) = mail.get(&link).await;
    assert_eq!(status, 200, "{page}");
    // A GET (a mail scanner) uses nothing up.
    assert_eq!(mail.user(email).await["email_verified"], false);
    let ticket = ticket_of(&link);
    let (status, page) = mail
        .post("/u/email-verification", &[("ticket", &ticket)], None)
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Email verified"), "{page}");
    assert_eq!(mail.user(email).await["email_verified"], true);
    let (status, page) = mail
        .post("/u/email-verification", &[("ticket", &ticket)], None)
        .await;
    assert_eq!(status, 400, "a used link must be refused");
    assert!(page.contains(INVALID_LINK), "{page}");

    // Password reset: same answer for a known and an unknown address.
    assert_eq!(
        mail.change_password(email).await,
        (StatusCode::OK, SENT.to_owned())
    );
    assert_eq!(
        mail.change_password("nobody@example.com").await,
        (StatusCode::OK, SENT.to_owned())
    );
    let reset = mail.sink.wait_for(email, "Reset your password").await;
    check_message(&reset, email);
    let link = reset.link(&format!("{issuer}u/reset-password?ticket="));
    let ticket = ticket_of(&link);
    let (status, page) = mail.get(&link).await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"password_confirm\""), "{page}");

    // Mismatch, a weak password, and the current one (history): the link survives each.
    for (password, confirm, why) in [
        (NEW_PASSWORD, "something-else", "do not match"),
        ("abc", "abc", ""),
        (PASSWORD, PASSWORD, "used"),
    ] {
        let (status, page) = mail
            .post(
                "/u/reset-password",
                &[
                    ("ticket", &ticket),
                    ("password", password),
                    ("password_confirm", confirm),
                ],
                None,
            )
            .await;
        assert_eq!(status, 400, "{password}: {page}");
        assert!(page.contains(why), "{page}");
        assert!(
            page.contains("name=\"password_confirm\""),
            "the form is shown again: {page}"
        );
    }
    assert_eq!(mail.login(email, PASSWORD).await, 200);

    let (status, page) = mail
        .post(
            "/u/reset-password",
            &[
                ("ticket", &ticket),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Password changed"), "{page}");
    assert_eq!(mail.login(email, NEW_PASSWORD).await, 200);
    assert_ne!(mail.login(email, PASSWORD).await, 200);
    let (status, _) = mail
        .post(
            "/u/reset-password",
            &[
                ("ticket", &ticket),
                ("password", "An0ther-Fine-Passw0rd"),
                ("password_confirm", "An0ther-Fine-Passw0rd"),
            ],
            None,
        )
        .await;
    assert_eq!(status, 400, "a used reset link must be refused");
    assert_eq!(mail.login(email, NEW_PASSWORD).await, 200);

    let types = mail.log_types().await;
    for expected in ["svr", "sv", "scpr", "scp", "fcp"] {
        assert!(
            types.iter().any(|t| t == expected),
            "{expected} missing from {types:?}"
        );
    }
    assert_eq!(mail.sink.auth_failures(), 0);
}

#[tokio::test]
async fn reset_and_verification_links_refuse_guessed_used_expired_and_cross_site() {
    let mail = Mail::start(true).await;
    let email = "bob@example.com";
    mail.signup(email).await;
    let user = mail.user(email).await;
    let user_id = user["user_id"].as_str().expect("user_id").to_owned();

    // Guessing: well-formed random tickets, malformed ones, none at all.
    let mut guesses: Vec<String> = (0..30)
        .map(|_| crate::support::random_token()[..32].to_owned() + "AAAAAAAAAAA")
        .collect();
    guesses.extend([
        "".into(),
        "x".into(),
        "'; DROP TABLE one_time; --".into(),
        "A".repeat(5000),
    ]);
    for guess in &guesses {
        for path in ["/u/reset-password", "/u/email-verification", "/u/unblock"] {
            let (status, page) = mail
                .post(
                    path,
                    &[
                        ("ticket", guess),
                        ("password", NEW_PASSWORD),
                        ("password_confirm", NEW_PASSWORD),
                    ],
                    None,
                )
                .await;
            assert_eq!(status, 400, "{path} {guess}: {page}");
            assert!(page.contains(INVALID_LINK));
        }
        let url = format!(
            "{}?ticket={}",
            mail.tenant.server.url("/u/reset-password"),
            urlencode(guess)
        );
        assert_eq!(mail.get(&url).await.0, 400);
    }
    assert_eq!(mail.login(email, PASSWORD).await, 200);
    assert_eq!(mail.user(email).await["email_verified"], false);

    // Management tickets: a short ttl expires.
    let ticket = mail
        .tenant
        .management(
            Method::POST,
            "/api/v2/tickets/password-change",
            json!({"user_id": user_id, "ttl_sec": 1, "result_url": "https://app.example/done"}),
        )
        .await;
    let link = ticket["ticket"].as_str().expect("ticket url").to_owned();
    assert!(
        link.starts_with(&format!(
            "{}u/reset-password?ticket=",
            mail.tenant.server.issuer()
        )),
        "{link}"
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(mail.get(&link).await.0, 400, "expired link");
    let (status, _) = mail
        .post(
            "/u/reset-password",
            &[
                ("ticket", &ticket_of(&link)),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(mail.login(email, PASSWORD).await, 200);

    // A live ticket: cross-site posts are refused and change nothing; then
    // the result_url redirect carries Auth0's success parameters.
    let ticket = mail
        .tenant
        .management(
            Method::POST,
            "/api/v2/tickets/password-change",
            json!({"user_id": user_id, "result_url": "https://app.example/done", "mark_email_as_verified": true}),
        )
        .await;
    let live = ticket_of(ticket["ticket"].as_str().expect("url"));
    let form = [
        ("ticket", live.as_str()),
        ("password", NEW_PASSWORD),
        ("password_confirm", NEW_PASSWORD),
    ];
    let (status, _) = mail
        .post("/u/reset-password", &form, Some("https://evil.example"))
        .await;
    assert_eq!(status, 403);
    assert_eq!(mail.login(email, PASSWORD).await, 200);
    let response = http()
        .post(mail.tenant.server.url("/u/reset-password"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with("https://app.example/done?success=true"),
        "{location}"
    );
    assert_eq!(mail.login(email, NEW_PASSWORD).await, 200);
    assert_eq!(mail.user(email).await["email_verified"], true);

    // Verification ticket for another user is bound to its address.
    let verification = mail
        .tenant
        .management(
            Method::POST,
            "/api/v2/tickets/email-verification",
            json!({"user_id": user_id}),
        )
        .await;
    assert!(
        verification["ticket"]
            .as_str()
            .expect("url")
            .contains("/u/email-verification?ticket=")
    );
    let missing = http()
        .post(mail.tenant.server.url("/api/v2/tickets/email-verification"))
        .bearer_auth(&mail.tenant.token)
        .json(&json!({"user_id": "auth0|nope"}))
        .send()
        .await
        .expect("ticket");
    assert_eq!(missing.status(), 404);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn api(mail: &Mail, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
    let response = http()
        .request(method, mail.tenant.server.url(path))
        .bearer_auth(&mail.tenant.token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn assert_auth0_400(status: StatusCode, body: &Value, what: &str) {
    assert_eq!(status, 400, "{what}: {body}");
    assert_eq!(body["statusCode"], 400, "{what}: {body}");
    assert_eq!(body["error"], "Bad Request", "{what}: {body}");
    assert!(body["message"].is_string(), "{what}: {body}");
    assert!(body["errorCode"].is_string(), "{what}: {body}");
}

#[tokio::test]
async fn email_provider_and_templates_validate_input_and_hide_the_password() {
    let mail = Mail::start(false).await;
    let (status, _) = api(&mail, Method::GET, "/api/v2/emails/provider", Value::Null).await;
    assert_eq!(status, 404);

    let good = provider(&mail.sink, SMTP_PASS);
    let mut bad_cases = Vec::new();
    for (pointer, value) in [
        ("/name", json!("mailgun")),
        ("/credentials/smtp_port", json!(0)),
        ("/credentials/smtp_port", json!(70000)),
        (
            "/credentials/smtp_host",
            json!("mail.example\r\nRCPT TO:<x@evil.example>"),
        ),
        ("/credentials/smtp_host", json!("")),
        (
            "/credentials/smtp_user",
            json!("mailer\r\nMAIL FROM:<x@evil.example>"),
        ),
        (
            "/default_from_address",
            json!("a@b.example\r\nBcc: victim@evil.example"),
        ),
        ("/default_from_address", json!("not an address")),
        ("/credentials/unknown", json!(1)),
        ("/settings/allow_insecure_plaintext", json!("yes")),
    ] {
        let mut body = good.clone();
        match body.pointer_mut(pointer) {
            Some(slot) => *slot = value.clone(),
            None => {
                body["credentials"]["unknown"] = value.clone();
            }
        }
        bad_cases.push((format!("{pointer} = {value}"), body));
    }
    for (what, body) in bad_cases {
        let (status, answer) = api(&mail, Method::POST, "/api/v2/emails/provider", body).await;
        assert_auth0_400(status, &answer, &what);
    }
    let (status, _) = api(&mail, Method::GET, "/api/v2/emails/provider", Value::Null).await;
    assert_eq!(status, 404, "no invalid provider was stored");

    let (status, created) = api(&mail, Method::POST, "/api/v2/emails/provider", good.clone()).await;
    assert_eq!(status, 201, "{created}");
    let (status, _) = api(&mail, Method::POST, "/api/v2/emails/provider", good.clone()).await;
    assert_eq!(status, 409);
    let (status, read) = api(&mail, Method::GET, "/api/v2/emails/provider", Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(read["credentials"]["smtp_host"], "127.0.0.1");
    assert_eq!(read["credentials"]["smtp_user"], SMTP_USER);
    for body in [&created, &read] {
        assert!(
            !body.to_string().contains(SMTP_PASS),
            "the password leaked: {body}"
        );
        assert!(body["credentials"].get("smtp_pass").is_none());
    }
    let (status, patched) = api(
        &mail,
        Method::PATCH,
        "/api/v2/emails/provider",
        json!({"enabled": false}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(patched["enabled"], false);
    assert_eq!(patched["credentials"]["smtp_port"], mail.sink.port);

    // Templates.
    let template = json!({
        "template": "verify_email",
        "body": "<p>Hi {{ user.email }}</p><a href=\"{{ url }}\">Verify</a>",
        "from": "Support <support@vestibule.test>",
        "subject": "Please verify {{ user.email }}",
        "syntax": "liquid",
        "resultUrl": "https://app.example/verified",
        "urlLifetimeInSeconds": 3600,
        "enabled": true,
    });
    for (field, value) in [
        ("subject", json!("Hello\r\nBcc: victim@evil.example")),
        (
            "from",
            json!("support@vestibule.test\r\nBcc: victim@evil.example"),
        ),
        ("from", json!("two@a.example, three@b.example")),
        ("body", json!("{% if %}")),
        ("syntax", json!("handlebars")),
        ("template", json!("mfa_oob_code")),
        ("resultUrl", json!("javascript:alert(1)")),
        ("urlLifetimeInSeconds", json!(0)),
    ] {
        let mut body = template.clone();
        body[field] = value.clone();
        let (status, answer) = api(&mail, Method::POST, "/api/v2/email-templates", body).await;
        assert_auth0_400(status, &answer, &format!("{field} = {value}"));
    }
    let (status, _) = api(
        &mail,
        Method::GET,
        "/api/v2/email-templates/verify_email",
        Value::Null,
    )
    .await;
    assert_eq!(status, 404);
    let (status, saved) = api(
        &mail,
        Method::POST,
        "/api/v2/email-templates",
        template.clone(),
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(saved["resultUrl"], "https://app.example/verified");
    let (status, _) = api(
        &mail,
        Method::POST,
        "/api/v2/email-templates",
        template.clone(),
    )
    .await;
    assert_eq!(status, 409);
    let (status, patched) = api(
        &mail,
        Method::PATCH,
        "/api/v2/email-templates/verify_email",
        json!({"subject": "Verify, {{ user.email }}!", "resultUrl": null}),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["subject"], "Verify, {{ user.email }}!");
    assert_eq!(patched["resultUrl"], Value::Null);
    assert_eq!(patched["body"], template["body"]);
    let (status, answer) = api(
        &mail,
        Method::PATCH,
        "/api/v2/email-templates/verify_email",
        json!({"subject": "x\ny"}),
    )
    .await;
    assert_auth0_400(status, &answer, "patched subject with LF");
    let mut reset = template.clone();
    reset["template"] = json!("reset_email");
    let (status, put) = api(
        &mail,
        Method::PUT,
        "/api/v2/email-templates/reset_email",
        reset,
    )
    .await;
    assert_eq!(status, 200, "{put}");
    let (status, read) = api(
        &mail,
        Method::GET,
        "/api/v2/email-templates/reset_email",
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read["template"], "reset_email");

    // The custom template is what goes out once the provider is enabled again.
    api(
        &mail,
        Method::PATCH,
        "/api/v2/emails/provider",
        json!({"enabled": true}),
    )
    .await;
    mail.signup("carol@example.com").await;
    let message = mail
        .sink
        .wait_for("carol@example.com", "Verify, carol@example.com!")
        .await;
    assert_eq!(
        message.header("from").as_deref(),
        Some("Support <support@vestibule.test>")
    );
    assert!(
        message.part("text/plain").contains("Verify ("),
        "text derived from the HTML"
    );

    let (status, _) = api(
        &mail,
        Method::DELETE,
        "/api/v2/emails/provider",
        Value::Null,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = api(&mail, Method::GET, "/api/v2/emails/provider", Value::Null).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn failed_delivery_is_logged_and_retried_until_it_succeeds() {
    let mail = Mail::start(false).await;
    mail.tenant
        .management(
            Method::POST,
            "/api/v2/emails/provider",
            provider(&mail.sink, "wrong-password"),
        )
        .await;
    let email = "dave@example.com";
    // The request is not slowed or failed by the broken provider.
    let started = std::time::Instant::now();
    mail.signup(email).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !mail.log_types().await.iter().any(|t| t == "fn") {
        assert!(std::time::Instant::now() < deadline, "no fn log event");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(mail.sink.auth_failures() >= 1);
    assert_eq!(mail.sink.count(), 0);
    let logs = mail
        .tenant
        .management(Method::GET, "/api/v2/logs", Value::Null)
        .await;
    let failed = logs
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["type"] == "fn")
        .expect("fn event")
        .clone();
    assert!(
        failed["date"].is_string() && failed["log_id"].is_string(),
        "{failed}"
    );
    assert!(!failed.to_string().contains("wrong-password"), "{failed}");
    // Fix the credentials: the outbox retries and delivers.
    mail.tenant
        .management(
            Method::PATCH,
            "/api/v2/emails/provider",
            json!({"credentials": {"smtp_pass": SMTP_PASS}}),
        )
        .await;
    mail.sink.wait_for(email, "Verify your email").await;
}

#[tokio::test]
async fn blocked_account_email_unblocks_the_user() {
    let mail = Mail::start(true).await;
    let email = "erin@example.com";
    mail.signup(email).await;
    for _ in 0..10 {
        assert_ne!(mail.login(email, "Wrong-Password-1").await, 200);
    }
    assert_eq!(mail.login(email, PASSWORD).await, 429, "blocked");
    let blocked = mail.sink.wait_for(email, "blocked").await;
    let link = blocked.link(&format!("{}u/unblock?ticket=", mail.tenant.server.issuer()));
    assert_eq!(mail.get(&link).await.0, 200);
    assert_eq!(
        mail.login(email, PASSWORD).await,
        429,
        "a GET unblocks nothing"
    );
    let (status, page) = mail
        .post("/u/unblock", &[("ticket", &ticket_of(&link))], None)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(mail.login(email, PASSWORD).await, 200);
    let (status, _) = mail
        .post("/u/unblock", &[("ticket", &ticket_of(&link))], None)
        .await;
    assert_eq!(status, 400, "used");
    let types = mail.log_types().await;
    assert!(
        types.iter().any(|t| t == "limit_wc") && types.iter().any(|t| t == "ublkdu"),
        "{types:?}"
    );
}

#[tokio::test]
async fn auth0_python_change_password_sends_the_reset_email() {
    let Some(version) = toolchain_or_skip(
        "auth0_python_change_password_sends_the_reset_email",
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
    let mail = Mail::start(true).await;
    let email = "py-reset@example.com";
    let mut script = tokio::process::Command::new(&python);
    script
        .arg(dir.join("test_change_password.py"))
        .current_dir(&dir)
        .env(
            "VESTIBULE_DOMAIN",
            format!("127.0.0.1:{}", mail.tenant.server.port),
        )
        .env("CLIENT_ID", &mail.app.id)
        .env("CLIENT_SECRET", &mail.app.secret)
        .env("CONNECTION", DATABASE)
        .env("EMAIL", email)
        .env("PASSWORD", PASSWORD)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(120), script.output())
        .await
        .expect("python script timed out")
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "test_change_password.py failed ({}, {version}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("all change_password checks passed"),
        "{stdout}"
    );
    let reset = mail.sink.wait_for(email, "Reset your password").await;
    let link = reset.link(&format!(
        "{}u/reset-password?ticket=",
        mail.tenant.server.issuer()
    ));
    let (status, _) = mail
        .post(
            "/u/reset-password",
            &[
                ("ticket", &ticket_of(&link)),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(mail.login(email, NEW_PASSWORD).await, 200);
}

#[tokio::test]
async fn verification_email_job_sends_a_fresh_link() {
    let mail = Mail::start(true).await;
    let email = "gwen@example.com";
    mail.signup(email).await;
    let first = mail.sink.wait_for(email, "Verify your email").await;
    let issuer = mail.tenant.server.issuer().to_owned();
    let prefix = format!("{issuer}u/email-verification?ticket=");
    let first_link = first.link(&prefix);
    let before = mail.sink.count();
    let user_id = mail.user(email).await["user_id"]
        .as_str()
        .expect("user_id")
        .to_owned();

    let job = mail
        .tenant
        .management(
            Method::POST,
            "/api/v2/jobs/verification-email",
            json!({"user_id": user_id, "client_id": mail.app.id}),
        )
        .await;
    assert_eq!(job["type"], "verification_email", "{job}");
    let path = format!("/api/v2/jobs/{}", job["id"].as_str().expect("job id"));
    let mut status = Value::Null;
    for _ in 0..100 {
        status = mail
            .tenant
            .management(Method::GET, &path, Value::Null)
            .await;
        if status["status"] == "completed" || status["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status["status"], "completed", "{status}");

    // A second message arrives with its own link, and that link verifies.
    for _ in 0..200 {
        if mail.sink.count() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let second = mail.sink.wait_for(email, "Verify your email").await;
    let second_link = second.link(&prefix);
    assert_ne!(second_link, first_link);
    let (status, page) = mail
        .post(
            "/u/email-verification",
            &[("ticket", &ticket_of(&second_link))],
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(mail.user(email).await["email_verified"], true);
}

/// SECURITY AUTH-RST-01: issuing a reset link kills the older ones; and
/// reset requests are rate limited per address and IP (Auth0: a burst of
/// 10), the same for addresses with and without an account.
#[tokio::test]
async fn a_newer_reset_link_kills_older_ones_and_requests_are_rate_limited() {
    let mail = Mail::start(true).await;
    let email = "carol@example.com";
    mail.signup(email).await;
    let user_id = mail.user(email).await["user_id"]
        .as_str()
        .expect("user_id")
        .to_owned();
    let ticket = || async {
        let ticket = mail
            .tenant
            .management(
                Method::POST,
                "/api/v2/tickets/password-change",
                json!({"user_id": user_id}),
            )
            .await;
        ticket["ticket"].as_str().expect("ticket url").to_owned()
    };
    let older = ticket().await;
    assert_eq!(mail.get(&older).await.0, 200, "a fresh link opens");
    let newer = ticket().await;
    assert_eq!(mail.get(&older).await.0, 400, "the older link died");
    let (status, _) = mail
        .post(
            "/u/reset-password",
            &[
                ("ticket", &ticket_of(&older)),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(mail.login(email, PASSWORD).await, 200);
    assert_eq!(mail.get(&newer).await.0, 200, "the newest link works");

    for address in [email, "nobody@example.com"] {
        for attempt in 0..10 {
            let (status, body) = mail.change_password(address).await;
            assert_eq!(status, 200, "{address} request {attempt}: {body}");
        }
        let (status, body) = mail.change_password(address).await;
        assert_eq!(status, 429, "{address}: {body}");
        let body: Value = serde_json::from_str(&body).expect("json error");
        assert_eq!(body["error"], "too_many_requests", "{body}");
    }
    let (status, _) = mail.change_password("dave@example.com").await;
    assert_eq!(status, 200, "another address from the same IP still goes");
}
