//! Counters at and past `u64::MAX`: written in full, then wrapped to zero, in every kind of
//! counter.

use geno_metrics::{Counter, LabelSpec, Metric, MetricKind, Registry, ShardedCounter};

use super::support::*;
use geno_metrics_tests::text_format::Sample;

fn one_counter() -> (&'static Registry, &'static Counter) {
    let registry = registry(
        vec![spec("hostile_max_total", MetricKind::Counter, "c")],
        plain,
    );
    let Some(Metric::Counter(c)) = registry.iter().next() else {
        unreachable!()
    };
    (registry, c)
}

/// The single sample of the single family of `registry`.
fn only_sample(registry: &Registry) -> Sample {
    let (text, families) = encode_and_parse(registry);
    match &families[..] {
        [family] => match &family.samples[..] {
            [sample] => sample.clone(),
            _ => panic!("{text}"),
        },
        _ => panic!("{text}"),
    }
}

#[test]
fn a_counter_at_u64_max_is_written_in_full() {
    let (registry, counter) = one_counter();
    counter.inc_by(u64::MAX);
    assert_eq!(counter.get(), u64::MAX);
    let sample = only_sample(registry);
    assert_eq!(sample.text, "18446744073709551615");
    // A float to Prometheus: the nearest f64, 2^64.
    assert_eq!(sample.value, 1.844_674_407_370_955_2e19);
    assert_eq!(sample.value, u64::MAX as f64);
}

#[test]
fn a_counter_wraps_to_zero_past_u64_max() {
    let (registry, counter) = one_counter();
    counter.inc_by(u64::MAX);
    counter.inc();
    assert_eq!(
        counter.get(),
        0,
        "inc wraps, never panics (debug builds too)"
    );
    assert_eq!(only_sample(registry).text, "0");

    counter.inc_by(u64::MAX - 1);
    counter.inc_by(5);
    assert_eq!(counter.get(), 3, "inc_by wraps modulo 2^64");
    assert_eq!(only_sample(registry).text, "3");

    counter.inc_by(u64::MAX);
    assert_eq!(counter.get(), 2, "adding u64::MAX is subtracting one");
}

#[test]
fn a_sharded_counter_wraps_to_zero_past_u64_max() {
    let registry = registry(
        vec![spec("hostile_sharded_total", MetricKind::Counter, "c")],
        |spec| Metric::ShardedCounter(leak(ShardedCounter::new(spec))),
    );
    let Some(Metric::ShardedCounter(counter)) = registry.iter().next() else {
        unreachable!()
    };
    counter.inc_by(u64::MAX);
    assert_eq!(counter.get(), u64::MAX);
    assert_eq!(only_sample(registry).text, "18446744073709551615");
    counter.inc(); // the same thread, so the same shard wraps
    assert_eq!(counter.get(), 0);
    assert_eq!(only_sample(registry).text, "0");

    // Across shards, the sum wraps too: MAX in one shard plus 2 in others is 1.
    counter.inc_by(u64::MAX);
    std::thread::scope(|s| {
        s.spawn(|| counter.inc());
        s.spawn(|| counter.inc());
    });
    assert_eq!(counter.get(), 1);
    assert_eq!(only_sample(registry).text, "1");
}

#[test]
fn a_labelled_counter_series_wraps_to_zero_past_u64_max() {
    static LABELS: [LabelSpec; 2] = [
        LabelSpec::enumerated("status", &["ok", "error"]),
        LabelSpec::free_form("model", 1),
    ];
    let mut spec = spec("hostile_labelled_total", MetricKind::Counter, "c");
    spec.labels = &LABELS;
    let registry = registry(vec![spec], |spec| family(spec, Counter::new));
    let Some(Metric::Family(family)) = registry.iter().next() else {
        unreachable!()
    };
    let series = |values: &[&str]| match family.with_values(values) {
        Some(Metric::Counter(c)) => c,
        other => panic!("{other:?}"),
    };
    series(&["ok", "bert"]).inc_by(u64::MAX);
    series(&["error", "bert"]).inc_by(7);
    let (_, families) = encode_and_parse(registry);
    let texts: Vec<_> = families[0]
        .samples
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(texts, ["18446744073709551615", "7"]);

    series(&["ok", "bert"]).inc();
    assert_eq!(series(&["ok", "bert"]).get(), 0);
    let (_, families) = encode_and_parse(registry);
    let samples: Vec<_> = families[0]
        .samples
        .iter()
        .map(|s| (s.labels.clone(), s.text.as_str()))
        .collect();
    assert_eq!(
        samples,
        [
            (labels(&[("status", "ok"), ("model", "bert")]), "0"),
            (labels(&[("status", "error"), ("model", "bert")]), "7"),
        ],
        "the wrapped series restarts at 0; the other keeps its count"
    );
}
