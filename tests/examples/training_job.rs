//! A simulated GenoLeWM training run that records every metric of `metrics.toml`, exports the
//! textfile periodically and prints a summary.
//!
//! ```text
//! cargo run --release --example training_job -- [--steps N] [--threads N] [--interval SECONDS]
//! ```
//!
//! The textfile goes to `$GENO_LEWM_LOG_DIR/metrics.prom` (or `./metrics.prom`).

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use geno_metrics_tests::training_job::{self, Flags, Summary};

fn main() -> ExitCode {
    let options = Flags::parse().options();
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
