//! [`Histogram`]: observations counted into buckets, with snapshots that are always
//! consistent and a writer path that takes no lock.
//!
//! # How it records
//!
//! The first thread to observe into a histogram becomes its *owner* and records into
//! [`Cells`] that only it writes: a few plain loads and stores inside a sequence lock, no
//! atomic read-modify-write (see `single_writer.rs`). Most histograms, and most labelled
//! series, are only ever observed by one thread, and pay nothing more.
//!
//! Threads are told apart by an identity each takes on its first observation and gives back
//! when it exits, for the next new thread to take over (with the cells of the old one).
//!
//! The first other thread to observe allocates [`Others`]: a second set of single-writer
//! cells, which that thread claims the same way. Every thread after those two records into
//! hot and cold halves ([`HotCold`], allocated by the first of them), client_golang's scheme:
//! one word, `started_and_hot`, holds which half is hot (bit 63) and how many observations
//! have started (bits 0..63). A writer bumps that word, learns the hot half from it, adds to
//! that half's bucket and sum, and bumps the half's `count` last, with release ordering.
//!
//! # How snapshots stay consistent
//!
//! Readers (`snapshot`, `reset`) are serialised by a mutex that writers never touch. A reader
//! copies each set of cells between two reads of its sequence number. Then it flips the hot
//! bit of the halves: from then on new writers use the other half, so the old one only
//! receives the writers that started before the flip, and their number is the count read at
//! the flip. Once that half's `count` reaches it, every one of those writers is done: the half
//! is a consistent picture of exactly `count` observations. The reader copies it, folds it
//! into the new hot half and clears it, ready to be flipped to again. Each part's copy is
//! consistent, so their sum is.
//!
//! `reset` may not store to cells that only their writer may store to: it bumps the
//! histogram's epoch, which makes readers count the cells as empty until their writer clears
//! them on its next observation (see `single_writer.rs`); it clears the halves as the flip
//! allows.

use std::cell::Cell;
use std::fmt::Debug;
use std::ops::Deref;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64 as StdAtomicU64, Ordering};
use std::time::Instant;

use super::atomic_f64;
pub use super::single_writer::BucketCounts;
use super::single_writer::{Cells, Totals};
use crate::snapshot::HistogramSnapshot;
use crate::spec::{MetricKind, MetricSpec};
use crate::sync::{AtomicU64, Mutex, OnceBox, back_off, loom_const_fn};

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

/// [`bucket_index`] for a `Histogram<N>`, whose `bounds` are `N` long: with `N` known when
/// compiled, one bit per bound below `value`, and since the bounds are sorted those bits are
/// the mask's trailing ones, which one instruction counts (a sum of the comparisons needs a
/// population count: a dozen dependent instructions on x86-64 without POPCNT).
#[inline]
pub(crate) fn bucket_index_of<const N: usize>(bounds: &[f64], value: f64) -> usize {
    let Ok(bounds) = <&[f64; N]>::try_from(bounds) else {
        return bucket_index(bounds, value);
    };
    if N >= 64 {
        return bucket_index(bounds, value);
    }
    let mut below = 0u64;
    for (i, bound) in bounds.iter().enumerate() {
        below |= u64::from(*bound < value) << i;
    }
    (!below).trailing_zeros() as usize
}

/// The next thread identity never given out; 0 is nobody's.
static NEXT_THREAD: StdAtomicU64 = StdAtomicU64::new(1);

/// The identity of a thread whose thread-locals are being destroyed: it owns nothing and
/// claims nothing, so it records into the hot and cold halves.
const EXITING: u64 = u64::MAX;

/// Identities given back by threads that exited, for the next new threads: a histogram owned
/// by a thread that exited gets a new owner in the next thread that takes its identity. The
/// lock orders the old owner's last stores before the new owner's first.
#[cfg(not(loom))]
static GIVEN_BACK: std::sync::Mutex<Vec<u64>> = std::sync::Mutex::new(Vec::new());

#[cfg(not(loom))]
std::thread_local! {
    /// The calling thread's identity, 0 until it first observes into a histogram.
    static THREAD: Cell<u64> = const { Cell::new(0) };
    /// Gives the identity back when the thread exits.
    static GIVE_BACK: GiveBack = const { GiveBack };
}

#[cfg(loom)]
loom::thread_local! {
    static THREAD: Cell<u64> = Cell::new(0);
}

/// Gives the thread's identity back when its thread-locals are destroyed.
#[cfg(not(loom))]
struct GiveBack;

#[cfg(not(loom))]
impl Drop for GiveBack {
    fn drop(&mut self) {
        // From now on the thread records into the halves: a later destructor that observes
        // must not store to cells the identity's next owner may already have.
        let id = THREAD.try_with(|id| id.replace(EXITING)).unwrap_or(EXITING);
        if id != 0 && id != EXITING {
            GIVEN_BACK
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(id);
        }
    }
}

/// The calling thread's identity: never 0, never that of another living thread; `EXITING`
/// once its thread-locals are being destroyed.
#[inline]
fn thread_id() -> u64 {
    THREAD
        .try_with(|id| match id.get() {
            0 => new_thread_id(id),
            known => known,
        })
        .unwrap_or(EXITING)
}

/// A first identity for the calling thread: one given back, else a new one.
#[cold]
fn new_thread_id(id: &Cell<u64>) -> u64 {
    #[cfg(not(loom))]
    let reused = {
        // Registers the destructor; a thread already exiting gets no identity to give back.
        if GIVE_BACK.try_with(|_| ()).is_err() {
            id.set(EXITING);
            return EXITING;
        }
        // Never waits: with the list busy (another thread taking or giving back an
        // identity at this instant), a new identity does as well.
        match GIVEN_BACK.try_lock() {
            Ok(mut given_back) => given_back.pop(),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner().pop(),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    };
    #[cfg(loom)]
    let reused = None;
    let new = reused.unwrap_or_else(|| NEXT_THREAD.fetch_add(1, Ordering::Relaxed));
    id.set(new);
    new
}

/// A histogram handle with `N` finite bucket bounds, as `registry!` generates it.
///
/// `Histogram<N>` dereferences to [`AnyHistogram`], where all the methods live, so the
/// registry can hand out histograms of any bucket count by name.
///
/// Observing is lock-free and never panics. A NaN observation is dropped: it has no bucket,
/// and adding it to the sum would make `_sum` NaN for the rest of the process. `+Inf` and
/// `-Inf` are counted (in the `+Inf` and the first bucket) and carried into the sum, as
/// Prometheus' own clients do.
///
/// # Cost and memory
///
/// The first thread that observes owns the histogram: its observations are plain loads and
/// stores on cache lines no other thread writes (about half the time of the atomic
/// read-modify-writes of prometheus-client's lock or client_golang's scheme). On Linux, a
/// histogram is `64 + (N + 4) × 8` bytes rounded up to 64 (192 bytes with the 11 default
/// buckets). The first observation by a second thread allocates, once, a second set of such
/// cells for that thread (`(N + 4) × 8` rounded up to 64, 128 bytes with 11 buckets, plus
/// 64): two threads each record at the one-thread cost. The first observation by a third
/// thread allocates the hot and cold halves that every further thread records into (64 +
/// `N × 16` bytes, 240 with 11 buckets), with four atomic read-modify-writes per observation;
/// those threads contend with each other but not with the first two. Each of those two first
/// times is two allocations, and a thread observing at the same moment may wait for the other
/// to finish making the part; nothing else on this path allocates or waits. A thread that
/// exits gives its identity back: the next new thread takes it over, and with it the cells of
/// the histograms the old one owned, so thread pools that replace their threads keep the fast
/// path. For a histogram that many threads observe into all the time, declare `sharded = true`
/// ([`ShardedHistogram`](crate::ShardedHistogram)).
///
/// ```
/// use geno_metrics::{Histogram, MetricKind, MetricSpec};
/// static SPEC: MetricSpec = MetricSpec::new("demo_step_duration_seconds", MetricKind::Histogram, "Step time.").with_unit("seconds").with_buckets(&[0.1, 1.0]);
/// static STEP_DURATION_SECONDS: Histogram<2> = Histogram::new(&SPEC);
///
/// STEP_DURATION_SECONDS.observe(0.05);
/// std::thread::spawn(|| STEP_DURATION_SECONDS.observe(0.5)).join().unwrap();
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
    /// The identity of the thread that writes `own`: 0 until the first observation.
    owner: AtomicU64,
    /// Where every other thread records; allocated by the first of them.
    others: OnceBox<Others>,
    /// Makes `others` for this bucket count.
    make_others: fn() -> Others,
    /// How many resets there were: single-writer cells of an earlier epoch count as empty.
    epoch: AtomicU64,
    /// Serialises readers (`snapshot`, `reset`); writers never take it.
    readers: Mutex<()>,
    own: Cells<B>,
}

/// The part of a histogram that every thread but its owner records into, on a cache line of
/// its own (so that the threads writing the halves never take the line the second thread
/// reads).
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct Others {
    /// The identity of the thread that writes `second`: 0 until claimed.
    second_owner: AtomicU64,
    second: Box<Cells<[BucketCounts]>>,
    /// Where every thread past the owner and `second_owner` records.
    rest: OnceBox<HotCold>,
}

impl Others {
    /// Empty, for `N` finite bounds.
    fn new<const N: usize>() -> Self {
        Self {
            second_owner: AtomicU64::new(0),
            second: Box::new(Cells::<[BucketCounts; N]>::new()),
            #[cfg(not(loom))]
            rest: OnceBox::new(),
            #[cfg(loom)]
            rest: OnceBox::ready(HotCold::new(N)),
        }
    }

    /// Records one observation by `thread`, which is not the histogram's owner.
    #[inline]
    fn observe(&self, thread: u64, index: usize, value: f64, epoch: u64) {
        let second = self.second_owner.load(Ordering::Relaxed);
        // As for the owner: only the thread whose exchange succeeds writes `second`.
        if second == thread
            || (second == 0
                && thread != EXITING
                && self
                    .second_owner
                    .compare_exchange(0, thread, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok())
        {
            self.second.record(index, value, epoch);
        } else {
            self.rest
                .get_or_init(|| HotCold::new(self.second.len()))
                .observe(index, value);
        }
    }
}

/// Where the threads past the first two record: hot and cold halves, on a cache line of their
/// own.
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct HotCold {
    /// Bit 63: the hot half. Bits 0..63: observations started since the last reset. The 63
    /// bits would carry into the hot bit after 2^63 observations without a reset, some 290
    /// years at 10^9 observations a second.
    started_and_hot: AtomicU64,
    halves: [Half; 2],
    /// Per finite bound, one count for each half.
    buckets: Box<[[AtomicU64; 2]]>,
}

/// Sum and completed-observation count of one half.
#[derive(Debug)]
struct Half {
    count: AtomicU64,
    sum_bits: AtomicU64,
}

impl Half {
    fn new() -> Self {
        Self {
            count: AtomicU64::new(0),
            sum_bits: AtomicU64::new(0),
        }
    }
}

impl HotCold {
    /// Empty, for `bounds` finite bounds.
    fn new(bounds: usize) -> Self {
        Self {
            started_and_hot: AtomicU64::new(0),
            halves: [Half::new(), Half::new()],
            buckets: (0..bounds)
                .map(|_| [AtomicU64::new(0), AtomicU64::new(0)])
                .collect(),
        }
    }

    /// Records one observation into bucket `index` (the number of bounds: `+Inf` only).
    #[inline]
    fn observe(&self, index: usize, value: f64) {
        let started = self.started_and_hot.fetch_add(1, Ordering::Acquire);
        let hot = (started >> 63) as usize & 1;
        if let Some(bucket) = self.buckets.get(index) {
            bucket[hot].fetch_add(1, Ordering::Relaxed);
        }
        let half = &self.halves[hot];
        atomic_f64::add(&half.sum_bits, value, Ordering::Relaxed);
        // Last and with release: a reader that sees this count sees the writes above.
        half.count.fetch_add(1, Ordering::Release);
    }

    /// Adds one consistent state to `counts` (per finite bound, not cumulative) and returns
    /// its count and sum. Call with the histogram's readers serialised.
    fn read_into(&self, counts: &mut [u64]) -> Totals {
        let (cold, count) = self.flip_and_settle();
        let hot = cold ^ 1;
        for (total, bucket) in counts.iter_mut().zip(&*self.buckets) {
            let n = bucket[cold].swap(0, Ordering::Relaxed);
            bucket[hot].fetch_add(n, Ordering::Relaxed);
            *total = total.wrapping_add(n); // as the 63-bit count wraps: never a panic
        }
        let (cold_half, hot_half) = (&self.halves[cold], &self.halves[hot]);
        let sum = f64::from_bits(cold_half.sum_bits.swap(0, Ordering::Relaxed));
        atomic_f64::add(&hot_half.sum_bits, sum, Ordering::Relaxed);
        cold_half.count.store(0, Ordering::Relaxed);
        hot_half.count.fetch_add(count, Ordering::Release);
        Totals { count, sum }
    }

    /// Forgets every observation made so far. Call with the histogram's readers serialised.
    fn reset(&self) {
        let (cold, count) = self.flip_and_settle();
        for bucket in &*self.buckets {
            bucket[cold].store(0, Ordering::Relaxed);
        }
        let cold_half = &self.halves[cold];
        cold_half.sum_bits.store(0, Ordering::Relaxed);
        cold_half.count.store(0, Ordering::Relaxed);
        // The started count now covers only what the hot half holds. Bits below 63 hold at
        // least `count`, so this never borrows from the hot bit.
        self.started_and_hot.fetch_sub(count, Ordering::AcqRel);
    }

    /// Makes the hot half cold and waits until every writer that started before is done.
    /// Returns the cold half and its observation count.
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

impl<const N: usize> HistogramCore<[BucketCounts; N]> {
    loom_const_fn! {
        /// An empty histogram.
        ///
        /// # Panics
        ///
        /// At compile time (in a static) when `spec` is not a histogram's, does not have
        /// exactly `N` bucket bounds, or its bounds do not strictly increase (as
        /// `metrics.toml` requires; the bucket search counts on it).
        pub fn new(spec: &'static MetricSpec) -> Self {
            assert!(
                matches!(spec.kind, MetricKind::Histogram),
                "Histogram::new needs a histogram's MetricSpec"
            );
            assert!(
                spec.buckets.len() == N,
                "Histogram<N>: N must be the number of bucket bounds in the MetricSpec"
            );
            let mut i = 1;
            while i < N {
                assert!(
                    spec.buckets[i - 1] < spec.buckets[i],
                    "Histogram::new: the bucket bounds must strictly increase"
                );
                i += 1;
            }
            Self {
                spec,
                owner: AtomicU64::new(0),
                #[cfg(not(loom))]
                others: OnceBox::new(),
                // Loom models no lazy initialisation: the parts exist from the start.
                #[cfg(loom)]
                others: OnceBox::ready(Others::new::<N>()),
                make_others: Others::new::<N>,
                epoch: AtomicU64::new(0),
                readers: Mutex::new(()),
                own: Cells::new(),
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

impl<const N: usize> HistogramCore<[BucketCounts; N]> {
    /// Records one observation, in seconds or whatever the metric's unit is: the count of
    /// the first bucket whose bound is `>=` it (the `+Inf` bucket above the last bound), the
    /// count and the sum. A NaN is dropped: it has no bucket, and in the sum it would make
    /// `_sum` NaN for good. [`AnyHistogram::observe`] does the same; this one finds the
    /// bucket among `N` bounds known when compiled, in comparisons the compiler unrolls.
    ///
    /// ```
    /// # use geno_metrics::{Histogram, MetricKind, MetricSpec};
    /// # static SPEC: MetricSpec = MetricSpec::new("demo_step_duration_seconds", MetricKind::Histogram, "Step time.").with_unit("seconds").with_buckets(&[0.1, 1.0]);
    /// static STEP_DURATION_SECONDS: Histogram<2> = Histogram::new(&SPEC);
    /// STEP_DURATION_SECONDS.observe(0.25); // in the 1.0 bucket
    /// STEP_DURATION_SECONDS.observe(1.0); // in the 1.0 bucket: bounds are inclusive
    /// STEP_DURATION_SECONDS.observe(f64::NAN); // dropped
    /// let snapshot = STEP_DURATION_SECONDS.snapshot();
    /// assert_eq!(snapshot.counts, [0, 2, 2]); // cumulative: 0.1, 1.0, +Inf
    /// assert_eq!(snapshot.sum, 1.25);
    /// ```
    #[inline]
    pub fn observe(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        (**self).observe_into(bucket_index_of::<N>(self.spec.buckets, value), value);
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
        self.observe_into(bucket_index(self.spec.buckets, value), value);
    }

    /// Records one observation of `value` (not NaN) into bucket `index`.
    #[inline]
    fn observe_into(&self, index: usize, value: f64) {
        let thread = thread_id();
        let epoch = self.epoch.load(Ordering::Relaxed);
        if self.owner.load(Ordering::Relaxed) == thread {
            self.own.record(index, value, epoch);
        } else {
            self.observe_not_owned(thread, index, value, epoch);
        }
    }

    /// The first observation ever, or one by a thread other than the owner.
    #[inline(never)]
    fn observe_not_owned(&self, thread: u64, index: usize, value: f64, epoch: u64) {
        // Only the thread whose exchange succeeds ever writes `own`; readers synchronise
        // with it through the cells' sequence number, so no ordering is needed here. The
        // exchange is tried only while nobody owns the histogram: a failing one would still
        // take the cache line the owner reads on every observation.
        let claimed = thread != EXITING
            && self.owner.load(Ordering::Relaxed) == 0
            && self
                .owner
                .compare_exchange(0, thread, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
        if claimed {
            self.own.record(index, value, epoch);
        } else {
            self.others
                .get_or_init(self.make_others)
                .observe(thread, index, value, epoch);
        }
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
        let bounds = self.own.len();
        let mut counts = vec![0u64; bounds + 1];
        let mut scratch = vec![0u64; bounds];
        let Totals { count, sum } = self.read_cumulative(&mut counts, &mut scratch);
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

    /// How many finite bucket bounds the histogram has.
    #[inline]
    pub(crate) fn bounds(&self) -> usize {
        self.own.len()
    }

    /// What [`snapshot`](Self::snapshot) reads, without allocating, for the exposition:
    /// cumulative counts into `counts` (as long as the bounds plus one, `+Inf` last), with
    /// `scratch` (as long as the bounds) to copy cells into; returns the count and the sum.
    pub(crate) fn read_cumulative(&self, counts: &mut [u64], scratch: &mut [u64]) -> Totals {
        let _readers = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        let epoch = self.epoch.load(Ordering::Relaxed);
        let bounds = self.own.len();
        counts.fill(0);
        let (mut count, mut sum) = (0u64, 0.0);
        for cells in self.single_writer_cells() {
            let theirs = cells.read(scratch, epoch);
            for (total, n) in counts.iter_mut().zip(&*scratch) {
                *total = total.wrapping_add(*n);
            }
            count = count.wrapping_add(theirs.count);
            sum += theirs.sum;
        }
        if let Some(rest) = self.others.get().and_then(|others| others.rest.get()) {
            let theirs = rest.read_into(&mut counts[..bounds]);
            count = count.wrapping_add(theirs.count);
            sum += theirs.sum;
        }
        let mut cumulative = 0u64;
        for n in &mut counts[..bounds] {
            cumulative = cumulative.wrapping_add(*n);
            *n = cumulative;
        }
        if let Some(last) = counts.get_mut(bounds) {
            *last = count;
        }
        Totals { count, sum }
    }

    /// Forgets every observation made so far. Observations that race with the reset are
    /// either all forgotten or all kept, each one whole.
    pub fn reset(&self) {
        let _readers = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        // From now on readers count the single-writer cells as empty, until their writers
        // clear them on their next observations.
        self.epoch.fetch_add(1, Ordering::Relaxed);
        if let Some(rest) = self.others.get().and_then(|others| others.rest.get()) {
            rest.reset();
        }
    }

    /// The owner's cells, then the second thread's once they exist.
    fn single_writer_cells(&self) -> impl Iterator<Item = &Cells<[BucketCounts]>> {
        let own: &Cells<[BucketCounts]> = &self.own;
        std::iter::once(own).chain(self.others.get().map(|others| &*others.second))
    }

    /// What `metrics.toml` declares about this histogram.
    #[inline]
    pub fn spec(&self) -> &'static MetricSpec {
        self.spec
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
    fn the_bucket_is_the_same_with_the_bound_count_known_when_compiled() {
        fn check<const N: usize>(bounds: &[f64]) {
            assert_eq!(bounds.len(), N);
            let mut values = vec![f64::NEG_INFINITY, f64::INFINITY, 0.0, -0.0, f64::MAX];
            for &bound in bounds {
                values.extend([bound, bound.next_down(), bound.next_up(), bound * 0.999]);
            }
            for value in values {
                assert_eq!(
                    bucket_index_of::<N>(bounds, value),
                    bucket_index(bounds, value),
                    "{value} among {bounds:?}"
                );
            }
        }
        let default = [
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        check::<11>(&default);
        check::<0>(&[]);
        check::<1>(&[1.0]);
        let many: Vec<f64> = (0..63).map(|i| f64::from(i) - 20.0).collect();
        check::<63>(&many);
        let at_the_edge: Vec<f64> = (0..64).map(|i| f64::from(i) / 8.0).collect();
        check::<64>(&at_the_edge);
        let more: Vec<f64> = (0..70).map(f64::from).collect();
        check::<70>(&more);
        // A slice of another length than N counts as well.
        assert_eq!(bucket_index_of::<3>(&default, 0.07), 4);
    }

    #[test]
    #[should_panic(expected = "the bucket bounds must strictly increase")]
    fn bounds_that_do_not_increase_are_refused() {
        static SPEC: MetricSpec = MetricSpec::new("t_seconds", MetricKind::Histogram, "t")
            .with_unit("seconds")
            .with_buckets(&[1.0, 0.5]);
        let _ = Histogram::<2>::new(&SPEC);
    }

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

    /// The sizes hold where std's `Mutex` and `Once` are a futex word (Linux).
    #[cfg(target_os = "linux")]
    #[test]
    fn the_memory_the_docs_state() {
        // `64 + (N + 4) × 8` rounded up to 64, and the other threads' parts.
        assert_eq!(std::mem::size_of::<Histogram<11>>(), 192);
        assert_eq!(std::mem::size_of::<Histogram<1>>(), 128);
        assert_eq!(std::mem::size_of::<Histogram<30>>(), 384);
        assert_eq!(std::mem::size_of::<Others>(), 64);
        assert_eq!(std::mem::size_of::<HotCold>(), 64);
        assert_eq!(std::mem::size_of::<[AtomicU64; 2]>(), 16);
    }

    #[test]
    fn a_reset_starts_the_sum_from_zero_exactly() {
        static SPEC: MetricSpec = MetricSpec::new("t_seconds", MetricKind::Histogram, "t")
            .with_unit("seconds")
            .with_buckets(&[1.0]);
        for (before, after) in [
            (&[0.1, 0.2][..], 0.3),
            (&[1e17], 1.0),
            (&[f64::INFINITY], 1.0),
        ] {
            let h: Histogram<1> = Histogram::new(&SPEC);
            for &v in before {
                h.observe(v);
            }
            h.reset();
            let s = h.snapshot();
            assert_eq!((s.counts.as_slice(), s.count, s.sum), (&[0, 0][..], 0, 0.0));
            h.observe(after);
            let s = h.snapshot();
            assert_eq!((s.count, s.sum), (1, after), "after {before:?}");
        }
    }

    #[test]
    fn the_owner_and_other_threads_add_up() {
        static SPEC: MetricSpec = MetricSpec::new("t_seconds", MetricKind::Histogram, "t")
            .with_unit("seconds")
            .with_buckets(&[1.0, 2.0]);
        static H: Histogram<2> = Histogram::new(&SPEC);
        H.observe(1.0);
        assert!(H.others.get().is_none(), "one thread: nothing allocated");
        // All four alive at once: a thread that exited would hand its identity, and so its
        // part, on to the next one.
        let together = std::sync::Barrier::new(4);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    together.wait();
                    for _ in 0..1_000 {
                        H.observe(2.0);
                    }
                    together.wait();
                });
            }
        });
        let others = H.others.get().unwrap();
        assert!(
            others.rest.get().is_some(),
            "four threads besides the owner"
        );
        H.observe(5.0);
        let s = H.snapshot();
        assert_eq!(s.counts, [1, 4_001, 4_002]);
        assert_eq!((s.count, s.sum), (4_002, 8_006.0));
        H.reset();
        let s = H.snapshot();
        assert_eq!(
            (s.counts.as_slice(), s.count, s.sum),
            (&[0, 0, 0][..], 0, 0.0)
        );
        std::thread::spawn(|| H.observe(0.5)).join().unwrap();
        H.observe(1.5);
        let s = H.snapshot();
        assert_eq!(s.counts, [1, 2, 2]);
        assert_eq!((s.count, s.sum), (2, 2.0));
    }
}
