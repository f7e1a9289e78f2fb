//! Links the code that runs at start-up first in the binary's `.text`.
//!
//! `link/startup-order.txt` (made by `bench/startup-order.sh`) lists, in
//! order, the functions `vestibule serve` runs to start and idle. The kernel
//! maps 64 KiB around every page of code a process faults in, so start-up
//! code spread over a 22 MB binary kept ~13 MiB of it resident in an idle
//! server; laid out together it stays within a few MiB. Only LLD reads such
//! a file: it is passed on x86_64 Linux with Rust's default linker (rust-lld
//! since 1.90) and left out when another linker is configured. Names the
//! binary lacks are skipped, so a stale file costs memory, never the build.

use std::env;
use std::path::Path;

fn main() {
    let Some(manifest_dir) = env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let order = Path::new(&manifest_dir)
        .join("link")
        .join("startup-order.txt");
    println!("cargo:rerun-if-changed={}", order.display());
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let default_linker = env::var_os("RUSTC_LINKER").is_none()
        && !env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|flags| flags.contains("link"));
    let target = env::var("TARGET").unwrap_or_default();
    if target == "x86_64-unknown-linux-gnu" && default_linker && order.exists() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
