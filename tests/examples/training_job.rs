//! A simulated GenoLeWM training run that records every metric of `metrics.toml`, exports the
//! textfile periodically and prints a summary.
//!
//! ```text
//! cargo run --release --example training_job -- [--steps N] [--threads N] [--interval SECONDS] [--listen ADDR] [--pushgateway URL]
//! ```
//!
//! With `--listen ADDR` it also serves `/metrics` over HTTP while it runs (OpenMetrics or the
//! text format by the request's `Accept`, gzip by its `Accept-Encoding`). With
//! `--pushgateway URL` it pushes its final values to a Prometheus Pushgateway at the end, as
//! job `geno_lewm_training_job`, grouped by its constant labels (`rank`): one group per rank.
//!
//! Like a rank started by torchrun or another launcher, it takes its rank from `$RANK` (0 when
//! unset): every series carries `rank="<RANK>"`, and the textfile goes to
//! `$GENO_LEWM_LOG_DIR/metrics.rank=<RANK>.prom` (or `./metrics.rank=<RANK>.prom`), one file per
//! rank. Four ranks side by side:
//!
//! ```text
//! for rank in 0 1 2 3; do RANK=$rank cargo run --release --example training_job & done; wait
//! ```

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use geno_metrics_tests::genolewm::METRICS;
use geno_metrics_tests::training_job::{self, Flags, Summary};

fn main() -> ExitCode {
    let flags = Flags::parse();
    let options = flags.options();
    // Resolve the constant labels now: a rank without its identity should fail at start, not
    // at its first export.
    let identity = match METRICS.const_labels() {
        Ok(labels) => labels
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "training ({identity}): {} steps on {} threads, exporting every {:?}",
        options.steps, options.threads, options.interval
    );
    // Held until the end of main: dropping it stops the server.
    let _server = match flags.listen.as_deref().map(|addr| METRICS.serve_http(addr)) {
        None => None,
        Some(Ok(server)) => {
            println!("serving http://{}/metrics", server.local_addr());
            Some(server)
        }
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
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
    if let Some(url) = flags.pushgateway.as_deref() {
        match training_job::push_final_values(url) {
            Ok(grouping_key) => println!(
                "pushed to {url} as job {} ({})",
                training_job::PUSH_JOB,
                grouping_key.join(" ")
            ),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
