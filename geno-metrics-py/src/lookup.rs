//! `get_counter`, `get_gauge`, `get_histogram`: the registry's metrics by name, validated,
//! each name always answered with the same handle object.
//!
//! The handles are made once, when the module is imported, one per metric Python may record
//! into. Info metrics and collectors' metrics (`process_*`, `*_build_info`) have none: they
//! are in `METRICS` and in `snapshot_all()`, and asking for one is a `TypeError` that says
//! what it is.

use geno_metrics::{LookupError, Metric, MetricKind};
use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::handles::{Counter, Gauge, Histogram, Target};
use crate::metrics::METRICS;

/// One metric's handle object, made once.
enum Handle {
    Counter(Py<Counter>),
    Gauge(Py<Gauge>),
    Histogram(Py<Histogram>),
    /// An info metric or a collector's: nothing Python records into.
    None,
}

/// Every metric's handle, in registry order.
static HANDLES: PyOnceLock<Vec<Handle>> = PyOnceLock::new();

/// Makes every handle; the module's initialisation calls it.
pub(crate) fn make_handles(py: Python<'_>) -> PyResult<()> {
    let mut handles = Vec::with_capacity(METRICS.len());
    for metric in METRICS.iter() {
        let handle = if let Some(target) = Target::of(metric) {
            Handle::Counter(Py::new(py, Counter(target))?)
        } else if let Some(target) = Target::of(metric) {
            Handle::Gauge(Py::new(py, Gauge(target))?)
        } else if let Some(target) = Target::of(metric) {
            Handle::Histogram(Py::new(py, Histogram(target))?)
        } else {
            Handle::None
        };
        handles.push(handle);
    }
    // A second import in the process (a subinterpreter) keeps the first one's handles.
    let _ = HANDLES.set(py, handles);
    Ok(())
}

/// The counter called `name`.
///
/// # Errors
///
/// `KeyError` for an unknown name, with the closest declared one; `TypeError` naming the
/// expected and the found kind otherwise.
#[pyfunction]
pub(crate) fn get_counter(py: Python<'_>, name: &str) -> PyResult<Py<Counter>> {
    match find(py, name, MetricKind::Counter)? {
        Handle::Counter(handle) => Ok(handle.clone_ref(py)),
        _ => Err(wrong_kind(name, MetricKind::Counter)),
    }
}

/// The gauge called `name`.
///
/// # Errors
///
/// As `get_counter`.
#[pyfunction]
pub(crate) fn get_gauge(py: Python<'_>, name: &str) -> PyResult<Py<Gauge>> {
    match find(py, name, MetricKind::Gauge)? {
        Handle::Gauge(handle) => Ok(handle.clone_ref(py)),
        _ => Err(wrong_kind(name, MetricKind::Gauge)),
    }
}

/// The histogram called `name`.
///
/// # Errors
///
/// As `get_counter`.
#[pyfunction]
pub(crate) fn get_histogram(py: Python<'_>, name: &str) -> PyResult<Py<Histogram>> {
    match find(py, name, MetricKind::Histogram)? {
        Handle::Histogram(handle) => Ok(handle.clone_ref(py)),
        _ => Err(wrong_kind(name, MetricKind::Histogram)),
    }
}

/// The handle of the metric called `name`, of whatever kind.
fn find<'a>(py: Python<'a>, name: &str, expected: MetricKind) -> PyResult<&'a Handle> {
    let index = METRICS.specs().iter().position(|spec| spec.name == name);
    let handle = index.and_then(|index| HANDLES.get(py)?.get(index));
    handle.ok_or_else(|| unknown(name, expected))
}

/// `KeyError`: no metric is called `name`.
fn unknown(name: &str, expected: MetricKind) -> PyErr {
    let suggestion = match METRICS.get(name) {
        Err(LookupError::Unknown { suggestion, .. }) => suggestion,
        _ => None,
    };
    let message = match suggestion {
        Some(closest) => format!("no metric named '{name}'; did you mean '{closest}'?"),
        None => format!(
            "no {expected} named '{name}' (nor any metric): geno_metrics.METRICS lists the declared ones"
        ),
    };
    PyKeyError::new_err(message)
}

/// `TypeError`: the metric called `name` is not a `expected` Python can record into.
fn wrong_kind(name: &str, expected: MetricKind) -> PyErr {
    let Ok(metric) = METRICS.get(name) else {
        return unknown(name, expected);
    };
    let spec = metric.spec();
    let found = spec.kind;
    let message = match (spec.collector, metric) {
        (Some(collector), _) => {
            let what = match found {
                MetricKind::Info => "an info metric".to_owned(),
                other => format!("a {other}"),
            };
            format!(
                "metric '{name}' is {what} that the {collector} collector reads at each exposition, not a {expected} to record into; read it from snapshot_all()"
            )
        }
        (None, Metric::Info(_)) => format!(
            "metric '{name}' is an info metric, not a {expected}: Rust code sets its label values through its handle, and snapshot_all() shows them"
        ),
        (None, _) => {
            format!("metric '{name}' is a {found}, not a {expected}; use get_{found}('{name}')")
        }
    };
    PyTypeError::new_err(message)
}
