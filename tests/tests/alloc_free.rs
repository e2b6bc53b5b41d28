//! The hot paths (`inc`, `inc_by`, `set`, `inc`/`dec`/`add`/`sub`, `observe`, timers) never
//! allocate: a counting global allocator sees zero allocations across many calls, labelled
//! series included. A few first times allocate, once: a free-form label value, when first
//! seen; and a histogram series' part for a second thread and the part for every thread
//! after that, each when its first thread observes.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use geno_metrics_tests::genolewm::{
    CHECKPOINT_SIZE_BYTES, CHECKPOINT_WRITE_DURATION_SECONDS, DATALOADER_RECORDS_SKIPPED_TOTAL,
    INFERENCE_REQUEST_DURATION_SECONDS, INFERENCE_REQUESTS_TOTAL, Phase, Reason, Status,
    TRAIN_LOSS, TRAIN_STEP_DURATION_SECONDS, TRAIN_STEPS_TOTAL, TRAIN_TOKENS_TOTAL,
};

geno_metrics_tests::counting_allocator!();

#[test]
fn the_allocator_counts() {
    // Guards the test itself: a Vec must register, or "0 allocations" would prove nothing.
    assert!(allocations_during(|| drop(std::hint::black_box(vec![1u8; 64]))) >= 1);
}

#[test]
fn recording_into_labelled_series_never_allocates() {
    let allocations = allocations_during(|| {
        for i in 0..10_000u64 {
            let phase = Phase::all()[(i % 2) as usize];
            TRAIN_STEP_DURATION_SECONDS.with(phase).observe(0.5);
            drop(TRAIN_STEP_DURATION_SECONDS.with(phase).start_timer());
            DATALOADER_RECORDS_SKIPPED_TOTAL
                .with(Reason::UnknownBase)
                .inc();
        }
    });
    assert_eq!(allocations, 0, "enumerated labels");
    assert!(
        DATALOADER_RECORDS_SKIPPED_TOTAL
            .with(Reason::UnknownBase)
            .get()
            >= 10_000
    );

    // A free-form value allocates once, when first seen (a copy of the value); never again,
    // and a value past `max_series` (the overflow series) never does.
    let models: Vec<String> = (0..40).map(|i| format!("model-{i}")).collect();
    let first_use = allocations_during(|| {
        INFERENCE_REQUESTS_TOTAL.with(&models[0], Status::Ok).inc();
    });
    assert!(first_use >= 1, "the allocator sees first uses");
    for model in &models {
        INFERENCE_REQUESTS_TOTAL.with(model, Status::Ok).inc();
    }
    let allocations = allocations_during(|| {
        for i in 0..10_000usize {
            let model = &models[i % models.len()];
            INFERENCE_REQUESTS_TOTAL.with(model, Status::Error).inc();
        }
    });
    assert_eq!(
        allocations, 0,
        "free-form values already seen, and overflow"
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
            CHECKPOINT_WRITE_DURATION_SECONDS.observe(i as f64 / 1000.0);
            CHECKPOINT_WRITE_DURATION_SECONDS.observe(f64::NAN);
            CHECKPOINT_WRITE_DURATION_SECONDS.observe(f64::INFINITY);
            drop(CHECKPOINT_WRITE_DURATION_SECONDS.start_timer());
        }
    });
    assert_eq!(allocations, 0);
    assert!(TRAIN_STEPS_TOTAL.get() >= 10_000);
}

#[test]
fn a_histogram_allocates_for_its_second_and_third_threads_once_and_never_for_its_owner() {
    // A series no other test here touches: a free-form value of its own (whose first use
    // allocates a copy of it, before anything is counted).
    let series = INFERENCE_REQUEST_DURATION_SECONDS.with("alloc-probe");
    series.observe(0.1); // this thread owns the series from now on
    let owner = allocations_during(|| {
        for i in 0..10_000u32 {
            series.observe(f64::from(i) / 1000.0);
        }
    });
    assert_eq!(owner, 0, "the owning thread");
    // The second thread stays alive while the third and fourth observe: a thread that exits
    // hands its identity, and so its part, on to the next new thread.
    let second_done = std::sync::Barrier::new(2);
    let (first, later, third, fourth) = std::thread::scope(|s| {
        let second = s.spawn(|| {
            let first = allocations_during(|| series.observe(0.3));
            let later = allocations_during(|| {
                for _ in 0..10_000 {
                    series.observe(0.4);
                }
            });
            second_done.wait();
            (first, later)
        });
        let one_more = || {
            std::thread::scope(|s| {
                s.spawn(|| allocations_during(|| series.observe(0.5)))
                    .join()
                    .unwrap()
            })
        };
        // Wait until the second thread has its part before the others start.
        while series.snapshot().count < 1 + 10_000 + 1 + 10_000 {
            std::thread::yield_now();
        }
        let third = one_more();
        let fourth = one_more();
        second_done.wait();
        let (first, later) = second.join().unwrap();
        (first, later, third, fourth)
    });
    // `Histogram`'s docs: each first time is two allocations.
    assert_eq!((first, later), (2, 0), "a second thread");
    assert_eq!(third, 2, "a third thread");
    assert_eq!(fourth, 0, "a fourth thread finds every part made");
    assert_eq!(series.snapshot().count, 1 + 10_000 + 1 + 10_000 + 2);
}
