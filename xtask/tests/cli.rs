//! `cargo xtask metrics ...` as CI calls it: exit codes (0 clean, 1 findings, 2 could not run),
//! output formats, and the guard against a real git history.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

const V1: &str = "[registry]\nnamespace = \"app\"\nversion = \"1.0.0\"\n\n[[metric]]\nname = \"app_steps_total\"\nkind = \"counter\"\nsummary = \"Steps.\"\n\n[[metric]]\nname = \"app_latency_seconds\"\nkind = \"histogram\"\nunit = \"seconds\"\nsummary = \"Latency.\"\n";

/// V1 with `app_steps_total` renamed, at `version`.
fn renamed(version: &str) -> String {
    V1.replace("version = \"1.0.0\"", &format!("version = \"{version}\""))
        .replace(
            "name = \"app_steps_total\"",
            "name = \"app_optimizer_steps_total\"\nrenamed_from = \"app_steps_total\"",
        )
}

/// `metrics diff` of `head.toml` against `base.toml`, in the test's directory.
const DIFF_FILES: &[&str] = &[
    "metrics",
    "diff",
    "--baseline",
    "base.toml",
    "--file",
    "head.toml",
];

/// A directory with `base.toml` (V1) and `head.toml` (V1 renamed, at `head_version`).
fn rename_case(test: &str, head_version: &str) -> PathBuf {
    let dir = scratch(test);
    fs::write(dir.join("base.toml"), V1).unwrap();
    fs::write(dir.join("head.toml"), renamed(head_version)).unwrap();
    dir
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("xtask-cli")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn xtask(dir: &Path, args: &[&str]) -> Output {
    Command::new(XTASK)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn check_exit_codes() {
    let dir = scratch("check");
    fs::write(dir.join("good.toml"), V1).unwrap();
    fs::write(
        dir.join("bad.toml"),
        V1.replace("app_steps_total", "app_steps"),
    )
    .unwrap();
    let good = xtask(&dir, &["metrics", "check", "--file", "good.toml"]);
    assert_eq!(code(&good), 0, "{}", stderr(&good));
    assert!(stdout(&good).contains("ok (2 metrics, registry version 1.0.0)"));
    let bad = xtask(&dir, &["metrics", "check", "--file", "bad.toml"]);
    assert_eq!(code(&bad), 1);
    assert!(
        stderr(&bad).contains(
            "bad.toml:6:8: error[counter-suffix]: counter `app_steps` must end in `_total`"
        ),
        "{}",
        stderr(&bad)
    );
    assert!(stderr(&bad).contains("help: rename it to `app_steps_total`"));
    let missing = xtask(&dir, &["metrics", "check", "--file", "nope.toml"]);
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).contains("cannot read the registry nope.toml"),
        "{}",
        stderr(&missing)
    );
    assert_eq!(
        code(&xtask(&dir, &["metrics", "check", "--format", "json"])),
        2,
        "bad flag"
    );
}

#[test]
fn diff_against_a_baseline_file() {
    let dir = rename_case("diff_file", "1.0.0");
    let out = xtask(&dir, DIFF_FILES);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("head.toml:6: error[metric-renamed] (major bump): metric `app_steps_total` was renamed to `app_optimizer_steps_total`"), "{text}");
    assert!(text.contains("set `version = \"2.0.0\"`"), "{text}");

    fs::write(dir.join("head.toml"), renamed("2.0.0")).unwrap();
    let out = xtask(&dir, DIFF_FILES);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn diff_json_output_parses_back() {
    let dir = rename_case("diff_json", "1.0.0");
    let out = xtask(&dir, &[DIFF_FILES, &["--format", "json"]].concat());
    assert_eq!(code(&out), 1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["required_bump"], "major");
    assert_eq!(json["actual_bump"], "none");
    assert_eq!(json["ok"], false);
    let change = &json["changes"][0];
    assert_eq!(change["rule"], "metric-renamed");
    assert_eq!(change["metric"], "app_optimizer_steps_total");
    assert_eq!(change["from"], "app_steps_total");
    assert_eq!(change["to"], "app_optimizer_steps_total");
    assert_eq!(change["line"], 6);
    assert_eq!(change["required_bump"], "major");
    assert!(change["message"].as_str().unwrap().contains("renamed"));
}

#[test]
fn diff_github_annotations() {
    let dir = rename_case("diff_github", "1.0.0");
    let out = xtask(&dir, &[DIFF_FILES, &["--format", "github"]].concat());
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    // GitHub places an annotation by its path from the repository's top, wherever the command
    // ran; a file outside the repository is named as given.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let file = dir.join("head.toml");
    let file = file
        .strip_prefix(workspace)
        .map_or_else(|_| "head.toml".to_owned(), |p| p.display().to_string());
    assert!(
        text.starts_with(&format!(
            "::error file={file},line=6,title=metric-renamed::"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("::error file={file},line=3,title=version-bump::")),
        "{text}"
    );
}

#[test]
fn missing_or_unreadable_baselines_exit_2() {
    let dir = scratch("bad_baseline");
    fs::write(dir.join("head.toml"), V1).unwrap();
    let missing = xtask(
        &dir,
        &[
            "metrics",
            "diff",
            "--baseline",
            "gone.toml",
            "--file",
            "head.toml",
        ],
    );
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).contains("gone.toml"),
        "{}",
        stderr(&missing)
    );
    fs::create_dir(dir.join("a_directory.toml")).unwrap();
    assert_eq!(
        code(&xtask(
            &dir,
            &[
                "metrics",
                "diff",
                "--baseline",
                "a_directory.toml",
                "--file",
                "head.toml"
            ]
        )),
        2
    );
    fs::write(dir.join("not_a_registry.toml"), "this is = = not toml").unwrap();
    let invalid = xtask(
        &dir,
        &[
            "metrics",
            "diff",
            "--baseline",
            "not_a_registry.toml",
            "--file",
            "head.toml",
        ],
    );
    assert_eq!(code(&invalid), 2);
    assert!(
        stderr(&invalid).contains("not a valid registry"),
        "{}",
        stderr(&invalid)
    );
    assert_eq!(
        code(&xtask(&dir, &["metrics", "diff", "--file", "head.toml"])),
        2,
        "no baseline at all"
    );
}

/// The guard against the last commit of the temporary repository.
const DIFF_AGAINST_HEAD: &[&str] = &[
    "metrics",
    "diff",
    "--base",
    "HEAD",
    "--file",
    "sub/metrics.toml",
];

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=ci",
            "-c",
            "user.email=ci@localhost",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_rename_in_git_fails_the_guard_until_the_major_version_is_bumped() {
    let dir = scratch("git");
    git(&dir, &["init", "-q"]);
    fs::write(dir.join("README"), "no registry yet").unwrap();
    git(&dir, &["add", "README"]);
    git(&dir, &["commit", "-q", "-m", "before the registry"]);
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("sub/metrics.toml"), V1).unwrap();

    // A ref whose tree has no registry: a first introduction, every metric added.
    let intro = xtask(&dir, &[DIFF_AGAINST_HEAD, &["--format", "json"]].concat());
    assert_eq!(code(&intro), 0, "{}", stderr(&intro));
    let json: serde_json::Value = serde_json::from_slice(&intro.stdout).unwrap();
    assert_eq!(json["actual_bump"], "initial");
    assert_eq!(json["changes"].as_array().unwrap().len(), 2);
    assert!(
        json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["rule"] == "metric-added")
    );

    git(&dir, &["add", "sub/metrics.toml"]);
    git(&dir, &["commit", "-q", "-m", "registry 1.0.0"]);

    fs::write(dir.join("sub/metrics.toml"), renamed("1.0.0")).unwrap();
    let fails = xtask(&dir, DIFF_AGAINST_HEAD);
    assert_eq!(code(&fails), 1, "{}", stdout(&fails));
    assert!(
        stdout(&fails).contains("error[metric-renamed]"),
        "{}",
        stdout(&fails)
    );
    assert!(
        stdout(&fails).contains("set `version = \"2.0.0\"`"),
        "{}",
        stdout(&fails)
    );

    fs::write(dir.join("sub/metrics.toml"), renamed("2.0.0")).unwrap();
    let passes = xtask(&dir, DIFF_AGAINST_HEAD);
    assert_eq!(code(&passes), 0, "{}", stdout(&passes));
    assert!(
        stdout(&passes).contains("ok: registry version 1.0.0 -> 2.0.0"),
        "{}",
        stdout(&passes)
    );

    let no_ref = xtask(
        &dir,
        &[
            "metrics",
            "diff",
            "--base",
            "no-such-branch",
            "--file",
            "sub/metrics.toml",
        ],
    );
    assert_eq!(code(&no_ref), 2);
    assert!(
        stderr(&no_ref).contains("`no-such-branch` does not exist"),
        "{}",
        stderr(&no_ref)
    );
}

#[test]
fn docs_check_fails_when_stale_and_names_the_command() {
    let dir = scratch("docs");
    fs::write(dir.join("metrics.toml"), V1).unwrap();
    let args = |check: bool| {
        let mut a = vec![
            "metrics",
            "docs",
            "--file",
            "metrics.toml",
            "--output",
            "docs/METRICS.md",
        ];
        if check {
            a.push("--check");
        }
        a
    };
    let missing = xtask(&dir, &args(true));
    assert_eq!(code(&missing), 1);
    assert!(
        stderr(&missing).contains("cargo xtask metrics docs"),
        "{}",
        stderr(&missing)
    );
    assert_eq!(code(&xtask(&dir, &args(false))), 0);
    assert_eq!(code(&xtask(&dir, &args(true))), 0);
    let doc = fs::read_to_string(dir.join("docs/METRICS.md")).unwrap();
    assert!(
        doc.contains(
            "| `app_latency_seconds` | `LATENCY_SECONDS` | histogram | seconds | 0.005, 0.01"
        ),
        "{doc}"
    );
    fs::write(
        dir.join("metrics.toml"),
        V1.replace("Steps.", "Optimizer steps."),
    )
    .unwrap();
    let stale = xtask(&dir, &args(true));
    assert_eq!(code(&stale), 1);
    assert!(
        stderr(&stale).contains(
            "is stale: regenerate it with `cargo xtask metrics docs --file metrics.toml --output docs/METRICS.md`"
        ),
        "{}",
        stderr(&stale)
    );
}

/// `rules` and `dashboard` write beside the registry (or to `--output`, naming the registry
/// from there); `--check` passes on a fresh file and fails, naming the command, on a stale or
/// missing one.
#[test]
fn rules_and_dashboard_go_beside_the_registry_and_check_catches_staleness() {
    let dir = scratch("generated");
    fs::create_dir_all(dir.join("sub")).unwrap();
    fs::write(dir.join("sub/metrics.toml"), V1).unwrap();
    for (command, file, says_source) in [
        (
            "rules",
            "metrics.rules.yml",
            "# Generated from metrics.toml ",
        ),
        (
            "dashboard",
            "metrics.dashboard.json",
            "\"description\": \"Generated from metrics.toml ",
        ),
    ] {
        let run = |extra: &[&str]| {
            let args = [
                &["metrics", command, "--file", "sub/metrics.toml"][..],
                extra,
            ]
            .concat();
            xtask(&dir, &args)
        };
        let missing = run(&["--check"]);
        assert_eq!(code(&missing), 1, "{command}");
        assert!(
            stderr(&missing).contains(&format!(
                "generate it with `cargo xtask metrics {command} --file sub/metrics.toml`"
            )),
            "{}",
            stderr(&missing)
        );
        let wrote = run(&[]);
        assert_eq!(code(&wrote), 0, "{}", stderr(&wrote));
        let written = fs::read_to_string(dir.join("sub").join(file)).unwrap();
        assert!(written.contains(says_source), "{written}");
        assert!(written.contains("app_latency_seconds"), "{written}");
        assert_eq!(
            code(&run(&["--check"])),
            0,
            "{command} --check on a fresh file"
        );

        fs::write(
            dir.join("sub/metrics.toml"),
            format!("{V1}\n[[metric]]\nname = \"app_errors_total\"\nkind = \"counter\"\nsummary = \"Errors.\"\n"),
        )
        .unwrap();
        let stale = run(&["--check"]);
        assert_eq!(code(&stale), 1, "{command}");
        assert!(
            stderr(&stale).contains(&format!(
                "sub/{file} is stale: regenerate it with `cargo xtask metrics {command} --file sub/metrics.toml`"
            )),
            "{}",
            stderr(&stale)
        );
        fs::write(dir.join("sub/metrics.toml"), V1).unwrap();

        let elsewhere = run(&["--output", "out/generated"]);
        assert_eq!(code(&elsewhere), 0, "{}", stderr(&elsewhere));
        let written = fs::read_to_string(dir.join("out/generated")).unwrap();
        assert!(
            written.contains(&says_source.replace("metrics.toml", "../sub/metrics.toml")),
            "{written}"
        );
        let broken = V1.replace("app_steps_total", "app_steps");
        fs::write(dir.join("sub/metrics.toml"), broken).unwrap();
        assert_eq!(code(&run(&[])), 1, "{command} of an invalid registry");
        fs::write(dir.join("sub/metrics.toml"), V1).unwrap();
    }
    let dashboard: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("sub/metrics.dashboard.json")).unwrap())
            .unwrap();
    assert_eq!(dashboard["uid"], "app-metrics");
    assert!(dashboard["panels"].as_array().unwrap().len() > 1);
}

/// Runs xtask in `dir`, failing the test when it has not finished within 20 s (a read that
/// blocks would otherwise hang the suite).
fn xtask_within_20s(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(XTASK)
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("xtask {args:?} was still running after 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A baseline that cannot be read is never taken for a first introduction: however the head
/// file's path is spelled, a removed metric fails the guard; a directory, a symlink or a FIFO
/// where the registry should be is exit 2, with the reason.
#[test]
fn a_baseline_that_cannot_be_read_never_passes_as_new() {
    let dir = scratch("unreadable_baseline");
    git(&dir, &["init", "-q"]);
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("sub/metrics.toml"), V1).unwrap();
    std::os::unix::fs::symlink("sub", dir.join("link")).unwrap();
    git(&dir, &["add", "sub/metrics.toml"]);
    git(&dir, &["commit", "-q", "-m", "registry 1.0.0"]);
    let without_latency = &V1[..V1
        .find("\n[[metric]]\nname = \"app_latency_seconds\"")
        .unwrap()];
    fs::write(dir.join("sub/metrics.toml"), format!("{without_latency}\n")).unwrap();
    for spelling in [
        "sub/metrics.toml",
        "sub/../sub/metrics.toml",
        "link/metrics.toml",
        "./link/../sub/metrics.toml",
    ] {
        let out = xtask(
            &dir,
            &["metrics", "diff", "--base", "HEAD", "--file", spelling],
        );
        assert_eq!(
            code(&out),
            1,
            "{spelling}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(
            stdout(&out).contains("error[metric-removed]"),
            "{spelling}: {}",
            stdout(&out)
        );
    }

    // At the ref, the registry's path is a directory, or a symlink.
    fs::create_dir_all(dir.join("tree/metrics.toml")).unwrap();
    fs::write(dir.join("tree/metrics.toml/keep"), "x").unwrap();
    fs::create_dir(dir.join("linked")).unwrap();
    std::os::unix::fs::symlink("../sub/metrics.toml", dir.join("linked/metrics.toml")).unwrap();
    git(&dir, &["add", "tree", "linked"]);
    git(&dir, &["commit", "-q", "-m", "odd entries"]);
    fs::remove_dir_all(dir.join("tree/metrics.toml")).unwrap();
    fs::write(dir.join("tree/metrics.toml"), V1).unwrap();
    fs::remove_file(dir.join("linked/metrics.toml")).unwrap();
    fs::write(dir.join("linked/metrics.toml"), V1).unwrap();
    for (file, says) in [
        ("tree/metrics.toml", "is a directory at HEAD"),
        ("linked/metrics.toml", "is a symlink at HEAD"),
    ] {
        let out = xtask(&dir, &["metrics", "diff", "--base", "HEAD", "--file", file]);
        assert_eq!(code(&out), 2, "{file}: {}{}", stdout(&out), stderr(&out));
        assert!(stderr(&out).contains(says), "{file}: {}", stderr(&out));
    }

    // A FIFO as the baseline or the head: refused at once, never read.
    let fifo = dir.join("registry.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for args in [
        &[
            "metrics",
            "diff",
            "--baseline",
            "registry.fifo",
            "--file",
            "sub/metrics.toml",
        ][..],
        &[
            "metrics",
            "diff",
            "--base",
            "HEAD",
            "--file",
            "registry.fifo",
        ][..],
        &["metrics", "check", "--file", "registry.fifo"][..],
    ] {
        let out = xtask_within_20s(&dir, args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}
