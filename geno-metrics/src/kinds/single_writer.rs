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
//! Nothing but the writer may store to the cells, not even a reset: readers subtract a
//! baseline instead.

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
    /// bound). Only the cells' one writer may call this.
    #[inline]
    pub(crate) fn record(&self, index: usize, value: f64) {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        // The odd number is visible before any of the stores below.
        fence(Ordering::Release);
        let bucket = self.buckets.get(index).map_or(&self.above, |b| &b.0);
        bucket.store(
            bucket.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
        let sum = f64::from_bits(self.sum_bits.load(Ordering::Relaxed)) + value;
        self.sum_bits.store(sum.to_bits(), Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// How many finite bounds the cells count for.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.buckets.len()
    }

    /// One consistent state of the cells: its per-bound counts (not cumulative) written to
    /// `counts` (as long as [`len`](Self::len)), its count and sum returned.
    pub(crate) fn read(&self, counts: &mut [u64]) -> Totals {
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
                // The loads above happen before the second read of the sequence number.
                fence(Ordering::Acquire);
                if self.seq.load(Ordering::Relaxed) == before {
                    return Totals { count, sum };
                }
            }
            // The writer is between its stores: a few instructions, unless preempted.
            spins = spins.saturating_add(1);
            back_off(spins);
        }
    }
}
