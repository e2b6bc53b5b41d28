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
    /// Label values that describe the process, exposed with the value 1
    /// ([`Info`](crate::Info)).
    Info,
}

impl MetricKind {
    /// The spelling of `metrics.toml` and of the exposition's `# TYPE` line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::Info => "info",
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
/// The fields are public to read. The struct is `#[non_exhaustive]`, so new declarations in
/// `metrics.toml` can add fields without breaking callers: build one with the `const`
/// constructor [`new`](Self::new) and the `with_*` methods, as generated code does.
///
/// ```
/// use geno_metrics::{LabelSpec, MetricKind, MetricSpec};
/// static SPEC: MetricSpec = MetricSpec::new("demo_queue_bytes", MetricKind::Gauge, "Bytes waiting in the queue.")
///     .with_unit("bytes")
///     .with_labels(&[LabelSpec::enumerated("queue", &["fast", "slow"])]);
/// assert_eq!(SPEC.kind, MetricKind::Gauge);
/// assert_eq!((SPEC.unit, SPEC.buckets, SPEC.deprecated), ("bytes", &[][..], None));
/// assert_eq!(SPEC.series_count(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct MetricSpec {
    /// The full Prometheus name, namespace included.
    pub name: &'static str,
    /// Counter, gauge, histogram or info.
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
    /// The collector of `[registry] collectors` whose metric this is (`"process"`,
    /// `"build_info"`), read or known by the runtime rather than recorded; `None` for a
    /// `[[metric]]` table.
    pub collector: Option<&'static str>,
}

impl MetricSpec {
    /// A metric without unit, buckets, labels or deprecation; the `with_*` methods add them.
    ///
    /// This is a description only: which rules a name, unit or bucket list must follow is
    /// checked where `metrics.toml` is read (the `registry!` macro and `cargo xtask metrics
    /// check`), not here.
    pub const fn new(name: &'static str, kind: MetricKind, summary: &'static str) -> Self {
        Self {
            name,
            kind,
            unit: "",
            summary,
            buckets: &[],
            deprecated: None,
            labels: &[],
            collector: None,
        }
    }

    /// The same metric, as the collector `collector`'s (`"process"`, `"build_info"`).
    #[must_use]
    pub const fn with_collector(self, collector: &'static str) -> Self {
        Self {
            collector: Some(collector),
            ..self
        }
    }

    /// The same metric with the unit `unit` (`seconds`, `bytes`, ...).
    #[must_use]
    pub const fn with_unit(self, unit: &'static str) -> Self {
        Self { unit, ..self }
    }

    /// The same metric with a histogram's finite bucket bounds, strictly increasing.
    #[must_use]
    pub const fn with_buckets(self, buckets: &'static [f64]) -> Self {
        Self { buckets, ..self }
    }

    /// The same metric, deprecated for `reason` (what to use instead).
    #[must_use]
    pub const fn with_deprecated(self, reason: &'static str) -> Self {
        Self {
            deprecated: Some(reason),
            ..self
        }
    }

    /// The same metric with `labels`, in declaration order.
    #[must_use]
    pub const fn with_labels(self, labels: &'static [LabelSpec]) -> Self {
        Self { labels, ..self }
    }

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

/// One label: its name and the values it takes. `#[non_exhaustive]` for the same reason as
/// [`MetricSpec`]: build one with [`enumerated`](Self::enumerated) or
/// [`free_form`](Self::free_form).
///
/// ```
/// use geno_metrics::{LabelSpec, LabelValues};
/// const PHASE: LabelSpec = LabelSpec::enumerated("phase", &["train", "eval"]);
/// const MODEL: LabelSpec = LabelSpec::free_form("model", 16);
/// assert_eq!(PHASE.values, LabelValues::Enumerated(&["train", "eval"]));
/// assert_eq!((PHASE.width(), MODEL.width()), (2, 17)); // 16 values and the overflow series
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LabelSpec {
    /// The label name, e.g. `phase`.
    pub name: &'static str,
    /// Its values: a fixed list, free-form and bounded, or an info metric's.
    pub values: LabelValues,
}

impl LabelSpec {
    /// A label that takes exactly `values`, in this order.
    pub const fn enumerated(name: &'static str, values: &'static [&'static str]) -> Self {
        Self {
            name,
            values: LabelValues::Enumerated(values),
        }
    }

    /// A free-form label: `max_series` distinct values get a series each, later ones the
    /// overflow series.
    pub const fn free_form(name: &'static str, max_series: usize) -> Self {
        Self {
            name,
            values: LabelValues::FreeForm { max_series },
        }
    }

    /// A label of an info metric ([`Info`](crate::Info)), whose value each `set` gives.
    pub const fn info(name: &'static str) -> Self {
        Self {
            name,
            values: LabelValues::Info,
        }
    }

    /// How many series positions the label spans: its value count when enumerated,
    /// `max_series + 1` (the [overflow series](crate::OVERFLOW_LABEL_VALUE)) when free-form,
    /// 1 for an info metric's label (an info metric has one series at a time).
    pub const fn width(&self) -> usize {
        match self.values {
            LabelValues::Enumerated(values) => values.len(),
            LabelValues::FreeForm { max_series } => max_series + 1,
            LabelValues::Info => 1,
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
    /// [`OVERFLOW_LABEL_VALUE`](crate::OVERFLOW_LABEL_VALUE). The empty string goes there
    /// too: Prometheus reads a label with an empty value as no label at all.
    FreeForm {
        /// How many distinct values get a series of their own.
        max_series: usize,
    },
    /// A label of an info metric: any string, given together with the metric's other labels
    /// by each [`Info::set`](crate::Info::set); one value at a time.
    Info,
}

/// The candidate closest to `word` when it is near enough to be a typo: at most a third of
/// the word's characters (and at least 2) edits away. The schema crate suggests names in its
/// diagnostics by the same rule (`geno_metrics_schema::closest`); a test in `tests/` holds the
/// two to the same answers, since the runtime cannot depend on the schema.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, c)| c)
}
