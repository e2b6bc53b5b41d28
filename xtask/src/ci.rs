//! `cargo xtask ci`: every CI step, in order. `.ci/run` calls it; so does the README.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::workspace_root;

/// A step xtask runs itself, given the workspace root; its error says what failed.
type OwnStep = fn(&Path) -> Result<(), String>;

/// One CI step: a name, what must hold before it, and a cargo invocation (or, for `run`
/// steps, what xtask does itself).
struct Step {
    name: &'static str,
    before: Option<fn() -> Result<(), String>>,
    /// A step xtask runs itself, given the workspace root, instead of cargo (whose fields
    /// below it leaves empty).
    run: Option<OwnStep>,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// A target directory of its own, under the usual one (its flags would otherwise rebuild
    /// everything the other steps built).
    own_target: Option<&'static str>,
}

const CI_STEPS: &[Step] = &[
    Step {
        name: "format",
        before: None,
        run: None,
        args: &["fmt", "--all", "--", "--check"],
        env: &[],
        own_target: None,
    },
    Step {
        name: "clippy",
        before: None,
        run: None,
        // Every feature on: the workspace's tests enable them all anyway.
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
        own_target: None,
    },
    Step {
        name: "clippy-default",
        before: None,
        run: None,
        // The runtime as a textfile-only user builds it: no feature.
        args: &[
            "clippy",
            "--package",
            "geno-metrics",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
        own_target: None,
    },
    Step {
        name: "test",
        before: Some(ensure_prometheus_tools),
        run: None,
        args: &["test", "--workspace", "--all-features", "--locked"],
        env: &[],
        own_target: None,
    },
    Step {
        name: "test-default",
        before: None,
        run: None,
        args: &["test", "--package", "geno-metrics", "--locked"],
        env: &[],
        own_target: None,
    },
    Step {
        name: "python",
        before: None,
        run: Some(crate::python::ci_step),
        args: &[],
        env: &[],
        own_target: None,
    },
    Step {
        name: "loom",
        before: None,
        run: None,
        args: &[
            "test",
            "--package",
            "geno-metrics",
            "--test",
            "loom",
            "--release",
            "--locked",
        ],
        env: &[("RUSTFLAGS", "--cfg loom")],
        own_target: Some("loom"),
    },
    Step {
        name: "doc",
        before: None,
        run: None,
        args: &[
            "doc",
            "--workspace",
            "--all-features",
            "--no-deps",
            "--locked",
        ],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
        own_target: None,
    },
    Step {
        name: "package",
        before: Some(forget_earlier_packages),
        run: None,
        // Every crate a user depends on or installs, packaged and built as crates.io would
        // see it (cargo packages the ones that depend on each other together).
        // --allow-dirty: a developer runs this command before committing; CI's clone is clean.
        args: &[
            "package",
            "--locked",
            "--allow-dirty",
            "-p",
            "geno-metrics-schema",
            "-p",
            "geno-metrics-macros",
            "-p",
            "geno-metrics",
            "-p",
            "geno-metrics-cli",
        ],
        env: &[],
        own_target: Some(PACKAGE_TARGET),
    },
];

pub(crate) fn ci() -> ExitCode {
    let root = workspace_root();
    let started = Instant::now();
    println!("\n==> xtask ci: tidy (the runtime's modules import each other in no cycle)");
    if let Err(problem) = crate::tidy::check_runtime_layers(&root) {
        eprintln!("\nerror: xtask ci: tidy: {problem}");
        return ExitCode::from(1);
    }
    if let Err(code) = registry_steps(&root) {
        return code;
    }
    for step in CI_STEPS {
        if let Some(before) = step.before
            && let Err(message) = before()
        {
            eprintln!("\nerror: xtask ci: before `{}`: {message}", step.name);
            return ExitCode::from(1);
        }
        let step_started = Instant::now();
        if let Some(run) = step.run {
            println!("\n==> xtask ci: {}", step.name);
            if let Err(message) = run(&root) {
                eprintln!("\nerror: xtask ci: step `{}` failed: {message}", step.name);
                return ExitCode::from(1);
            }
            println!("==> {} passed in {:.0?}", step.name, step_started.elapsed());
            continue;
        }
        println!(
            "\n==> xtask ci: {} (cargo {})",
            step.name,
            step.args.join(" ")
        );
        let mut cargo = crate::cargo();
        cargo.args(step.args);
        if let Some(own) = step.own_target {
            let dir = target_dir(&root, env::var_os("CARGO_TARGET_DIR")).join(own);
            cargo.arg("--target-dir").arg(dir);
        }
        let status = cargo
            .envs(step.env.iter().copied())
            .current_dir(&root)
            .status();
        match status {
            Ok(s) if s.success() => {
                println!("==> {} passed in {:.0?}", step.name, step_started.elapsed());
            }
            Ok(s) => {
                eprintln!("\nerror: xtask ci: step `{}` failed ({s})", step.name);
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!(
                    "\nerror: xtask ci: could not run cargo for `{}`: {e}",
                    step.name
                );
                return ExitCode::from(2);
            }
        }
    }
    println!(
        "\n==> xtask ci: all steps passed in {:.0?}",
        started.elapsed()
    );
    ExitCode::SUCCESS
}

/// The registry's own checks, run in-process before the cargo steps: `metrics check`,
/// `metrics docs --check`, `metrics rules --check`, `metrics dashboard --check`, and the
/// rename-diff guard against the previous commit.
fn registry_steps(root: &std::path::Path) -> Result<(), ExitCode> {
    let metrics = |args: &[&str]| -> Result<(), ExitCode> {
        println!("\n==> xtask ci: metrics {}", args.join(" "));
        let code = crate::run(["metrics"].iter().chain(args));
        if code == ExitCode::SUCCESS {
            Ok(())
        } else {
            Err(code)
        }
    };
    metrics(&["check"])?;
    metrics(&["docs", "--check"])?;
    metrics(&["rules", "--check"])?;
    metrics(&["dashboard", "--check"])?;
    match previous_commit(root) {
        Ok(()) => metrics(&["diff", "--base", "HEAD~1"]),
        Err(why) => {
            println!("\n==> xtask ci: metrics diff skipped: {why}");
            Ok(())
        }
    }
}

/// The workspace's crates, as `cargo package` packs them.
const PACKAGED: &[&str] = &[
    "geno-metrics-schema",
    "geno-metrics-macros",
    "geno-metrics",
    "geno-metrics-cli",
];

/// The package step's target directory, under the usual one.
const PACKAGE_TARGET: &str = "package-verify";

/// Makes `cargo package` verify this commit's crates, not an earlier one's.
///
/// `cargo package` verifies crates that depend on each other through a local registry under
/// `<target>/package/`. Cargo takes what comes from a registry as immutable, keyed by name and
/// version, and ours stays 0.1.0 between commits, so two caches outlive a change:
/// - the crates it unpacks into `$CARGO_HOME/registry/src/-<hash of the registry's
///   path>/<name>-<version>/`, never unpacked twice: on a machine whose `CARGO_HOME` outlives
///   the checkout (a CI runner that clones into the same path each time) verification builds
///   an earlier commit's sources;
/// - their build fingerprints in the target directory, which say "fresh" for the same name and
///   version whatever the sources: a developer's second run reuses the first run's libraries.
///
/// Both fail on whatever changed since, in code that is right. So this removes our crates'
/// unpacked copies (only in registries with no host: the names cargo gives local registries
/// start with `-`) and their fingerprints in the package step's own target directory, which
/// keeps every other crate's build.
fn forget_earlier_packages() -> Result<(), String> {
    forget_unpacked_workspace_crates()?;
    let target =
        target_dir(&workspace_root(), env::var_os("CARGO_TARGET_DIR")).join(PACKAGE_TARGET);
    forget_fingerprints_in(&target.join("debug").join(".fingerprint"))
}

/// Removes the fingerprints (`<crate>-<hash>` directories) of our crates in `dir`.
fn forget_fingerprints_in(dir: &Path) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let hash = |rest: &str| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit());
        if is_ours(&name, hash) {
            std::fs::remove_dir_all(entry.path()).map_err(|e| {
                format!(
                    "could not remove {} (remove it by hand): {e}",
                    entry.path().display()
                )
            })?;
        }
    }
    Ok(())
}

/// Removes what earlier `cargo package` runs unpacked of the workspace's own crates in the
/// cargo home (`$CARGO_HOME`, else `~/.cargo`); see [`forget_earlier_packages`].
fn forget_unpacked_workspace_crates() -> Result<(), String> {
    let Some(cargo_home) = env::var_os("CARGO_HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
    else {
        return Ok(());
    };
    forget_unpacked_in(&cargo_home)
}

/// [`forget_unpacked_workspace_crates`] in the cargo home `cargo_home`.
fn forget_unpacked_in(cargo_home: &Path) -> Result<(), String> {
    for kind in ["src", "cache"] {
        let Ok(registries) = std::fs::read_dir(cargo_home.join("registry").join(kind)) else {
            continue;
        };
        for registry in registries.flatten() {
            if !registry.file_name().to_string_lossy().starts_with('-') {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(registry.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !is_packaged_crate(&name) {
                    continue;
                }
                let path = entry.path();
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(|e| {
                    format!(
                        "could not remove {} (unpacked by an earlier cargo package; remove it \
                         by hand): {e}",
                        path.display()
                    )
                })?;
            }
        }
    }
    Ok(())
}

/// Whether `name` (`<crate>-<version>` or `<crate>-<version>.crate`) is one of ours.
fn is_packaged_crate(name: &str) -> bool {
    is_ours(name, |version| {
        version.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// Whether `name` is `<one of our crates>-<rest>` with a `rest` that `rest_ok` accepts.
fn is_ours(name: &str, rest_ok: impl Fn(&str) -> bool) -> bool {
    PACKAGED.iter().any(|krate| {
        name.strip_prefix(krate)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(&rest_ok)
    })
}

/// Where cargo builds: `CARGO_TARGET_DIR` when set (relative to the workspace root, where the
/// steps run), else `target/` in the workspace.
pub(crate) fn target_dir(root: &Path, from_environment: Option<std::ffi::OsString>) -> PathBuf {
    match from_environment {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// Whether `HEAD~1` exists; if not, why (first commit, shallow clone, no git checkout).
fn previous_commit(root: &std::path::Path) -> Result<(), String> {
    let git = |args: &[&str]| Command::new("git").args(args).current_dir(root).output();
    let Ok(parent) = git(&["rev-parse", "--verify", "--quiet", "HEAD~1^{commit}"]) else {
        return Err("git is not available".into());
    };
    if parent.status.success() {
        return Ok(());
    }
    match git(&["rev-parse", "--is-shallow-repository"]) {
        Ok(out) if out.status.success() && out.stdout.trim_ascii() == b"true" => Err(
            "HEAD~1 is not in this shallow clone (fetch with more depth to guard renames)".into(),
        ),
        Ok(out) if out.status.success() => {
            Err("HEAD is the first commit: there is no previous registry".into())
        }
        _ => Err("not a git checkout".into()),
    }
}

/// The real Prometheus tools the conformance tests drive, and the Debian package of each: a
/// program on PATH, or (`python3:` and a module) a module Debian's Python imports.
const PROMETHEUS_TOOLS: &[(&str, &str)] = &[
    ("promtool", "prometheus"),
    ("prometheus", "prometheus"),
    ("prometheus-node-exporter", "prometheus-node-exporter"),
    ("prometheus-pushgateway", "prometheus-pushgateway"),
    ("prometheus-alertmanager", "prometheus-alertmanager"),
    ("curl", "curl"),
    ("python3:prometheus_client", "python3-prometheus-client"),
    ("python3:psutil", "python3-psutil"),
];

/// Whether `tool` (a program, or `python3:<module>`) is there.
fn tool_present(tool: &str) -> bool {
    match tool.strip_prefix("python3:") {
        // Debian's interpreter, the one its python3-* packages install for (a python3 earlier
        // on PATH, pyenv's say, would not see them).
        Some(module) => Command::new("/usr/bin/python3")
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|out| out.status.success()),
        None => find_on_path(tool).is_some(),
    }
}

/// Makes sure the Prometheus tools are on PATH: installs Debian's packages with apt-get when
/// they are missing and we are root (as on CI), and fails with the command to run otherwise.
/// The tests never skip for want of a tool.
fn ensure_prometheus_tools() -> Result<(), String> {
    let missing = || -> Vec<(&str, &str)> {
        PROMETHEUS_TOOLS
            .iter()
            .copied()
            .filter(|(tool, _)| !tool_present(tool))
            .collect()
    };
    let absent = missing();
    if absent.is_empty() {
        let all: Vec<&str> = PROMETHEUS_TOOLS.iter().map(|(tool, _)| *tool).collect();
        println!("\n==> xtask ci: tools present ({})", all.join(", "));
        return Ok(());
    }
    let mut packages: Vec<&str> = absent.iter().map(|(_, package)| *package).collect();
    packages.dedup();
    let tools: Vec<&str> = absent.iter().map(|(tool, _)| *tool).collect();
    let install = format!("apt-get install -y {}", packages.join(" "));
    if !is_root() {
        return Err(format!(
            "the conformance tests need {} on PATH; install them with `sudo apt-get update && sudo {install}`",
            tools.join(", ")
        ));
    }
    println!(
        "\n==> xtask ci: installing {} with apt-get",
        packages.join(" ")
    );
    let apt = |args: &[&str]| -> Result<(), String> {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`apt-get {}` failed ({status})", args.join(" ")))
        }
    };
    apt(&["update", "-q"])?;
    let mut install_args = vec!["install", "-y", "-q"];
    install_args.extend(&packages);
    apt(&install_args)?;
    let still = missing();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!("after `{install}`, still not on PATH: {still:?}"))
    }
}

/// The first executable called `name` on PATH.
fn find_on_path(name: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Whether we run as root (who may apt-get install).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn the_package_step_packs_the_crates_whose_old_sources_are_forgotten() {
        let step = CI_STEPS.iter().find(|s| s.name == "package").unwrap();
        let packed: Vec<&str> = step
            .args
            .windows(2)
            .filter(|pair| pair[0] == "-p")
            .map(|pair| pair[1])
            .collect();
        assert_eq!(packed, PACKAGED);
    }

    #[test]
    fn earlier_unpacked_sources_of_ours_go_and_nothing_else() {
        let home = std::env::temp_dir().join(format!("xtask-cargo-home-{}", std::process::id()));
        let make = |path: &str| {
            let path = home.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            if path.extension().is_some_and(|e| e == "crate") {
                std::fs::write(&path, b"crate").unwrap();
            } else {
                std::fs::create_dir_all(path.join("src")).unwrap();
                std::fs::write(path.join("src/lib.rs"), b"// stale").unwrap();
            }
        };
        let ours = [
            "registry/src/-14cd1cce6819ff87/geno-metrics-schema-0.1.0",
            "registry/src/-14cd1cce6819ff87/geno-metrics-macros-0.1.0",
            "registry/cache/-14cd1cce6819ff87/geno-metrics-0.1.0.crate",
        ];
        let kept = [
            // crates.io's own unpacked sources, even of a crate named like ours.
            "registry/src/index.crates.io-1949cf8c6b5b557f/geno-metrics-0.1.0",
            "registry/src/index.crates.io-1949cf8c6b5b557f/serde-1.0.0",
            // Another crate in a local registry.
            "registry/src/-14cd1cce6819ff87/serde-1.0.0",
        ];
        for path in ours.iter().chain(&kept) {
            make(path);
        }
        forget_unpacked_in(&home).unwrap();
        for path in ours {
            assert!(!home.join(path).exists(), "{path} is still there");
        }
        for path in kept {
            assert!(home.join(path).exists(), "{path} was removed");
        }
        // No cargo home yet (a new machine): nothing to forget, no error.
        forget_unpacked_in(&home.join("absent")).unwrap();
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn only_our_crates_fingerprints_are_forgotten() {
        let dir = std::env::temp_dir().join(format!("xtask-fingerprints-{}", std::process::id()));
        let ours = [
            "geno-metrics-schema-ef54b62833806899",
            "geno-metrics-0123abcd",
        ];
        let kept = [
            "serde-ef54b62833806899",
            "geno-metrics-py-0123abcd",
            "geno-metrics-",
        ];
        for name in ours.iter().chain(&kept) {
            std::fs::create_dir_all(dir.join(name)).unwrap();
        }
        forget_fingerprints_in(&dir).unwrap();
        for name in ours {
            assert!(!dir.join(name).exists(), "{name} is still there");
        }
        for name in kept {
            assert!(dir.join(name).exists(), "{name} was removed");
        }
        forget_fingerprints_in(&dir.join("absent")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_our_crates_unpacked_sources_are_forgotten() {
        assert!(is_packaged_crate("geno-metrics-0.1.0"));
        assert!(is_packaged_crate("geno-metrics-schema-0.1.0"));
        assert!(is_packaged_crate("geno-metrics-cli-12.0.0.crate"));
        // Another crate whose name starts like ours, and ours without a version.
        assert!(!is_packaged_crate("geno-metrics-py-0.1.0"));
        assert!(!is_packaged_crate("geno-metrics-extra-0.1.0"));
        assert!(!is_packaged_crate("geno-metrics"));
        assert!(!is_packaged_crate("serde-1.0.0"));
    }

    fn read(path: &str) -> String {
        std::fs::read_to_string(workspace_root().join(path)).unwrap()
    }

    #[test]
    fn steps_with_a_target_of_their_own_build_under_cargo_target_dir() {
        let root = Path::new("/work/repo");
        assert_eq!(target_dir(root, None), Path::new("/work/repo/target"));
        assert_eq!(
            target_dir(root, Some("/elsewhere/build".into())),
            Path::new("/elsewhere/build")
        );
        assert_eq!(
            target_dir(root, Some("out".into())),
            Path::new("/work/repo/out")
        );
        assert_eq!(
            target_dir(root, Some("".into())),
            Path::new("/work/repo/target")
        );
    }

    /// Tidy: every cargo command the README shows in a block is real: `cargo xtask` commands
    /// parse with their flags, and the examples and benches named exist. (The commands
    /// themselves run elsewhere: `ci` in CI, the example in the conformance and example
    /// tests; soak, fuzz and benches take too long for CI.) Other lines are placeholders for
    /// the reader's own hosts and paths.
    #[test]
    fn the_readmes_cargo_commands_are_real() {
        let mut checked = 0;
        for file in ["README.md", "geno-metrics-cli/README.md"] {
            checked += cargo_commands_are_real(file);
        }
        assert!(checked >= 12, "only {checked} commands found");
    }

    /// Checks the cargo commands in the blocks of `file`; how many there were.
    fn cargo_commands_are_real(file: &str) -> usize {
        let readme = read(file);
        let mut in_block = false;
        let mut checked = 0;
        for (n, line) in readme.lines().enumerate() {
            if line.starts_with("```") {
                in_block = !in_block;
                continue;
            }
            let Some(at) = line.find("cargo ").filter(|_| in_block) else {
                continue;
            };
            let command = line[at..].split('#').next().unwrap().trim();
            let words: Vec<&str> = command.split_whitespace().collect();
            let place = format!("{file}:{}: `{command}`", n + 1);
            match words.as_slice() {
                ["cargo", "xtask", rest @ ..] => {
                    let parsed = crate::flags::Xtask::try_parse_from(
                        std::iter::once("cargo xtask").chain(rest.iter().copied()),
                    );
                    assert!(parsed.is_ok(), "{place}: {}", parsed.unwrap_err());
                }
                ["cargo", "geno-metrics", rest @ ..] => {
                    let parsed = crate::flags::Xtask::try_parse_from(
                        ["cargo xtask", "metrics"]
                            .into_iter()
                            .chain(rest.iter().copied()),
                    );
                    assert!(parsed.is_ok(), "{place}: {}", parsed.unwrap_err());
                }
                ["cargo", "install", "--path", package] => {
                    let manifest = workspace_root().join(package).join("Cargo.toml");
                    assert!(manifest.is_file(), "{place}: no {}", manifest.display());
                }
                ["cargo", "install", "--git", .., package] => {
                    let manifest = workspace_root().join(package).join("Cargo.toml");
                    assert!(manifest.is_file(), "{place}: no package {package}");
                }
                ["cargo", "run" | "build", "--release", "--example", example]
                | [
                    "cargo",
                    "run" | "build",
                    "--release",
                    "--example",
                    example,
                    "--",
                    ..,
                ]
                | ["cargo", "run", "--example", example, "--", ..] => {
                    let file = format!("tests/examples/{example}.rs");
                    assert!(workspace_root().join(&file).is_file(), "{place}: no {file}");
                }
                [
                    "cargo",
                    "bench",
                    "-p",
                    "geno-metrics-tests",
                    "--bench",
                    bench,
                ] => {
                    let manifest = read("tests/Cargo.toml");
                    assert!(manifest.contains(&format!("name = \"{bench}\"")), "{place}");
                }
                _ => panic!("{place}: teach this test what the command should be checked against"),
            }
            checked += 1;
        }
        checked
    }

    /// Tidy: CI runs the README's test command and nothing else.
    #[test]
    fn ci_script_runs_the_readme_test_command() {
        let script = read(".ci/run");
        let commands: Vec<&str> = script
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter(|l| !l.starts_with("set ") && !l.starts_with("cd "))
            .collect();
        assert_eq!(commands, ["exec cargo xtask ci"]);
        assert!(read("README.md").contains("cargo xtask ci"));
    }

    /// Tidy: every workspace member has a paragraph in ARCHITECTURE.md.
    #[test]
    fn architecture_maps_every_member() {
        let manifest = read("Cargo.toml");
        let architecture = read("ARCHITECTURE.md");
        let members = manifest
            .split("members = [")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap();
        for member in members
            .split(',')
            .map(|m| m.trim().trim_matches('"'))
            .filter(|m| !m.is_empty())
        {
            assert!(
                architecture.contains(&format!("**`{member}/`**")),
                "ARCHITECTURE.md lacks `{member}/`"
            );
        }
    }

    /// Tidy: every file and folder of the runtime is named in ARCHITECTURE.md's code map.
    #[test]
    fn architecture_maps_every_runtime_module() {
        let whole = read("ARCHITECTURE.md");
        // The runtime's paragraph only: other paragraphs name files of the same names.
        let architecture = whole
            .split("**`geno-metrics/`**")
            .nth(1)
            .and_then(|rest| rest.split("\n**`").next())
            .unwrap();
        let src = workspace_root().join("geno-metrics/src");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !architecture.contains(&format!("`{name}/`")) {
                    missing.push(format!("{name}/"));
                }
                for file in std::fs::read_dir(&path).unwrap() {
                    let file = file.unwrap().file_name().to_string_lossy().into_owned();
                    if file != "mod.rs" && !architecture.contains(&format!("`{file}`")) {
                        missing.push(format!("{name}/{file}"));
                    }
                }
            } else if name != "lib.rs" && !architecture.contains(&format!("`{name}`")) {
                missing.push(name);
            }
        }
        assert!(
            missing.is_empty(),
            "ARCHITECTURE.md does not name {missing:?}"
        );
    }

    /// Tidy: the README's CI step list matches what `ci` runs.
    #[test]
    fn readme_lists_the_ci_steps() {
        let readme = read("README.md");
        for registry_check in [
            "metrics check",
            "metrics docs --check",
            "metrics rules --check",
            "metrics dashboard --check",
            "metrics diff --base HEAD~1",
        ] {
            assert!(
                readme.contains(registry_check),
                "README does not mention `{registry_check}`"
            );
        }
        for step in CI_STEPS {
            let needle = match step.name {
                "format" => "cargo fmt --check",
                "clippy" => "clippy",
                "clippy-default" => "without any feature",
                "test" => "every test of the workspace",
                "test-default" => "tests again\n   without any feature",
                "python" => "the Python module",
                "loom" => "loom",
                "doc" => "rustdoc",
                "package" => "cargo package",
                other => panic!("step `{other}` has no README wording; add it there and here"),
            };
            assert!(
                readme.contains(needle),
                "README does not mention the `{}` step",
                step.name
            );
        }
    }
}
