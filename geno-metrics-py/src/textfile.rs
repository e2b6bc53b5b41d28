//! What reads the whole registry: `snapshot_all()`, `metrics_path()` and
//! `export_prometheus_textfile(path=None)`, the runtime's own calls.
//!
//! Each runs with the thread detached from the interpreter, so Python threads keep
//! recording while an export writes and fsyncs, and so that Python sync hooks, which attach
//! again, never wait on a thread that holds the interpreter while it waits for the export's
//! lock.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::hooks::{self, FailedCall};
use crate::metrics::METRICS;
use crate::snapshot;

/// Where `export_prometheus_textfile()` writes by default: `$GENO_LEWM_LOG_DIR/metrics.prom`,
/// or `metrics.prom` in the current directory when the variable is unset or empty. With
/// constant labels the file is named from their values, in that directory.
#[pyfunction]
pub(crate) fn metrics_path() -> PathBuf {
    geno_metrics::metrics_path()
}

/// Runs the sync hooks, then replaces the file at `path` (default: see `metrics_path()`)
/// atomically with the text exposition, creating its directory. Returns where it wrote.
///
/// # Errors
///
/// `OSError` (or a subclass: `PermissionError`, `FileNotFoundError`, ...) naming the path
/// and the failed step; the previous file is left as it was. A sync hook that raised makes
/// the export fail the same way, with the hook's exception as the `__cause__`.
#[pyfunction]
#[pyo3(signature = (path = None))]
pub(crate) fn export_prometheus_textfile(
    py: Python<'_>,
    path: Option<PathBuf>,
) -> PyResult<PathBuf> {
    hooks::forget_failure();
    let written = py.detach(|| METRICS.export_prometheus_textfile(path.as_deref()));
    written.map_err(|error| hooks::caught(py, FailedCall::Export).unwrap_or_else(|| error.into()))
}

/// Runs the sync hooks and copies every series of the registry (see `Snapshot` in the stubs).
///
/// # Errors
///
/// `RuntimeError` when a sync hook raised (its exception is the `__cause__`) or a Rust one
/// panicked.
#[pyfunction]
pub(crate) fn snapshot_all(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    hooks::forget_failure();
    let taken = py.detach(|| catch_unwind(AssertUnwindSafe(|| METRICS.snapshot_all())));
    match taken {
        Ok(taken) => snapshot::snapshot_all(py, &taken),
        Err(panic) => Err(hooks::caught(py, FailedCall::Snapshot).unwrap_or_else(|| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            PyRuntimeError::new_err(format!(
                "cannot snapshot metrics: a sync hook panicked: {message}"
            ))
        })),
    }
}
