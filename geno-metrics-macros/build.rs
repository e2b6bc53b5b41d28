//! The version of rustc compiling this crate, for the `build_info` collector's
//! `rustc_version` label: the macro and the crate that invokes it are compiled by one
//! toolchain in one cargo build.

use std::process::Command;

fn main() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        // `rustc 1.95.0 (59807616e 2026-...)` -> `1.95.0`
        .and_then(|line| line.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=GENO_METRICS_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-env-changed=RUSTC");
}
