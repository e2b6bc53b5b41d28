//! Workspace integration tests of geno-metrics, and the GenoLeWM demo job they exercise.
//!
//! The library compiles the project's own registry, `metrics.toml` at the workspace root, so
//! tests and the example use the real GenoLeWM handles (`geno_metrics_tests::genolewm::*`).
//! [`training_job`] is the simulated training run behind
//! `cargo run --release --example training_job`; [`redaction`] is the seed's log filter.

pub mod redaction;
pub mod tools;
pub mod training_job;

use geno_metrics::HistogramSnapshot;

/// Asserts the snapshot invariant of DESIGN.md for a histogram with bounds `[0.5, 1, 2]`
/// into which every observation is `every_value`, between 0.5 and 1: counts cumulative,
/// `counts.last() == count`, all of them in the `le="1"` bucket, and `sum` over exactly
/// `count` of them. The stress tests call it on snapshots taken while writers run.
///
/// # Panics
///
/// When the snapshot breaks the invariant: that is how a test reports it.
pub fn assert_consistent(s: &HistogramSnapshot, every_value: f64) {
    assert!(
        s.counts.windows(2).all(|w| w[0] <= w[1]),
        "not cumulative: {s:?}"
    );
    assert_eq!(s.counts.last(), Some(&s.count), "{s:?}");
    assert_eq!(
        s.sum,
        s.count as f64 * every_value,
        "sum covers exactly count: {s:?}"
    );
    assert_eq!(s.counts[0], 0, "{s:?}");
    assert_eq!(s.counts[1], s.count, "{s:?}");
}

/// The GenoLeWM registry's handles, generated from the workspace's `metrics.toml`.
pub mod genolewm {
    geno_metrics::registry!("../metrics.toml");
}
