//! The guard's rules: every change between two registries, its rule id and the version bump
//! it requires, and the verdict on the bump the head registry actually made. Pure: no I/O.

use geno_metrics_schema::{
    ConstLabel, Label, LabelValue, LabelValues, Metric, MetricKind, OVERFLOW_LABEL_VALUE, Registry,
};
use semver::Version;
use serde::Serialize;

/// A version bump, ordered from none to major.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Bump {
    None,
    Patch,
    Minor,
    Major,
}

impl Bump {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Patch => "patch",
            Self::Minor => "minor",
            Self::Major => "major",
        }
    }
}

/// The bump the head version actually made over the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ActualBump {
    None,
    Patch,
    Minor,
    Major,
    /// The version went down.
    Down,
    /// There is no baseline registry: the file is new.
    Initial,
}

impl ActualBump {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Patch => "patch",
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Down => "down",
            Self::Initial => "initial",
        }
    }
}

/// One difference between baseline and head.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Change {
    /// Stable rule id, e.g. `metric-renamed`.
    pub(crate) rule: &'static str,
    /// The metric concerned (the head name when it has one), or the namespace.
    pub(crate) metric: String,
    /// The value before, when the rule compares values.
    pub(crate) from: Option<String>,
    /// The value after.
    pub(crate) to: Option<String>,
    /// Line in the head file: the metric's name, or the `version` line for what is gone.
    pub(crate) line: usize,
    /// The bump this change requires.
    pub(crate) required_bump: Bump,
    /// What changed, why it matters to users, and how to proceed.
    pub(crate) message: String,
}

/// The guard's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Verdict {
    pub(crate) required_bump: Bump,
    pub(crate) actual_bump: ActualBump,
    /// The version bump covers the changes, and no query of the listed files is broken.
    pub(crate) ok: bool,
    /// The version bump covers the changes.
    #[serde(skip)]
    pub(crate) bump_ok: bool,
    pub(crate) changes: Vec<Change>,
    /// The findings in the files `[registry] rule_files` and `dashboards` list.
    pub(crate) queries: Vec<crate::queries::QueryFinding>,
    #[serde(skip)]
    pub(crate) from_version: Option<Version>,
    #[serde(skip)]
    pub(crate) to_version: Version,
    #[serde(skip)]
    pub(crate) version_line: usize,
}

const KEEP_DEPRECATED: &str = "bump the major version of [registry], or keep the old metric beside the new one and mark it `deprecated = \"...\"` until a major release";

/// Compares `base` (None: the registry is new) with `head`.
pub(crate) fn diff(base: Option<&Registry>, head: &Registry) -> Verdict {
    let mut changes = Vec::new();
    let version_line = head.version_line;
    let Some(base) = base else {
        for m in &head.metrics {
            changes.push(added(m));
        }
        return verdict(None, head, changes);
    };

    if base.namespace != head.namespace {
        let show = |ns: &Option<String>| ns.clone().unwrap_or_else(|| "(none)".to_owned());
        changes.push(Change {
            rule: "namespace-changed",
            metric: show(&head.namespace),
            from: Some(show(&base.namespace)),
            to: Some(show(&head.namespace)),
            line: version_line,
            required_bump: Bump::Major,
            message: format!(
                "the namespace changed from `{}` to `{}`: every metric name changes with it, so every query and alert on the old names goes blank; {KEEP_DEPRECATED}",
                show(&base.namespace),
                show(&head.namespace)
            ),
        });
    }

    compare_const_labels(base, head, &mut changes);

    let in_base = |name: &str| base.metrics.iter().find(|m| m.name == name);
    let in_head = |name: &str| head.metrics.iter().find(|m| m.name == name);

    // Declared renames: a head metric whose renamed_from names a baseline metric now gone.
    let mut renamed_old: Vec<&str> = Vec::new();
    let mut renamed_new: Vec<&str> = Vec::new();
    for new in &head.metrics {
        if let Some(old) = new.renamed_from.as_deref().and_then(in_base)
            && in_head(&old.name).is_none()
        {
            changes.push(renamed(old, new, "declared with `renamed_from`"));
            compare_fields(old, new, &mut changes);
            renamed_old.push(&old.name);
            renamed_new.push(&new.name);
        }
    }

    let removed: Vec<&Metric> = base
        .metrics
        .iter()
        .filter(|m| in_head(&m.name).is_none() && !renamed_old.contains(&m.name.as_str()))
        .collect();
    let mut added_metrics: Vec<&Metric> = head
        .metrics
        .iter()
        .filter(|m| in_base(&m.name).is_none() && !renamed_new.contains(&m.name.as_str()))
        .collect();

    for old in removed {
        // A removed metric and an added one of the same shape: probably a rename.
        let twin = added_metrics.iter().position(|new| {
            new.kind == old.kind && new.unit == old.unit && new.buckets == old.buckets
        });
        match twin {
            Some(i) => {
                let new = added_metrics.remove(i);
                changes.push(renamed(old, new, "probable rename: same kind, unit and buckets"));
                if old.summary != new.summary {
                    changes.push(summary_changed(old, new));
                }
                compare_labels(old, new, &mut changes);
            }
            None => changes.push(Change {
                rule: "metric-removed",
                metric: old.name.clone(),
                from: Some(old.name.clone()),
                to: None,
                line: version_line,
                required_bump: Bump::Major,
                message: match old.collector {
                    // A collector's metric cannot be kept deprecated: only the collector can.
                    Some(collector) => format!(
                        "metric `{}` ({}) went with the `{collector}` collector: dashboards and alerts that query it go blank; list the collector again, or bump the major version of [registry]",
                        old.name, old.kind
                    ),
                    None => format!(
                        "metric `{}` ({}) was removed: dashboards and alerts that query it go blank; {KEEP_DEPRECATED}",
                        old.name, old.kind
                    ),
                },
            }),
        }
    }
    for new in added_metrics {
        changes.push(added(new));
    }

    for new in &head.metrics {
        if let Some(old) = in_base(&new.name) {
            compare_fields(old, new, &mut changes);
        }
    }
    changes.sort_by_key(|c| (c.line, std::cmp::Reverse(c.required_bump)));
    verdict(Some(base), head, changes)
}

/// `[registry] const_labels`: one gained or lost changes every series' identity; where a
/// value comes from changes no series a process already exposes.
fn compare_const_labels(base: &Registry, head: &Registry, changes: &mut Vec<Change>) {
    for old in &base.const_labels {
        match head.const_labels.iter().find(|l| l.name == old.name) {
            None => changes.push(Change {
                rule: "const-label-removed",
                metric: old.name.clone(),
                from: Some(old.name.clone()),
                to: None,
                line: head.version_line,
                required_bump: Bump::Major,
                message: format!(
                    "constant label `{}` was removed: every series of the registry loses it and becomes a new series, so the processes it told apart now collide (node_exporter serves one of the duplicates; Prometheus keeps one), the default textfile's name changes (remove the files written before), and queries that filter or group by it go blank; bump the major version of [registry]",
                    old.name
                ),
            }),
            Some(new) if (&old.env, &old.default) != (&new.env, &new.default) => {
                let source = |l: &ConstLabel| match &l.default {
                    Some(d) => format!("${} (default {d:?})", l.env),
                    None => format!("${} (no default)", l.env),
                };
                changes.push(Change {
                    rule: "const-label-source-changed",
                    metric: new.name.clone(),
                    from: Some(source(old)),
                    to: Some(source(new)),
                    line: new.line,
                    required_bump: Bump::Patch,
                    message: format!(
                        "constant label `{}` now takes its value from {} instead of {}: the series keep their names and labels; check that the launcher sets the variable (without a default, an unset one fails every export)",
                        new.name,
                        source(new),
                        source(old)
                    ),
                });
            }
            Some(_) => {}
        }
    }
    for new in &head.const_labels {
        if !base.const_labels.iter().any(|l| l.name == new.name) {
            changes.push(Change {
                rule: "const-label-added",
                metric: new.name.clone(),
                from: None,
                to: Some(new.name.clone()),
                line: new.line,
                required_bump: Bump::Major,
                message: format!(
                    "constant label `{}` was added: every series of the registry gains it and becomes a new series, so graphs break at the deploy and queries that match a series' full label set miss, and the default textfile's name changes (one file per process): remove the files written before from node_exporter's directory at the deploy, or their series are served beside the new ones; bump the major version of [registry]",
                    new.name
                ),
            });
        }
    }
}

fn added(m: &Metric) -> Change {
    Change {
        rule: "metric-added",
        metric: m.name.clone(),
        from: None,
        to: Some(m.name.clone()),
        line: m.line,
        required_bump: Bump::Minor,
        message: format!(
            "metric `{}` ({}) was added: nothing breaks; bump at least the minor version",
            m.name, m.kind
        ),
    }
}

fn renamed(old: &Metric, new: &Metric, how: &str) -> Change {
    Change {
        rule: "metric-renamed",
        metric: new.name.clone(),
        from: Some(old.name.clone()),
        to: Some(new.name.clone()),
        line: new.line,
        required_bump: Bump::Major,
        message: format!(
            "metric `{}` was renamed to `{}` ({how}): queries, dashboards and alerts on the old name go blank and the series loses its history; {KEEP_DEPRECATED}",
            old.name, new.name
        ),
    }
}

fn summary_changed(old: &Metric, new: &Metric) -> Change {
    Change {
        rule: "summary-changed",
        metric: new.name.clone(),
        from: Some(old.summary.clone()),
        to: Some(new.summary.clone()),
        line: new.line,
        required_bump: Bump::Patch,
        message: format!(
            "the summary (HELP text) of `{}` changed: nothing breaks; bump at least the patch version",
            new.name
        ),
    }
}

/// Field-by-field changes of one metric present (maybe under another name) on both sides.
fn compare_fields(old: &Metric, new: &Metric, changes: &mut Vec<Change>) {
    let name = &new.name;
    let mut push = |rule, from: String, to: String, bump, message: String| {
        changes.push(Change {
            rule,
            metric: name.clone(),
            from: Some(from),
            to: Some(to),
            line: new.line,
            required_bump: bump,
            message,
        });
    };
    if old.collector != new.collector {
        let says = |c: Option<geno_metrics_schema::Collector>| {
            c.map_or("declared in a `[[metric]]` table".to_owned(), |c| {
                format!("the `{c}` collector's")
            })
        };
        push(
            "collector-changed",
            says(old.collector),
            says(new.collector),
            Bump::Major,
            format!(
                "`{name}` was {} and is now {}: its handle changes type (a collector's is read, not recorded into), so code using it stops compiling or compiles against another handle; bump the major version of [registry]",
                says(old.collector),
                says(new.collector)
            ),
        );
    }
    if old.kind != new.kind {
        push(
            "kind-changed",
            old.kind.to_string(),
            new.kind.to_string(),
            Bump::Major,
            format!(
                "the kind of `{name}` changed from {} to {}: functions that fit one kind (rate(), histogram_quantile()) return nonsense or nothing on the other; {KEEP_DEPRECATED}",
                old.kind, new.kind
            ),
        );
    }
    if old.unit != new.unit {
        let show = |u: &Option<String>| u.clone().unwrap_or_else(|| "(none)".to_owned());
        // A unit must be the name's suffix, so under an unchanged name a unit change can only
        // be the declaration of the unit the name already spells appearing or disappearing:
        // the series, and what their values mean, stay the same.
        let declared_only = old.name == new.name && (old.unit.is_none() || new.unit.is_none());
        let (bump, why) = if declared_only {
            (
                Bump::Patch,
                "the name already says it, so the series and their values are unchanged".to_owned(),
            )
        } else {
            (
                Bump::Major,
                format!(
                    "thresholds and panels built on the old unit read wrong values; {KEEP_DEPRECATED}"
                ),
            )
        };
        push(
            "unit-changed",
            show(&old.unit),
            show(&new.unit),
            bump,
            format!(
                "the declared unit of `{name}` changed from {} to {}: {why}",
                show(&old.unit),
                show(&new.unit)
            ),
        );
    }
    if old.kind == new.kind && old.buckets != new.buckets {
        let show = |b: &[f64]| {
            format!(
                "[{}]",
                b.iter().map(f64::to_string).collect::<Vec<_>>().join(", ")
            )
        };
        push(
            "buckets-changed",
            show(&old.buckets),
            show(&new.buckets),
            Bump::Major,
            format!(
                "the buckets of `{name}` changed: `le` series appear and vanish, and histogram_quantile() over a range that spans the change mixes incompatible bounds; {KEEP_DEPRECATED}"
            ),
        );
    }
    if old.kind == new.kind && old.sharded != new.sharded {
        let (plain, type_name) = if new.kind == MetricKind::Histogram {
            ("histogram", "Histogram")
        } else {
            ("counter", "Counter")
        };
        let show = |sharded: bool| {
            if sharded {
                format!("Sharded{type_name}")
            } else {
                type_name.to_owned()
            }
        };
        let (lookup_before, lookup_after) = if new.sharded {
            (format!("get_{plain}"), format!("get_sharded_{plain}"))
        } else {
            (format!("get_sharded_{plain}"), format!("get_{plain}"))
        };
        push(
            "sharded-changed",
            show(old.sharded),
            show(new.sharded),
            Bump::Major,
            format!(
                "`{name}` is now {}sharded: its series and values stay the same, but its handle `{}` becomes a `{}`, and code that looks it up with `{lookup_before}` gets an error until it calls `{lookup_after}`; bump the major version of [registry], or keep `sharded` as it was",
                if new.sharded { "" } else { "no longer " },
                new.handle,
                show(new.sharded)
            ),
        );
    }
    if old.deprecated.is_none() && new.deprecated.is_some() {
        push(
            "metric-deprecated",
            "(not deprecated)".to_owned(),
            new.deprecated.clone().unwrap_or_default(),
            Bump::Minor,
            format!(
                "`{name}` is now deprecated: nothing breaks yet, but users should move off it; bump at least the minor version"
            ),
        );
    }
    if old.name == new.name && old.summary != new.summary {
        changes.push(summary_changed(old, new));
    }
    compare_labels(old, new, changes);
}

/// Label-by-label changes of one metric present (maybe under another name) on both sides.
fn compare_labels(old: &Metric, new: &Metric, changes: &mut Vec<Change>) {
    let name = &new.name;
    let handle = &new.handle;
    // An info metric's labels are the arguments of its `set(..)`, a family's of `with(..)`.
    let method = if new.kind == MetricKind::Info {
        "set"
    } else {
        "with"
    };
    let mut push = |rule, from: Option<String>, to: Option<String>, bump, message: String| {
        changes.push(Change {
            rule,
            metric: name.clone(),
            from,
            to,
            line: new.line,
            required_bump: bump,
            message,
        });
    };
    for before in &old.labels {
        if find_label(&new.labels, &before.name).is_some() {
            continue;
        }
        let label = &before.name;
        let handle_after = if new.labels.is_empty() {
            format!(
                "`{handle}` becomes a plain {}, without `with(..)`",
                new.kind
            )
        } else {
            format!("`{handle}.{method}(..)` loses its `{label}` argument")
        };
        push(
            "label-removed",
            Some(declaration(before)),
            None,
            Bump::Major,
            format!(
                "`{name}` lost the {} label `{label}` {}: queries, panels and alerts that filter or group by `{label}` go blank or collapse into one series, and the remaining series change identity, so their history breaks; {handle_after}; {KEEP_DEPRECATED}",
                form(&before.values),
                detail(&before.values)
            ),
        );
    }

    for after in &new.labels {
        let label = &after.name;
        let Some(before) = find_label(&old.labels, label) else {
            let handle_after = match (&new.family_type, old.labels.is_empty()) {
                (Some(family), true) => format!(
                    "the type of `{handle}` changes to `{family}`, so every use of it must go through `with(..)`"
                ),
                _ => format!("`{handle}.{method}(..)` takes a new `{label}` argument"),
            };
            push(
                "label-added",
                None,
                Some(declaration(after)),
                Bump::Major,
                format!(
                    "`{name}` gained the {} label `{label}` {}: its series change identity, so rate() and increase() across the change break, and queries, recording rules and alerts that match one series or the full label set now see one series per `{label}` value; {handle_after}; {KEEP_DEPRECATED}",
                    form(&after.values),
                    detail(&after.values)
                ),
            );
            continue;
        };
        match (&before.values, &after.values) {
            (
                LabelValues::Enumerated { values: was, .. },
                LabelValues::Enumerated {
                    type_name,
                    values: is,
                },
            ) => {
                // The values of `these` that `those` lacks: their spellings, and their variants.
                let missing = |these: &[LabelValue], those: &[LabelValue]| -> (String, String) {
                    let gone: Vec<&LabelValue> = these
                        .iter()
                        .filter(|v| !those.iter().any(|w| w.value == v.value))
                        .collect();
                    let values: Vec<String> = gone.iter().map(|v| v.value.clone()).collect();
                    let variants: Vec<String> = gone
                        .iter()
                        .map(|v| format!("`{type_name}::{}`", v.variant))
                        .collect();
                    (code_list(&values), variants.join(", "))
                };
                let (removed, removed_variants) = missing(was, is);
                if !removed.is_empty() {
                    push(
                        "label-values-removed",
                        Some(value_list(was)),
                        Some(value_list(is)),
                        Bump::Major,
                        format!(
                            "label `{label}` of `{name}` no longer takes {removed}: the series of those values stop, so queries, panels and alerts on them go blank, and code that records {removed_variants} stops compiling; {KEEP_DEPRECATED}"
                        ),
                    );
                }
                let (added, added_variants) = missing(is, was);
                if !added.is_empty() {
                    push(
                        "label-values-added",
                        Some(value_list(was)),
                        Some(value_list(is)),
                        Bump::Minor,
                        format!(
                            "label `{label}` of `{name}` now also takes {added}: new series appear beside the existing ones, which keep their history, and `{type_name}` gains {added_variants}; nothing breaks; bump at least the minor version"
                        ),
                    );
                }
            }
            (
                LabelValues::FreeForm { max_series: was },
                LabelValues::FreeForm { max_series: is },
            ) if was != is => {
                let effect = if is < was {
                    format!(
                        "only the first {is} distinct values now get a series of their own, later ones go to the `{OVERFLOW_LABEL_VALUE}` series, so some series stop"
                    )
                } else {
                    format!(
                        "{} more values get a series of their own before `{OVERFLOW_LABEL_VALUE}`, each allocated up front",
                        is - was
                    )
                };
                push(
                    "max-series-changed",
                    Some(was.to_string()),
                    Some(is.to_string()),
                    Bump::Patch,
                    format!(
                        "`max_series` of the free-form label `{label}` of `{name}` changed from {was} to {is}: {effect}; queries and `with(..)` calls are unaffected; bump at least the patch version"
                    ),
                );
            }
            (LabelValues::FreeForm { .. }, LabelValues::FreeForm { .. })
            | (LabelValues::Info, LabelValues::Info) => {}
            (was, is) => {
                let effect = match is {
                    LabelValues::FreeForm { max_series } => format!(
                        "values past the first {max_series} now share the `{OVERFLOW_LABEL_VALUE}` series"
                    ),
                    LabelValues::Enumerated { .. } => format!(
                        "values outside the list can no longer be recorded, and the `{OVERFLOW_LABEL_VALUE}` series goes away"
                    ),
                    LabelValues::Info => {
                        "its value now comes with the others at each `set(..)`, one at a time"
                            .to_owned()
                    }
                };
                push(
                    "label-form-changed",
                    Some(values_declaration(was)),
                    Some(values_declaration(is)),
                    Bump::Major,
                    format!(
                        "label `{label}` of `{name}` changed from {} {} to {} {}: the `{label}` argument of `{handle}.{method}(..)` changes from `{}` to `{}`, so every call stops compiling, and {effect}; {KEEP_DEPRECATED}",
                        form(was),
                        detail(was),
                        form(is),
                        detail(is),
                        argument_type(was),
                        argument_type(is)
                    ),
                );
            }
        }
    }

    // The labels on both sides, each side in its own order.
    let common = |these: &[Label], those: &[Label]| -> Vec<String> {
        these
            .iter()
            .filter(|l| find_label(those, &l.name).is_some())
            .map(|l| l.name.clone())
            .collect()
    };
    let (was, is) = (
        common(&old.labels, &new.labels),
        common(&new.labels, &old.labels),
    );
    if was != is {
        // Calls still compile when every position keeps its argument type: then the only
        // labels that moved are free-form ones (`&str`), and their values silently swap.
        let types = |labels: &[Label]| -> Vec<String> {
            labels.iter().map(|l| argument_type(&l.values)).collect()
        };
        let effect = if types(&old.labels) == types(&new.labels) {
            "every call still compiles but now hands its `&str` values to other labels, so they silently land in the wrong series"
        } else {
            "every call stops compiling until its arguments are reordered"
        };
        let order = |labels: &[Label]| {
            format!(
                "({})",
                labels
                    .iter()
                    .map(|l| l.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        push(
            "label-reordered",
            Some(order(&old.labels)),
            Some(order(&new.labels)),
            Bump::Major,
            format!(
                "the labels of `{name}` changed order from ({}) to ({}): Prometheus ignores label order, but the arguments of `{handle}.{method}(..)` follow it, and {effect}; declare the labels in their old order again, or bump the major version of [registry]",
                was.join(", "),
                is.join(", ")
            ),
        );
    }
}

/// The label called `name`, if `labels` has one.
fn find_label<'a>(labels: &'a [Label], name: &str) -> Option<&'a Label> {
    labels.iter().find(|l| l.name == name)
}

/// A label as declared in `metrics.toml`, e.g. `phase = ["train", "eval"]`.
fn declaration(label: &Label) -> String {
    format!("{} = {}", label.name, values_declaration(&label.values))
}

/// A label's values as declared: `["train", "eval"]` or `{ max_series = 64 }`.
fn values_declaration(values: &LabelValues) -> String {
    match values {
        LabelValues::Enumerated { values, .. } => value_list(values),
        LabelValues::FreeForm { max_series } => format!("{{ max_series = {max_series} }}"),
        LabelValues::Info => "(an info metric's label)".to_owned(),
    }
}

/// `["train", "eval"]`.
fn value_list(values: &[LabelValue]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{:?}", v.value)).collect();
    format!("[{}]", quoted.join(", "))
}

/// `` `train`, `eval` ``.
fn code_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `enumerated` or `free-form`.
fn form(values: &LabelValues) -> &'static str {
    match values {
        LabelValues::Enumerated { .. } => "enumerated",
        LabelValues::FreeForm { .. } => "free-form",
        LabelValues::Info => "info",
    }
}

/// What a label takes, as a message says it: `` (`train`, `eval`) `` or `(up to 64 values)`.
fn detail(values: &LabelValues) -> String {
    match values {
        LabelValues::Enumerated { values, .. } => {
            let values: Vec<String> = values.iter().map(|v| v.value.clone()).collect();
            format!("({})", code_list(&values))
        }
        LabelValues::FreeForm { max_series } => format!("(up to {max_series} values)"),
        LabelValues::Info => "(any value, one at a time)".to_owned(),
    }
}

/// The Rust type of the label's argument to `with(..)`.
fn argument_type(values: &LabelValues) -> String {
    match values {
        LabelValues::Enumerated { type_name, .. } => type_name.clone(),
        LabelValues::FreeForm { .. } | LabelValues::Info => "&str".to_owned(),
    }
}

pub(crate) fn verdict(base: Option<&Registry>, head: &Registry, changes: Vec<Change>) -> Verdict {
    let required_bump = changes
        .iter()
        .map(|c| c.required_bump)
        .max()
        .unwrap_or(Bump::None);
    let actual_bump = base.map_or(ActualBump::Initial, |b| {
        actual_bump(&b.version, &head.version)
    });
    let ok = match actual_bump {
        ActualBump::Down => false,
        ActualBump::Initial | ActualBump::Major => true,
        _ => required_bump < Bump::Major,
    };
    Verdict {
        required_bump,
        actual_bump,
        ok,
        bump_ok: ok,
        changes,
        queries: Vec::new(),
        from_version: base.map(|b| b.version.clone()),
        to_version: head.version.clone(),
        version_line: head.version_line,
    }
}
/// Whether a crate at `to` may stand in for one at `from` by Cargo's reading of semver: the
/// caret requirement `^from` (what `from` written in a `Cargo.toml` means) matches `to`. So in
/// `x.y.z` the major is the breaking component, in `0.y.z` the minor, and in `0.0.z` the patch.
/// A pre-release `to` of a later version counts by its version (`1.3.0-rc.1` stays compatible
/// with `1.2.0`): Cargo's rule that a requirement opts into pre-releases only of its own
/// version is about which versions to pick, not about compatibility. Build metadata is ignored.
pub(crate) fn caret_compatible(from: &Version, to: &Version) -> bool {
    let caret = semver::VersionReq {
        comparators: vec![semver::Comparator {
            op: semver::Op::Caret,
            major: from.major,
            minor: Some(from.minor),
            patch: Some(from.patch),
            pre: from.pre.clone(),
        }],
    };
    let released = Version::new(to.major, to.minor, to.patch);
    caret.matches(to) || (!to.pre.is_empty() && released > *from && caret.matches(&released))
}

/// The bump from `from` to `to` as Cargo sees it: `Major` when `to` is not
/// [caret-compatible](caret_compatible) with `from` (so `0.3.1` -> `0.4.0` and `0.0.1` ->
/// `0.0.2` are major), `Down` when it is lower, otherwise the highest component that moved.
pub(crate) fn actual_bump(from: &Version, to: &Version) -> ActualBump {
    // Build metadata carries no precedence in semver: `1.0.0+b2` -> `1.0.0+a1` is no bump.
    let without_build = |v: &Version| Version {
        build: semver::BuildMetadata::EMPTY,
        ..v.clone()
    };
    let (from, to) = (&without_build(from), &without_build(to));
    if to < from {
        ActualBump::Down
    } else if !caret_compatible(from, to) {
        ActualBump::Major
    } else if to.minor != from.minor {
        ActualBump::Minor
    } else if to.patch != from.patch {
        ActualBump::Patch
    } else {
        // The same version, or a later pre-release or the release of it.
        ActualBump::None
    }
}

/// The smallest version that is not [caret-compatible](caret_compatible) with `from`: what a
/// breaking change needs.
pub(crate) fn next_major(from: &Version) -> Version {
    match (from.major, from.minor) {
        (0, 0) => Version::new(0, 0, from.patch + 1),
        (0, minor) => Version::new(0, minor + 1, 0),
        (major, _) => Version::new(major + 1, 0, 0),
    }
}
