//! [`HistogramTimer`]: observes the seconds a scope took into any histogram, plain or sharded.

use std::fmt::Debug;
use std::time::Instant;

/// What a timer observes into: a histogram of any kind. Implemented by the histograms of this
/// crate only; reached through `__private`.
pub trait Observe: Debug {
    /// Records one observation.
    fn observe(&self, value: f64);
}

/// Observes the seconds elapsed since the histogram's `start_timer` when dropped (or
/// [stopped](Self::stop)). `H` is the histogram observed into: [`AnyHistogram`](crate::AnyHistogram)
/// or a [`ShardedHistogram<N>`](crate::ShardedHistogram).
#[derive(Debug)]
#[must_use = "the timer observes when dropped; binding it to `_` drops it at once"]
pub struct HistogramTimer<'a, H: Observe + ?Sized> {
    histogram: &'a H,
    start: Instant,
    armed: bool,
}

impl<'a, H: Observe + ?Sized> HistogramTimer<'a, H> {
    /// A timer started now, observing into `histogram`.
    pub(crate) fn start(histogram: &'a H) -> Self {
        Self {
            histogram,
            start: Instant::now(),
            armed: true,
        }
    }

    /// Observes now and returns the elapsed seconds.
    pub fn stop(mut self) -> f64 {
        self.armed = false;
        let seconds = self.start.elapsed().as_secs_f64();
        self.histogram.observe(seconds);
        seconds
    }

    /// Drops the timer without observing anything.
    pub fn discard(mut self) {
        self.armed = false;
    }
}

impl<H: Observe + ?Sized> Drop for HistogramTimer<'_, H> {
    fn drop(&mut self) {
        if self.armed {
            self.histogram.observe(self.start.elapsed().as_secs_f64());
        }
    }
}
