//! The command line of the registry commands, declared once with clap: `cargo geno-metrics`
//! and `cargo xtask metrics` take exactly these.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};

/// A registry command.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Validate and lint a registry.
    Check(Check),
    /// The rename-diff guard: compare the registry with a baseline.
    Diff(Diff),
    /// Generate the metrics catalogue (or check that it is fresh).
    Docs(Docs),
    /// Generate the Prometheus rule file: recording rules and alerts (or check that it is
    /// fresh).
    Rules(Rules),
    /// Generate the Grafana dashboard: a row per subsystem, a panel per metric (or check that
    /// it is fresh).
    Dashboard(Dashboard),
}

/// The registry file every command reads.
#[derive(Debug, Clone, Args)]
pub struct RegistryFile {
    /// The registry [default: metrics.toml beside the current package's Cargo.toml].
    #[arg(long, value_name = "F", allow_hyphen_values = true)]
    pub file: Option<PathBuf>,
}

/// `check`: validate and lint.
#[derive(Debug, Clone, Args)]
pub struct Check {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub registry: RegistryFile,
}

/// `diff`: the rename-diff guard.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("from").required(true).args(["base", "baseline"])))]
pub struct Diff {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub registry: RegistryFile,
    /// Compare with the registry at this git ref (the same path in that commit).
    #[arg(long, value_name = "GITREF", allow_hyphen_values = true)]
    pub base: Option<String>,
    /// Compare with this registry file.
    #[arg(long, value_name = "FILE", allow_hyphen_values = true)]
    pub baseline: Option<PathBuf>,
    /// With --base: where the registry was at that ref, relative to the repository root, when
    /// it has moved since (default: where it is now).
    #[arg(
        long,
        value_name = "PATH",
        requires = "base",
        allow_hyphen_values = true
    )]
    pub baseline_path: Option<PathBuf>,
    /// How to report changes.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Where a diff takes its baseline from.
#[derive(Debug, Clone)]
pub enum Baseline {
    /// `git show REF:<path of the registry>`.
    GitRef(String),
    /// A file.
    File(PathBuf),
}

impl Diff {
    /// The baseline given: clap requires exactly one of `--base` and `--baseline`.
    pub fn baseline(&self) -> Option<Baseline> {
        match (&self.base, &self.baseline) {
            (Some(reference), _) => Some(Baseline::GitRef(reference.clone())),
            (None, Some(file)) => Some(Baseline::File(file.clone())),
            (None, None) => None,
        }
    }
}

/// The output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Compiler-style lines.
    Human,
    /// The verdict as JSON.
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// `docs`, `rules` and `dashboard`: a file generated from the registry (the catalogue, or one
/// for Prometheus or Grafana).
#[derive(Debug, Clone, Args)]
pub struct Generate {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub registry: RegistryFile,
    /// Fail (exit 1) when the file is stale instead of writing it.
    #[arg(long)]
    pub check: bool,
    /// The file [default: beside the registry: METRICS.md for docs, metrics.rules.yml for
    /// rules, metrics.dashboard.json for dashboard].
    #[arg(long, value_name = "O", allow_hyphen_values = true)]
    pub output: Option<PathBuf>,
}

/// `docs`: the catalogue.
pub type Docs = Generate;

/// `rules`: the Prometheus rule file.
pub type Rules = Generate;

/// `dashboard`: the Grafana dashboard.
pub type Dashboard = Generate;
