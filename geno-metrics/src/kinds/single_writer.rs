//! [`Cells`]: the buckets and sum of a histogram that exactly one thread writes, with plain
//! loads and stores inside a sequence lock, and that any thread can copy consistently.
//!
//! The writer makes the sequence number odd, stores the bucket and the sum, then makes it
//! even again with release ordering: no atomic read-modify-write, no lock. A reader copies
//! the cells between two reads of one even sequence number, retrying otherwise, so every copy
//! is one state the writer left them in. The count is the buckets' sum: one store less for
//! the writer.
//!
//! A plain [`Histogram`](super::Histogram) keeps one `Cells` for the first thread that
//! observes into it; a [`ShardedHistogram`](super::ShardedHistogram) one per writer slot.
//! Nothing but the writer may store to the cells, not even a reset. So the cells carry the
//! *epoch* (the histogram's count of resets) they were written in: a reset bumps the
//! histogram's epoch, readers count cells of an earlier epoch as empty, and the writer clears
//! them, inside its sequence lock, before its first observation in the new epoch.

use std::sync::atomic::Ordering;

use crate::sync::{AtomicU64, back_off, fence, loom_const_fn};

/// Observations that fell into one bucket. Opaque: the storage of a histogram's buckets.
#[derive(Debug)]
pub struct BucketCounts(pub(crate) AtomicU64);

impl BucketCounts {
    /// `N` empty buckets.
    #[cfg(not(loom))]
    pub(crate) const fn array<const N: usize>() -> [Self; N] {
        [const { Self(AtomicU64::new(0)) }; N]
    }

    #[cfg(loom)]
    pub(crate) fn array<const N: usize>() -> [Self; N] {
        std::array::from_fn(|_| Self(AtomicU64::new(0)))
    }
}

/// One writer's buckets and sum, on cache lines of their own: `B` is `[BucketCounts; N]`
/// in a static, `[BucketCounts]` behind a reference.
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct Cells<B: ?Sized> {
    /// Odd while the writer is storing.
    seq: AtomicU64,
    /// The epoch the counts below belong to.
    epoch: AtomicU64,
    sum_bits: AtomicU64,
    /// Observations above every finite bound.
    above: AtomicU64,
    /// Observations per finite bound (not cumulative).
    buckets: B,
}

impl<const N: usize> Cells<[BucketCounts; N]> {
    loom_const_fn! {
        pub(crate) fn new() -> Self {
            Self {
                seq: AtomicU64::new(0),
                epoch: AtomicU64::new(0),
                sum_bits: AtomicU64::new(0),
                above: AtomicU64::new(0),
                buckets: BucketCounts::array(),
            }
        }
    }
}

/// What a copy of [`Cells`] holds besides its per-bucket counts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Totals {
    /// Every observation, the `+Inf` bucket.
    pub(crate) count: u64,
    pub(crate) sum: f64,
}

impl Cells<[BucketCounts]> {
    /// Records one observation into bucket `index` (the number of finite bounds: above every
    /// bound) in `epoch`, clearing what an earlier epoch left first. Only the cells' one
    /// writer may call this.
    #[inline]
    pub(crate) fn record(&self, index: usize, value: f64, epoch: u64) {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        // The odd number is visible before any of the stores below.
        fence(Ordering::Release);
        if self.epoch.load(Ordering::Relaxed) != epoch {
            self.clear(epoch);
        }
        let bucket = self.buckets.get(index).map_or(&self.above, |b| &b.0);
        bucket.store(
            bucket.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
        let sum = f64::from_bits(self.sum_bits.load(Ordering::Relaxed)) + value;
        self.sum_bits.store(sum.to_bits(), Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// Empties the cells into `epoch`: the writer's first observation after a reset.
    #[cold]
    fn clear(&self, epoch: u64) {
        for bucket in &self.buckets {
            bucket.0.store(0, Ordering::Relaxed);
        }
        self.above.store(0, Ordering::Relaxed);
        self.sum_bits.store(0, Ordering::Relaxed);
        self.epoch.store(epoch, Ordering::Relaxed);
    }

    /// How many finite bounds the cells count for.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.buckets.len()
    }

    /// One consistent state of the cells: its per-bound counts (not cumulative) written to
    /// `counts` (as long as [`len`](Self::len)), its count and sum returned; all zero when the
    /// cells hold an epoch other than `epoch` (the writer has not observed since a reset).
    pub(crate) fn read(&self, counts: &mut [u64], epoch: u64) -> Totals {
        debug_assert_eq!(counts.len(), self.buckets.len(), "one count per bucket");
        let mut spins = 0u32;
        loop {
            let before = self.seq.load(Ordering::Acquire);
            if before & 1 == 0 {
                let mut count = self.above.load(Ordering::Relaxed);
                for (n, bucket) in counts.iter_mut().zip(&self.buckets) {
                    *n = bucket.0.load(Ordering::Relaxed);
                    count = count.wrapping_add(*n);
                }
                let sum = f64::from_bits(self.sum_bits.load(Ordering::Relaxed));
                let current = self.epoch.load(Ordering::Relaxed) == epoch;
                // The loads above happen before the second read of the sequence number.
                fence(Ordering::Acquire);
                if self.seq.load(Ordering::Relaxed) == before {
                    if current {
                        return Totals { count, sum };
                    }
                    counts.fill(0);
                    return Totals::default();
                }
            }
            // The writer is between its stores: a few instructions, unless preempted.
            spins = spins.saturating_add(1);
            back_off(spins);
        }
    }
}
