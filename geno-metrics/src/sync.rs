//! The synchronisation primitives of the runtime: std's, or loom's when the crate is built with
//! `--cfg loom` so that `tests/loom.rs` can explore every interleaving of the real algorithms.
//!
//! Loom's atomics cannot be built in a const context, so constructors are declared with
//! [`loom_const_fn!`]: `const fn` normally (handles are statics), plain `fn` under loom.

#[cfg(not(loom))]
pub(crate) use std::sync::Mutex;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, fence};

#[cfg(loom)]
pub(crate) use loom::sync::Mutex;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, fence};

/// Backs off while waiting for another thread: spins briefly, then yields.
#[cfg(not(loom))]
#[inline]
pub(crate) fn back_off(spins: u32) {
    if spins < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// Under loom every wait must yield, or the model checker would spin forever.
#[cfg(loom)]
pub(crate) fn back_off(_spins: u32) {
    loom::thread::yield_now();
}

/// Declares a function `const` except under `--cfg loom`.
macro_rules! loom_const_fn {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        $vis const fn $($rest)*

        #[cfg(loom)]
        $(#[$attr])*
        $vis fn $($rest)*
    };
}
pub(crate) use loom_const_fn;
