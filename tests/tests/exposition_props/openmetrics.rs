//! OpenMetrics through an independent strict reader: hostile HELP text, label values
//! (constant, free-form) and floats, encoded by `encode_openmetrics` and read back by
//! client_python's OpenMetrics parser (`geno_metrics_tests::python`). The parser must accept
//! every exposition, and give back every HELP, unit, label value and value exactly.
//!
//! The cases are drawn from the same strategies as the other subjects, all at once, and read
//! in one Python run (a process per case would cost seconds); a failure names its case.

use std::path::PathBuf;

use geno_metrics::{
    ConstLabelSpec, Counter, Info, LabelSpec, Metric, MetricKind, MetricValue, Registry,
};
use geno_metrics_tests::python::{self, Family};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use super::support::*;

#[derive(Debug, Clone)]
struct Case {
    help: String,
    deprecated: Option<String>,
    const_value: String,
    free_value: String,
    /// The values of the info metric's two labels; either may be empty.
    info_values: [String; 2],
    gauge: f64,
    bounds: Vec<f64>,
    observations: Vec<f64>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        hostile_string(16),
        prop::option::of(hostile_string(8)),
        hostile_string(10).prop_filter("a constant label value is not empty", |s| !s.is_empty()),
        hostile_string(10).prop_filter("an empty value overflows", |s| !s.is_empty()),
        [hostile_string(10), hostile_string(10)],
        hostile_f64(),
        bucket_bounds(),
        prop::collection::vec(hostile_f64(), 0..6),
    )
        .prop_map(
            |(
                help,
                deprecated,
                const_value,
                free_value,
                info_values,
                gauge,
                bounds,
                observations,
            )| Case {
                help,
                deprecated,
                const_value,
                free_value,
                info_values,
                gauge,
                bounds,
                observations,
            },
        )
}

/// A fresh registry recording `case`: a counter and a gauge with units, a histogram on the
/// case's bounds, a counter with a free-form label, an info metric; every series with the
/// constant label.
fn record(case: &Case) -> &'static Registry {
    let mut counter = spec(
        "hostile_work_seconds_total",
        MetricKind::Counter,
        &case.help,
    );
    counter.unit = "seconds";
    counter.deprecated = case.deprecated.as_deref().map(leak_str);
    let mut gauge = spec("hostile_level_ratio", MetricKind::Gauge, &case.help);
    gauge.unit = "ratio";
    let mut histogram = spec("hostile_latency_seconds", MetricKind::Histogram, "Latency.");
    histogram.unit = "seconds";
    histogram.buckets = case.bounds.clone().leak();
    let mut labelled = spec("hostile_requests_total", MetricKind::Counter, "Requests.");
    labelled.labels = leak([LabelSpec::free_form("model", 2)]);
    let mut info = spec("hostile_build_info", MetricKind::Info, &case.help);
    info.labels = leak([LabelSpec::info("version"), LabelSpec::info("path")]);
    let info_handle = std::cell::Cell::new(None);
    let base = registry(
        vec![counter, gauge, histogram, labelled, info],
        |spec| match (spec.kind, spec.labels.is_empty()) {
            (MetricKind::Counter, false) => family(spec, Counter::new),
            (MetricKind::Info, _) => {
                let handle: &'static Info<2> = leak(Info::new(spec));
                info_handle.set(Some(handle));
                Metric::Info(handle)
            }
            _ => plain(spec),
        },
    );
    let const_labels: &'static [ConstLabelSpec] =
        leak([ConstLabelSpec::new("rank", "GENO_METRICS_PROPS_NEVER_SET")]);
    let registry: &'static Registry = leak(
        Registry::new(base.specs(), base.iter().collect::<Vec<_>>().leak())
            .with_const_labels(const_labels),
    );
    registry
        .set_const_labels(&[("rank", &case.const_value)])
        .unwrap();
    for metric in registry.iter() {
        match metric {
            Metric::Counter(c) => c.inc_by(7),
            Metric::Gauge(g) => g.set(case.gauge),
            Metric::Histogram(h) => case.observations.iter().for_each(|v| h.observe(*v)),
            Metric::Family(f) => {
                if let Some(Metric::Counter(series)) = f.with_values(&[&case.free_value]) {
                    series.inc_by(3);
                }
            }
            Metric::Info(_) => {
                let [version, path] = &case.info_values;
                info_handle.get().unwrap().set([version, path]);
            }
            _ => unreachable!("the case declares no other kind"),
        }
    }
    registry
}

/// Whether two floats are the same value as a reader sees it (NaN is NaN, -0 is 0).
fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Checks what the parser read against the registry's own snapshot.
fn check(case: &Case, registry: &Registry, families: &[Family], text: &str) {
    let what = format!("{case:?}\n{text}");
    let names: Vec<(&str, &str, &str)> = families
        .iter()
        .map(|f| (f.name.as_str(), f.kind.as_str(), f.unit.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("hostile_work_seconds", "counter", "seconds"),
            ("hostile_level_ratio", "gauge", "ratio"),
            ("hostile_latency_seconds", "histogram", "seconds"),
            ("hostile_requests", "counter", ""),
            ("hostile_build", "info", ""),
            ("geno_metrics_dropped_label_values", "counter", ""),
        ],
        "{what}"
    );
    let help = match &case.deprecated {
        Some(reason) => format!("{} (Deprecated: {reason})", case.help),
        None => case.help.clone(),
    };
    assert_eq!(families[0].help, help, "{what}");
    assert_eq!(families[1].help, case.help, "{what}");
    for sample in families.iter().flat_map(|f| &f.samples) {
        assert_eq!(
            sample.labels.get("rank"),
            Some(&case.const_value),
            "{}: {what}",
            sample.name
        );
    }
    let snapshot = registry.snapshot_all();
    let value = |name: &str| snapshot.get(name).map(|m| m.value.clone());
    assert_eq!(families[0].samples[0].name, "hostile_work_seconds_total");
    assert_eq!(families[0].samples[0].float(), 7.0);
    let Some(MetricValue::Gauge(gauge)) = value("hostile_level_ratio") else {
        unreachable!()
    };
    assert!(same(families[1].samples[0].float(), gauge), "gauge: {what}");
    let Some(MetricValue::Histogram(h)) = value("hostile_latency_seconds") else {
        unreachable!()
    };
    let samples = &families[2].samples;
    let buckets: Vec<_> = samples
        .iter()
        .filter(|s| s.name.ends_with("_bucket"))
        .collect();
    assert_eq!(buckets.len(), h.buckets.len(), "{what}");
    for ((sample, bound), count) in buckets.iter().zip(&h.buckets).zip(&h.counts) {
        let le: f64 = python::Sample {
            value: sample.labels["le"].clone(),
            ..(*sample).clone()
        }
        .float();
        assert!(same(le, *bound), "le {le} for {bound}: {what}");
        assert_eq!(sample.float(), *count as f64, "{what}");
    }
    let rest: Vec<(&str, f64)> = samples
        .iter()
        .filter(|s| !s.name.ends_with("_bucket"))
        .map(|s| (s.name.as_str(), s.float()))
        .collect();
    if case.bounds.iter().any(|b| *b < 0.0) || h.sum < 0.0 || h.sum.is_nan() {
        assert_eq!(
            rest,
            [],
            "no _sum or _count with a negative bound or sum: {what}"
        );
    } else {
        assert_eq!(rest.len(), 2, "{what}");
        assert_eq!(rest[0].0, "hostile_latency_seconds_sum");
        assert!(
            same(rest[0].1, h.sum),
            "sum {} for {}: {what}",
            rest[0].1,
            h.sum
        );
        assert_eq!(
            rest[1],
            ("hostile_latency_seconds_count", h.count as f64),
            "{what}"
        );
    }
    let requests = &families[3].samples;
    assert_eq!(requests.len(), 1, "{what}");
    assert_eq!(
        requests[0].labels.get("model"),
        Some(&case.free_value),
        "{what}"
    );
    assert_eq!(requests[0].float(), 3.0);
    let info = &families[4].samples;
    assert_eq!(info.len(), 1, "{what}");
    assert_eq!(info[0].name, "hostile_build_info", "{what}");
    assert_eq!(info[0].float(), 1.0, "{what}");
    // An empty value is left out: Prometheus reads it as no label.
    fn expected(value: &String) -> Option<&String> {
        (!value.is_empty()).then_some(value)
    }
    let [version, path] = &case.info_values;
    assert_eq!(info[0].labels.get("version"), expected(version), "{what}");
    assert_eq!(info[0].labels.get("path"), expected(path), "{what}");
    assert_eq!(families[4].help, case.help, "{what}");
    let dropped = &families[5].samples;
    assert_eq!(dropped.len(), 1, "{what}");
    assert_eq!(dropped[0].name, "geno_metrics_dropped_label_values_total");
    assert_eq!(dropped[0].float(), 0.0, "{what}");
}

#[test]
fn client_python_reads_every_hostile_exposition_back_exactly() {
    const CASES: usize = 256;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("openmetrics_props");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut runner = TestRunner::new(config(CASES as u32));
    let strategy = case();
    let mut cases = Vec::with_capacity(CASES);
    for i in 0..CASES {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let registry = record(&case);
        let mut text = Vec::new();
        registry.encode_openmetrics(&mut text).unwrap();
        let file = dir.join(format!("case{i}.txt"));
        std::fs::write(&file, &text).unwrap();
        cases.push((case, registry, file, String::from_utf8(text).unwrap()));
    }
    let files: Vec<&std::path::Path> = cases.iter().map(|(_, _, f, _)| f.as_path()).collect();
    let answers = python::read_openmetrics(&files);
    for ((case, registry, _, text), answer) in cases.iter().zip(answers) {
        match answer {
            Ok(families) => check(case, registry, &families, text),
            Err(e) => panic!("client_python refuses the exposition: {e}\n{case:?}\n{text}"),
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
