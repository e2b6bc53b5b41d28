//! Workspace integration tests of geno-metrics.
//!
//! The library half compiles the project's own registry, `metrics.toml` at the workspace root,
//! so every test can use the real GenoLeWM handles: `geno_metrics_tests::genolewm::METRICS`.

/// The GenoLeWM registry's handles, generated from the workspace's `metrics.toml`.
pub mod genolewm {
    geno_metrics::registry!("../metrics.toml");
}
