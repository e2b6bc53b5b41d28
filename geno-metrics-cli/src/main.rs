//! `cargo geno-metrics`: the registry commands as a cargo subcommand, for any repository.
//!
//! ```text
//! cargo install --path geno-metrics-cli
//! cargo geno-metrics check                       # metrics.toml beside the current package
//! cargo geno-metrics diff --base origin/main     # the rename-diff guard, in CI
//! cargo geno-metrics docs [--check]              # METRICS.md beside the registry
//! cargo geno-metrics rules [--check]             # metrics.rules.yml beside the registry
//! cargo geno-metrics dashboard [--check]         # metrics.dashboard.json beside it
//! ```
//!
//! Without `--file`, the registry is `metrics.toml` beside the `Cargo.toml` that cargo takes
//! for the current package (`cargo locate-project`), so it works from any subdirectory.
//! Exit codes: 0 clean, 1 findings, 2 could not run.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::{Command as Process, ExitCode};

use clap::Parser;
use geno_metrics_cli::{Command, Context, Outcome};

/// Cargo runs `cargo-geno-metrics geno-metrics <args>`: the first word is the subcommand's name.
#[derive(Debug, Parser)]
#[command(
    name = "cargo",
    bin_name = "cargo",
    version,
    propagate_version = true,
    args_override_self = true
)]
enum Cargo {
    /// Check a metrics.toml, guard its renames, write its catalogue.
    #[command(
        name = "geno-metrics",
        subcommand,
        after_help = "Exit codes: 0 clean, 1 findings, 2 could not run (bad arguments, a missing or unreadable file, a git error)."
    )]
    GenoMetrics(Command),
}

fn main() -> ExitCode {
    // Run as `cargo-geno-metrics check` directly, the subcommand's name is not there: add it.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_none_or(|word| word != "geno-metrics") {
        args.insert(1.min(args.len()), "geno-metrics".into());
    }
    let Cargo::GenoMetrics(command) = Cargo::parse_from(args);
    let context = match context(&command) {
        Ok(context) => context,
        Err(message) => {
            eprintln!("error: {message}");
            return Outcome::CouldNotRun.into();
        }
    };
    geno_metrics_cli::run(&command, &context).into()
}

/// The defaults: `metrics.toml` beside the current package's manifest (only looked up when
/// `--file` is not given), the catalogue beside the registry, paths shown from the top of the
/// git repository (from here outside one).
fn context(command: &Command) -> Result<Context, String> {
    let given = match command {
        Command::Check(c) => &c.registry,
        Command::Diff(d) => &d.registry,
        Command::Docs(d) => &d.registry,
        Command::Rules(g) | Command::Dashboard(g) => &g.registry,
    };
    let registry = match &given.file {
        Some(file) => file.clone(),
        None => current_package_dir()?.join("metrics.toml"),
    };
    let root = repository_top().map_or_else(
        || std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}")),
        Ok,
    )?;
    Ok(Context {
        registry,
        catalogue: None,
        root,
        command: "cargo geno-metrics",
    })
}

/// The top of the git repository around the current directory, if there is one: paths in
/// diagnostics and GitHub annotations are relative to it, wherever the command runs.
fn repository_top() -> Option<PathBuf> {
    let out = Process::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// The directory of the `Cargo.toml` cargo takes for the current package.
fn current_package_dir() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let found = Process::new(&cargo)
        .args(["locate-project", "--message-format", "plain"])
        .output()
        .map_err(|e| {
            format!("cannot run `cargo locate-project` to find metrics.toml: {e}; pass --file F")
        })?;
    if !found.status.success() {
        return Err(format!(
            "no Cargo.toml here or above, so no metrics.toml beside one ({}); pass --file F",
            String::from_utf8_lossy(&found.stderr).trim()
        ));
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&found.stdout).trim());
    manifest
        .parent()
        .map(PathBuf::from)
        .ok_or_else(|| format!("{} has no directory", manifest.display()))
}
