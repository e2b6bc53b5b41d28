//! The one parser and validator of geno-metrics' `metrics.toml`.
//!
//! The `registry!` macro and `cargo xtask` both read registries through [`parse`], so a file
//! the compiler accepts is exactly a file CI accepts. Parsing keeps byte spans, and every
//! problem becomes a [`Diagnostic`] naming `file:line:col`, a stable rule id and, where a fix
//! is known, a `help:` line. All problems are reported at once, not just the first.
//!
//! ```
//! let toml = r#"
//! [registry]
//! namespace = "demo"
//! version = "1.0.0"
//!
//! [[metric]]
//! name = "demo_jobs_total"
//! kind = "counter"
//! summary = "Jobs finished."
//! "#;
//! let registry = geno_metrics_schema::parse(toml, "metrics.toml").unwrap();
//! assert_eq!(registry.metrics[0].handle, "JOBS_TOTAL");
//!
//! let report = geno_metrics_schema::parse(&toml.replace("_total", ""), "metrics.toml").unwrap_err();
//! assert_eq!(report.rules(), ["counter-suffix"]);
//! assert!(report.to_string().starts_with("metrics.toml:7:8: error[counter-suffix]"));
//! ```

#![forbid(unsafe_code)]

mod alerts;
mod diagnostic;
mod model;
mod parse;
mod units;
mod valid;

pub use alerts::{
    ALERTS, AlertCondition, AlertDefinition, AlertSettings, ThresholdDefinition, ThresholdKind,
    duration_millis,
};
pub use diagnostic::{Diagnostic, Report};
pub use model::{
    BUILD_INFO_LABELS, BUILD_INFO_SUMMARY, Collector, ConstLabel, DEFAULT_BUCKETS,
    DROPPED_LABEL_VALUES_METRIC, Label, LabelValue, LabelValues, MAX_SERIES_PER_METRIC, Metric,
    MetricKind, OVERFLOW_LABEL_VALUE, PROCESS_METRICS, ProcessMetric, QueryFile, QueryFiles,
    Registry, build_info_name,
};

/// Parses and validates a registry. `path` is how diagnostics name the file.
///
/// # Errors
///
/// A [`Report`] with every problem found, ordered by position in the file.
pub fn parse(source: &str, path: &str) -> Result<Registry, Report> {
    let mut sink = diagnostic::Sink::new(path, source);
    let registry = parse::read(&mut sink, source).and_then(|raw| valid::validate(&mut sink, raw));
    match registry {
        Some(registry) if sink.is_empty() => Ok(registry),
        _ => Err(sink.finish()),
    }
}

/// The candidate closest to `word` by edit distance, when it is close enough to be a
/// plausible typo (used for "did you mean" hints): at most a third of the word's characters
/// (and at least 2) edits away. The runtime suggests names in its lookup errors by the same
/// rule, in its own copy; the workspace test `shared_names` holds the two to the same answers.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests;
