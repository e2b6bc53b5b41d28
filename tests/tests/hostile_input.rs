//! The runtime never panics on what a caller passes it: any name to the by-name accessors, any
//! index, label number or label values to a family, any `f64` to a gauge or a histogram, any
//! path to the export. Each either works or says why not, and the registry still exports a
//! file afterwards.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use geno_metrics::{LookupError, Metric, MetricKind};
use geno_metrics_tests::genolewm::{
    CHECKPOINT_WRITE_DURATION_SECONDS, GPU_MEMORY_USED_BYTES, METRICS, TRAIN_LOSS,
};
use proptest::prelude::*;

/// The registry's names, and strings near them, among arbitrary text.
fn names() -> impl Strategy<Value = String> {
    let known: Vec<String> = METRICS.specs().iter().map(|s| s.name.to_owned()).collect();
    prop_oneof![
        any::<String>(),
        proptest::sample::select(known.clone()),
        (proptest::sample::select(known), any::<String>()).prop_map(|(n, tail)| n + &tail),
        Just(String::new()),
    ]
}

/// Any `f64`: every bit pattern, and the values that most often break arithmetic.
fn floats() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        proptest::sample::select(vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            f64::MIN_POSITIVE / 2.0,
            f64::MAX,
            f64::MIN,
        ]),
    ]
}

/// Whether `relative` (None: not relative to the base at all) climbs no more than `depth`
/// levels above the base, read lexically.
fn stays_inside(relative: Option<&Path>, depth: usize) -> bool {
    let Some(relative) = relative else {
        return false;
    };
    let mut depth = depth;
    for component in relative.components() {
        match component {
            std::path::Component::ParentDir if depth == 0 => return false,
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            std::path::Component::CurDir => {}
            std::path::Component::RootDir | std::path::Component::Prefix(_) => return false,
        }
    }
    true
}

fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile_input");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn lookups_by_any_name_answer_without_panicking(name in names()) {
        let declared = METRICS.specs().iter().find(|s| s.name == name);
        match METRICS.get(&name) {
            Ok(metric) => prop_assert_eq!(Some(metric.spec()), declared),
            Err(e) => {
                prop_assert!(declared.is_none());
                let unknown = matches!(e, LookupError::Unknown { .. });
                prop_assert!(unknown, "{}", e);
                prop_assert!(e.to_string().contains("no metric"), "{}", e);
            }
        }
        // The typed accessors agree with the kind, and never panic either.
        let kind = declared.map(|s| s.kind);
        // A collector's counter is read, not recorded into: no handle by name.
        let collected = matches!(METRICS.get(&name), Ok(Metric::Process(_)));
        prop_assert_eq!(
            METRICS.get_counter(&name).is_ok() || METRICS.get_sharded_counter(&name).is_ok(),
            kind == Some(MetricKind::Counter)
                && declared.is_some_and(|s| s.labels.is_empty())
                && !collected
        );
        let _ = METRICS.get_gauge(&name).map_err(|e| e.to_string());
        let _ = METRICS.get_histogram(&name).map_err(|e| e.to_string());
        let _ = METRICS.get_sharded_histogram(&name).map_err(|e| e.to_string());
        let _ = METRICS.get_family(&name).map_err(|e| e.to_string());
    }

    #[test]
    fn families_take_any_index_label_number_and_values(
        index in any::<usize>(),
        small_index in 0usize..64,
        label in any::<usize>(),
        values in proptest::collection::vec(any::<String>(), 0..4),
    ) {
        for metric in METRICS.iter() {
            let Metric::Family(family) = metric else { continue };
            for i in [index, small_index] {
                prop_assert_eq!(
                    family.series(i).is_some(),
                    (0..family.spec().labels.len()).all(|l| family.label_value(i, l).is_some())
                        && i < family.len()
                );
                let _ = family.label_value(i, label);
            }
            let _ = family.free_label(label);
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            let found = family.with_values(&values);
            if values.len() != family.spec().labels.len() {
                prop_assert!(found.is_none());
            }
        }
    }

    #[test]
    fn any_float_is_recorded_and_exported(gauge in floats(), observed in floats()) {
        TRAIN_LOSS.set(gauge);
        prop_assert_eq!(TRAIN_LOSS.get().to_bits(), gauge.to_bits());
        CHECKPOINT_WRITE_DURATION_SECONDS.observe(observed);
        GPU_MEMORY_USED_BYTES.with("cuda:0").add(gauge);
        let snapshot = CHECKPOINT_WRITE_DURATION_SECONDS.snapshot();
        prop_assert_eq!(snapshot.counts.last(), Some(&snapshot.count));
        let mut text = Vec::new();
        METRICS.encode_text(&mut text).unwrap();
        prop_assert!(text.ends_with(b"\n"));
    }

    #[test]
    fn an_export_to_any_path_works_or_names_it(
        parts in proptest::collection::vec(
            prop_oneof![
                any::<String>(),
                proptest::sample::select(vec![
                    "".to_owned(), ".".to_owned(), "..".to_owned(), "/".to_owned(),
                    "metrics.prom".to_owned(), "a\nb".to_owned(), "x".repeat(300),
                ]),
            ],
            0..4,
        ),
    ) {
        // Only paths that stay inside the scratch directory: a part may hold `..` or `/`.
        let base = scratch().join("1/2/3");
        // A part that would climb out (or start again at `/`) is replaced, not rejected: at
        // many cases, rejections would abort the run.
        let path = parts.iter().fold(base.clone(), |p, part| {
            let next = p.join(part);
            if stays_inside(next.strip_prefix(&base).ok(), 3) { next } else { p.join("climbed") }
        });
        match METRICS.export_prometheus_textfile(Some(&path)) {
            Ok(written) => prop_assert_eq!(written, path),
            Err(e) => {
                let message = e.to_string();
                prop_assert!(
                    message.contains(&path.display().to_string()),
                    "{} does not name {}", message, path.display()
                );
            }
        }
    }
}

/// Found by the property above: asking a family for a label number past its last label
/// sliced out of range.
#[test]
fn a_label_number_past_the_last_is_none() {
    for metric in METRICS.iter() {
        let Metric::Family(family) = metric else {
            continue;
        };
        let labels = family.spec().labels.len();
        for label in [labels, labels + 1, usize::MAX] {
            assert_eq!(family.label_value(0, label), None, "{}", family.spec().name);
            assert!(family.free_label(label).is_none());
        }
    }
}

mod side_effects {
    geno_metrics::registry!("fixtures/side_effects.toml");
}

/// A call with label values that must fail: the wrong number of values, or an enumerated
/// label given a value it does not list. Free-form positions get any string, new ones too.
fn failing_values(
    labels: &'static [geno_metrics::LabelSpec],
) -> impl Strategy<Value = Vec<String>> {
    use geno_metrics::LabelValues;
    let width = labels.len();
    let any_values = |n: usize| proptest::collection::vec(any::<String>(), n);
    let wrong_count = (0..width + 3)
        .prop_filter("a wrong count", move |n| *n != width)
        .prop_flat_map(any_values);
    let enumerated: Vec<usize> = labels
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(l.values, LabelValues::Enumerated(_)))
        .map(|(i, _)| i)
        .collect();
    let wrong_value = (
        any_values(width),
        proptest::sample::select(enumerated),
        any::<String>(),
    )
        .prop_filter_map(
            "a value the label does not list",
            move |(mut values, at, value)| {
                let LabelValues::Enumerated(known) = labels[at].values else {
                    return None;
                };
                (!known.contains(&value.as_str())).then(|| {
                    values[at] = value;
                    values
                })
            },
        );
    prop_oneof![wrong_count, wrong_value]
}

/// Any call on one of the fixture's families: its number, and values that fail.
fn failing_call() -> impl Strategy<Value = (usize, Vec<String>)> {
    let families: Vec<usize> = (0..side_effects::METRICS.len()).collect();
    proptest::sample::select(families).prop_flat_map(|i| {
        let labels = side_effects::METRICS.specs()[i].labels;
        (Just(i), failing_values(labels))
    })
}

fn exposition() -> Vec<u8> {
    let mut text = Vec::new();
    side_effects::METRICS.encode_text(&mut text).unwrap();
    text
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// Failing calls change nothing: the exposition (series, values, free-form tables, the
    /// dropped-values counter) is byte-identical before and after them, whatever valid calls
    /// came before.
    #[test]
    fn failed_calls_leave_the_exposition_byte_identical(
        valid in proptest::collection::vec((0..3usize, "[a-e]{0,2}"), 0..6),
        failing in proptest::collection::vec(failing_call(), 1..8),
    ) {
        use side_effects::{METRICS, Phase, Queue, Status};
        for (which, value) in &valid {
            match which {
                0 => side_effects::REQUESTS_TOTAL.with(value, Status::Ok).inc(),
                1 => side_effects::QUEUE_ITEMS.with(Queue::Slow, value).add(1.0),
                _ => side_effects::LATENCY_SECONDS.with(value, Phase::Eval, "h").observe(0.5),
            }
        }
        let before = exposition();
        for (family, values) in &failing {
            let Ok(Metric::Family(family)) = METRICS.get(METRICS.specs()[*family].name) else {
                panic!("the fixture's metrics are labelled");
            };
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            prop_assert!(family.with_values(&values).is_none(), "{:?} must fail", values);
        }
        let after = exposition();
        prop_assert_eq!(
            String::from_utf8_lossy(&before),
            String::from_utf8_lossy(&after),
            "failed calls {:?} changed the exposition",
            failing
        );
    }
}
