//! Performance budgets: geno-metrics next to the other Rust Prometheus clients, each peer
//! given the same workload, all in one run. `BENCHMARKS.md` records the results and budgets.
//!
//! Peers: `prometheus` 0.14 (the tikv crate), `prometheus-client` 0.26, and the `metrics`
//! facade 0.24 recording into `metrics-exporter-prometheus` 0.18 (its recorder, built with
//! `PrometheusBuilder::build_recorder()`, without the HTTP listener). Groups, one divan module
//! each:
//!
//! - `counter_inc_1_thread`: one increment by one thread, per client, next to a bare
//!   `AtomicU64::fetch_add(1, Relaxed)` (the floor);
//! - `counter_inc_2_threads`: the same with two threads hammering one shared counter
//!   (`threads = [2]`: each figure is the time of one increment as one of the two threads
//!   sees it), plus geno's `ShardedCounter`;
//! - `histogram_observe_1_thread` / `histogram_observe_2_threads`: one observation into a
//!   histogram with the 11 Prometheus default buckets, the value cycling (per thread) through
//!   8 black-boxed values that land in 8 different buckets, `+Inf` included; `cycle_only`
//!   times the cycling alone;
//! - `labelled_histogram_observe_1_thread` / `_2_threads`: the same observation into one
//!   series of a histogram labelled `phase` x `status`, picking the series on every call as a
//!   user does: geno's `with(Phase::Train, Status::Ok)`, `prometheus-client`'s
//!   `Family::get_or_create(&labels)` with a prebuilt label set of two `String`s, and
//!   `prometheus`' `HistogramVec::with_label_values(&["train", "ok"])`; label values
//!   black-boxed, the series created before timing;
//! - `encode_1000_counters`: the text exposition of 1,000 unlabelled counters with the same
//!   names, help text and values in each client (geno's registry is `perf_1000.toml`, written
//!   by `gen_perf_1000.py`), into a reused buffer where the client allows it; and geno's
//!   same 1,000 counters with two constant labels on every series
//!   (`perf_1000_const.toml`: `rank="3"`, `run="r-2026-11-29"`);
//! - `export_split`: the steps of `Registry::export_prometheus_textfile`, timed one by one
//!   (encode, create + write the temporary file, fsync it, rename it over the target, fsync
//!   the directory) and then whole, for the 1,000-counter registry and the GenoLeWM one.
//!
//! Before the benches, `main` prints the in-memory size of each handle type and of one series
//! of each labelled family kind (a size, not a time, so not a divan bench), then each client's
//! exposition size and first family for the 1,000 counters (so the outputs can be compared),
//! the scrape latencies of `scrape_genolewm`, and recording throughput under exposition: 8
//! threads recording into the GenoLeWM registry (a counter, a labelled histogram series, a
//! gauge) with no exposition, with a full HTTP scrape every 10 ms, and with a textfile export
//! every 10 ms, in operations per CPU second of the recorders (see `recording_throughput`).
//! Lines starting `figure:` are what `cargo xtask bench` reads.
//!
//! Run with `cargo bench -p geno-metrics-tests --bench perf`.

// Bench set-up: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::mem::size_of;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Once, OnceLock};

use divan::{Bencher, black_box};
use geno_metrics::{Counter, Gauge, Histogram, Labelled, Registry};

/// The hot-path handles, generated from `benches/perf.toml`.
mod perf {
    geno_metrics::registry!("benches/perf.toml");
}

/// 1,000 unlabelled counters, generated from `benches/perf_1000.toml`.
mod perf_1000 {
    geno_metrics::registry!("benches/perf_1000.toml");
}

/// The same 1,000 counters with two constant labels (`rank`, `run`), from
/// `benches/perf_1000_const.toml`.
mod perf_1000_const {
    geno_metrics::registry!("benches/perf_1000_const.toml");
}

/// How many counters the encode and export rows expose.
const COUNTERS: usize = 1000;

/// The Prometheus default buckets: what every client's histogram uses here.
const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Observed in turn: 8 values, each in a different default bucket (the last in `+Inf`).
const OBSERVED: [f64; 8] = [0.003, 0.02, 0.07, 0.3, 0.8, 3.0, 7.0, 20.0];

/// Iterations per sample of a one-thread hot-path row. Fixed, not tuned by divan: on a noisy
/// machine one slow first sample can make divan's tuning settle on 1 iteration per sample,
/// far below what its 20 ns timer resolves.
const ONE_THREAD_SAMPLE: u32 = 1 << 14;

/// Iterations per sample, per thread, of a two-thread row. divan starts both threads of a
/// sample at a barrier, which the second thread leaves some 10 to 20 us after the first: with
/// divan's tuned samples (about 2 us) the two never overlap and the row times no contention
/// at all. 2^17 iterations (0.2 ms uncontended, 1 ms or more contended) make the overlap
/// nearly whole.
const TWO_THREAD_SAMPLE: u32 = 1 << 17;

fn main() {
    print_memory();
    print_outputs_1000();
    print_scrape_latencies();
    print_recording_under_exposition();
    print_interleaved();
    divan::main();
    if let Some(dir) = BENCH_DIR.get() {
        let _ = fs::remove_dir_all(dir);
    }
}

// ---------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------

/// The size of one labelled family and of one of its `S` series.
fn labelled_size<M, const S: usize, const F: usize>(family: &Labelled<M, S, F>) -> (usize, usize) {
    let _ = family;
    (size_of::<Labelled<M, S, F>>(), S)
}

fn print_memory() {
    println!("memory: in-memory size of each handle type (size_of; heap not counted)");
    let row = |what: &str, bytes: usize| println!("  {what:<70} {bytes:>6} B");
    row("Counter", size_of::<Counter>());
    row("Gauge", size_of::<Gauge>());
    row(
        "Histogram<11> (default buckets)",
        size_of::<Histogram<11>>(),
    );
    println!(
        "figure: memory.histogram_11_bytes = {}",
        size_of::<Histogram<11>>()
    );
    // SHARDED ROW (memory)
    row("ShardedCounter", size_of::<geno_metrics::ShardedCounter>());
    row(
        "ShardedHistogram<11> (default buckets)",
        size_of::<geno_metrics::ShardedHistogram<11>>(),
    );
    let families: [(&str, (usize, usize)); 4] = [
        (
            "Labelled<Counter, 4> (2 x 2 enumerated)",
            labelled_size(&perf::LABELLED_TOTAL),
        ),
        (
            "Labelled<Gauge, 4> (2 x 2 enumerated)",
            labelled_size(&perf::LABELLED_LEVEL),
        ),
        (
            "Labelled<Histogram<11>, 4> (2 x 2 enumerated)",
            labelled_size(&perf::LABELLED_SECONDS),
        ),
        (
            "Labelled<Counter, 34, 1> (16 free-form + overflow, x 2)",
            labelled_size(&perf::FREE_FORM_TOTAL),
        ),
    ];
    for (what, (bytes, series)) in families {
        row(&format!("{what}: whole family"), bytes);
        row(&format!("{what}: per series"), bytes / series);
    }
    println!();
}

// ---------------------------------------------------------------------------------------
// Shared set-up
// ---------------------------------------------------------------------------------------

/// A `metrics` recorder of `metrics-exporter-prometheus`, its histograms on the default
/// buckets, and the handles `register` asks it for (registered through the `metrics` macros).
fn metrics_recorder<T>(
    register: impl FnOnce() -> T,
) -> (metrics_exporter_prometheus::PrometheusHandle, T) {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&DEFAULT_BUCKETS)
        .unwrap()
        .build_recorder();
    let handles = metrics::with_local_recorder(&recorder, register);
    (recorder.handle(), handles)
}

thread_local! {
    /// This thread's position in [`OBSERVED`].
    static NEXT: Cell<usize> = const { Cell::new(0) };
}

/// The next value to observe on this thread, black-boxed so no client sees a constant.
#[inline(always)]
fn next_value() -> f64 {
    NEXT.with(|next| {
        let i = next.get();
        next.set(i.wrapping_add(1));
        black_box(OBSERVED[i % OBSERVED.len()])
    })
}

/// The name and help text of counter number `i` of the 1,000, as every client exposes it.
fn counter_name(i: usize) -> (String, String) {
    (
        format!("bench_c{i:04}_total"),
        format!("Counter number {i}."),
    )
}

/// The value counter number `i` of the 1,000 holds in every client.
fn counter_value(i: usize) -> u64 {
    i as u64 + 1
}

/// Sets geno's 1,000 counters to their values (once per process).
fn fill_geno_1000() -> &'static Registry {
    static FILLED: Once = Once::new();
    FILLED.call_once(|| fill(&perf_1000::METRICS));
    &perf_1000::METRICS
}

/// The same with two constant labels.
fn fill_geno_1000_const() -> &'static Registry {
    static FILLED: Once = Once::new();
    FILLED.call_once(|| fill(&perf_1000_const::METRICS));
    &perf_1000_const::METRICS
}

/// Sets the 1,000 counters of `registry` to their values.
fn fill(registry: &Registry) {
    assert_eq!(registry.len(), COUNTERS);
    for i in 0..COUNTERS {
        let (name, _) = counter_name(i);
        registry
            .get_counter(&name)
            .unwrap()
            .inc_by(counter_value(i));
    }
}

// ---------------------------------------------------------------------------------------
// 1. counter_inc, one thread
// ---------------------------------------------------------------------------------------

/// One counter increment by one thread, per client.
mod counter_inc_1_thread {
    use super::*;

    /// The floor: what every counter increment below ends in.
    static ATOMIC: AtomicU64 = AtomicU64::new(0);

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn atomic_fetch_add(bencher: Bencher<'_, '_>) {
        bencher.bench_local(|| {
            ATOMIC.fetch_add(1, Ordering::Relaxed);
        });
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn geno_counter(bencher: Bencher<'_, '_>) {
        bencher.bench_local(|| perf::OPS_TOTAL.inc());
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn prometheus_int_counter(bencher: Bencher<'_, '_>) {
        let counter = prometheus::IntCounter::new("bench_ops_total", "Counter.").unwrap();
        bencher.bench_local(|| counter.inc());
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn prometheus_client_counter(bencher: Bencher<'_, '_>) {
        let counter = prometheus_client::metrics::counter::Counter::<u64>::default();
        bencher.bench_local(|| counter.inc());
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn metrics_counter(bencher: Bencher<'_, '_>) {
        let (_handle, counter) = metrics_recorder(|| metrics::counter!("bench_ops_total"));
        bencher.bench_local(|| counter.increment(1));
    }
}

// ---------------------------------------------------------------------------------------
// 2. counter_inc, two threads on one counter
// ---------------------------------------------------------------------------------------

/// One counter increment while two threads increment the same counter.
mod counter_inc_2_threads {
    use super::*;

    /// The floor under contention: one shared atomic.
    static ATOMIC: AtomicU64 = AtomicU64::new(0);

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn atomic_fetch_add(bencher: Bencher<'_, '_>) {
        bencher.bench(|| {
            ATOMIC.fetch_add(1, Ordering::Relaxed);
        });
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn geno_counter(bencher: Bencher<'_, '_>) {
        bencher.bench(|| perf::CONTENDED_OPS_TOTAL.inc());
    }

    // SHARDED ROW: geno's `ShardedCounter` (`sharded = true` in perf.toml).
    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn geno_sharded_counter(bencher: Bencher<'_, '_>) {
        bencher.bench(|| perf::SHARDED_OPS_TOTAL.inc());
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn prometheus_int_counter(bencher: Bencher<'_, '_>) {
        let counter = prometheus::IntCounter::new("bench_contended_ops_total", "Counter.").unwrap();
        bencher.bench(|| counter.inc());
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn prometheus_client_counter(bencher: Bencher<'_, '_>) {
        let counter = prometheus_client::metrics::counter::Counter::<u64>::default();
        bencher.bench(|| counter.inc());
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn metrics_counter(bencher: Bencher<'_, '_>) {
        let (_handle, counter) =
            metrics_recorder(|| metrics::counter!("bench_contended_ops_total"));
        bencher.bench(|| counter.increment(1));
    }
}

// ---------------------------------------------------------------------------------------
// 3. histogram_observe, one and two threads
// ---------------------------------------------------------------------------------------

/// Runs the `metrics` recorder's upkeep once every [`TWO_THREAD_SAMPLE`] calls on a thread.
///
/// `metrics-exporter-prometheus` keeps every observation (value and timestamp) until a
/// render or an upkeep folds them into the buckets; its exporter runs upkeep every 5 s. Called
/// from divan's input generator, which runs outside the timed section (the input is `()`, so
/// the timed loop is the same as `bench`'s), it keeps the bench's memory bounded.
fn upkeep_now_and_then(handle: &metrics_exporter_prometheus::PrometheusHandle) {
    thread_local! {
        static CALLS: Cell<u32> = const { Cell::new(0) };
    }
    CALLS.with(|calls| {
        let n = calls.get().wrapping_add(1);
        calls.set(n);
        if n % TWO_THREAD_SAMPLE == 0 {
            handle.run_upkeep();
        }
    });
}

/// A `prometheus` histogram on the default buckets.
fn prometheus_histogram(name: &str) -> prometheus::Histogram {
    let opts = prometheus::HistogramOpts::new(name, "Histogram.").buckets(DEFAULT_BUCKETS.into());
    prometheus::Histogram::with_opts(opts).unwrap()
}

/// A `prometheus-client` histogram on the default buckets.
fn prometheus_client_histogram() -> prometheus_client::metrics::histogram::Histogram {
    prometheus_client::metrics::histogram::Histogram::new(DEFAULT_BUCKETS)
}

/// One observation by one thread, per client.
mod histogram_observe_1_thread {
    use super::*;

    /// The floor: picking the next value alone, which every row below also does.
    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn cycle_only(bencher: Bencher<'_, '_>) {
        bencher.bench_local(next_value);
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn geno_histogram(bencher: Bencher<'_, '_>) {
        bencher.bench_local(|| perf::OBSERVE_SECONDS.observe(next_value()));
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn geno_sharded_histogram(bencher: Bencher<'_, '_>) {
        bencher.bench_local(|| perf::SHARDED_OBSERVE_SECONDS.observe(next_value()));
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn prometheus_histogram(bencher: Bencher<'_, '_>) {
        let histogram = super::prometheus_histogram("bench_observe_seconds");
        bencher.bench_local(|| histogram.observe(next_value()));
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn prometheus_client_histogram(bencher: Bencher<'_, '_>) {
        let histogram = super::prometheus_client_histogram();
        bencher.bench_local(|| histogram.observe(next_value()));
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn metrics_histogram(bencher: Bencher<'_, '_>) {
        let (handle, histogram) = metrics_recorder(|| metrics::histogram!("bench_observe_seconds"));
        histogram.record(0.0); // warm-up: the first record calibrates `quanta`'s clock
        bencher
            .with_inputs(|| upkeep_now_and_then(&handle))
            .bench_local_values(|()| histogram.record(next_value()));
    }
}

/// One observation while two threads observe into the same histogram.
mod histogram_observe_2_threads {
    use super::*;

    /// The floor: picking the next value alone, which every row below also does.
    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn cycle_only(bencher: Bencher<'_, '_>) {
        bencher.bench(next_value);
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn geno_histogram(bencher: Bencher<'_, '_>) {
        bencher.bench(|| perf::CONTENDED_OBSERVE_SECONDS.observe(next_value()));
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn geno_sharded_histogram(bencher: Bencher<'_, '_>) {
        bencher.bench(|| perf::SHARDED_CONTENDED_OBSERVE_SECONDS.observe(next_value()));
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn prometheus_histogram(bencher: Bencher<'_, '_>) {
        let histogram = super::prometheus_histogram("bench_contended_observe_seconds");
        bencher.bench(|| histogram.observe(next_value()));
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn prometheus_client_histogram(bencher: Bencher<'_, '_>) {
        let histogram = super::prometheus_client_histogram();
        bencher.bench(|| histogram.observe(next_value()));
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn metrics_histogram(bencher: Bencher<'_, '_>) {
        let (handle, histogram) =
            metrics_recorder(|| metrics::histogram!("bench_contended_observe_seconds"));
        histogram.record(0.0); // warm-up: the first record calibrates `quanta`'s clock
        bencher
            .with_inputs(|| upkeep_now_and_then(&handle))
            .bench_values(|()| histogram.record(next_value()));
    }
}

/// The label set of the `prometheus-client` labelled histograms.
#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct PhaseStatus {
    phase: String,
    status: String,
}

/// A `prometheus-client` family of histograms on the default buckets.
type PrometheusClientHistograms = prometheus_client::metrics::family::Family<
    PhaseStatus,
    prometheus_client::metrics::histogram::Histogram,
    fn() -> prometheus_client::metrics::histogram::Histogram,
>;

/// A `prometheus-client` labelled histogram with its `(train, ok)` series made, and that
/// series' label set.
fn prometheus_client_labelled() -> (PrometheusClientHistograms, PhaseStatus) {
    let family = PrometheusClientHistograms::new_with_constructor(prometheus_client_histogram);
    let labels = PhaseStatus {
        phase: "train".to_owned(),
        status: "ok".to_owned(),
    };
    family.get_or_create(&labels).observe(0.0);
    (family, labels)
}

/// A `prometheus` labelled histogram on the default buckets with its `(train, ok)` series made.
fn prometheus_labelled(name: &str) -> prometheus::HistogramVec {
    let opts = prometheus::HistogramOpts::new(name, "Histogram.").buckets(DEFAULT_BUCKETS.into());
    let family = prometheus::HistogramVec::new(opts, &["phase", "status"]).unwrap();
    family.with_label_values(&["train", "ok"]).observe(0.0);
    family
}

/// One observation into one series of a labelled histogram by one thread, the series
/// picked by its label values on every call.
mod labelled_histogram_observe_1_thread {
    use super::*;
    use perf::{Phase, Status};

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn geno_with_observe(bencher: Bencher<'_, '_>) {
        bencher.bench_local(|| {
            perf::LABELLED_SECONDS
                .with(black_box(Phase::Train), black_box(Status::Ok))
                .observe(next_value());
        });
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn prometheus_client_get_or_create_observe(bencher: Bencher<'_, '_>) {
        let (family, labels) = prometheus_client_labelled();
        bencher.bench_local(|| {
            family
                .get_or_create(black_box(&labels))
                .observe(next_value())
        });
    }

    #[divan::bench(sample_size = ONE_THREAD_SAMPLE)]
    fn prometheus_with_label_values_observe(bencher: Bencher<'_, '_>) {
        let family = prometheus_labelled("bench_labelled_seconds");
        bencher.bench_local(|| {
            family
                .with_label_values(&[black_box("train"), black_box("ok")])
                .observe(next_value());
        });
    }
}

/// The same while two threads observe into the same series.
mod labelled_histogram_observe_2_threads {
    use super::*;
    use perf::{Phase, Status};

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn geno_with_observe(bencher: Bencher<'_, '_>) {
        bencher.bench(|| {
            perf::LABELLED_CONTENDED_SECONDS
                .with(black_box(Phase::Train), black_box(Status::Ok))
                .observe(next_value());
        });
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn prometheus_client_get_or_create_observe(bencher: Bencher<'_, '_>) {
        let (family, labels) = prometheus_client_labelled();
        bencher.bench(|| {
            family
                .get_or_create(black_box(&labels))
                .observe(next_value())
        });
    }

    #[divan::bench(threads = [2], sample_size = TWO_THREAD_SAMPLE)]
    fn prometheus_with_label_values_observe(bencher: Bencher<'_, '_>) {
        let family = prometheus_labelled("bench_labelled_contended_seconds");
        bencher.bench(|| {
            family
                .with_label_values(&[black_box("train"), black_box("ok")])
                .observe(next_value());
        });
    }
}

// ---------------------------------------------------------------------------------------
// 4. encode_1000_counters
// ---------------------------------------------------------------------------------------

/// `prometheus-client`'s 1,000 counters.
fn prometheus_client_1000() -> prometheus_client::registry::Registry {
    let mut registry = prometheus_client::registry::Registry::default();
    for i in 0..COUNTERS {
        let (name, help) = counter_name(i);
        let counter = prometheus_client::metrics::counter::Counter::<u64>::default();
        counter.inc_by(counter_value(i));
        // The client appends `_total` to the name and a `.` to the help text itself.
        registry.register(
            name.trim_end_matches("_total"),
            help.trim_end_matches('.'),
            counter,
        );
    }
    registry
}

/// `prometheus`'s 1,000 counters.
fn prometheus_1000() -> prometheus::Registry {
    let registry = prometheus::Registry::new();
    for i in 0..COUNTERS {
        let (name, help) = counter_name(i);
        let counter = prometheus::IntCounter::new(name, help).unwrap();
        counter.inc_by(counter_value(i));
        registry.register(Box::new(counter)).unwrap();
    }
    registry
}

/// The recorder's 1,000 counters, registered and described through the `metrics` macros.
fn metrics_1000() -> metrics_exporter_prometheus::PrometheusHandle {
    let (handle, counters) = metrics_recorder(|| {
        (0..COUNTERS)
            .map(|i| {
                let (name, help) = counter_name(i);
                metrics::describe_counter!(name.clone(), help);
                metrics::counter!(name)
            })
            .collect::<Vec<_>>()
    });
    for (i, counter) in counters.iter().enumerate() {
        counter.increment(counter_value(i));
    }
    handle
}

/// The size of each client's exposition of the 1,000 counters, and its first family.
fn print_outputs_1000() {
    use prometheus::Encoder;
    println!("encode_1000_counters: bytes of one exposition, then its first family");
    let mut geno = Vec::new();
    fill_geno_1000().encode_text(&mut geno).unwrap();
    let mut client = String::new();
    prometheus_client::encoding::text::encode(&mut client, &prometheus_client_1000()).unwrap();
    let mut prometheus = Vec::new();
    prometheus::TextEncoder::new()
        .encode(&prometheus_1000().gather(), &mut prometheus)
        .unwrap();
    let metrics = metrics_1000().render();
    let mut geno_const = Vec::new();
    fill_geno_1000_const().encode_text(&mut geno_const).unwrap();
    for (who, text) in [
        ("geno", String::from_utf8(geno).unwrap()),
        (
            "geno, 2 constant labels",
            String::from_utf8(geno_const).unwrap(),
        ),
        ("prometheus-client", client),
        ("prometheus", String::from_utf8(prometheus).unwrap()),
        ("metrics-exporter-prometheus", metrics),
    ] {
        let first: Vec<&str> = text.lines().take(3).collect();
        println!("  {who:<28} {:>6} B  {first:?}", text.len());
    }
    println!();
}

/// The text exposition of 1,000 counters, per client, each time in full.
mod encode_1000_counters {
    use super::*;

    /// `Registry::encode_text` into one `Vec`, cleared each time.
    #[divan::bench]
    fn geno_encode_text(bencher: Bencher<'_, '_>) {
        encode(bencher, fill_geno_1000());
    }

    /// `Registry::encode_openmetrics` into one `Vec`, cleared each time: the same format as
    /// prometheus-client's encoder below.
    #[divan::bench]
    fn geno_encode_openmetrics(bencher: Bencher<'_, '_>) {
        let registry = fill_geno_1000();
        let mut buffer = Vec::new();
        bencher.bench_local(|| {
            buffer.clear();
            registry.encode_openmetrics(&mut buffer).unwrap();
            black_box(&buffer);
        });
    }

    /// The same counters with two constant labels on every series
    /// (`{rank="3",run="r-2026-11-29"}`): the labels are escaped once, at the first
    /// exposition, and copied after that.
    #[divan::bench]
    fn geno_encode_text_2_const_labels(bencher: Bencher<'_, '_>) {
        encode(bencher, fill_geno_1000_const());
    }

    fn encode(bencher: Bencher<'_, '_>, registry: &'static Registry) {
        let mut buffer = Vec::new();
        bencher.bench_local(|| {
            buffer.clear();
            registry.encode_text(&mut buffer).unwrap();
            black_box(&buffer);
        });
    }

    /// `prometheus_client::encoding::text::encode` into one `String`, cleared each time.
    /// It writes OpenMetrics text: `# HELP bench_c0000 ...` (the `_total` suffix only on the
    /// sample) and a final `# EOF`.
    #[divan::bench]
    fn prometheus_client_encode(bencher: Bencher<'_, '_>) {
        let registry = prometheus_client_1000();
        let mut buffer = String::new();
        bencher.bench_local(|| {
            buffer.clear();
            prometheus_client::encoding::text::encode(&mut buffer, &registry).unwrap();
            black_box(&buffer);
        });
    }

    /// `Registry::gather()` then `TextEncoder::encode` into one `Vec`, cleared each time: a
    /// scrape gathers every time.
    #[divan::bench]
    fn prometheus_gather_encode(bencher: Bencher<'_, '_>) {
        use prometheus::Encoder;
        let registry = prometheus_1000();
        let encoder = prometheus::TextEncoder::new();
        let mut buffer = Vec::new();
        bencher.bench_local(|| {
            buffer.clear();
            encoder.encode(&registry.gather(), &mut buffer).unwrap();
            black_box(&buffer);
        });
    }

    /// `PrometheusHandle::render()`, which returns a new `String` each time.
    #[divan::bench]
    fn metrics_exporter_render(bencher: Bencher<'_, '_>) {
        let handle = metrics_1000();
        bencher.bench_local(|| handle.render());
    }

    /// `PrometheusHandle::render_to_write` into one `Vec`, cleared each time: the same
    /// workload as the other rows.
    #[divan::bench]
    fn metrics_exporter_render_to_write(bencher: Bencher<'_, '_>) {
        let handle = metrics_1000();
        let mut buffer = Vec::new();
        bencher.bench_local(|| {
            buffer.clear();
            handle.render_to_write(&mut buffer).unwrap();
            black_box(&buffer);
        });
    }
}

// ---------------------------------------------------------------------------------------
// 5. export_split
// ---------------------------------------------------------------------------------------

/// The directory every export row writes in: created on first use, removed by `main`.
static BENCH_DIR: OnceLock<PathBuf> = OnceLock::new();

fn bench_dir() -> &'static Path {
    BENCH_DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("geno-metrics-perf-{}", std::process::id()));
        fs::create_dir(&dir).unwrap();
        dir
    })
}

/// A fresh temporary-file path in [`bench_dir`], named as the library names its own.
fn temp_path() -> PathBuf {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    bench_dir().join(format!(".metrics.prom.{}.{n}.tmp", std::process::id()))
}

/// Creates `path` exclusively with mode 0644 and writes `contents`, as the library does.
fn create_and_write(path: &Path, contents: &[u8]) -> File {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    let mut file = options.open(path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o644))
            .unwrap();
    }
    file.write_all(contents).unwrap();
    file
}

/// A temporary file a row made; closed and removed when dropped, after its sample is timed.
struct TempFile {
    _file: Option<File>,
    path: PathBuf,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Which registry an export row writes.
#[derive(Clone, Copy, Debug)]
enum Exported {
    /// The 1,000 counters of `perf_1000.toml`.
    Counters1000,
    /// The GenoLeWM registry of the workspace's `metrics.toml`.
    GenoLewm,
}

impl Exported {
    const ALL: [Self; 2] = [Self::Counters1000, Self::GenoLewm];

    fn registry(self) -> &'static Registry {
        match self {
            Self::Counters1000 => fill_geno_1000(),
            Self::GenoLewm => &geno_metrics_tests::genolewm::METRICS,
        }
    }

    /// The exposition, encoded once.
    fn contents(self) -> Vec<u8> {
        let mut contents = Vec::new();
        self.registry().encode_text(&mut contents).unwrap();
        contents
    }

    /// The export target of this registry's rows.
    fn target(self) -> PathBuf {
        bench_dir().join(format!("{self:?}.prom"))
    }
}

/// The steps of `export_prometheus_textfile`, one row each, then the whole export.
/// Filesystem rows time one operation per sample (`sample_size = 1`) so each fsync finds
/// only its own file's writes pending.
mod export_split {
    use super::*;

    /// 1. Encoding the exposition into a `Vec`, cleared each time.
    #[divan::bench(args = Exported::ALL)]
    fn encode(bencher: Bencher<'_, '_>, exported: Exported) {
        let registry = exported.registry();
        let mut buffer = Vec::with_capacity(4096);
        bencher.bench_local(|| {
            buffer.clear();
            registry.encode_text(&mut buffer).unwrap();
            black_box(&buffer);
        });
    }

    /// 2. Creating a fresh temporary file exclusively (mode 0644) and writing the bytes.
    #[divan::bench(args = Exported::ALL, sample_size = 1)]
    fn write_temp(bencher: Bencher<'_, '_>, exported: Exported) {
        let contents = exported.contents();
        bencher
            .with_inputs(temp_path)
            .bench_local_values(|path| TempFile {
                _file: Some(create_and_write(&path, &contents)),
                path,
            });
    }

    /// 3. `sync_all` on a freshly written temporary file.
    #[divan::bench(args = Exported::ALL, sample_size = 1)]
    fn sync_temp(bencher: Bencher<'_, '_>, exported: Exported) {
        let contents = exported.contents();
        bencher
            .with_inputs(|| {
                let path = temp_path();
                let file = create_and_write(&path, &contents);
                (file, path)
            })
            .bench_local_values(|(file, path)| {
                file.sync_all().unwrap();
                TempFile {
                    _file: Some(file),
                    path,
                }
            });
    }

    /// 4. `rename` of a written, fsynced and closed temporary file over the target.
    #[divan::bench(args = Exported::ALL, sample_size = 1)]
    fn rename(bencher: Bencher<'_, '_>, exported: Exported) {
        let contents = exported.contents();
        let target = exported.target();
        bencher
            .with_inputs(|| {
                let path = temp_path();
                create_and_write(&path, &contents).sync_all().unwrap();
                path
            })
            .bench_local_values(|path| fs::rename(&path, &target).unwrap());
    }

    /// 5. Fsyncing the directory (open + `sync_all`) right after such a rename.
    #[divan::bench(args = Exported::ALL, sample_size = 1)]
    fn sync_dir(bencher: Bencher<'_, '_>, exported: Exported) {
        let contents = exported.contents();
        let target = exported.target();
        let dir = bench_dir();
        bencher
            .with_inputs(|| {
                let path = temp_path();
                create_and_write(&path, &contents).sync_all().unwrap();
                fs::rename(&path, &target).unwrap();
            })
            .bench_local_values(|()| File::open(dir).unwrap().sync_all().unwrap());
    }

    /// 6. The clean-up after a successful export (none to remove here).
    ///
    /// One pass over the directory's names, as the export makes before taking its own.
    #[divan::bench]
    fn scan_dir(bencher: Bencher<'_, '_>) {
        let dir = bench_dir();
        bencher.bench_local(|| {
            fs::read_dir(dir)
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().as_encoded_bytes().starts_with(b"."))
                .count()
        });
    }

    /// All of it: `export_prometheus_textfile(Some(path))`.
    #[divan::bench(args = Exported::ALL, sample_size = 1)]
    fn whole_export(bencher: Bencher<'_, '_>, exported: Exported) {
        let registry = exported.registry();
        let target = exported.target();
        bencher.bench_local(|| registry.export_prometheus_textfile(Some(&target)).unwrap());
    }
}

// ---------------------------------------------------------------------------------------
// A full scrape over loopback
// ---------------------------------------------------------------------------------------

/// The GenoLeWM registry after one run of the example job: every metric has values.
fn genolewm_recorded() -> &'static Registry {
    static RECORDED: Once = Once::new();
    RECORDED.call_once(|| {
        let dir = bench_dir().join("genolewm-job");
        let options = geno_metrics_tests::training_job::Options {
            steps: 300,
            threads: 2,
            interval: std::time::Duration::from_secs(60),
            path: Some(dir.join("metrics.prom")),
            checkpoint_every: 100,
            checkpoint_dir: dir.join("checkpoints"),
        };
        geno_metrics_tests::training_job::run(&options).unwrap();
    });
    &geno_metrics_tests::genolewm::METRICS
}

/// `serve_http` over the GenoLeWM registry, started once.
fn geno_server() -> std::net::SocketAddr {
    static SERVER: OnceLock<geno_metrics::HttpServer> = OnceLock::new();
    SERVER
        .get_or_init(|| genolewm_recorded().serve_http("127.0.0.1:0").unwrap())
        .local_addr()
}

/// metrics-exporter-prometheus' HTTP listener serving the same series, values and help as
/// the GenoLeWM registry (histograms on the same buckets), on a tokio runtime of its own.
fn metrics_exporter_server() -> std::net::SocketAddr {
    static ADDR: OnceLock<std::net::SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let snapshot = genolewm_recorded().snapshot_all();
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap();
        let mut builder =
            metrics_exporter_prometheus::PrometheusBuilder::new().with_http_listener(addr);
        for spec in genolewm_recorded().specs() {
            if !spec.buckets.is_empty() {
                builder = builder
                    .set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Full(spec.name.to_owned()),
                        spec.buckets,
                    )
                    .unwrap();
            }
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let (recorder, exporter) = builder.build().unwrap();
                sender.send(recorder).unwrap();
                let _ = exporter.await;
            });
        });
        let recorder: &'static metrics_exporter_prometheus::PrometheusRecorder =
            Box::leak(Box::new(receiver.recv().unwrap()));
        metrics::with_local_recorder(recorder, || replay(genolewm_recorded(), &snapshot));
        addr
    })
}

/// Records `snapshot` into the current `metrics` recorder: counters as absolute values,
/// gauges set, each histogram's bucket counts as observations at the buckets' bounds.
fn replay(registry: &Registry, snapshot: &geno_metrics::Snapshot) {
    use geno_metrics::MetricValue;
    for spec in registry.specs() {
        let name = spec.name;
        match spec.kind {
            geno_metrics::MetricKind::Counter => metrics::describe_counter!(name, spec.summary),
            geno_metrics::MetricKind::Gauge => metrics::describe_gauge!(name, spec.summary),
            geno_metrics::MetricKind::Histogram => metrics::describe_histogram!(name, spec.summary),
            // The `metrics` crate has no info type: a gauge of 1, as 0.0.4 writes it.
            geno_metrics::MetricKind::Info => metrics::describe_gauge!(name, spec.summary),
        }
    }
    for series in &snapshot.metrics {
        let labels: Vec<metrics::Label> = series
            .labels
            .iter()
            .map(|(k, v)| metrics::Label::new(k.to_string(), v.to_string()))
            .collect();
        let name = series.name.to_string();
        match &series.value {
            MetricValue::Counter(n) => metrics::counter!(name, labels).absolute(*n),
            MetricValue::Gauge(v) => metrics::gauge!(name, labels).set(*v),
            MetricValue::Info => metrics::gauge!(name, labels).set(1.0),
            MetricValue::FloatCounter(v) => metrics::counter!(name, labels).absolute(*v as u64),
            MetricValue::Histogram(h) => {
                let histogram = metrics::histogram!(name, labels);
                let mut before = 0;
                let largest = h
                    .buckets
                    .iter()
                    .copied()
                    .filter(|b| b.is_finite())
                    .fold(1.0, f64::max);
                for (bound, &count) in h.buckets.iter().zip(&h.counts) {
                    let at = if bound.is_finite() {
                        *bound
                    } else {
                        largest * 2.0
                    };
                    for _ in before..count {
                        histogram.record(at);
                    }
                    before = count;
                }
            }
        }
    }
}

/// One scrape as a scraper without keep-alive makes it: connect, `GET /metrics`, read the
/// whole answer. Returns the bytes read.
fn scrape(addr: std::net::SocketAddr) -> usize {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::with_capacity(64 * 1024);
    stream.read_to_end(&mut answer).unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    answer.len()
}

/// `serve_http` over the bench registry (`perf.toml`: a few histograms and counters, 13 kB an
/// answer, no process collector and no sync hook), started once: what the server costs a
/// scrape with an answer of the same size and less to read.
fn small_geno_server() -> std::net::SocketAddr {
    static SERVER: OnceLock<geno_metrics::HttpServer> = OnceLock::new();
    SERVER
        .get_or_init(|| perf::METRICS.serve_http("127.0.0.1:0").unwrap())
        .local_addr()
}

/// A blocking std server on a thread of its own that answers every connection with the same
/// bytes, `body_len` of body, and closes it: the least a scrape over a fresh loopback TCP
/// connection costs on this machine, with no HTTP library and no encode.
fn constant_server(body_len: usize) -> std::net::SocketAddr {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {body_len}\r\n\r\n"
    )
    .into_bytes();
    answer.resize(answer.len() + body_len, b'#');
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_nodelay(true);
            // Up to the end of the request head (the bench's requests have no body).
            let mut head = Vec::with_capacity(256);
            let mut chunk = [0; 256];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = stream.write_all(&answer);
        }
    });
    addr
}

/// p50 and p99, in microseconds, of `times`.
fn percentiles(times: &mut [f64]) -> [f64; 2] {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    [at(0.5), at(0.99)]
}

/// p50 and p99 of 2,000 scrapes of each server, alternated, and the bytes of one answer:
/// geno's `serve_http` and metrics-exporter-prometheus' listener over the same series, each
/// scrape on a connection of its own (the budget's rows), then two floors, and the same two
/// servers scraped over one kept-alive connection each, as Prometheus scrapes.
fn print_scrape_latencies() {
    let (geno, theirs) = (geno_server(), metrics_exporter_server());
    let body_len = genolewm_recorded()
        .negotiate(None, None)
        .unwrap()
        .body
        .len();
    let rows = [
        ("geno serve_http", geno),
        ("metrics-exporter-prometheus listener", theirs),
        (
            "floor: geno serve_http, bench registry",
            small_geno_server(),
        ),
        (
            "floor: std server, constant answer",
            constant_server(body_len),
        ),
    ];
    for (_, addr) in rows {
        for _ in 0..50 {
            scrape(addr); // warm up: connections, caches, the prepared text
        }
    }
    let mut times: [Vec<f64>; 4] = Default::default();
    let mut bytes = [0; 4];
    for _ in 0..2000 {
        for (i, (_, addr)) in rows.into_iter().enumerate() {
            let started = std::time::Instant::now();
            bytes[i] = scrape(addr);
            times[i].push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    println!("scrape_genolewm: connect, GET /metrics, read the answer; 2,000 scrapes each (us)");
    let mut p = [[0.0; 2]; 4];
    for (i, (who, _)) in rows.iter().enumerate() {
        p[i] = percentiles(&mut times[i]);
        println!(
            "  {who:<40} p50 {:>8.1}  p99 {:>8.1}  {:>6} B",
            p[i][0], p[i][1], bytes[i]
        );
    }
    println!(
        "  geno / metrics-exporter-prometheus: p50 {:.3}x, p99 {:.3}x (budget <= 0.5x); \
         the std floor alone is {:.3}x of the peer's p50",
        p[0][0] / p[1][0],
        p[0][1] / p[1][1],
        p[3][0] / p[1][0],
    );
    println!(
        "figure: scrape_genolewm.p50_ratio = {:.3}",
        p[0][0] / p[1][0]
    );
    println!(
        "figure: scrape_genolewm.p99_ratio = {:.3}",
        p[0][1] / p[1][1]
    );
    println!(
        "figure: scrape_genolewm.floor_p50_ratio = {:.3}",
        p[3][0] / p[1][0]
    );

    // Kept alive: one connection per server for all its scrapes, what Prometheus does.
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let get = |addr: std::net::SocketAddr| {
        let mut response = agent.get(format!("http://{addr}/metrics")).call().unwrap();
        response.body_mut().read_to_vec().unwrap().len()
    };
    let kept = [geno, theirs];
    for addr in kept {
        for _ in 0..50 {
            get(addr);
        }
    }
    let mut times: [Vec<f64>; 2] = Default::default();
    for _ in 0..2000 {
        for (i, addr) in kept.into_iter().enumerate() {
            let started = std::time::Instant::now();
            get(addr);
            times[i].push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    let [geno_kept, theirs_kept] = times.each_mut().map(|t| percentiles(t));
    println!("  kept alive (ureq, one connection each):");
    println!(
        "  {:<40} p50 {:>8.1}  p99 {:>8.1}",
        "geno serve_http", geno_kept[0], geno_kept[1]
    );
    println!(
        "  {:<40} p50 {:>8.1}  p99 {:>8.1}",
        "metrics-exporter-prometheus listener", theirs_kept[0], theirs_kept[1]
    );
    println!(
        "figure: scrape_genolewm.kept_alive_p50_ratio = {:.3}",
        geno_kept[0] / theirs_kept[0]
    );
    println!(
        "figure: scrape_genolewm.kept_alive_p99_ratio = {:.3}",
        geno_kept[1] / theirs_kept[1]
    );
    println!();
}

/// The one-thread rows whose budgets are ratios to a peer, timed interleaved (see
/// `geno_metrics_tests::interleaved_medians`): each round takes one sample of every row in
/// turn, the same work as the divan rows of the same names. Prints the medians per operation
/// and `figure:` lines with the budgets' ratios, which `cargo xtask bench` judges.
fn print_interleaved() {
    use geno_metrics_tests::interleaved_medians;
    use perf::{Phase, Status};
    const ROUNDS: usize = 301;
    let observations = f64::from(ONE_THREAD_SAMPLE);
    let theirs = prometheus_client_histogram();
    let (client_family, client_labels) = prometheus_client_labelled();
    let prometheus_family = prometheus_labelled("bench_interleaved_labelled_seconds");
    let times = interleaved_medians(
        ROUNDS,
        [
            &mut || {
                for _ in 0..ONE_THREAD_SAMPLE {
                    perf::OBSERVE_SECONDS.observe(next_value());
                }
            },
            &mut || {
                for _ in 0..ONE_THREAD_SAMPLE {
                    perf::SHARDED_OBSERVE_SECONDS.observe(next_value());
                }
            },
            &mut || {
                for _ in 0..ONE_THREAD_SAMPLE {
                    theirs.observe(next_value());
                }
            },
            &mut || {
                for _ in 0..ONE_THREAD_SAMPLE {
                    perf::LABELLED_SECONDS
                        .with(black_box(Phase::Train), black_box(Status::Ok))
                        .observe(next_value());
                }
            },
            &mut || {
                for _ in 0..ONE_THREAD_SAMPLE {
                    client_family
                        .get_or_create(black_box(&client_labels))
                        .observe(next_value());
                }
            },
            &mut || {
                for _ in 0..ONE_THREAD_SAMPLE {
                    prometheus_family
                        .with_label_values(&[black_box("train"), black_box("ok")])
                        .observe(next_value());
                }
            },
        ],
    );
    let [
        geno,
        sharded,
        client,
        labelled,
        client_labelled,
        prometheus_labelled,
    ] = times.map(|t| t / observations);
    println!(
        "interleaved: {ROUNDS} rounds, one sample of each row per round; median ns per operation"
    );
    println!(
        "  histogram observe, 1 thread: geno {geno:.2}  geno sharded {sharded:.2}  prometheus-client {client:.2}"
    );
    println!(
        "  labelled histogram observe, 1 thread: geno {labelled:.2}  prometheus-client {client_labelled:.2}  prometheus {prometheus_labelled:.2}"
    );
    let figure = |key: &str, ratio: f64| println!("figure: interleaved.{key} = {ratio:.4}");
    figure("histogram_observe_1_thread.geno_ratio", geno / client);
    figure("histogram_observe_1_thread.sharded_ratio", sharded / client);
    figure(
        "labelled_histogram_observe_1_thread.prometheus_client_ratio",
        labelled / client_labelled,
    );
    figure(
        "labelled_histogram_observe_1_thread.prometheus_ratio",
        labelled / prometheus_labelled,
    );

    let registry = fill_geno_1000();
    let client_registry = prometheus_client_1000();
    let mut client_text = String::new();
    let [geno_text, geno_om, client_encode] =
        geno_metrics_tests::interleaved_encodes(ROUNDS, registry, &mut || {
            client_text.clear();
            prometheus_client::encoding::text::encode(&mut client_text, &client_registry).unwrap();
        });
    println!(
        "  encode 1,000 counters (us): geno text {:.1}  geno OpenMetrics {:.1}  prometheus-client {:.1}",
        geno_text / 1e3,
        geno_om / 1e3,
        client_encode / 1e3
    );
    figure("encode_1000_counters.text_ratio", geno_text / client_encode);
    figure(
        "encode_1000_counters.openmetrics_ratio",
        geno_om / client_encode,
    );
    println!();
}

/// What runs beside the recording threads in `print_recording_under_exposition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exposition {
    None,
    Scrape,
    Export,
}

/// Recording operations per second of CPU time of 8 recording threads over `ROUND`, while
/// `exposition` runs every 10 ms beside them. Per CPU second, not per second of wall clock:
/// on 2 cores the exposing thread takes its share of CPU from the recorders whatever they
/// do, and which recorders share a moment on the two cores swings wall-clock throughput by
/// tens of percent from round to round. What is left is what exposition costs a recorder
/// while it runs: waiting or spinning on a reader, or cache lines a reader takes away.
fn recording_throughput(exposition: Exposition) -> f64 {
    use geno_metrics_tests::genolewm::{
        Phase, TRAIN_LOSS, TRAIN_STEP_DURATION_SECONDS, TRAIN_STEPS_TOTAL,
    };
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};
    const THREADS: usize = 8;
    const ROUND: Duration = Duration::from_millis(1000);
    const EVERY: Duration = Duration::from_millis(10);
    let registry = genolewm_recorded();
    let addr = geno_server();
    let target = bench_dir().join("under-exposition.prom");
    let stop = AtomicBool::new(false);
    let started = std::sync::Barrier::new(THREADS + 1);
    std::thread::scope(|s| {
        let recorders: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    started.wait();
                    let cpu = geno_metrics_tests::thread_cpu_ns();
                    let mut ops = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..64 {
                            TRAIN_STEPS_TOTAL.inc();
                            TRAIN_STEP_DURATION_SECONDS
                                .with(Phase::Train)
                                .observe(next_value());
                            TRAIN_LOSS.set(next_value());
                        }
                        ops += 3 * 64;
                    }
                    (ops, geno_metrics_tests::thread_cpu_ns() - cpu)
                })
            })
            .collect();
        started.wait();
        let begun = Instant::now();
        let mut next = begun + EVERY;
        while begun.elapsed() < ROUND {
            match exposition {
                Exposition::None => {}
                Exposition::Scrape => {
                    scrape(addr);
                }
                Exposition::Export => {
                    registry.export_prometheus_textfile(Some(&target)).unwrap();
                }
            }
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
            next += EVERY;
        }
        stop.store(true, Ordering::Relaxed);
        let (ops, cpu_ns) = recorders
            .into_iter()
            .map(|r| r.join().unwrap())
            .fold((0, 0), |(ops, cpu), (o, c)| (ops + o, cpu + c));
        ops as f64 / (cpu_ns as f64 / 1e9)
    })
}

/// Recording throughput with and without exposition: 7 rounds of each, interleaved; medians.
fn print_recording_under_exposition() {
    let modes = [Exposition::None, Exposition::Scrape, Exposition::Export];
    let mut rounds: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    recording_throughput(Exposition::None); // warm up: threads, caches, the other threads' parts
    for _ in 0..7 {
        for (i, mode) in modes.into_iter().enumerate() {
            rounds[i].push(recording_throughput(mode));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let [none, scrape, export] = rounds.each_mut().map(median);
    println!(
        "recording under exposition: 8 threads, million operations per CPU second, median of 7 rounds of 1 s"
    );
    println!(
        "  none {:.1}  scrape every 10 ms {:.1}  export every 10 ms {:.1}",
        none / 1e6,
        scrape / 1e6,
        export / 1e6
    );
    let drop = |with: f64| (1.0 - with / none) * 100.0;
    println!(
        "figure: recording_under_exposition.scrape_drop = {:.2} %",
        drop(scrape)
    );
    println!(
        "figure: recording_under_exposition.export_drop = {:.2} %",
        drop(export)
    );
    println!();
}

/// A full scrape of the GenoLeWM registry over loopback, per server.
mod scrape_genolewm {
    use super::*;

    /// `Registry::serve_http`.
    #[divan::bench]
    fn geno_serve_http(bencher: Bencher<'_, '_>) {
        let addr = geno_server();
        bencher.bench(|| scrape(addr));
    }

    /// metrics-exporter-prometheus' HTTP listener with the same series.
    #[divan::bench]
    fn metrics_exporter_http_listener(bencher: Bencher<'_, '_>) {
        let addr = metrics_exporter_server();
        bencher.bench(|| scrape(addr));
    }
}

// ---------------------------------------------------------------------------------------
// The process collector
// ---------------------------------------------------------------------------------------

/// What one exposition pays for `collectors = ["process"]`: reading its eight metrics from
/// `/proc`, as an exposition does, against encoding the rest of the GenoLeWM registry.
mod process_collector {
    use super::*;

    /// One `ProcessSample::read()`: what an exposition or snapshot pays for the eight
    /// process metrics (`/proc/self/stat`, the entries of `/proc/self/fd`, two `getrlimit`s).
    #[divan::bench]
    fn read_sample() -> geno_metrics::ProcessSample {
        geno_metrics::ProcessSample::read()
    }

    /// `encode_text` of the whole GenoLeWM registry, the process metrics included.
    #[divan::bench]
    fn encode_genolewm_text(bencher: Bencher<'_, '_>) {
        let registry = genolewm_recorded();
        let mut out = Vec::with_capacity(32 * 1024);
        bencher.bench_local(|| {
            out.clear();
            registry.encode_text(&mut out).unwrap();
        });
    }
}
