//! The whole application, assembled once: every route and every layer the
//! server runs. The binary serves it and the in-process tests call it, so
//! the tests exercise exactly what production serves.

use crate::state::{AppState, HttpOptions};
use crate::{
    authorize, body, dbconnections, discovery, error, health, logout, management, oauth, openapi,
    pages, upstream,
};
use axum::Router;
use engine::Engine;

/// The application: protocol endpoints, hosted pages, Management API,
/// operations, the fallback, and the layers around them (bodies read
/// before routing, panics answered). The client's address comes from the
/// connection (`into_make_service_with_connect_info`) and the trusted
/// proxies in `options`.
pub fn router(engine: Engine, options: HttpOptions) -> Router {
    let state = AppState::new(engine, options);
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
