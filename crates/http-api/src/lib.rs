//! Vestibule's HTTP layer.
//!
//! Owns routing, request parsing (parse once, into types), the tenant and
//! caller extractors, and the one mapping from engine errors to Auth0's wire
//! shapes: `{statusCode, error, message, errorCode}` on the Management API
//! ([`error::ApiError`]) and `{error, error_description}` on the
//! Authentication API ([`error::OAuthResponse`]). It must not contain SQL or
//! business rules: handlers parse, call the engine, and write.

pub mod authorize;
pub mod body;
pub mod client_ip;
pub mod dbconnections;
pub mod discovery;
pub mod error;
pub mod extract;
pub mod health;
pub mod logout;
pub mod management;
pub mod oauth;
pub mod openapi;
pub mod pages;
pub mod upstream;

use axum::Router;
use engine::Engine;

/// Shared state of every handler. Extractors clone it for every request,
/// so it is one reference count (an `Engine` is a dozen).
#[derive(Clone)]
pub struct AppState(std::sync::Arc<SharedState>);

pub struct SharedState {
    pub engine: Engine,
    /// Discovery documents, built once per issuer.
    pub discovery: discovery::DocumentCache,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: client_ip::TrustedProxies,
}

/// Deployment settings of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// `VESTIBULE_TRUSTED_PROXIES`.
    pub trusted_proxies: client_ip::TrustedProxies,
}

impl std::ops::Deref for AppState {
    type Target = SharedState;
    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// `/authorize` and the hosted pages under `/u/`.
fn authorize_routes() -> Router<AppState> {
    use axum::routing::get;
    Router::new()
        .route(
            authorize::PATH,
            get(authorize::handle).post(authorize::handle),
        )
        .route(authorize::RESUME_PATH, get(authorize::resume))
        .route(
            "/u/login",
            get(pages::login::login_form).post(pages::login::login_submit),
        )
        .route(
            "/u/signup",
            get(pages::login::signup_form).post(pages::login::signup_submit),
        )
        .route(
            "/u/consent",
            get(pages::login::consent_form).post(pages::login::consent_submit),
        )
        .route(
            "/u/login/identifier",
            axum::routing::post(pages::login::identifier_submit),
        )
        .route(
            "/u/login/connection",
            get(pages::login::connection_redirect),
        )
        .route("/u/assets/style.css", get(pages::stylesheet))
        .route("/u/assets/icons/{file}", get(pages::icons::icon))
        .route(
            "/u/email-verification",
            get(pages::email::verification_form).post(pages::email::verification_submit),
        )
        .route(
            "/u/reset-password",
            get(pages::email::reset_form).post(pages::email::reset_submit),
        )
        .route(
            "/u/unblock",
            get(pages::email::unblock_form).post(pages::email::unblock_submit),
        )
        .route(
            engine::login::upstream::CALLBACK_PATH,
            get(upstream::callback).post(upstream::callback),
        )
}

/// The whole application: protocol endpoints, Management API, operations.
pub fn router(engine: Engine) -> Router {
    router_with(engine, HttpOptions::default())
}

/// [`router`] with deployment settings.
pub fn router_with(engine: Engine, options: HttpOptions) -> Router {
    let state = AppState(std::sync::Arc::new(SharedState {
        engine,
        discovery: Default::default(),
        trusted_proxies: options.trusted_proxies,
    }));
    let (management, mut api_doc) = management::routes().split_for_parts();
    openapi::complete(&mut api_doc);
    let api_doc = std::sync::Arc::new(api_doc);
    Router::new()
        .merge(discovery::routes())
        .merge(authorize_routes())
        .merge(logout::routes())
        .merge(dbconnections::routes())
        .merge(oauth::routes())
        .merge(health::routes())
        .merge(management)
        .merge(openapi::routes(api_doc))
        .fallback(error::not_found_fallback)
        .with_state(state)
        .layer(axum::middleware::from_fn(body::read_first))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
}
