//! Fuzz target `schema`: any UTF-8 text through `geno_metrics_schema::parse`.
//!
//! libFuzzer reports a panic, an abort, a timeout or running out of memory as a crash. The
//! assertions add the location properties of `geno-metrics-schema/tests/hostile.rs` (kept
//! short here; that file explains them): every diagnostic names the path it was given, a line
//! of the input and a column within that line, and shows that very line; every note that ends
//! in `path:line:col` points at a real place; a registry that parses has its lines in range.
//! The report is rendered too, as `cargo xtask metrics check` and the macro do.

#![no_main]

use geno_metrics_schema::{MAX_SERIES_PER_METRIC, parse};
use libfuzzer_sys::fuzz_target;

/// The path diagnostics are asked to name. Its colon makes a misread `path:line:col` show.
const PATH: &str = "fuzz:metrics.toml";

fuzz_target!(|data: &[u8]| {
    // The schema crate takes `&str`: its callers read the file as UTF-8 before parsing.
    if let Ok(source) = std::str::from_utf8(data) {
        check(source);
    }
});

/// Parses `source` and asserts every position the outcome names is a real one.
fn check(source: &str) {
    // Lines as the parser counts them: split on `\n`, so a final `\n` opens an empty last line.
    let lines: Vec<&str> = source.split('\n').collect();
    // Asserts `line:column` is in the input; returns the line (a BOM opening the file is not
    // part of line 1). Columns count characters; one past the last is the end of the line.
    let at = |line: usize, column: usize| -> &str {
        assert!(
            (1..=lines.len()).contains(&line),
            "line {line} of {}",
            lines.len()
        );
        let text = match line {
            1 => lines[0].strip_prefix('\u{feff}').unwrap_or(lines[0]),
            _ => lines[line - 1],
        };
        let width = text.chars().count();
        assert!(
            (1..=width + 1).contains(&column),
            "column {column} of {text:?}"
        );
        text
    };
    match parse(source, PATH) {
        Ok(registry) => {
            at(registry.version_line, 1);
            for metric in &registry.metrics {
                at(metric.line, 1);
                for label in &metric.labels {
                    at(label.line, 1);
                }
                assert!((1..=MAX_SERIES_PER_METRIC).contains(&metric.series_count()));
            }
        }
        Err(report) => {
            assert!(!report.diagnostics.is_empty(), "an error names a problem");
            for d in &report.diagnostics {
                assert_eq!(d.path, PATH);
                let line = at(d.line, d.column);
                assert_eq!(
                    d.source_line(),
                    line.trim_end_matches('\r'),
                    "the shown line"
                );
                for note in &d.notes {
                    // `note_at` notes end in ` PATH:line:col`; the path has no space.
                    let last = note.rsplit(' ').next().unwrap_or(note);
                    if let Some(location) =
                        last.strip_prefix(PATH).and_then(|l| l.strip_prefix(':'))
                    {
                        let (line, column) = location.split_once(':').expect("line:col");
                        at(
                            line.parse().expect("a line"),
                            column.parse().expect("a column"),
                        );
                    }
                }
            }
            let _ = report.to_string();
        }
    }
}
