//! [`ShardedHistogram`]: a histogram that each thread records into without atomic
//! read-modify-writes and without sharing a cache line.
//!
//! # How it works
//!
//! A thread that observes first claims a *writer slot*, one of [`SHARDS`], for as long as it
//! lives (slots are given back when threads exit). Slot `i` owns shard `i` of every sharded
//! histogram, so each shard has a single writer. A shard is the single-writer cells of
//! `single_writer.rs`, which a plain histogram's owning thread uses too: plain loads and
//! stores inside a sequence lock, copied consistently by readers. The sum of consistent
//! shards is consistent too.
//! Threads that find every slot taken record into a plain [`Histogram`], whose own
//! snapshots are consistent, and which the snapshot adds in.
//!
//! `reset` cannot clear a shard that only its writer may store to, so it records what the
//! shards hold as a baseline that later snapshots subtract.

use std::cell::Cell;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64 as StdAtomicU64, Ordering};

use super::histogram::{Histogram, HistogramTimer, Observe, bucket_index_of};
use super::sharded_counter::SHARDS;
use super::single_writer::{BucketCounts, Cells, Totals};
use crate::snapshot::HistogramSnapshot;
use crate::spec::MetricSpec;
use crate::sync::{Mutex, loom_const_fn};

/// Which writer slots are taken: bit `i` for slot `i`.
static SLOTS: StdAtomicU64 = StdAtomicU64::new(0);

/// A thread's writer slot, given back when the thread exits.
struct Slot(Option<usize>);

impl Slot {
    fn claim() -> Self {
        let mut taken = SLOTS.load(Ordering::Acquire);
        loop {
            let free = (!taken).trailing_zeros() as usize;
            if free >= SHARDS {
                return Self(None);
            }
            let bit = 1u64 << free;
            match SLOTS.compare_exchange_weak(
                taken,
                taken | bit,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Self(Some(free)),
                Err(now) => taken = now,
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(slot) = self.0 {
            // From now on this thread records into the shared histogram: a destructor that
            // still observes must not write to a shard the next owner may already have.
            let _ = CACHED_SLOT.try_with(|c| c.set(SHARDS));
            // Release: the next owner of the slot sees everything this thread stored.
            SLOTS.fetch_and(!(1u64 << slot), Ordering::Release);
        }
    }
}

thread_local! {
    static SLOT: Slot = Slot::claim();
    /// The slot, cached in a const-initialised cell for the fast path: `usize::MAX` until
    /// claimed, `SHARDS` when no slot was free.
    static CACHED_SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The calling thread's writer slot, if it has one.
#[inline]
fn writer_slot() -> Option<usize> {
    let cached = CACHED_SLOT.try_with(Cell::get).ok()?;
    if cached < SHARDS {
        return Some(cached);
    }
    if cached == SHARDS {
        return None;
    }
    let slot = SLOT.try_with(|slot| slot.0).ok()?;
    let _ = CACHED_SLOT.try_with(|c| c.set(slot.unwrap_or(SHARDS)));
    slot
}

/// The epoch of every shard: a sharded histogram's reset keeps a baseline instead (its shards
/// are given to threads for their lifetime, across histograms).
const SHARD_EPOCH: u64 = 0;

/// One writer's part of a histogram, on cache lines of its own (128 bytes apart: the
/// adjacent-line prefetcher pairs lines).
#[derive(Debug)]
#[repr(align(128))]
struct Shard<const N: usize>(Cells<[BucketCounts; N]>);

/// Counts, sum and total, not cumulative: what shards hold and baselines subtract.
#[derive(Debug, Clone, Copy)]
struct ShardTotals<const N: usize> {
    buckets: [u64; N],
    totals: Totals,
}

impl<const N: usize> ShardTotals<N> {
    const ZERO: Self = Self {
        buckets: [0; N],
        totals: Totals { count: 0, sum: 0.0 },
    };
}

#[cfg(not(loom))]
const fn shards<const N: usize>() -> [Shard<N>; SHARDS] {
    [const { Shard(Cells::new()) }; SHARDS]
}

#[cfg(loom)]
fn shards<const N: usize>() -> [Shard<N>; SHARDS] {
    std::array::from_fn(|_| Shard(Cells::new()))
}

/// A histogram with `N` finite bucket bounds kept in per-thread shards
/// (`sharded = true` in `metrics.toml`), for a histogram that several threads observe into
/// all the time.
///
/// The observation of a thread with a writer slot is a few plain loads and stores on cache
/// lines no other thread writes: no atomic read-modify-write, no lock, no allocation, no
/// panic (threads past the 16 slots record into the plain [`Histogram`] inside, at its cost). Snapshots keep the
/// invariant of every histogram: cumulative counts, `counts.last() == count`, and `sum` over
/// exactly those `count` observations. The price is memory, 16 shards of
/// `(N + 4) × 8` bytes rounded up to 128 (2 KiB for 11 buckets, 6 KiB for 30) beside a plain
/// histogram, and a snapshot that reads every shard. A thread's shard is given back when the
/// thread exits; threads past 16 alive at once record into the plain histogram inside.
/// Labelled metrics cannot be sharded.
///
/// After [`reset`](Self::reset), `_sum` is the sum now minus the sum at the reset: exact
/// while both are exactly representable (integers below 2^53, say), otherwise within
/// floating-point rounding. It is exactly 0 until something is observed after the reset. An
/// observation of ±Inf or NaN before a reset makes every later `_sum` NaN (∞ − ∞), until the
/// process restarts: that sum has no finite value to subtract. A plain [`Histogram`] resets
/// its sum to 0.
///
/// ```
/// use geno_metrics::{MetricKind, MetricSpec, ShardedHistogram};
/// static SPEC: MetricSpec = MetricSpec::new("demo_request_duration_seconds", MetricKind::Histogram, "Request time.").with_unit("seconds").with_buckets(&[0.1, 1.0]);
/// static REQUEST_DURATION_SECONDS: ShardedHistogram<2> = ShardedHistogram::new(&SPEC);
///
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| REQUEST_DURATION_SECONDS.observe(0.5));
///     }
/// });
/// REQUEST_DURATION_SECONDS.observe(3.0);
/// let snapshot = REQUEST_DURATION_SECONDS.snapshot();
/// assert_eq!(snapshot.counts, [0, 4, 5]);
/// assert_eq!((snapshot.count, snapshot.sum), (5, 5.0));
/// ```
#[derive(Debug)]
pub struct ShardedHistogram<const N: usize> {
    shards: [Shard<N>; SHARDS],
    /// For threads that found no writer slot free.
    shared: Histogram<N>,
    /// What the shards held at the last reset. Its lock also serialises readers.
    baseline: Mutex<ShardTotals<N>>,
}

impl<const N: usize> ShardedHistogram<N> {
    loom_const_fn! {
        /// An empty histogram.
        ///
        /// # Panics
        ///
        /// At compile time (in a static) when `spec` is not a histogram's or does not have
        /// exactly `N` bucket bounds.
        pub fn new(spec: &'static MetricSpec) -> Self {
            Self {
                shards: shards(),
                shared: Histogram::new(spec),
                baseline: Mutex::new(ShardTotals::ZERO),
            }
        }
    }

    /// Records one observation (a NaN is dropped, as by [`Histogram`]).
    #[inline]
    pub fn observe(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        match writer_slot().and_then(|slot| self.shards.get(slot)) {
            Some(shard) => {
                let cells: &Cells<[BucketCounts]> = &shard.0;
                let index = bucket_index_of::<N>(self.spec().buckets, value);
                cells.record(index, value, SHARD_EPOCH);
            }
            None => self.shared.observe(value),
        }
    }

    /// Records into the shard of writer slot `slot`, as the thread owning it would: for the
    /// model checks, which cannot use thread-locals.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn observe_as_slot(&self, slot: usize, value: f64) {
        let index = bucket_index_of::<N>(self.spec().buckets, value);
        if let Some(shard) = self.shards.get(slot) {
            let cells: &Cells<[BucketCounts]> = &shard.0;
            cells.record(index, value, SHARD_EPOCH);
        }
    }

    /// Starts a timer that observes the elapsed seconds when dropped.
    #[inline]
    pub fn start_timer(&self) -> HistogramTimer<'_> {
        HistogramTimer::observing(self)
    }

    /// A consistent copy of the histogram, as [`Histogram::snapshot`] gives.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let baseline = self.baseline.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.read_shards();
        let shared = self.shared.snapshot();
        let mut counts = Vec::with_capacity(N + 1);
        let mut cumulative = 0u64;
        let buckets = now.buckets.iter().zip(&baseline.buckets);
        for ((n, base), shared) in buckets.zip(&shared.counts) {
            cumulative = cumulative.wrapping_add(n.wrapping_sub(*base));
            counts.push(cumulative.wrapping_add(*shared));
        }
        let since_reset = now.totals.count.wrapping_sub(baseline.totals.count);
        let count = since_reset.wrapping_add(shared.count);
        counts.push(count);
        // With nothing new in the shards their part of the sum is exactly zero, also when the
        // baseline is infinite or NaN (an observation of ±Inf before the reset): the
        // difference would be NaN.
        let shard_sum = if since_reset == 0 {
            0.0
        } else {
            now.totals.sum - baseline.totals.sum
        };
        HistogramSnapshot {
            buckets: shared.buckets,
            counts,
            sum: shard_sum + shared.sum,
            count,
        }
    }

    /// Forgets every observation made so far.
    pub fn reset(&self) {
        let mut baseline = self.baseline.lock().unwrap_or_else(PoisonError::into_inner);
        *baseline = self.read_shards();
        self.shared.reset();
    }

    /// What `metrics.toml` declares about this histogram.
    #[inline]
    pub fn spec(&self) -> &'static MetricSpec {
        self.shared.spec()
    }

    fn read_shards(&self) -> ShardTotals<N> {
        let mut all = ShardTotals::ZERO;
        let mut one = [0; N];
        for shard in &self.shards {
            let cells: &Cells<[BucketCounts]> = &shard.0;
            let totals = cells.read(&mut one, SHARD_EPOCH);
            for (total, n) in all.buckets.iter_mut().zip(one) {
                *total = total.wrapping_add(n);
            }
            all.totals.count = all.totals.count.wrapping_add(totals.count);
            all.totals.sum += totals.sum;
        }
        all
    }
}

/// A sharded histogram of any bucket count: what
/// [`Registry::get_sharded_histogram`](crate::Registry::get_sharded_histogram) returns, as
/// [`AnyHistogram`](crate::AnyHistogram) is for plain histograms.
pub trait AnyShardedHistogram: Sync + std::fmt::Debug {
    /// Records one observation.
    fn observe(&self, value: f64);
    /// A consistent copy of the histogram.
    fn snapshot(&self) -> HistogramSnapshot;
    /// Forgets every observation made so far.
    fn reset(&self);
    /// What `metrics.toml` declares about this histogram.
    fn spec(&self) -> &'static MetricSpec;
}

impl<const N: usize> Observe for ShardedHistogram<N> {
    fn observe(&self, value: f64) {
        ShardedHistogram::observe(self, value);
    }
}

impl<const N: usize> AnyShardedHistogram for ShardedHistogram<N> {
    fn observe(&self, value: f64) {
        ShardedHistogram::observe(self, value);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        ShardedHistogram::snapshot(self)
    }

    fn reset(&self) {
        ShardedHistogram::reset(self);
    }

    fn spec(&self) -> &'static MetricSpec {
        ShardedHistogram::spec(self)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::spec::MetricKind;

    static SPEC: MetricSpec = MetricSpec {
        name: "t_seconds",
        kind: MetricKind::Histogram,
        unit: "seconds",
        summary: "t",
        buckets: &[1.0, 2.0],
        deprecated: None,
        labels: &[],
        collector: None,
    };

    /// Held by the tests that need free writer slots: the first takes every slot at once,
    /// and the last needs one, so run in parallel the first could starve the last.
    static SLOT_HUNGRY: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        SLOT_HUNGRY
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[test]
    fn threads_past_the_slots_fall_back_and_nothing_is_lost() {
        let _slots = one_at_a_time();
        static H: ShardedHistogram<2> = ShardedHistogram::new(&SPEC);
        // More threads alive at once than slots: some record into the shared histogram.
        let barrier = std::sync::Barrier::new(SHARDS + 8);
        std::thread::scope(|s| {
            for t in 0..SHARDS + 8 {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    for i in 0..1_000 {
                        H.observe(if (i + t) % 2 == 0 { 1.0 } else { 2.0 });
                    }
                    barrier.wait();
                });
            }
        });
        let s = H.snapshot();
        let threads = (SHARDS + 8) as u64;
        assert_eq!(s.count, threads * 1_000);
        assert_eq!(s.counts, [threads * 500, threads * 1_000, threads * 1_000]);
        assert_eq!(s.sum, (threads * 1_500) as f64);
        assert!(H.shared.snapshot().count > 0, "some threads had no slot");
    }

    #[test]
    fn the_memory_the_docs_state() {
        let kib = |n: usize| n as f64 / 1024.0;
        let eleven = kib(std::mem::size_of::<ShardedHistogram<11>>());
        let thirty = kib(std::mem::size_of::<ShardedHistogram<30>>());
        assert!((2.0..3.0).contains(&eleven), "{eleven} KiB with 11 buckets");
        assert!((6.0..7.5).contains(&thirty), "{thirty} KiB with 30 buckets");
    }

    #[test]
    fn reset_forgets_shards_and_the_fallback() {
        static H: ShardedHistogram<2> = ShardedHistogram::new(&SPEC);
        H.observe(1.0);
        H.observe(5.0);
        H.observe(f64::NAN);
        assert_eq!(H.snapshot().counts, [1, 1, 2]);
        H.reset();
        let s = H.snapshot();
        assert_eq!(
            (s.counts.as_slice(), s.count, s.sum),
            (&[0, 0, 0][..], 0, 0.0)
        );
        H.observe(2.0);
        assert_eq!(H.snapshot().counts, [0, 1, 1]);
    }

    #[test]
    fn a_reset_after_an_infinite_observation_sums_to_zero() {
        static H: ShardedHistogram<2> = ShardedHistogram::new(&SPEC);
        H.observe(f64::INFINITY);
        assert_eq!(H.snapshot().sum, f64::INFINITY);
        H.reset();
        let s = H.snapshot();
        assert_eq!((s.count, s.sum), (0, 0.0), "{s:?}");
    }

    #[test]
    fn a_slot_is_given_back_when_its_thread_exits() {
        let _slots = one_at_a_time();
        let (slot, still_taken) = std::thread::spawn(|| {
            let slot = writer_slot().unwrap();
            (slot, SLOTS.load(Ordering::Acquire) & (1 << slot) != 0)
        })
        .join()
        .unwrap();
        assert!(still_taken, "slot {slot} is taken while its thread lives");
        // Other tests' threads may take the same slot again at once; give them a moment.
        let mut freed = false;
        for _ in 0..1_000 {
            if SLOTS.load(Ordering::Acquire) & (1 << slot) == 0 {
                freed = true;
                break;
            }
            std::thread::yield_now();
        }
        assert!(freed, "slot {slot} was never given back");
    }
}
