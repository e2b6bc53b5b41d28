//! The real Prometheus tools the tests run, from Debian's `prometheus`,
//! `prometheus-node-exporter`, `prometheus-pushgateway` and `prometheus-alertmanager`
//! packages, and the workspace's built examples. A missing tool fails the test; it is never
//! skipped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The path of `name` on `PATH`.
///
/// # Panics
///
/// When it is not there, with a message that says how to install it.
pub fn tool(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        let package = match name {
            "promtool" => "prometheus",
            "setpriv" => "util-linux",
            other => other,
        };
        panic!(
            "`{name}` is not on PATH. These tests need Debian's `{package}` package: run \
             `cargo xtask ci` (it installs the tools as root) or `apt-get install {package}`."
        )
    })
}

/// What a finished process printed: its stdout, then its stderr.
pub fn said(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `promtool check metrics < file`, which must exit 0 and say nothing (lint included).
///
/// # Panics
///
/// When promtool cannot be run, or finds anything to say about the file.
pub fn promtool_check(promtool: &Path, file: &Path) {
    let input = fs::File::open(file)
        .unwrap_or_else(|e| panic!("cannot open {} for promtool: {e}", file.display()));
    let checked = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(input)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", promtool.display()));
    let remarks = said(&checked);
    assert!(
        checked.status.success() && remarks.trim().is_empty(),
        "promtool check metrics {}: {}\n{remarks}",
        file.display(),
        checked.status
    );
}

/// Runs `promtool check rules` on `file`: `None` when it passes without a remark (promtool
/// also lints, e.g. duplicate rules), else everything it said.
///
/// # Panics
///
/// When promtool cannot be run.
pub fn promtool_check_rules(file: &Path) -> Option<String> {
    let out = Command::new(tool("promtool"))
        .args(["check", "rules"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run promtool: {e}"));
    let said = said(&out);
    let clean = out.status.success() && said.contains("SUCCESS") && !said.contains("WARNING");
    (!clean).then_some(said)
}

/// The built example `name` (of this package), in the profile this test was built in.
///
/// # Panics
///
/// When it is not built, saying how to build it: `cargo test` builds the examples before it
/// runs any test, but `cargo test --test <one>` does not.
pub fn example(name: &str) -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp; the test binary is <target>/<profile>/deps/...
    let profile_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| panic!("cannot tell where this test binary is"));
    let exe = profile_dir.join("examples").join(name);
    assert!(
        exe.is_file(),
        "{} is not built: run the whole `cargo test`, which builds the examples, or `cargo build -p geno-metrics-tests --examples` first",
        exe.display()
    );
    exe
}
