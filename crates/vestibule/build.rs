//! Links the code that runs at start-up first in the binary's `.text`.
//!
//! `link/startup-order.txt` (made by `bench/startup-order.sh`) lists, in
//! order, the functions `vestibule serve` runs to start and idle. The kernel
//! maps 64 KiB around every page of code a process faults in, so start-up
//! code spread over a 22 MB binary kept ~13 MiB of it resident in an idle
//! server; laid out together it stays within a few MiB. Only LLD reads such
//! a file, so it is passed only when the link surely uses Rust's own LLD:
//! x86_64 Linux, a toolchain that ships `rust-lld` as its default linker
//! (rustup's, since 1.90; distribution builds usually link with the system's
//! `ld`, and get a plain link), and no linker configured by the user. Names
//! the binary lacks are skipped, so a stale file costs memory, not the build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let Some(manifest_dir) = env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let order = Path::new(&manifest_dir)
        .join("link")
        .join("startup-order.txt");
    println!("cargo:rerun-if-changed={}", order.display());
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let target = env::var("TARGET").unwrap_or_default();
    let user_linker = env::var_os("RUSTC_LINKER").is_some()
        || env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|flags| flags.contains("link"));
    if target != "x86_64-unknown-linux-gnu" || user_linker || !order.exists() {
        return;
    }
    if !sysroot().is_some_and(|root| {
        root.join("lib/rustlib")
            .join(&target)
            .join("bin/gcc-ld/ld.lld")
            .exists()
    }) {
        return;
    }
    // `-Xlinker` takes the argument whole (`-Wl,` would split a path at commas).
    println!("cargo:rustc-link-arg-bins=-Xlinker");
    println!(
        "cargo:rustc-link-arg-bins=--symbol-ordering-file={}",
        order.display()
    );
    println!("cargo:rustc-link-arg-bins=-Xlinker");
    println!("cargo:rustc-link-arg-bins=--no-warn-symbol-ordering");
}

/// The sysroot of the compiler cargo builds with.
fn sysroot() -> Option<PathBuf> {
    let rustc = env::var_os("RUSTC")?;
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let root = String::from_utf8(output.stdout).ok()?;
    output.status.success().then(|| PathBuf::from(root.trim()))
}
