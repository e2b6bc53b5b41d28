//! [`Histogram`]: observations counted into buckets, with snapshots that are always
//! consistent and a writer path that takes no lock.
//!
//! # How snapshots stay consistent
//!
//! The state is kept twice, in a *hot* and a *cold* half (client_golang's scheme). One word,
//! `started_and_hot`, holds which half is hot (bit 63) and how many observations have started
//! (bits 0..63). A writer bumps that word, learns the hot half from it, adds to that half's
//! bucket and sum, and bumps the half's `count` last, with release ordering.
//!
//! A reader (`snapshot`, `reset`; serialised by a mutex that writers never touch) flips the
//! hot bit. From then on new writers use the other half, so the old one only receives the
//! writers that started before the flip, and their number is the count read at the flip.
//! Once that half's `count` reaches it, every one of those writers is done: the half is a
//! consistent picture of exactly `count` observations. The reader copies it, folds it into
//! the new hot half and clears it, ready to be flipped to again.

use std::fmt::Debug;
use std::ops::Deref;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::atomic_f64;
use crate::snapshot::HistogramSnapshot;
use crate::spec::{MetricKind, MetricSpec};
use crate::sync::{AtomicU64, Mutex, back_off, loom_const_fn};

const HOT_BIT: u64 = 1 << 63;
const COUNT_MASK: u64 = HOT_BIT - 1;

/// The bucket of `value` (not NaN): how many bounds are below it, `bounds.len()` for the
/// `+Inf` bucket. Bounds are sorted, so this is the first bound `>= value`; counting
/// compiles to comparisons without branches, which beats a binary search whose branches the
/// CPU cannot predict when values spread over the buckets.
#[inline]
pub(crate) fn bucket_index(bounds: &[f64], value: f64) -> usize {
    bounds.iter().map(|bound| usize::from(*bound < value)).sum()
}

/// A histogram handle with `N` finite bucket bounds, as `registry!` generates it.
///
/// `Histogram<N>` dereferences to [`AnyHistogram`], where all the methods live, so the
/// registry can hand out histograms of any bucket count by name.
///
/// Observing is lock-free and never allocates or panics. A NaN observation is dropped: it has
/// no bucket, and adding it to the sum would make `_sum` NaN for the rest of the process.
/// `+Inf` and `-Inf` are counted (in the `+Inf` and the first bucket) and carried into the sum,
/// as Prometheus' own clients do.
///
/// ```
/// use geno_metrics::{Histogram, MetricKind, MetricSpec};
/// static SPEC: MetricSpec = MetricSpec::new("demo_step_duration_seconds", MetricKind::Histogram, "Step time.").with_unit("seconds").with_buckets(&[0.1, 1.0]);
/// static STEP_DURATION_SECONDS: Histogram<2> = Histogram::new(&SPEC);
///
/// STEP_DURATION_SECONDS.observe(0.05);
/// STEP_DURATION_SECONDS.observe(0.5);
/// STEP_DURATION_SECONDS.observe(7.0);
/// let snapshot = STEP_DURATION_SECONDS.snapshot();
/// assert_eq!(snapshot.buckets, [0.1, 1.0, f64::INFINITY]);
/// assert_eq!(snapshot.counts, [1, 2, 3]); // cumulative
/// assert_eq!((snapshot.count, snapshot.sum), (3, 7.55));
/// ```
pub type Histogram<const N: usize> = HistogramCore<[BucketCounts; N]>;

/// A histogram of any bucket count: what [`Registry::get_histogram`](crate::Registry::get_histogram)
/// returns and what every `Histogram<N>` dereferences to.
///
/// ```
/// # use geno_metrics::{AnyHistogram, Histogram, MetricKind, MetricSpec};
/// # static SPEC: MetricSpec = MetricSpec::new("demo_size_bytes", MetricKind::Histogram, "Sizes.").with_unit("bytes").with_buckets(&[1e3, 1e6, 1e9]);
/// static SIZE_BYTES: Histogram<3> = Histogram::new(&SPEC);
/// let any: &AnyHistogram = &SIZE_BYTES;
/// any.observe(2e6);
/// assert_eq!(SIZE_BYTES.snapshot().counts, [0, 0, 1, 1]);
/// ```
pub type AnyHistogram = HistogramCore<[BucketCounts]>;

/// The storage behind [`Histogram`] and [`AnyHistogram`]: use those names. It is public so
/// that their methods are documented. `B` is the per-bound bucket storage:
/// `[BucketCounts; N]` in a static, `[BucketCounts]` behind a reference.
#[derive(Debug)]
pub struct HistogramCore<B: ?Sized> {
    spec: &'static MetricSpec,
    /// Bit 63: the hot half. Bits 0..63: observations started since the last reset. The 63
    /// bits would carry into the hot bit after 2^63 observations without a reset, some 290
    /// years at 10^9 observations a second.
    started_and_hot: AtomicU64,
    halves: [Half; 2],
    /// Serialises readers (`snapshot`, `reset`); writers never take it.
    readers: Mutex<()>,
    buckets: B,
}

/// Sum and completed-observation count of one half.
#[derive(Debug)]
struct Half {
    count: AtomicU64,
    sum_bits: AtomicU64,
}

impl Half {
    loom_const_fn! {
        fn new() -> Self {
            Self {
                count: AtomicU64::new(0),
                sum_bits: AtomicU64::new(0),
            }
        }
    }
}

/// Observations that fell into one bucket (not cumulative), for each half. Opaque.
#[derive(Debug)]
pub struct BucketCounts([AtomicU64; 2]);

impl BucketCounts {
    /// `N` empty buckets.
    #[cfg(not(loom))]
    const fn array<const N: usize>() -> [Self; N] {
        [const { Self([AtomicU64::new(0), AtomicU64::new(0)]) }; N]
    }

    #[cfg(loom)]
    fn array<const N: usize>() -> [Self; N] {
        std::array::from_fn(|_| Self([AtomicU64::new(0), AtomicU64::new(0)]))
    }
}

impl<const N: usize> HistogramCore<[BucketCounts; N]> {
    loom_const_fn! {
        /// An empty histogram.
        ///
        /// # Panics
        ///
        /// At compile time (in a static) when `spec` is not a histogram's or does not have
        /// exactly `N` bucket bounds.
        pub fn new(spec: &'static MetricSpec) -> Self {
            assert!(
                matches!(spec.kind, MetricKind::Histogram),
                "Histogram::new needs a histogram's MetricSpec"
            );
            assert!(
                spec.buckets.len() == N,
                "Histogram<N>: N must be the number of bucket bounds in the MetricSpec"
            );
            Self {
                spec,
                started_and_hot: AtomicU64::new(0),
                halves: [Half::new(), Half::new()],
                readers: Mutex::new(()),
                buckets: BucketCounts::array(),
            }
        }
    }
}

impl<const N: usize> Deref for HistogramCore<[BucketCounts; N]> {
    type Target = AnyHistogram;

    #[inline]
    fn deref(&self) -> &AnyHistogram {
        self
    }
}

impl AnyHistogram {
    /// Records one observation.
    #[inline]
    pub fn observe(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        // First bound >= value; == len when the value only fits the +Inf bucket.
        let index = bucket_index(self.spec.buckets, value);
        let started = self.started_and_hot.fetch_add(1, Ordering::Acquire);
        let hot = (started >> 63) as usize & 1;
        if let Some(bucket) = self.buckets.get(index) {
            bucket.0[hot].fetch_add(1, Ordering::Relaxed);
        }
        let half = &self.halves[hot];
        atomic_f64::add(&half.sum_bits, value, Ordering::Relaxed);
        // Last and with release: a reader that sees this count sees the writes above.
        half.count.fetch_add(1, Ordering::Release);
    }

    /// Starts a timer that observes the elapsed seconds when dropped (or [stopped](HistogramTimer::stop)).
    ///
    /// ```
    /// # use geno_metrics::{Histogram, MetricKind, MetricSpec};
    /// # static SPEC: MetricSpec = MetricSpec::new("demo_step_duration_seconds", MetricKind::Histogram, "Step time.").with_unit("seconds").with_buckets(&[0.1, 1.0]);
    /// # static STEP_DURATION_SECONDS: Histogram<2> = Histogram::new(&SPEC);
    /// {
    ///     let _timer = STEP_DURATION_SECONDS.start_timer();
    ///     // ... one step ...
    /// } // observed here
    /// let seconds = STEP_DURATION_SECONDS.start_timer().stop();
    /// STEP_DURATION_SECONDS.start_timer().discard(); // observes nothing
    /// assert!(seconds >= 0.0);
    /// assert_eq!(STEP_DURATION_SECONDS.snapshot().count, 2);
    /// ```
    #[inline]
    pub fn start_timer(&self) -> HistogramTimer<'_> {
        HistogramTimer::start(TimerTarget::Plain(self))
    }

    /// A consistent copy of the histogram: cumulative counts, `counts.last() == count`, and
    /// `sum` over exactly those `count` observations, even while other threads observe.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let _readers = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        let (cold, count) = self.flip_and_settle();
        let hot = cold ^ 1;

        let mut counts = Vec::with_capacity(self.buckets.len() + 1);
        let mut cumulative = 0u64;
        for bucket in &self.buckets {
            let n = bucket.0[cold].swap(0, Ordering::Relaxed);
            bucket.0[hot].fetch_add(n, Ordering::Relaxed);
            cumulative = cumulative.wrapping_add(n); // as the 63-bit count wraps: never a panic
            counts.push(cumulative);
        }
        counts.push(count);

        let (cold_half, hot_half) = (&self.halves[cold], &self.halves[hot]);
        let sum = f64::from_bits(cold_half.sum_bits.swap(0, Ordering::Relaxed));
        atomic_f64::add(&hot_half.sum_bits, sum, Ordering::Relaxed);
        cold_half.count.store(0, Ordering::Relaxed);
        hot_half.count.fetch_add(count, Ordering::Release);

        let mut buckets = Vec::with_capacity(counts.len());
        buckets.extend_from_slice(self.spec.buckets);
        buckets.push(f64::INFINITY);
        HistogramSnapshot {
            buckets,
            counts,
            sum,
            count,
        }
    }

    /// Forgets every observation made so far. Observations that race with the reset are
    /// either all forgotten or all kept, each one whole.
    pub fn reset(&self) {
        let _readers = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        let (cold, count) = self.flip_and_settle();
        for bucket in &self.buckets {
            bucket.0[cold].store(0, Ordering::Relaxed);
        }
        let cold_half = &self.halves[cold];
        cold_half.sum_bits.store(0, Ordering::Relaxed);
        cold_half.count.store(0, Ordering::Relaxed);
        // The started count now covers only what the hot half holds. Bits below 63 hold at
        // least `count`, so this never borrows from the hot bit.
        self.started_and_hot.fetch_sub(count, Ordering::AcqRel);
    }

    /// What `metrics.toml` declares about this histogram.
    #[inline]
    pub fn spec(&self) -> &'static MetricSpec {
        self.spec
    }

    /// Makes the hot half cold and waits until every writer that started before is done.
    /// Returns the cold half and its observation count. Call with `readers` held.
    fn flip_and_settle(&self) -> (usize, u64) {
        let before = self.started_and_hot.fetch_add(HOT_BIT, Ordering::AcqRel);
        let count = before & COUNT_MASK;
        let cold = (before >> 63) as usize & 1;
        let mut spins = 0u32;
        while self.halves[cold].count.load(Ordering::Acquire) != count {
            // A writer between its two increments: it finishes in a few instructions unless
            // it was preempted, so spin briefly, then yield.
            spins = spins.saturating_add(1);
            back_off(spins);
        }
        (cold, count)
    }
}

/// A histogram a [`HistogramTimer`] can observe into besides a plain one: the sharded kind,
/// which builds on this module and so cannot be named here.
pub(crate) trait Observe: Debug {
    /// Records one observation.
    fn observe(&self, value: f64);
}

/// What a timer observes into.
#[derive(Debug)]
enum TimerTarget<'a> {
    Plain(&'a AnyHistogram),
    Other(&'a dyn Observe),
}

/// Observes the seconds elapsed since the histogram's `start_timer` when dropped (or
/// [stopped](Self::stop)), into a plain or a sharded histogram alike.
#[derive(Debug)]
#[must_use = "the timer observes when dropped; binding it to `_` drops it at once"]
pub struct HistogramTimer<'a> {
    histogram: TimerTarget<'a>,
    start: Instant,
    armed: bool,
}

impl<'a> HistogramTimer<'a> {
    /// A timer started now that observes into `histogram`, for histograms of other modules.
    pub(crate) fn observing(histogram: &'a dyn Observe) -> Self {
        Self::start(TimerTarget::Other(histogram))
    }

    fn start(histogram: TimerTarget<'a>) -> Self {
        Self {
            histogram,
            start: Instant::now(),
            armed: true,
        }
    }

    fn observe(&self, seconds: f64) {
        match self.histogram {
            TimerTarget::Plain(h) => h.observe(seconds),
            TimerTarget::Other(h) => h.observe(seconds),
        }
    }

    /// Observes now and returns the elapsed seconds.
    pub fn stop(mut self) -> f64 {
        self.armed = false;
        let seconds = self.start.elapsed().as_secs_f64();
        self.observe(seconds);
        seconds
    }

    /// Drops the timer without observing anything.
    pub fn discard(mut self) {
        self.armed = false;
    }
}

impl Drop for HistogramTimer<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.observe(self.start.elapsed().as_secs_f64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deref_view_shares_state() {
        static SPEC: MetricSpec = MetricSpec {
            name: "t_seconds",
            kind: MetricKind::Histogram,
            unit: "seconds",
            summary: "t",
            buckets: &[1.0],
            deprecated: None,
            labels: &[],
            collector: None,
        };
        let h: Histogram<1> = Histogram::new(&SPEC);
        let view: &AnyHistogram = &h;
        view.observe(0.5);
        h.observe(3.0);
        assert_eq!(h.snapshot().counts, [1, 2]);
        assert!(std::ptr::eq(view.spec(), &SPEC));
    }
}
