//! `cargo xtask metrics ...`: check, diff and docs of a registry, all through
//! `geno-metrics-schema` (the one parser of `metrics.toml`).

mod check;
mod diff;
mod docs;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use geno_metrics_schema::{Registry, Report};

use crate::{Outcome, workspace_root};

/// Dispatches `cargo xtask metrics <command> ...`.
pub(crate) fn run(args: &[String]) -> ExitCode {
    let outcome = match args.split_first() {
        Some((command, rest)) => match Options::parse(command, rest) {
            Ok(options) => match command.as_str() {
                "check" => check::run(&options),
                "diff" => diff::run(&options),
                "docs" => docs::run(&options),
                _ => usage(&format!("unknown metrics command `{command}`")),
            },
            Err(message) => usage(&message),
        },
        None => usage("missing metrics command"),
    };
    outcome.into()
}

fn usage(message: &str) -> Outcome {
    eprintln!(
        "error: {message}\n\nusage:\n  cargo xtask metrics check [--file F]\n  cargo xtask metrics diff (--base GITREF | --baseline FILE) [--file F] [--format human|json|github]\n  cargo xtask metrics docs [--check] [--file F] [--output O]"
    );
    Outcome::CouldNotRun
}

/// Where a diff takes its baseline from.
#[derive(Debug, Clone)]
pub(crate) enum Baseline {
    /// `git show REF:<path of the registry>`.
    GitRef(String),
    /// A file.
    File(PathBuf),
}

/// The output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Human,
    Json,
    Github,
}

/// The flags of every metrics command (each command uses its own).
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The registry file, as given (default: `metrics.toml` at the workspace root).
    pub(crate) file: PathBuf,
    pub(crate) baseline: Option<Baseline>,
    pub(crate) format: Format,
    pub(crate) check: bool,
    pub(crate) output: PathBuf,
}

impl Options {
    fn parse(command: &str, args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            file: workspace_root().join("metrics.toml"),
            baseline: None,
            format: Format::Human,
            check: false,
            output: workspace_root().join("docs/METRICS.md"),
        };
        let allowed: &[&str] = match command {
            "check" => &["--file"],
            "diff" => &["--file", "--base", "--baseline", "--format"],
            "docs" => &["--file", "--check", "--output"],
            other => return Err(format!("unknown metrics command `{other}`")),
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            if !allowed.contains(&flag.as_str()) {
                return Err(format!("`{flag}` is not a flag of `metrics {command}`"));
            }
            if flag == "--check" {
                options.check = true;
                continue;
            }
            let value = args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))?;
            match flag.as_str() {
                "--file" => options.file = PathBuf::from(value),
                "--output" => options.output = PathBuf::from(value),
                "--base" | "--baseline" if options.baseline.is_some() => {
                    return Err("give one baseline: --base GITREF or --baseline FILE".into());
                }
                "--base" => options.baseline = Some(Baseline::GitRef(value.clone())),
                "--baseline" => options.baseline = Some(Baseline::File(PathBuf::from(value))),
                "--format" => {
                    options.format = match value.as_str() {
                        "human" => Format::Human,
                        "json" => Format::Json,
                        "github" => Format::Github,
                        other => {
                            return Err(format!(
                                "unknown format `{other}`: use human, json or github"
                            ));
                        }
                    }
                }
                _ => unreachable!("flags are checked against `allowed` above"),
            }
        }
        if command == "diff" && options.baseline.is_none() {
            return Err("`metrics diff` needs --base GITREF or --baseline FILE".into());
        }
        Ok(options)
    }
}

/// How a registry file is named in diagnostics and annotations: a relative path as given
/// (CI runs from the repository root, so it is repository-relative), an absolute one inside
/// the workspace relative to the workspace root (the default `metrics.toml` shows as such).
pub(crate) fn display_path(path: &Path) -> String {
    if path.is_relative() {
        return path.display().to_string();
    }
    path.strip_prefix(workspace_root())
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}

/// Reads and validates a registry file. `Err` when it cannot be read at all (exit 2);
/// `Ok(Err(report))` when it reads but breaks rules.
pub(crate) fn load(path: &Path) -> Result<Result<Registry, Report>, String> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the registry {}: {e}", path.display()))?;
    Ok(geno_metrics_schema::parse(&source, &display_path(path)))
}
