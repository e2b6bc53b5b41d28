//! The guard over queries in a diff: the queries of the listed files are checked against the
//! head registry, as `check` does, and each series a query selects that the baseline had and
//! the head has not makes a `query-goes-blank` change, a major one, naming every query that
//! uses it. Pure: the files were read before.

use std::collections::BTreeMap;

use geno_metrics_schema::{Metric, Registry};

use super::rules::{Bump, Change, Verdict, verdict};
use crate::queries::{Examined, Level, Names, QueryFinding, Resolved, Series, Use};

/// `verdict` (the registry's changes) completed with what the queries say.
pub(crate) fn with_queries(
    verdict_so_far: Verdict,
    base: Option<&Registry>,
    head: &Registry,
    examined: Examined,
) -> Verdict {
    let mut changes = verdict_so_far.changes;
    let mut findings = examined.findings;
    let mut blank_uses: Vec<(&Use, &Metric)> = Vec::new();
    if let Some(base) = base {
        let (before, after) = (Names::new(base, []), Names::new(head, []));
        for used in &examined.uses {
            if let (Resolved::Series(Series::Metric { metric, .. }), false) = (
                before.resolve(&used.name),
                matches!(after.resolve(&used.name), Resolved::Series(_)),
            ) {
                blank_uses.push((used, metric));
            }
        }
        let mut by_metric: BTreeMap<&str, (&Metric, Vec<&Use>)> = BTreeMap::new();
        for (used, metric) in &blank_uses {
            by_metric
                .entry(&metric.name)
                .or_insert_with(|| (metric, Vec::new()))
                .1
                .push(used);
        }
        let mut gone = Vec::new();
        for (metric, uses) in by_metric.into_values() {
            gone.push(goes_blank(
                metric,
                &uses,
                renamed_to(&changes, &metric.name),
                head,
            ));
        }
        changes.extend(gone);
        changes.sort_by_key(|c| (c.line, std::cmp::Reverse(c.required_bump)));
        // The head knows nothing of those names: `query-goes-blank` says it better.
        findings.retain(|f| {
            !(matches!(f.rule, "query-unknown-metric" | "query-not-a-series")
                && blank_uses
                    .iter()
                    .any(|(used, _)| f.metric.as_deref() == Some(&used.name)))
        });
    }
    let mut verdict = verdict(base, head, changes);
    let level = if verdict.bump_ok {
        Level::Warning
    } else {
        Level::Error
    };
    for (used, metric) in blank_uses {
        let (how, help) = match renamed_to(&verdict.changes, &metric.name) {
            Some(new) => (
                format!("was renamed to `{new}`"),
                format!("update the query to `{new}`"),
            ),
            None => (
                "was removed".to_owned(),
                "update or remove the query".to_owned(),
            ),
        };
        findings.push(QueryFinding {
            rule: "query-goes-blank",
            level,
            file: used.file.clone(),
            line: used.line,
            metric: Some(used.name.clone()),
            place: Some(used.place.clone()),
            query: Some(used.query.clone()),
            message: format!(
                "`{}` is gone from the registry ({} `{}` {how}): this query goes blank",
                used.name,
                metric.kind.noun(),
                metric.name
            ),
            help,
        });
    }
    verdict.ok = verdict.bump_ok && findings.iter().all(|f| f.level == Level::Warning);
    verdict.queries = findings;
    verdict
}

/// The head name of a metric the changes say was renamed.
fn renamed_to(changes: &[Change], old: &str) -> Option<String> {
    changes
        .iter()
        .find(|c| c.rule == "metric-renamed" && c.from.as_deref() == Some(old))
        .and_then(|c| c.to.clone())
}

/// The change for one metric that queries still use.
fn goes_blank(
    metric: &Metric,
    uses: &[&Use],
    renamed_to: Option<String>,
    head: &Registry,
) -> Change {
    let mut places: Vec<String> = uses
        .iter()
        .map(|u| format!("{}:{}", u.file, u.line))
        .collect();
    places.dedup();
    let n = places.len();
    let them = if n == 1 { "it" } else { "them" };
    let fix = match &renamed_to {
        Some(new) => format!("update {them} to `{new}`"),
        None => format!(
            "update or remove {them}, or keep the metric (marked `deprecated`) until a major release"
        ),
    };
    Change {
        rule: "query-goes-blank",
        metric: metric.name.clone(),
        from: Some(metric.name.clone()),
        to: renamed_to,
        line: head.version_line,
        required_bump: Bump::Major,
        message: format!(
            "{} `{}` is gone, and {n} quer{} of the listed files still use{} it and go{} blank: {}; {fix}",
            metric.kind.noun(),
            metric.name,
            if n == 1 { "y" } else { "ies" },
            if n == 1 { "s" } else { "" },
            if n == 1 { "es" } else { "" },
            places.join(", ")
        ),
    }
}
