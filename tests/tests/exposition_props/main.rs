//! Hostile values through the exposition: arbitrary UTF-8 in HELP text and label values, every
//! kind of `f64` (NaN, ±Inf, subnormals, -0.0, the extremes) in gauges, histogram bounds and
//! observations, and counters at `u64::MAX`. Each case is encoded by the library and read
//! back by `geno_metrics_tests::text_format`, an independent, strict reader of the text format
//! 0.0.4 that shares no code with the encoder (its module docs say which parser it follows).
//!
//! One file per subject: `help.rs` (HELP text), `values.rs` (every kind of float, and their
//! spelling), `labels.rs` (label values, enumerated and free-form), `const_labels.rs` (constant
//! labels: on every sample, in snapshots, in the per-process file name; unset and frozen),
//! `counters.rs` (counters at and past `u64::MAX`); `support.rs` holds what they share. Registries are built at run time
//! from leaked specs and handles, a fresh one per case, so that free-form label tables and the
//! cached family texts start empty every time.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod const_labels;
mod counters;
mod help;
mod labels;
mod openmetrics;
mod support;
mod values;
