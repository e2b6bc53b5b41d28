//! The generated Grafana dashboard (`metrics.dashboard.json`, kept fresh by `cargo xtask
//! metrics dashboard --check` in CI) against Prometheus' own parser: every panel query, with
//! its template variables replaced as Grafana replaces them when All is selected, passes
//! `promtool check rules`, and every name it selects is a recording rule of the committed
//! `metrics.rules.yml` or a metric of the registry.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use geno_metrics_tests::genolewm::METRICS;
use geno_metrics_tests::tools::promtool_check_rules;
use serde_json::Value;

const DASHBOARD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.dashboard.json");
const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.rules.yml");

fn dashboard() -> Value {
    serde_json::from_str(&fs::read_to_string(DASHBOARD).unwrap()).unwrap()
}

/// Every panel query: (panel id, refId, expr).
fn queries(dashboard: &Value) -> Vec<(u64, String, String)> {
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            queries.push((
                panel["id"].as_u64().unwrap(),
                target["refId"].as_str().unwrap().to_owned(),
                target["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    queries
}

/// `expr` as Grafana sends it with every variable at All: a query variable's `allValue`, a
/// custom variable's values as the regex `(a|b)`.
fn substituted(dashboard: &Value, expr: &str) -> String {
    let mut variables: Vec<(String, String)> = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let all = match v["type"].as_str().unwrap() {
                "custom" => {
                    let values: Vec<&str> = v["options"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| o["value"].as_str().unwrap())
                        .filter(|value| *value != "$__all")
                        .collect();
                    format!("({})", values.join("|"))
                }
                _ => v["allValue"].as_str().unwrap_or("").to_owned(),
            };
            (v["name"].as_str().unwrap().to_owned(), all)
        })
        .collect();
    // The longest name first: `$rank` must not eat the start of a `$ranking`.
    variables.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    let mut expr = expr.to_owned();
    for (name, all) in &variables {
        expr = expr
            .replace(&format!("${{{name}}}"), all)
            .replace(&format!("${name}"), all);
    }
    assert!(!expr.contains('$'), "a variable is left in {expr}");
    expr
}

/// The selector of a variable's `label_values(SELECTOR, label)`, itself PromQL.
fn variable_selectors(dashboard: &Value) -> Vec<String> {
    dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["definition"].as_str())
        .filter_map(|q| q.strip_prefix("label_values(")?.rsplit_once(", "))
        .map(|(selector, _)| selector.to_owned())
        .collect()
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
