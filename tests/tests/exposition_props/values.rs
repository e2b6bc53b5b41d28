//! Values: any `f64` in a gauge, in bucket bounds and in observations reads back as recorded,
//! spelled as client_golang spells it.

use geno_metrics::{Gauge, Metric, MetricKind, Registry};
use proptest::prelude::*;

use super::support::*;
use geno_metrics_tests::text_format::{self, Sample};

#[derive(Debug, Clone)]
struct ValueCase {
    counters: Vec<(u64, u64)>,
    gauges: Vec<f64>,
    bounds: Vec<f64>,
    observations: Vec<f64>,
}

fn value_case() -> impl Strategy<Value = ValueCase> {
    let counter = prop_oneof![
        (any::<u64>(), any::<u64>()),
        (Just(u64::MAX), 0u64..3),
        (u64::MAX - 3..=u64::MAX, 0u64..5),
    ];
    (
        prop::collection::vec(counter, 0..=3),
        prop::collection::vec(hostile_f64(), 0..=4),
        bucket_bounds(),
    )
        .prop_flat_map(|(counters, gauges, bounds)| {
            // Observations on the bounds themselves, too: `le` is inclusive.
            let on_bounds = if bounds.is_empty() {
                Just(1.0).boxed()
            } else {
                prop::sample::select(bounds.clone()).boxed()
            };
            let observation = prop_oneof![3 => hostile_f64(), 1 => on_bounds];
            (
                Just(counters),
                Just(gauges),
                Just(bounds),
                prop::collection::vec(observation, 0..=16),
            )
        })
        .prop_map(|(counters, gauges, bounds, observations)| ValueCase {
            counters,
            gauges,
            bounds,
            observations,
        })
}

fn check_values(case: &ValueCase) {
    let mut specs = Vec::new();
    for i in 0..case.counters.len() {
        specs.push(spec(
            &format!("hostile_c{i}_total"),
            MetricKind::Counter,
            "c",
        ));
    }
    for i in 0..case.gauges.len() {
        specs.push(spec(&format!("hostile_g{i}_ratio"), MetricKind::Gauge, "g"));
    }
    let bounds: &'static [f64] = case.bounds.clone().leak();
    for name in ["hostile_plain_seconds", "hostile_sharded_seconds"] {
        let mut spec = spec(name, MetricKind::Histogram, "h");
        spec.buckets = bounds;
        specs.push(spec);
    }
    let registry = registry(specs, |spec| match spec.name {
        "hostile_sharded_seconds" => Metric::ShardedHistogram(sharded_histogram(spec)),
        _ => plain(spec),
    });

    let metrics: Vec<Metric> = registry.iter().collect();
    let (counters, rest) = metrics.split_at(case.counters.len());
    let (gauges, histograms) = rest.split_at(case.gauges.len());
    for (metric, &(a, b)) in counters.iter().zip(&case.counters) {
        let Metric::Counter(c) = metric else {
            unreachable!()
        };
        c.inc_by(a);
        c.inc_by(b);
    }
    for (metric, &value) in gauges.iter().zip(&case.gauges) {
        let Metric::Gauge(g) = metric else {
            unreachable!()
        };
        g.set(value);
    }
    let (Metric::Histogram(plain_h), Metric::ShardedHistogram(sharded_h)) =
        (histograms[0], histograms[1])
    else {
        unreachable!()
    };
    for &v in &case.observations {
        plain_h.observe(v);
        sharded_h.observe(v);
    }

    let (text, families) = encode_and_parse(registry);
    let mut families = families.iter();
    for (metric, &(a, b)) in counters.iter().zip(&case.counters) {
        let Metric::Counter(c) = metric else {
            unreachable!()
        };
        let family = families.next().unwrap();
        let expected = a.wrapping_add(b);
        assert_eq!(c.get(), expected, "inc_by wraps past u64::MAX");
        let [sample] = &family.samples[..] else {
            panic!("{text}")
        };
        assert_eq!(
            sample.text,
            expected.to_string(),
            "counters are written in full"
        );
        assert_eq!(sample.value, expected as f64);
    }
    for (metric, &value) in gauges.iter().zip(&case.gauges) {
        let Metric::Gauge(g) = metric else {
            unreachable!()
        };
        let family = families.next().unwrap();
        assert_eq!(g.get().to_bits(), value.to_bits(), "a gauge keeps any bits");
        let [sample] = &family.samples[..] else {
            panic!("{text}")
        };
        assert_reads_back(sample.value, g.get(), &family.name);
        assert_go_spelling(&sample.text, value);
    }
    let model = model_histogram(bounds, &case.observations);
    for (metric, family) in histograms.iter().zip(families) {
        let snapshot_sum = match metric {
            Metric::Histogram(h) => h.snapshot().sum,
            Metric::ShardedHistogram(h) => h.snapshot().sum,
            other => unreachable!("{other:?}"),
        };
        let samples: Vec<&Sample> = family.samples.iter().collect();
        check_histogram_samples(&samples, bounds, &model, snapshot_sum, &family.name);
    }
}

proptest! {
    #![proptest_config(config(2048))]

    /// Counters, gauges and histograms (plain and sharded) with any values and bounds read
    /// back as recorded.
    #[test]
    fn values_round_trip(case in value_case()) {
        check_values(&case);
    }
}

#[test]
fn special_values_are_spelled_like_client_golang() {
    let cases: &[(f64, &str)] = &[
        (-0.0, "0"), // Go would write "-0"; client_golang writes "0", and so does the encoder
        (0.0, "0"),
        (f64::NAN, "NaN"),
        (f64::from_bits(0xfff8_0000_0000_0001), "NaN"),
        (f64::INFINITY, "+Inf"),
        (f64::NEG_INFINITY, "-Inf"),
        (f64::from_bits(1), "5e-324"),
        (-f64::from_bits(1), "-5e-324"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (f64::MIN_POSITIVE / 2.0, "1.1125369292536007e-308"),
        (f64::MAX, "1.7976931348623157e+308"),
        (f64::MIN, "-1.7976931348623157e+308"),
        (1e308, "1e+308"),
        (1e-308, "1e-308"),
        (1e21, "1e+21"),
        // Powers of two that were once written as the nearest 16 digits, which read back as
        // the float below.
        (
            f64::from_bits(0x0060_0000_0000_0000),
            "7.120236347223045e-307",
        ),
        (
            f64::from_bits(0x75e0_0000_0000_0000),
            "6.150157786156811e+259",
        ),
        (123_456.0, "123456"),
        (0.000_1, "0.0001"),
    ];
    let specs = (0..cases.len())
        .map(|i| spec(&format!("hostile_s{i}_ratio"), MetricKind::Gauge, "s"))
        .collect();
    let registry = registry(specs, plain);
    for (metric, &(value, _)) in registry.iter().zip(cases) {
        let Metric::Gauge(g) = metric else {
            unreachable!()
        };
        g.set(value);
    }
    let (_, families) = encode_and_parse(registry);
    for (family, &(value, spelled)) in families.iter().zip(cases) {
        let sample = &family.samples[0];
        assert_eq!(sample.text, spelled, "{value:e}");
        assert_reads_back(sample.value, value, spelled);
        assert_go_spelling(&sample.text, value);
    }
}

/// Where the interval of values that round to a float is lopsided (the float below a power
/// of two is closer than the one above), shortest digits are easiest to get wrong.
#[test]
fn every_power_of_two_and_its_neighbours_read_back() {
    let spec = leak(spec("hostile_pow_ratio", MetricKind::Gauge, "p"));
    let gauge = leak(Gauge::new(spec));
    let registry = leak(Registry::new(
        std::slice::from_ref(spec),
        leak([Metric::Gauge(gauge)]),
    ));
    let mut out = Vec::new();
    for exponent in 0u64..2047 {
        for bits in [
            exponent << 52,
            (exponent << 52).saturating_sub(1),
            exponent << 52 | 1,
        ] {
            for sign in [0, 1u64 << 63] {
                let value = f64::from_bits(bits | sign);
                gauge.set(value);
                out.clear();
                registry.encode_text(&mut out).unwrap();
                let families = text_format::parse(&out).unwrap();
                let sample = &families[0].samples[0];
                assert_reads_back(sample.value, value, &sample.text);
                assert_go_spelling(&sample.text, value);
            }
        }
    }
}
