//! The metric kinds: what a handle records into and how a snapshot reads it back.
//!
//! [`Counter`] and [`Gauge`] are one atomic each. [`Histogram`] gives the first thread that
//! observes single-writer cells and every other thread a hot and a cold half, so that every
//! snapshot is consistent. `sharded = true` in `metrics.toml` gives the per-thread
//! variants, [`ShardedCounter`] and [`ShardedHistogram`], for metrics that several threads
//! record into all the time. [`Info`] holds the label values of an info metric; a [`ProcessMetric`] is read from `/proc`
//! by the `process` collector. [`AnyHistogram`] and [`AnyShardedHistogram`] are the two
//! histograms of any bucket count, as the registry hands them out by name.

mod atomic_f64;
mod counter;
mod gauge;
mod histogram;
mod info;
mod process;
mod sharded_counter;
mod sharded_histogram;
mod single_writer;

pub use counter::Counter;
pub use gauge::Gauge;
pub use histogram::{AnyHistogram, BucketCounts, Histogram, HistogramCore, HistogramTimer};
pub(crate) use info::exposed_labels;
pub use info::{AnyInfo, Info};
pub use process::{ProcessMetric, ProcessReading, ProcessSample};
pub use sharded_counter::{SHARDS, ShardedCounter};
pub use sharded_histogram::{AnyShardedHistogram, ShardedHistogram};
pub(crate) use single_writer::Totals;
