//! Labelled handles: generated enums, `with(..)` per label, free-form values, and the table,
//! under `#![deny(warnings)]` (a deprecated labelled metric included).
#![deny(warnings, missing_docs, unused)]

/// The generated handles.
pub mod metrics {
    geno_metrics::registry!("ui/pass/labels.toml");
}

use geno_metrics::{Counter, Gauge, Histogram, Labelled, Metric};
use metrics::{
    METRICS, Phase, QUEUE_ITEMS, QueueItemsFamily, REQUESTS_TOTAL, RequestsTotalFamily,
    STEP_DURATION_SECONDS, Status, Type,
};

fn main() {
    let _: &'static RequestsTotalFamily = &REQUESTS_TOTAL;
    let _: &Labelled<Counter, 9, 1> = &REQUESTS_TOTAL;
    let _: &Gauge = QUEUE_ITEMS.with(Type::AB);
    let _: &'static QueueItemsFamily = &QUEUE_ITEMS;

    let step: &Histogram<2> = STEP_DURATION_SECONDS.with(Phase::Eval, Status::V2xx);
    step.observe(0.5);
    assert_eq!(STEP_DURATION_SECONDS.get(5).unwrap().snapshot().count, 1, "eval x 2xx is last");
    assert_eq!(Phase::all(), [Phase::Train, Phase::Eval]);
    assert_eq!(Status::V2xx.as_str(), "2xx");
    assert_eq!(Type::AB.to_string(), "a\nb");
    assert_eq!(Type::SelfValue.as_str(), "self");

    REQUESTS_TOTAL.with("resnet", Status::Ok).inc();
    REQUESTS_TOTAL.with("bert", Status::Error).inc();
    REQUESTS_TOTAL.with("t5", Status::Error).inc_by(5); // third model: overflow
    assert_eq!(REQUESTS_TOTAL.with("resnet", Status::Ok).get(), 1);
    assert_eq!(REQUESTS_TOTAL.with("gpt", Status::Error).get(), 5, "overflow");
    assert_eq!(REQUESTS_TOTAL.free_labels()[0].dropped(), 2);

    let Ok(Metric::Family(family)) = METRICS.get("app_requests_total") else {
        panic!("a labelled metric is a family in the table");
    };
    assert_eq!(family.len(), 9);
    let snapshot = METRICS.snapshot_all();
    let series = snapshot
        .get_series("app_requests_total", &[("model", "__overflow__"), ("status", "error")])
        .unwrap();
    assert_eq!(series.value, geno_metrics::MetricValue::Counter(5));
    let mut text = Vec::new();
    METRICS.encode_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("app_queue_items{type=\"a\\nb\"} 0\n"), "{text}");
    assert!(
        text.contains("geno_metrics_dropped_label_values_total{metric=\"app_requests_total\",label=\"model\"} 2\n"),
        "{text}"
    );
}
