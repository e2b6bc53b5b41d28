//! One test per rule id: a baseline/head pair, the rule it must report, the bump it requires,
//! and whether the guard passes without and with that bump.

use geno_metrics_schema::Registry;
use semver::Version;

use super::render::{github, human, summary_line};
use super::rules::*;

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
fn sharded_changed() {
    let base = "[[metric]]\nname = \"app_hits_total\"\nkind = \"counter\"\nsummary = \"H.\"\n";
    let head = format!("{base}sharded = true\n");
    assert_rule(base, &head, &["sharded-changed"], Bump::Major);
    assert_rule(&head, base, &["sharded-changed"], Bump::Major);
    let base = "[[metric]]\nname = \"app_wait_seconds\"\nkind = \"histogram\"\nsummary = \"W.\"\n";
    let head = format!("{base}sharded = true\n");
    assert_rule(base, &head, &["sharded-changed"], Bump::Major);
    let v = diff(Some(&registry("1.0.0", base)), &registry("2.0.0", &head));
    assert!(
        v.changes[0].message.contains("`get_sharded_histogram`"),
        "{}",
        v.changes[0].message
    );
    assert_eq!(v.changes[0].to.as_deref(), Some("ShardedHistogram"));
}

#[test]
fn unit_changed() {
    // Under an unchanged name, only the declaration of the unit the name spells can come or
    // go: the series are the same, so it is a patch, either way.
    let base = "[[metric]]\nname = \"app_size_bytes\"\nkind = \"gauge\"\nsummary = \"S.\"\n";
    let head = "[[metric]]\nname = \"app_size_bytes\"\nkind = \"gauge\"\nunit = \"bytes\"\nsummary = \"S.\"\n";
    assert_rule(base, head, &["unit-changed"], Bump::Patch);
    assert_rule(head, base, &["unit-changed"], Bump::Patch);
    // With a rename, the unit is part of what changed: major.
    let renamed = "[[metric]]\nname = \"app_size_seconds\"\nrenamed_from = \"app_size_bytes\"\nkind = \"gauge\"\nunit = \"seconds\"\nsummary = \"S.\"\n";
    assert_rule(
        head,
        renamed,
        &["metric-renamed", "unit-changed"],
        Bump::Major,
    );
    let v = diff(Some(&registry("1.0.0", head)), &registry("1.0.0", renamed));
    let unit = v.changes.iter().find(|c| c.rule == "unit-changed").unwrap();
    assert_eq!(unit.required_bump, Bump::Major);
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
    assert_eq!(
        next_major(&Version::parse("0.0.4").unwrap()),
        Version::new(0, 0, 5)
    );
}

/// The guard's notion of a compatible bump is Cargo's caret rule, over `x.y.z`, `0.y.z`,
/// `0.0.z` and pre-releases, with and without a breaking change.
#[test]
fn a_breaking_change_needs_a_bump_cargo_reads_as_incompatible() {
    let parse = |v: &str| Version::parse(v).unwrap();
    // (base, head, caret-compatible, bump as reported)
    let table = [
        ("1.2.3", "1.2.4", true, ActualBump::Patch),
        ("1.2.3", "1.3.0", true, ActualBump::Minor),
        ("1.2.3", "2.0.0", false, ActualBump::Major),
        ("1.2.3", "1.3.0-rc.1", true, ActualBump::Minor),
        ("1.2.3", "2.0.0-alpha.1", false, ActualBump::Major),
        ("2.0.0-alpha.1", "2.0.0-alpha.2", true, ActualBump::None),
        ("2.0.0-alpha.1", "2.0.0", true, ActualBump::None),
        ("2.0.0-alpha.1", "3.0.0", false, ActualBump::Major),
        ("0.3.1", "0.3.2", true, ActualBump::Patch),
        ("0.3.1", "0.4.0", false, ActualBump::Major),
        ("0.3.1", "1.0.0", false, ActualBump::Major),
        ("0.0.1", "0.0.2", false, ActualBump::Major),
        ("0.0.1", "0.1.0", false, ActualBump::Major),
        ("0.0.1", "0.0.1", true, ActualBump::None),
        ("0.0.1-rc.1", "0.0.1", true, ActualBump::None),
        ("0.3.1-rc.1", "0.3.1-rc.2", true, ActualBump::None),
        ("0.3.1", "0.4.0-rc.1", false, ActualBump::Major),
        ("1.2.3+b1", "1.2.3+b2", true, ActualBump::None),
    ];
    for (base, head, compatible, bump) in table {
        let case = format!("{base} -> {head}");
        assert_eq!(
            caret_compatible(&parse(base), &parse(head)),
            compatible,
            "{case}"
        );
        assert_eq!(actual_bump(&parse(base), &parse(head)), bump, "{case}");
        // A breaking change passes exactly when Cargo would not pick `head` for `^base`.
        let breaking = diff(
            Some(&registry(base, STEPS)),
            &registry(
                head,
                &STEPS.replace("app_steps_total", "app_optimizer_steps_total"),
            ),
        );
        assert_eq!(breaking.required_bump, Bump::Major, "{case}");
        assert_eq!(breaking.ok, !compatible, "{case}: {breaking:#?}");
        // A change that breaks nothing passes at any version that does not go down.
        let harmless = diff(
            Some(&registry(base, STEPS)),
            &registry(head, &STEPS.replace("Steps.", "Optimizer steps.")),
        );
        assert!(harmless.ok, "{case}: {harmless:#?}");
    }
}

/// The field report: `0.0.1` -> `0.0.2` with a metric removed passes, as Cargo treats every
/// `0.0.z` step as incompatible.
#[test]
fn a_removal_in_a_0_0_z_registry_passes_with_a_patch_step() {
    let base = registry_ns(
        "zq",
        "0.0.1",
        "[[metric]]\nname = \"zq_jobs_total\"\nkind = \"counter\"\nsummary = \"J.\"\n[[metric]]\nname = \"zq_queue_depth\"\nkind = \"gauge\"\nsummary = \"Q.\"\n",
    );
    let head = registry_ns(
        "zq",
        "0.0.2",
        "[[metric]]\nname = \"zq_jobs_total\"\nkind = \"counter\"\nsummary = \"J.\"\n",
    );
    let v = diff(Some(&base), &head);
    assert_eq!(
        (v.required_bump, v.actual_bump),
        (Bump::Major, ActualBump::Major)
    );
    assert!(v.ok, "{}", summary_line(&v, "metrics.toml"));
    let same = diff(
        Some(&base),
        &registry_ns(
            "zq",
            "0.0.1",
            "[[metric]]\nname = \"zq_jobs_total\"\nkind = \"counter\"\nsummary = \"J.\"\n",
        ),
    );
    assert!(!same.ok);
    assert!(summary_line(&same, "metrics.toml").contains("set `version = \"0.0.2\"`"));
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

/// `app_work_total` with `labels = {labels}`, or without labels when `labels` is empty.
fn work(labels: &str) -> String {
    let mut metric =
        "[[metric]]\nname = \"app_work_total\"\nkind = \"counter\"\nsummary = \"Work.\"\n"
            .to_owned();
    if !labels.is_empty() {
        metric.push_str(&format!("labels = {labels}\n"));
    }
    metric
}

/// The only change of `base` -> `head` (both at version 1.0.0) reported under `rule`.
fn change_of(base: &str, head: &str, rule: &str) -> Change {
    let v = diff(Some(&registry("1.0.0", base)), &registry("1.0.0", head));
    let mut found = v.changes.into_iter().filter(|c| c.rule == rule);
    let change = found.next().unwrap_or_else(|| panic!("no {rule}"));
    assert!(found.next().is_none(), "one {rule} per metric and label");
    change
}

const PHASE: &str = "{ phase = [\"train\", \"eval\"] }";

#[test]
fn label_added() {
    assert_rule(&work(""), &work(PHASE), &["label-added"], Bump::Major);
    let c = change_of(&work(""), &work(PHASE), "label-added");
    assert_eq!(
        (c.from.as_deref(), c.to.as_deref()),
        (None, Some("phase = [\"train\", \"eval\"]"))
    );
    assert_eq!(c.line, 6, "points at the head metric's name");
    assert!(
        c.message.starts_with(
            "`app_work_total` gained the enumerated label `phase` (`train`, `eval`): its series change identity"
        ),
        "{}",
        c.message
    );
    assert!(
        c.message
            .contains("the type of `WORK_TOTAL` changes to `WorkTotalFamily`"),
        "{}",
        c.message
    );
    assert!(
        c.message.contains("deprecated"),
        "how to proceed: {}",
        c.message
    );

    // A second label, free-form.
    let both = "{ phase = [\"train\", \"eval\"], model = { max_series = 8 } }";
    assert_rule(&work(PHASE), &work(both), &["label-added"], Bump::Major);
    let c = change_of(&work(PHASE), &work(both), "label-added");
    assert_eq!(c.to.as_deref(), Some("model = { max_series = 8 }"));
    assert!(
        c.message
            .contains("free-form label `model` (up to 8 values)")
            && c.message
                .contains("`WORK_TOTAL.with(..)` takes a new `model` argument"),
        "{}",
        c.message
    );
}

#[test]
fn label_removed() {
    assert_rule(&work(PHASE), &work(""), &["label-removed"], Bump::Major);
    let c = change_of(&work(PHASE), &work(""), "label-removed");
    assert_eq!(
        (c.from.as_deref(), c.to.as_deref()),
        (Some("phase = [\"train\", \"eval\"]"), None)
    );
    assert!(
        c.message.contains("filter or group by `phase`")
            && c.message.contains("`WORK_TOTAL` becomes a plain counter"),
        "{}",
        c.message
    );
    let both = "{ model = { max_series = 8 }, phase = [\"train\", \"eval\"] }";
    assert_rule(&work(both), &work(PHASE), &["label-removed"], Bump::Major);
    let c = change_of(&work(both), &work(PHASE), "label-removed");
    assert!(
        c.message
            .contains("`WORK_TOTAL.with(..)` loses its `model` argument"),
        "{}",
        c.message
    );
}

#[test]
fn label_values_removed() {
    let three = "{ phase = [\"train\", \"eval\", \"test\"] }";
    assert_rule(
        &work(three),
        &work(PHASE),
        &["label-values-removed"],
        Bump::Major,
    );
    let c = change_of(&work(three), &work(PHASE), "label-values-removed");
    assert_eq!(
        (c.from.as_deref(), c.to.as_deref()),
        (
            Some("[\"train\", \"eval\", \"test\"]"),
            Some("[\"train\", \"eval\"]")
        )
    );
    assert!(
        c.message
            .starts_with("label `phase` of `app_work_total` no longer takes `test`:")
            && c.message.contains("`Phase::Test`"),
        "{}",
        c.message
    );
    // Losing one value and gaining another is both, each reported once.
    assert_rule(
        &work(PHASE),
        &work("{ phase = [\"train\", \"validate\"] }"),
        &["label-values-added", "label-values-removed"],
        Bump::Major,
    );
}

#[test]
fn label_values_added() {
    let three = "{ phase = [\"train\", \"eval\", \"test\"] }";
    assert_rule(
        &work(PHASE),
        &work(three),
        &["label-values-added"],
        Bump::Minor,
    );
    let c = change_of(&work(PHASE), &work(three), "label-values-added");
    assert_eq!(
        (c.from.as_deref(), c.to.as_deref()),
        (
            Some("[\"train\", \"eval\"]"),
            Some("[\"train\", \"eval\", \"test\"]")
        )
    );
    assert!(
        c.message
            .starts_with("label `phase` of `app_work_total` now also takes `test`:")
            && c.message.contains("`Phase` gains `Phase::Test`"),
        "{}",
        c.message
    );
    // The same values in another order are no change.
    assert!(
        diff(
            Some(&registry("1.0.0", &work(PHASE))),
            &registry("1.0.0", &work("{ phase = [\"eval\", \"train\"] }"))
        )
        .changes
        .is_empty()
    );
}

#[test]
fn label_form_changed() {
    let free = "{ phase = { max_series = 8 } }";
    // Only the form is reported, not the values that went with it.
    assert_rule(
        &work(PHASE),
        &work(free),
        &["label-form-changed"],
        Bump::Major,
    );
    let c = change_of(&work(PHASE), &work(free), "label-form-changed");
    assert_eq!(
        (c.from.as_deref(), c.to.as_deref()),
        (Some("[\"train\", \"eval\"]"), Some("{ max_series = 8 }"))
    );
    assert!(
        c.message.contains(
            "changed from enumerated (`train`, `eval`) to free-form (up to 8 values): the `phase` argument of `WORK_TOTAL.with(..)` changes from `Phase` to `&str`"
        ) && c.message.contains("`__overflow__`"),
        "{}",
        c.message
    );
    assert_rule(
        &work(free),
        &work(PHASE),
        &["label-form-changed"],
        Bump::Major,
    );
    let c = change_of(&work(free), &work(PHASE), "label-form-changed");
    assert!(
        c.message.contains("from `&str` to `Phase`"),
        "{}",
        c.message
    );
}

#[test]
fn label_reordered() {
    let enums = "{ phase = [\"train\", \"eval\"], status = [\"ok\", \"error\"] }";
    let swapped = "{ status = [\"ok\", \"error\"], phase = [\"train\", \"eval\"] }";
    assert_rule(
        &work(enums),
        &work(swapped),
        &["label-reordered"],
        Bump::Major,
    );
    let c = change_of(&work(enums), &work(swapped), "label-reordered");
    assert_eq!(
        (c.from.as_deref(), c.to.as_deref()),
        (Some("(phase, status)"), Some("(status, phase)"))
    );
    assert!(
        c.message.contains("every call stops compiling"),
        "distinct enums: {}",
        c.message
    );
    // Two free-form labels: calls still compile and their values swap.
    let free = "{ model = { max_series = 8 }, user = { max_series = 8 } }";
    let free_swapped = "{ user = { max_series = 8 }, model = { max_series = 8 } }";
    assert_rule(
        &work(free),
        &work(free_swapped),
        &["label-reordered"],
        Bump::Major,
    );
    let c = change_of(&work(free), &work(free_swapped), "label-reordered");
    assert!(c.message.contains("still compiles"), "{}", c.message);
    // The labels both sides have changed order, beside an added one.
    let added = "{ status = [\"ok\", \"error\"], phase = [\"train\", \"eval\"], model = { max_series = 8 } }";
    assert_rule(
        &work(enums),
        &work(added),
        &["label-added", "label-reordered"],
        Bump::Major,
    );
    // An added label alone reorders nothing.
    let appended = "{ phase = [\"train\", \"eval\"], model = { max_series = 8 }, status = [\"ok\", \"error\"] }";
    assert_rule(&work(enums), &work(appended), &["label-added"], Bump::Major);
}

#[test]
fn max_series_changed() {
    let small = "{ model = { max_series = 8 } }";
    let large = "{ model = { max_series = 64 } }";
    assert_rule(
        &work(small),
        &work(large),
        &["max-series-changed"],
        Bump::Patch,
    );
    let c = change_of(&work(small), &work(large), "max-series-changed");
    assert_eq!(
        (c.from.as_deref(), c.to.as_deref()),
        (Some("8"), Some("64"))
    );
    assert!(c.message.contains("56 more values"), "{}", c.message);
    assert_rule(
        &work(large),
        &work(small),
        &["max-series-changed"],
        Bump::Patch,
    );
    let c = change_of(&work(large), &work(small), "max-series-changed");
    assert!(
        c.message.contains("only the first 8 distinct values")
            && c.message.contains("`__overflow__`"),
        "{}",
        c.message
    );
}

#[test]
fn labels_are_compared_across_renames() {
    // Declared rename.
    let renamed = work(PHASE).replace("app_work_total", "app_jobs_total")
        + "renamed_from = \"app_work_total\"\n";
    assert_rule(
        &work(""),
        &renamed,
        &["metric-renamed", "label-added"],
        Bump::Major,
    );
    // Probable rename: same kind, unit and buckets.
    let renamed = work("{ phase = [\"train\"] }").replace("app_work_total", "app_jobs_total");
    assert_rule(
        &work(PHASE),
        &renamed,
        &["metric-renamed", "label-values-removed"],
        Bump::Major,
    );
}

/// Tidy: the crate README's rules table has one row per rule id this module reports, and no other.
#[test]
fn readme_lists_every_rule() {
    let is_rule =
        |s: &str| s.contains('-') && s.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    // The rules are reported before `verdict`, and in `blank.rs`.
    let (comparisons, _) = include_str!("rules.rs")
        .split_once("\npub(crate) fn verdict(")
        .unwrap();
    let mut in_source: Vec<&str> = comparisons
        .lines()
        .chain(include_str!("blank.rs").lines())
        .map(|l| l.trim().trim_start_matches("rule: ").trim_end_matches(','))
        .filter_map(|l| l.strip_prefix('"')?.strip_suffix('"'))
        .filter(|l| is_rule(l))
        .collect();
    in_source.sort_unstable();
    in_source.dedup();
    let (_, section) = include_str!("../../README.md")
        .split_once("\n## The guard's rules\n")
        .unwrap();
    let section = section.split("\n## ").next().unwrap();
    let mut in_readme: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split_once("` | "))
        .map(|(rule, _)| rule)
        .filter(|rule| is_rule(rule))
        .collect();
    in_readme.sort_unstable();
    assert!(in_source.contains(&"label-reordered"), "{in_source:?}");
    assert!(in_source.contains(&"query-goes-blank"), "{in_source:?}");
    assert_eq!(
        in_source, in_readme,
        "geno-metrics-cli/README.md, section \"The guard's rules\""
    );
}

/// A registry under namespace `app`, version `version`, with `const_labels` and one counter.
fn with_const_labels(version: &str, const_labels: &str) -> Registry {
    let source = format!(
        "[registry]\nnamespace = \"app\"\nversion = \"{version}\"\nconst_labels = {const_labels}\n\n{STEPS}"
    );
    geno_metrics_schema::parse(&source, "metrics.toml").unwrap_or_else(|r| panic!("{r}"))
}

/// The rules and required bump of `head` against `base` (versions 1.0.0), and whether the
/// guard passes at `bumped_version`.
fn const_label_verdict(
    base: &str,
    head: &str,
    bumped_version: &str,
) -> (Vec<&'static str>, Bump, bool) {
    let base = with_const_labels("1.0.0", base);
    let verdict = diff(Some(&base), &with_const_labels("1.0.0", head));
    let rules = verdict.changes.iter().map(|c| c.rule).collect();
    let bumped = diff(Some(&base), &with_const_labels(bumped_version, head));
    (rules, verdict.required_bump, bumped.ok)
}

#[test]
fn const_label_added_and_removed_are_major() {
    let rank = r#"{ rank = { env = "RANK", default = "0" } }"#;
    let both = r#"{ rank = { env = "RANK", default = "0" }, run = { env = "RUN_ID" } }"#;
    assert_eq!(
        const_label_verdict(rank, both, "2.0.0"),
        (vec!["const-label-added"], Bump::Major, true)
    );
    assert_eq!(
        const_label_verdict(both, rank, "2.0.0"),
        (vec!["const-label-removed"], Bump::Major, true)
    );
    assert!(
        !const_label_verdict(rank, both, "1.1.0").2,
        "a minor bump is not enough"
    );
    // From none at all: the registry without the key.
    let base = registry("1.0.0", STEPS);
    let v = diff(Some(&base), &with_const_labels("1.0.0", rank));
    assert_eq!(v.changes[0].rule, "const-label-added");
    assert_eq!(v.changes[0].line, 4, "the head's const_labels line");
    assert!(
        v.changes[0].message.contains("new series"),
        "{}",
        v.changes[0].message
    );
    assert!(!v.ok);
}

#[test]
fn const_label_source_changed_is_a_patch() {
    let rank = r#"{ rank = { env = "RANK", default = "0" } }"#;
    for head in [
        r#"{ rank = { env = "GLOBAL_RANK", default = "0" } }"#,
        r#"{ rank = { env = "RANK" } }"#,
        r#"{ rank = { env = "RANK", default = "1" } }"#,
    ] {
        assert_eq!(
            const_label_verdict(rank, head, "1.0.1"),
            (vec!["const-label-source-changed"], Bump::Patch, true),
            "{head}"
        );
    }
    let base = with_const_labels("1.0.0", rank);
    let v = diff(
        Some(&base),
        &with_const_labels("1.0.0", r#"{ rank = { env = "RANK" } }"#),
    );
    let change = &v.changes[0];
    assert_eq!(change.from.as_deref(), Some("$RANK (default \"0\")"));
    assert_eq!(change.to.as_deref(), Some("$RANK (no default)"));
    assert!(
        change.message.contains("an unset one fails every export"),
        "{}",
        change.message
    );
    assert!(v.ok, "a patch finding does not fail the guard");
}

const MODEL_INFO: &str = "[[metric]]\nname = \"app_model_info\"\nkind = \"info\"\nsummary = \"The model loaded.\"\nlabels = [\"model\", \"checkpoint\"]\n";

#[test]
fn an_unchanged_info_metric_is_no_change() {
    let base = registry("1.0.0", MODEL_INFO);
    assert!(
        diff(Some(&base), &registry("1.0.0", MODEL_INFO))
            .changes
            .is_empty()
    );
}

#[test]
fn an_info_label_added_or_removed() {
    let fewer = MODEL_INFO.replace(", \"checkpoint\"", "");
    assert_rule(MODEL_INFO, &fewer, &["label-removed"], Bump::Major);
}

/// A collector's metrics are metrics: dropping the collector removes them (major, queries on
/// them go blank), adding it adds them (minor).
#[test]
fn a_collector_removed_or_added() {
    let with = |collectors: &str| {
        geno_metrics_schema::parse(
            &format!("[registry]\nnamespace = \"app\"\nversion = \"1.0.0\"\ncollectors = {collectors}\n\n{STEPS}"),
            "metrics.toml",
        )
        .unwrap_or_else(|r| panic!("{r}"))
    };
    let both = with("[\"process\", \"build_info\"]");
    let build_only = with("[\"build_info\"]");
    let removed = diff(Some(&both), &build_only);
    assert_eq!(removed.required_bump, Bump::Major);
    let gone: Vec<&str> = removed
        .changes
        .iter()
        .filter(|c| c.rule == "metric-removed")
        .filter_map(|c| c.from.as_deref())
        .collect();
    assert!(gone.contains(&"process_resident_memory_bytes"), "{gone:?}");
    assert!(
        removed
            .changes
            .iter()
            .filter(|c| c.rule == "metric-removed")
            .all(|c| c.message.contains("went with the `process` collector")),
        "{:#?}",
        removed.changes
    );
    assert_eq!(gone.len(), geno_metrics_schema::PROCESS_METRICS.len());
    let added = diff(Some(&build_only), &both);
    assert_eq!(added.required_bump, Bump::Minor);
}

#[test]
fn collector_changed() {
    // Without a namespace, a declared gauge `process_open_fds` moved to the collector.
    let declared = geno_metrics_schema::parse(
        "[registry]\nversion = \"1.0.0\"\n\n[[metric]]\nname = \"process_open_fds\"\nkind = \"gauge\"\nsummary = \"Number of open file descriptors.\"\n",
        "metrics.toml",
    )
    .unwrap();
    let collected = geno_metrics_schema::parse(
        "[registry]\nversion = \"1.0.0\"\ncollectors = [\"process\"]\n",
        "metrics.toml",
    )
    .unwrap();
    let v = diff(Some(&declared), &collected);
    let changed: Vec<&Change> = v
        .changes
        .iter()
        .filter(|c| c.rule == "collector-changed")
        .collect();
    assert_eq!(changed.len(), 1, "{:#?}", v.changes);
    assert_eq!(changed[0].required_bump, Bump::Major);
    assert!(
        changed[0].message.contains("the `process` collector's"),
        "{}",
        changed[0].message
    );
    assert!(!v.ok);
}

#[test]
fn an_info_metrics_labels_are_set_arguments_in_messages() {
    let more = MODEL_INFO.replace("\"checkpoint\"]", "\"checkpoint\", \"device\"]");
    let c = change_of(MODEL_INFO, &more, "label-added");
    assert!(
        c.message
            .contains("`MODEL_INFO.set(..)` takes a new `device` argument"),
        "{}",
        c.message
    );
    assert_rule(MODEL_INFO, &more, &["label-added"], Bump::Major);
}

/// What a change's message says to do is its last `; ` clause: the rendering leaves it out
/// once the version's bump covers the change, so every rule must end its message so.
#[test]
fn every_message_ends_in_what_to_do() {
    let base = registry("1.0.0", &format!("{STEPS}{LATENCY}"));
    let heads = [
        String::new(),
        format!("{STEPS}{LATENCY}").replace("app_steps_total", "app_work_total"),
        format!(
            "{STEPS}{LATENCY}[[metric]]\nname = \"app_queue_items\"\nkind = \"gauge\"\nsummary = \"Q.\"\n"
        ),
        format!("{STEPS}{LATENCY}").replace("Steps.", "Optimizer steps."),
        format!("{STEPS}{LATENCY}").replace("buckets = [0.1, 1]", "buckets = [0.5, 1]"),
        format!("{STEPS}{LATENCY}").replace(
            "summary = \"Steps.\"",
            "summary = \"Steps.\"\ndeprecated = \"use x\"\nlabels = { phase = [\"a\"] }",
        ),
    ];
    let mut rules = Vec::new();
    for head in heads {
        for change in diff(Some(&base), &registry("1.0.0", &head)).changes {
            let (_, advice) = change.message.rsplit_once("; ").unwrap_or_else(|| {
                panic!(
                    "{}: no `; ` before what to do: {}",
                    change.rule, change.message
                )
            });
            assert!(advice.contains("bump"), "{}: {advice}", change.rule);
            rules.push(change.rule);
        }
    }
    assert!(rules.len() >= 7, "{rules:?}");
}

#[test]
fn a_bump_that_covers_a_change_silences_its_advice() {
    let head = STEPS.replace("app_steps_total", "app_work_total");
    let bumped = diff(Some(&registry("1.0.0", STEPS)), &registry("2.0.0", &head));
    let text = human(&bumped, "metrics.toml");
    assert!(
        text.contains("loses its history (the major bump covers it)\n"),
        "{text}"
    );
    assert!(!text.contains("bump the major version"), "{text}");
    assert!(
        text.contains("\nok: registry version 1.0.0 -> 2.0.0"),
        "{text}"
    );
    // A minor change with no bump passes, but says what to do instead of a plain "ok".
    let added = diff(
        Some(&registry("1.0.0", STEPS)),
        &registry("1.0.0", &format!("{STEPS}{LATENCY}")),
    );
    let text = human(&added, "metrics.toml");
    assert!(added.ok);
    assert!(
        text.contains("nothing breaks; bump at least the minor version\n"),
        "{text}"
    );
    assert!(
        text.contains("\nok, with a warning: registry version 1.0.0 -> 1.0.0: required bump minor, actual bump none; the changes above call for a minor bump"),
        "{text}"
    );
    let annotations = github(&added, "metrics.toml");
    assert!(
        annotations
            .contains("::warning file=metrics.toml,line=3,title=version-bump::ok, with a warning"),
        "{annotations}"
    );
    // The minor bump made: covered, plain ok.
    let made = diff(
        Some(&registry("1.0.0", STEPS)),
        &registry("1.1.0", &format!("{STEPS}{LATENCY}")),
    );
    let text = human(&made, "metrics.toml");
    assert!(
        text.contains("nothing breaks (the minor bump covers it)\n"),
        "{text}"
    );
    assert!(
        text.contains("\nok: registry version 1.0.0 -> 1.1.0"),
        "{text}"
    );
}
