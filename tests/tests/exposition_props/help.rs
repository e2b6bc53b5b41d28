//! HELP text: any UTF-8 summary and deprecation reason comes back exactly, and none can forge
//! a line.

use geno_metrics::{Counter, Metric, MetricKind, MetricSpec, Registry};
use proptest::prelude::*;

use super::support::*;
use geno_metrics_tests::text_format::Kind;

/// How the exposition says a metric is deprecated: the reason after the summary.
fn expected_help(summary: &str, deprecated: Option<&str>) -> String {
    match deprecated {
        Some(reason) => format!("{summary} (Deprecated: {reason})"),
        None => summary.to_owned(),
    }
}

fn check_help(metrics: &[(String, Option<String>)]) {
    let kinds = [
        MetricKind::Counter,
        MetricKind::Gauge,
        MetricKind::Histogram,
    ];
    let specs: Vec<MetricSpec> = metrics
        .iter()
        .enumerate()
        .map(|(i, (summary, deprecated))| {
            let kind = kinds[i % 3];
            let name = match kind {
                MetricKind::Counter => format!("hostile_m{i}_total"),
                MetricKind::Gauge => format!("hostile_m{i}_ratio"),
                MetricKind::Histogram => format!("hostile_m{i}_seconds"),
                MetricKind::Info => unreachable!("not among the kinds drawn"),
            };
            let mut spec = spec(&name, kind, summary);
            spec.deprecated = deprecated.as_deref().map(leak_str);
            if kind == MetricKind::Histogram {
                spec.buckets = &[0.5, 1.0];
            }
            spec
        })
        .collect();
    let registry = registry(specs, plain);
    let (text, families) = encode_and_parse(registry);
    assert_eq!(families.len(), metrics.len(), "{text}");
    for ((family, spec), (summary, deprecated)) in
        families.iter().zip(registry.specs()).zip(metrics)
    {
        assert_eq!(family.name, spec.name, "families in registry order");
        assert_eq!(
            family.help,
            expected_help(summary, deprecated.as_deref()),
            "HELP of {}",
            spec.name
        );
        let kind = match spec.kind {
            MetricKind::Counter => Kind::Counter,
            MetricKind::Gauge => Kind::Gauge,
            MetricKind::Histogram => Kind::Histogram,
            MetricKind::Info => unreachable!("not among the kinds drawn"),
        };
        assert_eq!(family.kind, kind);
        let samples = if kind == Kind::Histogram { 5 } else { 1 };
        assert_eq!(family.samples.len(), samples, "{text}");
    }
}

proptest! {
    #![proptest_config(config(2048))]

    /// Any UTF-8 summary, and any deprecation reason, comes back exactly as HELP.
    #[test]
    fn help_round_trips_any_utf8(
        metrics in prop::collection::vec(
            (hostile_string(40), prop::option::weighted(0.3, hostile_string(20))),
            1..=4,
        ),
    ) {
        check_help(&metrics);
    }
}

#[test]
fn help_text_cannot_forge_lines() {
    let forged = "x\n# TYPE hostile_evil_total counter\nhostile_evil_total 1\n# HELP y \\n";
    check_help(&[(forged.to_owned(), Some("see\nbelow\\".to_owned()))]);
    let (registry, _) = one_counter_with_summary(forged);
    let text = String::from_utf8(encode(registry)).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
}

fn one_counter_with_summary(summary: &str) -> (&'static Registry, &'static Counter) {
    let registry = registry(
        vec![spec("hostile_help_total", MetricKind::Counter, summary)],
        plain,
    );
    let Some(Metric::Counter(c)) = registry.iter().next() else {
        unreachable!()
    };
    (registry, c)
}

/// A summary's leading blanks are written after the one separating space, so the Prometheus
/// server reads them back. node_exporter (Go's `expfmt`) skips every blank before the HELP
/// text, so it shows `lead` here: the format has no escape for a leading blank, in any
/// client. An empty summary is written as an empty HELP text.
#[test]
fn leading_blanks_of_help_are_written_verbatim() {
    for (summary, line) in [
        ("  \tlead", "# HELP hostile_help_total   \tlead"),
        ("", "# HELP hostile_help_total "),
        ("trail \r", "# HELP hostile_help_total trail \r"),
    ] {
        let (registry, _) = one_counter_with_summary(summary);
        let (text, families) = encode_and_parse(registry);
        assert_eq!(text.split('\n').next(), Some(line));
        assert_eq!(families[0].help, summary);
    }
}
