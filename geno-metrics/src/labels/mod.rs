//! Labelled metrics: one series per combination of label values.
//!
//! [`Labelled`] keeps a metric's series in a plain array indexed by label positions;
//! [`FreeLabel`] is the bounded, append-only value table of one free-form label, with its
//! overflow series ([`OVERFLOW_LABEL_VALUE`]) and the count of values that went there
//! ([`DROPPED_LABEL_VALUES_METRIC`]).

mod free_form;
mod labelled;

pub(crate) use free_form::DROPPED_LABEL_VALUES_HELP;
pub use free_form::{DROPPED_LABEL_VALUES_METRIC, FreeLabel, OVERFLOW_LABEL_VALUE};
pub use labelled::Labelled;
