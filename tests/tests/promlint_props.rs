//! The schema against Prometheus' own linter: every registry `metrics check` accepts exports a
//! file that `promtool check metrics` (its parser and promlint) passes without a remark.
//!
//! Registries are generated from word pools that reach for what promlint cares about: unit
//! words and their abbreviations, type words, the suffixes histograms and counters reserve,
//! label names such as `le`, `quantile`, camelCase and `__x`. Each is parsed by the schema.
//! An accepted one is built into a runtime registry, given a value in every series, encoded
//! and checked by the real promtool: zero findings, always. Of the rejected ones, a sample is
//! encoded as declared (bypassing the schema) and checked too: promtool must flag it, or every
//! rule it broke must be one the README documents as stricter than promtool
//! ([`STRICTER_THAN_PROMTOOL`]).
//!
//! `PROPTEST_CASES` sets the number of registries (`cargo xtask soak --cases N` does).

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use geno_metrics::__private::{Series, labelled};
use geno_metrics::{
    Counter, Family, Gauge, Histogram, LabelSpec, LabelValues, Metric, MetricKind, MetricSpec,
    Registry,
};
use geno_metrics_tests::tools::tool;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Rule ids the README lists as stricter than promtool: a registry that breaks only these may
/// export a file promtool has nothing to say about.
const STRICTER_THAN_PROMTOOL: &[&str] = &[
    // Every name starts with the registry's namespace.
    "namespace-prefix",
    // The declared unit must be the name's suffix; promtool knows no declared units.
    "unit-suffix",
    // `_created` is OpenMetrics' creation-time suffix; promlint does not reserve it.
    "reserved-suffix",
    // `percent` -> `ratio`, and units the name carries but does not end in.
    "non-base-unit",
    // Names are lowercase snake_case with no `__`; promlint flags only camelCase (`aB`).
    "invalid-name",
    // Label names likewise, and those starting with `__` are Prometheus' own.
    "invalid-label-name",
    // No metric name may be a series another metric generates.
    "series-collision",
    // A label name means one set of values across the registry (one enum).
    "label-conflict",
    // Generated identifiers must be distinct.
    "handle-name",
    "type-name",
    "label-value-ident",
    "label-ident",
    // `_info` marks info metrics (OpenMetrics' info type); promlint reserves no such suffix.
    "info-suffix",
    // `job` and `instance` are the labels Prometheus attaches to every target.
    "target-label",
];

// ---------------------------------------------------------------------------------------------
// What is generated.

/// One generated metric, as declared.
#[derive(Debug, Clone)]
struct Declared {
    name: String,
    kind: MetricKind,
    unit: Option<&'static str>,
    labels: Vec<(String, Shape)>,
}

/// How a generated label takes its values: few enough series for a fixed set of family sizes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// `["a", "b"]`
    TwoValues,
    /// `{ max_series = 1 }`
    FreeForm,
}

/// Base units, which a well-formed name may end in and declare.
const BASE_UNITS: &[&str] = &["seconds", "bytes", "ratio", "meters", "celsius", "volts"];
const UNIT_WORDS: &[&str] = &[
    "seconds",
    "milliseconds",
    "ms",
    "sec",
    "s",
    "bytes",
    "kilobytes",
    "kb",
    "b",
    "ratio",
    "percent",
    "meters",
    "celsius",
    "hours",
    "volts",
    "us",
    "bits",
];
const TYPE_WORDS: &[&str] = &[
    "counter",
    "gauge",
    "histogram",
    "summary",
    "untyped",
    "info",
];
const RESERVED_SUFFIXES: &[&str] = &["total", "bucket", "count", "sum", "created"];
const PLAIN_WORDS: &[&str] = &[
    "jobs", "queue", "depth", "request", "size", "latency", "errors", "cache", "hits", "step",
];
const ODD_WORDS: &[&str] = &["queueDepth", "HTTP", "__x", "x__y", "9lives"];
const PLAIN_LABELS: &[&str] = &["phase", "status", "model", "code", "device"];
const HOSTILE_LABELS: &[&str] = &[
    "le",
    "quantile",
    "queueName",
    "__x",
    "le_bound",
    "type",
    "job",
    "instance",
    "Le",
];

/// Any word of every pool: unit words and abbreviations, type words, reserved suffixes, odd
/// spellings.
fn hostile_word() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        prop::sample::select(UNIT_WORDS),
        prop::sample::select(TYPE_WORDS),
        prop::sample::select(RESERVED_SUFFIXES),
        prop::sample::select(ODD_WORDS),
    ]
}

fn kind() -> impl Strategy<Value = MetricKind> {
    prop::sample::select(
        &[
            MetricKind::Counter,
            MetricKind::Gauge,
            MetricKind::Histogram,
        ][..],
    )
}

/// One thing done to a well-formed declaration.
#[derive(Debug, Clone)]
enum Twist {
    /// A word from the pools, put in the name at a position (modulo its word count).
    Word(&'static str, usize),
    /// Another kind, the name left as it was.
    Kind(MetricKind),
    /// Another declared unit (or none), the name left as it was.
    Unit(Option<&'static str>),
    /// A label from the hostile pool.
    Label(&'static str, Shape),
    /// The name without the namespace.
    NoNamespace,
    /// A counter without `_total`, or anything else with it.
    FlipTotal,
}

fn twist() -> impl Strategy<Value = Twist> {
    let shape = prop::sample::select(&[Shape::TwoValues, Shape::FreeForm][..]);
    prop_oneof![
        4 => (hostile_word(), 0..4usize).prop_map(|(w, at)| Twist::Word(w, at)),
        1 => kind().prop_map(Twist::Kind),
        1 => prop::option::of(prop::sample::select(UNIT_WORDS)).prop_map(Twist::Unit),
        3 => (prop::sample::select(HOSTILE_LABELS), shape).prop_map(|(l, s)| Twist::Label(l, s)),
        1 => Just(Twist::NoNamespace),
        1 => Just(Twist::FlipTotal),
    ]
}

/// A well-formed declaration (namespace, plain words, a base unit declared as the suffix,
/// `_total` on counters, plain labels), then, often, one twist from the pools.
fn declared() -> impl Strategy<Value = Declared> {
    let labels = prop::collection::vec(
        (
            prop::sample::select(PLAIN_LABELS),
            prop::sample::select(&[Shape::TwoValues, Shape::FreeForm][..]),
        ),
        0..=2,
    );
    (
        prop::collection::vec(prop::sample::select(PLAIN_WORDS), 1..=2),
        kind(),
        prop::option::of(prop::sample::select(BASE_UNITS)),
        labels,
        prop::option::weighted(0.5, twist()),
    )
        .prop_map(|(mut words, mut kind, mut unit, labels, twist)| {
            let mut labels: Vec<(&str, Shape)> = labels;
            let (mut namespace, mut flip_total) = (true, false);
            match twist {
                Some(Twist::Word(word, at)) => words.insert(at % (words.len() + 1), word),
                Some(Twist::Kind(other)) => kind = other,
                Some(Twist::Unit(other)) => {
                    if let Some(u) = unit {
                        words.push(u);
                    }
                    unit = other;
                }
                Some(Twist::Label(label, shape)) => labels.push((label, shape)),
                Some(Twist::NoNamespace) => namespace = false,
                Some(Twist::FlipTotal) => flip_total = true,
                None => {}
            }
            let mut name = words.join("_");
            if let (Some(u), false) = (unit, matches!(twist, Some(Twist::Unit(_)))) {
                name = format!("{name}_{u}");
            }
            // Decided before a kind twist, so a twisted kind keeps the name of the other.
            let counter_named = match twist {
                Some(Twist::Kind(_)) => false,
                _ => kind == MetricKind::Counter,
            };
            if counter_named != flip_total {
                name.push_str("_total");
            }
            if namespace {
                name = format!("zq_{name}");
            }
            let mut seen = BTreeSet::new();
            labels.retain(|(label, _)| seen.insert(*label));
            Declared {
                name,
                kind,
                unit,
                labels: labels
                    .into_iter()
                    .map(|(label, shape)| (label.to_owned(), shape))
                    .collect(),
            }
        })
}

/// The registry as `metrics.toml` text.
fn toml(metrics: &[Declared]) -> String {
    let mut text = "[registry]\nnamespace = \"zq\"\nversion = \"1.0.0\"\n".to_owned();
    for m in metrics {
        text.push_str(&format!(
            "\n[[metric]]\nname = \"{}\"\nkind = \"{}\"\nsummary = \"Generated.\"\n",
            m.name, m.kind
        ));
        if let Some(unit) = m.unit {
            text.push_str(&format!("unit = \"{unit}\"\n"));
        }
        if !m.labels.is_empty() {
            let labels: Vec<String> = m
                .labels
                .iter()
                .map(|(label, shape)| match shape {
                    Shape::TwoValues => format!("\"{label}\" = [\"a\", \"b\"]"),
                    Shape::FreeForm => format!("\"{label}\" = {{ max_series = 1 }}"),
                })
                .collect();
            text.push_str(&format!("labels = {{ {} }}\n", labels.join(", ")));
        }
    }
    text
}

// ---------------------------------------------------------------------------------------------
// A runtime registry of what was declared, with a value in every series.

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// The runtime's description of a declared metric: the default buckets for a histogram.
fn spec(m: &Declared) -> &'static MetricSpec {
    const DEFAULT_BUCKETS: &[f64] = &[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let labels: Vec<LabelSpec> = m
        .labels
        .iter()
        .map(|(label, shape)| match shape {
            Shape::TwoValues => LabelSpec::enumerated(leak_str(label), &["a", "b"]),
            Shape::FreeForm => LabelSpec::free_form(leak_str(label), 1),
        })
        .collect();
    let mut spec =
        MetricSpec::new(leak_str(&m.name), m.kind, "Generated.").with_labels(labels.leak());
    if let Some(unit) = m.unit {
        spec = spec.with_unit(unit);
    }
    if m.kind == MetricKind::Histogram {
        spec = spec.with_buckets(DEFAULT_BUCKETS);
    }
    leak(spec)
}

/// A family of `S` series with `F` free-form labels.
fn family_of<M: Series, const S: usize, const F: usize>(
    spec: &'static MetricSpec,
    make: fn(&'static MetricSpec) -> M,
) -> &'static dyn Family {
    leak(labelled::<M, S, F>(
        spec,
        std::array::from_fn(|_| make(spec)),
    ))
}

/// The handle of `spec`, labelled or not. Up to three generated labels of two positions each
/// (two values, or one free-form value and the overflow) span 2, 4 or 8 series.
fn handle(spec: &'static MetricSpec) -> Metric {
    fn family<M: Series>(spec: &'static MetricSpec, make: fn(&'static MetricSpec) -> M) -> Metric {
        let free = spec.free_form_count();
        Metric::Family(match (spec.series_count(), free) {
            (2, 0) => family_of::<M, 2, 0>(spec, make),
            (2, 1) => family_of::<M, 2, 1>(spec, make),
            (4, 0) => family_of::<M, 4, 0>(spec, make),
            (4, 1) => family_of::<M, 4, 1>(spec, make),
            (4, 2) => family_of::<M, 4, 2>(spec, make),
            (8, 0) => family_of::<M, 8, 0>(spec, make),
            (8, 1) => family_of::<M, 8, 1>(spec, make),
            (8, 2) => family_of::<M, 8, 2>(spec, make),
            (8, 3) => family_of::<M, 8, 3>(spec, make),
            other => panic!("no family of (series, free-form labels) = {other:?} here"),
        })
    }
    match (spec.kind, spec.labels.is_empty()) {
        (MetricKind::Counter, true) => Metric::Counter(leak(Counter::new(spec))),
        (MetricKind::Gauge, true) => Metric::Gauge(leak(Gauge::new(spec))),
        (MetricKind::Histogram, true) => Metric::Histogram(leak(Histogram::<11>::new(spec))),
        (MetricKind::Counter, false) => family(spec, Counter::new),
        (MetricKind::Gauge, false) => family(spec, Gauge::new),
        (MetricKind::Histogram, false) => family(spec, Histogram::<11>::new),
        (MetricKind::Info, _) => unreachable!("`kind()` draws no info metric"),
    }
}

/// Records into `metric` (into every series of a family: both values of an enumerated label,
/// one value of a free-form one).
fn record(metric: Metric) {
    let touch = |metric: Metric| match metric {
        Metric::Counter(c) => c.inc_by(3),
        Metric::Gauge(g) => g.set(1.5),
        Metric::Histogram(h) => h.observe(0.2),
        other => panic!("not a series: {other:?}"),
    };
    let Metric::Family(family) = metric else {
        return touch(metric);
    };
    let mut combinations: Vec<Vec<&str>> = vec![Vec::new()];
    for label in family.spec().labels {
        let values: &[&str] = match label.values {
            LabelValues::Enumerated(values) => values,
            LabelValues::FreeForm { .. } => &["v1"],
            LabelValues::Info => unreachable!("`kind()` draws no info metric"),
        };
        combinations = combinations
            .into_iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push(*v);
                    next
                })
            })
            .collect();
    }
    for values in combinations {
        touch(family.with_values(&values).unwrap());
    }
}

/// The exposition of `metrics` as declared, every series recorded into.
fn exposition(metrics: &[Declared]) -> Vec<u8> {
    let specs: Vec<MetricSpec> = metrics.iter().map(|m| *spec(m)).collect();
    let specs: &'static [MetricSpec] = specs.leak();
    let handles: Vec<Metric> = specs.iter().map(handle).collect();
    let registry = leak(Registry::new(specs, handles.leak()));
    registry.iter().for_each(record);
    let mut text = Vec::new();
    registry.encode_text(&mut text).unwrap();
    text
}

/// What `promtool check metrics` says of `text`: empty when it passes without a remark.
fn promtool_remarks(text: &[u8]) -> String {
    static PROMTOOL: OnceLock<PathBuf> = OnceLock::new();
    let promtool = PROMTOOL.get_or_init(|| tool("promtool"));
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", promtool.display()));
    child.stdin.take().unwrap().write_all(text).unwrap();
    let out = child.wait_with_output().unwrap();
    let remarks = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match (out.status.success(), remarks.trim()) {
        (true, "") => String::new(),
        (_, "") => format!("exit {}", out.status),
        (_, remarks) => remarks.to_owned(),
    }
}

/// Whether the runtime can encode `metrics` at all, as declared: the text format needs valid
/// names, and a name twice would be two families of one name.
fn encodable(metrics: &[Declared]) -> bool {
    let valid = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let mut names = BTreeSet::new();
    metrics.iter().all(|m| {
        valid(&m.name)
            && names.insert(m.name.clone())
            && m.labels.iter().all(|(label, _)| valid(label))
    })
}

fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn what_the_schema_accepts_promtool_passes_and_what_it_rejects_is_flagged_or_documented(
        metrics in prop::collection::vec(declared(), 1..=3),
        sample_rejected in prop::bool::weighted(0.5),
    ) {
        let source = toml(&metrics);
        match geno_metrics_schema::parse(&source, "metrics.toml") {
            Ok(registry) => {
                // Built from what the schema resolved, so nothing undeclared slips in.
                prop_assert_eq!(registry.metrics.len(), metrics.len());
                let remarks = promtool_remarks(&exposition(&metrics));
                prop_assert!(
                    remarks.is_empty(),
                    "the schema accepted\n{}\nbut promtool says:\n{}",
                    source,
                    remarks
                );
            }
            Err(report) if sample_rejected && encodable(&metrics) => {
                let remarks = promtool_remarks(&exposition(&metrics));
                if remarks.is_empty() {
                    let undocumented: Vec<&str> = report
                        .rules()
                        .into_iter()
                        .filter(|rule| !STRICTER_THAN_PROMTOOL.contains(rule))
                        .collect();
                    prop_assert!(
                        undocumented.is_empty(),
                        "promtool passes\n{}\nbut the schema rejects it for {:?}, which the README does not list as stricter than promtool:\n{}",
                        source,
                        undocumented,
                        report
                    );
                }
            }
            Err(_) => {}
        }
    }
}

/// The cases the field report names: `le` on a gauge, `quantile` on a counter, rejected by
/// the schema and flagged by promtool.
#[test]
fn le_and_quantile_labels_are_rejected_as_promtool_flags_them() {
    let cases = [
        Declared {
            name: "zq_pending_messages".into(),
            kind: MetricKind::Gauge,
            unit: None,
            labels: vec![("le".into(), Shape::TwoValues)],
        },
        Declared {
            name: "zq_jobs_finished_total".into(),
            kind: MetricKind::Counter,
            unit: None,
            labels: vec![("quantile".into(), Shape::TwoValues)],
        },
    ];
    for case in cases {
        let report = geno_metrics_schema::parse(&toml(std::slice::from_ref(&case)), "metrics.toml")
            .expect_err("the schema must reject it");
        assert_eq!(report.rules(), ["reserved-label"], "{report}");
        let remarks = promtool_remarks(&exposition(&[case]));
        assert!(!remarks.is_empty(), "promtool flags it");
    }
}

/// The README's list of rules stricter than promtool is this test's list.
#[test]
fn the_readme_lists_the_rules_stricter_than_promtool() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme
        .split("Stricter than promtool")
        .nth(1)
        .expect("README.md has a paragraph starting `Stricter than promtool`");
    let paragraph = section.split("\n\n").next().unwrap();
    for rule in STRICTER_THAN_PROMTOOL {
        assert!(
            paragraph.contains(&format!("`{rule}`")),
            "README does not list `{rule}`"
        );
    }
}
