//! Prometheus metrics declared once in `metrics.toml`, checked at compile time, recorded
//! without locks and exported for node_exporter's textfile collector.
//!
//! [`registry!`] reads the TOML file while your crate compiles and generates one typed
//! `pub static` handle per metric ([`Counter`], [`Gauge`], [`Histogram`]) plus
//! `pub static METRICS: Registry`. Renaming a metric in the file makes every use of its old
//! handle a compile error; a bad file is a compile error that names `file:line:col`.
//!
//! ```
//! mod metrics {
//!     // Paths are relative to the invoking crate's Cargo.toml.
//!     geno_metrics::registry!("examples/quickstart.toml");
//! }
//! use metrics::{JOBS_TOTAL, JOB_DURATION_SECONDS, METRICS, QUEUE_DEPTH};
//!
//! JOBS_TOTAL.inc();
//! QUEUE_DEPTH.set(3.0);
//! JOB_DURATION_SECONDS.observe(0.2);
//!
//! let snapshot = METRICS.snapshot_all();
//! assert_eq!(snapshot.metrics.len(), 3);
//! assert_eq!(METRICS.get_counter("demo_jobs_total")?.get(), 1);
//! # Ok::<(), geno_metrics::LookupError>(())
//! ```
//!
//! Hot paths (`inc`, `inc_by`, `set`, `add`, `sub`, `observe`) never allocate, never lock
//! and never panic.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod atomic_f64;
mod counter;
mod exporter;
mod exposition;
mod family;
mod free_form;
mod gauge;
mod histogram;
mod registry;
mod sharded;
mod sharded_histogram;
mod snapshot;
mod spec;
mod sync;
mod textfile;

pub use counter::Counter;
pub use exporter::TextfileExporter;
pub use exposition::GoFloat;
pub use family::{Family, Labelled, Series};
pub use free_form::{DROPPED_LABEL_VALUES_METRIC, FreeLabel, OVERFLOW_LABEL_VALUE};
pub use gauge::Gauge;
pub use histogram::{
    AnyHistogram, BucketCounts, Histogram, HistogramCore, HistogramSnapshot, HistogramTimer,
};
pub use registry::{LookupError, Metric, Registry};
pub use sharded::{SHARDS, ShardedCounter};
pub use sharded_histogram::{DynHistogram, ShardedHistogram};
pub use snapshot::{MetricSnapshot, MetricValue, Snapshot};
pub use spec::{LabelSpec, LabelValues, MetricKind, MetricSpec};
pub use textfile::{LOG_DIR_ENV, metrics_path};

/// Generates typed handles and `METRICS` from a `metrics.toml`, at compile time.
///
/// `registry!("metrics.toml")` takes a path relative to the invoking crate's
/// `CARGO_MANIFEST_DIR` and expands, in place, to:
///
/// - one `pub static` per metric, named after the metric without the namespace prefix, in
///   upper snake case (`geno_lewm_train_steps_total` -> `TRAIN_STEPS_TOTAL`), of type
///   [`Counter`], [`Gauge`] or [`Histogram<N>`](Histogram); its rustdoc is the summary, name,
///   kind, unit and buckets, and a deprecated metric's handle is `#[deprecated]`;
/// - `pub static METRICS: Registry`, every metric in file order.
///
/// Cargo rebuilds the crate when the file changes. A registry that breaks a rule is a compile
/// error carrying the same `file:line:col: error[rule]` diagnostics as
/// `cargo xtask metrics check`. Invoke it once per module.
pub use geno_metrics_macros::registry;
