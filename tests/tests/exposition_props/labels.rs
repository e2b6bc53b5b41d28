//! Label values: any UTF-8 value, enumerated or free-form (overflow included), comes back
//! exactly, in the order of the series.

use std::collections::HashMap;

use geno_metrics::{
    Counter, DROPPED_LABEL_VALUES_METRIC, Gauge, Histogram, LabelSpec, Metric, MetricKind,
    OVERFLOW_LABEL_VALUE,
};
use proptest::prelude::*;

use super::support::*;
use geno_metrics_tests::text_format::Sample;

#[derive(Debug, Clone)]
struct LabelCase {
    /// The enumerated label's values: unique, non-empty, any UTF-8.
    enumerated: Vec<String>,
    max_series: usize,
    /// Whether the free-form label is declared first (it then varies slowest).
    free_first: bool,
    calls: Vec<Call>,
}

#[derive(Debug, Clone)]
struct Call {
    enumerated: usize,
    free: String,
    amount: u64,
    value: f64,
}

fn label_case() -> impl Strategy<Value = LabelCase> {
    let enumerated = prop::collection::vec(
        hostile_string(12).prop_filter("non-empty", |s| !s.is_empty()),
        1..=4,
    )
    .prop_map(|mut values| {
        let mut seen = std::collections::HashSet::new();
        values.retain(|v| seen.insert(v.clone()));
        values
    });
    let pool = prop::collection::vec(
        prop_oneof![9 => hostile_string(12), 1 => Just(OVERFLOW_LABEL_VALUE.to_owned())],
        1..=5,
    );
    (enumerated, 0usize..=3, any::<bool>(), pool).prop_flat_map(
        |(enumerated, max_series, free_first, pool)| {
            let call = (
                0..enumerated.len(),
                prop::sample::select(pool),
                prop_oneof![3 => 0u64..10, 1 => any::<u64>()],
                hostile_f64(),
            )
                .prop_map(|(enumerated, free, amount, value)| Call {
                    enumerated,
                    free,
                    amount,
                    value,
                });
            (
                Just(enumerated),
                Just(max_series),
                Just(free_first),
                prop::collection::vec(call, 0..=12),
            )
                .prop_map(|(enumerated, max_series, free_first, calls)| LabelCase {
                    enumerated,
                    max_series,
                    free_first,
                    calls,
                })
        },
    )
}

const LABELLED_BOUNDS: &[f64] = &[-1.5, 0.0, 2.5];

/// One series a reader must see, worked out from the calls alone.
struct ModelSeries {
    labels: Vec<(String, String)>,
    count: u64,
    gauge: f64,
    observations: Vec<f64>,
}

/// The series in exposition order (first declared label slowest; free-form positions in
/// order of first use, the overflow last) and the number of calls that overflowed.
fn model_series(case: &LabelCase) -> (Vec<ModelSeries>, u64) {
    let mut slots: Vec<&str> = Vec::new();
    let mut dropped = 0u64;
    let mut by_position: HashMap<(usize, usize), ModelSeries> = HashMap::new();
    for call in &case.calls {
        let known = slots.iter().position(|s| *s == call.free);
        let free = match known {
            Some(slot) => slot,
            None if !call.free.is_empty()
                && call.free != OVERFLOW_LABEL_VALUE
                && slots.len() < case.max_series =>
            {
                slots.push(&call.free);
                slots.len() - 1
            }
            None => {
                dropped += 1;
                case.max_series
            }
        };
        let series = by_position
            .entry((call.enumerated, free))
            .or_insert_with(|| ModelSeries {
                labels: Vec::new(),
                count: 0,
                gauge: 0.0,
                observations: Vec::new(),
            });
        series.count = series.count.wrapping_add(call.amount);
        series.gauge = call.value;
        series.observations.push(call.value);
    }
    let width = case.max_series + 1;
    let k = case.enumerated.len();
    let mut ordered = Vec::new();
    for index in 0..k * width {
        let (enumerated, free) = if case.free_first {
            (index % k, index / k)
        } else {
            (index / width, index % width)
        };
        let free_value = match slots.get(free) {
            Some(value) => *value,
            None if free == case.max_series && dropped > 0 => OVERFLOW_LABEL_VALUE,
            None => continue,
        };
        let kind = ("kind".to_owned(), case.enumerated[enumerated].clone());
        let model = ("model".to_owned(), free_value.to_owned());
        let labels = if case.free_first {
            vec![model, kind]
        } else {
            vec![kind, model]
        };
        let mut series = by_position
            .remove(&(enumerated, free))
            .unwrap_or(ModelSeries {
                labels: Vec::new(),
                count: 0,
                gauge: 0.0,
                observations: Vec::new(),
            });
        series.labels = labels;
        ordered.push(series);
    }
    (ordered, dropped)
}

fn check_labels(case: &LabelCase) {
    let enumerated: &'static [&'static str] = case
        .enumerated
        .iter()
        .map(|v| leak_str(v))
        .collect::<Vec<_>>()
        .leak();
    let kind = LabelSpec::enumerated("kind", enumerated);
    let model = LabelSpec::free_form("model", case.max_series);
    let label_specs: &'static [LabelSpec] = if case.free_first {
        leak([model, kind])
    } else {
        leak([kind, model])
    };
    let names = [
        "hostile_requests_total",
        "hostile_level_ratio",
        "hostile_latency_seconds",
    ];
    let kinds = [
        MetricKind::Counter,
        MetricKind::Gauge,
        MetricKind::Histogram,
    ];
    let specs = names
        .iter()
        .zip(kinds)
        .map(|(name, kind)| {
            let mut spec = spec(name, kind, "labelled");
            spec.labels = label_specs;
            if kind == MetricKind::Histogram {
                spec.buckets = LABELLED_BOUNDS;
            }
            spec
        })
        .collect();
    let registry = registry(specs, |spec| match spec.kind {
        MetricKind::Counter => family(spec, Counter::new),
        MetricKind::Gauge => family(spec, Gauge::new),
        MetricKind::Histogram => family(spec, Histogram::<3>::new),
        MetricKind::Info => unreachable!("not among the kinds drawn"),
    });

    for call in &case.calls {
        let enumerated = case.enumerated[call.enumerated].as_str();
        let values: [&str; 2] = if case.free_first {
            [&call.free, enumerated]
        } else {
            [enumerated, &call.free]
        };
        for metric in registry.iter() {
            let Metric::Family(family) = metric else {
                unreachable!()
            };
            match family.with_values(&values).expect("a declared value") {
                Metric::Counter(c) => c.inc_by(call.amount),
                Metric::Gauge(g) => g.set(call.value),
                Metric::Histogram(h) => h.observe(call.value),
                other => unreachable!("{other:?}"),
            }
        }
    }

    let (text, families) = encode_and_parse(registry);
    let (expected, dropped) = model_series(case);

    let counters = family_named(&families, names[0]);
    let got: Vec<_> = counters
        .samples
        .iter()
        .map(|s| (s.labels.clone(), s.text.clone()))
        .collect();
    let want: Vec<_> = expected
        .iter()
        .map(|s| (s.labels.clone(), s.count.to_string()))
        .collect();
    assert_eq!(got, want, "counter series\n{text}");

    let gauges = family_named(&families, names[1]);
    assert_eq!(gauges.samples.len(), expected.len(), "{text}");
    for (sample, series) in gauges.samples.iter().zip(&expected) {
        assert_eq!(sample.labels, series.labels, "{text}");
        assert_reads_back(sample.value, series.gauge, "labelled gauge");
    }

    let histograms = family_named(&families, names[2]);
    let per_series = LABELLED_BOUNDS.len() + 3;
    assert_eq!(
        histograms.samples.len(),
        expected.len() * per_series,
        "{text}"
    );
    for (samples, series) in histograms.samples.chunks(per_series).zip(&expected) {
        for sample in samples {
            assert_eq!(sample.series_labels(), series.labels, "{text}");
        }
        let samples: Vec<&Sample> = samples.iter().collect();
        let model = model_histogram(LABELLED_BOUNDS, &series.observations);
        let sum = model.sum;
        check_histogram_samples(&samples, LABELLED_BOUNDS, &model, sum, "labelled");
    }

    // One dropped-values series per free-form label, at zero from the start.
    let dropped_family = family_named(&families, DROPPED_LABEL_VALUES_METRIC);
    let got: Vec<_> = dropped_family
        .samples
        .iter()
        .map(|s| (s.labels.clone(), s.text.clone()))
        .collect();
    let want: Vec<_> = names
        .iter()
        .map(|name| {
            (
                labels(&[("metric", name), ("label", "model")]),
                dropped.to_string(),
            )
        })
        .collect();
    assert_eq!(got, want, "{text}");
    assert_eq!(
        families.last().map(|f| f.name.as_str()),
        Some(DROPPED_LABEL_VALUES_METRIC)
    );
}

proptest! {
    #![proptest_config(config(1024))]

    /// Enumerated and free-form label values of any UTF-8 come back exactly, in the declared
    /// series order, with the overflow series and its dropped count once `max_series` is full.
    #[test]
    fn label_values_round_trip(case in label_case()) {
        check_labels(&case);
    }
}
