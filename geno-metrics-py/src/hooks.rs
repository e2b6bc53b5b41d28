//! Python sync hooks: callables that run right before every snapshot and exposition of the
//! registry, whoever asks for it (Python, or Rust code in the same process).
//!
//! The registry takes hooks as plain `fn()`s. So Python's callables live in one list here,
//! behind one Rust hook, added to the registry with the first Python hook. That hook attaches
//! to the interpreter (from whichever thread exports) and calls them in order. A callable
//! that raises stops the ones after it, as a panicking Rust hook does: its exception is kept
//! for the thread that exports, and the Rust hook unwinds with a message naming it, which the
//! registry turns into the export's error. Python callers then see the exception as the
//! cause of the failed call (see `caught`); Rust callers see the export's error message.

use std::cell::RefCell;
use std::sync::{Mutex, Once, PoisonError};

use pyo3::exceptions::{PyException, PyOSError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;

use crate::metrics::METRICS;

/// The Python hooks, in the order added.
static HOOKS: Mutex<Vec<Py<PyAny>>> = Mutex::new(Vec::new());

/// Adds the one Rust hook that runs `HOOKS`, once.
static INSTALL: Once = Once::new();

thread_local! {
    /// The exception of the hook that failed last on this thread, with its description.
    static FAILED: RefCell<Option<(String, PyErr)>> = const { RefCell::new(None) };
}

/// Adds `hook`, a callable without arguments, to run right before every `snapshot_all()`
/// and export, from Python or from Rust code in the process. Its return value is ignored.
///
/// # Errors
///
/// `TypeError` when `hook` is not callable.
#[pyfunction]
pub(crate) fn add_sync_hook(hook: &Bound<'_, PyAny>) -> PyResult<()> {
    if !hook.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "add_sync_hook takes a callable without arguments, not {}",
            hook.repr()?
        )));
    }
    HOOKS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(hook.clone().unbind());
    INSTALL.call_once(|| METRICS.add_sync_hook(run_python_hooks));
    Ok(())
}

/// The Rust hook: calls every Python hook; unwinds (without the panic hook's message, as
/// the registry reports it) when one raises. While the interpreter shuts down, there is no
/// Python to call, and the export goes on with the values the registry holds.
fn run_python_hooks() {
    let failed = Python::try_attach(|py| {
        let hooks: Vec<Py<PyAny>> = HOOKS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|hook| hook.clone_ref(py))
            .collect();
        hooks.iter().find_map(|hook| {
            let error = hook.call0(py).err()?;
            Some((
                format!("sync hook {} raised {error}", describe(hook.bind(py))),
                error,
            ))
        })
    })
    .flatten();
    if let Some((message, error)) = failed {
        FAILED.with(|slot| *slot.borrow_mut() = Some((message.clone(), error)));
        std::panic::resume_unwind(Box::new(message));
    }
}

/// A hook as a message names it: `module.function` for a function, else its `repr()`.
fn describe(hook: &Bound<'_, PyAny>) -> String {
    let attribute = |name: &str| -> Option<String> { hook.getattr(name).ok()?.extract().ok() };
    match (attribute("__module__"), attribute("__qualname__")) {
        (Some(module), Some(name)) => format!("{module}.{name}"),
        _ => hook
            .repr()
            .map_or_else(|_| "<hook>".to_owned(), |r| r.to_string()),
    }
}

/// Forgets an earlier failure on this thread: a call starts with none.
pub(crate) fn forget_failure() {
    FAILED.with(|slot| slot.borrow_mut().take());
}

/// The exception a call raises when a Python hook failed during it (else `None`): an
/// exception of `kind` that names the hook, with the hook's exception as its `__cause__`.
/// What is not an `Exception` (`KeyboardInterrupt`, `SystemExit`) is raised as it is, so that
/// Ctrl-C still stops the program rather than becoming a failed export.
pub(crate) fn caught(py: Python<'_>, kind: FailedCall) -> Option<PyErr> {
    let (message, cause) = FAILED.with(|slot| slot.borrow_mut().take())?;
    if !cause.is_instance_of::<PyException>(py) {
        return Some(cause);
    }
    let error = match kind {
        FailedCall::Export => PyOSError::new_err(format!("cannot export metrics: {message}")),
        FailedCall::Snapshot => {
            PyRuntimeError::new_err(format!("cannot snapshot metrics: {message}"))
        }
    };
    error.set_cause(py, Some(cause));
    Some(error)
}

/// Which call a hook failed in.
#[derive(Clone, Copy)]
pub(crate) enum FailedCall {
    /// `export_prometheus_textfile`: `OSError`, as any failed export.
    Export,
    /// `snapshot_all`: `RuntimeError`.
    Snapshot,
}
