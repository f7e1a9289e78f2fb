//! In-process servers for the router tests: an engine over in-memory
//! SQLite, provisioned as `vestibule serve` provisions it, behind the very
//! application the binary serves (`http_api::router`), driven with
//! `tower::ServiceExt::oneshot`. No process, no socket.
//!
//! The client mirrors the part of `reqwest` the end-to-end tests use, so a
//! test moved here keeps its code: requests name `http://127.0.0.1:{port}/…`,
//! and the port (never bound) picks the server out of a registry.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use base64::Engine as _;
use engine::tenancy::tenants::{
    BootstrapCredentials, TenantSpec, ensure_bootstrap_client, ensure_tenant,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tower::ServiceExt as _;

pub const BOOTSTRAP_ID: &str = "test-bootstrap-client";
pub const BOOTSTRAP_SECRET: &str = "test-bootstrap-secret-0123456789";

/// The running servers by their (fictional) port.
fn servers() -> &'static Mutex<HashMap<u16, Router>> {
    static SERVERS: OnceLock<Mutex<HashMap<u16, Router>>> = OnceLock::new();
    SERVERS.get_or_init(Default::default)
}

/// A port no other server of this test binary has.
fn next_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(20_000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The application over a fresh store, as `vestibule serve` starts it:
/// the default tenant and the bootstrap Management API client provisioned.
pub struct Server {
    pub port: u16,
    base: String,
}

impl Server {
    pub async fn start() -> Self {
        let port = next_port();
        let base = format!("http://127.0.0.1:{port}/");
        let storage = storage_sql::SqlStorage::open_sqlite_memory()
            .await
            .expect("in-memory SQLite");
        let settings = engine::Settings {
            // Cheap password hashing for tests (production defaults are OWASP's).
            password_params: crypto::PasswordParams {
                m_cost_kib: 256,
                t_cost: 1,
                p_cost: 1,
            },
            ..engine::Settings::default()
        };
        let engine = engine::Engine::new(
            Arc::new(storage),
            Arc::new(model::SystemClock),
            crypto::MasterKey::generate().expect("master key"),
            settings,
        )
        .expect("engine");
        let spec = TenantSpec {
            id: engine.tenants.default_tenant_id().clone(),
            friendly_name: "Default tenant".into(),
            issuer: base.clone(),
            hosts: Vec::new(),
        };
        let tenant = ensure_tenant(&engine, &spec).await.expect("tenant");
        let credentials = BootstrapCredentials {
            client_id: BOOTSTRAP_ID.into(),
            client_secret: BOOTSTRAP_SECRET.into(),
        };
        ensure_bootstrap_client(&engine, &tenant, Some(&credentials))
            .await
            .expect("bootstrap client");
        let app = http_api::router(engine, http_api::HttpOptions::default());
        servers().lock().expect("servers").insert(port, app);
        Self { port, base }
    }

    /// `http://127.0.0.1:{port}` — where to send requests, whatever the issuer.
    pub fn addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr(), path)
    }

    /// The issuer, e.g. `http://127.0.0.1:1234/`.
    pub fn issuer(&self) -> &str {
        &self.base
    }

    pub fn management_audience(&self) -> String {
        format!("{}api/v2/", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(mut servers) = servers().lock() {
            servers.remove(&self.port);
        }
    }
}

/// A client that never follows redirects, like the end-to-end tests' one.
pub fn http() -> Client {
    Client
}

pub struct Client;

impl Client {
    pub fn request(&self, method: Method, url: impl AsRef<str>) -> RequestBuilder {
        let url = url::Url::parse(url.as_ref()).expect("absolute URL");
        let port = url.port().expect("a server's port");
        let mut target = url.path().to_owned();
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        let mut headers = HeaderMap::new();
        let host = format!("{}:{port}", url.host_str().expect("host"));
        headers.insert(header::HOST, HeaderValue::from_str(&host).expect("host"));
        RequestBuilder {
            port,
            method,
            target,
            headers,
            body: None,
        }
    }

    pub fn get(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::GET, url)
    }
    pub fn post(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::POST, url)
    }
}

pub struct RequestBuilder {
    port: u16,
    method: Method,
    target: String,
    headers: HeaderMap,
    body: Option<Bytes>,
}

impl RequestBuilder {
    pub fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        let name = header::HeaderName::from_bytes(name.as_bytes()).expect("header name");
        let value = HeaderValue::from_str(value.as_ref()).expect("header value");
        self.headers.insert(name, value);
        self
    }

    pub fn bearer_auth(self, token: impl std::fmt::Display) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    pub fn basic_auth(
        self,
        username: impl std::fmt::Display,
        password: Option<impl std::fmt::Display>,
    ) -> Self {
        let password = password.map(|p| p.to_string()).unwrap_or_default();
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        self.header("authorization", format!("Basic {encoded}"))
    }

    pub fn json(self, value: &impl serde::Serialize) -> Self {
        let body = serde_json::to_vec(value).expect("JSON body");
        self.header("content-type", "application/json").body(body)
    }

    pub fn form(self, value: &impl serde::Serialize) -> Self {
        let body = serde_urlencoded::to_string(value).expect("form body");
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sends the request through the server's application, as a connection
    /// from loopback would (`ConnectInfo`, `Content-Length`).
    pub async fn send(self) -> Result<Response, std::convert::Infallible> {
        let app = servers()
            .lock()
            .expect("servers")
            .get(&self.port)
            .cloned()
            .expect("no server on that port");
        let mut request = Request::builder()
            .method(self.method)
            .uri(self.target)
            .body(Body::from(self.body.clone().unwrap_or_default()))
            .expect("request");
        *request.headers_mut() = self.headers;
        if let Some(body) = &self.body {
            request
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
        let response = app.oneshot(request).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("response body");
        Ok(Response {
            status: parts.status,
            body,
        })
    }
}

pub struct Response {
    status: StatusCode,
    body: Bytes,
}

impl Response {
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub async fn json<T: serde::de::DeserializeOwned>(self) -> serde_json::Result<T> {
        serde_json::from_slice(&self.body)
    }

    pub async fn text(self) -> Result<String, std::string::FromUtf8Error> {
        String::from_utf8(self.body.to_vec())
    }
}

/// A Management API token for the bootstrap client.
pub async fn management_token(server: &Server) -> String {
    token_for(
        server,
        BOOTSTRAP_ID,
        BOOTSTRAP_SECRET,
        &server.management_audience(),
        None,
    )
    .await
}

/// `client_credentials` with `client_secret_post`; panics unless it succeeds.
pub async fn token_for(
    server: &Server,
    client_id: &str,
    secret: &str,
    audience: &str,
    scope: Option<&str>,
) -> String {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("audience", audience),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let response = http()
        .post(server.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .expect("token request");
    let status = response.status();
    let body: serde_json::Value = response.json().await.expect("token json");
    assert_eq!(status, 200, "token request failed: {body}");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}
