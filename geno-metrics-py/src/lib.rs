//! The Python module `geno_metrics`: the registry of one `metrics.toml`, from Python.
//!
//! This crate is the module's native part, `geno_metrics._native`; `python/geno_metrics/`
//! holds its Python part (`METRICS`, the typed dicts, the example) and the type stubs. The
//! registry is chosen when the module is built (see `build.rs`): the workspace's
//! `metrics.toml`, or the file `$GENO_METRICS_TOML` names. `registry!` compiles it into this
//! crate as [`metrics`], the typed statics Rust code records through, and every Python
//! handle points at those same statics: Python and the Rust code of the module share one
//! registry, one set of values and one exported file.
//!
//! Rust code that records into the registry goes into this crate, beside `genolewm.rs` (the
//! workspace registry's own), so that it links against the same statics: a second extension
//! module compiling the same `metrics.toml` would have a registry of its own.
//!
//! Rooms: `handles.rs` (the `Counter`, `Gauge` and `Histogram` classes), `labels.rs`
//! (`.labels(..)`), `lookup.rs` (`get_counter` and the like), `snapshot.rs` (snapshots as
//! Python values), `hooks.rs` (Python sync hooks), `textfile.rs` (`metrics_path`,
//! `snapshot_all`, `export_prometheus_textfile`).

#![forbid(unsafe_code)]

#[cfg(geno_lewm_registry)]
mod genolewm;
mod handles;
mod hooks;
mod labels;
mod lookup;
mod snapshot;
mod textfile;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// The registry the module was built from: one typed static per metric, and `METRICS`.
pub mod metrics {
    include!(concat!(env!("OUT_DIR"), "/registry.rs"));
}

/// `geno_metrics._native`, which `geno_metrics` re-exports.
#[pymodule]
#[pyo3(name = "_native")]
fn native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    lookup::make_handles(module.py())?;
    module.add_class::<handles::Counter>()?;
    module.add_class::<handles::Gauge>()?;
    module.add_class::<handles::Histogram>()?;
    module.add_class::<handles::Timer>()?;
    module.add_function(wrap_pyfunction!(lookup::get_counter, module)?)?;
    module.add_function(wrap_pyfunction!(lookup::get_gauge, module)?)?;
    module.add_function(wrap_pyfunction!(lookup::get_histogram, module)?)?;
    module.add_function(wrap_pyfunction!(textfile::metrics_path, module)?)?;
    module.add_function(wrap_pyfunction!(
        textfile::export_prometheus_textfile,
        module
    )?)?;
    module.add_function(wrap_pyfunction!(textfile::snapshot_all, module)?)?;
    module.add_function(wrap_pyfunction!(hooks::add_sync_hook, module)?)?;
    module.add("METRIC_ROWS", metric_rows(module.py())?)?;
    #[cfg(geno_lewm_registry)]
    genolewm::add_to(module)?;
    Ok(())
}

/// `(name, kind, unit, summary)` of every metric, in file order: what `METRICS` is made of.
fn metric_rows(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
    let rows = metrics::METRICS
        .specs()
        .iter()
        .map(|spec| (spec.name, spec.kind.as_str(), spec.unit, spec.summary));
    PyTuple::new(py, rows)
}
