//! Compile-time behaviour of `registry!`, pinned with trybuild: each `ui/fail/*.rs` must fail
//! with exactly its `.stderr`, each `ui/pass/*.rs` must build and run.
//!
//! trybuild compiles the cases in its own project, `<target>/tests/trybuild/<package>/`, which
//! is the `CARGO_MANIFEST_DIR` that `registry!` resolves paths against. The cases name their
//! registries as `ui/...` relative to that project, so the TOML fixtures are copied there first.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p geno-metrics-tests --test ui`
//! and review the diff.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

#[test]
fn ui() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let project = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp")
        .join("tests/trybuild")
        .join(env!("CARGO_PKG_NAME"));
    copy_fixtures(&fixtures, &project.join("ui"));

    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/fail/*.rs");
    cases.pass("ui/pass/*.rs");
}

/// Mirrors every `.toml` under `from` into `to`, replacing what an earlier run left there.
fn copy_fixtures(from: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_fixtures(&path, &target);
        } else if path.extension().is_some_and(|e| e == "toml") {
            fs::create_dir_all(to).unwrap();
            fs::copy(&path, &target).unwrap();
        }
    }
}
