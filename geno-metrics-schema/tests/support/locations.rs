//! The checks of what [`parse`] returns, shared by the property tests of the schema crate
//! (`geno-metrics-schema/tests/hostile.rs`, which includes this file with `#[path]`) and the
//! cargo-fuzz target (`fuzz/fuzz_targets/schema.rs`, likewise): both run [`check`] on every
//! input, so the fuzzer asserts exactly what the property tests assert. It is a plain module
//! (no proptest, no libFuzzer): a failed check panics, which both harnesses report.
//!
//! Whatever the input, a returned [`Report`] must point at places that exist: every diagnostic
//! names the path it was given, a line of the input and a column within that line, shows that
//! very line and renders consistently, and every note that ends in `path:line:col` (the
//! "first declared at ..." kind) points at a real place too. A registry that parses must hold
//! up to use: every metric, label and bucket satisfies the rules the validator promises.
//!
//! Lines are what the parser counts: the text between `\n`s, so an empty file has one empty
//! line and a file ending in `\n` has an empty last line (where "unexpected end of file"
//! points). A `\r` before the `\n` belongs to the line but is not shown. Columns are 1-based
//! and count characters (Unicode scalar values), not bytes; one past the last character is a
//! valid column (an error at the end of a line). A byte order mark opening the file is not a
//! character of line 1. A tab is one column, and the rendered marker pads it with a tab, so
//! the caret lands under the column in a terminal.
//!
//! This file sits in `tests/support/`, not `tests/`, so cargo does not build it as a test
//! target of its own.

use geno_metrics_schema::{
    Diagnostic, LabelValues, MAX_SERIES_PER_METRIC, MetricKind, Registry, Report, parse,
};

/// Parses `source` under `path` and checks every property that holds for any input.
pub(crate) fn check(source: &str, path: &str) -> Result<Registry, Report> {
    let outcome = parse(source, path);
    match &outcome {
        Ok(registry) => check_registry(source, registry),
        Err(report) => check_report(source, path, report),
    }
    outcome
}

/// The input's lines, as the parser counts them (see the module docs).
fn lines_of(source: &str) -> Vec<&str> {
    source.split('\n').collect()
}

/// Asserts that `line:column` is a position of the input; returns that line as written (a
/// byte order mark opening the file is not part of line 1).
fn position<'s>(lines: &[&'s str], line: usize, column: usize, what: &str) -> &'s str {
    assert!(
        (1..=lines.len()).contains(&line),
        "{what}: line {line} is not in 1..={}",
        lines.len()
    );
    let text = match line {
        1 => lines[0].strip_prefix('\u{feff}').unwrap_or(lines[0]),
        _ => lines[line - 1],
    };
    let width = text.chars().count();
    assert!(
        (1..=width + 1).contains(&column),
        "{what}: column {column} is not in 1..={} (line {line} is {text:?})",
        width + 1
    );
    text
}

/// The `line:column` a note ends in, when it ends in ` path:line:col` (a `note_at` note).
pub(crate) fn note_location(note: &str, path: &str) -> Option<(usize, usize)> {
    let mut parts = note.rsplitn(3, ':');
    let column = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    let before = parts.next()?.strip_suffix(path)?;
    before.ends_with(' ').then_some((line, column))
}

/// Every diagnostic of a report points at a real place and renders consistently.
fn check_report(source: &str, path: &str, report: &Report) {
    assert!(
        !report.diagnostics.is_empty(),
        "a failed parse reports at least one problem"
    );
    let lines = lines_of(source);
    let mut previous = (1, 1);
    for d in &report.diagnostics {
        check_diagnostic(&lines, path, d);
        let here = (d.line, d.column);
        assert!(
            here >= previous,
            "diagnostics are ordered by position: {here:?} after {previous:?}\n{report:?}"
        );
        previous = here;
    }
    // The whole report renders, blank-line separated.
    let rendered = report.to_string();
    assert!(
        rendered.matches(": error[").count() >= report.diagnostics.len(),
        "{rendered}"
    );
}

/// One diagnostic: path, line, column, shown line, marker, notes.
fn check_diagnostic(lines: &[&str], path: &str, d: &Diagnostic) {
    let what = format!("{}:{}: error[{}] {:?}", d.line, d.column, d.rule, d.message);
    assert_eq!(
        d.path, path,
        "{what}: the diagnostic names the path it was given"
    );
    assert!(
        !d.rule.is_empty() && d.rule.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
        "{what}: rule ids are kebab-case"
    );
    assert!(
        !d.message.trim().is_empty(),
        "{what}: a message says what is wrong"
    );

    let line = position(lines, d.line, d.column, &what);
    // The shown line is the real one, without its line ending.
    assert_eq!(
        d.source_line(),
        line.trim_end_matches('\r'),
        "{what}: the shown line is line {}",
        d.line
    );

    for note in &d.notes {
        if let Some((line, column)) = note_location(note, path) {
            position(lines, line, column, &format!("{what}: note {note:?}"));
        }
    }

    // Rendering: the header names the same place, the line is shown under its number, and
    // the marker starts at the column and stops at the end of the shown line (one caret
    // past it is fine: that is how the end of a line or of the file is marked).
    let rendered = d.to_string();
    let header = format!("{path}:{}:{}: error[{}]: ", d.line, d.column, d.rule);
    assert!(
        rendered.starts_with(&header),
        "{what}: header of {rendered:?}"
    );
    let shown = format!("\n{} | {}\n", d.line, d.source_line());
    let at = rendered
        .find(&shown)
        .unwrap_or_else(|| panic!("{what}: {rendered:?} does not show the line"));
    let gutter = " ".repeat(d.line.to_string().len());
    let marker = rendered[at + shown.len()..]
        .split('\n')
        .next()
        .and_then(|l| l.strip_prefix(&format!("{gutter} | ")))
        .unwrap_or_else(|| panic!("{what}: no marker line in {rendered:?}"));
    let pad = marker
        .chars()
        .take_while(|&c| c == ' ' || c == '\t')
        .count();
    let carets = marker[pad..].chars().take_while(|&c| c == '^').count();
    assert_eq!(pad, d.column - 1, "{what}: the marker starts at the column");
    // A tab before the column is padded with a tab, so the marker lines up in a terminal.
    let tabs = d
        .source_line()
        .chars()
        .map(|c| c == '\t')
        .chain(std::iter::repeat(false));
    for (padding, tab) in marker[..pad].chars().zip(tabs) {
        assert_eq!(padding == '\t', tab, "{what}: marker padding {marker:?}");
    }
    assert!(carets >= 1, "{what}: the marker is visible");
    let end = d.source_line().chars().count() + 1;
    assert!(
        pad + carets <= end.max(d.column),
        "{what}: the marker ({carets} carets from column {}) runs past the line {:?}",
        d.column,
        d.source_line()
    );
}

/// A registry that parsed keeps every promise of the validated model.
fn check_registry(source: &str, registry: &Registry) {
    let lines = lines_of(source);
    position(&lines, registry.version_line, 1, "version_line");
    let metric_labels: std::collections::HashSet<&str> = registry
        .metrics
        .iter()
        .flat_map(|m| &m.labels)
        .map(|l| l.name.as_str())
        .collect();
    for c in &registry.const_labels {
        let what = format!("constant label {:?}", c.name);
        position(&lines, c.line, 1, &what);
        assert!(
            c.name.starts_with(|ch: char| ch.is_ascii_lowercase())
                && c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
                && !["le", "quantile", "job", "instance", "metric", "label"]
                    .contains(&c.name.as_str()),
            "{what}: a valid label name Prometheus gives no meaning of its own"
        );
        assert!(
            !metric_labels.contains(c.name.as_str()),
            "{what}: no metric declares it"
        );
        assert!(
            c.env
                .starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_')
                && c.env
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_'),
            "{what}: a valid variable name"
        );
        assert!(
            c.default.as_ref().is_none_or(|d| !d.trim().is_empty()),
            "{what}: no blank default"
        );
    }
    let mut names = std::collections::HashSet::new();
    for m in &registry.metrics {
        let what = format!("metric {:?}", m.name);
        position(&lines, m.line, 1, &what);
        assert!(names.insert(m.name.as_str()), "{what}: names are unique");
        assert!(
            m.name.starts_with(|c: char| c.is_ascii_lowercase())
                && m.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !m.name.contains("__"),
            "{what}: a valid Prometheus name"
        );
        // The process collector's names are a convention across clients: unprefixed.
        if let (Some(ns), false) = (
            &registry.namespace,
            m.collector == Some(geno_metrics_schema::Collector::Process),
        ) {
            assert!(m.name.starts_with(&format!("{ns}_")), "{what}: namespaced");
        }
        if let Some(collector) = m.collector {
            assert!(
                registry.collectors.contains(&collector),
                "{what}: a collector's metric is of a listed collector"
            );
        }
        assert_eq!(
            m.kind == MetricKind::Counter,
            m.name.ends_with("_total"),
            "{what}: counters, and only counters, end in _total"
        );
        assert!(!m.summary.trim().is_empty(), "{what}: a summary");
        assert!(
            m.handle.starts_with(|c: char| c.is_ascii_uppercase()),
            "{what}: handle {:?} is an identifier",
            m.handle
        );
        if let Some(unit) = &m.unit {
            assert!(m.name.contains(&format!("_{unit}")), "{what}: unit suffix");
        }
        match m.kind {
            MetricKind::Histogram => {
                assert!(!m.buckets.is_empty(), "{what}: histograms have buckets");
                assert!(
                    m.buckets.iter().all(|b| b.is_finite())
                        && m.buckets.windows(2).all(|w| w[0] < w[1]),
                    "{what}: finite, strictly increasing buckets {:?}",
                    m.buckets
                );
            }
            MetricKind::Counter | MetricKind::Gauge => {
                assert!(m.buckets.is_empty(), "{what}: no buckets");
            }
            MetricKind::Info => {
                assert!(m.buckets.is_empty(), "{what}: no buckets");
                assert!(m.unit.is_none(), "{what}: no unit");
                assert!(!m.labels.is_empty(), "{what}: info metrics have labels");
                assert!(
                    m.labels
                        .iter()
                        .all(|l| matches!(l.values, LabelValues::Info)),
                    "{what}: only info labels"
                );
            }
        }
        assert_eq!(
            m.kind == MetricKind::Info,
            m.name.ends_with("_info"),
            "{what}: info metrics, and only they, end in _info"
        );
        assert!(
            !(m.sharded && m.kind == MetricKind::Gauge),
            "{what}: sharded gauge"
        );
        assert_eq!(
            m.family_type.is_some(),
            !m.labels.is_empty() && m.collector.is_none(),
            "{what}"
        );
        for label in &m.labels {
            position(
                &lines,
                label.line,
                1,
                &format!("{what}: label {:?}", label.name),
            );
            assert!(
                label.width() >= 1,
                "{what}: label {:?} has a series",
                label.name
            );
            if let LabelValues::Enumerated { values, .. } = &label.values {
                assert!(values.iter().all(|v| !v.value.trim().is_empty()));
            }
        }
        let series = m.series_count();
        assert!(
            (1..=MAX_SERIES_PER_METRIC).contains(&series),
            "{what}: {series} series"
        );
    }
    // The model prints (the macro and xtask debug-print it).
    let _ = format!("{registry:?}");
}
