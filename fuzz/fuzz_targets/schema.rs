//! Fuzz target `schema`: any UTF-8 text through `geno_metrics_schema::parse`.
//!
//! libFuzzer reports a panic, an abort, a timeout or running out of memory as a crash. The
//! assertions are those of the schema crate's property tests (`tests/hostile.rs`), from the
//! one copy both include, `geno-metrics-schema/tests/support/locations.rs` (which explains
//! them): every diagnostic names the path it was given, a line of the input and a column
//! within that line, shows that very line and renders with its marker under that column;
//! every note that ends in `path:line:col` points at a real place; a registry that parses
//! keeps every promise of the validated model. The report is rendered too, as
//! `cargo xtask metrics check` and the macro do.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks shared with `cargo test -p geno-metrics-schema --test hostile`.
#[path = "../../geno-metrics-schema/tests/support/locations.rs"]
mod locations;

/// The path diagnostics are asked to name. Its colon makes a misread `path:line:col` show.
const PATH: &str = "fuzz:metrics.toml";

fuzz_target!(|data: &[u8]| {
    // The schema crate takes `&str`: its callers read the file as UTF-8 before parsing.
    if let Ok(source) = std::str::from_utf8(data) {
        let _ = locations::check(source, PATH);
    }
});
