//! Model checks under loom of the histogram's owner cells and hot/cold halves, the sharded histogram's
//! sequence locks and the sharded counter: every interleaving of a few writers with a reader
//! (within the preemption bound below) keeps snapshots consistent and counts exact.
//!
//! Runs only with `--cfg loom`, which `cargo xtask ci` passes in its `loom` step:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p geno-metrics --test loom --release --target-dir target/loom
//! ```
#![cfg(loom)]
// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used)]

use geno_metrics::{
    Histogram, HistogramSnapshot, MetricKind, MetricSpec, ShardedCounter, ShardedHistogram,
};
use loom::sync::Arc;
use loom::thread;

static SPEC: MetricSpec = MetricSpec::new(
    "loom_duration_seconds",
    MetricKind::Histogram,
    "Model-checked histogram.",
)
.with_unit("seconds")
.with_buckets(&[1.0, 2.0]);

static COUNTER_SPEC: MetricSpec = MetricSpec::new(
    "loom_packets_total",
    MetricKind::Counter,
    "Model-checked sharded counter.",
);

/// Explores interleavings with at most `PREEMPTIONS` forced context switches per execution:
/// the bound loom's authors recommend, since real bugs need few preemptions and the search
/// grows exponentially with it.
fn model(f: impl Fn() + Sync + Send + 'static) {
    const PREEMPTIONS: usize = 3;
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(PREEMPTIONS);
    builder.check(f);
}

/// Runs `work` on a new model thread with its own handle on `shared`.
fn on<T: Send + Sync + 'static>(
    shared: &Arc<T>,
    work: impl FnOnce(&T) + Send + 'static,
) -> thread::JoinHandle<()> {
    let shared = Arc::clone(shared);
    thread::spawn(move || work(&shared))
}

/// The snapshot invariant of every histogram (`HistogramSnapshot`'s docs), for observations that each contribute `value` to the sum.
fn assert_consistent(s: &HistogramSnapshot) {
    assert!(
        s.counts.windows(2).all(|w| w[0] <= w[1]),
        "not cumulative: {s:?}"
    );
    assert_eq!(s.counts.last(), Some(&s.count), "{s:?}");
    // Writers observe 1.0 (bucket le=1) and 2.0 (bucket le=2): the sum must match the counts.
    let ones = s.counts[0];
    let twos = s.counts[1] - s.counts[0];
    assert_eq!(s.count, ones + twos, "{s:?}");
    assert_eq!(s.sum, ones as f64 + 2.0 * twos as f64, "{s:?}");
}

#[test]
fn snapshot_during_two_writers_is_consistent() {
    model(|| {
        let h = Arc::new(Histogram::<2>::new(&SPEC));
        let writers: Vec<_> = [1.0, 2.0]
            .into_iter()
            .map(|v| on(&h, move |h| h.observe(v)))
            .collect();
        let during = h.snapshot();
        assert_consistent(&during);
        for w in writers {
            w.join().unwrap();
        }
        let after = h.snapshot();
        assert_consistent(&after);
        assert_eq!(after.count, 2, "an observation was lost: {after:?}");
        assert!(after.count >= during.count);
    });
}

#[test]
fn consecutive_snapshots_fold_the_cold_half_back() {
    // Two flips with a writer in between: the second snapshot must still see everything.
    // The main thread owns the histogram and a first other thread takes the second cells, so
    // the writer records into the hot and cold halves.
    model(|| {
        let h = Arc::new(Histogram::<2>::new(&SPEC));
        h.observe(1.0);
        on(&h, |h| h.observe(1.0)).join().unwrap();
        let writer = on(&h, |h| {
            h.observe(2.0);
            h.observe(1.0);
        });
        let first = h.snapshot();
        let second = h.snapshot();
        assert_consistent(&first);
        assert_consistent(&second);
        assert!(second.count >= first.count && first.count >= 2);
        writer.join().unwrap();
        let last = h.snapshot();
        assert_eq!((last.count, last.sum), (4, 5.0));
    });
}

#[test]
fn reset_during_a_write_keeps_observations_whole() {
    model(|| {
        let h = Arc::new(Histogram::<2>::new(&SPEC));
        let writer = on(&h, |h| h.observe(2.0));
        h.reset();
        writer.join().unwrap();
        let after = h.snapshot();
        assert_consistent(&after);
        // The racing observation was either reset away whole or kept whole.
        assert!(after.count <= 1, "{after:?}");
    });
}

#[test]
fn reset_during_a_write_into_the_halves_keeps_observations_whole() {
    // The main thread owns the histogram and a first other thread takes the second cells, so
    // the racing writer records into the hot and cold halves, which the reset clears.
    model(|| {
        let h = Arc::new(Histogram::<2>::new(&SPEC));
        h.observe(1.0);
        on(&h, |h| h.observe(1.0)).join().unwrap();
        let writer = on(&h, |h| h.observe(2.0));
        h.reset();
        writer.join().unwrap();
        let after = h.snapshot();
        assert_consistent(&after);
        assert_eq!(after.counts[0], 0, "{after:?}");
        assert!(after.count <= 1, "{after:?}");
    });
}

#[test]
fn reset_between_the_owner_and_another_writer_keeps_observations_whole() {
    // The model's main thread observes first and owns the histogram; the other thread takes
    // the second cells. The reset subtracts a baseline from both.
    model(|| {
        let h = Arc::new(Histogram::<2>::new(&SPEC));
        h.observe(1.0);
        let other = on(&h, |h| h.observe(2.0));
        h.reset();
        h.observe(2.0);
        let during = h.snapshot();
        assert_consistent(&during);
        other.join().unwrap();
        let after = h.snapshot();
        assert_consistent(&after);
        // The owner's 1.0 was reset away, its later 2.0 kept; the other thread's 2.0 either.
        assert_eq!(after.counts[0], 0, "{after:?}");
        assert!((1..=2).contains(&after.count), "{after:?}");
        assert!(after.count >= during.count);
    });
}

#[test]
fn sharded_snapshot_during_two_slot_writers_is_consistent() {
    // Each writer owns a writer slot, as a thread does: plain stores under a sequence lock.
    model(|| {
        let h = Arc::new(ShardedHistogram::<2>::new(&SPEC));
        let writers: Vec<_> = [(0, 1.0), (1, 2.0)]
            .into_iter()
            .map(|(slot, v)| on(&h, move |h| h.observe_as_slot(slot, v)))
            .collect();
        // Without this yield loom only ever runs the snapshot before the writers start.
        thread::yield_now();
        let during = h.snapshot();
        assert_consistent(&during);
        for w in writers {
            w.join().unwrap();
        }
        let after = h.snapshot();
        assert_consistent(&after);
        assert_eq!((after.count, after.sum), (2, 3.0), "{after:?}");
        assert!(after.count >= during.count);
    });
}

#[test]
fn sharded_reset_during_a_write_keeps_observations_whole() {
    model(|| {
        let h = Arc::new(ShardedHistogram::<2>::new(&SPEC));
        let writer = on(&h, |h| h.observe_as_slot(1, 2.0));
        thread::yield_now();
        h.reset();
        let during = h.snapshot();
        assert_consistent(&during);
        writer.join().unwrap();
        let after = h.snapshot();
        assert_consistent(&after);
        assert!(after.count <= 1, "{after:?}");
    });
}

/// Asserts that `later`, read after `earlier` by the same thread, lost none of its
/// increments. Each writer of the counter models adds its own power of two once, so a read is
/// the set of increments it saw, one bit each: a value outside `0..=total`, or a bit that
/// disappears between reads, is an increment counted twice, torn or lost.
fn assert_grew(earlier: u64, later: u64, total: u64) {
    assert!(
        later <= total,
        "read {later:#b} exceeds everything added, {total:#b}"
    );
    assert_eq!(
        earlier & !later,
        0,
        "{earlier:#b} then {later:#b}: a count went back"
    );
}

#[test]
fn sharded_counter_reads_are_bounded_monotone_and_exact_after_joins() {
    // SHARDS is 2 under loom: two writers share shard 0, so their adds race on one atomic,
    // and the third has shard 1, so `get` must sum both.
    model(|| {
        let c = Arc::new(ShardedCounter::new(&COUNTER_SPEC));
        let writers: Vec<_> = [(0, 0b001), (0, 0b010), (1, 0b100)]
            .into_iter()
            .map(|(shard, n)| on(&c, move |c| c.inc_by_as_shard(shard, n)))
            .collect();
        // As in the sharded histogram model: without it the reads all run before the writers.
        thread::yield_now();
        let first = c.get();
        let second = c.get();
        assert_grew(first, second, 0b111);
        let mut writers = writers.into_iter();
        // Once the first writer is joined, every later read must include its increment.
        writers.next().unwrap().join().unwrap();
        let third = c.get();
        assert_grew(second, third, 0b111);
        assert_eq!(
            third & 0b001,
            0b001,
            "a joined increment is missing: {third:#b}"
        );
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(c.get(), 0b111, "an increment was lost");
    });
}

#[test]
fn sharded_counter_thread_local_path_loses_nothing() {
    // The public `inc`/`inc_by`, with the shard picked through the thread-local. Loom runs
    // every model thread on the test's OS thread, so they all get the same shard: the
    // contended case. The model above spreads writers over both shards.
    model(|| {
        let c = Arc::new(ShardedCounter::new(&COUNTER_SPEC));
        let one = on(&c, |c| c.inc());
        let two = on(&c, |c| c.inc_by(0b10));
        thread::yield_now();
        let first = c.get();
        one.join().unwrap();
        let second = c.get();
        assert_grew(first, second, 0b11);
        assert_eq!(
            second & 0b01,
            0b01,
            "a joined increment is missing: {second:#b}"
        );
        two.join().unwrap();
        assert_eq!(c.get(), 0b11, "an increment was lost");
    });
}
