//! [`Labelled`]: the series of one labelled metric, in a plain array.
//!
//! [`Labelled<M, S, F>`](Labelled) keeps its `S` series in a plain array, laid out by label
//! values with the first label varying slowest. An enumerated label spans one position per
//! declared value; a free-form label spans `max_series` positions, given to values in order of
//! first use, plus one for its overflow series. Recording into a series is an index plus the
//! series' own atomic operation: no hashing, lock or allocation for enumerated labels; a hash
//! and a probe of a lock-free table for a free-form value already seen (see `free_form.rs`).
//!
//! Every enumerated series exists, at zero, from the start, so `rate()` works from the first
//! scrape. A series with a free-form label exists from the first use of its free-form value;
//! the overflow series from the first value that went there. The registry sees any labelled
//! metric through the [`Family`](crate::Family) trait.

use super::free_form::FreeLabel;
use crate::spec::{LabelValues, MetricSpec};

/// Where label number `label` sits in series number `index`: its value's position; `None`
/// when the spec has no label number `label`.
fn position(spec: &MetricSpec, index: usize, label: usize) -> Option<usize> {
    let (this, after) = spec.labels.get(label..)?.split_first()?;
    let stride: usize = after.iter().map(|l| l.width()).product();
    Some((index / stride.max(1)) % this.width().max(1))
}

/// When label number `label` is free-form: which free-form label it is (counting only those)
/// and its `max_series`.
#[inline]
pub(crate) fn free_form(spec: &MetricSpec, label: usize) -> Option<(usize, usize)> {
    let LabelValues::FreeForm { max_series } = spec.labels.get(label)?.values else {
        return None;
    };
    let before = spec.labels[..label]
        .iter()
        .filter(|l| matches!(l.values, LabelValues::FreeForm { .. }))
        .count();
    Some((before, max_series))
}

/// A labelled metric with `S` series of type `M` (`Counter`, `Gauge` or `Histogram<N>`) and
/// `F` free-form labels. `registry!` wraps one in a generated type whose `with(..)` takes one
/// typed argument per label.
///
/// ```
/// mod metrics {
///     geno_metrics::registry!("examples/generated.toml");
/// }
/// use metrics::{Status, REQUESTS_TOTAL};
///
/// // `with(..)` takes one typed argument per label; the family derefs to `Labelled`.
/// REQUESTS_TOTAL.with(Status::Error, "resnet").inc();
/// REQUESTS_TOTAL.with(Status::Ok, "bert").inc();
/// REQUESTS_TOTAL.with(Status::Ok, "t5").inc(); // max_series = 2: no room, overflow
/// assert_eq!(REQUESTS_TOTAL.with_values(&["error", "resnet"]).unwrap().get(), 1);
/// assert!(REQUESTS_TOTAL.with_values(&["timeout", "resnet"]).is_none());
///
/// let series: Vec<_> = REQUESTS_TOTAL.iter().map(|(labels, c)| (labels, c.get())).collect();
/// assert_eq!(series, [
///     (vec![("status", "ok"), ("model", "resnet")], 0),
///     (vec![("status", "ok"), ("model", "bert")], 1),
///     (vec![("status", "ok"), ("model", "__overflow__")], 1),
///     (vec![("status", "error"), ("model", "resnet")], 1),
///     (vec![("status", "error"), ("model", "bert")], 0),
///     (vec![("status", "error"), ("model", "__overflow__")], 0),
/// ]);
/// assert_eq!(REQUESTS_TOTAL.free_labels()[0].dropped(), 1);
/// ```
#[derive(Debug)]
pub struct Labelled<M, const S: usize, const F: usize = 0> {
    spec: &'static MetricSpec,
    series: [M; S],
    free: [FreeLabel; F],
}

impl<M, const S: usize, const F: usize> Labelled<M, S, F> {
    /// A family over `series`, one per combination of the spec's label positions. Generated
    /// code calls it through `__private::labelled`.
    ///
    /// # Panics
    ///
    /// At compile time (in a static) when the spec has no labels or an info metric's label,
    /// `S` is not its
    /// [`series_count`](MetricSpec::series_count) or `F` not its number of free-form labels.
    pub(crate) const fn new(spec: &'static MetricSpec, series: [M; S]) -> Self {
        assert!(
            !spec.labels.is_empty(),
            "Labelled::new needs a spec with labels"
        );
        assert!(
            spec.series_count() == S,
            "Labelled<M, S, F>: S must be the spec's series_count()"
        );
        assert!(
            spec.free_form_count() == F,
            "Labelled<M, S, F>: F must be the spec's number of free-form labels"
        );
        let mut i = 0;
        while i < spec.labels.len() {
            assert!(
                !matches!(spec.labels[i].values, LabelValues::Info),
                "Labelled::new: an info metric's labels belong to an Info, not a family"
            );
            i += 1;
        }
        Self {
            spec,
            series,
            free: [const { FreeLabel::new() }; F],
        }
    }

    /// Series number `index` (first label slowest), or `None` past the end.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&M> {
        self.series.get(index)
    }

    /// Series number `index`: what generated `with(..)` methods call (through
    /// `__private::series_at`), with an index they compute below `S` by construction. Callers
    /// use [`get`](Self::get), which never panics.
    ///
    /// # Panics
    ///
    /// When `index >= S`.
    #[inline]
    pub(crate) fn at(&self, index: usize) -> &M {
        &self.series[index]
    }

    /// The position of `value` in free-form label number `label` (declaration order, among
    /// all labels): its own once it has one, a free one on first use, else the overflow
    /// position `max_series`. Only a value seen for the first time allocates (a copy of it).
    /// Returns 0 when label number `label` is not free-form.
    #[inline]
    pub(crate) fn free_form_position(&self, label: usize, value: &str) -> usize {
        free_form(self.spec, label)
            .and_then(|(free, max_series)| Some(self.free.get(free)?.slot(max_series, value)))
            .unwrap_or(0)
    }

    /// The series whose label values are `values`, one per label in declaration order;
    /// `None` when the count is wrong or an enumerated label has no such value. A new
    /// free-form value takes a free position, or goes to the overflow series.
    ///
    /// A call that returns `None` changes nothing: every value is checked before a free-form
    /// value is given a position, so a wrong value never uses up a free-form slot.
    pub fn with_values(&self, values: &[&str]) -> Option<&M> {
        if values.len() != self.spec.labels.len() {
            return None;
        }
        let enumerated_known =
            self.spec
                .labels
                .iter()
                .zip(values)
                .all(|(label, value)| match label.values {
                    LabelValues::Enumerated(known) => known.contains(value),
                    LabelValues::FreeForm { .. } => true,
                    // Never in a valid labelled spec (`new` refuses one).
                    LabelValues::Info => false,
                });
        if !enumerated_known {
            return None;
        }
        let mut index = 0;
        for (i, (label, value)) in self.spec.labels.iter().zip(values).enumerate() {
            let position = match label.values {
                LabelValues::Enumerated(known) => known.iter().position(|v| v == value)?,
                LabelValues::FreeForm { .. } => self.free_form_position(i, value),
                LabelValues::Info => return None,
            };
            index = index * label.width() + position;
        }
        self.series.get(index)
    }

    /// The value of label number `label` in series number `index`, if that series is used.
    pub(crate) fn value_at(&self, index: usize, label: usize) -> Option<&str> {
        let position = position(self.spec, index, label)?;
        match self.spec.labels.get(label)?.values {
            LabelValues::Enumerated(values) => values.get(position).copied(),
            LabelValues::FreeForm { .. } => {
                let (free, max_series) = free_form(self.spec, label)?;
                self.free.get(free)?.value(max_series, position)
            }
            LabelValues::Info => None,
        }
    }

    /// The value table of label number `label`, when that label is free-form.
    pub(crate) fn free_label(&self, label: usize) -> Option<&FreeLabel> {
        self.free.get(free_form(self.spec, label)?.0)
    }

    /// Every used series with its `(label, value)` pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Vec<(&'static str, &str)>, &M)> {
        self.series.iter().enumerate().filter_map(|(index, m)| {
            let labels = self
                .spec
                .labels
                .iter()
                .enumerate()
                .map(|(label, spec)| Some((spec.name, self.value_at(index, label)?)))
                .collect::<Option<Vec<_>>>()?;
            Some((labels, m))
        })
    }

    /// The value tables of the free-form labels, in declaration order.
    pub fn free_labels(&self) -> &[FreeLabel; F] {
        &self.free
    }

    /// What `metrics.toml` declares about this metric.
    pub fn spec(&self) -> &'static MetricSpec {
        self.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Counter;
    use crate::metric::{Family, Metric};
    use crate::spec::{LabelSpec, MetricKind};

    const PHASE: LabelSpec = LabelSpec {
        name: "phase",
        values: LabelValues::Enumerated(&["train", "eval", "test"]),
    };
    const STATUS: LabelSpec = LabelSpec {
        name: "status",
        values: LabelValues::Enumerated(&["ok", "error"]),
    };
    const MODEL: LabelSpec = LabelSpec {
        name: "model",
        values: LabelValues::FreeForm { max_series: 2 },
    };

    const fn spec(labels: &'static [LabelSpec]) -> MetricSpec {
        MetricSpec {
            name: "t_total",
            kind: MetricKind::Counter,
            unit: "",
            summary: "t",
            buckets: &[],
            deprecated: None,
            labels,
            collector: None,
        }
    }

    static ENUMERATED: MetricSpec = spec(&[PHASE, STATUS]);
    static MIXED: MetricSpec = spec(&[STATUS, MODEL, PHASE]);

    fn values<const S: usize, const F: usize>(family: &Labelled<Counter, S, F>) -> Vec<Vec<&str>> {
        family
            .iter()
            .map(|(labels, _)| labels.into_iter().map(|(_, v)| v).collect())
            .collect()
    }

    #[test]
    fn enumerated_series_all_exist_with_the_first_label_slowest() {
        static F: Labelled<Counter, 6> =
            Labelled::new(&ENUMERATED, [const { Counter::new(&ENUMERATED) }; 6]);
        let order = values(&F);
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
        for (i, v) in order.iter().enumerate() {
            assert!(std::ptr::eq(F.with_values(v).unwrap(), F.at(i)), "{v:?}");
            assert!(matches!(Family::series(&F, i), Some(Metric::Counter(_))));
        }
        assert!(F.with_values(&["train"]).is_none(), "one value per label");
        assert!(F.with_values(&["train", "maybe"]).is_none());
        assert!(Family::series(&F, 6).is_none());
        assert_eq!(Family::label_value(&F, 3, 1), Some("error"));
        assert!(Family::free_label(&F, 0).is_none());
    }

    #[test]
    fn free_form_series_appear_on_first_use_and_overflow_appears_on_overflow() {
        static F: Labelled<Counter, 18, 1> =
            Labelled::new(&MIXED, [const { Counter::new(&MIXED) }; 18]);
        assert_eq!(F.iter().count(), 0, "no free-form value yet, no series");
        F.with_values(&["error", "bert", "eval"]).unwrap().inc();
        // One free-form value: every enumerated combination with it exists, at zero.
        assert_eq!(F.iter().count(), 6);
        assert_eq!(F.iter().map(|(_, c)| c.get()).sum::<u64>(), 1);
        F.with_values(&["ok", "gpt", "train"]).unwrap().inc();
        F.with_values(&["ok", "t5", "train"]).unwrap().inc(); // full: overflow
        F.with_values(&["ok", "__overflow__", "test"])
            .unwrap()
            .inc();
        let all = values(&F);
        assert_eq!(all.len(), 18);
        assert_eq!(all[0], ["ok", "bert", "train"]);
        assert_eq!(all[3], ["ok", "gpt", "train"]);
        assert_eq!(all[6], ["ok", "__overflow__", "train"]);
        assert_eq!(all[17], ["error", "__overflow__", "test"]);
        assert_eq!(Family::free_label(&F, 1).unwrap().dropped(), 2);
        assert!(Family::free_label(&F, 2).is_none());
        assert_eq!(
            F.with_values(&["ok", "t5", "train"]).unwrap().get(),
            1,
            "t5 is overflow"
        );
        assert_eq!(Family::free_label(&F, 1).unwrap().dropped(), 3);
        assert_eq!(F.free_form_position(1, "gpt"), 1);
        assert_eq!(F.free_form_position(0, "gpt"), 0, "not a free-form label");
    }

    #[test]
    fn series_count_concurrently_and_independently() {
        static F: Labelled<Counter, 6> =
            Labelled::new(&ENUMERATED, [const { Counter::new(&ENUMERATED) }; 6]);
        std::thread::scope(|s| {
            for t in 0..4usize {
                s.spawn(move || {
                    for i in 0..6_000usize {
                        F.at((i + t) % 6).inc();
                    }
                });
            }
        });
        for i in 0..6 {
            assert_eq!(F.at(i).get(), 4_000, "series {i}");
        }
    }
}
