//! The real GenoLeWM registry end to end: what `metrics.toml` declares is exactly what the
//! generated `METRICS` holds, lookups behave, and snapshots serialise and round-trip.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use geno_metrics::{LookupError, MetricKind, MetricValue, Snapshot};
use geno_metrics_tests::genolewm::{
    CHECKPOINT_SIZE_BYTES, INFERENCE_REQUEST_DURATION_SECONDS, METRICS,
    TRAIN_STEP_DURATION_SECONDS, TRAIN_STEPS_TOTAL,
};

fn declared() -> geno_metrics_schema::Registry {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.toml");
    let source = std::fs::read_to_string(path).unwrap();
    geno_metrics_schema::parse(&source, "metrics.toml").unwrap_or_else(|report| panic!("{report}"))
}

#[test]
fn metrics_table_matches_the_toml_in_order() {
    let declared = declared();
    assert!((12..=25).contains(&declared.metrics.len()));
    assert_eq!(METRICS.len(), declared.metrics.len());
    for (spec, metric) in METRICS.specs().iter().zip(&declared.metrics) {
        assert_eq!(spec.name, metric.name);
        assert_eq!(spec.kind.as_str(), metric.kind.as_str());
        assert_eq!(spec.unit, metric.unit.as_deref().unwrap_or(""));
        assert_eq!(spec.summary, metric.summary);
        assert_eq!(spec.buckets, metric.buckets.as_slice());
        assert_eq!(spec.deprecated, metric.deprecated.as_deref());
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
    let histogram = METRICS
        .get_histogram("geno_lewm_train_step_duration_seconds")
        .unwrap();
    assert!(std::ptr::eq(
        histogram.spec(),
        TRAIN_STEP_DURATION_SECONDS.spec()
    ));
    // Recording through the looked-up histogram lands in the static one.
    let before = INFERENCE_REQUEST_DURATION_SECONDS.snapshot().count;
    METRICS
        .get_histogram("geno_lewm_inference_request_duration_seconds")
        .unwrap()
        .observe(0.3);
    assert_eq!(
        INFERENCE_REQUEST_DURATION_SECONDS.snapshot().count,
        before + 1
    );
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
    TRAIN_STEP_DURATION_SECONDS.observe(0.02);
    let gauge = METRICS.get_gauge("geno_lewm_train_loss").unwrap();
    gauge.set(f64::NEG_INFINITY);
    let snapshot = METRICS.snapshot_all();
    assert_eq!(snapshot.metrics.len(), METRICS.len());
    let names: Vec<&str> = snapshot.metrics.iter().map(|m| m.name.as_ref()).collect();
    let spec_names: Vec<&str> = METRICS.specs().iter().map(|s| s.name).collect();
    assert_eq!(names, spec_names);

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
        .get("geno_lewm_train_step_duration_seconds")
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
