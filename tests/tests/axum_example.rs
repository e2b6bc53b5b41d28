//! `examples/axum_service.rs`, the README's way to mount `/metrics` on a service's own axum
//! router with `Registry::negotiate`, runs its self-test: it serves on a free port, scrapes
//! itself as Prometheus does and checks that OpenMetrics was negotiated and served.
//!
//! `cargo test` builds the examples before it runs any test; this test runs the built one.
//! Alone (`cargo test --test axum_example`) cargo builds no example: build it first with
//! `cargo build -p geno-metrics-tests --example axum_service`.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The built example `name`, in the profile this test was built in.
fn example(name: &str) -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp; the test binary is <target>/<profile>/deps/...
    let profile_dir = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf();
    let exe = profile_dir.join("examples").join(name);
    assert!(
        exe.is_file(),
        "{} is not built: run the whole `cargo test`, which builds the examples, or `cargo build -p geno-metrics-tests --example {name}` first",
        exe.display()
    );
    exe
}

#[test]
fn the_axum_example_serves_openmetrics_from_its_own_router() {
    let out = Command::new(example("axum_service"))
        .arg("--self-test")
        .env_remove("RANK")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(said.contains("self-test passed"), "{said}");
}
