//! The names and the suggestion rule that the runtime and the schema crate must share. The
//! runtime cannot depend on the schema (the schema is for the macro and the guard), so each
//! keeps a copy; these tests hold the copies to one answer.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

#[test]
fn the_overflow_value_and_the_dropped_values_counter_are_spelled_alike() {
    assert_eq!(
        geno_metrics::OVERFLOW_LABEL_VALUE,
        geno_metrics_schema::OVERFLOW_LABEL_VALUE
    );
    assert_eq!(
        geno_metrics::DROPPED_LABEL_VALUES_METRIC,
        geno_metrics_schema::DROPPED_LABEL_VALUES_METRIC
    );
}

/// Words near each other: a few letters from a small alphabet, so that typos are common.
fn word() -> impl Strategy<Value = String> {
    "[a-e_]{0,12}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn runtime_and_schema_suggest_the_same_name(
        typed in word(),
        declared in prop::collection::vec(word(), 0..8),
    ) {
        let candidates = || declared.iter().map(String::as_str);
        prop_assert_eq!(
            geno_metrics::__private::closest(&typed, candidates()),
            geno_metrics_schema::closest(&typed, candidates())
        );
    }
}

#[test]
fn a_lookup_error_suggests_what_a_diagnostic_would() {
    use geno_metrics::{Counter, Gauge, LookupError, Metric, MetricKind, MetricSpec, Registry};
    static SPECS: [MetricSpec; 2] = [
        MetricSpec::new("app_jobs_total", MetricKind::Counter, "Jobs."),
        MetricSpec::new("app_queue_items", MetricKind::Gauge, "Items."),
    ];
    static JOBS: Counter = Counter::new(&SPECS[0]);
    static ITEMS: Gauge = Gauge::new(&SPECS[1]);
    static METRICS: Registry =
        Registry::new(&SPECS, &[Metric::Counter(&JOBS), Metric::Gauge(&ITEMS)]);
    for typed in [
        "app_job_total",
        "app_queue_item",
        "queue",
        "app_jobs_totals",
    ] {
        let Err(LookupError::Unknown { suggestion, .. }) = METRICS.get(typed) else {
            panic!("`{typed}` is not declared");
        };
        let names = SPECS.iter().map(|s| s.name);
        assert_eq!(
            suggestion,
            geno_metrics_schema::closest(typed, names),
            "{typed}"
        );
    }
}
