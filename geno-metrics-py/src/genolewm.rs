//! GenoLeWM's Rust side of the module, built with the workspace's registry only: a FASTA
//! reader for the data loader that records through the registry's typed statics, as any
//! Rust code of the process does, and what Rust reads back. `geno_metrics.genolewm`
//! re-exports it; the tests and the example use it to show that Python and Rust share one
//! registry.

use std::path::PathBuf;

use pyo3::prelude::*;

use crate::metrics::{DATALOADER_RECORDS_SKIPPED_TOTAL, METRICS, Reason, TRAIN_STEPS_TOTAL};

/// The bases a sequence may hold.
const BASES: &[u8] = b"ACGTN";

/// Reads FASTA text into `(id, sequence)` records. A record whose header has no id, or whose
/// sequence holds a symbol other than A, C, G, T or N, is skipped and counted in
/// `geno_lewm_dataloader_records_skipped_total` by reason, through the Rust handle.
#[pyfunction]
fn genolewm_read_fasta(py: Python<'_>, text: &str) -> Vec<(String, String)> {
    py.detach(|| read_fasta(text))
}

fn read_fasta(text: &str) -> Vec<(String, String)> {
    let mut records = Vec::new();
    for record in text.split('>').skip(1) {
        let (header, body) = record.split_once('\n').unwrap_or((record, ""));
        let id = header.split_whitespace().next().unwrap_or("");
        let sequence: String = body.split_whitespace().collect();
        if id.is_empty() {
            DATALOADER_RECORDS_SKIPPED_TOTAL
                .with(Reason::BadHeader)
                .inc();
        } else if !sequence.bytes().all(|base| BASES.contains(&base)) {
            DATALOADER_RECORDS_SKIPPED_TOTAL
                .with(Reason::UnknownBase)
                .inc();
        } else {
            records.push((id.to_owned(), sequence));
        }
    }
    records
}

/// `geno_lewm_train_steps_total` as the Rust handle `TRAIN_STEPS_TOTAL` reads it.
#[pyfunction]
fn genolewm_train_steps_total() -> u64 {
    TRAIN_STEPS_TOTAL.get()
}

/// Exports the registry from Rust, as a Rust exporter thread would: Python's sync hooks run
/// too, and one that raises fails this export with the registry's own error message.
///
/// # Errors
///
/// `OSError` with the Rust error's message.
#[pyfunction]
fn genolewm_export_from_rust(py: Python<'_>, path: PathBuf) -> PyResult<PathBuf> {
    Ok(py.detach(|| METRICS.export_prometheus_textfile(Some(&path)))?)
}

/// Adds the functions to the module.
pub(crate) fn add_to(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(genolewm_read_fasta, module)?)?;
    module.add_function(wrap_pyfunction!(genolewm_train_steps_total, module)?)?;
    module.add_function(wrap_pyfunction!(genolewm_export_from_rust, module)?)?;
    Ok(())
}
