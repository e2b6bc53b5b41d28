//! The guard over queries as a user runs it, on the fixtures in `tests/fixtures/guard`: a shop's
//! registry (`v1.toml`) lists a hand-written rule file and a Grafana dashboard; `v2.toml`
//! removes a metric both use, at a minor version, `v2-major.toml` at a major one; `bad/` lists
//! files with one broken query of each kind.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::{exits, text};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-geno-metrics");

/// Where the removed metric is used: the alert's `expr` and the dashboard panel's.
const RULE_USE: &str = "rules/shop.rules.yml:14";
const PANEL_USE: &str = "grafana/shop.json:39";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guard")
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("geno-metrics")
        .args(args)
        .current_dir(fixtures())
        .output()
        .unwrap()
}

/// `diff --baseline v1.toml --file HEAD --format FORMAT`, which must exit with `code`: what it
/// printed.
fn diff(head: &str, format: &str, code: i32) -> String {
    let out = run(&[
        "diff",
        "--baseline",
        "v1.toml",
        "--file",
        head,
        "--format",
        format,
    ]);
    exits(&out, code);
    text(&out.stdout)
}

/// The one line of `said` that holds `needle`.
fn line_with<'a>(said: &'a str, needle: &str) -> &'a str {
    let lines: Vec<&str> = said.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(lines.len(), 1, "{needle:?} in:\n{said}");
    lines[0]
}

/// Both queries that use the removed metric are reported once, as `finding`
/// (`error[query-goes-blank]`, ...).
fn both_uses_reported(said: &str, finding: &str) {
    for at in [RULE_USE, PANEL_USE] {
        line_with(said, &format!("{at}: {finding}"));
    }
}

#[test]
fn the_fixtures_queries_are_clean_against_the_registry_they_were_written_for() {
    let out = run(&["check", "--file", "v1.toml"]);
    exits(&out, 0);
    let said = text(&out.stdout);
    assert!(
        said.contains("v1.toml: 8 queries in 2 listed files: ok"),
        "{said}"
    );
}

#[test]
fn removing_a_metric_that_a_rule_and_a_panel_use_fails_the_diff_at_both() {
    let said = diff("v2.toml", "human", 1);
    // The registry's side: the removal and the queries it blanks, both needing a major bump.
    let change = line_with(&said, "error[query-goes-blank] (major bump)");
    assert!(change.contains("`shop_payment_failures_total`"), "{change}");
    assert!(
        change.contains(RULE_USE) && change.contains(PANEL_USE),
        "{change}"
    );
    assert!(said.contains("error[metric-removed]"), "{said}");
    // Each query, where it is.
    both_uses_reported(&said, "error[query-goes-blank]");
    assert!(said.contains("in alert `ShopPaymentsFailing`"), "{said}");
    assert!(
        said.contains("in panel \"Payment failures by reason\""),
        "{said}"
    );
    // Not reported twice as unknown names.
    assert!(!said.contains("query-unknown-metric"), "{said}");
    assert!(
        said.contains("FAILED: registry version 1.0.0 -> 1.1.0"),
        "{said}"
    );
}

#[test]
fn after_a_major_bump_the_diff_passes_and_still_warns_that_the_queries_go_blank() {
    let said = diff("v2-major.toml", "human", 0);
    both_uses_reported(&said, "warning[query-goes-blank]");
    assert!(!said.contains("error["), "{said}");
    assert!(
        said.contains("ok: registry version 1.0.0 -> 2.0.0")
            && said.contains("warning: 2 queries of the listed files go blank"),
        "{said}"
    );
    // GitHub annotations on the queries' own lines.
    let said = diff("v2-major.toml", "github", 0);
    for (file, line) in [RULE_USE, PANEL_USE].map(|at| at.rsplit_once(':').unwrap()) {
        let annotation = format!(
            "::warning file=geno-metrics-cli/tests/fixtures/guard/{file},line={line},title=query-goes-blank::"
        );
        assert!(said.contains(&annotation), "{annotation} not in:\n{said}");
    }
    // JSON: the change and each query.
    let json: serde_json::Value = serde_json::from_str(&diff("v2-major.toml", "json", 0)).unwrap();
    assert_eq!(json["ok"], true);
    let changes = json["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["rule"] == "query-goes-blank" && c["required_bump"] == "major")
    );
    let queries = json["queries"].as_array().unwrap();
    let at: Vec<(String, u64, String)> = queries
        .iter()
        .map(|q| {
            (
                q["file"]
                    .as_str()
                    .unwrap()
                    .rsplit("guard/")
                    .next()
                    .unwrap()
                    .to_owned(),
                q["line"].as_u64().unwrap(),
                q["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            ("rules/shop.rules.yml".to_owned(), 14, "warning".to_owned()),
            ("grafana/shop.json".to_owned(), 39, "warning".to_owned())
        ]
    );
}

#[test]
fn check_reports_the_queries_the_registry_no_longer_serves() {
    let out = run(&["check", "--file", "v2.toml"]);
    exits(&out, 1);
    let said = text(&out.stderr);
    both_uses_reported(&said, "error[query-unknown-metric]");
}

#[test]
fn check_reports_each_kind_of_broken_query_at_its_line() {
    let out = run(&["check", "--file", "bad/metrics.toml"]);
    exits(&out, 1);
    let said = text(&out.stderr);
    let found: Vec<&str> = said
        .lines()
        .filter(|l| l.contains(": error["))
        .map(|l| l.rsplit("guard/").next().unwrap())
        .map(|l| l.split_once("]: ").unwrap().0)
        .collect();
    assert_eq!(
        found,
        [
            "bad/metrics.toml:5: error[query-file-unreadable",
            "bad/bad.rules.yml:5: error[query-unknown-metric",
            "bad/bad.rules.yml:7: error[query-rate-over-gauge",
            "bad/bad.rules.yml:9: error[query-not-a-series",
            "bad/bad.json:7: error[query-quantile-not-bucket",
            "bad/bad.json:13: error[query-unknown-label",
            "bad/bad.json:14: error[query-syntax",
            "bad/broken.json:1: error[query-file-invalid",
        ],
        "{said}"
    );
    // Each with what to do.
    assert_eq!(said.matches("\n  = help: ").count(), found.len(), "{said}");
    assert!(said.contains("did you mean `shop_orders_total`?"), "{said}");
    assert!(said.contains("did you mean `method`?"), "{said}");
    assert!(
        said.contains("/bad/metrics.toml lists have 8 problems"),
        "{said}"
    );
}
