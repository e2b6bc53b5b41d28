//! What generated code (and the workspace's own tests) call and users do not: reached as
//! `geno_metrics::__private`, hidden from the docs, free to change between versions, as serde
//! and thiserror keep theirs.

pub use crate::kinds::SHARDS;
pub use crate::metric::Series;

use crate::labels::Labelled;
use crate::spec::MetricSpec;

/// What a registry listing `collectors = ["process"]` asserts once, at compile time: that the
/// cargo feature `process` is on. Without it the build stops here, with what to do, instead
/// of exposing process families that never have a sample.
///
/// # Panics
///
/// At compile time (in a `const`) when the feature is off.
pub const fn require_process_feature() {
    #[cfg(not(feature = "process"))]
    panic!(
        "metrics.toml lists `collectors = [\"process\"]`: turn on geno-metrics' cargo feature `process` (features = [\"process\"] on the geno-metrics dependency)"
    );
}

/// A labelled metric over `series`, one per combination of the spec's label positions.
///
/// # Panics
///
/// At compile time (in a static) when the spec has no labels, `S` is not its
/// [`series_count`](MetricSpec::series_count) or `F` not its number of free-form labels.
pub const fn labelled<M, const S: usize, const F: usize>(
    spec: &'static MetricSpec,
    series: [M; S],
) -> Labelled<M, S, F> {
    Labelled::new(spec, series)
}

/// Series number `index` of `family`: what a generated `with(..)` calls with the index it
/// computed, below `S` by construction.
///
/// # Panics
///
/// When `index >= S`.
#[inline]
pub fn series_at<M, const S: usize, const F: usize>(
    family: &Labelled<M, S, F>,
    index: usize,
) -> &M {
    family.at(index)
}

/// The position of `value` in free-form label number `label` of `family` (its own, a free
/// one on first use, or the overflow position); 0 when that label is not free-form.
#[inline]
pub fn free_form_position<M, const S: usize, const F: usize>(
    family: &Labelled<M, S, F>,
    label: usize,
    value: &str,
) -> usize {
    family.free_form_position(label, value)
}

/// The closest of `candidates` to `word`, as the registry's lookups suggest it; the workspace
/// tests compare it with the schema's `closest`.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    crate::spec::closest(word, candidates)
}
