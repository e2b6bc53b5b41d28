//! A simulated GenoLeWM training run that records every metric of `metrics.toml`, exports the
//! textfile periodically and prints a summary.
//!
//! ```text
//! cargo run --release --example training_job -- [--steps N] [--threads N] [--interval SECONDS]
//! ```
//!
//! The textfile goes to `$GENO_LEWM_LOG_DIR/metrics.prom` (or `./metrics.prom`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use geno_metrics_tests::training_job::{self, Options, Summary};

/// A simulated GenoLeWM training run: trainer threads, a data loader, checkpoints and an
/// inference thread record into every metric, exported to $GENO_LEWM_LOG_DIR/metrics.prom
/// (or ./metrics.prom) periodically and once more at the end.
#[derive(Debug, Parser)]
#[command(name = "training_job")]
struct Flags {
    /// Optimizer steps, over all trainer threads.
    #[arg(long, value_name = "N", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    steps: u64,
    /// Trainer threads.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256))]
    threads: u64,
    /// Seconds between periodic exports (fractions allowed).
    #[arg(long, value_name = "SECONDS", default_value = "0.5", value_parser = interval)]
    interval: Duration,
}

/// A positive, finite number of seconds.
fn interval(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|e| format!("{e}"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err("the interval must be above 0 seconds".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let flags = Flags::parse();
    let options = Options {
        steps: flags.steps,
        threads: usize::try_from(flags.threads).unwrap_or(1),
        interval: flags.interval,
        ..Options::default()
    };
    println!(
        "training: {} steps on {} threads, exporting every {:?}",
        options.steps, options.threads, options.interval
    );
    let started = Instant::now();
    let outcome = match training_job::run(&options) {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let path = std::path::absolute(&outcome.path).unwrap_or_else(|_| outcome.path.clone());
    println!(
        "done in {:.1?}; metrics written to {}",
        started.elapsed(),
        path.display()
    );
    println!(
        "  exports: {} ok, {} failed",
        outcome.exports, outcome.export_failures
    );
    print!("{}", Summary::of(&outcome.snapshot));
    ExitCode::SUCCESS
}
