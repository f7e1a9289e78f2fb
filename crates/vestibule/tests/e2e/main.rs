//! Black-box tests: each starts the real `vestibule` binary on a free
//! loopback port with its own data directory, and talks HTTP to it.

// The harness is test code outside `#[test]` functions: failing loudly is its job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Some helpers (restart, CI detection, repo paths) serve only tests on other branches.
#[allow(dead_code)]
mod harness;
mod management;
