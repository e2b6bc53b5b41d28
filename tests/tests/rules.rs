//! The generated rule file (`metrics.rules.yml`, kept fresh by `cargo xtask metrics rules
//! --check` in CI) against Prometheus' own checker: `promtool check rules` loads every
//! recording rule and alert without a remark, and every counter and histogram of the registry
//! has its recording rules.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use geno_metrics::MetricKind;
use geno_metrics_tests::genolewm::METRICS;
use geno_metrics_tests::tools::promtool_check_rules;

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.rules.yml");

#[test]
fn promtool_loads_the_generated_rule_file_without_a_remark() {
    if let Some(remarks) = promtool_check_rules(std::path::Path::new(RULES)) {
        panic!("promtool check rules {RULES}:\n{remarks}");
    }
}

#[test]
fn every_counter_and_histogram_has_its_recording_rules() {
    let rules = std::fs::read_to_string(RULES).unwrap();
    for spec in METRICS.specs() {
        let wanted: Vec<String> = match spec.kind {
            MetricKind::Counter => {
                let stem = spec.name.strip_suffix("_total").unwrap_or(spec.name);
                vec![format!(":{stem}:rate5m\"")]
            }
            MetricKind::Histogram => [
                "_bucket:rate5m",
                ":p50_rate5m",
                ":p90_rate5m",
                ":p99_rate5m",
            ]
            .iter()
            .map(|op| format!(":{}{op}\"", spec.name))
            .collect(),
            _ => Vec::new(),
        };
        for record in wanted {
            assert!(
                rules.contains(&record),
                "no recording rule ending in {record} for {}",
                spec.name
            );
        }
    }
}
