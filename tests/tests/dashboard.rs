//! The generated Grafana dashboard (`metrics.dashboard.json`, kept fresh by `cargo xtask
//! metrics dashboard --check` in CI) against Prometheus' own parser: every panel query, with
//! its template variables replaced as Grafana replaces them when All is selected, passes
//! `promtool check rules`, and every name it selects is a recording rule of the committed
//! `metrics.rules.yml` or a metric of the registry.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use geno_metrics_tests::genolewm::METRICS;
use geno_metrics_tests::grafana::{self, queries, substituted, variable_selectors};
use geno_metrics_tests::tools::promtool_check_rules;
use serde_json::Value;

const DASHBOARD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.dashboard.json");
const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.rules.yml");

fn dashboard() -> Value {
    grafana::load(std::path::Path::new(DASHBOARD))
}

#[test]
fn every_panel_query_is_promql_promtool_accepts() {
    let dashboard = dashboard();
    let mut rules = Vec::new();
    for (id, ref_id, expr) in queries(&dashboard) {
        rules.push(serde_json::json!({
            "record": format!("dashboard:panel_{id}_{ref_id}"),
            "expr": substituted(&dashboard, &expr),
        }));
    }
    for (n, selector) in variable_selectors(&dashboard).into_iter().enumerate() {
        rules.push(serde_json::json!({
            "record": format!("dashboard:variable_{n}"),
            "expr": substituted(&dashboard, &selector),
        }));
    }
    assert!(rules.len() > 40, "only {} queries found", rules.len());
    let file = geno_metrics_tests::fresh_dir(env!("CARGO_TARGET_TMPDIR"), "dashboard", "promql")
        .join("queries.yml");
    let rule_file = serde_json::json!({ "groups": [{ "name": "dashboard", "rules": rules }] });
    fs::write(&file, rule_file.to_string()).unwrap();
    if let Some(remarks) = promtool_check_rules(&file) {
        panic!("promtool check rules {}:\n{remarks}", file.display());
    }
}

#[test]
fn a_query_promtool_refuses_is_caught() {
    let file = geno_metrics_tests::fresh_dir(env!("CARGO_TARGET_TMPDIR"), "dashboard", "broken")
        .join("queries.yml");
    let dashboard = dashboard();
    let broken = substituted(
        &dashboard,
        "sum by (le) (job_rank:geno_lewm_train_gradient_norm_bucket:rate5m{job=~\"$job\"}",
    );
    let rule_file = serde_json::json!({
        "groups": [{ "name": "dashboard", "rules": [{ "record": "dashboard:broken", "expr": broken }] }],
    });
    fs::write(&file, rule_file.to_string()).unwrap();
    assert!(promtool_check_rules(&file).is_some());
}

#[test]
fn every_name_queried_is_a_recording_rule_or_a_metric() {
    let dashboard = dashboard();
    let rules = fs::read_to_string(RULES).unwrap();
    let records: Vec<String> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- record: "))
        .map(|quoted| serde_json::from_str(quoted).unwrap())
        .collect();
    let mut checked = 0;
    let selectors = variable_selectors(&dashboard);
    let exprs = queries(&dashboard).into_iter().map(|(_, _, expr)| expr);
    for expr in exprs.chain(selectors) {
        for name in selected_names(&expr) {
            if name.contains(':') {
                assert!(records.contains(&name), "{expr}: {name} is not in {RULES}");
            } else {
                let metric = name.strip_suffix("_count").unwrap_or(&name);
                assert!(
                    METRICS
                        .specs()
                        .iter()
                        .any(|s| s.name == name || s.name == metric),
                    "{expr}: {name} is not a metric of the registry"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} names found");
}

/// The metric names `expr` selects: the name before each `{`, or the whole of a bare one.
fn selected_names(expr: &str) -> Vec<String> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut before_braces: Vec<&str> = expr.split('{').collect();
    before_braces.pop();
    let bare = (!expr.contains('{') && expr.chars().all(is_name)).then_some(expr);
    before_braces
        .into_iter()
        .filter_map(|text| text.rsplit(|c| !is_name(c)).next())
        .chain(bare)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}
