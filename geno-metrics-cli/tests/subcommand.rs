//! `cargo geno-metrics` as a user runs it, in a crate of their own outside this workspace:
//! the registry found beside the package's `Cargo.toml` from any subdirectory, the catalogue
//! written beside it, exit codes 0, 1 and 2.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-geno-metrics");

const REGISTRY: &str = "[registry]\nnamespace = \"shop\"\nversion = \"1.0.0\"\n\n[[metric]]\nname = \"shop_orders_total\"\nkind = \"counter\"\nsummary = \"Orders placed.\"\n";

/// A crate of the user's own, with its registry, under the system temporary directory.
fn user_crate(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("geno-metrics-cli-{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src/deep")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    fs::write(dir.join("src/lib.rs"), "").unwrap();
    fs::write(dir.join("metrics.toml"), REGISTRY).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("geno-metrics")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_registry_beside_the_package_is_found_from_any_subdirectory() {
    let dir = user_crate("find");
    for from in [dir.clone(), dir.join("src"), dir.join("src/deep")] {
        let out = run(&from, &["check"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let said = text(&out.stdout);
        assert!(said.contains("metrics.toml: ok (1 metrics"), "{said}");
    }
    // Breaking a rule is exit 1, naming the file it read.
    fs::write(
        dir.join("metrics.toml"),
        REGISTRY.replace("orders_total", "orders"),
    )
    .unwrap();
    let out = run(&dir.join("src"), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error[counter-suffix]"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("metrics.toml"),
        "{}",
        text(&out.stderr)
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn docs_go_beside_the_registry_and_check_catches_staleness() {
    let dir = user_crate("docs");
    let out = run(&dir, &["docs"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let catalogue = fs::read_to_string(dir.join("METRICS.md")).unwrap();
    assert!(
        catalogue.contains("by `cargo geno-metrics docs`"),
        "{catalogue}"
    );
    assert!(
        catalogue.contains("| `shop_orders_total` | `ORDERS_TOTAL` |"),
        "{catalogue}"
    );
    assert_eq!(run(&dir, &["docs", "--check"]).status.code(), Some(0));
    fs::write(
        dir.join("metrics.toml"),
        REGISTRY.replace("Orders placed.", "Orders."),
    )
    .unwrap();
    let stale = run(&dir.join("src"), &["docs", "--check"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        text(&stale.stderr).contains("cargo geno-metrics docs"),
        "{}",
        text(&stale.stderr)
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn outside_any_package_it_says_what_was_tried() {
    let dir = std::env::temp_dir().join(format!("geno-metrics-cli-nowhere-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let out = run(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("pass --file F"),
        "{}",
        text(&out.stderr)
    );
    let help = run(&dir, &["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(
        text(&help.stdout).contains("Usage: cargo geno-metrics"),
        "{}",
        text(&help.stdout)
    );
    fs::remove_dir_all(&dir).unwrap();
}
