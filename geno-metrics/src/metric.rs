//! [`Metric`]: one live metric as the registry sees it, and [`Family`], a labelled metric of
//! any kind. The glue between the kinds, the labelled array and the registry lives here, so
//! that `kinds` and `labels` know nothing of the registry.

use std::fmt::Debug;

use crate::kinds::{
    AnyHistogram, AnyInfo, AnyShardedHistogram, Counter, Gauge, Histogram, ProcessMetric,
    ProcessSample, ShardedCounter,
};
use crate::labels::{FreeLabel, Labelled};
use crate::snapshot::MetricValue;
use crate::spec::{LabelValues, MetricKind, MetricSpec};

/// A reference to one live metric of a registry.
#[derive(Debug, Clone, Copy)]
pub enum Metric {
    /// A counter handle.
    Counter(&'static Counter),
    /// A counter kept in per-thread shards (`sharded = true`).
    ShardedCounter(&'static ShardedCounter),
    /// A gauge handle.
    Gauge(&'static Gauge),
    /// A histogram handle, of any bucket count.
    Histogram(&'static AnyHistogram),
    /// A histogram kept in per-thread shards (`sharded = true`), of any bucket count.
    ShardedHistogram(&'static dyn AnyShardedHistogram),
    /// A labelled metric of any kind: a family of series.
    Family(&'static dyn Family),
    /// An info metric, of any label count: one series while it has values, none before.
    Info(&'static dyn AnyInfo),
    /// A metric of the `process` collector, read from `/proc` (the limits: `getrlimit`) when
    /// exposed.
    Process(&'static ProcessMetric),
}

impl Metric {
    /// What `metrics.toml` declares about the metric.
    pub fn spec(&self) -> &'static MetricSpec {
        match self {
            Self::Counter(c) => c.spec(),
            Self::ShardedCounter(c) => c.spec(),
            Self::Gauge(g) => g.spec(),
            Self::Histogram(h) => h.spec(),
            Self::ShardedHistogram(h) => h.spec(),
            Self::Family(f) => f.spec(),
            Self::Info(i) => i.spec(),
            Self::Process(p) => p.spec(),
        }
    }

    /// The metric's current value (a consistent copy, for histograms); `None` for a family,
    /// whose values are those of its series. An info metric's value is
    /// [`MetricValue::Info`] whether or not it has label values: read them from the metric.
    /// A process metric's is read now, `None` when the read fails.
    pub fn value(&self) -> Option<MetricValue> {
        match self {
            Self::Counter(c) => Some(MetricValue::Counter(c.get())),
            Self::ShardedCounter(c) => Some(MetricValue::Counter(c.get())),
            Self::Gauge(g) => Some(MetricValue::Gauge(g.get())),
            Self::Histogram(h) => Some(MetricValue::Histogram(h.snapshot())),
            Self::ShardedHistogram(h) => Some(MetricValue::Histogram(h.snapshot())),
            Self::Family(_) => None,
            Self::Info(_) => Some(MetricValue::Info),
            // A read that fails leaves the metric out.
            Self::Process(p) => process_value(p, &ProcessSample::read()),
        }
    }
}

/// A process metric's value in `sample`, as a snapshot holds it: a counter's (CPU seconds) as
/// a [`MetricValue::FloatCounter`], a gauge's as a gauge; `None` when it could not be read.
pub(crate) fn process_value(metric: &ProcessMetric, sample: &ProcessSample) -> Option<MetricValue> {
    let value = sample.get(metric.reading())?;
    Some(match metric.spec().kind {
        MetricKind::Counter => MetricValue::FloatCounter(value),
        _ => MetricValue::Gauge(value),
    })
}

/// A labelled metric of any kind, as the registry sees it: its spec and its series in order.
pub trait Family: Sync + Debug {
    /// What `metrics.toml` declares, labels included.
    fn spec(&self) -> &'static MetricSpec;
    /// The number of series positions, used or not ([`MetricSpec::series_count`]).
    fn len(&self) -> usize;
    /// Whether there is no series position at all (never true for a valid spec).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Series number `index`, as an unlabelled metric; `None` past the end, or when a
    /// free-form label has no value at that position yet.
    fn series(&'static self, index: usize) -> Option<Metric>;
    /// The value of label number `label` (declaration order) in series number `index`;
    /// `None` where [`series`](Family::series) is `None`.
    fn label_value(&'static self, index: usize, label: usize) -> Option<&'static str>;
    /// The series whose label values are `values`, one per label in declaration order;
    /// `None` when the count is wrong or an enumerated label has no such value. A new
    /// free-form value takes a free position, or goes to the overflow series. A call that
    /// returns `None` changes nothing.
    fn with_values(&'static self, values: &[&str]) -> Option<Metric>;
    /// The value table of label number `label`, when that label is free-form.
    fn free_label(&self, label: usize) -> Option<&FreeLabel>;
}

/// A metric that can be one series of a [`Labelled`] family: what generated code puts in
/// one. Not for callers; reached through `__private`.
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

impl<M: Series, const S: usize, const F: usize> Family for Labelled<M, S, F> {
    fn spec(&self) -> &'static MetricSpec {
        Labelled::spec(self)
    }

    fn len(&self) -> usize {
        S
    }

    fn series(&'static self, index: usize) -> Option<Metric> {
        let series = self.get(index)?;
        // Enumerated values always have a series; only a free-form label's position may be
        // unused. With no free-form label (`F == 0`, known when compiled) nothing is checked.
        let used = F == 0
            || self.spec().labels.iter().enumerate().all(|(label, spec)| {
                !matches!(spec.values, LabelValues::FreeForm { .. })
                    || self.value_at(index, label).is_some()
            });
        used.then(|| series.as_metric())
    }

    fn label_value(&'static self, index: usize, label: usize) -> Option<&'static str> {
        if index >= S {
            return None;
        }
        self.value_at(index, label)
    }

    fn with_values(&'static self, values: &[&str]) -> Option<Metric> {
        Labelled::with_values(self, values).map(Series::as_metric)
    }

    fn free_label(&self, label: usize) -> Option<&FreeLabel> {
        Labelled::free_label(self, label)
    }
}
