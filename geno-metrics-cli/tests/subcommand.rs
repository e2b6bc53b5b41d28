//! `cargo geno-metrics` as a user runs it, in a crate of their own outside this workspace:
//! the registry found beside the package's `Cargo.toml` from any subdirectory, the catalogue
//! written beside it, exit codes 0, 1 and 2.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::{exits, says, text};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-geno-metrics");

const REGISTRY: &str = "[registry]\nnamespace = \"shop\"\nversion = \"1.0.0\"\n\n[[metric]]\nname = \"shop_orders_total\"\nkind = \"counter\"\nsummary = \"Orders placed.\"\n";

/// A crate of the user's own, with its registry, under the system temporary directory.
fn user_crate(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("geno-metrics-cli-{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src/deep")).unwrap();
    // It depends on geno-metrics by path, as a user's crate would before it is published.
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("geno-metrics");
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ngeno-metrics = {{ path = {:?} }}\n\n[workspace]\n",
            runtime.display().to_string()
        ),
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

#[test]
fn the_registry_beside_the_package_is_found_from_any_subdirectory() {
    let dir = user_crate("find");
    for from in [dir.clone(), dir.join("src"), dir.join("src/deep")] {
        let out = run(&from, &["check"]);
        exits(&out, 0);
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
    exits(&out, 1);
    says(&out.stderr, "error[counter-suffix]");
    says(&out.stderr, "metrics.toml");
    // A package without a registry: where to run, or what to pass.
    fs::remove_file(dir.join("metrics.toml")).unwrap();
    let none = run(&dir.join("src"), &["check"]);
    exits(&none, 2);
    says(&none.stderr, "or pass --file PATH");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn docs_go_beside_the_registry_and_check_catches_staleness() {
    let dir = user_crate("docs");
    let out = run(&dir, &["docs"]);
    exits(&out, 0);
    let catalogue = fs::read_to_string(dir.join("METRICS.md")).unwrap();
    assert!(
        catalogue.contains("by `cargo geno-metrics docs`"),
        "{catalogue}"
    );
    assert!(
        catalogue.contains("| `shop_orders_total` | `ORDERS_TOTAL` |"),
        "{catalogue}"
    );
    exits(&run(&dir, &["docs", "--check"]), 0);
    fs::write(
        dir.join("metrics.toml"),
        REGISTRY.replace("Orders placed.", "Orders."),
    )
    .unwrap();
    let stale = run(&dir.join("src/deep"), &["docs", "--check"]);
    exits(&stale, 1);
    says(&stale.stderr, "cargo geno-metrics docs");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn outside_any_package_it_says_what_was_tried() {
    let dir = std::env::temp_dir().join(format!("geno-metrics-cli-nowhere-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let out = run(&dir, &["check"]);
    exits(&out, 2);
    says(&out.stderr, "pass --file F");
    let help = run(&dir, &["--help"]);
    exits(&help, 0);
    says(&help.stdout, "Usage: cargo geno-metrics");
    fs::remove_dir_all(&dir).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=ci",
            "-c",
            "user.email=ci@localhost",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

/// The guard in a user's repository: a rename committed without a major bump fails with a
/// GitHub annotation on the renamed metric's line; with the bump it passes; a registry that
/// moved is followed with --baseline-path.
#[test]
fn the_guard_in_a_users_repository() {
    let dir = user_crate("guard");
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "shop 1.0.0"]);
    let renamed = REGISTRY.replace("shop_orders_total", "shop_orders_placed_total");
    fs::write(dir.join("metrics.toml"), &renamed).unwrap();
    let fails = run(
        &dir.join("src"),
        &["diff", "--base", "HEAD", "--format", "github"],
    );
    exits(&fails, 1);
    let said = text(&fails.stdout);
    let line = renamed
        .lines()
        .position(|l| l.contains("shop_orders_placed_total"))
        .unwrap()
        + 1;
    // Run from src/, the annotation still names the file from the repository's top, so that
    // GitHub puts it on the right line.
    assert!(
        said.contains(&format!(
            "::error file=metrics.toml,line={line},title=metric-renamed::"
        )),
        "{said}"
    );
    fs::write(dir.join("metrics.toml"), renamed.replace("1.0.0", "2.0.0")).unwrap();
    let passes = run(&dir, &["diff", "--base", "HEAD"]);
    exits(&passes, 0);

    // Moved: without --baseline-path it is new (and says so); with it, the rename is seen.
    // A ref that does not exist in a full clone: its spelling is the suspect, not the history.
    let typo = run(&dir, &["diff", "--base", "mian"]);
    exits(&typo, 2);
    says(
        &typo.stderr,
        "git ref `mian` does not exist: check its spelling",
    );

    fs::create_dir(dir.join("telemetry")).unwrap();
    fs::rename(dir.join("metrics.toml"), dir.join("telemetry/metrics.toml")).unwrap();
    fs::write(dir.join("telemetry/metrics.toml"), &renamed).unwrap();
    let file = ["--file", "telemetry/metrics.toml"];
    let new = run(&dir, &[&["diff", "--base", "HEAD"][..], &file].concat());
    exits(&new, 0);
    says(&new.stderr, "pass --baseline-path");
    let followed = run(
        &dir,
        &[
            &["diff", "--base", "HEAD", "--baseline-path", "metrics.toml"][..],
            &file,
        ]
        .concat(),
    );
    exits(&followed, 1);
    says(&followed.stdout, "metric-renamed");
    // `./metrics.toml` names the same blob.
    let dotted = run(
        &dir,
        &[
            &[
                "diff",
                "--base",
                "HEAD",
                "--baseline-path",
                "./metrics.toml",
            ][..],
            &file,
        ]
        .concat(),
    );
    exits(&dotted, 1);
    // A baseline path that is not there, or leaves the repository, cannot be checked: exit 2,
    // saying which path.
    for wrong in ["nowhere/metrics.toml", "../metrics.toml"] {
        let out = run(
            &dir,
            &[
                &["diff", "--base", "HEAD", "--baseline-path", wrong][..],
                &file,
            ]
            .concat(),
        );
        exits(&out, 2);
        says(&out.stderr, wrong.trim_start_matches("../"));
    }
    fs::remove_dir_all(&dir).unwrap();
}

/// The README's install line, as written, then the command as cargo runs it: `cargo install
/// --path geno-metrics-cli` puts `cargo-geno-metrics` where cargo finds it as `cargo
/// geno-metrics`.
#[test]
fn cargo_install_then_cargo_geno_metrics() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("installed");
    let _ = fs::remove_dir_all(&root);
    let installed = Command::new(&cargo)
        .args([
            "install",
            "--path",
            "geno-metrics-cli",
            "--debug",
            "--locked",
            "--root",
        ])
        .arg(&root)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .current_dir(workspace)
        .output()
        .unwrap();
    assert!(installed.status.success(), "{}", text(&installed.stderr));
    let dir = user_crate("installed");
    let path = std::env::join_paths(
        std::iter::once(root.join("bin"))
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let out = Command::new(&cargo)
        .args(["geno-metrics", "check"])
        .env("PATH", path)
        .current_dir(dir.join("src"))
        .output()
        .unwrap();
    exits(&out, 0);
    says(&out.stdout, "metrics.toml: ok");
    fs::remove_dir_all(&dir).unwrap();
}

/// `cargo-geno-metrics check` run by hand, without cargo's extra word, does the same.
#[test]
fn run_directly_it_works_the_same() {
    let dir = user_crate("direct");
    let out = Command::new(BIN)
        .arg("check")
        .current_dir(dir.join("src"))
        .output()
        .unwrap();
    exits(&out, 0);
    says(&out.stdout, "metrics.toml: ok");
    let version = Command::new(BIN).arg("--version").output().unwrap();
    exits(&version, 0);
    says(&version.stdout, env!("CARGO_PKG_VERSION"));
    fs::remove_dir_all(&dir).unwrap();
}

/// In a workspace, the registry is the one beside the member package the command runs in.
#[test]
fn in_a_workspace_member_the_members_registry() {
    let dir = user_crate("workspace");
    let member = dir.join("members/api");
    fs::create_dir_all(member.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"members/api\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    fs::write(
        member.join("Cargo.toml"),
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    fs::write(member.join("src/lib.rs"), "").unwrap();
    fs::write(member.join("metrics.toml"), REGISTRY.replace("shop", "api")).unwrap();
    let out = run(&member.join("src"), &["check"]);
    exits(&out, 0);
    let said = text(&out.stdout);
    assert!(said.contains("members/api/metrics.toml: ok"), "{said}");
    let docs = run(&member.join("src"), &["docs"]);
    exits(&docs, 0);
    assert!(
        fs::read_to_string(member.join("METRICS.md"))
            .unwrap()
            .contains("`api_orders_total`")
    );
    assert!(!dir.join("METRICS.md").exists());
    fs::remove_dir_all(&dir).unwrap();
}

/// A CI checkout without history: the ref is missing because the clone is shallow, and the
/// message says to fetch it.
#[test]
fn in_a_shallow_clone_a_missing_ref_says_to_fetch_history() {
    let dir = user_crate("shallow-origin");
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "one"]);
    git(&dir, &["commit", "-q", "--allow-empty", "-m", "two"]);
    let clone = dir.with_file_name(format!(
        "{}-clone",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let _ = fs::remove_dir_all(&clone);
    let url = format!("file://{}", dir.display());
    git(
        dir.parent().unwrap(),
        &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
    );
    let out = run(&clone, &["diff", "--base", "HEAD~1"]);
    exits(&out, 2);
    says(&out.stderr, "this is a shallow clone: fetch more history");
    fs::remove_dir_all(&dir).unwrap();
    fs::remove_dir_all(&clone).unwrap();
}
