//! Black-box tests: each starts the real `vestibule` binary on a free
//! loopback port with its own data directory, and talks HTTP to it.

mod harness;
mod management;
mod sdk_node;
