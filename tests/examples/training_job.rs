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

use geno_metrics::{MetricValue, Snapshot};
use geno_metrics_tests::training_job::{self, Options};

const USAGE: &str = "usage: training_job [--steps N] [--threads N] [--interval SECONDS]";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}\n{USAGE}");
        match flag.as_str() {
            "--steps" => options.steps = value.parse().map_err(|e| bad(&e))?,
            "--threads" => options.threads = value.parse().map_err(|e| bad(&e))?,
            "--interval" => {
                let seconds: f64 = value.parse().map_err(|e| bad(&e))?;
                options.interval = Duration::try_from_secs_f64(seconds).map_err(|e| bad(&e))?;
            }
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(options)
}

fn counter(snapshot: &Snapshot, name: &str) -> u64 {
    match snapshot.get(name).map(|m| &m.value) {
        Some(MetricValue::Counter(n)) => *n,
        _ => 0,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
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
    let s = &outcome.snapshot;
    println!(
        "done in {:.1?}; metrics written to {}",
        started.elapsed(),
        outcome.path.display()
    );
    println!(
        "  exports: {} ok, {} failed",
        outcome.exports, outcome.export_failures
    );
    println!(
        "  steps {}, tokens {}, bases {}",
        counter(s, "geno_lewm_train_steps_total"),
        counter(s, "geno_lewm_train_tokens_total"),
        counter(s, "geno_lewm_train_bases_total")
    );
    for (name, label) in [
        ("geno_lewm_train_step_duration_seconds", "step duration"),
        ("geno_lewm_dataloader_batch_wait_seconds", "batch wait"),
        (
            "geno_lewm_inference_request_duration_seconds",
            "inference latency",
        ),
    ] {
        if let Some(MetricValue::Histogram(h)) = s.get(name).map(|m| &m.value) {
            println!(
                "  {label}: n={} p50={:.4}s p90={:.4}s p99={:.4}s",
                h.count,
                h.quantile(0.5),
                h.quantile(0.9),
                h.quantile(0.99)
            );
        }
    }
    println!(
        "  inference: {} requests, {} errors; checkpoints: {} written, {} failed; log redactions: {}",
        counter(s, "geno_lewm_inference_requests_total"),
        counter(s, "geno_lewm_inference_errors_total"),
        counter(s, "geno_lewm_checkpoint_writes_total"),
        counter(s, "geno_lewm_checkpoint_write_failures_total"),
        counter(s, "geno_lewm_log_redactions_total")
    );
    ExitCode::SUCCESS
}
