//! The hot paths (`inc`, `inc_by`, `set`, `inc`/`dec`/`add`/`sub`, `observe`, timers) never
//! allocate: a counting global allocator sees zero allocations across many calls.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use geno_metrics_tests::genolewm::{
    CHECKPOINT_SIZE_BYTES, INFERENCE_REQUEST_DURATION_SECONDS, TRAIN_LOSS,
    TRAIN_STEP_DURATION_SECONDS, TRAIN_STEPS_TOTAL, TRAIN_TOKENS_TOTAL,
};

/// Counts allocations made by the current thread (other test threads do not interfere).
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

// A counting allocator must implement the unsafe `GlobalAlloc` trait: the one measured need
// for `unsafe` in the workspace, confined to this test. Every method forwards to `System`
// unchanged; counting touches only a const-initialised thread-local `Cell`, which never
// allocates.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn the_allocator_counts() {
    // Guards the test itself: a Vec must register, or "0 allocations" would prove nothing.
    assert!(allocations_during(|| drop(std::hint::black_box(vec![1u8; 64]))) >= 1);
}

#[test]
fn recording_into_a_labelled_series_never_allocates() {
    use geno_metrics::{Counter, Histogram, LabelSpec, Labelled, MetricKind, MetricSpec};
    static SPECS: [MetricSpec; 2] = [
        MetricSpec {
            name: "t_requests_total",
            kind: MetricKind::Counter,
            unit: "",
            summary: "t",
            buckets: &[],
            deprecated: None,
            labels: &[LabelSpec {
                name: "status",
                values: &["ok", "error"],
            }],
        },
        MetricSpec {
            name: "t_step_seconds",
            kind: MetricKind::Histogram,
            unit: "seconds",
            summary: "t",
            buckets: &[0.1, 1.0],
            deprecated: None,
            labels: &[LabelSpec {
                name: "phase",
                values: &["train", "eval"],
            }],
        },
    ];
    static REQUESTS: Labelled<Counter, 2> = Labelled::new(
        &SPECS[0],
        [Counter::new(&SPECS[0]), Counter::new(&SPECS[0])],
    );
    static STEP: Labelled<Histogram<2>, 2> = Labelled::new(
        &SPECS[1],
        [Histogram::new(&SPECS[1]), Histogram::new(&SPECS[1])],
    );
    let allocations = allocations_during(|| {
        for i in 0..10_000usize {
            if let Some(series) = REQUESTS.get(i % 2) {
                series.inc();
            }
            if let Some(series) = STEP.get(i % 2) {
                series.observe(0.5);
            }
        }
    });
    assert_eq!(allocations, 0);
    assert_eq!(
        REQUESTS.get(0).unwrap().get() + REQUESTS.get(1).unwrap().get(),
        10_000
    );
}

#[test]
fn recording_never_allocates() {
    let allocations = allocations_during(|| {
        for i in 0..10_000u64 {
            TRAIN_STEPS_TOTAL.inc();
            TRAIN_TOKENS_TOTAL.inc_by(i);
            TRAIN_LOSS.set(i as f64);
            TRAIN_LOSS.add(0.5);
            TRAIN_LOSS.sub(0.25);
            CHECKPOINT_SIZE_BYTES.inc();
            CHECKPOINT_SIZE_BYTES.dec();
            TRAIN_STEP_DURATION_SECONDS.observe(i as f64 / 1000.0);
            INFERENCE_REQUEST_DURATION_SECONDS.observe(f64::NAN);
            INFERENCE_REQUEST_DURATION_SECONDS.observe(f64::INFINITY);
            drop(TRAIN_STEP_DURATION_SECONDS.start_timer());
        }
    });
    assert_eq!(allocations, 0);
    assert!(TRAIN_STEPS_TOTAL.get() >= 10_000);
}
