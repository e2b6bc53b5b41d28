//! `f64` arithmetic on an `AtomicU64` holding the value's bits.

use std::sync::atomic::Ordering;

use crate::sync::AtomicU64;

/// Adds `delta` with a compare-and-swap loop; lock-free, never allocates or panics.
#[inline]
pub(crate) fn add(cell: &AtomicU64, delta: f64, order: Ordering) {
    let mut current = cell.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(current) + delta).to_bits();
        match cell.compare_exchange_weak(current, next, order, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}
