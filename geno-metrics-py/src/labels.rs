//! `.labels(..)`: label values from Python, by name or by position, checked against the
//! metric's declaration, and the errors that say what the declaration wants.

use std::borrow::Cow;

use geno_metrics::{Family, LabelValues, Metric, MetricSpec};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

/// The series of `family` for the label values given positionally (`values`, in declaration
/// order) or by name (`named`), as client_python's `labels()` takes them. A value that is not
/// a `str` is converted with `str()`, as client_python does.
///
/// # Errors
///
/// `ValueError` for values given both ways, a missing or unknown label, a wrong count, or a
/// value an enumerated label does not declare. Nothing is recorded or allocated then.
pub(crate) fn series(
    family: &'static dyn Family,
    values: &Bound<'_, PyTuple>,
    named: Option<&Bound<'_, PyDict>>,
) -> PyResult<Metric> {
    let spec = family.spec();
    let named = named.filter(|named| !named.is_empty());
    let given: Vec<Bound<'_, PyString>> = match named {
        None => by_position(spec, values)?,
        Some(named) if values.is_empty() => by_name(spec, named)?,
        Some(_) => {
            return Err(PyValueError::new_err(format!(
                "metric '{}': give its label values by name or by position, not both",
                spec.name
            )));
        }
    };
    let texts = given
        .iter()
        .map(|value| value.to_str())
        .collect::<PyResult<Vec<&str>>>()?;
    family
        .with_values(&texts)
        .ok_or_else(|| not_declared(spec, &texts))
}

fn by_position<'py>(
    spec: &MetricSpec,
    values: &Bound<'py, PyTuple>,
) -> PyResult<Vec<Bound<'py, PyString>>> {
    if values.len() != spec.labels.len() {
        return Err(PyValueError::new_err(format!(
            "metric '{}' takes {} label value(s) ({}), {} given",
            spec.name,
            spec.labels.len(),
            label_list(spec),
            values.len()
        )));
    }
    values.iter().map(|value| text(&value)).collect()
}

fn by_name<'py>(
    spec: &MetricSpec,
    named: &Bound<'py, PyDict>,
) -> PyResult<Vec<Bound<'py, PyString>>> {
    let mut slots: Vec<Option<Bound<'py, PyString>>> = vec![None; spec.labels.len()];
    for (name, value) in named.iter() {
        let name = name.cast::<PyString>()?.to_cow()?;
        let Some(slot) = spec
            .labels
            .iter()
            .position(|label| label.name == name)
            .and_then(|at| slots.get_mut(at))
        else {
            return Err(PyValueError::new_err(format!(
                "metric '{}' has no label '{name}'; its labels are {}",
                spec.name,
                label_list(spec)
            )));
        };
        *slot = Some(text(&value)?);
    }
    slots
        .into_iter()
        .zip(spec.labels)
        .map(|(slot, label)| {
            slot.ok_or_else(|| {
                PyValueError::new_err(format!(
                    "metric '{}' needs a value for its label '{}' (its labels are {})",
                    spec.name,
                    label.name,
                    label_list(spec)
                ))
            })
        })
        .collect()
}

/// `value` itself when it is a `str`, else `str(value)`.
fn text<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    match value.cast::<PyString>() {
        Ok(text) => Ok(text.clone()),
        Err(_) => value.str(),
    }
}

/// Why `values` (the right count) found no series: an enumerated label does not declare one.
fn not_declared(spec: &MetricSpec, values: &[&str]) -> PyErr {
    for (label, value) in spec.labels.iter().zip(values) {
        if let LabelValues::Enumerated(known) = label.values
            && !known.contains(value)
        {
            let known: Vec<String> = known.iter().map(|v| format!("'{v}'")).collect();
            return PyValueError::new_err(format!(
                "'{value}' is not a value of label '{}' of metric '{}': it takes {}",
                label.name,
                spec.name,
                known.join(", ")
            ));
        }
    }
    PyValueError::new_err(format!(
        "metric '{}' has no series for the label values {values:?}",
        spec.name
    ))
}

/// The error for recording into a labelled metric without picking a series.
pub(crate) fn missing_labels(spec: &MetricSpec) -> PyErr {
    let example: Vec<String> = spec
        .labels
        .iter()
        .map(|label| format!("{}={}", label.name, example_value(label.values)))
        .collect();
    PyValueError::new_err(format!(
        "metric '{}' has labels: pick a series with .labels({}) first",
        spec.name,
        example.join(", ")
    ))
}

/// The error for `.labels(..)` on what is one series already.
pub(crate) fn no_labels(spec: &MetricSpec, picked: bool) -> PyErr {
    let why = if picked {
        "is one series of its metric already"
    } else {
        "has no labels"
    };
    PyValueError::new_err(format!(
        "'{}' {why}: record into it without .labels(..)",
        spec.name
    ))
}

/// A value to show in an example call: the first declared one, or a placeholder.
fn example_value(values: LabelValues) -> Cow<'static, str> {
    match values {
        LabelValues::Enumerated([first, ..]) => format!("'{first}'").into(),
        _ => "'...'".into(),
    }
}

/// `model, status`: the metric's label names in declaration order.
fn label_list(spec: &MetricSpec) -> String {
    let names: Vec<&str> = spec.labels.iter().map(|label| label.name).collect();
    names.join(", ")
}
