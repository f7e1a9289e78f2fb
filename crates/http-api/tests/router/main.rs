//! In-process tests of the whole application (`http_api::router`): no
//! binary, no ports. What needs a real process (signals, sockets,
//! restarts, several nodes, upstream servers, SMTP, browsers, SDKs) stays
//! in `crates/vestibule/tests/e2e`.

// Test support code lives outside `#[test]` functions, where clippy's
// allow-*-in-tests settings do not reach.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod management;
mod support;
mod users;
