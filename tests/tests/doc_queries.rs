//! Every rule file and PromQL query the docs show (`geno_metrics_tests::doc_snippets`) passes
//! `promtool check rules`: a query with a typo, a bad selector or a rule file Prometheus would
//! refuse to load fails CI. That the alerts fire on the series node_exporter really produces is
//! `conformance.rs`'s part, which has the servers running.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use geno_metrics_tests::doc_snippets::{self, Kind, Snippet};
use geno_metrics_tests::tools::promtool_check_rules;

/// `promtool check rules` on `rules` (written to `file`): the remarks, empty when it passes
/// cleanly (promtool also lints, e.g. duplicate rules).
fn check_rules(file: &Path, rules: &str) -> Option<String> {
    fs::write(file, rules).unwrap();
    promtool_check_rules(file)
}

/// A query as the one recording rule of a rule file, which promtool parses and checks.
fn as_rule_file(snippet: &Snippet, n: usize) -> String {
    let rule = serde_json::json!({
        "groups": [{
            "name": "docs",
            "rules": [{ "record": format!("docs:query:{n}"), "expr": snippet.text.trim() }],
        }],
    });
    rule.to_string()
}

#[test]
fn every_rule_file_and_query_in_the_docs_passes_promtool() {
    let snippets = doc_snippets::all();
    assert!(
        snippets.iter().any(|s| s.kind == Kind::RuleFile),
        "no rule file found in the docs: the extraction is broken"
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("doc_queries");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for (n, snippet) in snippets.iter().enumerate() {
        let rules = match snippet.kind {
            Kind::RuleFile => snippet.text.clone(),
            Kind::Query => as_rule_file(snippet, n),
        };
        if let Some(said) = check_rules(&dir.join(format!("snippet-{n}.yml")), &rules) {
            failures.push(format!(
                "{}:\n{}\npromtool: {said}",
                snippet.place, snippet.text
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_broken_query_is_caught() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("doc_queries_broken");
    fs::create_dir_all(&dir).unwrap();
    let broken = Snippet {
        place: "test".into(),
        kind: Kind::Query,
        text: "rate(geno_lewm_train_steps_total[5m]\n".into(),
    };
    assert!(check_rules(&dir.join("broken.yml"), &as_rule_file(&broken, 0)).is_some());
}
