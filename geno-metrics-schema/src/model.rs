//! The validated registry: what `metrics.toml` declares, with every default resolved.

use serde::Serialize;

/// The Prometheus default buckets, used by histograms that declare none.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A whole registry file after validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registry {
    /// `[registry] namespace`: when set, every metric name starts with `namespace_`.
    pub namespace: Option<String>,
    /// `[registry] version`: the semver of the registry itself, read by the diff guard.
    pub version: semver::Version,
    /// 1-based line of the `version` value.
    pub version_line: usize,
    /// Every metric, in file order.
    pub metrics: Vec<Metric>,
}

/// The kind of a metric, as written in `kind = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// A monotonically increasing integer; its name ends in `_total`.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted into cumulative buckets.
    Histogram,
}

impl MetricKind {
    /// Every kind, in declaration order.
    pub const ALL: [MetricKind; 3] = [Self::Counter, Self::Gauge, Self::Histogram];

    /// The spelling used in `metrics.toml` and in Prometheus' `# TYPE` line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

impl std::fmt::Display for MetricKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[[metric]]` table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// The full Prometheus metric name, namespace included.
    pub name: String,
    /// Counter, gauge or histogram.
    pub kind: MetricKind,
    /// The unit, when declared (`seconds`, `bytes`, ...); always a suffix of the name.
    pub unit: Option<String>,
    /// The HELP text. Any UTF-8; the exposition escapes it.
    pub summary: String,
    /// Finite, strictly increasing upper bounds of a histogram (`+Inf` is implicit): the
    /// declared ones, or [`DEFAULT_BUCKETS`]. Empty for counters and gauges.
    pub buckets: Vec<f64>,
    /// Why the metric is deprecated and what to use instead.
    pub deprecated: Option<String>,
    /// The name this metric had before a deliberate rename.
    pub renamed_from: Option<String>,
    /// 1-based line of the `name` value (of the `[[metric]]` header when the name is missing).
    pub line: usize,
    /// The identifier of the generated static handle, e.g. `TRAIN_STEPS_TOTAL`.
    pub handle: String,
}
