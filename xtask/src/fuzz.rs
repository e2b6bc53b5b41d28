//! `cargo xtask fuzz`: run the cargo-fuzz target `schema` (see `fuzz/README.md`) for a while.
//!
//! ```text
//! cargo xtask fuzz [--secs N]
//! ```
//!
//! The target feeds arbitrary text to the schema crate's `parse` and asserts that it never
//! panics and that every diagnostic points at a real line and column. cargo-fuzz needs the
//! nightly toolchain and the `cargo-fuzz` subcommand; the command checks for both first and
//! names what to install when one is missing. Then, in `fuzz/`:
//!
//! 1. `cargo +nightly fuzz build schema` (a build that fails is "could not run", not a
//!    finding);
//! 2. `cargo +nightly fuzz run schema corpus/schema seeds -- -max_total_time=N -timeout=10
//!    -dict=schema.dict`, `N` from `--secs` (default 300). libFuzzer writes the inputs it finds
//!    interesting to the first corpus directory, so `corpus/schema` (ignored by git) comes
//!    first and the committed `seeds/` are read, never written. `-timeout=10` turns an input
//!    that hangs the parser into a finding instead of a stalled run.
//!
//! The fuzzer stops at the first input that panics, hangs or runs out of memory, and saves it
//! under `fuzz/artifacts/schema/`. The command lists the artifacts the run added, each with
//! the command that replays it; `fuzz/README.md` says how to turn one into a regression test.
//!
//! Not part of `cargo xtask ci`: it needs nightly, and its worth grows with the time it is
//! given. It is run by hand, or on a schedule.
//!
//! Exit codes, as every xtask command: 0 no finding in the time given, 1 the fuzzer found an
//! input (new artifacts listed), 2 could not run (bad arguments, nightly or cargo-fuzz missing,
//! a build that failed, a fuzzer that stopped without leaving an artifact).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::time::Instant;

use crate::flags::Fuzz;
use crate::{Outcome, workspace_root};

/// The fuzz target, as named in `fuzz/Cargo.toml`.
const TARGET: &str = "schema";

/// The longest one input may take before libFuzzer calls it a hang, in seconds. The parser
/// takes microseconds on inputs of the sizes libFuzzer tries.
const INPUT_TIMEOUT_SECS: u64 = 10;

/// Runs `cargo xtask fuzz` with the arguments after the command name.
pub(crate) fn run(options: &Fuzz) -> ExitCode {
    match fuzz(&workspace_root().join("fuzz"), options) {
        Ok(outcome) => outcome.into(),
        Err(message) => {
            eprintln!("error: xtask fuzz: {message}");
            Outcome::CouldNotRun.into()
        }
    }
}

/// Checks the tools, builds the target, runs it and reports what it found.
fn fuzz(dir: &Path, options: &Fuzz) -> Result<Outcome, String> {
    if !dir.join("Cargo.toml").is_file() {
        return Err(format!("no cargo-fuzz project at {}", dir.display()));
    }
    check_tools(dir)?;

    println!("==> xtask fuzz: building the fuzz target `{TARGET}` (nightly, ASan)");
    let status = cargo_nightly(dir, &["fuzz", "build", TARGET])?;
    if !status.success() {
        return Err(format!(
            "`cargo +nightly fuzz build {TARGET}` failed ({status})"
        ));
    }

    // libFuzzer refuses a corpus directory that does not exist.
    let corpus = dir.join("corpus").join(TARGET);
    fs::create_dir_all(&corpus).map_err(|e| format!("creating {}: {e}", corpus.display()))?;
    let artifacts = dir.join("artifacts").join(TARGET);
    let before = files_in(&artifacts);

    println!(
        "==> fuzzing `{TARGET}` for {} s (corpus {}, seeds {})",
        options.secs,
        corpus.display(),
        dir.join("seeds").display()
    );
    let started = Instant::now();
    let args = run_args(options.secs);
    let status = cargo_nightly(dir, &args.iter().map(String::as_str).collect::<Vec<_>>())?;
    let elapsed = started.elapsed().as_secs();

    let found: Vec<PathBuf> = files_in(&artifacts).difference(&before).cloned().collect();
    if status.success() {
        println!("\nxtask fuzz: no finding in {elapsed} s");
        return Ok(Outcome::Clean);
    }
    if found.is_empty() {
        return Err(format!(
            "the fuzzer stopped ({status}) after {elapsed} s without saving an input; see its output above"
        ));
    }
    eprintln!("\nxtask fuzz: the fuzzer found {} input(s):", found.len());
    for artifact in &found {
        eprintln!("    {}", artifact.display());
        eprintln!(
            "    replay: (cd {} && cargo +nightly fuzz run {TARGET} {})",
            dir.display(),
            artifact.strip_prefix(dir).unwrap_or(artifact).display()
        );
    }
    eprintln!("fuzz/README.md says how to turn one into a regression test.");
    Ok(Outcome::Findings)
}

/// The arguments of the fuzzing run: the corpus libFuzzer grows first, the seeds second,
/// then libFuzzer's own flags.
fn run_args(secs: u64) -> Vec<String> {
    [
        "fuzz".to_owned(),
        "run".to_owned(),
        TARGET.to_owned(),
        format!("corpus/{TARGET}"),
        "seeds".to_owned(),
        "--".to_owned(),
        format!("-max_total_time={secs}"),
        format!("-timeout={INPUT_TIMEOUT_SECS}"),
        "-dict=schema.dict".to_owned(),
    ]
    .into()
}

/// Fails, naming what to install, unless `cargo +nightly` and `cargo fuzz` both run.
fn check_tools(dir: &Path) -> Result<(), String> {
    let quiet = |args: &[&str]| {
        rustup_cargo(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    };
    match quiet(&["+nightly", "--version"]) {
        Err(e) => {
            return Err(format!(
                "could not run `cargo` from PATH ({e}); cargo-fuzz needs rustup's cargo: see https://rustup.rs"
            ));
        }
        Ok(status) if !status.success() => {
            return Err(
                "the nightly toolchain is missing (cargo-fuzz needs it): install it with `rustup toolchain install nightly`"
                    .to_owned(),
            );
        }
        Ok(_) => {}
    }
    match quiet(&["+nightly", "fuzz", "--version"]) {
        Ok(status) if status.success() => Ok(()),
        _ => Err(
            "cargo-fuzz is missing: install it with `cargo install cargo-fuzz --locked`".to_owned(),
        ),
    }
}

/// Runs `cargo +nightly <args>` in `dir`, its output going to ours.
fn cargo_nightly(dir: &Path, args: &[&str]) -> Result<ExitStatus, String> {
    rustup_cargo(dir)
        .arg("+nightly")
        .args(args)
        .status()
        .map_err(|e| format!("could not run `cargo +nightly {}`: {e}", args.join(" ")))
}

/// `cargo` from PATH, in `dir`. Not `$CARGO` as the other commands use: that is the cargo
/// binary of the toolchain running xtask, and only rustup's `cargo` proxy understands
/// `+nightly`.
fn rustup_cargo(dir: &Path) -> Command {
    let mut command = Command::new("cargo");
    command.current_dir(dir);
    command
}

/// The files directly in `dir` (none when it does not exist).
fn files_in(dir: &Path) -> BTreeSet<PathBuf> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.is_file())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grown_corpus_comes_before_the_seeds() {
        let run = run_args(60);
        let corpus = run.iter().position(|a| a == "corpus/schema");
        let seeds = run.iter().position(|a| a == "seeds");
        assert!(corpus.is_some() && corpus < seeds, "{run:?}");
        assert!(run.contains(&"-max_total_time=60".to_owned()), "{run:?}");
    }

    #[test]
    fn the_fuzz_project_is_where_the_command_looks() {
        let dir = workspace_root().join("fuzz");
        assert!(dir.join("Cargo.toml").is_file());
        assert!(dir.join("seeds").is_dir());
        assert!(dir.join("schema.dict").is_file());
        assert!(dir.join("fuzz_targets").join("schema.rs").is_file());
    }

    #[test]
    fn a_missing_directory_has_no_files() {
        assert!(files_in(Path::new("/nonexistent/geno-metrics/fuzz/artifacts")).is_empty());
    }
}
