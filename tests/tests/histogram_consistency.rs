//! Histogram snapshots stay consistent while other threads observe, with no lock on the
//! writer path: counts cumulative and non-decreasing, `counts.last() == count`, and `sum`
//! covering exactly `count` observations.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use geno_metrics::{Histogram, HistogramSnapshot, MetricKind, MetricSpec};
use geno_metrics_tests::{assert_consistent, race};

static SPEC: MetricSpec = MetricSpec::new(
    "stress_duration_seconds",
    MetricKind::Histogram,
    "Stress test histogram.",
)
.with_unit("seconds")
.with_buckets(&[0.5, 1.0, 2.0]);

#[test]
fn snapshots_are_consistent_under_concurrent_observe() {
    static H: Histogram<3> = Histogram::new(&SPEC);
    const WRITERS: usize = 3;
    const PER_WRITER: usize = 200_000;
    const MIN_SNAPSHOTS: u64 = 10_000;

    let mut last_count = 0;
    let snapshots = race(
        WRITERS,
        |_| {
            for _ in 0..PER_WRITER {
                H.observe(1.0);
            }
        },
        MIN_SNAPSHOTS,
        || {
            let s = H.snapshot();
            assert_consistent(&s, 1.0);
            assert!(s.count >= last_count, "count went backwards");
            last_count = s.count;
        },
    );
    assert!(snapshots >= MIN_SNAPSHOTS);
    let last = H.snapshot();
    assert_consistent(&last, 1.0);
    assert_eq!(
        last.count,
        (WRITERS * PER_WRITER) as u64,
        "observations lost"
    );
}

#[test]
fn reset_discards_whole_observations_only() {
    // Each reset drops exactly what was observed before it; afterwards every snapshot stays
    // consistent, and the observations made after the last reset are all still there.
    static H: Histogram<3> = Histogram::new(&SPEC);
    const OBSERVATIONS: u64 = 300_000;
    race(
        1,
        |_| {
            for _ in 0..OBSERVATIONS {
                H.observe(1.0);
            }
        },
        0,
        || {
            H.reset();
            assert_consistent(&H.snapshot(), 1.0);
        },
    );
    let rest = H.snapshot();
    assert_consistent(&rest, 1.0);
    assert!(rest.count <= OBSERVATIONS);
    H.reset();
    assert_eq!(
        H.snapshot(),
        HistogramSnapshot {
            buckets: vec![0.5, 1.0, 2.0, f64::INFINITY],
            counts: vec![0; 4],
            sum: 0.0,
            count: 0
        }
    );
    for _ in 0..10 {
        H.observe(1.0);
    }
    assert_eq!(
        H.snapshot().count,
        10,
        "observations after a reset are kept"
    );
}

#[test]
fn nan_is_dropped_and_infinities_are_counted() {
    static H: Histogram<3> = Histogram::new(&SPEC);
    H.observe(f64::NAN);
    assert_eq!(H.snapshot().count, 0, "NaN must not be counted");
    H.observe(f64::INFINITY);
    H.observe(f64::NEG_INFINITY);
    H.observe(1.0);
    let s = H.snapshot();
    assert_eq!(s.counts, [1, 2, 2, 3]);
    assert!(
        s.sum.is_nan(),
        "+Inf + -Inf is NaN, as in every Prometheus client"
    );
}

#[test]
fn observations_land_in_the_first_bucket_whose_bound_is_not_below() {
    static H: Histogram<3> = Histogram::new(&SPEC);
    for v in [0.5, 0.50001, 1.0, 2.0, 2.5, -3.0] {
        H.observe(v);
    }
    let s = H.snapshot();
    // le=0.5: 0.5, -3 | le=1: +0.50001, 1.0 | le=2: +2.0 | +Inf: +2.5
    assert_eq!(s.counts, [2, 4, 5, 6]);
    assert_eq!(s.buckets, [0.5, 1.0, 2.0, f64::INFINITY]);
}
