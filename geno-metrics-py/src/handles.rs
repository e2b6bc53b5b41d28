//! The handle classes `Counter`, `Gauge` and `Histogram`, and the `Timer` of
//! `Histogram.time()`.
//!
//! A handle is a metric of the registry (an unlabelled one, or a labelled family whose
//! `.labels(..)` picks a series) or one series of a family. It holds `'static` references into
//! the registry's statics, so recording from Python is the Rust handle's own atomic operation:
//! the same lock-free path, and the same values Rust code reads.

use std::time::Instant;

use geno_metrics::{
    AnyHistogram, AnyShardedHistogram, Family, Metric, MetricKind, MetricSpec, ShardedCounter,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::labels;
use crate::snapshot::histogram_snapshot;

/// One kind of series a handle class records into: the Rust handles it covers.
pub(crate) trait SeriesKind: Copy + Send + Sync + 'static {
    /// The kind every metric of this class has.
    const KIND: MetricKind;
    /// The series, when `metric` is one of this kind that Python may record into.
    fn from_metric(metric: Metric) -> Option<Self>;
}

/// A counter's series: plain, or sharded (`sharded = true`), which Python records into alike.
#[derive(Clone, Copy)]
pub(crate) enum CounterSeries {
    Plain(&'static geno_metrics::Counter),
    Sharded(&'static ShardedCounter),
}

impl SeriesKind for CounterSeries {
    const KIND: MetricKind = MetricKind::Counter;
    fn from_metric(metric: Metric) -> Option<Self> {
        match metric {
            Metric::Counter(c) => Some(Self::Plain(c)),
            Metric::ShardedCounter(c) => Some(Self::Sharded(c)),
            _ => None,
        }
    }
}

impl SeriesKind for &'static geno_metrics::Gauge {
    const KIND: MetricKind = MetricKind::Gauge;
    fn from_metric(metric: Metric) -> Option<Self> {
        match metric {
            Metric::Gauge(g) => Some(g),
            _ => None,
        }
    }
}

/// A histogram's series: plain, or sharded (`sharded = true`).
#[derive(Clone, Copy)]
pub(crate) enum HistogramSeries {
    Plain(&'static AnyHistogram),
    Sharded(&'static dyn AnyShardedHistogram),
}

impl HistogramSeries {
    fn observe(self, value: f64) {
        match self {
            Self::Plain(h) => h.observe(value),
            Self::Sharded(h) => h.observe(value),
        }
    }
}

impl SeriesKind for HistogramSeries {
    const KIND: MetricKind = MetricKind::Histogram;
    fn from_metric(metric: Metric) -> Option<Self> {
        match metric {
            Metric::Histogram(h) => Some(Self::Plain(h)),
            Metric::ShardedHistogram(h) => Some(Self::Sharded(h)),
            _ => None,
        }
    }
}

/// What a handle object stands for: a series to record into, or a labelled family whose
/// series `.labels(..)` picks.
#[derive(Clone, Copy)]
pub(crate) enum Target<S> {
    /// An unlabelled metric, or one series of a family.
    Series {
        series: S,
        spec: &'static MetricSpec,
        /// Whether it is one series of a labelled family (picked by `.labels(..)`).
        picked: bool,
    },
    /// A labelled metric, as `get_counter` and the like return it.
    Family(&'static dyn Family),
}

impl<S: SeriesKind> Target<S> {
    /// The handle of a registry entry, when it is of this kind and Python may record into it:
    /// not an info metric, nor a collector's.
    pub(crate) fn of(metric: Metric) -> Option<Self> {
        let spec = metric.spec();
        if spec.kind != S::KIND || spec.collector.is_some() {
            return None;
        }
        match metric {
            Metric::Family(family) => Some(Self::Family(family)),
            other => S::from_metric(other).map(|series| Self::Series {
                series,
                spec,
                picked: false,
            }),
        }
    }

    fn spec(&self) -> &'static MetricSpec {
        match self {
            Self::Series { spec, .. } => spec,
            Self::Family(family) => family.spec(),
        }
    }

    /// The series to record into; a `ValueError` naming the labels for a family.
    #[inline]
    fn series(&self) -> PyResult<S> {
        match self {
            Self::Series { series, .. } => Ok(*series),
            Self::Family(family) => Err(labels::missing_labels(family.spec())),
        }
    }

    /// The series `.labels(*values, **named)` picks, validated against the declaration.
    fn labels(
        &self,
        values: &Bound<'_, PyTuple>,
        named: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let family = match self {
            Self::Family(family) => *family,
            Self::Series { spec, picked, .. } => return Err(labels::no_labels(spec, *picked)),
        };
        let metric = labels::series(family, values, named)?;
        let series = S::from_metric(metric).ok_or_else(|| {
            PyTypeError::new_err(format!(
                "metric '{}' gave a series of another kind; this is a bug in geno_metrics",
                family.spec().name
            ))
        })?;
        Ok(Self::Series {
            series,
            spec: family.spec(),
            picked: true,
        })
    }

    fn label_names<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.spec().labels.iter().map(|l| l.name))
    }

    fn repr(&self, class: &str) -> String {
        let spec = self.spec();
        match self {
            Self::Family(_) => {
                let names: Vec<&str> = spec.labels.iter().map(|l| l.name).collect();
                format!("<{class} '{}' labels=({})>", spec.name, names.join(", "))
            }
            Self::Series { picked: true, .. } => format!("<{class} '{}' one series>", spec.name),
            Self::Series { .. } => format!("<{class} '{}'>", spec.name),
        }
    }
}

/// `#[pymethods]` of a handle class: its own methods, and those every handle has (`labels`,
/// `name`, `label_names`, `__repr__`). pyo3 takes one `#[pymethods]` block per class.
macro_rules! handle_methods {
    ($class:ident { $($own:tt)* }) => {
        #[pymethods]
        impl $class {
            $($own)*

            /// The series of these label values: `labels(model="x", status="ok")`, or
            /// positionally in declaration order.
            #[pyo3(signature = (*values, **named))]
            fn labels(
                &self,
                values: &Bound<'_, PyTuple>,
                named: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<Self> {
                self.0.labels(values, named).map(Self)
            }

            /// The metric's name.
            #[getter]
            fn name(&self) -> &'static str {
                self.0.spec().name
            }

            /// The metric's label names, in declaration order.
            #[getter]
            fn label_names<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                self.0.label_names(py)
            }

            fn __repr__(&self) -> String {
                self.0.repr(stringify!($class))
            }
        }
    };
}

/// A counter of the registry: a whole number that only goes up.
///
/// Get one with `get_counter(name)`; it is not constructed. A labelled counter records
/// through `.labels(..)`.
#[pyclass(frozen, module = "geno_metrics", name = "Counter")]
pub(crate) struct Counter(pub(crate) Target<CounterSeries>);

handle_methods! {
    Counter {
        /// Adds `amount` (a whole number, at least 0; 1 by default).
        #[pyo3(signature = (amount = None))]
        fn inc(&self, amount: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
            let series = self.0.series()?;
            let by = match amount {
                None => 1,
                Some(amount) => amount.extract::<u64>().map_err(|e| {
                    let negative = amount.lt(0).unwrap_or(false);
                    if negative {
                        PyValueError::new_err(format!(
                            "counters only go up: inc({amount}) on '{}'; a value that goes down is a gauge",
                            self.0.spec().name
                        ))
                    } else {
                        e
                    }
                })?,
            };
            match series {
                CounterSeries::Plain(c) => c.inc_by(by),
                CounterSeries::Sharded(c) => c.inc_by(by),
            }
            Ok(())
        }

        /// The count.
        fn get(&self) -> PyResult<u64> {
            Ok(match self.0.series()? {
                CounterSeries::Plain(c) => c.get(),
                CounterSeries::Sharded(c) => c.get(),
            })
        }
    }
}

/// A gauge of the registry: a float that goes up and down.
///
/// Get one with `get_gauge(name)`; it is not constructed.
#[pyclass(frozen, module = "geno_metrics", name = "Gauge")]
pub(crate) struct Gauge(pub(crate) Target<&'static geno_metrics::Gauge>);

handle_methods! {
    Gauge {
        /// Sets the value (any float, NaN and infinities included).
        fn set(&self, value: f64) -> PyResult<()> {
            self.0.series()?.set(value);
            Ok(())
        }

        /// Adds `amount` (1 by default).
        #[pyo3(signature = (amount = 1.0))]
        fn inc(&self, amount: f64) -> PyResult<()> {
            self.0.series()?.add(amount);
            Ok(())
        }

        /// Subtracts `amount` (1 by default).
        #[pyo3(signature = (amount = 1.0))]
        fn dec(&self, amount: f64) -> PyResult<()> {
            self.0.series()?.sub(amount);
            Ok(())
        }

        /// The value.
        fn get(&self) -> PyResult<f64> {
            Ok(self.0.series()?.get())
        }
    }
}

/// A histogram of the registry: observations counted into its declared buckets.
///
/// Get one with `get_histogram(name)`; it is not constructed.
#[pyclass(frozen, module = "geno_metrics", name = "Histogram")]
pub(crate) struct Histogram(pub(crate) Target<HistogramSeries>);

handle_methods! {
    Histogram {
        /// Counts `value` into its bucket and adds it to the sum. NaN is dropped (it would make
        /// the sum NaN for good).
        fn observe(&self, value: f64) -> PyResult<()> {
            self.0.series()?.observe(value);
            Ok(())
        }

        /// A consistent copy: `buckets` (upper bounds, `inf` last), cumulative `counts`, `sum`
        /// and `count`, since the last `reset()`.
        fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
            let snapshot = match self.0.series()? {
                HistogramSeries::Plain(h) => h.snapshot(),
                HistogramSeries::Sharded(h) => h.snapshot(),
            };
            histogram_snapshot(py, &snapshot)
        }

        /// Empties every bucket and the sum and count.
        fn reset(&self) -> PyResult<()> {
            match self.0.series()? {
                HistogramSeries::Plain(h) => h.reset(),
                HistogramSeries::Sharded(h) => h.reset(),
            }
            Ok(())
        }

        /// A context manager that observes the seconds its block took, also when it raises.
        fn time(&self) -> PyResult<Timer> {
            Ok(Timer {
                series: self.0.series()?,
                started: std::sync::Mutex::new(None),
            })
        }


        /// The bucket upper bounds, `inf` last, as `snapshot()["buckets"]`.
        #[getter]
        fn buckets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
            let mut bounds = self.0.spec().buckets.to_vec();
            bounds.push(f64::INFINITY);
            PyTuple::new(py, bounds)
        }
    }
}

/// Times a block for `Histogram.time()`: `with histogram.time(): ...`.
#[pyclass(frozen, module = "geno_metrics", name = "Timer")]
pub(crate) struct Timer {
    series: HistogramSeries,
    started: std::sync::Mutex<Option<Instant>>,
}

#[pymethods]
impl Timer {
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        *slf.get()
            .started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
        slf
    }

    /// Observes the elapsed seconds; never swallows the block's exception.
    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, _exc_info: &Bound<'_, PyTuple>) -> bool {
        let started = self
            .started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(started) = started {
            self.series.observe(started.elapsed().as_secs_f64());
        }
        false
    }
}
