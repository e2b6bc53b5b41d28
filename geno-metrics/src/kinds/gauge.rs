//! [`Gauge`]: an `f64` that goes up and down.

use std::sync::atomic::Ordering;

use crate::sync::{AtomicU64, loom_const_fn};

use super::atomic_f64;
use crate::spec::{MetricKind, MetricSpec};

/// A value that goes up and down, e.g. a queue depth or the last loss.
///
/// `set` is one atomic store; `add`/`sub`/`inc`/`dec` are a lock-free compare-and-swap loop.
/// Any `f64` is accepted, NaN and ±Inf included; the exposition writes them as `NaN`,
/// `+Inf` and `-Inf`.
///
/// ```
/// use geno_metrics::{Gauge, MetricKind, MetricSpec};
/// static SPEC: MetricSpec = MetricSpec::new("demo_queue_depth", MetricKind::Gauge, "Items waiting.");
/// static QUEUE_DEPTH: Gauge = Gauge::new(&SPEC);
///
/// QUEUE_DEPTH.set(10.0);
/// QUEUE_DEPTH.inc();
/// QUEUE_DEPTH.sub(3.5);
/// QUEUE_DEPTH.add(0.5);
/// QUEUE_DEPTH.dec();
/// assert_eq!(QUEUE_DEPTH.get(), 7.0);
/// ```
#[derive(Debug)]
pub struct Gauge {
    bits: AtomicU64,
    spec: &'static MetricSpec,
}

impl Gauge {
    loom_const_fn! {
        /// A gauge at `0.0`.
        ///
        /// # Panics
        ///
        /// At compile time (in a static) when `spec` is not a gauge's.
        pub fn new(spec: &'static MetricSpec) -> Self {
            assert!(
                matches!(spec.kind, MetricKind::Gauge),
                "Gauge::new needs a gauge's MetricSpec"
            );
            Self {
                bits: AtomicU64::new(0),
                spec,
            }
        }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, value: f64) {
        self.bits.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.add(-1.0);
    }

    /// Adds `delta`.
    #[inline]
    pub fn add(&self, delta: f64) {
        atomic_f64::add(&self.bits, delta, Ordering::Relaxed);
    }

    /// Subtracts `delta`.
    #[inline]
    pub fn sub(&self, delta: f64) {
        self.add(-delta);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::Relaxed))
    }

    /// What `metrics.toml` declares about this gauge.
    #[inline]
    pub fn spec(&self) -> &'static MetricSpec {
        self.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPEC: MetricSpec = MetricSpec {
        name: "t",
        kind: MetricKind::Gauge,
        unit: "",
        summary: "t",
        buckets: &[],
        deprecated: None,
        labels: &[],
        collector: None,
    };

    #[test]
    fn keeps_any_f64_bit_for_bit() {
        let g = Gauge::new(&SPEC);
        assert_eq!(g.get().to_bits(), 0.0f64.to_bits(), "starts at +0.0");
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            f64::MIN_POSITIVE / 2.0,
        ] {
            g.set(v);
            assert_eq!(g.get().to_bits(), v.to_bits());
        }
    }

    #[test]
    fn concurrent_adds_are_not_lost() {
        let g = Gauge::new(&SPEC);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..10_000).for_each(|_| g.add(0.5)));
                s.spawn(|| (0..5_000).for_each(|_| g.dec()));
            }
        });
        assert_eq!(g.get(), 0.0);
    }
}
