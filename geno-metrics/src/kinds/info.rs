//! [`Info`]: a set of label values that describes the process, exposed with the value 1.

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

use crate::spec::{MetricKind, MetricSpec};

/// An info metric (`kind = "info"`): a description of the process that changes rarely, e.g.
/// which model and checkpoint an inference service has loaded, exposed as one series whose
/// labels carry the description and whose value is always 1.
///
/// It holds one set of label values at a time, as client_python's `Info` does: each
/// [`set`](Self::set) replaces the previous values, so a series for an old checkpoint
/// disappears with the next scrape instead of staying beside the new one. Until the first
/// `set` (and after [`clear`](Self::clear)) the family has no series. Queries join it to
/// other series by the labels they share (`* on(rank) group_left(checkpoint) model_info`).
///
/// The exposition follows OpenMetrics: `# TYPE <family> info`, where the family is the name
/// without `_info`, and the sample `<name>{...} 1`. The text format 0.0.4 has no info type;
/// there it is a gauge of value 1, which is how client_golang's `go_build_info` is written.
///
/// `N` is the number of labels, checked against the spec at compile time. `registry!`
/// generates a type per info metric whose `set` names each label; [`set`](Self::set) here
/// takes the values in declaration order. Setting is not a hot path: it takes a lock and
/// copies the values; exposition reads them under the same lock.
///
/// ```
/// use geno_metrics::{Info, LabelSpec, MetricKind, MetricSpec};
/// static SPEC: MetricSpec = MetricSpec::new("demo_model_info", MetricKind::Info, "The model loaded.")
///     .with_labels(&[LabelSpec::info("model"), LabelSpec::info("checkpoint")]);
/// static MODEL_INFO: Info<2> = Info::new(&SPEC);
///
/// assert_eq!(MODEL_INFO.get(), None);
/// MODEL_INFO.set(["genolm-small", "ckpt-000100"]);
/// MODEL_INFO.set(["genolm-small", "ckpt-000200"]); // replaces the first
/// assert_eq!(
///     MODEL_INFO.get(),
///     Some(["genolm-small".to_owned(), "ckpt-000200".to_owned()])
/// );
/// MODEL_INFO.clear();
/// assert_eq!(MODEL_INFO.get(), None);
/// ```
#[derive(Debug)]
pub struct Info<const N: usize> {
    values: Mutex<Option<[Cow<'static, str>; N]>>,
    spec: &'static MetricSpec,
}

impl<const N: usize> Info<N> {
    /// An info metric with no values yet: no series until the first [`set`](Self::set).
    ///
    /// # Panics
    ///
    /// At compile time (in a static) when `spec` is not an info metric's, its name does not
    /// end in `_info`, or it does not declare `N` labels.
    pub const fn new(spec: &'static MetricSpec) -> Self {
        Self::check(spec);
        Self {
            values: Mutex::new(None),
            spec,
        }
    }

    const fn check(spec: &'static MetricSpec) {
        assert!(
            matches!(spec.kind, MetricKind::Info),
            "Info::new needs an info metric's MetricSpec"
        );
        assert!(
            spec.labels.len() == N,
            "Info::<N>::new needs a MetricSpec with N labels"
        );
        // OpenMetrics names the family without `_info` and the sample with it.
        let name = spec.name.as_bytes();
        let suffix = b"_info";
        let mut ok = name.len() > suffix.len();
        let mut i = 0;
        while ok && i < suffix.len() {
            ok = name[name.len() - suffix.len() + i] == suffix[i];
            i += 1;
        }
        assert!(ok, "an info metric's name ends in `_info`");
    }

    /// An info metric whose values are known when the program is built, e.g. its version:
    /// set from the start, as the `build_info` collector's is.
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new).
    pub const fn with_values(spec: &'static MetricSpec, values: [&'static str; N]) -> Self {
        Self::check(spec);
        let mut set = [const { Cow::Borrowed("") }; N];
        let mut i = 0;
        while i < N {
            // The value replaced is a borrowed "": nothing to drop.
            std::mem::forget(std::mem::replace(&mut set[i], Cow::Borrowed(values[i])));
            i += 1;
        }
        Self {
            values: Mutex::new(Some(set)),
            spec,
        }
    }

    /// Replaces the label values, in the order the labels are declared. Any strings: the
    /// exposition escapes them. A label whose value is empty is left out of every exposition
    /// and snapshot, since Prometheus reads a label with an empty value as no label at all.
    pub fn set(&self, values: [&str; N]) {
        let values = values.map(|v| Cow::Owned(v.to_owned()));
        *self.values.lock().unwrap_or_else(PoisonError::into_inner) = Some(values);
    }

    /// Removes the values: the family has no series until the next [`set`](Self::set).
    pub fn clear(&self) {
        *self.values.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The current label values, in declaration order; `None` before the first `set` or
    /// after `clear`.
    pub fn get(&self) -> Option<[String; N]> {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values.as_ref().map(|v| v.each_ref().map(|s| s.to_string()))
    }

    /// What `metrics.toml` declares about the metric.
    pub fn spec(&self) -> &'static MetricSpec {
        self.spec
    }
}

/// An [`Info`] of any label count, as the registry hands it out.
pub trait AnyInfo: Sync + std::fmt::Debug {
    /// What `metrics.toml` declares about the metric.
    fn spec(&self) -> &'static MetricSpec;

    /// Calls `each` with the current label values, in declaration order, under the metric's
    /// lock; does not call it when the metric has no values.
    fn with_values(&self, each: &mut dyn FnMut(&[Cow<'static, str>]));
}

impl<const N: usize> AnyInfo for Info<N> {
    fn spec(&self) -> &'static MetricSpec {
        self.spec
    }

    fn with_values(&self, each: &mut dyn FnMut(&[Cow<'static, str>])) {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(values) = values.as_ref() {
            each(values);
        }
    }
}

/// The labels an info metric's one series carries, `(name, value)` in declaration order, from
/// the values of its last `set`: a label whose value is empty is left out, since Prometheus
/// reads it as no label at all. Every exposition and the snapshot go through this.
pub(crate) fn exposed_labels<'a>(
    spec: &'static MetricSpec,
    values: &'a [Cow<'static, str>],
) -> impl Iterator<Item = (&'static str, &'a str)> {
    spec.labels
        .iter()
        .zip(values)
        .filter(|(_, value)| !value.is_empty())
        .map(|(label, value)| (label.name, &**value))
}
