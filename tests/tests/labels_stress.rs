//! Labelled metrics and sharded counters under many threads: every series counts exactly,
//! histogram series stay consistent in every snapshot, free-form values raced by many
//! threads each get exactly one series (never two for one value) with every call counted
//! once, overflow included, a sharded counter loses nothing and never goes down in any
//! snapshot or export, and a sharded histogram's snapshots stay consistent with more writer
//! threads than it has shards.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::thread;

use geno_metrics::{Counter, Labelled, MetricValue, OVERFLOW_LABEL_VALUE};
use geno_metrics_tests::{assert_consistent, race, sample};

mod stress {
    geno_metrics::registry!("fixtures/stress.toml");
}
use stress::{
    METRICS, MODEL_REQUESTS_TOTAL, PACKETS_TOTAL, Phase, REQUESTS_TOTAL, STEP_SECONDS, Status,
    WAIT_SECONDS,
};

const THREADS: usize = 8;

#[test]
fn every_series_counts_exactly_and_snapshots_stay_consistent() {
    const PER_THREAD: usize = 60_000;
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    let snapshots = race(
        THREADS,
        |t| {
            for i in 0..PER_THREAD {
                let phase = Phase::all()[(i + t) % 3];
                let status = Status::all()[(i / 3 + t) % 2];
                REQUESTS_TOTAL.with(phase, status).inc();
                STEP_SECONDS.with(phase).observe(1.0);
            }
        },
        200,
        || {
            for series in METRICS.snapshot_all().metrics {
                let key = format!("{}{:?}", series.name, series.labels);
                let count = match &series.value {
                    MetricValue::Counter(n) => *n,
                    MetricValue::Histogram(h) => {
                        assert_consistent(h, 1.0);
                        h.count
                    }
                    MetricValue::Gauge(_) | MetricValue::Info | MetricValue::FloatCounter(_) => {
                        continue;
                    }
                };
                let previous = last.insert(key.clone(), count).unwrap_or(0);
                assert!(count >= previous, "{key} went backwards");
            }
        },
    );
    assert!(snapshots >= 200);

    // Each thread spreads its calls evenly: 6 (phase, status) pairs, 3 phases.
    for phase in Phase::all() {
        for status in Status::all() {
            let n = REQUESTS_TOTAL.with(phase, status).get();
            assert_eq!(n, (THREADS * PER_THREAD / 6) as u64, "{phase} {status}");
        }
        let s = STEP_SECONDS.with(phase).snapshot();
        assert_eq!(s.count, (THREADS * PER_THREAD / 3) as u64, "{phase}");
    }
}

#[test]
fn racing_threads_give_each_free_form_value_one_series() {
    const VALUES: usize = 100; // more than max_series = 64: the rest overflow
    const ROUNDS: usize = 200;
    let values: Vec<String> = (0..VALUES).map(|i| format!("model-{i}")).collect();
    let barrier = std::sync::Barrier::new(THREADS);
    thread::scope(|scope| {
        for t in 0..THREADS {
            let (values, barrier) = (&values, &barrier);
            scope.spawn(move || {
                barrier.wait();
                for round in 0..ROUNDS {
                    // Every thread walks the values in its own order, so first uses race.
                    for i in 0..VALUES {
                        let value = &values[(i * (2 * t + 1) + round) % VALUES];
                        MODEL_REQUESTS_TOTAL.with(value, Status::Ok).inc();
                    }
                }
            });
        }
    });

    let calls = (THREADS * ROUNDS * VALUES) as u64;
    let series: Vec<(String, u64)> = MODEL_REQUESTS_TOTAL
        .iter()
        .filter(|(labels, _)| labels[1] == ("status", "ok"))
        .map(|(labels, c)| (labels[0].1.to_owned(), c.get()))
        .collect();
    assert_eq!(series.len(), 64 + 1, "64 values and the overflow series");
    let distinct: HashSet<&str> = series.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(
        distinct.len(),
        series.len(),
        "one series per value: {series:?}"
    );
    assert_eq!(
        series.iter().map(|(_, n)| n).sum::<u64>(),
        calls,
        "every call counted once"
    );
    let per_value = (THREADS * ROUNDS) as u64;
    for (value, n) in &series {
        if value == OVERFLOW_LABEL_VALUE {
            assert_eq!(*n, per_value * (VALUES as u64 - 64));
        } else {
            assert!(values.contains(value), "{value}");
            assert_eq!(*n, per_value, "{value}");
        }
    }
    assert_eq!(
        MODEL_REQUESTS_TOTAL.free_labels()[0].dropped(),
        per_value * (VALUES as u64 - 64)
    );
    // A value that got no series keeps landing in the overflow series, one that did in its own.
    let (own, _) = &series[0];
    assert!(std::ptr::eq(
        MODEL_REQUESTS_TOTAL.with(own, Status::Ok),
        MODEL_REQUESTS_TOTAL.get(0).unwrap()
    ));
}

#[test]
fn first_uses_raced_on_fresh_tables_never_duplicate_a_value() {
    // The race that matters is on first use, so run it on many fresh tables: all threads
    // start together and ask for the same few new values at once.
    let spec = MODEL_REQUESTS_TOTAL.spec();
    for _ in 0..50 {
        let family: &'static Labelled<Counter, 130, 1> = Box::leak(Box::new(
            geno_metrics::__private::labelled(spec, std::array::from_fn(|_| Counter::new(spec))),
        ));
        let barrier = std::sync::Barrier::new(THREADS);
        thread::scope(|scope| {
            for _ in 0..THREADS {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    for value in ["a", "b", "c", "d"] {
                        family.with_values(&[value, "ok"]).unwrap().inc();
                    }
                });
            }
        });
        let series: Vec<(Vec<(&str, &str)>, u64)> =
            family.iter().map(|(labels, c)| (labels, c.get())).collect();
        let ok: Vec<_> = series.iter().filter(|(l, _)| l[1].1 == "ok").collect();
        assert_eq!(ok.len(), 4, "{series:?}");
        assert!(ok.iter().all(|(_, n)| *n == THREADS as u64), "{series:?}");
    }
}

#[test]
fn a_sharded_counter_is_exact_and_monotonic_in_snapshots_and_exports() {
    const PER_THREAD: u64 = 200_000;
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sharded/metrics.prom");
    let read_back = || {
        sample(
            &std::fs::read_to_string(&path).unwrap(),
            "stress_packets_total",
        )
    };
    let (mut last_snapshot, mut last_export) = (0, 0);
    race(
        THREADS,
        |_| {
            for _ in 0..PER_THREAD {
                PACKETS_TOTAL.inc();
            }
        },
        0,
        || {
            let snapshot = METRICS.snapshot_all();
            let MetricValue::Counter(n) = snapshot.get("stress_packets_total").unwrap().value
            else {
                panic!("a sharded counter is a counter");
            };
            assert!(
                n >= last_snapshot,
                "snapshot went from {last_snapshot} to {n}"
            );
            last_snapshot = n;
            METRICS.export_prometheus_textfile(Some(&path)).unwrap();
            let exported = read_back();
            assert!(
                exported >= last_export,
                "export went from {last_export} to {exported}"
            );
            last_export = exported;
        },
    );
    let total = THREADS as u64 * PER_THREAD;
    assert_eq!(PACKETS_TOTAL.get(), total);
    METRICS.export_prometheus_textfile(Some(&path)).unwrap();
    assert_eq!(read_back(), total, "the export has every increment");
}

#[test]
fn a_sharded_histogram_stays_consistent_with_more_writers_than_shards() {
    // 24 writers: 16 own a shard each, the rest record into the shared fallback histogram.
    const WRITERS: usize = 24;
    const PER_WRITER: u64 = 20_000;
    let mut last = 0;
    let snapshots = race(
        WRITERS,
        |_| {
            for _ in 0..PER_WRITER {
                WAIT_SECONDS.observe(1.0);
            }
        },
        1_000,
        || {
            let s = WAIT_SECONDS.snapshot();
            assert_consistent(&s, 1.0);
            assert!(s.count >= last, "count went backwards");
            last = s.count;
        },
    );
    assert!(snapshots >= 1_000);
    assert_eq!(WAIT_SECONDS.snapshot().count, WRITERS as u64 * PER_WRITER);
}
