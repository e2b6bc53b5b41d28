//! One rank of a multi-process GenoLeWM training job, started the way a launcher (torchrun
//! and the like) starts each of its processes, for the fleet tests (`tests/fleet.rs`).
//!
//! The rank comes from the environment only: `RANK` (read by the registry, as its constant
//! label `rank`) and `GENO_LEWM_LOG_DIR`. The rank runs the simulated training job
//! ([`training_job::run`]) with the default textfile path, so it exports to
//! `$GENO_LEWM_LOG_DIR/metrics.rank=<RANK>.prom`, periodically and once more at the end.
//! Checkpoints go to a directory of its own under the system temporary directory (`TMPDIR`).
//!
//! ```text
//! fleet_rank --steps N [--threads N] [--interval-ms MS] [--checkpoint-every N]
//! fleet_rank --forever [--interval-ms MS] ...   train and export until killed
//! ```
//!
//! At the end it prints one JSON line to stdout, what the rank's file must show:
//!
//! ```text
//! {"rank":"2","path":".../metrics.rank=2.prom","steps":300,"tokens":230211,
//!  "train_step_observations":300,"exports":7,"export_failures":0}
//! ```
//!
//! `train_step_observations` is the count of `geno_lewm_train_step_duration_seconds` in phase
//! `train`, one per optimizer step. It exits 1 when the job could not run or an export failed.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use geno_metrics::MetricValue;
use geno_metrics_tests::genolewm::METRICS;
use geno_metrics_tests::training_job::{self, Summary};

/// One rank of a GenoLeWM training job; RANK and GENO_LEWM_LOG_DIR come from the environment.
#[derive(Debug, Parser)]
#[command(name = "fleet_rank")]
struct Flags {
    /// Optimizer steps, over all trainer threads.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    steps: u64,
    /// Train without end, exporting every interval, until killed.
    #[arg(long, conflicts_with = "steps")]
    forever: bool,
    /// Trainer threads.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: u64,
    /// Milliseconds between periodic exports.
    #[arg(long, value_name = "MS", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    interval_ms: u64,
    /// Steps between checkpoints.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: u64,
}

fn main() -> ExitCode {
    let flags = Flags::parse();
    // The rank as the registry resolves it from RANK (or its default), never parsed here;
    // resolved before the job starts, so a rank without its identity fails at once.
    let rank = match METRICS.const_labels() {
        Ok(labels) => labels
            .iter()
            .find(|(name, _)| *name == "rank")
            .map(|(_, value)| value.to_string()),
        Err(e) => {
            eprintln!("fleet_rank: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = training_job::Options {
        steps: if flags.forever { u64::MAX } else { flags.steps },
        threads: usize::try_from(flags.threads).unwrap_or(1),
        interval: Duration::from_millis(flags.interval_ms),
        path: None,
        checkpoint_every: flags.checkpoint_every,
        checkpoint_dir: std::env::temp_dir()
            .join(format!("geno-lewm-fleet-rank-{}", std::process::id())),
    };
    let outcome = match training_job::run(&options) {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("fleet_rank: the job could not run: {e}");
            return ExitCode::FAILURE;
        }
    };
    let summary = Summary::of(&outcome.snapshot);
    let train_step_observations = match outcome.snapshot.sum(
        "geno_lewm_train_step_duration_seconds",
        &[("phase", "train")],
    ) {
        Some(MetricValue::Histogram(h)) => h.count,
        _ => 0,
    };
    let line = serde_json::json!({
        "rank": rank,
        "path": outcome.path.display().to_string(),
        "steps": summary.steps,
        "tokens": summary.tokens,
        "train_step_observations": train_step_observations,
        "exports": outcome.exports,
        "export_failures": outcome.export_failures,
    });
    println!("{line}");
    if outcome.export_failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
