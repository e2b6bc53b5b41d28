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
    let args: Vec<String> = env::args().skip(1).collect();
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

/// One CI step: a name and a cargo invocation.
struct Step {
    name: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const CI_STEPS: &[Step] = &[
    Step {
        name: "format",
        args: &["fmt", "--all", "--", "--check"],
        env: &[],
    },
    Step {
        name: "clippy",
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
        args: &["test", "--workspace", "--locked"],
        env: &[],
    },
    Step {
        name: "loom",
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
        args: &["doc", "--workspace", "--no-deps", "--locked"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

fn ci() -> ExitCode {
    let root = workspace_root();
    let started = Instant::now();
    for step in CI_STEPS {
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
