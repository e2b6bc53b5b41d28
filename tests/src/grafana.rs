//! A Grafana dashboard's queries as Grafana sends them: every panel's `expr`, and each with
//! its template variables replaced as Grafana replaces them when All is selected.

// Test support: a dashboard without the fields Grafana requires is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde_json::Value;

/// The dashboard JSON at `path`.
///
/// # Panics
///
/// When it cannot be read or is not JSON.
pub fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Every panel query: (panel id, refId, expr).
pub fn queries(dashboard: &Value) -> Vec<(u64, String, String)> {
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
pub fn substituted(dashboard: &Value, expr: &str) -> String {
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
pub fn variable_selectors(dashboard: &Value) -> Vec<String> {
    dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["definition"].as_str())
        .filter_map(|q| q.strip_prefix("label_values(")?.rsplit_once(", "))
        .map(|(selector, _)| selector.to_owned())
        .collect()
}
