//! Copies of metric values: [`Snapshot`], a structured, serialisable copy of every metric of
//! a registry, and [`HistogramSnapshot`], one consistent copy of a histogram.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::spec::MetricKind;

/// Every metric of a registry at one moment, in registry order.
///
/// Serialises with serde; in JSON, non-finite floats are the strings `"+Inf"`, `"-Inf"` and
/// `"NaN"` (JSON has no such numbers), so a snapshot written as JSON reads back equal.
///
/// ```
/// use geno_metrics::{MetricKind, MetricSnapshot, MetricValue, Snapshot};
/// let snapshot = Snapshot {
///     const_labels: Default::default(),
///     metrics: vec![MetricSnapshot {
///         name: "demo_temperature_celsius".into(),
///         unit: "celsius".into(),
///         labels: Default::default(),
///         value: MetricValue::Gauge(f64::INFINITY),
///     }],
/// };
/// let json = serde_json::to_string(&snapshot).unwrap();
/// assert_eq!(
///     json,
///     r#"{"metrics":[{"name":"demo_temperature_celsius","unit":"celsius","kind":"gauge","value":"+Inf"}]}"#
/// );
/// assert_eq!(serde_json::from_str::<Snapshot>(&json).unwrap(), snapshot);
/// assert_eq!(snapshot.metrics[0].kind(), MetricKind::Gauge);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The registry's constant labels with their values (`[registry] const_labels`); every
    /// entry of `metrics` carries them too. Empty (and left out of JSON) without any.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub const_labels: BTreeMap<Cow<'static, str>, Cow<'static, str>>,
    /// One entry per series, in registry order: an unlabelled metric's one, a family's used
    /// series, an info metric's once set, a process metric's when `/proc` could be read.
    pub metrics: Vec<MetricSnapshot>,
}

impl Snapshot {
    /// The value of the unlabelled metric called `name` (whose only labels are the constant
    /// ones); `None` when there is no such metric or it has labels of its own, since then no
    /// one series is the metric's value: pick a series with [`get_series`](Self::get_series),
    /// go through them with [`series`](Self::series), or add them up with [`sum`](Self::sum).
    ///
    /// ```
    /// mod metrics {
    ///     geno_metrics::registry!("examples/generated.toml");
    /// }
    /// use metrics::{JOBS_TOTAL, METRICS, REQUESTS_TOTAL, Status};
    ///
    /// JOBS_TOTAL.inc_by(2);
    /// REQUESTS_TOTAL.with(Status::Ok, "resnet").inc_by(5);
    /// REQUESTS_TOTAL.with(Status::Error, "bert").inc();
    /// let snapshot = METRICS.snapshot_all();
    /// assert_eq!(snapshot.get("demo_jobs_total").unwrap().value, geno_metrics::MetricValue::Counter(2));
    /// assert!(snapshot.get("demo_requests_total").is_none(), "labelled: which series?");
    /// assert_eq!(snapshot.series("demo_requests_total").count(), 4); // 2 statuses x 2 models
    /// ```
    pub fn get(&self, name: &str) -> Option<&MetricSnapshot> {
        let mut series = self.metrics.iter().filter(|m| m.name == name);
        let first = series.next()?;
        let own_labels = first
            .labels
            .keys()
            .any(|k| !self.const_labels.contains_key(k));
        (!own_labels && series.next().is_none()).then_some(first)
    }

    /// Every series of the metric called `name`, in exposition order: one for an unlabelled
    /// metric, one per used label combination for a labelled one.
    pub fn series<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a MetricSnapshot> {
        self.metrics.iter().filter(move |m| m.name == name)
    }

    /// The sum over the series of `name` whose labels include every pair of `matching` (all
    /// of its series when `matching` is empty), as PromQL's `sum` over a selector adds
    /// them up: counts and gauges add, histograms add bucket by bucket. `None` when no series
    /// matches, or when histograms with different buckets would have to be added.
    ///
    /// ```
    /// # mod metrics {
    /// #     geno_metrics::registry!("examples/generated.toml");
    /// # }
    /// # use metrics::{METRICS, PHASE_DURATION_SECONDS, Phase, REQUESTS_TOTAL, Status};
    /// use geno_metrics::MetricValue;
    /// REQUESTS_TOTAL.with(Status::Ok, "resnet").inc_by(5);
    /// REQUESTS_TOTAL.with(Status::Error, "resnet").inc();
    /// REQUESTS_TOTAL.with(Status::Error, "bert").inc_by(2);
    /// PHASE_DURATION_SECONDS.with(Phase::Train).observe(30.0);
    /// PHASE_DURATION_SECONDS.with(Phase::Eval).observe(90.0);
    /// let snapshot = METRICS.snapshot_all();
    /// assert_eq!(snapshot.sum("demo_requests_total", &[]), Some(MetricValue::Counter(8)));
    /// assert_eq!(
    ///     snapshot.sum("demo_requests_total", &[("status", "error")]),
    ///     Some(MetricValue::Counter(3))
    /// );
    /// let Some(MetricValue::Histogram(both)) = snapshot.sum("demo_phase_duration_seconds", &[]) else {
    ///     unreachable!()
    /// };
    /// assert_eq!((both.count, both.sum, both.counts), (2, 120.0, vec![0, 1, 2]));
    /// ```
    pub fn sum(&self, name: &str, matching: &[(&str, &str)]) -> Option<MetricValue> {
        let mut matched = self.series(name).filter(|m| {
            matching
                .iter()
                .all(|(label, value)| m.labels.get(*label).is_some_and(|v| v == value))
        });
        let mut total = matched.next()?.value.clone();
        for series in matched {
            total = match (total, &series.value) {
                (MetricValue::Counter(a), MetricValue::Counter(b)) => {
                    MetricValue::Counter(a.wrapping_add(*b))
                }
                (MetricValue::Gauge(a), MetricValue::Gauge(b)) => MetricValue::Gauge(a + b),
                (MetricValue::Histogram(mut a), MetricValue::Histogram(b)) => {
                    if a.buckets != b.buckets {
                        return None;
                    }
                    for (count, other) in a.counts.iter_mut().zip(&b.counts) {
                        *count = count.wrapping_add(*other);
                    }
                    a.sum += b.sum;
                    a.count = a.count.wrapping_add(b.count);
                    MetricValue::Histogram(a)
                }
                // One name has one kind; a hand-built snapshot may say otherwise.
                _ => return None,
            };
        }
        Some(total)
    }

    /// The entry of the series of `name` whose own labels are exactly `labels`. The constant
    /// labels may be left out of `labels`, or given with their values.
    pub fn get_series(&self, name: &str, labels: &[(&str, &str)]) -> Option<&MetricSnapshot> {
        self.metrics.iter().find(|m| {
            m.name == name
                && labels
                    .iter()
                    .all(|(k, v)| m.labels.get(*k).is_some_and(|x| x == v))
                && m.labels.keys().all(|k| {
                    self.const_labels.contains_key(k) || labels.iter().any(|(l, _)| l == k)
                })
        })
    }
}

/// One series' value, with the name, unit and labels that identify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSnapshot {
    /// The full Prometheus name.
    pub name: Cow<'static, str>,
    /// The unit, empty when none was declared.
    pub unit: Cow<'static, str>,
    /// The series' label values by label name; empty (and left out of JSON) when unlabelled.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<Cow<'static, str>, Cow<'static, str>>,
    /// The value; in serialised form its `kind` tag sits beside `name`.
    #[serde(flatten)]
    pub value: MetricValue,
}

impl MetricSnapshot {
    /// The kind of metric this value is of.
    pub fn kind(&self) -> MetricKind {
        match self.value {
            MetricValue::Counter(_) => MetricKind::Counter,
            MetricValue::Gauge(_) => MetricKind::Gauge,
            MetricValue::Histogram(_) => MetricKind::Histogram,
            MetricValue::Info => MetricKind::Info,
            MetricValue::FloatCounter(_) => MetricKind::Counter,
        }
    }
}

/// The value of one metric, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum MetricValue {
    /// A counter's count.
    Counter(u64),
    /// A gauge's value.
    Gauge(#[serde(with = "float_repr")] f64),
    /// A histogram's buckets, sum and count.
    Histogram(HistogramSnapshot),
    /// An info metric's series: its value is always 1 and what it says is in its labels. In
    /// JSON, `{"kind": "info"}`.
    Info,
    /// A counter of a quantity that is not a whole number, read rather than recorded:
    /// `process_cpu_seconds_total`. In JSON, `{"kind": "float_counter", "value": 1.25}`.
    #[serde(rename = "float_counter")]
    FloatCounter(#[serde(with = "float_repr")] f64),
}

/// A consistent copy of a histogram.
///
/// `buckets` are the cumulative upper bounds, the last always `+Inf`; `counts[i]` is the
/// number of observations `<= buckets[i]` since the last reset, so `counts` never decreases
/// and `counts.last() == Some(&count)`; `sum` is the sum of exactly those `count` observations.
///
/// In JSON the infinite bound is the string `"+Inf"` (and a non-finite sum `"+Inf"`, `"-Inf"`
/// or `"NaN"`), so snapshots round-trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramSnapshot {
    /// Upper bounds, ascending, `+Inf` last.
    #[serde(with = "float_repr::seq")]
    pub buckets: Vec<f64>,
    /// Cumulative observation counts, one per bound.
    pub counts: Vec<u64>,
    /// Sum of all observations.
    #[serde(with = "float_repr")]
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
}

impl HistogramSnapshot {
    /// Estimates the `q`-quantile (0 ≤ q ≤ 1) the way PromQL's `histogram_quantile` does:
    /// linear interpolation inside the bucket that holds the rank. `NaN` when empty or when
    /// `q` is out of range; the highest finite bound when the rank falls in `+Inf`.
    ///
    /// ```
    /// use geno_metrics::HistogramSnapshot;
    /// let s = HistogramSnapshot {
    ///     buckets: vec![1.0, 2.0, f64::INFINITY], counts: vec![0, 10, 10], sum: 15.0, count: 10,
    /// };
    /// assert_eq!(s.quantile(0.5), 1.5);
    /// ```
    pub fn quantile(&self, q: f64) -> f64 {
        self.try_quantile(q).unwrap_or(f64::NAN)
    }

    fn try_quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = q * self.count as f64;
        let i = self.counts.iter().position(|&c| c as f64 >= rank)?;
        let upper = *self.buckets.get(i)?;
        if upper.is_infinite() {
            return self.buckets.get(i.checked_sub(1)?).copied();
        }
        let (lower, below) = match i.checked_sub(1) {
            Some(j) => (*self.buckets.get(j)?, *self.counts.get(j)?),
            None if upper > 0.0 => (0.0, 0),
            None => return Some(upper),
        };
        let in_bucket = self.counts[i].saturating_sub(below) as f64;
        if in_bucket == 0.0 {
            return Some(upper);
        }
        Some(lower + (upper - lower) * (rank - below as f64) / in_bucket)
    }
}

/// Serde for `f64` that writes non-finite values as Prometheus spells them.
pub(crate) mod float_repr {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        match *value {
            v if v.is_finite() => serializer.serialize_f64(v),
            v if v.is_nan() => serializer.serialize_str("NaN"),
            v if v > 0.0 => serializer.serialize_str("+Inf"),
            _ => serializer.serialize_str("-Inf"),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        deserializer.deserialize_any(FloatVisitor)
    }

    struct FloatVisitor;

    impl Visitor<'_> for FloatVisitor {
        type Value = f64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(r#"a number, "+Inf", "-Inf" or "NaN""#)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            match v {
                "+Inf" => Ok(f64::INFINITY),
                "-Inf" => Ok(f64::NEG_INFINITY),
                "NaN" => Ok(f64::NAN),
                other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
            }
        }
    }

    /// The same for a sequence of floats.
    pub(crate) mod seq {
        use serde::ser::SerializeSeq;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        struct Repr(f64);

        impl Serialize for Repr {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                super::serialize(&self.0, serializer)
            }
        }

        impl<'de> Deserialize<'de> for Repr {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                super::deserialize(deserializer).map(Repr)
            }
        }

        pub(crate) fn serialize<S: Serializer>(
            values: &[f64],
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            let mut seq = serializer.serialize_seq(Some(values.len()))?;
            for v in values {
                seq.serialize_element(&Repr(*v))?;
            }
            seq.end()
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Vec<f64>, D::Error> {
            Ok(Vec::<Repr>::deserialize(deserializer)?
                .into_iter()
                .map(|r| r.0)
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(buckets: &[f64], counts: &[u64]) -> HistogramSnapshot {
        let mut b = buckets.to_vec();
        b.push(f64::INFINITY);
        HistogramSnapshot {
            buckets: b,
            counts: counts.to_vec(),
            sum: 0.0,
            count: counts.last().copied().unwrap_or(0),
        }
    }

    #[test]
    fn quantile_interpolates_like_promql() {
        let s = snapshot(&[1.0, 2.0, 4.0], &[10, 20, 20, 20]);
        assert_eq!(s.quantile(0.0), 0.0);
        assert_eq!(s.quantile(0.25), 0.5);
        assert_eq!(s.quantile(0.75), 1.5);
        assert_eq!(s.quantile(1.0), 2.0);
    }

    #[test]
    fn quantile_edge_cases() {
        assert!(snapshot(&[1.0], &[0, 0]).quantile(0.5).is_nan(), "empty");
        assert!(
            snapshot(&[1.0], &[1, 1]).quantile(1.5).is_nan(),
            "q out of range"
        );
        assert!(
            snapshot(&[1.0], &[1, 1]).quantile(f64::NAN).is_nan(),
            "q NaN"
        );
        // Rank in +Inf: the highest finite bound, as histogram_quantile answers.
        assert_eq!(snapshot(&[1.0, 2.0], &[0, 0, 5]).quantile(0.5), 2.0);
        // Negative first bound: no interpolation below it.
        assert_eq!(snapshot(&[-1.0, 1.0], &[4, 4, 4]).quantile(0.5), -1.0);
        // Malformed, hand-built snapshots give NaN, never a panic.
        let broken = HistogramSnapshot {
            buckets: vec![],
            counts: vec![3],
            sum: 0.0,
            count: 3,
        };
        assert!(broken.quantile(0.5).is_nan());
    }

    #[test]
    fn non_finite_floats_round_trip_through_json() {
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            1e300,
            5e-324,
        ] {
            let json = serde_json::to_string(&MetricValue::Gauge(v)).unwrap();
            let MetricValue::Gauge(back) = serde_json::from_str(&json).unwrap() else {
                panic!("kind changed: {json}");
            };
            assert_eq!(back.to_bits(), v.to_bits(), "{json}");
        }
        assert_eq!(
            serde_json::to_string(&MetricValue::Gauge(f64::NAN)).unwrap(),
            r#"{"kind":"gauge","value":"NaN"}"#
        );
    }

    #[test]
    fn integers_read_as_floats_and_unknown_strings_are_errors() {
        let v: MetricValue = serde_json::from_str(r#"{"kind":"gauge","value":3}"#).unwrap();
        assert_eq!(v, MetricValue::Gauge(3.0));
        let err =
            serde_json::from_str::<MetricValue>(r#"{"kind":"gauge","value":"inf"}"#).unwrap_err();
        assert!(
            err.to_string().contains(r#""+Inf", "-Inf" or "NaN""#),
            "{err}"
        );
    }
}
