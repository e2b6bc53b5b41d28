//! Info metrics (`kind = "info"`): what each format writes before and after `set`, that a
//! `set` replaces the series, and that an exposition never sees half of a `set` while other
//! threads replace the values.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use geno_metrics::{MetricValue, Snapshot};

mod svc {
    geno_metrics::registry!("fixtures/info.toml");
}
use svc::{METRICS, MODEL_INFO, REQUESTS_TOTAL};

/// The tests share `MODEL_INFO`; each holds this lock while it sets and reads it.
static SERIAL: Mutex<()> = Mutex::new(());

fn text() -> String {
    let mut out = Vec::new();
    METRICS.encode_text(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn openmetrics() -> String {
    let mut out = Vec::new();
    METRICS.encode_openmetrics(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The lines of `text` about the info metric.
fn info_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains("svc_model")).collect()
}

#[test]
fn both_formats_write_one_series_after_set_and_none_before() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    REQUESTS_TOTAL.inc();
    MODEL_INFO.clear();
    assert_eq!(
        info_lines(&text()),
        [
            "# HELP svc_model_info The model loaded and its checkpoint.",
            "# TYPE svc_model_info gauge",
        ]
    );
    assert_eq!(
        info_lines(&openmetrics()),
        [
            "# TYPE svc_model info",
            "# HELP svc_model The model loaded and its checkpoint.",
        ]
    );

    MODEL_INFO.set("resnet", "ckpt-1");
    // Values are escaped as every label value is; a second set replaces the first.
    MODEL_INFO.set("res\"net\\", "ckpt\n2");
    let sample = r#"svc_model_info{rank="3",model="res\"net\\",checkpoint="ckpt\n2"} 1"#;
    assert_eq!(
        info_lines(&text()),
        [
            "# HELP svc_model_info The model loaded and its checkpoint.",
            "# TYPE svc_model_info gauge",
            sample,
        ]
    );
    assert_eq!(
        info_lines(&openmetrics()),
        [
            "# TYPE svc_model info",
            "# HELP svc_model The model loaded and its checkpoint.",
            sample,
        ]
    );
    assert!(openmetrics().ends_with("# EOF\n"));

    MODEL_INFO.clear();
    assert_eq!(info_lines(&text()).len(), 2, "clear removes the series");
}

#[test]
fn the_snapshot_has_the_series_with_its_labels_and_round_trips_as_json() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    MODEL_INFO.clear();
    assert!(
        METRICS
            .snapshot_all()
            .get_series("svc_model_info", &[])
            .is_none()
    );
    MODEL_INFO.set("resnet", "ckpt-7");
    let snapshot = METRICS.snapshot_all();
    let series = snapshot
        .get_series(
            "svc_model_info",
            &[("model", "resnet"), ("checkpoint", "ckpt-7")],
        )
        .unwrap();
    assert_eq!(series.value, MetricValue::Info);
    assert_eq!(series.labels.get("rank").map(|v| &**v), Some("3"));
    let json = serde_json::to_string(&snapshot).unwrap();
    assert!(json.contains(r#""kind":"info""#), "{json}");
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, snapshot);
    MODEL_INFO.clear();
}

#[test]
fn an_exposition_never_sees_half_of_a_set() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let stop = AtomicBool::new(false);
    let expositions = std::thread::scope(|scope| {
        for thread in 0..4 {
            let stop = &stop;
            scope.spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let value = format!("t{thread}-{i}");
                    // Both labels always carry the same value: a torn read would differ.
                    MODEL_INFO.set(&value, &value);
                    i += 1;
                }
            });
        }
        let mut expositions = 0;
        for _ in 0..2_000 {
            let text = text();
            let lines = info_lines(&text);
            if let Some(sample) = lines.get(2) {
                let (_, labels) = sample.split_once("model=\"").unwrap();
                let (model, rest) = labels.split_once('"').unwrap();
                let (_, rest) = rest.split_once("checkpoint=\"").unwrap();
                let (checkpoint, _) = rest.split_once('"').unwrap();
                assert_eq!(model, checkpoint, "{sample}");
                assert_eq!(lines.len(), 3, "one series at a time: {text}");
                expositions += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        expositions
    });
    assert!(expositions > 0);
    MODEL_INFO.clear();
}

#[test]
fn by_name_an_info_metric_is_a_metric_but_no_recording_handle() {
    use geno_metrics::{LookupError, Metric};
    assert!(matches!(METRICS.get("svc_model_info"), Ok(Metric::Info(_))));
    for error in [
        METRICS.get_gauge("svc_model_info").unwrap_err(),
        METRICS.get_counter("svc_model_info").unwrap_err(),
        METRICS.get_family("svc_model_info").err().unwrap(),
    ] {
        assert_eq!(
            error,
            LookupError::Info {
                name: "svc_model_info"
            }
        );
        assert!(error.to_string().contains("set(..)"), "{error}");
    }
}
