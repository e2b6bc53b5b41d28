//! Soak test: 8 writer threads drive every kind of metric (plain and sharded counters and
//! histograms, a gauge, labelled counter, histogram and gauge families, a free-form label
//! that overflows) for a while, as a long job would, while other threads take snapshots,
//! export the textfile and run the periodic exporter. Every snapshot and every exported file
//! must be consistent (histograms whole, counters never going back), and at the end every
//! total must be exact: through the handles, in `snapshot_all`, and in the exported files.
//!
//! Writers record amounts that follow from their thread and iteration numbers, and tally
//! what they recorded, so the totals are known exactly however long the test runs. Histogram
//! bucket `i` only ever receives the value `VALUES[i]`, which makes every snapshot's `_sum`
//! follow exactly from its counts.
//!
//! It runs for 3 seconds by default, so CI stays fast. `GENO_METRICS_SOAK_SECS` sets the
//! duration (fractions allowed), for a real soak:
//!
//! ```text
//! GENO_METRICS_SOAK_SECS=600 cargo test -p geno-metrics-tests --release --test soak -- --nocapture
//! ```
//!
//! With `--nocapture` it prints one line: the operations done, the snapshots and exports
//! checked, and the periodic exporter's exports.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a failure is reported.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use geno_metrics::{
    DROPPED_LABEL_VALUES_METRIC, HistogramSnapshot, MetricSnapshot, MetricValue,
    OVERFLOW_LABEL_VALUE, Snapshot,
};
use geno_metrics_tests::assert_consistent_per_bucket;
use geno_metrics_tests::text_format::{self, Kind};

mod soak {
    geno_metrics::registry!("fixtures/soak.toml");
}
use soak::{
    JOBS_TOTAL, METRICS, MODEL_LATENCY_SECONDS, PACKETS_TOTAL, Phase, QUEUE_DEPTH, REQUESTS_TOTAL,
    STEP_SECONDS, Status, WAIT_SECONDS, WORKER_ITERATIONS, Worker,
};

const WRITERS: usize = 8;
/// How long the writers run unless `GENO_METRICS_SOAK_SECS` says otherwise.
const DEFAULT_SECS: f64 = 3.0;
/// Metric operations per writer iteration (see `iterate`).
const OPS_PER_ITERATION: u64 = 9;
/// The checkers must have done at least this much before the writers stop, however slow
/// the machine, so a short run still checks something.
const MIN_CHECKS: u64 = 20;
/// The histograms' bounds in fixtures/soak.toml, `+Inf` added.
const BOUNDS: [f64; 5] = [0.25, 0.5, 1.0, 2.0, f64::INFINITY];
/// The one value each bucket receives. Multiples of 1/4, so every sum is exact.
const VALUES: [f64; 5] = [0.25, 0.5, 1.0, 1.5, 4.0];
/// Free-form values for `soak_model_latency_seconds`, which has room for 4: the 2 that lose
/// the race for the slots go to the overflow series, every call of theirs counted as dropped.
const MODELS: [&str; 6] = ["m0", "m1", "m2", "m3", "m4", "m5"];
const MAX_MODEL_SERIES: usize = 4;

/// What one writer recorded, per metric and series: enough to know every total exactly.
#[derive(Debug, Default, Clone)]
struct Tally {
    iterations: u64,
    packets: u64,
    /// Observations per bucket (not cumulative).
    steps: [u64; 5],
    waits: [u64; 5],
    /// Indexed by phase, then status.
    requests: [[u64; 2]; 2],
    /// Indexed by model, then bucket.
    models: [[u64; 5]; 6],
}

impl Tally {
    fn add(&mut self, other: &Self) {
        self.iterations += other.iterations;
        self.packets += other.packets;
        for (a, b) in self.steps.iter_mut().zip(other.steps) {
            *a += b;
        }
        for (a, b) in self.waits.iter_mut().zip(other.waits) {
            *a += b;
        }
        for (a, b) in self.requests.iter_mut().zip(other.requests) {
            for (a, b) in a.iter_mut().zip(b) {
                *a += b;
            }
        }
        for (a, b) in self.models.iter_mut().zip(other.models) {
            for (a, b) in a.iter_mut().zip(b) {
                *a += b;
            }
        }
    }
}

/// Iteration `i` of writer `t`: one operation on every metric, with amounts and series
/// that vary with `t` and `i`, written down in `tally`.
fn iterate(t: usize, i: u64, tally: &mut Tally) {
    let n = i as usize;
    JOBS_TOTAL.inc();
    let packets = 1 + i % 3;
    PACKETS_TOTAL.inc_by(packets);
    tally.packets += packets;
    // Net +1 per iteration, so the gauge ends at the iteration count; it is never negative.
    QUEUE_DEPTH.add(2.0);

    let step = (n + t) % 5;
    STEP_SECONDS.observe(VALUES[step]);
    tally.steps[step] += 1;
    let wait = (3 * n + t) % 5;
    WAIT_SECONDS.observe(VALUES[wait]);
    tally.waits[wait] += 1;

    let (phase, status) = ((n + t) % 2, (n / 2 + t) % 2);
    let amount = t as u64 + 1;
    REQUESTS_TOTAL
        .with(Phase::all()[phase], Status::all()[status])
        .inc_by(amount);
    tally.requests[phase][status] += amount;

    let model = (n + 2 * t) % MODELS.len();
    let bucket = (n / 3 + model) % 5;
    MODEL_LATENCY_SECONDS
        .with(MODELS[model])
        .observe(VALUES[bucket]);
    tally.models[model][bucket] += 1;

    WORKER_ITERATIONS.with(Worker::all()[t]).set((i + 1) as f64);
    QUEUE_DEPTH.sub(1.0);
    tally.iterations += 1;
}

/// Labels as a snapshot holds them.
type Labels = BTreeMap<Cow<'static, str>, Cow<'static, str>>;

fn labels_of<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Labels {
    pairs
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k.into()), Cow::Owned(v.into())))
        .collect()
}

/// A series' identity: its name and its labels sorted by name, `{}` when it has none.
fn series_key(name: &str, labels: &Labels) -> String {
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{name}{{{}}}", labels.join(","))
}

/// The key of the series `name` with label pairs `labels`, in any order.
fn key(name: &str, labels: &[(&str, &str)]) -> String {
    series_key(name, &labels_of(labels.iter().copied()))
}

/// The series that counts the free-form model values sent to the overflow series.
fn dropped_models_key() -> String {
    key(
        DROPPED_LABEL_VALUES_METRIC,
        &[("metric", "soak_model_latency_seconds"), ("label", "model")],
    )
}

/// Every series of a snapshot by its key, to compare snapshots series by series.
fn by_series(snapshot: &Snapshot) -> BTreeMap<String, MetricValue> {
    let mut series = BTreeMap::new();
    for m in &snapshot.metrics {
        let previous = series.insert(series_key(&m.name, &m.labels), m.value.clone());
        assert!(previous.is_none(), "{} appears twice", m.name);
    }
    series
}

/// Reads an exported file back into a [`Snapshot`] (units left empty) with the tests' strict
/// reader of the text format, which also checks the file's shape and each histogram's
/// buckets, `_sum` and `_count`.
fn parse_exposition(text: &str) -> Snapshot {
    let families = text_format::parse(text.as_bytes())
        .unwrap_or_else(|e| panic!("the exported file breaks the format: {e}\n{text}"));
    let mut metrics = Vec::new();
    for family in families {
        let snapshot = |labels: Vec<(String, String)>, value| MetricSnapshot {
            name: family.name.clone().into(),
            unit: "".into(),
            labels: labels_of(labels),
            value,
        };
        match family.kind {
            Kind::Counter => metrics.extend(family.samples.iter().map(|s| {
                snapshot(
                    s.labels.clone(),
                    MetricValue::Counter(s.text.parse().unwrap()),
                )
            })),
            Kind::Gauge => metrics.extend(
                family
                    .samples
                    .iter()
                    .map(|s| snapshot(s.labels.clone(), MetricValue::Gauge(s.value))),
            ),
            Kind::Histogram => {
                // Each series: its buckets, then `_sum`, then `_count` (the reader checks it).
                let mut series: BTreeMap<Vec<(String, String)>, HistogramSnapshot> =
                    BTreeMap::new();
                for sample in &family.samples {
                    let h =
                        series
                            .entry(sample.series_labels())
                            .or_insert_with(|| HistogramSnapshot {
                                buckets: Vec::new(),
                                counts: Vec::new(),
                                sum: 0.0,
                                count: 0,
                            });
                    match &sample.name[family.name.len()..] {
                        "_bucket" => {
                            let le = sample.label("le").unwrap();
                            h.buckets.push(text_format::parse_go_float(le).unwrap());
                            h.counts.push(sample.text.parse().unwrap());
                        }
                        "_sum" => h.sum = sample.value,
                        _ => h.count = sample.text.parse().unwrap(),
                    }
                }
                metrics.extend(
                    series
                        .into_iter()
                        .map(|(labels, h)| snapshot(labels, MetricValue::Histogram(h))),
                );
            }
        }
    }
    Snapshot {
        const_labels: Default::default(),
        metrics,
    }
}

/// What a sequence of snapshots (or exported files) must keep: every histogram consistent,
/// nothing going back from one to the next.
#[derive(Default)]
struct Checker {
    last: BTreeMap<String, MetricValue>,
    checked: u64,
}

impl Checker {
    fn check(&mut self, snapshot: &Snapshot, source: &str) {
        let now = by_series(snapshot);
        for key in self.last.keys() {
            assert!(now.contains_key(key), "{source}: {key} disappeared");
        }
        for (key, value) in &now {
            let before = self.last.get(key);
            match (value, before) {
                (MetricValue::Counter(n), before) => {
                    if let Some(MetricValue::Counter(b)) = before {
                        assert!(n >= b, "{source}: {key} went from {b} to {n}");
                    }
                }
                (MetricValue::Histogram(h), before) => {
                    assert_eq!(h.buckets, BOUNDS, "{source}: {key}");
                    assert_consistent_per_bucket(h, &VALUES);
                    if let Some(MetricValue::Histogram(b)) = before {
                        // Each bucket only ever gains observations.
                        let gained = |s: &HistogramSnapshot| -> Vec<u64> {
                            let mut below = 0;
                            s.counts
                                .iter()
                                .map(|c| {
                                    let n = c - below;
                                    below = *c;
                                    n
                                })
                                .collect()
                        };
                        let (then, now) = (gained(b), gained(h));
                        assert!(
                            then.iter().zip(&now).all(|(a, b)| a <= b),
                            "{source}: {key} went from {then:?} to {now:?}"
                        );
                    }
                }
                (MetricValue::Gauge(g), before) => {
                    assert!(
                        *g >= 0.0 && g.fract() == 0.0,
                        "{source}: {key} = {g}, not a whole count"
                    );
                    // Each worker series has one writer setting 1, 2, 3, ...
                    if let (true, Some(MetricValue::Gauge(b))) =
                        (key.starts_with("soak_worker_iterations{"), before)
                    {
                        assert!(g >= b, "{source}: {key} went from {b} to {g}");
                    }
                }
                (MetricValue::Info | MetricValue::FloatCounter(_), _) => {
                    unreachable!("the soak registry has no info or collected metric")
                }
            }
        }
        self.last = now;
        self.checked += 1;
    }
}

/// Every series' exact final value, from the writers' tallies. `own_models` are the free-form
/// values that got a series of their own; the others' observations are in the overflow series.
fn expected(
    tally: &Tally,
    workers: &[Tally],
    own_models: &BTreeSet<String>,
) -> BTreeMap<String, MetricValue> {
    let histogram = |per_bucket: &[u64; 5]| {
        let mut cumulative = 0;
        let counts: Vec<u64> = per_bucket
            .iter()
            .map(|n| {
                cumulative += n;
                cumulative
            })
            .collect();
        let sum = per_bucket
            .iter()
            .zip(VALUES)
            .map(|(n, v)| *n as f64 * v)
            .sum();
        MetricValue::Histogram(HistogramSnapshot {
            buckets: BOUNDS.to_vec(),
            counts,
            sum,
            count: cumulative,
        })
    };
    let mut series = BTreeMap::new();
    series.insert(
        key("soak_jobs_total", &[]),
        MetricValue::Counter(tally.iterations),
    );
    series.insert(
        key("soak_packets_total", &[]),
        MetricValue::Counter(tally.packets),
    );
    series.insert(
        key("soak_queue_depth", &[]),
        MetricValue::Gauge(tally.iterations as f64),
    );
    series.insert(key("soak_step_seconds", &[]), histogram(&tally.steps));
    series.insert(key("soak_wait_seconds", &[]), histogram(&tally.waits));
    for (p, phase) in Phase::all().into_iter().enumerate() {
        for (s, status) in Status::all().into_iter().enumerate() {
            series.insert(
                key(
                    "soak_requests_total",
                    &[("phase", phase.as_str()), ("status", status.as_str())],
                ),
                MetricValue::Counter(tally.requests[p][s]),
            );
        }
    }
    let mut overflow = [0; 5];
    for (model, per_bucket) in MODELS.iter().zip(&tally.models) {
        if own_models.contains(*model) {
            series.insert(
                key("soak_model_latency_seconds", &[("model", model)]),
                histogram(per_bucket),
            );
        } else {
            for (a, b) in overflow.iter_mut().zip(per_bucket) {
                *a += b;
            }
        }
    }
    series.insert(
        key(
            "soak_model_latency_seconds",
            &[("model", OVERFLOW_LABEL_VALUE)],
        ),
        histogram(&overflow),
    );
    for (worker, tally) in Worker::all().into_iter().zip(workers) {
        series.insert(
            key("soak_worker_iterations", &[("worker", worker.as_str())]),
            MetricValue::Gauge(tally.iterations as f64),
        );
    }
    series.insert(
        dropped_models_key(),
        MetricValue::Counter(overflow.iter().sum()),
    );
    series
}

/// How long to run: `GENO_METRICS_SOAK_SECS`, else [`DEFAULT_SECS`].
fn duration() -> Duration {
    let secs = match std::env::var("GENO_METRICS_SOAK_SECS") {
        Ok(text) => text
            .trim()
            .parse::<f64>()
            .unwrap_or_else(|e| panic!("GENO_METRICS_SOAK_SECS={text:?}: {e}")),
        Err(_) => DEFAULT_SECS,
    };
    Duration::from_secs_f64(secs)
}

/// Re-raises a joined thread's panic as it was, so its own message is what the test reports.
fn resume<T>(panic: Box<dyn std::any::Any + Send>) -> T {
    std::panic::resume_unwind(panic)
}

/// Asserts that `dir` holds `metrics.prom` and nothing else: no temporary file left behind.
fn assert_only_the_textfile(dir: &Path) {
    let names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|name| !name.starts_with('.')),
        "temporary files left in {}: {names:?}",
        dir.display()
    );
    assert_eq!(names, ["metrics.prom"], "in {}", dir.display());
}

#[test]
fn every_metric_kind_stays_consistent_and_exact_under_load() {
    let run_for = duration();
    // Per process: debug and release runs share CARGO_TARGET_TMPDIR. Kept if the test fails.
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("soak-{}", std::process::id()));
    let (exports_dir, periodic_dir) = (root.join("exports"), root.join("periodic"));
    let (export_path, periodic_path) = (
        exports_dir.join("metrics.prom"),
        periodic_dir.join("metrics.prom"),
    );

    let started = Instant::now();
    let periodic = METRICS.spawn_textfile_exporter(Some(&periodic_path), Duration::from_millis(5));
    let stop = AtomicBool::new(false);
    let (snapshots_checked, exports_checked) = (AtomicU64::new(0), AtomicU64::new(0));

    let workers: Vec<Tally> = thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|t| {
                let stop = &stop;
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        iterate(t, i, &mut tally);
                        i += 1;
                    }
                    tally
                })
            })
            .collect();
        let snapshots = thread::Builder::new()
            .name("check-snapshots".into())
            .spawn_scoped(scope, || {
                let mut checker = Checker::default();
                while !stop.load(Ordering::Relaxed) {
                    checker.check(&METRICS.snapshot_all(), "snapshot_all");
                    snapshots_checked.store(checker.checked, Ordering::Relaxed);
                }
            })
            .unwrap();
        let exports = thread::Builder::new()
            .name("check-exports".into())
            .spawn_scoped(scope, || {
                let mut checker = Checker::default();
                while !stop.load(Ordering::Relaxed) {
                    METRICS
                        .export_prometheus_textfile(Some(&export_path))
                        .unwrap();
                    let text = fs::read_to_string(&export_path).unwrap();
                    checker.check(&parse_exposition(&text), "export");
                    exports_checked.store(checker.checked, Ordering::Relaxed);
                    // A breather: back to back, this loop would hold the registry's export lock
                    // nearly all the time and starve the periodic exporter on a busy machine.
                    thread::sleep(Duration::from_millis(1));
                }
            })
            .unwrap();

        // Run for the duration, and on until each checker has done its minimum; stop at once
        // if one fails, to report its panic (or the exporter's error, below).
        while started.elapsed() < run_for
            || snapshots_checked.load(Ordering::Relaxed) < MIN_CHECKS
            || exports_checked.load(Ordering::Relaxed) < MIN_CHECKS
            || periodic.exports() < 2
        {
            if snapshots.is_finished() || exports.is_finished() || periodic.failures() > 0 {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
        snapshots.join().unwrap_or_else(resume);
        exports.join().unwrap_or_else(resume);
        writers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(resume))
            .collect()
    });
    let elapsed = started.elapsed();
    let mut total = Tally::default();
    for worker in &workers {
        total.add(worker);
    }

    // Which free-form values won a series is up to the race; how many is not.
    let own_models: BTreeSet<String> = MODEL_LATENCY_SECONDS
        .iter()
        .map(|(labels, _)| labels[0].1.to_owned())
        .filter(|value| value != OVERFLOW_LABEL_VALUE)
        .collect();
    assert_eq!(own_models.len(), MAX_MODEL_SERIES, "{own_models:?}");
    assert!(
        own_models.iter().all(|m| MODELS.contains(&m.as_str())),
        "{own_models:?}"
    );
    let expected = expected(&total, &workers, &own_models);

    // The handles themselves.
    assert_eq!(JOBS_TOTAL.get(), total.iterations);
    assert_eq!(PACKETS_TOTAL.get(), total.packets);
    assert_eq!(QUEUE_DEPTH.get(), total.iterations as f64);
    assert_eq!(
        MetricValue::Histogram(STEP_SECONDS.snapshot()),
        expected["soak_step_seconds{}"]
    );
    assert_eq!(
        MetricValue::Histogram(WAIT_SECONDS.snapshot()),
        expected["soak_wait_seconds{}"]
    );
    for (p, phase) in Phase::all().into_iter().enumerate() {
        for (s, status) in Status::all().into_iter().enumerate() {
            assert_eq!(
                REQUESTS_TOTAL.with(phase, status).get(),
                total.requests[p][s]
            );
        }
    }
    for (worker, tally) in Worker::all().into_iter().zip(&workers) {
        assert_eq!(
            WORKER_ITERATIONS.with(worker).get(),
            tally.iterations as f64
        );
    }
    let dropped = MODEL_LATENCY_SECONDS.free_labels()[0].dropped();
    let MetricValue::Counter(expected_dropped) = expected[&dropped_models_key()] else {
        panic!("the dropped count is a counter");
    };
    assert_eq!(dropped, expected_dropped);

    // A structured snapshot, and files exported now and by the exporter's final export.
    let snapshot = METRICS.snapshot_all();
    Checker::default().check(&snapshot, "final snapshot_all");
    assert_eq!(by_series(&snapshot), expected, "snapshot_all");
    METRICS
        .export_prometheus_textfile(Some(&export_path))
        .unwrap();
    let exported = parse_exposition(&fs::read_to_string(&export_path).unwrap());
    assert_eq!(by_series(&exported), expected, "{}", export_path.display());

    let periodic_exports = periodic.exports();
    assert!(
        periodic_exports >= 2,
        "the periodic exporter exported {periodic_exports} times"
    );
    assert_eq!(periodic.failures(), 0, "{:?}", periodic.last_error());
    drop(periodic); // stops after one last export, of the final values
    let final_file = parse_exposition(&fs::read_to_string(&periodic_path).unwrap());
    assert_eq!(
        by_series(&final_file),
        expected,
        "{}",
        periodic_path.display()
    );

    assert_only_the_textfile(&exports_dir);
    assert_only_the_textfile(&periodic_dir);
    fs::remove_dir_all(&root).unwrap();

    println!(
        "soak: {:.1} s, {WRITERS} writers, {} operations ({} iterations), {} snapshots and {} \
         exports checked while writing, {} periodic exports",
        elapsed.as_secs_f64(),
        total.iterations * OPS_PER_ITERATION,
        total.iterations,
        snapshots_checked.load(Ordering::Relaxed),
        exports_checked.load(Ordering::Relaxed),
        periodic_exports,
    );
}
