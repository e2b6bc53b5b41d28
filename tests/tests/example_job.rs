//! The example job's printed summary says what its exported file says: every figure, summed
//! over a labelled metric's series as PromQL's `sum` would, equals the sum of the file's
//! samples. (The summary once read a metric that no longer existed and one series of a
//! labelled metric.) A process of its own: the job records into the GenoLeWM statics.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use geno_metrics_tests::text_format::{self, Family};
use geno_metrics_tests::training_job::{self, Options, SUMMARY_LATENCIES, Summary};

/// The sum of the samples called `sample` whose labels include every pair of `matching`.
fn file_sum(families: &[Family], sample: &str, matching: &[(&str, &str)]) -> f64 {
    families
        .iter()
        .flat_map(|f| &f.samples)
        .filter(|s| s.name == sample)
        .filter(|s| matching.iter().all(|(k, v)| s.label(k) == Some(*v)))
        .map(|s| s.value)
        .sum()
}

#[test]
fn the_printed_summary_is_what_the_exported_file_says() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("example_job");
    let _ = std::fs::remove_dir_all(&dir);
    let options = Options {
        steps: 300,
        threads: 3,
        interval: Duration::from_millis(50),
        path: Some(dir.join("metrics.prom")),
        checkpoint_every: 60,
        checkpoint_dir: dir.join("checkpoints"),
    };
    let outcome = training_job::run(&options).unwrap();
    let file = std::fs::read(&outcome.path).unwrap();
    let families = text_format::parse(&file).unwrap();
    let summary = Summary::of(&outcome.snapshot);

    let counters = [
        (summary.steps, "geno_lewm_train_steps_total", &[][..]),
        (summary.tokens, "geno_lewm_train_tokens_total", &[]),
        (summary.bases, "geno_lewm_train_bases_total", &[]),
        (summary.requests, "geno_lewm_inference_requests_total", &[]),
        (
            summary.errors,
            "geno_lewm_inference_requests_total",
            &[("status", "error")],
        ),
        (
            summary.checkpoints,
            "geno_lewm_checkpoint_writes_total",
            &[],
        ),
        (
            summary.checkpoint_failures,
            "geno_lewm_checkpoint_write_failures_total",
            &[],
        ),
        (summary.redactions, "geno_lewm_log_redactions_total", &[]),
    ];
    for (printed, name, matching) in counters {
        assert_eq!(
            printed as f64,
            file_sum(&families, name, matching),
            "{name} {matching:?}"
        );
    }
    // The job makes requests of two models, some of them errors: the figures that once
    // came out wrong are not trivially zero.
    assert!(
        summary.requests > summary.errors && summary.errors > 0,
        "{summary:?}"
    );
    assert_eq!(summary.steps, options.steps);
    // Sizes are never negative: GPU memory once wrapped to -1.7e9 through an i32 shift.
    for sample in families.iter().flat_map(|f| &f.samples) {
        if sample.name.ends_with("_bytes") {
            assert!(sample.value >= 0.0, "{} = {}", sample.name, sample.value);
        }
    }
    let gib = 1024f64.powi(3);
    let gpus = families.iter().flat_map(|f| &f.samples);
    for gpu in gpus.filter(|s| s.name == "geno_lewm_gpu_memory_used_bytes") {
        assert!((18.0 * gib..=20.0 * gib).contains(&gpu.value), "{gpu:?}");
    }

    assert_eq!(summary.latencies.len(), SUMMARY_LATENCIES.len());
    for ((name, what), (shown, h)) in SUMMARY_LATENCIES.iter().zip(&summary.latencies) {
        assert_eq!(what, shown);
        let count = file_sum(&families, &format!("{name}_count"), &[]);
        assert_eq!(h.count as f64, count, "{name}: n= covers every series");
        let sum = file_sum(&families, &format!("{name}_sum"), &[]);
        assert!(
            (h.sum - sum).abs() <= 1e-9 * sum.abs().max(1.0),
            "{name}: {} {sum}",
            h.sum
        );
        assert!(h.count > 0, "{name} was recorded into");
    }

    let printed = summary.to_string();
    for figure in [
        format!(
            "steps {}, tokens {}, bases {}",
            summary.steps, summary.tokens, summary.bases
        ),
        format!(
            "inference: {} requests, {} errors",
            summary.requests, summary.errors
        ),
    ] {
        assert!(printed.contains(&figure), "{printed}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
