//! A histogram owned by a thread that exited gets a new owner: the next new thread takes over
//! the exited thread's identity and records on the owner's path (single-writer cells) instead
//! of allocating the part for other threads. A thread pool that replaces its threads keeps the
//! fast path.
//!
//! One test in its own binary: test threads of other tests would take identities given back
//! in between.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use geno_metrics_tests::genolewm::{
    CHECKPOINT_WRITE_DURATION_SECONDS, Phase, TRAIN_STEP_DURATION_SECONDS,
};

geno_metrics_tests::counting_allocator!();

#[test]
fn a_new_thread_takes_over_the_histograms_of_one_that_exited() {
    let histogram = &CHECKPOINT_WRITE_DURATION_SECONDS;
    for generation in 0..20 {
        // Each thread observes and exits; the next one finds the histogram owned by the
        // identity it was given back.
        let allocations = std::thread::spawn(move || {
            // The thread's first observation takes its identity (and registers the
            // destructor that gives it back, which may allocate): not what is counted.
            TRAIN_STEP_DURATION_SECONDS.with(Phase::Eval).observe(0.1);
            allocations_during(|| {
                for _ in 0..100 {
                    histogram.observe(0.5);
                }
            })
        })
        .join()
        .unwrap();
        assert_eq!(
            allocations, 0,
            "thread {generation} recorded as a second thread: the identity was not taken over"
        );
    }
    let snapshot = histogram.snapshot();
    assert_eq!((snapshot.count, snapshot.sum), (2_000, 1_000.0));
}
