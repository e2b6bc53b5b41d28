//! One test per rule id: a baseline/head pair, the rule it must report, the bump it requires,
//! and whether the guard passes without and with that bump.

use super::*;

const STEPS: &str =
    "[[metric]]\nname = \"app_steps_total\"\nkind = \"counter\"\nsummary = \"Steps.\"\n";
const LATENCY: &str = "[[metric]]\nname = \"app_latency_seconds\"\nkind = \"histogram\"\nunit = \"seconds\"\nsummary = \"Latency.\"\nbuckets = [0.1, 1]\n";

fn registry(version: &str, metrics: &str) -> Registry {
    registry_ns("app", version, metrics)
}

fn registry_ns(namespace: &str, version: &str, metrics: &str) -> Registry {
    let source =
        format!("[registry]\nnamespace = \"{namespace}\"\nversion = \"{version}\"\n\n{metrics}");
    geno_metrics_schema::parse(&source, "metrics.toml").unwrap_or_else(|r| panic!("{r}"))
}

/// Asserts that `head_metrics` against `base_metrics` reports exactly `rules` (in any order),
/// requires `bump`, and passes only with a version that makes that bump.
fn assert_rule(base_metrics: &str, head_metrics: &str, rules: &[&str], bump: Bump) {
    let base = registry("1.0.0", base_metrics);
    let same_version = diff(Some(&base), &registry("1.0.0", head_metrics));
    let mut found: Vec<&str> = same_version.changes.iter().map(|c| c.rule).collect();
    found.sort_unstable();
    let mut expected = rules.to_vec();
    expected.sort_unstable();
    assert_eq!(found, expected, "{:#?}", same_version.changes);
    assert_eq!(same_version.required_bump, bump);
    assert_eq!(
        same_version.ok,
        bump < Bump::Major,
        "without a bump, only breaking changes fail"
    );
    let bumped = match bump {
        Bump::Major => "2.0.0",
        Bump::Minor => "1.1.0",
        _ => "1.0.1",
    };
    assert!(
        diff(Some(&base), &registry(bumped, head_metrics)).ok,
        "a {bump:?} bump must pass"
    );
    if bump == Bump::Major {
        assert!(
            !diff(Some(&base), &registry("1.1.0", head_metrics)).ok,
            "a minor bump is not enough"
        );
    }
}

#[test]
fn metric_removed() {
    assert_rule(
        &format!("{STEPS}{LATENCY}"),
        STEPS,
        &["metric-removed"],
        Bump::Major,
    );
}

#[test]
fn metric_renamed_declared() {
    let head = STEPS.replace("app_steps_total", "app_optimizer_steps_total")
        + "renamed_from = \"app_steps_total\"\n";
    assert_rule(STEPS, &head, &["metric-renamed"], Bump::Major);
    let v = diff(Some(&registry("1.0.0", STEPS)), &registry("1.0.0", &head));
    let c = &v.changes[0];
    assert_eq!(
        (c.from.as_deref(), c.to.as_deref()),
        (Some("app_steps_total"), Some("app_optimizer_steps_total"))
    );
    assert!(c.message.contains("renamed_from"), "{}", c.message);
    assert!(
        c.message.contains("deprecated"),
        "says how to proceed: {}",
        c.message
    );
}

#[test]
fn metric_renamed_probable() {
    // Removed and added with the same kind, unit and buckets: reported as a rename.
    let head = LATENCY.replace("app_latency_seconds", "app_request_latency_seconds");
    assert_rule(LATENCY, &head, &["metric-renamed"], Bump::Major);
    let v = diff(Some(&registry("1.0.0", LATENCY)), &registry("1.0.0", &head));
    assert!(v.changes[0].message.contains("probable rename"));
    // A different shape is a removal plus an addition instead.
    let other = head.replace("buckets = [0.1, 1]", "buckets = [0.5, 5]");
    assert_rule(
        LATENCY,
        &other,
        &["metric-added", "metric-removed"],
        Bump::Major,
    );
}

#[test]
fn kind_changed() {
    let head = "[[metric]]\nname = \"app_queue_items\"\nkind = \"histogram\"\nsummary = \"Q.\"\n";
    let base = "[[metric]]\nname = \"app_queue_items\"\nkind = \"gauge\"\nsummary = \"Q.\"\n";
    assert_rule(base, head, &["kind-changed"], Bump::Major);
}

#[test]
fn unit_changed() {
    let base = "[[metric]]\nname = \"app_size_bytes\"\nkind = \"gauge\"\nsummary = \"S.\"\n";
    let head = "[[metric]]\nname = \"app_size_bytes\"\nkind = \"gauge\"\nunit = \"bytes\"\nsummary = \"S.\"\n";
    assert_rule(base, head, &["unit-changed"], Bump::Major);
}

#[test]
fn buckets_changed() {
    assert_rule(
        LATENCY,
        &LATENCY.replace("[0.1, 1]", "[0.1, 0.5, 1]"),
        &["buckets-changed"],
        Bump::Major,
    );
    // Spelling the defaults out is no change.
    let implicit = "[[metric]]\nname = \"app_x_seconds\"\nkind = \"histogram\"\nunit = \"seconds\"\nsummary = \"X.\"\n";
    let explicit =
        format!("{implicit}buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]\n");
    assert!(
        diff(
            Some(&registry("1.0.0", implicit)),
            &registry("1.0.0", &explicit)
        )
        .changes
        .is_empty()
    );
}

#[test]
fn namespace_changed() {
    let base = registry("1.0.0", STEPS);
    let head = registry_ns("svc", "1.0.0", &STEPS.replace("app_", "svc_"));
    let v = diff(Some(&base), &head);
    let rules: Vec<&str> = v.changes.iter().map(|c| c.rule).collect();
    assert!(rules.contains(&"namespace-changed"), "{rules:?}");
    assert_eq!(v.required_bump, Bump::Major);
    assert!(!v.ok);
    assert!(
        diff(
            Some(&base),
            &registry_ns("svc", "2.0.0", &STEPS.replace("app_", "svc_"))
        )
        .ok
    );
}

#[test]
fn metric_added() {
    assert_rule(
        STEPS,
        &format!("{STEPS}{LATENCY}"),
        &["metric-added"],
        Bump::Minor,
    );
}

#[test]
fn metric_deprecated() {
    assert_rule(
        STEPS,
        &format!("{STEPS}deprecated = \"use app_work_total\"\n"),
        &["metric-deprecated"],
        Bump::Minor,
    );
}

#[test]
fn summary_changed() {
    assert_rule(
        STEPS,
        &STEPS.replace("Steps.", "Optimizer steps."),
        &["summary-changed"],
        Bump::Patch,
    );
}

#[test]
fn no_change_needs_no_bump() {
    let v = diff(Some(&registry("1.0.0", STEPS)), &registry("1.0.0", STEPS));
    assert!(v.changes.is_empty() && v.ok);
    assert_eq!(
        (v.required_bump, v.actual_bump),
        (Bump::None, ActualBump::None)
    );
}

#[test]
fn a_version_that_goes_down_fails() {
    let v = diff(Some(&registry("1.2.0", STEPS)), &registry("1.1.9", STEPS));
    assert_eq!(v.actual_bump, ActualBump::Down);
    assert!(!v.ok);
    assert!(summary_line(&v, "metrics.toml").contains("went down"));
}

#[test]
fn bumps_are_read_as_semver() {
    let v =
        |a: &str, b: &str| actual_bump(&Version::parse(a).unwrap(), &Version::parse(b).unwrap());
    assert_eq!(v("1.2.3", "2.0.0"), ActualBump::Major);
    assert_eq!(v("1.2.3", "1.3.0"), ActualBump::Minor);
    assert_eq!(v("1.2.3", "1.2.4"), ActualBump::Patch);
    assert_eq!(v("1.2.3", "1.2.3"), ActualBump::None);
    assert_eq!(
        v("0.3.1", "0.4.0"),
        ActualBump::Major,
        "0.y: y is the breaking component"
    );
    assert_eq!(v("0.3.1", "0.3.2"), ActualBump::Patch);
    assert_eq!(v("2.0.0", "1.9.9"), ActualBump::Down);
    assert_eq!(
        v("1.0.0+b2", "1.0.0+a1"),
        ActualBump::None,
        "build metadata has no precedence"
    );
    assert_eq!(
        v("1.0.0-rc.1", "1.0.0"),
        ActualBump::None,
        "a release of the same version is no bump"
    );
    assert_eq!(
        next_major(&Version::parse("1.4.2").unwrap()),
        Version::new(2, 0, 0)
    );
    assert_eq!(
        next_major(&Version::parse("0.4.2").unwrap()),
        Version::new(0, 5, 0)
    );
}

#[test]
fn a_new_registry_reports_every_metric_as_added() {
    let v = diff(None, &registry("1.0.0", &format!("{STEPS}{LATENCY}")));
    assert_eq!(v.actual_bump, ActualBump::Initial);
    assert!(v.ok);
    assert!(v.changes.iter().all(|c| c.rule == "metric-added"));
    assert_eq!(v.changes.len(), 2);
}

#[test]
fn findings_point_at_head_lines() {
    let head = format!("{STEPS}{LATENCY}");
    let v = diff(Some(&registry("1.0.0", STEPS)), &registry("1.0.0", &head));
    // The header takes 4 lines; STEPS 4 more; LATENCY's name is on line 10.
    assert_eq!(v.changes[0].line, 10);
    let removed = diff(Some(&registry("1.0.0", &head)), &registry("1.0.0", STEPS));
    assert_eq!(
        removed.changes[0].line, 3,
        "a removal points at the version line to bump"
    );
}

#[test]
fn human_and_github_output() {
    let head = STEPS.replace("app_steps_total", "app_work_total");
    let v = diff(Some(&registry("1.0.0", STEPS)), &registry("1.0.0", &head));
    let text = human(&v, "metrics.toml");
    assert!(text.starts_with("metrics.toml:6: error[metric-renamed] (major bump): metric `app_steps_total` was renamed to `app_work_total`"), "{text}");
    assert!(
        text.contains(
            "FAILED: registry version 1.0.0 -> 1.0.0: required bump major, actual bump none"
        ),
        "{text}"
    );
    assert!(
        text.contains("set `version = \"2.0.0\"` in [registry] (metrics.toml:3)"),
        "{text}"
    );
    let annotations = github(&v, "metrics.toml");
    let lines: Vec<&str> = annotations.lines().collect();
    assert!(
        lines[0].starts_with(
            "::error file=metrics.toml,line=6,title=metric-renamed::metric `app_steps_total`"
        ),
        "{annotations}"
    );
    assert!(
        lines[1].starts_with("::error file=metrics.toml,line=3,title=version-bump::FAILED"),
        "{annotations}"
    );
    // Non-fatal findings are warnings.
    let added = diff(
        Some(&registry("1.0.0", STEPS)),
        &registry("1.1.0", &format!("{STEPS}{LATENCY}")),
    );
    let annotations = github(&added, "metrics.toml");
    assert!(
        annotations.starts_with("::warning file=metrics.toml,line=10,title=metric-added::"),
        "{annotations}"
    );
    assert!(!annotations.contains("::error"));
}
