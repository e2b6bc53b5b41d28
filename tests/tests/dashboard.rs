//! The generated Grafana dashboard (`metrics.dashboard.json`, kept fresh by `cargo xtask
//! metrics dashboard --check` in CI) against Prometheus' own parser: every panel query, with
//! its template variables replaced as Grafana replaces them when All is selected, passes
//! `promtool check rules`. (That every name it selects is a recording rule of
//! `metrics.rules.yml` or a metric of the registry, with the labels it has, is the guard's:
//! the project's `metrics.toml` lists both files, and CI runs `metrics check`.)

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use geno_metrics_tests::grafana::{self, queries, substituted, variable_selectors};
use geno_metrics_tests::tools::promtool_check_rules;
use serde_json::Value;

const DASHBOARD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.dashboard.json");

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
