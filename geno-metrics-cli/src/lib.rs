//! The registry commands: `check`, the rename-diff guard `diff`, and the catalogue `docs`, all
//! reading `metrics.toml` through `geno-metrics-schema` (the one parser of it). One
//! implementation behind two front ends: the installable `cargo geno-metrics` (this crate's
//! binary) and the geno-metrics repository's `cargo xtask metrics`. What follows is this
//! crate's README: the commands, and the guard's rules.
//!
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod args;
mod check;
mod dashboard;
mod diff;
mod docs;
mod queries;
mod rules;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use geno_metrics_schema::{Registry, Report};

pub use args::{
    Baseline, Check, Command, Dashboard, Diff, Docs, Format, Generate, RegistryFile, Rules,
};

/// How a command ended; the process exit code follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
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

/// Where a front end's defaults point, and what paths are shown relative to.
#[derive(Debug, Clone)]
pub struct Context {
    /// The registry when `--file` is not given.
    pub registry: PathBuf,
    /// The catalogue when `--output` is not given; `None`: `METRICS.md` beside the registry.
    pub catalogue: Option<PathBuf>,
    /// Absolute paths under it are shown relative to it in diagnostics and annotations.
    pub root: PathBuf,
    /// How the user runs these commands, for the advice in messages and the catalogue's
    /// header: `cargo geno-metrics` or `cargo xtask metrics`.
    pub command: &'static str,
}

impl Context {
    fn registry_of(&self, given: &RegistryFile) -> PathBuf {
        given.file.clone().unwrap_or_else(|| self.registry.clone())
    }

    fn catalogue_of(&self, docs: &Docs) -> PathBuf {
        if let Some(output) = &docs.output {
            return output.clone();
        }
        self.catalogue.clone().unwrap_or_else(|| {
            let registry = self.registry_of(&docs.registry);
            registry
                .parent()
                .map_or_else(|| PathBuf::from("METRICS.md"), |dir| dir.join("METRICS.md"))
        })
    }

    /// How a registry file is named in diagnostics and annotations: relative to the root (the
    /// repository's top, so that GitHub places annotations on the right file wherever the
    /// command ran), or as given when it lies outside.
    fn display(&self, path: &Path) -> String {
        absolute(path)
            .strip_prefix(&self.root)
            .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
    }

    /// `path` as seen from `directory` (both made absolute): `metrics.toml` beside it,
    /// `../metrics.toml` one level up. The catalogue names its registry so, whoever wrote it
    /// from wherever.
    fn relative_to(path: &Path, directory: &Path) -> String {
        let (path, directory) = (absolute(path), absolute(directory));
        let common = path
            .components()
            .zip(directory.components())
            .take_while(|(a, b)| a == b)
            .count();
        let up = directory.components().count() - common;
        let mut relative: Vec<String> = vec!["..".to_owned(); up];
        relative.extend(
            path.components()
                .skip(common)
                .map(|c| c.as_os_str().to_string_lossy().into_owned()),
        );
        relative.join("/")
    }
}

/// `path` made absolute against the current directory without touching the filesystem, with
/// `.` and `..` resolved by name (`src/../x` is `x`, as the user meant it; a symlinked `src`
/// would lead elsewhere, but the name is what messages show); as given if the current
/// directory cannot be read.
fn absolute(path: &Path) -> PathBuf {
    let Ok(absolute) = std::path::absolute(path) else {
        return path.to_path_buf();
    };
    let mut resolved = PathBuf::new();
    for component in absolute.components() {
        match component {
            std::path::Component::ParentDir => {
                resolved.pop();
            }
            std::path::Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    resolved
}

/// Runs one registry command.
pub fn run(command: &Command, context: &Context) -> Outcome {
    match command {
        Command::Check(options) => check::run(options, context),
        Command::Diff(options) => diff::run(options, context),
        Command::Docs(options) => docs::run(options, context),
        Command::Rules(options) => generate(
            options,
            context,
            ("rules", "metrics.rules.yml"),
            rules::render,
        ),
        Command::Dashboard(options) => generate(
            options,
            context,
            ("dashboard", "metrics.dashboard.json"),
            dashboard::render,
        ),
    }
}

/// `rules` and `dashboard`: renders the registry with `render(registry, the registry's path
/// from the output's directory, context.command)` into the output (`--output`, or the file
/// named `default` beside the registry), then [`write_or_check`]s it.
fn generate(
    options: &Generate,
    context: &Context,
    (command, default): (&str, &str),
    render: fn(&Registry, &str, &str) -> String,
) -> Outcome {
    let file = &context.registry_of(&options.registry);
    let target = options.output.clone().unwrap_or_else(|| {
        file.parent()
            .map_or_else(|| default.into(), |dir| dir.join(default))
    });
    let registry = match load_valid(file, context) {
        Ok(registry) => registry,
        Err(outcome) => return outcome,
    };
    let beside = target.parent().unwrap_or(Path::new("."));
    let rendered = render(
        &registry,
        &Context::relative_to(file, beside),
        context.command,
    );
    write_or_check(&target, &rendered, options, command, context)
}

/// What a generating command (`docs`, `rules`, `dashboard`) does with its output: writes it
/// to `target`, or with `--check` compares it with the committed file, failing (exit 1) when
/// that is stale or missing. `command` names the subcommand in the advice, which repeats the
/// `--file` and `--output` given, so that it regenerates the same file.
fn write_or_check(
    target: &Path,
    rendered: &str,
    options: &Generate,
    command: &str,
    context: &Context,
) -> Outcome {
    let output = context.display(target);
    let mut regenerate = format!("{} {command}", context.command);
    if let Some(file) = &options.registry.file {
        regenerate.push_str(&format!(" --file {}", file.display()));
    }
    if let Some(out) = &options.output {
        regenerate.push_str(&format!(" --output {}", out.display()));
    }
    if options.check {
        return match std::fs::read_to_string(target) {
            Ok(current) if current == rendered => {
                println!("{output} is up to date");
                Outcome::Clean
            }
            Ok(_) => {
                eprintln!(
                    "error: {output} is stale: regenerate it with `{regenerate}` and commit it"
                );
                Outcome::Findings
            }
            Err(e) => {
                eprintln!(
                    "error: cannot read {output} ({e}): generate it with `{regenerate}` and commit it"
                );
                Outcome::Findings
            }
        };
    }
    if let Some(dir) = target.parent()
        && !dir.as_os_str().is_empty()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return Outcome::CouldNotRun;
    }
    match std::fs::write(target, rendered) {
        Ok(()) => {
            println!("wrote {output}");
            Outcome::Clean
        }
        Err(e) => {
            eprintln!("error: cannot write {output}: {e}");
            Outcome::CouldNotRun
        }
    }
}

/// [`load`] for a command that needs a valid registry: the registry, or the outcome after
/// saying why there is none (exit 2 unreadable, exit 1 with the diagnostics when invalid).
fn load_valid(path: &Path, context: &Context) -> Result<Registry, Outcome> {
    match load(path, context) {
        Err(message) => {
            eprintln!("error: {message}");
            Err(Outcome::CouldNotRun)
        }
        Ok(Err(report)) => {
            eprintln!(
                "{report}\n\nerror: fix the registry first ({} check)",
                context.command
            );
            Err(Outcome::Findings)
        }
        Ok(Ok(registry)) => Ok(registry),
    }
}

/// Reads and validates a registry file. `Err` when it cannot be read at all (exit 2);
/// `Ok(Err(report))` when it reads but breaks rules.
fn load(path: &Path, context: &Context) -> Result<Result<Registry, Report>, String> {
    // A FIFO or a device would block the read, or never end: only a file is a registry.
    let metadata = std::fs::metadata(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            ": run from the package whose registry it is (in a workspace, a member's directory), \
             or pass --file PATH (relative to the current directory)"
        } else {
            ""
        };
        format!("cannot read the registry {}: {e}{hint}", path.display())
    })?;
    if !metadata.is_file() {
        return Err(format!(
            "cannot read the registry {}: it is not a regular file",
            path.display()
        ));
    }
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the registry {}: {e}", path.display()))?;
    Ok(geno_metrics_schema::parse(&source, &context.display(path)))
}

#[cfg(test)]
mod path_tests {
    use super::*;

    #[test]
    fn paths_are_shown_with_dot_dot_resolved() {
        let context = Context {
            registry: PathBuf::from("/repo/metrics.toml"),
            catalogue: None,
            root: PathBuf::from("/repo"),
            command: "cargo geno-metrics",
        };
        assert_eq!(
            context.display(Path::new("/repo/src/../x/./metrics.toml")),
            "x/metrics.toml"
        );
        // Outside the root: as given.
        assert_eq!(
            context.display(Path::new("/elsewhere/m.toml")),
            "/elsewhere/m.toml"
        );
        assert_eq!(
            Context::relative_to(Path::new("/repo/a/../metrics.toml"), Path::new("/repo/b")),
            "../metrics.toml"
        );
        assert_eq!(absolute(Path::new("/../..")), PathBuf::from("/"));
    }
}
