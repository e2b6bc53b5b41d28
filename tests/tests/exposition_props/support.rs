//! What every subject shares: the checks of what a reader must get back, registries built at
//! run time, and the strategies of hostile input.

use geno_metrics::__private::{Series, labelled};
use geno_metrics::{
    AnyHistogram, AnyShardedHistogram, Counter, Family, Gauge, Histogram, Metric, MetricKind,
    MetricSpec, Registry, ShardedHistogram,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

use geno_metrics_tests::text_format::{self, Sample, parse_go_float};

/// Asserts that `parsed`, read from the exposition, is what was recorded as `recorded`: a NaN
/// reads as a NaN (its payload is not written), both zeros read as `+0` (the encoder writes
/// `0` for `-0.0`, as client_golang does, and Go's ParseFloat reads `0` as `+0`), and every
/// other value bit for bit.
pub(crate) fn assert_reads_back(parsed: f64, recorded: f64, what: &str) {
    if recorded.is_nan() {
        assert!(parsed.is_nan(), "{what}: NaN read back as {parsed:e}");
    } else if recorded == 0.0 {
        assert_eq!(
            parsed.to_bits(),
            0.0f64.to_bits(),
            "{what}: a zero read back"
        );
    } else {
        assert_eq!(
            parsed.to_bits(),
            recorded.to_bits(),
            "{what}: {recorded:e} read back as {parsed:e}"
        );
    }
}

/// Asserts that `text` has the shape of Go's `strconv.FormatFloat(v, 'g', -1, 64)` as
/// client_golang writes it: `NaN`, `+Inf`, `-Inf`, `0` for both zeros; otherwise the shortest
/// digit count that reads back (as many as Rust's shortest `{:e}`), exponent form exactly
/// when the decimal exponent is below -4 or at least 6, with a sign and two digits at least.
pub(crate) fn assert_go_spelling(text: &str, v: f64) {
    if v.is_nan() {
        return assert_eq!(text, "NaN");
    }
    if v.is_infinite() {
        return assert_eq!(text, if v > 0.0 { "+Inf" } else { "-Inf" });
    }
    if v == 0.0 {
        return assert_eq!(text, "0", "{v:e}");
    }
    let unsigned = if v < 0.0 {
        text.strip_prefix('-').expect("a minus sign")
    } else {
        text
    };
    let mantissa = match unsigned.split_once('e') {
        Some((mantissa, exponent)) => {
            let digits = exponent
                .strip_prefix(['+', '-'])
                .unwrap_or_else(|| panic!("{text}: exponent without a sign"));
            assert!(
                digits.len() == 2 || (digits.len() == 3 && !digits.starts_with('0')),
                "{text}: exponent digits"
            );
            let exponent: i32 = exponent.parse().unwrap();
            assert!(!(-4..6).contains(&exponent), "{text}: needs no exponent");
            assert!(
                mantissa.len() == 1 || mantissa.as_bytes()[1] == b'.',
                "{text}: one digit before the point"
            );
            mantissa
        }
        None => {
            let exponent = match unsigned.strip_prefix("0.") {
                Some(fraction) => -(fraction.bytes().take_while(|&b| b == b'0').count() as i32) - 1,
                None => unsigned.split('.').next().unwrap().len() as i32 - 1,
            };
            assert!((-4..6).contains(&exponent), "{text}: needs an exponent");
            unsigned
        }
    };
    assert!(
        !mantissa.starts_with('0') || mantissa.starts_with("0."),
        "{text}: leading zero"
    );
    assert!(
        !(mantissa.contains('.') && mantissa.ends_with(['0', '.'])),
        "{text}: trailing zeros"
    );
    let significant: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = significant.trim_start_matches('0').trim_end_matches('0');
    let shortest = format!("{:e}", v.abs());
    let shortest_digits = shortest.split('e').next().unwrap().replace('.', "");
    assert_eq!(
        significant.len(),
        shortest_digits.len(),
        "{text}: not the shortest digits (Rust's shortest is {shortest})"
    );
}

pub(crate) fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

pub(crate) fn leak_str(s: &str) -> &'static str {
    String::leak(s.to_owned())
}

pub(crate) fn spec(name: &str, kind: MetricKind, summary: &str) -> MetricSpec {
    MetricSpec::new(leak_str(name), kind, leak_str(summary))
}

/// A registry over `specs`, with the handle `make` builds for each.
pub(crate) fn registry(
    specs: Vec<MetricSpec>,
    make: impl Fn(&'static MetricSpec) -> Metric,
) -> &'static Registry {
    let specs: &'static [MetricSpec] = specs.leak();
    let metrics: &'static [Metric] = specs.iter().map(make).collect::<Vec<_>>().leak();
    leak(Registry::new(specs, metrics))
}

/// The plain handle for an unlabelled spec.
pub(crate) fn plain(spec: &'static MetricSpec) -> Metric {
    match spec.kind {
        MetricKind::Counter => Metric::Counter(leak(Counter::new(spec))),
        MetricKind::Gauge => Metric::Gauge(leak(Gauge::new(spec))),
        MetricKind::Histogram => Metric::Histogram(histogram(spec)),
        MetricKind::Info => unreachable!("an info metric has labels; build an Info"),
    }
}

/// Bucket counts are a const parameter: these are the ones the strategies produce.
pub(crate) fn histogram(spec: &'static MetricSpec) -> &'static AnyHistogram {
    fn any<const N: usize>(h: &'static Histogram<N>) -> &'static AnyHistogram {
        h
    }
    macro_rules! plain_of {
        ($($n:literal)*) => {
            match spec.buckets.len() {
                $($n => any(leak(Histogram::<$n>::new(spec))),)*
                n => panic!("no histogram with {n} bounds here: extend the list"),
            }
        };
    }
    plain_of!(0 1 2 3 4 5 6 7 8)
}

pub(crate) fn sharded_histogram(spec: &'static MetricSpec) -> &'static dyn AnyShardedHistogram {
    fn dynamic<const N: usize>(
        h: &'static ShardedHistogram<N>,
    ) -> &'static dyn AnyShardedHistogram {
        h
    }
    macro_rules! sharded_of {
        ($($n:literal)*) => {
            match spec.buckets.len() {
                $($n => dynamic(leak(ShardedHistogram::<$n>::new(spec))),)*
                n => panic!("no histogram with {n} bounds here: extend the list"),
            }
        };
    }
    sharded_of!(0 1 2 3 4 5 6 7 8)
}

/// A labelled family of `make(spec)` series, with one free-form label.
pub(crate) fn family<M: Series>(
    spec: &'static MetricSpec,
    make: fn(&'static MetricSpec) -> M,
) -> Metric {
    fn dynamic<M: Series, const S: usize>(
        spec: &'static MetricSpec,
        make: fn(&'static MetricSpec) -> M,
    ) -> &'static dyn Family {
        leak(labelled::<M, S, 1>(
            spec,
            std::array::from_fn(|_| make(spec)),
        ))
    }
    macro_rules! of_size {
        ($($s:literal)*) => {
            match spec.series_count() {
                $($s => dynamic::<M, $s>(spec, make),)*
                n => panic!("no family of {n} series here: extend the list"),
            }
        };
    }
    Metric::Family(of_size!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16))
}

pub(crate) fn encode(registry: &Registry) -> Vec<u8> {
    let mut out = Vec::new();
    registry.encode_text(&mut out).unwrap();
    out
}

/// Encodes and reads back, failing with the whole text when the reader refuses it.
pub(crate) fn encode_and_parse(registry: &Registry) -> (String, Vec<text_format::Family>) {
    let bytes = encode(registry);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    match text_format::parse(&bytes) {
        Ok(families) => (text, families),
        Err(e) => panic!("the reader refuses the exposition: {e}\n{text}"),
    }
}

pub(crate) fn family_named<'a>(
    families: &'a [text_format::Family],
    name: &str,
) -> &'a text_format::Family {
    families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no family {name}"))
}

pub(crate) fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(l, v)| ((*l).to_owned(), (*v).to_owned()))
        .collect()
}

/// Characters that need escaping, that break lines, that look like syntax, controls, and
/// any Unicode scalar value.
pub(crate) fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            '\\', '"', '\n', '\r', '\t', '\0', ' ', 'n', '#', '{', '}', '=', ',', '\u{7f}',
            '\u{85}', '\u{2028}', '\u{feff}', 'é', '基', '🧬',
        ]),
        2 => any::<char>(),
        2 => prop::char::range(' ', '~'),
        1 => prop::char::range('\0', '\u{1f}'),
    ]
}

pub(crate) fn hostile_string(max_len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..=max_len).prop_map(String::from_iter)
}

/// Values worth writing on purpose; the arbitrary bit patterns cover the rest.
pub(crate) const SPECIAL_F64: [f64; 24] = [
    f64::NAN,
    f64::from_bits(0xfff8_0000_0000_0000), // a negative NaN
    f64::from_bits(0x7ff0_0000_0000_0001), // a signalling NaN with a payload
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    f64::from_bits(1), // the smallest subnormal
    -f64::from_bits(1),
    f64::MIN_POSITIVE,
    f64::MIN_POSITIVE / 2.0, // a subnormal
    f64::MAX,
    f64::MIN,
    1e308,
    1e-308,
    f64::EPSILON,
    1e6,
    1e-5,
    999_999.5,
    0.1 + 0.2,
    u64::MAX as f64,
    9_007_199_254_740_993.0, // 2^53 + 1, rounded to 2^53
    -2.5e-10,
    1.0,
];

pub(crate) fn hostile_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => any::<u64>().prop_map(f64::from_bits),
        3 => prop::sample::select(SPECIAL_F64.to_vec()),
        // Powers of two (and both zeros): where the rounding interval is lopsided.
        1 => (0u64..2047, any::<bool>())
            .prop_map(|(e, negative)| f64::from_bits(e << 52 | u64::from(negative) << 63)),
        1 => (1u64..1 << 20).prop_map(f64::from_bits), // small subnormals
        1 => any::<i32>().prop_map(f64::from),
        1 => -1e7..1e7f64,
    ]
}

/// Finite, strictly increasing bucket bounds (possibly none) drawn from any `f64`.
pub(crate) fn bucket_bounds() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(hostile_f64(), 0..=8).prop_map(|mut bounds| {
        bounds.retain(|b| b.is_finite());
        bounds.sort_by(f64::total_cmp);
        bounds.dedup_by(|a, b| a == b); // -0.0 == 0.0: one of them
        bounds
    })
}

pub(crate) fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// The histogram a reader must see, worked out from the observations alone.
pub(crate) struct ModelHistogram {
    pub(crate) cumulative: Vec<u64>,
    pub(crate) sum: f64,
    pub(crate) count: u64,
}

pub(crate) fn model_histogram(bounds: &[f64], observations: &[f64]) -> ModelHistogram {
    let kept: Vec<f64> = observations
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .collect();
    let cumulative = bounds
        .iter()
        .chain([&f64::INFINITY])
        .map(|&bound| kept.iter().filter(|&&v| v <= bound).count() as u64)
        .collect();
    ModelHistogram {
        cumulative,
        sum: kept.iter().fold(0.0, |sum, v| sum + v),
        count: kept.len() as u64,
    }
}

/// Checks one histogram series' samples against the model and the bounds.
pub(crate) fn check_histogram_samples(
    samples: &[&Sample],
    bounds: &[f64],
    model: &ModelHistogram,
    snapshot_sum: f64,
    what: &str,
) {
    assert_eq!(samples.len(), bounds.len() + 3, "{what}: sample count");
    let (buckets, rest) = samples.split_at(bounds.len() + 1);
    for (i, bucket) in buckets.iter().enumerate() {
        let le_text = bucket.label("le").unwrap();
        let le = parse_go_float(le_text).unwrap();
        match bounds.get(i) {
            Some(&bound) => {
                assert!(le == bound, "{what}: le {le_text} for bound {bound:e}");
                assert_go_spelling(le_text, bound);
            }
            None => assert_eq!(le_text, "+Inf", "{what}"),
        }
        assert_eq!(
            bucket.text,
            model.cumulative[i].to_string(),
            "{what}: bucket {i}"
        );
    }
    assert_reads_back(rest[0].value, model.sum, &format!("{what} _sum (model)"));
    assert_reads_back(
        rest[0].value,
        snapshot_sum,
        &format!("{what} _sum (snapshot)"),
    );
    assert_go_spelling(&rest[0].text, rest[0].value);
    assert_eq!(rest[1].text, model.count.to_string(), "{what}: _count");
}
