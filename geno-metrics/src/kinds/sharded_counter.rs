//! [`ShardedCounter`]: a counter that many threads increment without sharing a cache line.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::spec::{MetricKind, MetricSpec};
use crate::sync::{AtomicU64, loom_const_fn};

/// How many shards a [`ShardedCounter`] or [`ShardedHistogram`](crate::ShardedHistogram)
/// has: up to this many threads never share one. (2 in the loom models, to keep their search
/// small.)
pub const SHARDS: usize = if cfg!(loom) { 2 } else { 16 };

/// One shard on its own pair of cache lines (128 bytes, as CPUs prefetch lines in pairs).
#[derive(Debug)]
#[repr(align(128))]
struct Shard(AtomicU64);

/// The next shard to hand to a thread that has none yet.
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's shard, `usize::MAX` until its first increment.
    static THREAD_SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The calling thread's shard index, below [`SHARDS`].
#[inline]
fn thread_shard() -> usize {
    THREAD_SHARD
        .try_with(|shard| {
            let mut index = shard.get();
            if index == usize::MAX {
                index = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
                shard.set(index);
            }
            index
        })
        // While the thread's locals are being destroyed: any shard counts as well.
        .unwrap_or(0)
        % SHARDS
}

#[cfg(not(loom))]
const fn shards() -> [Shard; SHARDS] {
    [const { Shard(AtomicU64::new(0)) }; SHARDS]
}

#[cfg(loom)]
fn shards() -> [Shard; SHARDS] {
    std::array::from_fn(|_| Shard(AtomicU64::new(0)))
}

/// A monotonically increasing `u64` kept in [`SHARDS`] per-thread shards, for a counter
/// that several threads increment all the time (`sharded = true` in `metrics.toml`).
///
/// A plain [`Counter`](crate::Counter) is one atomic, so threads incrementing it at once
/// take turns owning its cache line. Here each thread adds to its own shard, on its own
/// cache lines, and [`get`](Self::get) sums the shards. Recording is still one relaxed atomic
/// add: no lock, no allocation, no panic. Nothing is lost: `get` counts every increment that
/// happened before it, and never goes down (each shard only grows). The price is memory,
/// 2 KiB per counter, and a `get` that reads 16 shards.
///
/// Threads get shards in turn, on their first increment, and keep them for life; shards are
/// never given back. In a process that starts more than 16 threads over its life, later
/// threads share shards with earlier ones: the count stays
/// exact, only their cache lines are shared again. Labelled metrics cannot be sharded.
///
/// ```
/// use geno_metrics::{MetricKind, MetricSpec, ShardedCounter};
/// static SPEC: MetricSpec = MetricSpec::new("demo_packets_total", MetricKind::Counter, "Packets seen.");
/// static PACKETS_TOTAL: ShardedCounter = ShardedCounter::new(&SPEC);
///
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| for _ in 0..1000 { PACKETS_TOTAL.inc() });
///     }
/// });
/// PACKETS_TOTAL.inc_by(5);
/// assert_eq!(PACKETS_TOTAL.get(), 4005);
/// ```
///
/// # Overflow
///
/// As a [`Counter`](crate::Counter#overflow) does, the count wraps around to 0 past
/// `u64::MAX`, and never panics: each shard adds modulo 2⁶⁴ and [`get`](Self::get) sums the
/// shards modulo 2⁶⁴, so the count is the same whichever threads did the adding. Prometheus
/// reads the wrap as a counter reset; at 10⁹ increments a second it takes 584 years.
///
/// ```
/// # use geno_metrics::{MetricKind, MetricSpec, ShardedCounter};
/// # static SPEC: MetricSpec = MetricSpec::new("demo_packets_total", MetricKind::Counter, "Packets seen.");
/// let packets_total = ShardedCounter::new(&SPEC);
/// packets_total.inc_by(u64::MAX);
/// packets_total.inc(); // this thread's shard wraps
/// assert_eq!(packets_total.get(), 0);
/// packets_total.inc_by(u64::MAX);
/// std::thread::scope(|s| {
///     s.spawn(|| packets_total.inc_by(2)); // maybe another shard: the sum wraps the same
/// });
/// assert_eq!(packets_total.get(), 1);
/// ```
#[derive(Debug)]
pub struct ShardedCounter {
    shards: [Shard; SHARDS],
    spec: &'static MetricSpec,
}

impl ShardedCounter {
    loom_const_fn! {
        /// A counter at zero. Const, so handles are plain statics with no start-up work.
        ///
        /// # Panics
        ///
        /// At compile time (in a static) when `spec` is not a counter's.
        pub fn new(spec: &'static MetricSpec) -> Self {
            assert!(
                matches!(spec.kind, MetricKind::Counter),
                "ShardedCounter::new needs a counter's MetricSpec"
            );
            Self {
                shards: shards(),
                spec,
            }
        }
    }

    /// Adds one, to the calling thread's shard, wrapping to 0 past `u64::MAX`
    /// ([Overflow](ShardedCounter#overflow)).
    #[inline]
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Adds `n`, to the calling thread's shard, wrapping around past `u64::MAX`
    /// ([Overflow](ShardedCounter#overflow)).
    #[inline]
    pub fn inc_by(&self, n: u64) {
        self.add_to_shard(thread_shard(), n);
    }

    /// Adds `n` to shard `index`, as the thread that has that shard would: for the model
    /// checks, whose threads all share the test thread's thread-locals (and so one shard).
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn inc_by_as_shard(&self, index: usize, n: u64) {
        self.add_to_shard(index, n);
    }

    #[inline]
    fn add_to_shard(&self, index: usize, n: u64) {
        if let Some(shard) = self.shards.get(index) {
            shard.0.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The count: the sum of the shards (wrapping at `u64::MAX`, as a [`Counter`](crate::Counter)
    /// does).
    pub fn get(&self) -> u64 {
        self.shards.iter().fold(0u64, |sum, shard| {
            sum.wrapping_add(shard.0.load(Ordering::Relaxed))
        })
    }

    /// What `metrics.toml` declares about this counter.
    #[inline]
    pub fn spec(&self) -> &'static MetricSpec {
        self.spec
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    static SPEC: MetricSpec = MetricSpec {
        name: "t_total",
        kind: MetricKind::Counter,
        unit: "",
        summary: "t",
        buckets: &[],
        deprecated: None,
        labels: &[],
        collector: None,
    };

    #[test]
    fn threads_take_different_shards_and_nothing_is_lost() {
        static C: ShardedCounter = ShardedCounter::new(&SPEC);
        let shards: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        for _ in 0..10_000 {
                            C.inc();
                        }
                        thread_shard()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(C.get(), 80_000);
        let mut distinct = shards.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 8, "8 threads, 8 shards: {shards:?}");
        assert!(std::mem::align_of::<Shard>() >= 128);
    }

    #[test]
    fn the_sum_wraps_like_a_counter() {
        static C: ShardedCounter = ShardedCounter::new(&SPEC);
        C.inc_by(u64::MAX);
        std::thread::spawn(|| C.inc_by(2)).join().unwrap();
        assert_eq!(C.get(), 1);
    }
}
