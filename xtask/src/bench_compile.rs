//! `cargo xtask bench-compile`: what `registry!` adds to a crate's build time, on a registry
//! of 1,000 metrics (or `--metrics N`). Budget: under 2 s per 1,000 metrics.
//!
//! ```text
//! cargo xtask bench-compile [--runs N] [--metrics N] [--keep]
//! ```
//!
//! It creates a throwaway crate in a new directory under the system temporary directory,
//! with its own `[workspace]`, its own target directory (not the workspace's), a path
//! dependency on this workspace's `geno-metrics` and a copy of the workspace's `Cargo.lock`
//! (so it builds the same dependency versions). It writes a generated `metrics.toml` of 1,000
//! (or `--metrics`) unlabelled metrics (500 counters, 300 gauges, 200 histograms, half of those on explicit
//! buckets), checks it with the schema crate, and pre-builds the dependencies (the proc macro
//! and the runtime) once, untimed. Then it times `cargo build` (the dev profile) of the crate
//! alone, `--runs` times (default 3) for each of two versions of `src/lib.rs`, alternating:
//!
//! - **empty**: a lib that only names `geno_metrics` (so both versions load the dependency);
//! - **registry**: the same lib plus `geno_metrics::registry!("metrics.toml");`.
//!
//! `src/lib.rs` is rewritten (and its mtime set to now) before every build, so cargo rebuilds
//! the crate each time. Incremental compilation is off (`CARGO_INCREMENTAL=0`), so every
//! timed build compiles the crate from scratch, as a clean or CI build does; with it on, a
//! rebuild of unchanged code would reuse cached work and measure less than what the macro
//! costs. Each timed figure includes cargo's own start-up and freshness checks, the same in
//! both versions, so they cancel out of the difference.
//!
//! It prints every run, the median of each version and the difference of the medians, then
//! removes the directory (`--keep` leaves it, and prints where it is). Not part of
//! `cargo xtask ci`: it takes about a minute and its figure depends on the machine.
//!
//! Exit codes, as every xtask command: 0 the difference is within budget, 1 it is not, 2 could
//! not run (bad arguments, an I/O error, a build that failed).

use std::env;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use crate::flags::BenchCompile;
use crate::{Outcome, workspace_root};

/// The budget: what `registry!` may add to a build per 1,000 metrics.
const BUDGET_PER_1000: Duration = Duration::from_secs(2);

/// The baseline `src/lib.rs`: no registry.
const EMPTY_LIB: &str = "//! bench-compile probe: no registry.\n\npub use geno_metrics;\n";

/// The measured `src/lib.rs`: the same, plus the registry.
const REGISTRY_LIB: &str = "//! bench-compile probe: a registry.\n\npub use geno_metrics;\n\ngeno_metrics::registry!(\"metrics.toml\");\n";

/// Runs `cargo xtask bench-compile` with the arguments after the command name.
pub(crate) fn run(options: &BenchCompile) -> ExitCode {
    let metrics = usize::try_from(options.metrics).unwrap_or(usize::MAX);
    let outcome = match added_time(metrics, options.runs, options.keep) {
        Ok(difference) => {
            let budget = budget(metrics);
            let within = difference < budget;
            println!(
                "difference     {:.2} s (budget < {:.1} s): {}",
                difference.as_secs_f64(),
                budget.as_secs_f64(),
                if within { "PASS" } else { "MISS" }
            );
            if within {
                Outcome::Clean
            } else {
                Outcome::Findings
            }
        }
        Err(message) => {
            eprintln!("error: xtask bench-compile: {message}");
            Outcome::CouldNotRun
        }
    };
    outcome.into()
}

/// What `registry!` on `metrics` metrics may add to a build.
pub(crate) fn budget(metrics: usize) -> Duration {
    BUDGET_PER_1000.mul_f64(metrics as f64 / 1000.0)
}

/// What `registry!` on a registry of `metrics` metrics adds to a build: the difference of the
/// medians of `runs` timed builds each, printed as it goes. The probe crate is removed
/// afterwards unless `keep`.
pub(crate) fn added_time(metrics: usize, runs: u64, keep: bool) -> Result<Duration, String> {
    let dir = env::temp_dir().join(format!(
        "geno-metrics-bench-compile-{}-{metrics}",
        std::process::id()
    ));
    let measured = measure(&dir, metrics, runs);
    if keep {
        println!("kept the probe crate in {}", dir.display());
    } else if dir.exists()
        && let Err(e) = fs::remove_dir_all(&dir)
    {
        eprintln!("warning: could not remove {}: {e}", dir.display());
    }
    measured
}

/// Sets up the probe crate in `dir`, pre-builds, times the builds and reports.
fn measure(dir: &Path, metrics: usize, runs: u64) -> Result<Duration, String> {
    let root = workspace_root();
    let io = |what: &str, path: &Path, e: std::io::Error| format!("{what} {}: {e}", path.display());
    fs::create_dir(dir).map_err(|e| io("creating", dir, e))?;
    fs::create_dir(dir.join("src")).map_err(|e| io("creating", &dir.join("src"), e))?;
    let write = |name: &str, contents: &str| {
        let path = dir.join(name);
        fs::write(&path, contents).map_err(|e| io("writing", &path, e))
    };
    write("Cargo.toml", &manifest(&root.join("geno-metrics")))?;
    let registry = generated_registry(metrics);
    if let Err(report) = geno_metrics_schema::parse(&registry, "metrics.toml") {
        return Err(format!("the generated registry is invalid:\n{report}"));
    }
    write("metrics.toml", &registry)?;
    let lock = root.join("Cargo.lock");
    if lock.exists() {
        fs::copy(&lock, dir.join("Cargo.lock")).map_err(|e| io("copying", &lock, e))?;
    }

    println!(
        "==> xtask bench-compile: probe crate in {} ({metrics} metrics)",
        dir.display()
    );
    println!("==> pre-building the dependencies (untimed)");
    set_lib(dir, REGISTRY_LIB)?;
    build(dir, false)?;

    let versions = [("empty lib", EMPTY_LIB), ("registry! lib", REGISTRY_LIB)];
    let mut times = [Vec::new(), Vec::new()];
    println!(
        "==> timing `cargo build` of the probe crate alone, {} run(s) each",
        runs
    );
    for run in 1..=runs {
        for ((name, lib), times) in versions.iter().zip(&mut times) {
            set_lib(dir, lib)?;
            let elapsed = build(dir, true)?;
            println!("    run {run}: {name:<14} {:.2} s", elapsed.as_secs_f64());
            times.push(elapsed);
        }
    }

    let [empty, with_registry] = times.map(|mut t| median(&mut t));
    for ((name, _), median) in versions.iter().zip([empty, with_registry]) {
        println!("{name:<14} median {:.2} s", median.as_secs_f64());
    }
    Ok(with_registry.saturating_sub(empty))
}

/// The probe crate's manifest: its own workspace, a path dependency on `geno_metrics_dir`.
fn manifest(geno_metrics_dir: &Path) -> String {
    // A TOML literal string: no escapes, so any path without `'` goes in as it is.
    format!(
        "[package]\nname = \"geno-metrics-bench-compile-probe\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\ngeno-metrics = {{ path = '{}' }}\n\n[workspace]\n",
        geno_metrics_dir.display()
    )
}

/// A valid registry of `metrics` unlabelled metrics: per 10, 5 counters, 3 gauges and 2
/// histograms, one of those on the default buckets and one on 5 explicit ones.
fn generated_registry(metrics: usize) -> String {
    let mut toml = String::from(
        "# Generated by `cargo xtask bench-compile`.\n\n[registry]\nnamespace = \"probe\"\nversion = \"1.0.0\"\n",
    );
    for i in 0..metrics {
        let _ = match i % 10 {
            0..5 => write!(
                toml,
                "\n[[metric]]\nname = \"probe_m{i:05}_total\"\nkind = \"counter\"\nsummary = \"Counter number {i}.\"\n"
            ),
            5..8 => write!(
                toml,
                "\n[[metric]]\nname = \"probe_m{i:05}_bytes\"\nkind = \"gauge\"\nunit = \"bytes\"\nsummary = \"Gauge number {i}.\"\n"
            ),
            8 => write!(
                toml,
                "\n[[metric]]\nname = \"probe_m{i:05}_seconds\"\nkind = \"histogram\"\nunit = \"seconds\"\nsummary = \"Histogram number {i}, default buckets.\"\n"
            ),
            _ => write!(
                toml,
                "\n[[metric]]\nname = \"probe_m{i:05}_seconds\"\nkind = \"histogram\"\nunit = \"seconds\"\nsummary = \"Histogram number {i}, explicit buckets.\"\nbuckets = [0.001, 0.01, 0.1, 1.0, 10.0]\n"
            ),
        };
    }
    toml
}

/// Rewrites `src/lib.rs` and sets its mtime to now, so the next build recompiles the crate.
fn set_lib(dir: &Path, contents: &str) -> Result<(), String> {
    let path = dir.join("src/lib.rs");
    fs::write(&path, contents).map_err(|e| format!("writing {}: {e}", path.display()))?;
    File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .map_err(|e| format!("touching {}: {e}", path.display()))
}

/// Runs `cargo build` in the probe crate; returns how long it took.
fn build(dir: &Path, quiet: bool) -> Result<Duration, String> {
    let mut command = crate::cargo();
    command
        .arg("build")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_INCREMENTAL", "0");
    if quiet {
        command.arg("--quiet");
    }
    let rlib = dir.join("target/debug/libgeno_metrics_bench_compile_probe.rlib");
    let wall_clock = SystemTime::now();
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    let elapsed = started.elapsed();
    if !status.success() {
        return Err(format!(
            "`cargo build` of the probe crate failed ({status})"
        ));
    }
    // A build that compiled nothing would time only cargo's freshness check.
    let rebuilt = fs::metadata(&rlib)
        .and_then(|m| m.modified())
        .is_ok_and(|modified| modified >= wall_clock);
    if rebuilt {
        Ok(elapsed)
    } else {
        Err(format!(
            "cargo did not rebuild the probe crate ({} is older than the build)",
            rlib.display()
        ))
    }
}

/// The median of `times` (the mean of the middle two for an even count); zero when empty.
fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    match times.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => times[n / 2],
        n => (times[n / 2 - 1] + times[n / 2]) / 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_registry_is_valid() {
        for metrics in [1000, 10_000] {
            let registry = geno_metrics_schema::parse(&generated_registry(metrics), "metrics.toml")
                .unwrap_or_else(|report| panic!("{report}"));
            assert_eq!(registry.metrics.len(), metrics);
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut [ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(
            median(&mut [ms(4), ms(1), ms(2), ms(3)]),
            Duration::from_micros(2500)
        );
        assert_eq!(median(&mut []), Duration::ZERO);
    }
}
