//! Black-box tests: each starts the real `vestibule` binary on a free
//! loopback port with its own data directory, and talks HTTP to it.

// Test support code (the harness, setup helpers) lives outside `#[test]`
// functions, where clippy's allow-*-in-tests settings do not reach.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod apple;
mod architecture;
mod browser;
mod current_user;
mod custom_db;
mod email;
mod google;
mod harness;
mod home_realm;
mod jobs;
mod lifecycle;
mod linking;
mod login;
mod login_logs;
mod login_offer;
mod management;
mod multi_node;
mod openapi_fuzz;
mod outbound;
mod presets;
mod private_key_jwt;
mod round_trips;
mod sdk_node;
mod smtp_sink;
mod support;
mod tenant_settings;
mod throttling;
mod upstream;
mod upstream_vestibule;
