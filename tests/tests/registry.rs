//! The real GenoLeWM registry end to end: what `metrics.toml` declares is exactly what the
//! generated `METRICS` holds, lookups behave, and snapshots serialise and round-trip.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use geno_metrics::{
    LabelValues, LookupError, Metric, MetricKind, MetricSpec, MetricValue, Snapshot,
};
use geno_metrics_tests::genolewm::{
    CHECKPOINT_SIZE_BYTES, CHECKPOINT_WRITE_DURATION_SECONDS, INFERENCE_REQUESTS_TOTAL, METRICS,
    Phase, Status, TRAIN_STEP_DURATION_SECONDS, TRAIN_STEPS_TOTAL,
};

fn declared() -> geno_metrics_schema::Registry {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.toml");
    let source = std::fs::read_to_string(path).unwrap();
    geno_metrics_schema::parse(&source, "metrics.toml").unwrap_or_else(|report| panic!("{report}"))
}

#[test]
fn metrics_table_matches_the_toml_in_order() {
    let declared = declared();
    assert!((12..=40).contains(&declared.metrics.len()));
    assert_eq!(METRICS.len(), declared.metrics.len());
    for (spec, metric) in METRICS.specs().iter().zip(&declared.metrics) {
        assert_eq!(spec.name, metric.name);
        assert_eq!(spec.kind.as_str(), metric.kind.as_str());
        assert_eq!(spec.unit, metric.unit.as_deref().unwrap_or(""));
        assert_eq!(spec.summary, metric.summary);
        assert_eq!(spec.buckets, metric.buckets.as_slice());
        assert_eq!(spec.deprecated, metric.deprecated.as_deref());
        assert_eq!(spec.labels.len(), metric.labels.len(), "{}", spec.name);
        for (live, declared) in spec.labels.iter().zip(&metric.labels) {
            assert_eq!(live.name, declared.name);
            match (live.values, &declared.values) {
                (
                    LabelValues::Enumerated(values),
                    geno_metrics_schema::LabelValues::Enumerated { values: d, .. },
                ) => assert!(values.iter().eq(d.iter().map(|v| &v.value))),
                (
                    LabelValues::FreeForm { max_series },
                    geno_metrics_schema::LabelValues::FreeForm { max_series: d },
                ) => assert_eq!(max_series, *d),
                (LabelValues::Info, geno_metrics_schema::LabelValues::Info) => {}
                (live, declared) => panic!("{live:?} is not {declared:?}"),
            }
        }
        assert_eq!(spec.series_count(), metric.series_count());
    }
    // The live handles point at those same specs.
    for (live, spec) in METRICS.iter().zip(METRICS.specs()) {
        assert!(std::ptr::eq(live.spec(), spec));
    }
    let kinds: Vec<MetricKind> = METRICS.specs().iter().map(|s| s.kind).collect();
    for kind in [
        MetricKind::Counter,
        MetricKind::Gauge,
        MetricKind::Histogram,
    ] {
        assert!(kinds.contains(&kind), "the registry has no {kind}");
    }
}

#[test]
fn lookups_return_the_static_handles() {
    let counter = METRICS.get_counter("geno_lewm_train_steps_total").unwrap();
    assert!(std::ptr::eq(counter, &TRAIN_STEPS_TOTAL));
    let gauge = METRICS
        .get_gauge("geno_lewm_checkpoint_size_bytes")
        .unwrap();
    assert!(std::ptr::eq(gauge, &CHECKPOINT_SIZE_BYTES));
    // Recording through the looked-up histogram lands in the static one.
    let before = CHECKPOINT_WRITE_DURATION_SECONDS.snapshot().count;
    METRICS
        .get_histogram("geno_lewm_checkpoint_write_duration_seconds")
        .unwrap()
        .observe(0.3);
    assert_eq!(
        CHECKPOINT_WRITE_DURATION_SECONDS.snapshot().count,
        before + 1
    );
}

#[test]
fn labelled_metrics_are_found_by_name_and_label_values() {
    let err = METRICS
        .get_histogram("geno_lewm_train_step_duration_seconds")
        .unwrap_err();
    assert!(matches!(err, LookupError::Labelled { .. }), "{err}");
    let family = METRICS
        .get_family("geno_lewm_train_step_duration_seconds")
        .unwrap();
    assert!(std::ptr::eq(
        family.spec(),
        TRAIN_STEP_DURATION_SECONDS.spec()
    ));
    let Some(Metric::Histogram(eval)) = family.with_values(&["eval"]) else {
        panic!("eval is a declared phase");
    };
    let before = TRAIN_STEP_DURATION_SECONDS
        .with(Phase::Eval)
        .snapshot()
        .count;
    eval.observe(0.2);
    assert_eq!(
        TRAIN_STEP_DURATION_SECONDS
            .with(Phase::Eval)
            .snapshot()
            .count,
        before + 1,
        "by-name and typed access reach the same series"
    );
    assert!(family.with_values(&["test"]).is_none());

    let requests = METRICS
        .get_family("geno_lewm_inference_requests_total")
        .unwrap();
    let Some(Metric::Counter(c)) = requests.with_values(&["registry-test-model", "error"]) else {
        panic!("free-form values are taken as given");
    };
    c.inc();
    assert!(std::ptr::eq(
        c,
        INFERENCE_REQUESTS_TOTAL.with("registry-test-model", Status::Error)
    ));
    assert!(matches!(
        METRICS.get_family("geno_lewm_train_steps_total"),
        Err(LookupError::Unlabelled { .. })
    ));
}

#[test]
fn unknown_names_get_the_closest_suggestion() {
    let err = METRICS
        .get_counter("geno_lewm_train_step_total")
        .unwrap_err();
    assert_eq!(
        err,
        LookupError::Unknown {
            name: "geno_lewm_train_step_total".into(),
            suggestion: Some("geno_lewm_train_steps_total"),
        }
    );
    assert!(
        err.to_string()
            .contains("did you mean `geno_lewm_train_steps_total`?")
    );
    let far = METRICS.get_gauge("completely_unrelated").unwrap_err();
    assert!(matches!(
        far,
        LookupError::Unknown {
            suggestion: None,
            ..
        }
    ));
}

#[test]
fn wrong_kinds_name_expected_and_found() {
    let err = METRICS
        .get_gauge("geno_lewm_train_steps_total")
        .unwrap_err();
    assert_eq!(
        err,
        LookupError::WrongKind {
            name: "geno_lewm_train_steps_total",
            expected: MetricKind::Gauge,
            found: MetricKind::Counter,
        }
    );
    assert_eq!(
        err.to_string(),
        "metric `geno_lewm_train_steps_total` is a counter, not a gauge; use get_counter(\"geno_lewm_train_steps_total\")"
    );
    assert!(METRICS.get_histogram("geno_lewm_train_loss").is_err());
    assert!(
        METRICS
            .get_counter("geno_lewm_train_step_duration_seconds")
            .is_err()
    );
    let _: &dyn std::error::Error = &err;
}

#[test]
fn snapshot_json_round_trips_with_inf_as_a_string() {
    TRAIN_STEP_DURATION_SECONDS.with(Phase::Train).observe(0.02);
    let gauge = METRICS.get_gauge("geno_lewm_train_loss").unwrap();
    gauge.set(f64::NEG_INFINITY);
    let snapshot = METRICS.snapshot_all();
    // Metrics in registry order, then the runtime's counter of dropped label values. Every
    // metric without free-form labels is there; one with them only once a value was used.
    let mut names: Vec<&str> = snapshot.metrics.iter().map(|m| m.name.as_ref()).collect();
    names.dedup();
    let order = |name: &str| METRICS.specs().iter().position(|s| s.name == name);
    assert!(
        names
            .windows(2)
            .all(|w| order(w[0]) < order(w[1]).or(Some(usize::MAX))),
        "{names:?}"
    );
    assert_eq!(
        names.last(),
        Some(&geno_metrics::DROPPED_LABEL_VALUES_METRIC)
    );
    // A free-form family has series only for values used, an info metric only once set.
    let always_there = |s: &&MetricSpec| s.free_form_count() == 0 && s.kind != MetricKind::Info;
    for spec in METRICS.specs().iter().filter(always_there) {
        assert!(names.contains(&spec.name), "{} is missing", spec.name);
    }
    let phases: Vec<_> = snapshot
        .metrics
        .iter()
        .filter(|m| m.name == "geno_lewm_train_step_duration_seconds")
        .map(|m| m.labels["phase"].as_ref())
        .collect();
    assert_eq!(
        phases,
        ["train", "eval"],
        "enumerated series exist from the start"
    );

    let json = serde_json::to_string(&snapshot).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let step = value["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "geno_lewm_train_step_duration_seconds")
        .unwrap();
    assert_eq!(step["kind"], "histogram");
    assert_eq!(
        step["value"]["buckets"].as_array().unwrap().last().unwrap(),
        "+Inf"
    );
    let loss = value["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "geno_lewm_train_loss")
        .unwrap();
    assert_eq!(loss["value"], "-Inf");

    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, snapshot);
    match &back
        .get_series(
            "geno_lewm_train_step_duration_seconds",
            &[("phase", "train")],
        )
        .unwrap()
        .value
    {
        MetricValue::Histogram(h) => assert_eq!(h.buckets.last(), Some(&f64::INFINITY)),
        other => panic!("not a histogram: {other:?}"),
    }
}

#[test]
fn sync_hooks_run_before_every_snapshot() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    fn hook() {
        RUNS.fetch_add(1, Ordering::SeqCst);
    }
    METRICS.add_sync_hook(hook);
    let before = RUNS.load(Ordering::SeqCst);
    METRICS.snapshot_all();
    METRICS.snapshot_all();
    assert!(RUNS.load(Ordering::SeqCst) >= before + 2);
}
