//! `cargo xtask`: the project's build and CI logic, in Rust.
//!
//! ```text
//! cargo xtask ci    everything CI runs, in order; the README's test command
//! ```
//!
//! Exit codes: 0 clean, 1 findings (a step failed), 2 could not run (bad arguments).

#![forbid(unsafe_code)]

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  ci    run every CI step in order: fmt, clippy, test, loom, doc";

fn main() -> ExitCode {
    run(&env::args().skip(1).collect::<Vec<_>>())
}

/// Dispatches one `cargo xtask` invocation.
fn run(args: &[String]) -> ExitCode {
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["ci"] => ci(),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("error: unknown or missing command {args:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// One CI step: a name, what must hold before it, and a cargo invocation.
struct Step {
    name: &'static str,
    before: Option<fn() -> Result<(), String>>,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const CI_STEPS: &[Step] = &[
    Step {
        name: "format",
        before: None,
        args: &["fmt", "--all", "--", "--check"],
        env: &[],
    },
    Step {
        name: "clippy",
        before: None,
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        name: "test",
        before: Some(ensure_prometheus_tools),
        args: &["test", "--workspace", "--locked"],
        env: &[],
    },
    Step {
        name: "loom",
        before: None,
        args: &[
            "test",
            "--package",
            "geno-metrics",
            "--test",
            "loom",
            "--release",
            "--locked",
            "--target-dir",
            "target/loom",
        ],
        env: &[("RUSTFLAGS", "--cfg loom")],
    },
    Step {
        name: "doc",
        before: None,
        args: &["doc", "--workspace", "--no-deps", "--locked"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

fn ci() -> ExitCode {
    let root = workspace_root();
    let started = Instant::now();
    for step in CI_STEPS {
        if let Some(before) = step.before
            && let Err(message) = before()
        {
            eprintln!("\nerror: xtask ci: before `{}`: {message}", step.name);
            return ExitCode::from(1);
        }
        println!(
            "\n==> xtask ci: {} (cargo {})",
            step.name,
            step.args.join(" ")
        );
        let step_started = Instant::now();
        let status = Command::new(cargo())
            .args(step.args)
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

/// The real Prometheus tools the conformance tests drive, and the Debian package of each.
const PROMETHEUS_TOOLS: &[(&str, &str)] = &[
    ("promtool", "prometheus"),
    ("prometheus", "prometheus"),
    ("prometheus-node-exporter", "prometheus-node-exporter"),
];

/// Makes sure the Prometheus tools are on PATH: installs Debian's packages with apt-get when
/// they are missing and we are root (as on CI), and fails with the command to run otherwise.
/// The tests never skip for want of a tool.
fn ensure_prometheus_tools() -> Result<(), String> {
    let missing = || -> Vec<(&str, &str)> {
        PROMETHEUS_TOOLS
            .iter()
            .copied()
            .filter(|(tool, _)| find_on_path(tool).is_none())
            .collect()
    };
    let absent = missing();
    if absent.is_empty() {
        println!(
            "\n==> xtask ci: Prometheus tools present (promtool, prometheus, prometheus-node-exporter)"
        );
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

/// The cargo that runs us (so toolchain overrides carry over), or `cargo` from PATH.
fn cargo() -> PathBuf {
    env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

/// The workspace root: the parent of this package's directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &str) -> String {
        std::fs::read_to_string(workspace_root().join(path)).unwrap()
    }

    #[test]
    fn bad_arguments_exit_2() {
        assert_eq!(run(&[]), ExitCode::from(2));
        assert_eq!(run(&["deploy".to_owned()]), ExitCode::from(2));
        assert_eq!(run(&["--help".to_owned()]), ExitCode::SUCCESS);
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

    /// Tidy: the README's CI step list matches what `ci` runs.
    #[test]
    fn readme_lists_the_ci_steps() {
        let readme = read("README.md");
        for step in CI_STEPS {
            let needle = match step.name {
                "format" => "cargo fmt --check",
                "clippy" => "clippy",
                "test" => "every test of the workspace",
                "loom" => "loom",
                "doc" => "rustdoc",
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
