//! What a metric is, as declared in `metrics.toml`: the static description behind every handle.

use serde::{Deserialize, Serialize};

/// The kind of a metric.
///
/// ```
/// use geno_metrics::MetricKind;
/// assert_eq!(MetricKind::Histogram.as_str(), "histogram");
/// assert_eq!(MetricKind::Gauge.to_string(), "gauge");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// A `u64` that only goes up ([`Counter`](crate::Counter)).
    Counter,
    /// An `f64` that goes up and down ([`Gauge`](crate::Gauge)).
    Gauge,
    /// Observations counted into buckets ([`Histogram`](crate::Histogram)).
    Histogram,
}

impl MetricKind {
    /// The spelling of `metrics.toml` and of the exposition's `# TYPE` line.
    pub const fn as_str(self) -> &'static str {
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

/// The immutable description of one metric. `registry!` generates one per `[[metric]]`.
///
/// ```
/// use geno_metrics::{LabelSpec, LabelValues, MetricKind, MetricSpec};
/// static SPEC: MetricSpec = MetricSpec {
///     name: "demo_queue_bytes",
///     kind: MetricKind::Gauge,
///     unit: "bytes",
///     summary: "Bytes waiting in the queue.",
///     buckets: &[],
///     deprecated: None,
///     labels: &[LabelSpec { name: "queue", values: LabelValues::Enumerated(&["fast", "slow"]) }],
/// };
/// assert_eq!(SPEC.kind, MetricKind::Gauge);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSpec {
    /// The full Prometheus name, namespace included.
    pub name: &'static str,
    /// Counter, gauge or histogram.
    pub kind: MetricKind,
    /// The unit (`seconds`, `bytes`, ...), empty when none was declared.
    pub unit: &'static str,
    /// The HELP text, unescaped.
    pub summary: &'static str,
    /// A histogram's finite upper bounds, strictly increasing (`+Inf` is implicit);
    /// empty for counters and gauges.
    pub buckets: &'static [f64],
    /// Why the metric is deprecated and what to use instead, when it is.
    pub deprecated: Option<&'static str>,
    /// The metric's labels, in declaration order; empty for an unlabelled metric. A labelled
    /// metric is a [`Family`](crate::Family) of one series per combination of label values.
    pub labels: &'static [LabelSpec],
}

impl MetricSpec {
    /// The number of series: the product of the labels' [widths](LabelSpec::width) (1 without
    /// labels).
    pub const fn series_count(&self) -> usize {
        let mut count = 1;
        let mut i = 0;
        while i < self.labels.len() {
            count *= self.labels[i].width();
            i += 1;
        }
        count
    }

    /// The number of free-form labels.
    pub const fn free_form_count(&self) -> usize {
        let mut count = 0;
        let mut i = 0;
        while i < self.labels.len() {
            if let LabelValues::FreeForm { .. } = self.labels[i].values {
                count += 1;
            }
            i += 1;
        }
        count
    }
}

/// One label: its name and the values it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelSpec {
    /// The label name, e.g. `phase`.
    pub name: &'static str,
    /// Its values: a fixed list, or free-form and bounded.
    pub values: LabelValues,
}

impl LabelSpec {
    /// How many series positions the label spans: its value count when enumerated,
    /// `max_series + 1` (the [overflow series](crate::OVERFLOW_LABEL_VALUE)) when free-form.
    pub const fn width(&self) -> usize {
        match self.values {
            LabelValues::Enumerated(values) => values.len(),
            LabelValues::FreeForm { max_series } => max_series + 1,
        }
    }
}

/// The values a label takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelValues {
    /// Every value, e.g. `["train", "eval"]`, in declaration order: series follow this order,
    /// and every one exists (at zero) from the start.
    Enumerated(&'static [&'static str]),
    /// Any string chosen at run time: the first `max_series` distinct values get a series
    /// each, in order of first use; later values share the overflow series, whose value is
    /// [`OVERFLOW_LABEL_VALUE`](crate::OVERFLOW_LABEL_VALUE).
    FreeForm {
        /// How many distinct values get a series of their own.
        max_series: usize,
    },
}
