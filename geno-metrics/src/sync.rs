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

/// A value made once, by the first thread that needs it, then shared: `OnceLock<Box<T>>`,
/// 16 bytes until then.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct OnceBox<T>(std::sync::OnceLock<Box<T>>);

#[cfg(not(loom))]
impl<T> OnceBox<T> {
    /// Nothing yet.
    pub(crate) const fn new() -> Self {
        Self(std::sync::OnceLock::new())
    }

    /// The value, if made.
    #[inline]
    pub(crate) fn get(&self) -> Option<&T> {
        self.0.get().map(|b| &**b)
    }

    /// The value, made by `make` if nobody has made it yet.
    #[inline]
    pub(crate) fn get_or_init(&self, make: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(|| Box::new(make()))
    }
}

/// Under loom the value exists from the start: loom has no `OnceLock` to model, and the
/// algorithms around the value are what the models check.
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct OnceBox<T>(Box<T>);

#[cfg(loom)]
impl<T> OnceBox<T> {
    /// Made already.
    pub(crate) fn ready(value: T) -> Self {
        Self(Box::new(value))
    }

    /// The value.
    pub(crate) fn get(&self) -> Option<&T> {
        Some(&self.0)
    }

    /// The value.
    pub(crate) fn get_or_init(&self, _make: impl FnOnce() -> T) -> &T {
        &self.0
    }
}

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
