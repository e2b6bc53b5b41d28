//! Labelled metrics: one series per combination of enumerated label values.
//!
//! [`Labelled<M, S>`](Labelled) keeps its `S` series in a plain array, so recording into one is
//! an index plus the series' own atomic operation: no hashing, no lock, no allocation. Series
//! are ordered by label values as declared, the first label varying slowest, and every series
//! exists (at zero) from the start, so `rate()` works from the first scrape. The registry sees
//! any labelled metric through the [`Family`] trait.

use std::fmt::Debug;

use crate::counter::Counter;
use crate::gauge::Gauge;
use crate::histogram::Histogram;
use crate::registry::Metric;
use crate::spec::MetricSpec;

/// A labelled metric of any kind, as the registry sees it: its spec and its series in order.
pub trait Family: Sync + Debug {
    /// What `metrics.toml` declares, labels included.
    fn spec(&self) -> &'static MetricSpec;
    /// The number of series.
    fn len(&self) -> usize;
    /// Whether there is no series at all (never true for a valid spec).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Series number `index`, as an unlabelled metric.
    fn series(&'static self, index: usize) -> Option<Metric>;
}

/// The position of the series with label `values` (one per label, in declaration order).
pub(crate) fn series_index(spec: &MetricSpec, values: &[&str]) -> Option<usize> {
    if values.len() != spec.labels.len() {
        return None;
    }
    spec.labels
        .iter()
        .zip(values)
        .try_fold(0, |index, (label, value)| {
            let position = label.values.iter().position(|v| v == value)?;
            Some(index * label.values.len() + position)
        })
}

/// The `(label, value)` pairs of series number `index`, in declaration order.
pub(crate) fn series_labels(
    spec: &'static MetricSpec,
    index: usize,
) -> impl Iterator<Item = (&'static str, &'static str)> {
    spec.labels.iter().enumerate().map(move |(i, label)| {
        let stride: usize = spec.labels[i + 1..]
            .iter()
            .map(|l| l.values.len())
            .product();
        let position = (index / stride.max(1)) % label.values.len().max(1);
        (
            label.name,
            label.values.get(position).copied().unwrap_or(""),
        )
    })
}

/// A labelled metric with `S` series of type `M` (`Counter`, `Gauge` or `Histogram<N>`).
///
/// ```
/// use geno_metrics::{Counter, LabelSpec, Labelled, MetricKind, MetricSpec};
/// static SPEC: MetricSpec = MetricSpec {
///     name: "demo_requests_total", kind: MetricKind::Counter, unit: "",
///     summary: "Requests.", buckets: &[], deprecated: None,
///     labels: &[LabelSpec { name: "status", values: &["ok", "error"] }],
/// };
/// static REQUESTS_TOTAL: Labelled<Counter, 2> =
///     Labelled::new(&SPEC, [Counter::new(&SPEC), Counter::new(&SPEC)]);
///
/// REQUESTS_TOTAL.get(1).unwrap().inc(); // by series index: what generated code does
/// REQUESTS_TOTAL.with_values(&["error"]).unwrap().inc();
/// assert_eq!(REQUESTS_TOTAL.with_values(&["error"]).unwrap().get(), 2);
/// assert_eq!(REQUESTS_TOTAL.get(0).unwrap().get(), 0);
/// assert!(REQUESTS_TOTAL.with_values(&["timeout"]).is_none());
/// ```
#[derive(Debug)]
pub struct Labelled<M, const S: usize> {
    spec: &'static MetricSpec,
    series: [M; S],
}

impl<M, const S: usize> Labelled<M, S> {
    /// A family over `series`, one per combination of the spec's label values.
    ///
    /// # Panics
    ///
    /// At compile time (in a static) when the spec has no labels or `S` is not the number of
    /// label value combinations.
    pub const fn new(spec: &'static MetricSpec, series: [M; S]) -> Self {
        assert!(
            !spec.labels.is_empty(),
            "Labelled::new needs a spec with labels"
        );
        assert!(
            spec.series_count() == S,
            "Labelled<M, S>: S must be the product of the label value counts"
        );
        Self { spec, series }
    }

    /// Series number `index` (first label slowest), or `None` past the end.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&M> {
        self.series.get(index)
    }

    /// The series whose label values are `values`, one per label in declaration order.
    pub fn with_values(&self, values: &[&str]) -> Option<&M> {
        self.series.get(series_index(self.spec, values)?)
    }

    /// Every series with its `(label, value)` pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Vec<(&'static str, &'static str)>, &M)> {
        self.series
            .iter()
            .enumerate()
            .map(|(i, m)| (series_labels(self.spec, i).collect(), m))
    }

    /// What `metrics.toml` declares about this metric.
    pub fn spec(&self) -> &'static MetricSpec {
        self.spec
    }
}

/// A metric that can be one series of a [`Labelled`] family.
pub trait Series: Sync + Debug + 'static {
    /// This series as an unlabelled registry entry.
    fn as_metric(&'static self) -> Metric;
}

impl Series for Counter {
    fn as_metric(&'static self) -> Metric {
        Metric::Counter(self)
    }
}

impl Series for Gauge {
    fn as_metric(&'static self) -> Metric {
        Metric::Gauge(self)
    }
}

impl<const N: usize> Series for Histogram<N> {
    fn as_metric(&'static self) -> Metric {
        Metric::Histogram(self)
    }
}

impl<M: Series, const S: usize> Family for Labelled<M, S> {
    fn spec(&self) -> &'static MetricSpec {
        self.spec
    }

    fn len(&self) -> usize {
        S
    }

    fn series(&'static self, index: usize) -> Option<Metric> {
        self.series.get(index).map(Series::as_metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{LabelSpec, MetricKind};

    static SPEC: MetricSpec = MetricSpec {
        name: "t_total",
        kind: MetricKind::Counter,
        unit: "",
        summary: "t",
        buckets: &[],
        deprecated: None,
        labels: &[
            LabelSpec {
                name: "phase",
                values: &["train", "eval", "test"],
            },
            LabelSpec {
                name: "status",
                values: &["ok", "error"],
            },
        ],
    };

    #[test]
    fn index_and_labels_are_inverse_with_the_first_label_slowest() {
        assert_eq!(SPEC.series_count(), 6);
        let order: Vec<Vec<_>> = (0..6)
            .map(|i| series_labels(&SPEC, i).map(|(_, v)| v).collect())
            .collect();
        assert_eq!(
            order,
            [
                ["train", "ok"],
                ["train", "error"],
                ["eval", "ok"],
                ["eval", "error"],
                ["test", "ok"],
                ["test", "error"]
            ]
        );
        for (i, values) in order.iter().enumerate() {
            assert_eq!(series_index(&SPEC, values), Some(i));
        }
        assert_eq!(series_index(&SPEC, &["train"]), None, "one value per label");
        assert_eq!(series_index(&SPEC, &["train", "maybe"]), None);
    }

    #[test]
    fn series_count_concurrently_and_independently() {
        static F: Labelled<Counter, 6> = Labelled::new(
            &SPEC,
            [
                Counter::new(&SPEC),
                Counter::new(&SPEC),
                Counter::new(&SPEC),
                Counter::new(&SPEC),
                Counter::new(&SPEC),
                Counter::new(&SPEC),
            ],
        );
        std::thread::scope(|s| {
            for t in 0..4usize {
                s.spawn(move || {
                    for i in 0..6_000usize {
                        F.get((i + t) % 6).unwrap().inc();
                    }
                });
            }
        });
        for i in 0..6 {
            assert_eq!(F.get(i).unwrap().get(), 4_000, "series {i}");
        }
        assert_eq!(Family::len(&F), 6);
        assert!(matches!(Family::series(&F, 5), Some(Metric::Counter(_))));
        assert!(Family::series(&F, 6).is_none());
    }
}
