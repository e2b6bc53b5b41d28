//! Workspace integration tests of geno-metrics, and the GenoLeWM demo job they exercise.
//!
//! The library compiles the project's own registry, `metrics.toml` at the workspace root, so
//! tests and the example use the real GenoLeWM handles (`geno_metrics_tests::genolewm::*`).
//! [`training_job`] is the simulated training run behind
//! `cargo run --release --example training_job`; [`redaction`] is GenoLeWM's log-redaction filter.

pub mod doc_snippets;

/// A registry whose summaries, deprecation notes and label values would run as code in doc
/// tests if they reached rustdoc as Markdown (`fixtures/hostile_docs.toml`): compiled here, in
/// a library crate, so `cargo test --doc` fails if a single one becomes a doc test.
#[allow(deprecated)]
pub mod hostile_docs {
    geno_metrics::registry!("fixtures/hostile_docs.toml");
}
pub mod grafana;
pub mod python;
pub mod redaction;
pub mod servers;
pub mod text_format;
pub mod tools;
pub mod training_job;

/// Declares, in the test binary that invokes it, a global allocator that counts the calling
/// thread's allocations, and `allocations_during(f)`: how many `f` made on this thread. For the
/// tests that prove a path allocates nothing (a global allocator must be declared by the
/// binary itself, hence a macro). Its `GlobalAlloc` impl is the workspace's one use of
/// `unsafe`: every method forwards to `System` unchanged, and counting touches only a
/// const-initialised thread-local `Cell`, which never allocates.
#[macro_export]
macro_rules! counting_allocator {
    () => {
        /// Counts allocations made by the current thread (other threads do not interfere).
        struct CountingAllocator;

        ::std::thread_local! {
            static ALLOCATIONS: ::std::cell::Cell<u64> = const { ::std::cell::Cell::new(0) };
        }

        #[global_allocator]
        static GLOBAL: CountingAllocator = CountingAllocator;

        #[allow(unsafe_code)]
        unsafe impl ::std::alloc::GlobalAlloc for CountingAllocator {
            unsafe fn alloc(&self, layout: ::std::alloc::Layout) -> *mut u8 {
                let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
                // SAFETY: forwarded with the caller's guarantees.
                unsafe { ::std::alloc::System.alloc(layout) }
            }

            unsafe fn dealloc(&self, ptr: *mut u8, layout: ::std::alloc::Layout) {
                // SAFETY: forwarded with the caller's guarantees.
                unsafe { ::std::alloc::System.dealloc(ptr, layout) }
            }

            unsafe fn realloc(
                &self,
                ptr: *mut u8,
                layout: ::std::alloc::Layout,
                new_size: usize,
            ) -> *mut u8 {
                let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
                // SAFETY: forwarded with the caller's guarantees.
                unsafe { ::std::alloc::System.realloc(ptr, layout, new_size) }
            }
        }

        /// How many allocations `f` made on this thread.
        fn allocations_during(f: impl FnOnce()) -> u64 {
            let before = ALLOCATIONS.with(::std::cell::Cell::get);
            f();
            ALLOCATIONS.with(::std::cell::Cell::get) - before
        }
    };
}

/// The calling thread's time on a CPU so far, in nanoseconds (`/proc/thread-self/schedstat`).
///
/// # Panics
///
/// When `/proc/thread-self/schedstat` cannot be read or parsed (Linux only).
pub fn thread_cpu_ns() -> u64 {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    schedstat
        .split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .unwrap_or_else(|| panic!("unreadable /proc/thread-self/schedstat: {schedstat:?}"))
}

/// The median time of one call of each of `rows`, in nanoseconds, from `rounds` rounds that
/// each call every row once, in turn (after one warm-up round); each round starts one row
/// further on, so that no row always follows the same one (and the caches it left).
///
/// For the benches' budget ratios on a shared machine: a host here has spells of seconds
/// to minutes in which everything runs up to twice as slow, and divan times one row after
/// another, so a spell can fall on one side of a ratio only. Interleaved, a spell falls on
/// every row alike and the medians' ratio keeps what the code costs.
pub fn interleaved_medians<const N: usize>(
    rounds: usize,
    mut rows: [&mut dyn FnMut(); N],
) -> [f64; N] {
    for row in &mut rows {
        row();
    }
    let mut times = [(); N].map(|()| Vec::with_capacity(rounds));
    for round in 0..rounds {
        for k in 0..N {
            let i = (round + k) % N;
            let started = std::time::Instant::now();
            rows[i]();
            times[i].push(started.elapsed().as_nanos() as f64);
        }
    }
    times.map(|mut times| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    })
}

/// [`interleaved_medians`] of three expositions of the same series, each into a buffer of
/// its own reused from round to round: `registry`'s text format, its OpenMetrics, and `peer`
/// (another client's encoder). Nanoseconds, in that order.
///
/// # Panics
///
/// When `registry` cannot be encoded.
pub fn interleaved_encodes(
    rounds: usize,
    registry: &geno_metrics::Registry,
    peer: &mut dyn FnMut(),
) -> [f64; 3] {
    let (mut text, mut open_metrics) = (Vec::new(), Vec::new());
    interleaved_medians(
        rounds,
        [
            &mut || {
                text.clear();
                registry
                    .encode_text(&mut text)
                    .unwrap_or_else(|e| panic!("cannot encode the registry: {e}"));
            },
            &mut || {
                open_metrics.clear();
                registry
                    .encode_openmetrics(&mut open_metrics)
                    .unwrap_or_else(|e| panic!("cannot encode the registry: {e}"));
            },
            peer,
        ],
    )
}

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use geno_metrics::HistogramSnapshot;

/// Asserts the snapshot invariant (`HistogramSnapshot`'s docs) for a histogram with bounds
/// `[0.5, 1, 2]` into which every observation is `every_value`, between 0.5 and 1: counts
/// cumulative,
/// `counts.last() == count`, all of them in the `le="1"` bucket, and `sum` over exactly
/// `count` of them. The stress tests call it on snapshots taken while writers run.
///
/// # Panics
///
/// When the snapshot breaks the invariant: that is how a test reports it.
pub fn assert_consistent(s: &HistogramSnapshot, every_value: f64) {
    assert!(
        s.counts.windows(2).all(|w| w[0] <= w[1]),
        "not cumulative: {s:?}"
    );
    assert_eq!(s.counts.last(), Some(&s.count), "{s:?}");
    assert_eq!(
        s.sum,
        s.count as f64 * every_value,
        "sum covers exactly count: {s:?}"
    );
    assert_eq!(s.counts[0], 0, "{s:?}");
    assert_eq!(s.counts[1], s.count, "{s:?}");
}

/// Asserts the snapshot invariant (`HistogramSnapshot`'s docs) for a histogram into which
/// every observation that fell into bucket `i` (not cumulative; the last is `+Inf`) was exactly `values[i]`:
/// counts cumulative, `counts.last() == count`, and `sum` exactly the sum of the observations
/// counted, so no observation is in the sum without being in the counts or the other way
/// round. Choose values whose sums are exact in `f64` (small multiples of a power of two)
/// and the comparison can be exact too. The soak test calls it on snapshots and on
/// histograms read back from exported files.
///
/// # Panics
///
/// When the snapshot breaks the invariant, or `values` does not give one value per bucket,
/// each within its bucket's bounds.
pub fn assert_consistent_per_bucket(s: &HistogramSnapshot, values: &[f64]) {
    assert_eq!(s.counts.len(), values.len(), "one value per bucket: {s:?}");
    assert_eq!(s.buckets.len(), s.counts.len(), "{s:?}");
    assert_eq!(s.buckets.last(), Some(&f64::INFINITY), "{s:?}");
    let mut lower = f64::NEG_INFINITY;
    for (bound, value) in s.buckets.iter().zip(values) {
        assert!(
            lower < *value && value <= bound,
            "{value} does not belong in bucket le={bound}"
        );
        lower = *bound;
    }
    assert!(
        s.counts.windows(2).all(|w| w[0] <= w[1]),
        "not cumulative: {s:?}"
    );
    assert_eq!(s.counts.last(), Some(&s.count), "{s:?}");
    let mut below = 0;
    let mut sum = 0.0;
    for (cumulative, value) in s.counts.iter().zip(values) {
        sum += (cumulative - below) as f64 * value;
        below = *cumulative;
    }
    assert_eq!(
        s.sum, sum,
        "sum covers exactly the counted observations: {s:?}"
    );
}

/// A fresh, empty directory `base/group/test`: what a test writes its files into. Integration
/// tests pass `env!("CARGO_TARGET_TMPDIR")` as `base`.
///
/// # Panics
///
/// When the directory cannot be emptied or created.
pub fn fresh_dir(base: &str, group: &str, test: &str) -> PathBuf {
    let dir = Path::new(base).join(group).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Asserts `text` is a complete exposition of the GenoLeWM registry: every family once, in
/// order (then the runtime's counter of dropped label values), a final newline, and every
/// sample line `series value` with a value Prometheus can parse.
///
/// # Panics
///
/// When it is not: a partial file, a family missing or out of order, a bad value.
pub fn assert_complete_genolewm(text: &str) {
    assert!(
        text.ends_with('\n'),
        "partial file (no final newline): {text:?}"
    );
    let helps: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# HELP "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let mut declared: Vec<&str> = genolewm::METRICS.specs().iter().map(|s| s.name).collect();
    declared.push(geno_metrics::DROPPED_LABEL_VALUES_METRIC);
    assert_eq!(helps, declared, "families missing or out of order:\n{text}");
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap_or_default();
        assert!(
            value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value),
            "unparseable sample: {line}"
        );
    }
}

/// The integer value of the sample `series` (name and label text, as written) in the
/// exposition `text`.
///
/// # Panics
///
/// When `text` has no such sample, or its value is not a whole number.
pub fn sample(text: &str, series: &str) -> u64 {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"));
    line.parse()
        .unwrap_or_else(|_| panic!("{series} is not an integer: {line}"))
}

/// Races writers against one reader, the shape of the stress tests: `writers` threads each
/// run `write(thread number)` once, while one reader calls `read()` over and over until every
/// writer has finished and it has read at least `min_reads` times. Returns how many times it
/// read. `read` asserts what must hold mid-flight; the caller asserts the totals after.
///
/// # Panics
///
/// When a writer or the reader panicked (after the others have stopped), with its message.
pub fn race(
    writers: usize,
    write: impl Fn(usize) + Sync,
    min_reads: u64,
    mut read: impl FnMut() + Send,
) -> u64 {
    let done = AtomicBool::new(false);
    thread::scope(|scope| {
        let write = &write;
        let writers: Vec<_> = (0..writers)
            .map(|t| scope.spawn(move || write(t)))
            .collect();
        let reader = scope.spawn(|| {
            let mut reads = 0;
            while reads < min_reads || !done.load(Ordering::Acquire) {
                read();
                reads += 1;
            }
            reads
        });
        let finished: Vec<_> = writers.into_iter().map(|w| w.join()).collect();
        // The reader stops even when a writer failed, so the failure can be reported.
        done.store(true, Ordering::Release);
        let reads = reader.join();
        for result in finished {
            if let Err(panic) = result {
                std::panic::resume_unwind(panic);
            }
        }
        reads.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The GenoLeWM registry's handles, generated from the workspace's `metrics.toml`.
pub mod genolewm {
    geno_metrics::registry!("../metrics.toml");
}
