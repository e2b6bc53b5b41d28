//! The value table of one free-form label: bounded, append-only, read without locks.
//!
//! The first `max_series` distinct values each get a slot (their position among the label's
//! series), in order of first use. A value is looked up by hashing it into an open-addressing
//! index of atomics; a hit costs the hash, usually one probe and one string comparison, and
//! never locks or allocates. Only a value seen for the first time takes the table's mutex, to
//! store a copy of itself. Once every slot is taken, unknown values go to the overflow slot
//! (`max_series`) and the dropped count rises; that path takes no lock either.
//!
//! Values are never removed: a slot, once given, names its value for the life of the process,
//! so a series' labels never change under a scraper.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// The label value of a free-form label's overflow series: where values go once
/// `max_series` distinct values have a series of their own. Passing this value itself also
/// lands in the overflow series, so no other series can carry it.
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// The counter a registry with free-form labels adds to its exposition and snapshot: one
/// series per free-form label, labelled `metric` and `label`, counting the calls whose value
/// went to that label's overflow series. It exists at zero from the start, so an alert on it
/// works from the first scrape (the README's rules have one):
///
/// ```promql
/// increase(geno_metrics_dropped_label_values_total[1h]) > 0
/// ```
pub const DROPPED_LABEL_VALUES_METRIC: &str = "geno_metrics_dropped_label_values_total";

/// The HELP text of [`DROPPED_LABEL_VALUES_METRIC`].
pub(crate) const DROPPED_LABEL_VALUES_HELP: &str = "Label values recorded into their free-form label's overflow series because max_series distinct values already had a series.";

/// The value table of one free-form label of a [`Labelled`](crate::Labelled) metric.
#[derive(Debug, Default)]
pub struct FreeLabel {
    /// Allocated on first use, sized from the label's `max_series`.
    table: OnceLock<Table>,
    /// Calls whose value went to the overflow series.
    dropped: AtomicU64,
}

#[derive(Debug)]
struct Table {
    /// Slot `i` holds the value of series position `i`, set once.
    values: Box<[OnceLock<Box<str>>]>,
    /// Open addressing, a power of two at least twice `values.len()`: 0 is empty, otherwise
    /// the value's hash in the high 32 bits and its slot + 1 in the low 32.
    index: Box<[AtomicU64]>,
    /// How many slots are taken; only grows, and only under `insert`.
    len: AtomicUsize,
    insert: Mutex<()>,
}

impl FreeLabel {
    /// An empty table; nothing is allocated until the first value arrives.
    pub const fn new() -> Self {
        Self {
            table: OnceLock::new(),
            dropped: AtomicU64::new(0),
        }
    }

    /// The slot of `value` among `max_series` slots: its own, taken on first use while slots
    /// are free, or the overflow slot `max_series` (counting the call as dropped).
    #[inline]
    pub(crate) fn slot(&self, max_series: usize, value: &str) -> usize {
        // The empty value would make a series Prometheus reads as having no such label at
        // all (blank enumerated values are refused at compile time for the same reason): it
        // goes to the overflow series, as the overflow value itself does.
        if value.is_empty() || value == OVERFLOW_LABEL_VALUE || max_series == 0 {
            return self.overflow(max_series);
        }
        let table = self.table.get_or_init(|| Table::new(max_series));
        let hash = hash(value);
        if let Some(slot) = table.find(hash, value) {
            return slot;
        }
        if table.len.load(Ordering::Acquire) >= table.values.len() {
            // Full: no value will be added any more, so one more look settles it (the value
            // may have been added between the first look and the load).
            return table
                .find(hash, value)
                .unwrap_or_else(|| self.overflow(max_series));
        }
        table
            .insert(hash, value)
            .unwrap_or_else(|| self.overflow(max_series))
    }

    fn overflow(&self, max_series: usize) -> usize {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        max_series
    }

    /// The value of `slot`: a taken slot's value, [`OVERFLOW_LABEL_VALUE`] for the overflow
    /// slot once a value went there, `None` for a slot no series uses (yet).
    pub(crate) fn value(&self, max_series: usize, slot: usize) -> Option<&str> {
        if slot == max_series {
            return (self.dropped() > 0).then_some(OVERFLOW_LABEL_VALUE);
        }
        self.table.get()?.values.get(slot)?.get().map(|v| &**v)
    }

    /// How many calls found the table full (or passed [`OVERFLOW_LABEL_VALUE`]) and went to
    /// the overflow series.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// How many distinct values have a series of their own.
    pub fn len(&self) -> usize {
        self.table
            .get()
            .map_or(0, |t| t.len.load(Ordering::Acquire))
    }

    /// Whether no value has a series yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Table {
    fn new(max_series: usize) -> Self {
        let capacity = (max_series * 2).next_power_of_two();
        Self {
            values: (0..max_series).map(|_| OnceLock::new()).collect(),
            index: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            len: AtomicUsize::new(0),
            insert: Mutex::new(()),
        }
    }

    /// The slot holding `value`, if any. Lock-free: an entry is published (Release) only
    /// after its value is set, so an entry seen here (Acquire) has its value readable.
    #[inline]
    fn find(&self, hash: u64, value: &str) -> Option<usize> {
        let mask = self.index.len() - 1;
        let tag = hash >> 32;
        let mut position = hash as usize & mask;
        for _ in 0..self.index.len() {
            let entry = self.index[position].load(Ordering::Acquire);
            if entry == 0 {
                return None;
            }
            if entry >> 32 == tag {
                let slot = (entry & u64::from(u32::MAX)) as usize - 1;
                if self.values[slot].get().is_some_and(|v| **v == *value) {
                    return Some(slot);
                }
            }
            position = (position + 1) & mask;
        }
        None
    }

    /// Gives `value` the next free slot, unless another thread just did or none is left.
    fn insert(&self, hash: u64, value: &str) -> Option<usize> {
        let _guard = self.insert.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = self.find(hash, value) {
            return Some(slot);
        }
        let slot = self.len.load(Ordering::Relaxed);
        if slot >= self.values.len() {
            return None;
        }
        // Only this thread (holding `insert`) sets slot `len`, so this `set` cannot fail.
        let _ = self.values[slot].set(value.into());
        let mask = self.index.len() - 1;
        let mut position = hash as usize & mask;
        // At most half the index is full, so an empty entry is always found.
        while self.index[position].load(Ordering::Relaxed) != 0 {
            position = (position + 1) & mask;
        }
        let entry = (hash >> 32 << 32) | (slot as u64 + 1);
        self.index[position].store(entry, Ordering::Release);
        self.len.store(slot + 1, Ordering::Release);
        Some(slot)
    }
}

/// FNV-1a, 64 bits: short label values hash in a few nanoseconds, with no allocation and
/// no per-process key. (Hash flooding can cost at most a probe of the whole index, which is
/// bounded by `max_series`.)
#[inline]
fn hash(value: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in value.as_bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_get_slots_in_order_of_first_use_then_overflow() {
        let label = FreeLabel::new();
        assert!(label.is_empty());
        assert_eq!(label.value(3, 0), None, "nothing allocated, nothing named");
        assert_eq!(label.slot(3, "b"), 0);
        assert_eq!(label.slot(3, "a"), 1);
        assert_eq!(label.slot(3, "b"), 0);
        assert_eq!(label.slot(3, "e"), 2);
        assert_eq!((label.len(), label.dropped()), (3, 0));
        assert_eq!(
            label.value(3, 3),
            None,
            "no overflow series before an overflow"
        );
        assert_eq!(label.slot(3, "c"), 3);
        assert_eq!(label.slot(3, "d"), 3);
        assert_eq!(
            label.slot(3, "a"),
            1,
            "known values keep their slot when full"
        );
        assert_eq!((label.len(), label.dropped()), (3, 2));
        let values: Vec<_> = (0..4).map(|s| label.value(3, s)).collect();
        assert_eq!(
            values,
            [Some("b"), Some("a"), Some("e"), Some(OVERFLOW_LABEL_VALUE)]
        );
        assert_eq!(label.value(3, 4), None);
    }

    /// An empty value would be a series Prometheus reads as lacking the label: it goes to
    /// the overflow series and counts as dropped, with slots free or not.
    #[test]
    fn the_empty_value_never_gets_a_slot() {
        let label = FreeLabel::new();
        assert_eq!(label.slot(4, ""), 4);
        assert_eq!(label.slot(4, "a"), 0);
        assert_eq!((label.len(), label.dropped()), (1, 1));
        assert_eq!(label.value(4, 4), Some(OVERFLOW_LABEL_VALUE));
    }

    #[test]
    fn the_overflow_value_itself_never_gets_a_slot() {
        let label = FreeLabel::new();
        assert_eq!(label.slot(8, OVERFLOW_LABEL_VALUE), 8);
        assert_eq!((label.len(), label.dropped()), (0, 1));
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_value() {
        // The same hash for every value: one home position, one tag, all told apart by value.
        let table = Table::new(40);
        let values: Vec<String> = (0..41).map(|i| format!("v{i}")).collect();
        for (i, v) in values.iter().take(40).enumerate() {
            assert_eq!(table.insert(7, v), Some(i));
        }
        for (i, v) in values.iter().take(40).enumerate() {
            assert_eq!(table.find(7, v), Some(i));
        }
        assert_eq!(table.find(7, &values[40]), None);
        assert_eq!(table.insert(7, &values[40]), None, "full");
        let one = FreeLabel::new();
        assert_eq!(
            (one.slot(1, "x"), one.slot(1, "y"), one.slot(1, "x")),
            (0, 1, 0)
        );
    }
}
