//! `encode_text` and `encode_openmetrics` byte for byte against golden files, plus the
//! structural rules of the text format checked line by line, and the OpenMetrics golden file
//! read by client_python's strict OpenMetrics parser.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod golden {
    geno_metrics::registry!("fixtures/exposition.toml");
}

use golden::{LATENCY_SECONDS, METRICS, ODD_HELP_RATIO, REQUESTS_TOTAL, TEMPERATURE_CELSIUS};

const GOLDEN: &str = include_str!("../golden/exposition.prom");
const GOLDEN_OPENMETRICS: &str = include_str!("../golden/exposition.openmetrics");

/// Records the golden values, once per process whichever test runs first.
fn record() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(record_once);
}

fn record_once() {
    REQUESTS_TOTAL.inc_by(u64::MAX);
    ODD_HELP_RATIO.set(0.1 + 0.2);
    for v in [5e-6, 0.00005, 0.005, 0.3, 1.0, 2.0, 50_000.0, 1e6, 2e6] {
        LATENCY_SECONDS.observe(v);
    }
}

/// Both golden tests set `TEMPERATURE_CELSIUS` and then encode; they run on parallel threads of
/// one process, so each holds this lock from its `set` to the end of its encoding.
static TEMPERATURE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn encode() -> String {
    let mut out = Vec::new();
    METRICS.encode_text(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The same registry as OpenMetrics: byte for byte the golden file, which client_python's
/// OpenMetrics parser reads back with every HELP, unit, label value and value.
#[test]
fn openmetrics_matches_its_golden_file_and_client_python_reads_it() {
    record();
    let mut out = Vec::new();
    {
        let _held = TEMPERATURE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        TEMPERATURE_CELSIUS.set(f64::NAN);
        METRICS.encode_openmetrics(&mut out).unwrap();
    }
    let text = String::from_utf8(out).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/golden/exposition.openmetrics");
    if std::env::var_os("GOLDEN_OVERWRITE").is_some() {
        std::fs::write(path, &text).unwrap();
        return;
    }
    assert_eq!(
        text, GOLDEN_OPENMETRICS,
        "regenerate with GOLDEN_OVERWRITE=1 and review the diff"
    );
    let read = geno_metrics_tests::python::read_openmetrics(&[std::path::Path::new(path)]);
    let families = match &read[0] {
        Ok(families) => families,
        Err(e) => panic!("client_python refuses the golden file: {e}"),
    };
    // Every family of the text format, under its OpenMetrics name, in the same order.
    let text_families: Vec<String> = GOLDEN
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| {
            let (name, kind) = l.split_once(' ').unwrap();
            match kind {
                "counter" => name.strip_suffix("_total").unwrap_or(name).to_owned(),
                _ => name.to_owned(),
            }
        })
        .collect();
    let om_families: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(om_families, text_families);
    let samples: Vec<(String, f64)> = families
        .iter()
        .flat_map(|f| &f.samples)
        .map(|s| (s.name.clone(), s.float()))
        .collect();
    let text_samples = GOLDEN.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(
        samples.len(),
        text_samples,
        "the same samples as the text format"
    );
    assert!(
        samples
            .iter()
            .any(|(name, v)| name == "golden_requests_total" && *v == u64::MAX as f64),
        "{samples:?}"
    );
}

#[test]
fn exposition_matches_the_golden_file() {
    record();
    let _held = TEMPERATURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for (value, spelled) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "+Inf"),
        (f64::NEG_INFINITY, "-Inf"),
    ] {
        TEMPERATURE_CELSIUS.set(value);
        let text = encode();
        let expected = GOLDEN.replace(
            "golden_temperature_celsius NaN",
            &format!("golden_temperature_celsius {spelled}"),
        );
        if std::env::var_os("GOLDEN_OVERWRITE").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/golden/exposition.prom");
            std::fs::write(path, &text).unwrap();
            return;
        }
        assert_eq!(
            text, expected,
            "regenerate with GOLDEN_OVERWRITE=1 and review the diff"
        );
    }
    structure_holds(&encode());
}

/// The format's structural rules, independent of values.
fn structure_holds(text: &str) {
    assert!(text.ends_with('\n'), "final newline");
    assert!(!text.contains('\r'), "LF only");
    assert!(!text.contains("\n\n"), "no blank lines");
    let mut families = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            families.push(rest.split(' ').next().unwrap().to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            assert_eq!(
                rest.split(' ').next().unwrap(),
                families.last().unwrap(),
                "TYPE follows its HELP"
            );
            continue;
        }
        let family = families.last().unwrap();
        let sample = line.split([' ', '{']).next().unwrap();
        assert!(
            sample.starts_with(family.as_str()),
            "{line} outside its family block"
        );
        let fields: Vec<&str> = line.rsplitn(2, ' ').collect();
        assert_eq!(fields.len(), 2, "`name value`, no timestamp: {line}");
    }
    let declared: Vec<&str> = METRICS.specs().iter().map(|s| s.name).collect();
    assert_eq!(
        families, declared,
        "one block per family, in registry order"
    );
}

#[test]
fn histogram_lines_are_ordered_and_inf_equals_count() {
    record();
    let text = encode();
    let bucket_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("golden_latency_seconds_bucket"))
        .collect();
    let les: Vec<&str> = bucket_lines
        .iter()
        .map(|l| l.split('"').nth(1).unwrap())
        .collect();
    assert_eq!(
        les,
        [
            "1e-05", "0.0001", "0.005", "0.25", "1", "2.5", "100000", "1e+06", "+Inf"
        ]
    );
    let counts: Vec<u64> = bucket_lines
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]));
    let count_line = text
        .lines()
        .find(|l| l.starts_with("golden_latency_seconds_count "))
        .unwrap();
    assert_eq!(
        count_line
            .rsplit(' ')
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap(),
        *counts.last().unwrap()
    );
}
