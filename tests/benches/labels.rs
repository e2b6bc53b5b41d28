//! Labels: the cost of one counter increment, single-threaded, per way of picking the series.
//!
//! Rows, each timing exactly one increment per iteration:
//! - `atomic_fetch_add`: a bare `AtomicU64::fetch_add(1, Relaxed)` on a static (the floor);
//! - `unlabelled_inc`: `Counter::inc()` on a generated handle;
//! - `enumerated_with_inc`: `with(Phase, Status).inc()`, the label values a fixed
//!   `(Train, Ok)` passed through `divan::black_box` so the series index is computed at run
//!   time, not constant-folded;
//! - `free_form_with_inc`: `with(&str, Status).inc()` for a model value already seen (hash +
//!   probe of the free-form table), both values black-boxed;
//! - `prometheus_int_counter_inc`: the `prometheus` crate's `IntCounter::inc()`;
//! - `prometheus_with_label_values_inc`: its `IntCounterVec::with_label_values(&["train",
//!   "ok"]).inc()`, the lookup done on every call, values black-boxed;
//! - `prometheus_client_get_or_create_inc`: `prometheus-client`'s
//!   `Family::get_or_create(&labels).inc()` with a prebuilt label set of two `String`s.
//!
//! Run with `cargo bench -p geno-metrics-tests --bench labels`; `BENCHMARKS.md` records results.

// Bench set-up: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use divan::{Bencher, black_box};

/// The bench registry's handles, generated from `benches/labels.toml`.
mod metrics {
    geno_metrics::registry!("benches/labels.toml");
}

use metrics::{ENUMERATED_TOTAL, FREE_FORM_TOTAL, PLAIN_TOTAL, Phase, Status};

fn main() {
    divan::main();
}

/// The floor: what every counter increment below ends in.
static ATOMIC: AtomicU64 = AtomicU64::new(0);

#[divan::bench]
fn atomic_fetch_add(bencher: Bencher<'_, '_>) {
    bencher.bench_local(|| {
        ATOMIC.fetch_add(1, Ordering::Relaxed);
    });
}

#[divan::bench]
fn unlabelled_inc(bencher: Bencher<'_, '_>) {
    bencher.bench_local(|| PLAIN_TOTAL.inc());
}

#[divan::bench]
fn enumerated_with_inc(bencher: Bencher<'_, '_>) {
    bencher.bench_local(|| {
        ENUMERATED_TOTAL
            .with(black_box(Phase::Train), black_box(Status::Ok))
            .inc();
    });
}

#[divan::bench]
fn free_form_with_inc(bencher: Bencher<'_, '_>) {
    // "resnet" is already seen (it has its series) among a few other models.
    for model in ["bert", "resnet", "gpt", "t5"] {
        FREE_FORM_TOTAL.with(model, Status::Ok).inc();
    }
    bencher.bench_local(|| {
        FREE_FORM_TOTAL
            .with(black_box("resnet"), black_box(Status::Ok))
            .inc();
    });
}

#[divan::bench]
fn prometheus_int_counter_inc(bencher: Bencher<'_, '_>) {
    let counter = prometheus::IntCounter::new("bench_plain_total", "Unlabelled counter.").unwrap();
    bencher.bench_local(|| counter.inc());
}

#[divan::bench]
fn prometheus_with_label_values_inc(bencher: Bencher<'_, '_>) {
    let opts = prometheus::Opts::new("bench_enumerated_total", "Counter with two labels.");
    let family = prometheus::IntCounterVec::new(opts, &["phase", "status"]).unwrap();
    family.with_label_values(&["train", "ok"]).inc(); // the series exists, as ours do
    bencher.bench_local(|| {
        family
            .with_label_values(&[black_box("train"), black_box("ok")])
            .inc();
    });
}

/// The label set of the `prometheus-client` family.
#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct Labels {
    phase: String,
    status: String,
}

#[divan::bench]
fn prometheus_client_get_or_create_inc(bencher: Bencher<'_, '_>) {
    use prometheus_client::metrics::{counter::Counter, family::Family};
    let family = Family::<Labels, Counter>::default();
    let labels = Labels {
        phase: "train".to_owned(),
        status: "ok".to_owned(),
    };
    family.get_or_create(&labels).inc(); // the series exists, as ours do
    bencher.bench_local(|| {
        family.get_or_create(black_box(&labels)).inc();
    });
}
