//! `cargo xtask metrics ...`: check, diff and docs of a registry, all through
//! `geno-metrics-schema` (the one parser of `metrics.toml`).

mod check;
mod diff;
mod docs;

use std::path::Path;

use geno_metrics_schema::{Registry, Report};

use crate::flags::Metrics;
use crate::{Outcome, workspace_root};

/// Runs `cargo xtask metrics <command>`.
pub(crate) fn run(command: &Metrics) -> Outcome {
    match command {
        Metrics::Check(options) => check::run(options),
        Metrics::Diff(options) => diff::run(options),
        Metrics::Docs(options) => docs::run(options),
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
    // A FIFO or a device would block the read, or never end: only a file is a registry.
    let metadata = std::fs::metadata(path)
        .map_err(|e| format!("cannot read the registry {}: {e}", path.display()))?;
    if !metadata.is_file() {
        return Err(format!(
            "cannot read the registry {}: it is not a regular file",
            path.display()
        ));
    }
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the registry {}: {e}", path.display()))?;
    Ok(geno_metrics_schema::parse(&source, &display_path(path)))
}
