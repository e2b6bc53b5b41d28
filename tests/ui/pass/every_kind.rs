//! Every kind and every handle method, under `#![deny(warnings)]`: generated code must not
//! warn (a deprecated metric included, as long as its handle is not used).
#![deny(warnings, missing_docs, unused)]

/// The generated handles.
pub mod metrics {
    geno_metrics::registry!("ui/pass/every_kind.toml");
}

use geno_metrics::{
    AnyHistogram, Counter, Gauge, Histogram, LookupError, MetricKind, Registry, ShardedCounter,
    ShardedHistogram,
};
use metrics::{
    JOB_DURATION_SECONDS, JOBS_TOTAL, METRICS, MODEL_INFO, ModelInfo, PACKETS_TOTAL, PAYLOAD_BYTES,
    QUEUE_ITEMS, REQUEST_DURATION_SECONDS,
};

fn main() {
    let _: &'static Counter = &JOBS_TOTAL;
    let _: &'static Gauge = &QUEUE_ITEMS;
    let _: &'static Histogram<4> = &JOB_DURATION_SECONDS;
    let _: &'static Histogram<11> = &PAYLOAD_BYTES;
    let _: &'static Registry = &METRICS;
    let _: &'static ShardedCounter = &PACKETS_TOTAL;
    let _: &'static ShardedHistogram<2> = &REQUEST_DURATION_SECONDS;
    let _: &'static ModelInfo = &MODEL_INFO;
    let _: &geno_metrics::Info<2> = &MODEL_INFO;

    JOBS_TOTAL.inc();
    JOBS_TOTAL.inc_by(2);
    assert_eq!(JOBS_TOTAL.get(), 3);
    assert_eq!(JOBS_TOTAL.spec().kind, MetricKind::Counter);

    QUEUE_ITEMS.set(2.0);
    QUEUE_ITEMS.inc();
    QUEUE_ITEMS.dec();
    QUEUE_ITEMS.add(1.5);
    QUEUE_ITEMS.sub(0.5);
    assert_eq!(QUEUE_ITEMS.get(), 3.0);
    assert!(QUEUE_ITEMS.spec().summary.contains("\\ backslash"));

    JOB_DURATION_SECONDS.observe(-2.0);
    JOB_DURATION_SECONDS.observe(0.1);
    drop(JOB_DURATION_SECONDS.start_timer());
    let snapshot = JOB_DURATION_SECONDS.snapshot();
    assert_eq!(snapshot.buckets, [-1.0, 0.0, 0.25, 1000.0, f64::INFINITY]);
    assert_eq!(snapshot.count, 3);
    JOB_DURATION_SECONDS.reset();
    assert_eq!(JOB_DURATION_SECONDS.snapshot().count, 0);
    assert_eq!(JOB_DURATION_SECONDS.spec().unit, "seconds");
    PAYLOAD_BYTES.observe(512.0);

    PACKETS_TOTAL.inc();
    PACKETS_TOTAL.inc_by(2);
    assert_eq!(PACKETS_TOTAL.get(), 3);
    assert_eq!(PACKETS_TOTAL.spec().kind, MetricKind::Counter);
    let by_name = METRICS.get_sharded_counter("app_packets_total").unwrap();
    assert!(std::ptr::eq(by_name, &PACKETS_TOTAL));
    assert!(matches!(
        METRICS.get_counter("app_packets_total"),
        Err(LookupError::Sharded { .. })
    ));

    REQUEST_DURATION_SECONDS.observe(0.5);
    drop(REQUEST_DURATION_SECONDS.start_timer());
    let by_name = METRICS
        .get_sharded_histogram("app_request_duration_seconds")
        .unwrap();
    assert_eq!(by_name.snapshot().count, 2);
    assert!(matches!(
        METRICS.get_histogram("app_request_duration_seconds"),
        Err(LookupError::Sharded { .. })
    ));
    by_name.reset();
    assert_eq!(REQUEST_DURATION_SECONDS.snapshot().count, 0);

    let any: &AnyHistogram = METRICS.get_histogram("app_payload_bytes").unwrap();
    assert_eq!(any.snapshot().count, 1);
    let names: Vec<&str> = METRICS.specs().iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "app_jobs_total",
            "app_queue_items",
            "app_job_duration_seconds",
            "app_payload_bytes",
            "app_legacy_queue_items",
            "app_packets_total",
            "app_request_duration_seconds",
            "app_model_info"
        ]
    );
    assert_eq!(METRICS.specs()[4].deprecated, Some("use app_queue_items"));
    // No series until the info metric is set; then one, its labels the values.
    assert_eq!(METRICS.snapshot_all().metrics.len(), 7);
    MODEL_INFO.set("resnet", "vision");
    assert_eq!(
        MODEL_INFO.get(),
        Some(["resnet".to_owned(), "vision".to_owned()])
    );
    assert_eq!(MODEL_INFO.spec().kind, MetricKind::Info);
    let snapshot = METRICS.snapshot_all();
    assert_eq!(snapshot.metrics.len(), 8);
    let info = snapshot.get_series("app_model_info", &[("model", "resnet"), ("type", "vision")]);
    assert_eq!(info.map(|s| &s.value), Some(&geno_metrics::MetricValue::Info));
    MODEL_INFO.clear();
    assert_eq!(MODEL_INFO.get(), None);
    assert_eq!(
        snapshot.get("app_packets_total").unwrap().value,
        geno_metrics::MetricValue::Counter(3)
    );
}
