//! Scaling: what exposition and memory cost per series from 1,000 to 100,000 series, geno next
//! to the other Rust clients with the same series, all in one run. `BENCHMARKS.md` records the
//! results and budgets.
//!
//! The registries (`benches/scaling/*.toml`, written by `scaling/gen.py`) have N / 1,000
//! labelled metrics of one kind, counters or histograms on the 11 default buckets, each with
//! the labels `a` (10 values) and `b` (100 values): 1,000 series a metric, every series
//! recorded into once (counter `m` series `s` holds `1000 m + s + 1`; each histogram series one
//! observation). The peers, `prometheus-client` 0.26 (a `Family` per metric) and `prometheus`
//! 0.14 (a `CounterVec` or `HistogramVec` per metric), get the same names, help text, label
//! values and values.
//!
//! - Before the benches, `main` prints the memory per series of each client at each size:
//!   geno's statics (`size_of_val` of each family) and the heap each peer allocated to build
//!   its registry and series (a counting global allocator, on for that only), divided by the
//!   series; then the bytes of one exposition, one scrape and one export of each geno registry.
//! - `encode_counters` / `encode_histograms`: one whole exposition into a reused buffer:
//!   geno's `encode_text` and `encode_openmetrics`, `prometheus-client`'s `encode` (which
//!   writes OpenMetrics), `prometheus`' gather and `TextEncoder::encode`; args are the sizes.
//! - `scrape` and `export`: geno's full HTTP scrape over loopback (connect, `GET /metrics`,
//!   read the answer) and `export_prometheus_textfile`, at each size and kind.
//!
//! Run with `cargo bench -p geno-metrics-tests --bench scaling`.

// Bench set-up: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

use divan::Bencher;
use geno_metrics::{HttpServer, Metric, Registry};

mod counters_1k {
    geno_metrics::registry!("benches/scaling/counters_1k.toml");
}
mod counters_10k {
    geno_metrics::registry!("benches/scaling/counters_10k.toml");
}
mod counters_100k {
    geno_metrics::registry!("benches/scaling/counters_100k.toml");
}
mod histograms_1k {
    geno_metrics::registry!("benches/scaling/histograms_1k.toml");
}
mod histograms_10k {
    geno_metrics::registry!("benches/scaling/histograms_10k.toml");
}
mod histograms_100k {
    geno_metrics::registry!("benches/scaling/histograms_100k.toml");
}

/// Counts the heap bytes live while [`COUNTING`] is on: how much a peer's registry takes.
struct CountingAllocator;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

// A counting allocator must implement the unsafe `GlobalAlloc` trait (as the allocation
// tests do): every method forwards to `System` unchanged and only adds to a counter.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// `make()` and the heap bytes it left allocated (counted on this thread's watch only: run
/// while no other thread allocates).
fn heap_of<T>(make: impl FnOnce() -> T) -> (T, isize) {
    let before = LIVE.load(Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let made = make();
    COUNTING.store(false, Ordering::Relaxed);
    (made, LIVE.load(Ordering::Relaxed) - before)
}

/// How many series a registry has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    K1,
    K10,
    K100,
}

impl Size {
    const ALL: [Self; 3] = [Self::K1, Self::K10, Self::K100];

    fn series(self) -> usize {
        self.metrics() * SERIES_PER_METRIC
    }

    fn metrics(self) -> usize {
        match self {
            Self::K1 => 1,
            Self::K10 => 10,
            Self::K100 => 100,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::K1 => 0,
            Self::K10 => 1,
            Self::K100 => 2,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::K1 => "1k",
            Self::K10 => "10k",
            Self::K100 => "100k",
        })
    }
}

/// What a registry's metrics are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counters,
    Histograms,
}

impl Kind {
    const ALL: [Self; 2] = [Self::Counters, Self::Histograms];

    fn index(self) -> usize {
        match self {
            Self::Counters => 0,
            Self::Histograms => 1,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Counters => "counters",
            Self::Histograms => "histograms",
        })
    }
}

const SERIES_PER_METRIC: usize = 1000;
const A_VALUES: usize = 10;
const B_VALUES: usize = 100;

/// The Prometheus default buckets: what every client's histograms use here.
const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Observed once into histogram series `s` of metric `m`, by its index.
const OBSERVED: [f64; 8] = [0.003, 0.02, 0.07, 0.3, 0.8, 3.0, 7.0, 20.0];

/// The label values of series `s` of a metric, in declaration order (`a` slower than `b`).
fn labels_of(s: usize) -> (String, String) {
    assert!(s < A_VALUES * B_VALUES);
    (
        format!("a{}", s / B_VALUES),
        format!("b{:02}", s % B_VALUES),
    )
}

fn counter_value(m: usize, s: usize) -> u64 {
    (m * SERIES_PER_METRIC + s + 1) as u64
}

fn observed(m: usize, s: usize) -> f64 {
    OBSERVED[(m + s) % OBSERVED.len()]
}

fn name(kind: Kind, m: usize) -> (String, String) {
    match kind {
        Kind::Counters => (
            format!("bench_c{m:03}_total"),
            format!("Labelled counter number {m}."),
        ),
        Kind::Histograms => (
            format!("bench_h{m:03}_seconds"),
            format!("Labelled histogram number {m}."),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// geno
// ---------------------------------------------------------------------------------------

/// geno's registry of `kind` at `size`, every series recorded into once.
fn geno(kind: Kind, size: Size) -> &'static Registry {
    static FILLED: [[OnceLock<()>; 3]; 2] = [const { [const { OnceLock::new() }; 3] }; 2];
    let registry: &'static Registry = match (kind, size) {
        (Kind::Counters, Size::K1) => &counters_1k::METRICS,
        (Kind::Counters, Size::K10) => &counters_10k::METRICS,
        (Kind::Counters, Size::K100) => &counters_100k::METRICS,
        (Kind::Histograms, Size::K1) => &histograms_1k::METRICS,
        (Kind::Histograms, Size::K10) => &histograms_10k::METRICS,
        (Kind::Histograms, Size::K100) => &histograms_100k::METRICS,
    };
    FILLED[kind.index()][size.index()].get_or_init(|| {
        assert_eq!(registry.len(), size.metrics());
        for (m, metric) in registry.iter().enumerate() {
            let Metric::Family(family) = metric else {
                panic!("{} is not labelled", metric.spec().name)
            };
            assert_eq!(family.len(), SERIES_PER_METRIC);
            for s in 0..SERIES_PER_METRIC {
                let (a, b) = labels_of(s);
                assert_eq!(family.label_value(s, 0), Some(a.as_str()));
                assert_eq!(family.label_value(s, 1), Some(b.as_str()));
                match family.series(s) {
                    Some(Metric::Counter(c)) => c.inc_by(counter_value(m, s)),
                    Some(Metric::Histogram(h)) => h.observe(observed(m, s)),
                    other => panic!("series {s} of {}: {other:?}", metric.spec().name),
                }
            }
        }
    });
    registry
}

/// The bytes geno's statics take for `registry`'s series: its families, each `size_of_val`.
fn geno_bytes(registry: &'static Registry) -> usize {
    registry
        .iter()
        .map(|metric| match metric {
            Metric::Family(family) => std::mem::size_of_val(family),
            other => panic!("{} is not labelled", other.spec().name),
        })
        .sum()
}

// ---------------------------------------------------------------------------------------
// Peers
// ---------------------------------------------------------------------------------------

/// The label set of the `prometheus-client` families.
#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct Ab {
    a: String,
    b: String,
}

fn prometheus_client_histogram() -> prometheus_client::metrics::histogram::Histogram {
    prometheus_client::metrics::histogram::Histogram::new(DEFAULT_BUCKETS)
}

/// `prometheus-client`'s registry of `kind` at `size`.
fn make_prometheus_client(kind: Kind, size: Size) -> prometheus_client::registry::Registry {
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::histogram::Histogram;
    let mut registry = prometheus_client::registry::Registry::default();
    for m in 0..size.metrics() {
        let (name, help) = name(kind, m);
        let labels = |s: usize| {
            let (a, b) = labels_of(s);
            Ab { a, b }
        };
        match kind {
            Kind::Counters => {
                let family = Family::<Ab, Counter>::default();
                for s in 0..SERIES_PER_METRIC {
                    family.get_or_create(&labels(s)).inc_by(counter_value(m, s));
                }
                // prometheus-client appends `_total` to a counter's name.
                let base = name.strip_suffix("_total").unwrap().to_owned();
                registry.register(base, help, family);
            }
            Kind::Histograms => {
                let family = Family::<Ab, Histogram, fn() -> Histogram>::new_with_constructor(
                    prometheus_client_histogram,
                );
                for s in 0..SERIES_PER_METRIC {
                    family.get_or_create(&labels(s)).observe(observed(m, s));
                }
                registry.register(name, help, family);
            }
        }
    }
    registry
}

/// `prometheus`' registry of `kind` at `size`.
fn make_prometheus(kind: Kind, size: Size) -> prometheus::Registry {
    let registry = prometheus::Registry::new();
    for m in 0..size.metrics() {
        let (name, help) = name(kind, m);
        match kind {
            Kind::Counters => {
                let opts = prometheus::Opts::new(name, help);
                let family = prometheus::IntCounterVec::new(opts, &["a", "b"]).unwrap();
                for s in 0..SERIES_PER_METRIC {
                    let (a, b) = labels_of(s);
                    family
                        .with_label_values(&[a.as_str(), b.as_str()])
                        .inc_by(counter_value(m, s));
                }
                registry.register(Box::new(family)).unwrap();
            }
            Kind::Histograms => {
                let opts =
                    prometheus::HistogramOpts::new(name, help).buckets(DEFAULT_BUCKETS.into());
                let family = prometheus::HistogramVec::new(opts, &["a", "b"]).unwrap();
                for s in 0..SERIES_PER_METRIC {
                    let (a, b) = labels_of(s);
                    family
                        .with_label_values(&[a.as_str(), b.as_str()])
                        .observe(observed(m, s));
                }
                registry.register(Box::new(family)).unwrap();
            }
        }
    }
    registry
}

/// The peers' registries with the heap bytes each took, made once (by `main`, before any
/// other thread runs, so the counts are theirs alone).
struct Peers {
    prometheus_client: prometheus_client::registry::Registry,
    prometheus_client_bytes: isize,
    prometheus: prometheus::Registry,
    prometheus_bytes: isize,
}

fn peers(kind: Kind, size: Size) -> &'static Peers {
    static PEERS: [[OnceLock<Peers>; 3]; 2] = [const { [const { OnceLock::new() }; 3] }; 2];
    PEERS[kind.index()][size.index()].get_or_init(|| {
        let (prometheus_client, prometheus_client_bytes) =
            heap_of(|| make_prometheus_client(kind, size));
        let (prometheus, prometheus_bytes) = heap_of(|| make_prometheus(kind, size));
        Peers {
            prometheus_client,
            prometheus_client_bytes,
            prometheus,
            prometheus_bytes,
        }
    })
}

// ---------------------------------------------------------------------------------------
// Scrape and export
// ---------------------------------------------------------------------------------------

/// `serve_http` over geno's registry of `kind` at `size`, started once.
fn server(kind: Kind, size: Size) -> SocketAddr {
    static SERVERS: [[OnceLock<HttpServer>; 3]; 2] = [const { [const { OnceLock::new() }; 3] }; 2];
    SERVERS[kind.index()][size.index()]
        .get_or_init(|| geno(kind, size).serve_http("127.0.0.1:0").unwrap())
        .local_addr()
}

/// One scrape as a scraper without keep-alive makes it: connect, `GET /metrics`, read the
/// whole answer (text format 0.0.4, no compression). Returns the bytes read.
fn scrape(addr: SocketAddr) -> usize {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::with_capacity(1 << 20);
    stream.read_to_end(&mut answer).unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    answer.len()
}

/// Where `export` writes, removed at the end of `main`.
fn export_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("geno-metrics-bench-scaling-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

fn export_path(kind: Kind, size: Size) -> PathBuf {
    export_dir().join(format!("{kind}_{size}.prom"))
}

// ---------------------------------------------------------------------------------------
// main: memory and bytes
// ---------------------------------------------------------------------------------------

fn main() {
    println!("memory per series: geno's statics; the peers' heap for registry and series");
    println!(
        "  {:<11} {:>5} {:>8} {:>19} {:>12}",
        "kind", "size", "geno B", "prometheus-client B", "prometheus B"
    );
    for kind in Kind::ALL {
        for size in Size::ALL {
            let n = size.series() as f64;
            let geno_per = geno_bytes(geno(kind, size)) as f64 / n;
            let peers = peers(kind, size);
            println!(
                "  {kind:<11} {size:>5} {geno_per:>8.1} {:>19.1} {:>12.1}",
                peers.prometheus_client_bytes as f64 / n,
                peers.prometheus_bytes as f64 / n,
            );
            let key = format!("memory_per_series.{kind}.{size}");
            println!("figure: {key}.geno = {geno_per:.1}");
            let theirs = [
                ("prometheus_client", peers.prometheus_client_bytes),
                ("prometheus", peers.prometheus_bytes),
            ];
            for (peer, bytes) in theirs {
                println!("figure: {key}.{peer} = {:.1}", bytes as f64 / n);
            }
        }
    }
    println!();
    println!("bytes of one exposition, scrape (with HTTP headers) and export, per geno registry");
    for kind in Kind::ALL {
        for size in Size::ALL {
            let registry = geno(kind, size);
            let mut text = Vec::new();
            registry.encode_text(&mut text).unwrap();
            let mut open_metrics = Vec::new();
            registry.encode_openmetrics(&mut open_metrics).unwrap();
            let scraped = scrape(server(kind, size));
            let exported = registry
                .export_prometheus_textfile(Some(&export_path(kind, size)))
                .unwrap();
            let file = std::fs::metadata(exported).unwrap().len();
            println!(
                "  {kind:<11} {size:>5}  text {:>10} B  OpenMetrics {:>10} B  scrape {scraped:>10} B  export {file:>10} B",
                text.len(),
                open_metrics.len()
            );
        }
    }
    println!();
    print_interleaved_encodes();
    divan::main();
    let _ = std::fs::remove_dir_all(export_dir());
}

/// The encode rows the budgets divide, timed interleaved (see
/// `geno_metrics_tests::interleaved_medians`): at each kind and size, rounds of one geno text
/// encode, one geno OpenMetrics encode and one prometheus-client encode, each into a reused
/// buffer; prints the medians and `figure:` lines with geno's over prometheus-client's.
fn print_interleaved_encodes() {
    println!(
        "encode, interleaved: median of one whole exposition (us), and geno / prometheus-client"
    );
    for kind in Kind::ALL {
        for size in Size::ALL {
            let registry = geno(kind, size);
            let theirs = &peers(kind, size).prometheus_client;
            let mut client = String::new();
            let rounds = match size {
                Size::K1 => 301,
                Size::K10 => 101,
                Size::K100 => 21,
            };
            let [geno_text, geno_om, client_time] =
                geno_metrics_tests::interleaved_encodes(rounds, registry, &mut || {
                    client.clear();
                    prometheus_client::encoding::text::encode(&mut client, theirs).unwrap();
                });
            println!(
                "  {kind:<11} {size:>5}  geno text {:>9.1}  geno OpenMetrics {:>9.1}  prometheus-client {:>9.1}  ratios {:.3}, {:.3}",
                geno_text / 1e3,
                geno_om / 1e3,
                client_time / 1e3,
                geno_text / client_time,
                geno_om / client_time,
            );
            let key = format!("interleaved.encode_{kind}.{size}");
            println!("figure: {key}.text_ratio = {:.4}", geno_text / client_time);
            println!(
                "figure: {key}.openmetrics_ratio = {:.4}",
                geno_om / client_time
            );
            println!(
                "figure: {key}.text_ns_per_series = {:.2}",
                geno_text / size.series() as f64
            );
            println!(
                "figure: {key}.openmetrics_ns_per_series = {:.2}",
                geno_om / size.series() as f64
            );
        }
    }
    println!();
}

// ---------------------------------------------------------------------------------------
// Benches
// ---------------------------------------------------------------------------------------

macro_rules! encode_group {
    ($group:ident, $kind:expr) => {
        /// One whole exposition, per client, into a reused buffer; args are the series.
        mod $group {
            use super::*;

            #[divan::bench(args = Size::ALL, sample_size = 1)]
            fn geno_encode_text(bencher: Bencher<'_, '_>, size: Size) {
                let registry = geno($kind, size);
                let mut buffer = Vec::with_capacity(64 << 20);
                bencher.bench_local(|| {
                    buffer.clear();
                    registry.encode_text(&mut buffer).unwrap();
                    buffer.len()
                });
            }

            #[divan::bench(args = Size::ALL, sample_size = 1)]
            fn geno_encode_openmetrics(bencher: Bencher<'_, '_>, size: Size) {
                let registry = geno($kind, size);
                let mut buffer = Vec::with_capacity(64 << 20);
                bencher.bench_local(|| {
                    buffer.clear();
                    registry.encode_openmetrics(&mut buffer).unwrap();
                    buffer.len()
                });
            }

            #[divan::bench(args = Size::ALL, sample_size = 1)]
            fn prometheus_client_encode(bencher: Bencher<'_, '_>, size: Size) {
                let registry = &peers($kind, size).prometheus_client;
                let mut buffer = String::with_capacity(64 << 20);
                bencher.bench_local(|| {
                    buffer.clear();
                    prometheus_client::encoding::text::encode(&mut buffer, registry).unwrap();
                    buffer.len()
                });
            }

            #[divan::bench(args = Size::ALL, sample_size = 1)]
            fn prometheus_gather_encode(bencher: Bencher<'_, '_>, size: Size) {
                use prometheus::Encoder;
                let registry = &peers($kind, size).prometheus;
                let mut buffer = Vec::with_capacity(64 << 20);
                bencher.bench_local(|| {
                    buffer.clear();
                    prometheus::TextEncoder::new()
                        .encode(&registry.gather(), &mut buffer)
                        .unwrap();
                    buffer.len()
                });
            }
        }
    };
}

encode_group!(encode_counters, Kind::Counters);
encode_group!(encode_histograms, Kind::Histograms);

/// A full HTTP scrape of geno's registry over loopback (connect, `GET /metrics`, read).
mod scrape {
    use super::*;

    #[divan::bench(args = Size::ALL, sample_size = 1)]
    fn counters(bencher: Bencher<'_, '_>, size: Size) {
        let addr = server(Kind::Counters, size);
        bencher.bench_local(|| scrape(addr));
    }

    #[divan::bench(args = Size::ALL, sample_size = 1)]
    fn histograms(bencher: Bencher<'_, '_>, size: Size) {
        let addr = server(Kind::Histograms, size);
        bencher.bench_local(|| scrape(addr));
    }
}

/// `export_prometheus_textfile` of geno's registry (encode, write, fsync, rename).
mod export {
    use super::*;

    #[divan::bench(args = Size::ALL, sample_size = 1)]
    fn counters(bencher: Bencher<'_, '_>, size: Size) {
        let (registry, path) = (
            geno(Kind::Counters, size),
            export_path(Kind::Counters, size),
        );
        bencher.bench_local(|| registry.export_prometheus_textfile(Some(&path)).unwrap());
    }

    #[divan::bench(args = Size::ALL, sample_size = 1)]
    fn histograms(bencher: Bencher<'_, '_>, size: Size) {
        let (registry, path) = (
            geno(Kind::Histograms, size),
            export_path(Kind::Histograms, size),
        );
        bencher.bench_local(|| registry.export_prometheus_textfile(Some(&path)).unwrap());
    }
}
