//! `cargo xtask`: the project's build and CI logic, in Rust.
//!
//! `flags.rs` declares the command line (`cargo xtask --help` prints it), the registry
//! commands' flags coming from `geno-metrics-cli`; each command is one module: `ci`,
//! `bench` (every performance budget, judged), `bench_compile`, `python` (CI's Python step and `bench-python`), `soak`, `fuzz`, and
//! `tidy`, the checks of the tree's own shape that `ci` runs first; `metrics` runs `geno-metrics-cli` with this repository's defaults.
//!
//! Exit codes: 0 clean, 1 findings, 2 could not run (bad arguments, missing file, git error).

#![forbid(unsafe_code)]

mod bench;
mod bench_compile;
mod ci;
mod flags;
mod fuzz;
mod python;
mod soak;
mod tidy;

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::Parser;

use flags::Xtask;

fn main() -> ExitCode {
    run(env::args_os().skip(1))
}

/// Parses one `cargo xtask` invocation (the arguments after the program name) and runs it.
/// Bad arguments print clap's error and the usage, and exit 2; `--help` exits 0.
fn run(args: impl IntoIterator<Item = impl Into<OsString>>) -> ExitCode {
    let program = std::iter::once(OsString::from("cargo xtask"));
    let flags = match Xtask::try_parse_from(program.chain(args.into_iter().map(Into::into))) {
        Ok(flags) => flags,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Outcome::CouldNotRun.into()
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match flags.command {
        flags::Command::Ci => ci::ci(),
        flags::Command::Metrics { command } => {
            geno_metrics_cli::run(&command, &metrics_context()).into()
        }
        flags::Command::Bench(options) => bench::run(&options),
        flags::Command::BenchCompile(options) => bench_compile::run(&options),
        flags::Command::BenchPython(options) => python::bench(&options),
        flags::Command::Soak(options) => soak::run(&options),
        flags::Command::Fuzz(options) => fuzz::run(&options),
    }
}

/// The registry commands' defaults in this repository: the workspace's `metrics.toml`, the
/// catalogue in `docs/METRICS.md`, paths shown from the workspace root.
fn metrics_context() -> geno_metrics_cli::Context {
    let root = workspace_root();
    geno_metrics_cli::Context {
        registry: root.join("metrics.toml"),
        catalogue: Some(root.join("docs/METRICS.md")),
        root,
        command: "cargo xtask metrics",
    }
}

/// A `cargo` command: the cargo that runs xtask (`$CARGO`, so toolchain overrides carry
/// over), or `cargo` from `PATH`.
pub(crate) fn cargo() -> Command {
    Command::new(env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from))
}

/// The workspace root: the parent of this package's directory.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// How an xtask command ended (0 clean, 1 findings, 2 could not run), as the registry
/// commands define it.
pub(crate) use geno_metrics_cli::Outcome;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_exit_2() {
        assert_eq!(run(Vec::<String>::new()), ExitCode::from(2));
        assert_eq!(run(["deploy"]), ExitCode::from(2));
        assert_eq!(run(["metrics", "frobnicate"]), ExitCode::from(2));
        assert_eq!(run(["metrics", "check", "--check"]), ExitCode::from(2));
        assert_eq!(run(["soak", "--secs", "0"]), ExitCode::from(2));
        assert_eq!(run(["--help"]), ExitCode::SUCCESS);
        assert_eq!(run(["metrics", "diff", "--help"]), ExitCode::SUCCESS);
    }
}
