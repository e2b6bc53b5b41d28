//! Constant labels with hostile values: every sample of every kind carries them first, in
//! declaration order, each value read back exactly; `snapshot_all` carries the same; and the
//! per-process file name made from them is safe on any filesystem and never the same for two
//! different value sets, case-insensitively too.

use std::collections::HashSet;

use geno_metrics::{
    ConstLabelError, ConstLabelSpec, Counter, LabelSpec, Metric, MetricKind, Registry,
};
use proptest::prelude::*;

use super::support::*;

const NAMES: [&str; 3] = ["rank", "run", "host_group"];

/// A fresh registry with constant labels `NAMES[..values.len()]` set to `values`: an
/// unlabelled counter, an unlabelled histogram and a labelled counter.
fn registry_with(values: &[String]) -> &'static Registry {
    let specs: Vec<ConstLabelSpec> = NAMES[..values.len()]
        .iter()
        .map(|name| ConstLabelSpec::new(name, "GENO_METRICS_PROPS_NEVER_SET"))
        .collect();
    let specs: &'static [ConstLabelSpec] = specs.leak();
    let mut labelled = spec("hostile_labelled_total", MetricKind::Counter, "labelled");
    labelled.labels = leak([LabelSpec::free_form("model", 1)]);
    let mut latency = spec("hostile_latency_seconds", MetricKind::Histogram, "latency");
    latency.buckets = &[1.0];
    let metric_specs = vec![
        spec("hostile_steps_total", MetricKind::Counter, "steps"),
        latency,
        labelled,
    ];
    let base = registry(metric_specs, |spec| {
        match (spec.kind, spec.labels.is_empty()) {
            (MetricKind::Counter, false) => family(spec, Counter::new),
            _ => plain(spec),
        }
    });
    // `registry` built it without constant labels; rebuild it with them over the same handles.
    let registry = leak(
        Registry::new(base.specs(), base.iter().collect::<Vec<_>>().leak())
            .with_const_labels(specs),
    );
    let pairs: Vec<(&str, &str)> = NAMES
        .iter()
        .zip(values)
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    registry.set_const_labels(&pairs).unwrap();
    // One series of its own (`model="m"`) and the overflow (`model="__overflow__"`).
    let family = registry.get_family("hostile_labelled_total").unwrap();
    for model in ["m", "n"] {
        let Some(Metric::Counter(series)) = family.with_values(&[model]) else {
            panic!("a counter series")
        };
        series.inc();
    }
    registry
}

fn const_values() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        hostile_string(10).prop_filter("a value is not empty", |s| !s.is_empty()),
        1..=3,
    )
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn every_sample_carries_the_constant_labels_first(values in const_values()) {
        let registry = registry_with(&values);
        let expected: Vec<(String, String)> =
            NAMES.iter().zip(&values).map(|(n, v)| ((*n).to_owned(), v.clone())).collect();
        let (text, families) = encode_and_parse(registry);
        let samples: Vec<_> = families.iter().flat_map(|f| &f.samples).collect();
        // 1 counter + (2 buckets, sum, count) + 2 labelled series + 1 overflow count.
        prop_assert_eq!(samples.len(), 1 + 4 + 2 + 1, "{}", text);
        for sample in samples {
            prop_assert_eq!(
                &sample.labels[..expected.len()],
                &expected[..],
                "{}: {}",
                sample.name,
                text
            );
        }
        let snapshot = registry.snapshot_all();
        prop_assert_eq!(snapshot.const_labels.len(), expected.len());
        for entry in &snapshot.metrics {
            for (name, value) in &expected {
                prop_assert_eq!(entry.labels.get(name.as_str()).map(|v| &**v), Some(value.as_str()));
            }
        }
        prop_assert!(snapshot.get("hostile_steps_total").is_some(), "own labels: none");
        prop_assert!(snapshot.get_series("hostile_labelled_total", &[("model", "m")]).is_some());
    }

    #[test]
    fn file_names_are_safe_and_never_shared(a in const_values(), b in const_values()) {
        let name = |values: &[String]| -> Result<String, String> {
            registry_with(values)
                .default_textfile_path()
                .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
                .map_err(|e| e.to_string())
        };
        let (name_a, name_b) = (name(&a), name(&b));
        for name in [&name_a, &name_b] {
            match name {
                Ok(name) => {
                    prop_assert!(name.len() <= 255, "{}", name);
                    prop_assert!(name.starts_with("metrics.") && name.ends_with(".prom"), "{}", name);
                    prop_assert!(
                        name.bytes().all(|c| c.is_ascii_lowercase()
                            || c.is_ascii_digit()
                            || b"_-.=%ABCDEF".contains(&c)),
                        "{}", name
                    );
                }
                Err(e) => prop_assert!(e.contains("more than the 255"), "{}", e),
            }
        }
        if let (Ok(name_a), Ok(name_b)) = (&name_a, &name_b) {
            prop_assert_eq!(
                name_a.eq_ignore_ascii_case(name_b),
                a == b,
                "{:?} -> {}, {:?} -> {}", a, name_a, b, name_b
            );
        }
    }
}

/// Values a launcher could give: every rank of a large job, run ids, host names and paths,
/// differing only in case or in a byte the name encodes, all get files of their own.
#[test]
fn close_values_get_distinct_files() {
    let mut values: Vec<String> = (0..2048).map(|r| r.to_string()).collect();
    values.extend(
        [
            "Run", "run", "RUN", "a.b", "a%2Eb", "a%2eb", "a/b", "a\\b", "a b", "a_b", "a-b", "é",
            "e\u{301}",
        ]
        .map(str::to_owned),
    );
    let mut seen = HashSet::new();
    for value in &values {
        let path = registry_with(std::slice::from_ref(value))
            .default_textfile_path()
            .unwrap();
        let name = path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            seen.insert(name.clone()),
            "{value:?} shares the file {name}"
        );
    }
}

/// The longest name the export makes still leaves room for the temporary file's name, so an
/// export to it works; a value one byte longer is an error that says what to do.
#[test]
fn the_longest_file_name_exports_and_a_longer_one_is_an_error_that_says_what_to_do() {
    let dir = std::env::temp_dir().join(format!("geno-const-long-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // `metrics.rank=` and `.prom`: 18 bytes around the value; 221 in all.
    let longest = "r".repeat(221 - 18);
    let name = registry_with(std::slice::from_ref(&longest))
        .default_textfile_path()
        .unwrap();
    let name = name.file_name().unwrap();
    assert_eq!(name.len(), 221);
    let written = registry_with(&[longest])
        .export_prometheus_textfile(Some(&dir.join(name)))
        .unwrap();
    assert!(
        std::fs::read_to_string(written)
            .unwrap()
            .contains("hostile_steps_total{rank=\"rrr")
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let err = registry_with(&["r".repeat(221 - 17)])
        .default_textfile_path()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let message = err.to_string();
    assert!(
        message.contains("222 bytes, more than the 221"),
        "{message}"
    );
    assert!(message.contains("pass a path"), "{message}");
}

/// A periodic exporter whose default file name cannot be made writes nothing anywhere (not
/// the shared `metrics.prom`): every export, the final one too, fails with the reason.
#[test]
fn an_exporter_without_a_usable_default_path_fails_every_export_and_writes_nothing() {
    let registry = registry_with(&["r".repeat(300)]);
    let exporter = registry.spawn_textfile_exporter(None, std::time::Duration::from_millis(5));
    assert_eq!(exporter.path(), geno_metrics::metrics_path());
    std::thread::sleep(std::time::Duration::from_millis(40));
    assert_eq!(exporter.exports(), 0);
    assert!(exporter.failures() >= 1);
    let error = exporter.last_error().unwrap();
    assert!(error.contains("more than the 221"), "{error}");
    drop(exporter);
    assert!(
        !geno_metrics::metrics_path().exists(),
        "nothing written to {}",
        geno_metrics::metrics_path().display()
    );
}

/// Without constant labels the default is `metrics_path()`, as it always was.
#[test]
fn without_constant_labels_the_default_path_is_metrics_path() {
    let registry = registry(
        vec![spec("plain_steps_total", MetricKind::Counter, "s")],
        plain,
    );
    assert!(registry.const_label_specs().is_empty());
    assert_eq!(
        registry.default_textfile_path().unwrap(),
        geno_metrics::metrics_path()
    );
    assert_eq!(registry.const_labels().unwrap(), []);
}

#[test]
fn an_unset_label_fails_every_exposition_and_leaves_the_snapshot_without_it() {
    let specs: &'static [ConstLabelSpec] = leak([
        ConstLabelSpec::new("rank", "GENO_METRICS_PROPS_NEVER_SET").with_default("0"),
        ConstLabelSpec::new("run", "GENO_METRICS_PROPS_NEVER_SET_EITHER"),
    ]);
    let base = registry(
        vec![spec("hostile_steps_total", MetricKind::Counter, "s")],
        plain,
    );
    let registry: &'static Registry = leak(
        Registry::new(base.specs(), base.iter().collect::<Vec<_>>().leak())
            .with_const_labels(specs),
    );
    let unset = ConstLabelError::Unset {
        label: "run",
        env: "GENO_METRICS_PROPS_NEVER_SET_EITHER",
    };
    assert_eq!(registry.const_labels().unwrap_err(), unset);
    let mut out = Vec::new();
    let err = registry.encode_text(&mut out).unwrap_err();
    assert!(out.is_empty(), "nothing written");
    assert!(
        err.to_string()
            .contains("$GENO_METRICS_PROPS_NEVER_SET_EITHER is unset"),
        "{err}"
    );
    let dir = std::env::temp_dir().join(format!("geno-const-unset-{}", std::process::id()));
    let err = registry
        .export_prometheus_textfile(Some(&dir.join("metrics.prom")))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("constant label `run` has no value"),
        "{err}"
    );
    assert!(!dir.exists(), "a failed export creates nothing");
    assert!(registry.default_textfile_path().is_err());
    // The snapshot stays in the process: the label that resolved, not the one that did not.
    let snapshot = registry.snapshot_all();
    let labels: Vec<(&str, &str)> = snapshot.metrics[0]
        .labels
        .iter()
        .map(|(k, v)| (&**k, &**v))
        .collect();
    assert_eq!(labels, [("rank", "0")]);
    // Frozen: too late to fix it in this process.
    assert!(matches!(
        registry.set_const_labels(&[("run", "r1")]),
        Err(ConstLabelError::Frozen { .. })
    ));
}

/// Three threads each set a label of their own while a fourth freezes the values with an
/// exposition: a label's frozen value is its thread's exactly when that thread was told its
/// value was accepted, and its default otherwise. A value accepted and then lost to the
/// freeze, or set after it, fails the round.
#[test]
fn many_threads_racing_set_and_freeze_never_lose_a_value_that_was_accepted() {
    let specs: &'static [ConstLabelSpec] = leak(NAMES.map(|name| {
        ConstLabelSpec::new(name, "GENO_METRICS_PROPS_NEVER_SET").with_default("default")
    }));
    let base = registry(
        vec![spec("race_steps_total", MetricKind::Counter, "s")],
        plain,
    );
    for round in 0..200 {
        let fresh: &'static Registry = leak(
            Registry::new(base.specs(), base.iter().collect::<Vec<_>>().leak())
                .with_const_labels(specs),
        );
        let accepted: Vec<bool> = std::thread::scope(|scope| {
            let setters: Vec<_> = NAMES
                .iter()
                .map(|name| {
                    scope.spawn(move || {
                        fresh
                            .set_const_labels(&[(name, &format!("set-{name}"))])
                            .is_ok()
                    })
                })
                .collect();
            let mut out = Vec::new();
            fresh.encode_text(&mut out).unwrap();
            setters.into_iter().map(|s| s.join().unwrap()).collect()
        });
        let frozen = fresh.const_labels().unwrap();
        for ((name, accepted), (label, value)) in NAMES.iter().zip(accepted).zip(frozen) {
            assert_eq!(name, label);
            let expected = if accepted {
                format!("set-{name}")
            } else {
                "default".to_owned()
            };
            assert_eq!(
                **value, *expected,
                "round {round}: {name} accepted: {accepted}"
            );
        }
        assert!(fresh.set_const_labels(&[("rank", "late")]).is_err());
    }
}
