//! `cargo xtask`: the project's build and CI logic, in Rust.
//!
//! ```text
//! cargo xtask ci                                    everything CI runs; the README's test command
//! cargo xtask metrics check [--file F]              validate and lint a registry
//! cargo xtask metrics diff (--base REF | --baseline FILE) [--file F] [--format human|json|github]
//!                                                   the rename-diff guard
//! cargo xtask metrics docs [--check]                generate docs/METRICS.md (or check it is fresh)
//! cargo xtask bench-compile [--runs N] [--keep]     time what registry! adds to a build (not in ci)
//! cargo xtask soak [--secs N] [--kills N] [--cases N]  the reliability tests, longer (not in ci)
//! cargo xtask fuzz [--secs N]                       fuzz the registry parser (nightly + cargo-fuzz; not in ci)
//! ```
//!
//! Exit codes: 0 clean, 1 findings, 2 could not run (bad arguments, missing file, git error).

#![forbid(unsafe_code)]

mod bench_compile;
mod ci;
mod fuzz;
mod metrics;
mod soak;

use std::env;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  ci                  run every CI step in order: metrics, fmt, clippy, test, loom, doc
  metrics check       validate and lint a registry         [--file F]
  metrics diff        the rename-diff guard                (--base REF | --baseline FILE)
                                                           [--file F] [--format human|json|github]
  metrics docs        generate docs/METRICS.md             [--check]
  bench-compile       time what registry! adds to a build  [--runs N] [--keep]
  soak                the reliability tests, for longer    [--secs N] [--kills N] [--cases N]
  fuzz                fuzz the registry parser (nightly)   [--secs N]

exit codes: 0 clean, 1 findings, 2 could not run";

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
        ["ci"] => ci::ci(),
        ["metrics", ..] => metrics::run(&args[1..]),
        ["bench-compile", ..] => bench_compile::run(&args[1..]),
        ["soak", ..] => soak::run(&args[1..]),
        ["fuzz", ..] => fuzz::run(&args[1..]),
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

/// Says what is wrong with a command's arguments and how the command is used; exit code 2.
pub(crate) fn usage_error(message: &str, usage: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{usage}");
    Outcome::CouldNotRun.into()
}

/// Owned arguments, as `run` functions take them, for the commands' unit tests.
#[cfg(test)]
pub(crate) fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| (*a).to_owned()).collect()
}

/// The workspace root: the parent of this package's directory.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// How an xtask command ended; the process exit code follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing to report (exit 0).
    Clean,
    /// The command ran and found problems (exit 1).
    Findings,
    /// The command could not do its job: bad arguments, a missing file, a git error (exit 2).
    CouldNotRun,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        match outcome {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Findings => ExitCode::from(1),
            Outcome::CouldNotRun => ExitCode::from(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_exit_2() {
        assert_eq!(run(&[]), ExitCode::from(2));
        assert_eq!(run(&["deploy".to_owned()]), ExitCode::from(2));
        assert_eq!(
            run(&["metrics".to_owned(), "frobnicate".to_owned()]),
            ExitCode::from(2)
        );
        assert_eq!(run(&["--help".to_owned()]), ExitCode::SUCCESS);
    }
}
