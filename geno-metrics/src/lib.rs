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

//! # What `registry!` generates
//!
//! For the registry [`examples/generated.toml`](https://docs.rs/crate/geno-metrics/latest/source/examples/generated.toml),
//! one metric of each handle type:
//!
//! | declared in `metrics.toml` | generated `pub static` | type |
//! |---|---|---|
//! | `kind = "counter"` | `JOBS_TOTAL` | [`Counter`] |
//! | `kind = "counter"`, `sharded = true` | `PACKETS_TOTAL` | [`ShardedCounter`] |
//! | `kind = "gauge"` | `QUEUE_DEPTH` | [`Gauge`] |
//! | `kind = "histogram"`, 3 `buckets` | `JOB_DURATION_SECONDS` | [`Histogram<3>`](Histogram) |
//! | `kind = "histogram"`, `sharded = true` | `REQUEST_DURATION_SECONDS` | [`ShardedHistogram<3>`](ShardedHistogram) |
//! | `labels = { status = ["ok", "error"], model = { max_series = 2 } }` | `REQUESTS_TOTAL` | `RequestsTotalFamily`, and the enum `Status` |
//! | `labels = { phase = ["train", "eval"] }` on a histogram | `PHASE_DURATION_SECONDS` | `PhaseDurationSecondsFamily`, and the enum `Phase` |
//! | `kind = "info"`, `labels = ["model", "checkpoint"]` | `MODEL_INFO` | `ModelInfo` |
//! | every metric | `METRICS` | [`Registry`] |
//!
//! A labelled metric's handle is a generated `<Name>Family` type. Its `with(..)` takes one
//! argument per label, in declaration order: the label's generated enum for an enumerated
//! label (one enum per label name, with `all()`, `as_str()` and `Display`), a `&str` for a
//! free-form one. It returns the series' [`Counter`], [`Gauge`] or [`Histogram`], and the
//! family dereferences to [`Labelled`] for the by-value and iterating views.
//!
//! An info metric's handle is a generated type named after the handle (`ModelInfo`), whose
//! `set(..)` takes one `&str` per label and replaces the one series' values; it dereferences
//! to [`Info`] for `get` and `clear`.
//!
//! ```
//! mod metrics {
//!     geno_metrics::registry!("examples/generated.toml");
//! }
//! use metrics::*;
//!
//! JOBS_TOTAL.inc();
//! PACKETS_TOTAL.inc_by(3); // each thread adds to its own shard
//! QUEUE_DEPTH.set(4.0);
//! JOB_DURATION_SECONDS.observe(0.5);
//! REQUEST_DURATION_SECONDS.observe(0.05);
//! REQUESTS_TOTAL.with(Status::Ok, "resnet").inc();
//! PHASE_DURATION_SECONDS.with(Phase::Eval).observe(42.0);
//! MODEL_INFO.set("resnet", "ckpt-000100");
//!
//! assert_eq!(Status::all(), [Status::Ok, Status::Error]);
//! assert_eq!(Phase::Eval.as_str(), "eval");
//! assert_eq!(PACKETS_TOTAL.get(), 3);
//! assert_eq!(PHASE_DURATION_SECONDS.with(Phase::Eval).snapshot().counts, [0, 1, 1]);
//!
//! // The same metrics by name, checked at run time instead.
//! assert_eq!(METRICS.get_sharded_counter("demo_packets_total")?.get(), 3);
//! let requests = METRICS.get_family("demo_requests_total")?;
//! assert!(requests.with_values(&["ok", "resnet"]).is_some());
//! # Ok::<(), geno_metrics::LookupError>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The modules form layers: ARCHITECTURE.md lists them lowest first, each using only those
// before it, and a tidy check in `cargo xtask ci` fails on an import cycle.
mod const_labels;
mod export;
mod kinds;
mod labels;
mod metric;
mod registry;
mod snapshot;
mod spec;
mod sync;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use const_labels::{ConstLabelError, ConstLabelSpec};
#[cfg(feature = "http")]
pub use export::{Exposition, HttpServer};
pub use export::{
    LOG_DIR_ENV, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE, TextfileExporter, metrics_path,
};
#[cfg(feature = "push")]
pub use export::{PUSH_TIMEOUT, PushError};
pub use kinds::{
    AnyHistogram, AnyInfo, AnyShardedHistogram, BucketCounts, Counter, Gauge, Histogram,
    HistogramCore, HistogramTimer, Info, ProcessMetric, ProcessReading, ProcessSample,
    ShardedCounter, ShardedHistogram,
};

/// The old name of [`AnyShardedHistogram`].
#[doc(hidden)]
#[deprecated(note = "renamed `AnyShardedHistogram`, parallel to `AnyHistogram`")]
pub use kinds::AnyShardedHistogram as DynHistogram;
pub use labels::{DROPPED_LABEL_VALUES_METRIC, FreeLabel, Labelled, OVERFLOW_LABEL_VALUE};
pub use metric::{Family, Metric};
pub use registry::{LookupError, Registry};
pub use snapshot::{HistogramSnapshot, MetricSnapshot, MetricValue, Snapshot};
pub use spec::{LabelSpec, LabelValues, MetricKind, MetricSpec};

/// Generates typed handles and `METRICS` from a `metrics.toml`, at compile time.
///
/// `registry!("metrics.toml")` takes a path relative to the invoking crate's
/// `CARGO_MANIFEST_DIR` and expands, in place, to:
///
/// - one `pub static` per metric, named after the metric without the namespace prefix, in
///   upper snake case (`geno_lewm_train_steps_total` -> `TRAIN_STEPS_TOTAL`), of type
///   [`Counter`], [`Gauge`], [`Histogram<N>`](Histogram) or an info metric's generated type;
///   with `sharded = true`,
///   [`ShardedCounter`] or [`ShardedHistogram<N>`](ShardedHistogram); its rustdoc is the
///   summary, name, kind, unit and buckets, and a deprecated metric's handle is
///   `#[deprecated]`;
/// - for a labelled metric, a `<Name>Family` type as the handle's type, whose `with(..)` takes
///   one argument per label and returns the series (it dereferences to [`Labelled`]);
/// - for an info metric (`kind = "info"`), a type named after the handle in upper camel case
///   (`MODEL_INFO` -> `ModelInfo`) whose `set(..)` takes one `&str` per label (it
///   dereferences to [`Info`]);
/// - for `[registry] collectors`, a static per collector metric: `PROCESS_CPU_SECONDS_TOTAL`
///   and the other `process_*` names upper-cased (a [`ProcessMetric`] each), and `BUILD_INFO`
///   (an [`Info`] set from the build);
/// - one enum per enumerated label name, in upper camel case (`device_kind` -> `DeviceKind`),
///   a variant per value (`in_progress` -> `InProgress`, `2xx` -> `V2xx`), with `all()`,
///   `as_str()` and `Display`;
/// - `pub static METRICS: Registry`, every metric in file order, with the constant labels of
///   `[registry] const_labels` ([`ConstLabelSpec`]; see [`Registry::set_const_labels`]).
///
/// The [crate docs](crate#what-registry-generates) show each of these in use.
///
/// Cargo rebuilds the crate when the file changes. A registry that breaks a rule is a compile
/// error carrying the same `file:line:col: error[rule]` diagnostics as
/// `cargo xtask metrics check`. Invoke it once per module.
pub use geno_metrics_macros::registry;
