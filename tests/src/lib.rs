//! Workspace integration tests of geno-metrics, and the GenoLeWM demo job they exercise.
//!
//! The library compiles the project's own registry, `metrics.toml` at the workspace root, so
//! tests and the example use the real GenoLeWM handles (`geno_metrics_tests::genolewm::*`).
//! [`training_job`] is the simulated training run behind
//! `cargo run --release --example training_job`; [`redaction`] is the seed's log filter.

pub mod redaction;
pub mod training_job;

/// The GenoLeWM registry's handles, generated from the workspace's `metrics.toml`.
pub mod genolewm {
    geno_metrics::registry!("../metrics.toml");
}
