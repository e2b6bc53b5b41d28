//! Snapshots as Python values: a `HistogramSnapshot` dict, and `snapshot_all()`'s dict of
//! every series, shaped like the registry's JSON snapshot.

use geno_metrics::{HistogramSnapshot, MetricValue, Snapshot};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// `{"buckets": [...], "counts": [...], "sum": float, "count": int}`: bounds with `inf`
/// last, cumulative counts, as one consistent copy gave them.
pub(crate) fn histogram_snapshot<'py>(
    py: Python<'py>,
    snapshot: &HistogramSnapshot,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("buckets", PyList::new(py, &snapshot.buckets)?)?;
    dict.set_item("counts", PyList::new(py, &snapshot.counts)?)?;
    dict.set_item("sum", snapshot.sum)?;
    dict.set_item("count", snapshot.count)?;
    Ok(dict)
}

/// `{"const_labels": {...}, "metrics": [{"name", "unit", "kind", "labels", "value"}, ...]}`:
/// one entry per series in registry order. A value is an `int` (counter), a `float` (gauge,
/// and a counter read from the process), a `HistogramSnapshot`, or `1` (an info metric, whose
/// labels say what it says).
pub(crate) fn snapshot_all<'py>(
    py: Python<'py>,
    snapshot: &Snapshot,
) -> PyResult<Bound<'py, PyDict>> {
    let metrics = PyList::empty(py);
    for series in &snapshot.metrics {
        let entry = PyDict::new(py);
        entry.set_item("name", &*series.name)?;
        entry.set_item("unit", &*series.unit)?;
        entry.set_item("kind", series.kind().as_str())?;
        let labels = PyDict::new(py);
        for (name, value) in &series.labels {
            labels.set_item(&**name, &**value)?;
        }
        entry.set_item("labels", labels)?;
        match &series.value {
            MetricValue::Counter(count) => entry.set_item("value", count)?,
            MetricValue::Gauge(value) | MetricValue::FloatCounter(value) => {
                entry.set_item("value", value)?;
            }
            MetricValue::Histogram(histogram) => {
                entry.set_item("value", histogram_snapshot(py, histogram)?)?;
            }
            MetricValue::Info => entry.set_item("value", 1)?,
        }
        metrics.append(entry)?;
    }
    let const_labels = PyDict::new(py);
    for (name, value) in &snapshot.const_labels {
        const_labels.set_item(&**name, &**value)?;
    }
    let all = PyDict::new(py);
    all.set_item("const_labels", const_labels)?;
    all.set_item("metrics", metrics)?;
    Ok(all)
}
