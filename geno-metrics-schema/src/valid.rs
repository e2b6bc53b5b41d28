//! Stage two: every semantic rule of the registry, in one place.
//!
//! Each rule has a stable id (the `error[...]` of its diagnostic); `xtask metrics check`,
//! the `registry!` macro and the docs all speak of rules by these ids.

use std::collections::HashMap;

use crate::diagnostic::Sink;
use crate::model::{
    BUILD_INFO_LABELS, BUILD_INFO_SUMMARY, Collector, ConstLabel, DEFAULT_BUCKETS,
    DROPPED_LABEL_VALUES_METRIC, Label, LabelValue, LabelValues, MAX_SERIES_PER_METRIC, Metric,
    MetricKind, PROCESS_METRICS, QueryFile, QueryFiles, Registry, build_info_name,
};
use crate::parse::{
    RawConstLabel, RawLabel, RawLabelValues, RawMetric, RawQueryKeys, RawRegistry, Sp,
};
use crate::{closest, units};

/// Suffixes of the series a histogram `x` generates besides its own name.
const HISTOGRAM_SERIES: [&str; 3] = ["_bucket", "_sum", "_count"];
/// Suffixes counters and gauges may not end in: Prometheus reads them as parts of a
/// histogram, summary or OpenMetrics counter.
const RESERVED_SUFFIXES: [&str; 4] = ["_bucket", "_count", "_sum", "_created"];
/// Type words promlint rejects in names.
const TYPE_WORDS: [&str; 5] = [
    "counter",
    "gauge",
    "histogram",
    "summary",
    "gauge_histogram",
];
/// Rust's keywords in every edition, strict and reserved (2015 to 2024). A label named so
/// gets a raw identifier (`r#type`) as its `with(..)` parameter.
const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Keywords that cannot be raw identifiers; their parameters get `_` appended.
const NOT_RAW: &[&str] = &["self", "super", "crate"];

/// The identifier of a label's `with(..)` parameter (see [`Label::parameter`]).
pub(crate) fn parameter_ident(label: &str) -> String {
    if NOT_RAW.contains(&label) {
        format!("{label}_")
    } else if KEYWORDS.contains(&label) {
        format!("r#{label}")
    } else {
        label.to_owned()
    }
}

/// The handle the macro always generates; no metric handle may take its name.
const TABLE_HANDLE: &str = "METRICS";

pub(crate) fn validate(sink: &mut Sink<'_>, raw: RawRegistry) -> Option<Registry> {
    let namespace = raw
        .namespace
        .as_ref()
        .and_then(|ns| check_namespace(sink, ns));
    let version = raw.version.as_ref().and_then(|v| check_version(sink, v));

    let mut metrics = Vec::with_capacity(raw.metrics.len());
    for metric in &raw.metrics {
        if let Some(m) = check_metric(sink, metric, raw.namespace.as_ref(), namespace.as_deref()) {
            metrics.push(m);
        }
    }
    check_across_metrics(sink, &raw.metrics);
    check_label_types(sink, &raw.metrics, &metrics);
    let const_labels = check_const_labels(sink, &raw.const_labels, &raw.metrics);
    let collectors = raw.collectors.as_ref().map(|c| {
        let declared = Declared {
            metrics: &raw.metrics,
            validated: &metrics,
            const_labels: &raw.const_labels,
        };
        check_collectors(sink, c, &declared, namespace.as_deref())
    });
    let queries = check_query_keys(sink, &raw.queries, &raw.const_labels, &raw.metrics);

    let collects = |collector: Collector| {
        raw.collectors
            .as_ref()
            .is_some_and(|c| c.value.iter().any(|n| n.value == collector.as_str()))
    };
    let generated = crate::alerts::Generated {
        free_form_label: metrics.iter().any(|m| {
            m.labels
                .iter()
                .any(|l| matches!(l.values, LabelValues::FreeForm { .. }))
        }),
        const_labels: !raw.const_labels.is_empty()
            && crate::alerts::series_every_process_has(
                &metrics,
                collects(Collector::BuildInfo),
                namespace.as_deref(),
            )
            .is_some(),
        process_collector: collects(Collector::Process),
    };
    let alerts = crate::alerts::check_alerts(sink, &raw.alerts, &generated);

    let (version, version_line) = version?;
    let const_labels = const_labels?;
    let collectors = collectors.unwrap_or(Some(Vec::new()))?;
    let alerts = alerts?;
    if !sink.is_empty() || metrics.len() != raw.metrics.len() {
        return None;
    }
    for (collector, line) in &collectors {
        metrics.extend(collector_metrics(*collector, namespace.as_deref(), *line));
    }
    Some(Registry {
        namespace,
        version,
        version_line,
        const_labels,
        collectors: collectors.into_iter().map(|(c, _)| c).collect(),
        alerts,
        metrics,
        queries: queries?,
    })
}

/// `collectors = [...]`: known names, each once, and no declared metric (or its handle)
/// where a collector's metric is. Returns each collector with the line of its name.
/// What a registry declares itself, as collectors are checked against it.
struct Declared<'a> {
    /// The `[[metric]]` tables as written.
    metrics: &'a [RawMetric],
    /// Those of them that are valid.
    validated: &'a [Metric],
    /// `[registry] const_labels` as written.
    const_labels: &'a [RawConstLabel],
}

/// The names a metric of `kind` (as written: `counter`, ...) takes in an exposition besides
/// its own, each with what it is: a histogram's series, and a counter's or info metric's
/// family in OpenMetrics, which names them without `_total` or `_info`.
pub(crate) fn derived_names(name: &str, kind: &str) -> Vec<(String, String)> {
    let family = |suffix: &str, what: &str| {
        name.strip_suffix(suffix).map(|family| {
            let why = format!(
                "{what} `{name}`'s family in OpenMetrics, which names {} without `{suffix}`",
                if what == "counter" {
                    "a counter"
                } else {
                    "an info metric"
                }
            );
            (family.to_owned(), why)
        })
    };
    match kind {
        "histogram" => HISTOGRAM_SERIES
            .iter()
            .map(|suffix| {
                let why = format!("a series of histogram `{name}`");
                (format!("{name}{suffix}"), why)
            })
            .collect(),
        "counter" => family("_total", "counter").into_iter().collect(),
        "info" => family("_info", "info metric").into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Every name a metric takes in an exposition: its own and [`derived_names`].
fn names_taken(name: &str, kind: &str) -> Vec<String> {
    let mut names = vec![name.to_owned()];
    names.extend(derived_names(name, kind).into_iter().map(|(n, _)| n));
    names
}

fn check_collectors(
    sink: &mut Sink<'_>,
    listed: &Sp<Vec<Sp<String>>>,
    declared: &Declared<'_>,
    namespace: Option<&str>,
) -> Option<Vec<(Collector, usize)>> {
    let mut collectors: Vec<(Collector, usize)> = Vec::new();
    let mut ok = true;
    for (i, name) in listed.value.iter().enumerate() {
        let Some(collector) = Collector::ALL
            .into_iter()
            .find(|c| c.as_str() == name.value)
        else {
            let help = match closest(&name.value, Collector::ALL.map(Collector::as_str)) {
                Some(known) => format!("did you mean `{known}`?"),
                None => "the collectors are `process` and `build_info`".to_owned(),
            };
            sink.error(
                "unknown-collector",
                name.span.clone(),
                format!("unknown collector `{}`", name.value),
            )
            .help(help);
            ok = false;
            continue;
        };
        if let Some(first) = listed.value[..i].iter().find(|n| n.value == name.value) {
            sink.error(
                "duplicate-collector",
                name.span.clone(),
                format!("collector `{}` is listed twice", name.value),
            )
            .note_at("first listed at", first.span.start)
            .help("remove one of them");
            ok = false;
            continue;
        }
        let line = sink.line_column(name.span.start).0;
        for theirs in collector_metrics(collector, namespace, line) {
            let theirs_taken = names_taken(&theirs.name, theirs.kind.as_str());
            // Their labels are every series' labels: no constant label may be one of them.
            for label in &theirs.labels {
                for constant in declared.const_labels {
                    if constant.name.value == label.name {
                        sink.error(
                            "const-label-clash",
                            constant.name.span.clone(),
                            format!(
                                "constant label `{}` is a label of the `{collector}` collector's metric `{}`",
                                label.name, theirs.name
                            ),
                        )
                        .note_at(format!("the collector `{collector}` is listed at"), name.span.start)
                        .help("rename the constant label");
                        ok = false;
                    }
                }
            }
            for raw in declared.metrics {
                let Some(ours) = &raw.name else { continue };
                let kind = raw.kind.as_ref().map_or("", |k| k.value.as_str());
                let ours_taken = names_taken(&ours.value, kind);
                let handle = declared
                    .validated
                    .iter()
                    .find(|m| m.name == ours.value)
                    .map(|m| m.handle.as_str());
                let clash = if ours_taken.iter().any(|n| theirs_taken.contains(n)) {
                    format!(
                        "metric `{}` takes a name of the `{collector}` collector's metric `{}` in the exposition",
                        ours.value, theirs.name
                    )
                } else if handle == Some(theirs.handle.as_str()) {
                    format!(
                        "metric `{}` would generate the handle `{}`, which is the `{collector}` collector's metric `{}`",
                        ours.value, theirs.handle, theirs.name
                    )
                } else {
                    continue;
                };
                sink.error("collector-name-clash", ours.span.clone(), clash)
                    .note_at(format!("the collector `{collector}` is listed at"), name.span.start)
                    .help(format!(
                        "rename the metric, or drop `{collector}` from `collectors` and keep your own"
                    ));
                ok = false;
            }
        }
        collectors.push((collector, line));
    }
    ok.then_some(collectors)
}

/// The metrics `collector` adds to a registry in `namespace`; `line` is where it is listed.
fn collector_metrics(collector: Collector, namespace: Option<&str>, line: usize) -> Vec<Metric> {
    let metric = |name: &str, kind, unit: &str, summary: &str, labels| Metric {
        name: name.to_owned(),
        kind,
        unit: (!unit.is_empty()).then(|| unit.to_owned()),
        summary: summary.to_owned(),
        buckets: Vec::new(),
        deprecated: None,
        renamed_from: None,
        sharded: false,
        line,
        collector: Some(collector),
        handle: name.to_ascii_uppercase(),
        labels,
        family_type: None,
    };
    match collector {
        Collector::Process => PROCESS_METRICS
            .iter()
            .map(|m| metric(m.name, m.kind, m.unit, m.summary, Vec::new()))
            .collect(),
        Collector::BuildInfo => {
            let labels = BUILD_INFO_LABELS
                .iter()
                .map(|name| Label {
                    name: (*name).to_owned(),
                    parameter: parameter_ident(name),
                    values: LabelValues::Info,
                    line,
                })
                .collect();
            let name = build_info_name(namespace);
            let mut build_info = metric(&name, MetricKind::Info, "", BUILD_INFO_SUMMARY, labels);
            build_info.handle = "BUILD_INFO".to_owned();
            vec![build_info]
        }
    }
}

fn check_namespace(sink: &mut Sink<'_>, ns: &Sp<String>) -> Option<String> {
    match name_problem(&ns.value) {
        Some(problem) => {
            sink.error(
                "invalid-namespace",
                ns.span.clone(),
                format!("namespace `{}` {problem}", ns.value),
            )
            .help("use lowercase letters, digits and single underscores, starting with a letter");
            None
        }
        None if ns.value.ends_with('_') => {
            sink.error(
                "invalid-namespace",
                ns.span.clone(),
                format!("namespace `{}` ends in `_`", ns.value),
            )
            .help(format!(
                "write `{}`: the `_` between namespace and name is implied",
                ns.value.trim_end_matches('_')
            ));
            None
        }
        None => Some(ns.value.clone()),
    }
}

fn check_version(sink: &mut Sink<'_>, v: &Sp<String>) -> Option<(semver::Version, usize)> {
    match semver::Version::parse(&v.value) {
        Ok(version) => Some((version, sink.line_column(v.span.start).0)),
        Err(e) => {
            sink.error(
                "invalid-version",
                v.span.clone(),
                format!("version `{}` is not semver: {e}", v.value),
            )
            .help("write MAJOR.MINOR.PATCH, e.g. `1.0.0`");
            None
        }
    }
}

/// Why a metric or namespace name is not `^[a-z][a-z0-9_]*$` without `__`, if it is not.
fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".to_owned());
    }
    if name.contains(':') {
        return Some("contains `:`, which Prometheus reserves for recording rules".to_owned());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_'))
    {
        return Some(format!(
            "contains `{c}`; only lowercase letters, digits and `_` are allowed"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("must start with a lowercase letter".to_owned());
    }
    if name.contains("__") {
        return Some("contains `__`, which Prometheus reserves for internal use".to_owned());
    }
    None
}

fn check_metric(
    sink: &mut Sink<'_>,
    raw: &RawMetric,
    namespace_decl: Option<&Sp<String>>,
    namespace: Option<&str>,
) -> Option<Metric> {
    let kind = raw.kind.as_ref().and_then(|k| check_kind(sink, k));
    let summary = raw
        .summary
        .as_ref()
        .and_then(|s| non_blank(sink, "blank-summary", "summary", s));
    let deprecated = raw
        .deprecated
        .as_ref()
        .and_then(|d| non_blank(sink, "blank-deprecated", "deprecated", d));
    let renamed_from = raw
        .renamed_from
        .as_ref()
        .and_then(|r| check_renamed_from(sink, raw, r));

    let name = raw.name.as_ref()?;
    let name_ok = check_name(sink, name, namespace_decl, namespace);
    let handle = name_ok
        .then(|| check_handle(sink, name, namespace))
        .flatten();
    let mut ok = handle.is_some();
    if let (Some(kind), true) = (kind, name_ok) {
        ok &= check_suffixes(sink, name, kind);
        ok &= check_name_units(sink, name);
        match &raw.unit {
            Some(unit) if kind == MetricKind::Info => {
                sink.error(
                    "info-unit",
                    unit.span.clone(),
                    format!("info metric `{}` declares a unit", name.value),
                )
                .help("remove `unit`: an info metric's value is always 1, and what it says is in its labels");
                ok = false;
            }
            Some(unit) => ok &= check_unit(sink, name, kind, unit),
            None => {}
        }
    }
    let buckets = kind.and_then(|kind| check_buckets(sink, raw, kind));
    let labels = match (&raw.labels, kind) {
        (None, Some(MetricKind::Info)) if !raw.has_labels_key => {
            sink.error(
                "info-labels",
                name.span.clone(),
                format!("info metric `{}` declares no labels", name.value),
            )
            .help("an info metric says what it says in its labels: `labels = [\"model\", \"checkpoint\"]`");
            None
        }
        (None, _) => Some(Vec::new()),
        (Some(declared), Some(kind)) => check_labels(sink, declared, kind),
        (Some(_), None) => None,
    };

    let sharded = match (&raw.sharded, kind) {
        (Some(sharded), Some(kind)) => check_sharded(sink, sharded, kind, raw.labels.is_some()),
        (None, _) => Some(false),
        (Some(_), None) => None,
    };

    let (kind, summary, buckets, handle, labels, sharded) =
        (kind?, summary?, buckets?, handle?, labels?, sharded?);
    if !ok
        || (raw.deprecated.is_some() && deprecated.is_none())
        || (raw.renamed_from.is_some() && renamed_from.is_none())
    {
        return None;
    }
    Some(Metric {
        name: name.value.clone(),
        kind,
        unit: raw.unit.as_ref().map(|u| u.value.clone()),
        summary,
        buckets,
        deprecated,
        renamed_from,
        sharded,
        line: sink.line_column(name.span.start).0,
        collector: None,
        family_type: match kind {
            MetricKind::Info => Some(upper_camel(&handle.to_ascii_lowercase())),
            _ => (!labels.is_empty())
                .then(|| format!("{}Family", upper_camel(&handle.to_ascii_lowercase()))),
        },
        handle,
        labels,
    })
}

fn check_kind(sink: &mut Sink<'_>, kind: &Sp<String>) -> Option<MetricKind> {
    if let Some(k) = MetricKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind.value)
    {
        return Some(k);
    }
    let help = match kind.value.as_str() {
        "summary" => {
            "summaries are not supported: use `histogram` and `histogram_quantile()`".to_owned()
        }
        other => match closest(other, MetricKind::ALL.map(MetricKind::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "use `counter`, `gauge`, `histogram` or `info`".to_owned(),
        },
    };
    sink.error(
        "invalid-kind",
        kind.span.clone(),
        format!("unknown kind `{}`", kind.value),
    )
    .help(help);
    None
}

fn non_blank(
    sink: &mut Sink<'_>,
    rule: &'static str,
    key: &str,
    text: &Sp<String>,
) -> Option<String> {
    if text.value.trim().is_empty() {
        let help = match key {
            "summary" => {
                "write one sentence saying what the metric measures; it becomes the HELP text"
            }
            "default" => {
                "give the value a process takes when the variable is unset, or remove `default` to make an unset variable an export error; Prometheus reads a blank label value as no label"
            }
            _ => "say why the metric is deprecated and what to use instead",
        };
        sink.error(rule, text.span.clone(), format!("`{key}` is blank"))
            .help(help);
        return None;
    }
    Some(text.value.clone())
}

fn check_name(
    sink: &mut Sink<'_>,
    name: &Sp<String>,
    namespace_decl: Option<&Sp<String>>,
    namespace: Option<&str>,
) -> bool {
    if let Some(problem) = name_problem(&name.value) {
        let suggestion: String = name
            .value
            .to_ascii_lowercase()
            .replace([':', '-', '.', ' '], "_");
        let mut d = sink.error(
            "invalid-name",
            name.span.clone(),
            format!("metric name `{}` {problem}", name.value),
        );
        if name_problem(&suggestion).is_none() {
            d = d.help(format!("did you mean `{suggestion}`?"));
        } else {
            d = d.help(
                "use lowercase letters, digits and single underscores, starting with a letter",
            );
        }
        drop(d);
        return false;
    }
    if name.value == DROPPED_LABEL_VALUES_METRIC {
        sink.error(
            "reserved-name",
            name.span.clone(),
            format!(
                "`{}` is the runtime's own counter of dropped label values",
                name.value
            ),
        )
        .help("choose another name");
        return false;
    }
    if let (Some(ns), Some(decl)) = (namespace, namespace_decl) {
        let prefixed = name
            .value
            .strip_prefix(ns)
            .and_then(|rest| rest.strip_prefix('_'));
        if prefixed.is_none_or(str::is_empty) {
            sink.error(
                "namespace-prefix",
                name.span.clone(),
                format!(
                    "metric name `{}` does not start with the namespace `{ns}_`",
                    name.value
                ),
            )
            .note_at("the namespace is set at", decl.span.start)
            .help(format!(
                "rename it to `{}`",
                with_namespace(&name.value, ns)
            ));
            return false;
        }
    }
    true
}

/// The handle identifier: the name without the namespace prefix, in upper snake case.
fn check_handle(sink: &mut Sink<'_>, name: &Sp<String>, namespace: Option<&str>) -> Option<String> {
    let bare = namespace
        .and_then(|ns| name.value.strip_prefix(ns)?.strip_prefix('_'))
        .unwrap_or(&name.value);
    let handle = bare.to_ascii_uppercase();
    let problem = if !bare.starts_with(|c: char| c.is_ascii_lowercase()) {
        "starts with a digit once the namespace is removed, which is not a Rust identifier"
    } else if handle == TABLE_HANDLE {
        "would generate the handle `METRICS`, which is the registry table's"
    } else {
        return Some(handle);
    };
    sink.error(
        "handle-name",
        name.span.clone(),
        format!("metric name `{}` {problem}", name.value),
    )
    .help("put a word before it, e.g. `requests_2xx_total` rather than `2xx_requests_total`");
    None
}

fn check_suffixes(sink: &mut Sink<'_>, name: &Sp<String>, kind: MetricKind) -> bool {
    let n = name.value.as_str();
    let span = || name.span.clone();
    let mut ok = true;
    match kind {
        MetricKind::Counter if !n.ends_with("_total") => {
            sink.error(
                "counter-suffix",
                span(),
                format!("counter `{n}` must end in `_total`"),
            )
            .help(format!("rename it to `{}`", with_total(n)));
            ok = false;
        }
        MetricKind::Info if !n.ends_with("_info") => {
            sink.error(
                "info-suffix",
                span(),
                format!("info metric `{n}` must end in `_info`"),
            )
            .help(format!(
                "rename it to `{}_info`",
                n.trim_end_matches("_total")
            ));
            ok = false;
        }
        MetricKind::Counter | MetricKind::Gauge | MetricKind::Histogram if n.ends_with("_info") => {
            sink.error(
                "info-suffix",
                span(),
                format!("{kind} `{n}` must not end in `_info`, which marks info metrics"),
            )
            .help("make it `kind = \"info\"` if its labels describe something and its value is always 1, or rename it");
            ok = false;
        }
        MetricKind::Gauge | MetricKind::Histogram | MetricKind::Info if n.ends_with("_total") => {
            sink.error(
                "total-suffix",
                span(),
                format!(
                    "{} `{n}` must not end in `_total`, which marks counters",
                    kind.noun()
                ),
            )
            .help(format!(
                "rename it to `{}`, or make it a counter",
                n.trim_end_matches("_total")
            ));
            ok = false;
        }
        _ => {}
    }
    if kind != MetricKind::Histogram
        && let Some(suffix) = RESERVED_SUFFIXES.iter().find(|s| n.ends_with(*s))
    {
        sink.error(
            "reserved-suffix",
            span(),
            format!(
                "{} `{n}` must not end in `{suffix}`, a suffix of histogram and summary series",
                kind.noun()
            ),
        )
        .help("choose a name that does not end in `_bucket`, `_count`, `_sum` or `_created`");
        ok = false;
    }
    for word in TYPE_WORDS {
        if n.ends_with(&format!("_{word}")) || n.contains(&format!("_{word}_")) {
            sink.error("type-in-name", span(), format!("metric name `{n}` contains the type word `{word}`"))
                .help("the type is already in `kind` and in the exposition's `# TYPE` line: drop the word");
            ok = false;
        }
    }
    ok
}

fn check_name_units(sink: &mut Sink<'_>, name: &Sp<String>) -> bool {
    let mut ok = true;
    for word in name.value.split('_') {
        if let Some(base) = units::abbreviation(word) {
            sink.error(
                "abbreviated-unit",
                name.span.clone(),
                format!(
                    "metric name `{}` contains the abbreviated unit `{word}`",
                    name.value
                ),
            )
            .help(format!("spell the base unit out: `{base}`"));
            ok = false;
        } else if let Some(base) = units::non_base(word) {
            sink.error(
                "non-base-unit",
                name.span.clone(),
                format!(
                    "metric name `{}` uses `{word}`, which is not a base unit",
                    name.value
                ),
            )
            .help(format!("use base unit `{base}` (record values in {base})"));
            ok = false;
        }
    }
    ok
}

fn check_unit(sink: &mut Sink<'_>, name: &Sp<String>, kind: MetricKind, unit: &Sp<String>) -> bool {
    let u = unit.value.as_str();
    if u.trim().is_empty() {
        sink.error("blank-unit", unit.span.clone(), "`unit` is blank")
            .help("name the unit the metric's suffix spells (`seconds`, `bytes`, ...), or remove `unit`");
        return false;
    }
    if let Some(base) = units::non_base(u).or_else(|| units::abbreviation(u)) {
        sink.error(
            "non-base-unit",
            unit.span.clone(),
            format!("unit `{u}` is not a base unit"),
        )
        .help(format!("use base unit `{base}` (record values in {base})"));
        return false;
    }
    let suffix = match kind {
        MetricKind::Counter => format!("_{u}_total"),
        _ => format!("_{u}"),
    };
    if !name.value.ends_with(&suffix) {
        let stem = name.value.strip_suffix("_total").unwrap_or(&name.value);
        let renamed = match kind {
            MetricKind::Counter => format!("{stem}_{u}_total"),
            _ => format!("{stem}_{u}"),
        };
        sink.error(
            "unit-suffix",
            unit.span.clone(),
            format!("unit `{u}` is not the suffix of `{}`", name.value),
        )
        .note(format!(
            "a {kind}'s name must end in `{suffix}` when its unit is `{u}`"
        ))
        .help(match units::closest_base(u) {
            // A misspelt unit the name already spells right: fix the unit, not the name.
            Some(base) if name.value.ends_with(&suffix.replace(u, base)) => {
                format!(
                    "did you mean `unit = \"{base}\"`? the name ends in `{}`",
                    suffix.replace(u, base)
                )
            }
            _ => format!("rename the metric to `{renamed}`, or fix the unit"),
        });
        return false;
    }
    true
}

/// `name` with the namespace `ns` in front: a near miss of it at the start (`geno_lwem_` for
/// `geno_lewm_`) is replaced, not kept behind a second copy.
fn with_namespace(name: &str, ns: &str) -> String {
    let words = ns.split('_').count();
    let parts: Vec<&str> = name.splitn(words + 1, '_').collect();
    if parts.len() == words + 1 {
        let head = parts[..words].join("_");
        if crate::closest(&head, [ns]).is_some() {
            return format!("{ns}_{}", parts[words]);
        }
    }
    format!("{ns}_{name}")
}

/// A counter's `name` ending in `_total`: a near miss of it at the end (`_totl`, `_totals`) is
/// replaced, not kept before the real one.
fn with_total(name: &str) -> String {
    match name.rsplit_once('_') {
        Some((stem, last)) if !stem.is_empty() && crate::closest(last, ["total"]).is_some() => {
            format!("{stem}_total")
        }
        _ => format!("{name}_total"),
    }
}

fn check_buckets(sink: &mut Sink<'_>, raw: &RawMetric, kind: MetricKind) -> Option<Vec<f64>> {
    let Some(declared) = &raw.buckets else {
        return Some(match kind {
            MetricKind::Histogram => DEFAULT_BUCKETS.to_vec(),
            _ => Vec::new(),
        });
    };
    if kind != MetricKind::Histogram {
        sink.error(
            "buckets-not-histogram",
            declared.span.clone(),
            format!("{} has no buckets", kind.with_article()),
        )
        .help("remove `buckets`, or make the metric a histogram");
        return None;
    }
    if declared.value.is_empty() {
        sink.error("buckets-empty", declared.span.clone(), "`buckets` is empty")
            .help("list at least one finite upper bound, or remove `buckets` to get the Prometheus defaults");
        return None;
    }
    let mut ok = true;
    let mut previous: Option<&Sp<f64>> = None;
    for bound in &declared.value {
        if !bound.value.is_finite() {
            let help = if bound.value == f64::INFINITY {
                "remove it: the `+Inf` bucket is always there"
            } else {
                "bucket bounds are finite numbers"
            };
            sink.error(
                "bucket-not-finite",
                bound.span.clone(),
                format!("bucket bound `{}` is not finite", bound.value),
            )
            .help(help);
            ok = false;
            continue;
        }
        if let Some(prev) = previous
            && bound.value <= prev.value
        {
            sink.error(
                "buckets-not-increasing",
                bound.span.clone(),
                format!("bucket bound `{}` does not increase", bound.value),
            )
            .note_at(format!("it follows `{}` at", prev.value), prev.span.start)
            .help("list bounds in strictly increasing order, each once");
            ok = false;
        }
        previous = Some(bound);
    }
    ok.then(|| declared.value.iter().map(|b| b.value).collect())
}

fn check_renamed_from(sink: &mut Sink<'_>, raw: &RawMetric, old: &Sp<String>) -> Option<String> {
    let problem = match name_problem(&old.value) {
        Some(problem) => format!("`renamed_from` names `{}`, which {problem}", old.value),
        None if raw.name.as_ref().is_some_and(|n| n.value == old.value) => {
            "`renamed_from` repeats the metric's own name".to_owned()
        }
        None => return Some(old.value.clone()),
    };
    sink.error("renamed-from", old.span.clone(), problem)
        .help("set `renamed_from` to the name the metric had in the previous release");
    None
}

/// `sharded = true` is for unlabelled counters and histograms: the kinds whose writers
/// contend on shared atomics. (A gauge's last write wins, so it has nothing to shard, and a
/// labelled metric already spreads its writers over its series.)
fn check_sharded(
    sink: &mut Sink<'_>,
    sharded: &Sp<bool>,
    kind: MetricKind,
    labelled: bool,
) -> Option<bool> {
    if !sharded.value {
        return Some(false);
    }
    let problem = if kind == MetricKind::Gauge {
        "a gauge cannot be sharded".to_owned()
    } else if labelled {
        format!("a labelled {kind} cannot be sharded")
    } else {
        return Some(true);
    };
    sink.error("sharded", sharded.span.clone(), problem)
        .help("only unlabelled counters and histograms can be sharded: remove `sharded`");
    None
}

/// `labels = { ... }` of one metric: names, values and the series cap.
fn check_labels(
    sink: &mut Sink<'_>,
    declared: &Sp<Vec<RawLabel>>,
    kind: MetricKind,
) -> Option<Vec<Label>> {
    if declared.value.is_empty() && kind == MetricKind::Info {
        sink.error(
            "info-labels",
            declared.span.clone(),
            "an info metric's `labels` lists no label",
        )
        .help("an info metric says what it says in its labels: `labels = [\"model\", \"checkpoint\"]`");
        return None;
    }
    if declared.value.is_empty() {
        sink.error(
            "label-values-empty",
            declared.span.clone(),
            "`labels` declares no label",
        )
        .help("remove `labels`, or declare one, e.g. `labels = { phase = [\"train\", \"eval\"] }`");
        return None;
    }
    let mut labels = Vec::with_capacity(declared.value.len());
    let mut ok = true;
    for raw in &declared.value {
        let name_ok = check_label_name(sink, &raw.name, kind);
        let values = match (&raw.values, kind) {
            (RawLabelValues::Info, MetricKind::Info) => Some(LabelValues::Info),
            (RawLabelValues::Info, _) => {
                sink.error(
                    "info-labels",
                    raw.name.span.clone(),
                    format!("a {kind}'s labels are a table of names and values, not a list"),
                )
                .help(format!(
                    "write `labels = {{ {} = [\"a\", \"b\"] }}` (values listed) or `labels = {{ {} = {{ max_series = 64 }} }}` (free-form); a list of names is an info metric's",
                    raw.name.value, raw.name.value
                ));
                None
            }
            (_, MetricKind::Info) => {
                sink.error(
                    "info-labels",
                    raw.name.span.clone(),
                    format!(
                        "an info metric's label `{}` declares values; its values are given by each `set`",
                        raw.name.value
                    ),
                )
                .help("list the label names only: `labels = [\"model\", \"checkpoint\"]`");
                None
            }
            (RawLabelValues::Enumerated(values), _) => check_label_values(sink, &raw.name, values),
            (RawLabelValues::FreeForm { max_series, .. }, _) => max_series
                .as_ref()
                .and_then(|m| check_max_series(sink, &raw.name, m)),
        };
        if let Some(first) = declared
            .value
            .iter()
            .find(|l| l.name.value == raw.name.value)
            && !std::ptr::eq(first, raw)
        {
            sink.error(
                "duplicate-label",
                raw.name.span.clone(),
                format!("label `{}` is listed twice", raw.name.value),
            )
            .note_at("first listed at", first.name.span.start)
            .help("remove one of them");
            ok = false;
        }
        match values {
            Some(values) if name_ok => labels.push(Label {
                name: raw.name.value.clone(),
                parameter: parameter_ident(&raw.name.value),
                values,
                line: sink.line_column(raw.name.span.start).0,
            }),
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    // Two labels whose parameters would be one identifier (`self` and `self_`).
    for (i, label) in labels.iter().enumerate() {
        if let Some(first) = labels[..i].iter().find(|l| l.parameter == label.parameter) {
            let raw = &declared.value[i];
            sink.error(
                "label-ident",
                raw.name.span.clone(),
                format!(
                    "labels `{}` and `{}` would both be the parameter `{}` of `with(..)`",
                    first.name, label.name, label.parameter
                ),
            )
            .help("rename one of them");
            return None;
        }
    }
    // Saturating: a product past usize is as far over the cap as any.
    let series = labels.iter().fold(1usize, |product, label| {
        product.saturating_mul(label.width())
    });
    if series > MAX_SERIES_PER_METRIC {
        let widths: Vec<String> = labels
            .iter()
            .map(|l| match l.values {
                LabelValues::Enumerated { .. } => format!("{} {}", l.width(), l.name),
                LabelValues::FreeForm { max_series } => {
                    format!(
                        "{} {} (max_series {max_series} + overflow)",
                        l.width(),
                        l.name
                    )
                }
                LabelValues::Info => format!("1 {}", l.name),
            })
            .collect();
        sink.error(
            "label-cardinality",
            declared.span.clone(),
            format!(
                "these labels make {series} series, more than the {MAX_SERIES_PER_METRIC} one metric may have"
            ),
        )
        .note(format!("series = {}", widths.join(" x ")))
        .help("drop a label, list fewer values, or lower `max_series`: every series is allocated up front");
        return None;
    }
    Some(labels)
}

/// Why `label` may not be a label of a `kind` metric, when it may not: the label names
/// Prometheus gives a meaning of their own, following promlint (`promtool check metrics`).
/// `le` is a histogram's bucket bound, so a histogram's own label would clash with it and
/// promlint flags it on every other kind; `quantile` is a summary's, which promlint flags on
/// every other kind, and geno-metrics has no summaries.
fn reserved_label(label: &str, kind: MetricKind) -> Option<String> {
    match (label, kind) {
        ("le", MetricKind::Histogram) => Some(
            "a histogram may not have a label `le`: its `_bucket` series use it for the upper bound"
                .to_owned(),
        ),
        ("le", _) => Some(format!(
            "{} may not have a label `le`: Prometheus reads `le` as a histogram's bucket bound, and promtool flags it on any other kind",
            kind.with_article()
        )),
        ("quantile", _) => Some(format!(
            "{} may not have a label `quantile`: Prometheus reads `quantile` as a summary's quantile, and promtool flags it on any other kind",
            kind.with_article()
        )),
        _ => None,
    }
}

fn check_label_name(sink: &mut Sink<'_>, name: &Sp<String>, kind: MetricKind) -> bool {
    if let Some(problem) = label_name_problem(&name.value) {
        invalid_label_name(sink, name, &problem);
        false
    } else if let Some(why) = reserved_label(&name.value, kind) {
        sink.error("reserved-label", name.span.clone(), why)
            .help("name the label after what it means, e.g. `limit` or `level`");
        false
    } else if let Some(instead) = match name.value.as_str() {
        "job" => Some("`workload`"),
        "instance" => Some("`host` or `replica`"),
        _ => None,
    } {
        let label = &name.value;
        sink.error(
            "target-label",
            name.span.clone(),
            format!(
                "a metric may not have a label `{label}`: Prometheus attaches `{label}` to every target it scrapes and would rename this one `exported_{label}`"
            ),
        )
        .help(format!("name the label after what it tells apart, e.g. {instead}"));
        false
    } else {
        true
    }
}

/// Why `n` is not a valid label name (`^[a-z][a-z0-9_]*$`, not starting with `__`), if not.
fn label_name_problem(n: &str) -> Option<String> {
    if n.is_empty() {
        Some("is empty".to_owned())
    } else if n.starts_with("__") {
        Some("starts with `__`, which Prometheus reserves for its internal labels".to_owned())
    } else if let Some(c) = n
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_'))
    {
        Some(format!(
            "contains `{c}`; only lowercase letters, digits and `_` are allowed"
        ))
    } else if !n.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a lowercase letter".to_owned())
    } else {
        None
    }
}

fn invalid_label_name(sink: &mut Sink<'_>, name: &Sp<String>, problem: &str) {
    sink.error(
        "invalid-label-name",
        name.span.clone(),
        format!("label name `{}` {problem}", name.value),
    )
    .help("use lowercase letters, digits and `_`, starting with a letter");
}

/// `[registry] const_labels`: each a valid label name that no series already uses, with a
/// valid environment variable and a non-blank default.
fn check_const_labels(
    sink: &mut Sink<'_>,
    raw: &[RawConstLabel],
    metrics: &[RawMetric],
) -> Option<Vec<ConstLabel>> {
    let mut labels = Vec::with_capacity(raw.len());
    let mut ok = true;
    for label in raw {
        let name = &label.name;
        let n = name.value.as_str();
        let name_ok = if let Some(problem) = label_name_problem(n) {
            invalid_label_name(sink, name, &problem);
            false
        } else if let Some((why, help)) = reserved_const_label(n) {
            sink.error("reserved-label", name.span.clone(), why)
                .help(help);
            false
        } else if let Some(clash) = metrics
            .iter()
            .flat_map(|m| m.labels.iter().flat_map(|l| &l.value).map(move |l| (m, l)))
            .find(|(_, l)| l.name.value == n)
        {
            let metric = clash
                .0
                .name
                .as_ref()
                .map_or("a metric", |m| m.value.as_str());
            sink.error(
                "const-label-clash",
                name.span.clone(),
                format!("constant label `{n}` is also a label of `{metric}`"),
            )
            .note_at("declared there at", clash.1.name.span.start)
            .help("a series cannot carry one label twice: rename the constant label or the metric's label");
            false
        } else {
            true
        };
        let env_ok = label
            .env
            .as_ref()
            .is_some_and(|env| check_env_var(sink, env));
        let default_ok = label
            .default
            .as_ref()
            .is_none_or(|d| non_blank(sink, "blank-default", "default", d).is_some());
        match &label.env {
            Some(env) if name_ok && env_ok && default_ok => labels.push(ConstLabel {
                name: n.to_owned(),
                env: env.value.clone(),
                default: label.default.as_ref().map(|d| d.value.clone()),
                line: sink.line_column(name.span.start).0,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(labels)
}

/// Why a constant label may not be called `label`, and what to call it instead, if so.
fn reserved_const_label(label: &str) -> Option<(String, String)> {
    let target = |suggestion: &str| {
        Some((
            format!(
                "a constant label may not be `{label}`: Prometheus attaches `{label}` to every target it scrapes and would rename this one `exported_{label}`"
            ),
            format!("name it after what it tells apart, e.g. `{suggestion}`"),
        ))
    };
    match label {
        "job" => target("workload"),
        "instance" => target("host"),
        "le" | "quantile" => Some((
            format!(
                "a constant label may not be `{label}`: Prometheus reads it as a histogram's bucket bound or a summary's quantile, and every series carries the constant labels"
            ),
            "name the label after what it tells apart, e.g. `rank`".to_owned(),
        )),
        "metric" | "label" => Some((
            format!(
                "a constant label may not be `{label}`: the series of `{DROPPED_LABEL_VALUES_METRIC}` use it"
            ),
            "name the label after what it tells apart, e.g. `rank`".to_owned(),
        )),
        _ => None,
    }
}

/// An environment variable's name as POSIX shells accept it: `^[A-Za-z_][A-Za-z0-9_]*$`.
fn check_env_var(sink: &mut Sink<'_>, env: &Sp<String>) -> bool {
    let v = env.value.as_str();
    let valid = v.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        sink.error(
            "invalid-env-var",
            env.span.clone(),
            format!("`{v}` is not an environment variable name"),
        )
        .help("use letters, digits and `_`, not starting with a digit, e.g. `RANK`");
    }
    valid
}

fn check_label_values(
    sink: &mut Sink<'_>,
    name: &Sp<String>,
    values: &Sp<Vec<Sp<String>>>,
) -> Option<LabelValues> {
    if values.value.is_empty() {
        sink.error(
            "label-values-empty",
            values.span.clone(),
            format!("label `{}` lists no value", name.value),
        )
        .help("list every value the label takes, or make it free-form with `{ max_series = N }`");
        return None;
    }
    let mut ok = true;
    let mut checked: Vec<(&Sp<String>, String)> = Vec::with_capacity(values.value.len());
    for value in &values.value {
        if value.value.trim().is_empty() {
            sink.error(
                "blank-label-value",
                value.span.clone(),
                format!("label `{}` has a blank value", name.value),
            )
            .help("Prometheus treats an empty label value as no label at all: name the value");
            ok = false;
            continue;
        }
        if let Some((first, _)) = checked.iter().find(|(v, _)| v.value == value.value) {
            sink.error(
                "duplicate-label-value",
                value.span.clone(),
                format!("label `{}` lists `{}` twice", name.value, value.value),
            )
            .note_at("first listed at", first.span.start)
            .help("list each value once");
            ok = false;
            continue;
        }
        let Some(variant) = variant_name(&value.value) else {
            sink.error(
                "label-value-ident",
                value.span.clone(),
                format!(
                    "label value `{}` has no letter or digit to name its enum variant",
                    value.value
                ),
            )
            .help("use letters or digits in the value, e.g. `ok` or `2xx`");
            ok = false;
            continue;
        };
        if let Some((first, _)) = checked.iter().find(|(_, v)| *v == variant) {
            sink.error(
                "label-value-ident",
                value.span.clone(),
                format!(
                    "label values `{}` and `{}` both become the enum variant `{variant}`",
                    first.value, value.value
                ),
            )
            .note_at(format!("`{}` is listed at", first.value), first.span.start)
            .help("values must differ in more than case and punctuation");
            ok = false;
            continue;
        }
        checked.push((value, variant));
    }
    ok.then(|| LabelValues::Enumerated {
        type_name: upper_camel(&name.value),
        values: checked
            .into_iter()
            .map(|(value, variant)| LabelValue {
                value: value.value.clone(),
                variant,
            })
            .collect(),
    })
}

fn check_max_series(sink: &mut Sink<'_>, name: &Sp<String>, max: &Sp<i64>) -> Option<LabelValues> {
    match usize::try_from(max.value) {
        Ok(max_series) if (1..MAX_SERIES_PER_METRIC).contains(&max_series) => {
            Some(LabelValues::FreeForm { max_series })
        }
        _ => {
            sink.error(
                "max-series",
                max.span.clone(),
                format!(
                    "`max_series` of label `{}` must be between 1 and {}",
                    name.value,
                    MAX_SERIES_PER_METRIC - 1
                ),
            )
            .help("give the number of distinct values that get a series of their own; later ones share the overflow series");
            None
        }
    }
}

/// The enum variant for a label value: its ASCII letter-or-digit runs, each starting upper
/// case (`in_progress` -> `InProgress`, `OK` -> `OK`), with `V` before a leading digit
/// (`2xx` -> `V2xx`). `None` when the value has no ASCII letter or digit.
fn variant_name(value: &str) -> Option<String> {
    let mut variant = upper_camel(value);
    if variant.starts_with(|c: char| c.is_ascii_digit()) {
        variant.insert(0, 'V');
    }
    match variant.as_str() {
        "" => None,
        // The one upper camel case keyword.
        "Self" => Some("SelfValue".to_owned()),
        _ => Some(variant),
    }
}

/// `device_kind` -> `DeviceKind`: ASCII letter-or-digit runs, each with its first letter upper
/// case and the rest as written.
pub(crate) fn upper_camel(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
        })
        .collect()
}

/// The generated types of a registry: one enum per enumerated label name, shared by every
/// metric that declares it with the same values, and one family type per labelled metric.
fn check_label_types(sink: &mut Sink<'_>, raw: &[RawMetric], metrics: &[Metric]) {
    // First declaration of each enumerated label name, with its values and where it is.
    let mut enums: HashMap<&str, (&[LabelValue], &Sp<String>)> = HashMap::new();
    let mut type_names: HashMap<String, &Sp<String>> = HashMap::new();
    let valid = raw.iter().filter_map(|r| {
        let name = r.name.as_ref()?;
        let metric = metrics.iter().find(|m| m.name == name.value)?;
        Some((r, name, metric))
    });
    for (raw_metric, name, metric) in valid {
        let raw_labels = raw_metric.labels.iter().flat_map(|l| &l.value);
        for (label, raw_label) in metric.labels.iter().zip(raw_labels) {
            let LabelValues::Enumerated { type_name, values } = &label.values else {
                continue;
            };
            match enums.get(label.name.as_str()) {
                Some((first_values, first)) if *first_values != values.as_slice() => {
                    let listed: Vec<&str> = first_values.iter().map(|v| v.value.as_str()).collect();
                    sink.error(
                        "label-conflict",
                        raw_label.name.span.clone(),
                        format!(
                            "label `{}` lists other values than where it was first declared",
                            label.name
                        ),
                    )
                    .note_at(format!("first declared as {listed:?} at"), first.span.start)
                    .help(format!(
                        "one label name is one enum (`{type_name}`): list the same values in the same order, or give this label another name"
                    ));
                }
                Some(_) => {}
                None => {
                    enums.insert(&label.name, (values, &raw_label.name));
                    claim_type_name(sink, &mut type_names, type_name, &raw_label.name);
                }
            }
        }
        if let Some(family_type) = &metric.family_type {
            claim_type_name(sink, &mut type_names, family_type, name);
        }
    }
}

/// Records that the declaration at `by` generates the type `type_name`, reporting a clash.
fn claim_type_name<'r>(
    sink: &mut Sink<'_>,
    claimed: &mut HashMap<String, &'r Sp<String>>,
    type_name: &str,
    by: &'r Sp<String>,
) {
    if type_name == "Self" {
        sink.error(
            "type-name",
            by.span.clone(),
            format!(
                "`{}` would generate the type `Self`, a Rust keyword",
                by.value
            ),
        )
        .help("rename the label");
    } else if let Some(first) = claimed.get(type_name) {
        sink.error(
            "type-name",
            by.span.clone(),
            format!(
                "`{}` would generate the type `{type_name}`, which `{}` generates too",
                by.value, first.value
            ),
        )
        .note_at("that one is declared at", first.span.start)
        .help("rename the label or the metric");
    } else {
        claimed.insert(type_name.to_owned(), by);
    }
}

/// Rules that compare metrics with each other.
fn check_across_metrics(sink: &mut Sink<'_>, metrics: &[RawMetric]) {
    let mut first_seen: HashMap<&str, &Sp<String>> = HashMap::new();
    for metric in metrics {
        let Some(name) = &metric.name else { continue };
        if let Some(first) = first_seen.get(name.value.as_str()) {
            sink.error(
                "duplicate-name",
                name.span.clone(),
                format!("metric `{}` is declared twice", name.value),
            )
            .note_at("first declared at", first.span.start)
            .help("metric names are unique: rename or remove one of them");
        } else {
            first_seen.insert(&name.value, name);
        }
    }

    // The names a metric takes beside its own: a histogram's series, and a counter's or info
    // metric's family in OpenMetrics, which names them without `_total` or `_info`. No other
    // metric may have one, nor derive it too, or the exposition would hold one name twice.
    let mut derived: HashMap<String, (&Sp<String>, String)> = HashMap::new();
    for metric in metrics {
        let (Some(owner), Some(kind)) = (&metric.name, &metric.kind) else {
            continue;
        };
        let taken = derived_names(&owner.value, &kind.value);
        for (name, why) in taken {
            if let Some(clash) = first_seen.get(name.as_str()) {
                sink.error(
                    "series-collision",
                    clash.span.clone(),
                    format!("metric `{name}` has the name of {why}"),
                )
                .note_at(
                    format!("the {} is declared at", kind.value),
                    owner.span.start,
                )
                .help("rename one of the two metrics");
            } else if let Some((first_owner, first_why)) = derived
                .get(name.as_str())
                // The same name twice is `duplicate-name`'s.
                .filter(|(first_owner, _)| first_owner.value != owner.value)
            {
                // Two metrics deriving one name: a counter `x_total` and an info metric
                // `x_info` are both the family `x` in OpenMetrics.
                sink.error(
                    "series-collision",
                    owner.span.clone(),
                    format!("`{name}` is {why}, and also {first_why}"),
                )
                .note_at("the other metric is declared at", first_owner.span.start)
                .help("rename one of the two metrics");
            } else {
                derived.insert(name, (owner, why));
            }
        }
    }

    for metric in metrics {
        let (Some(name), Some(old)) = (&metric.name, &metric.renamed_from) else {
            continue;
        };
        if old.value != name.value
            && let Some(other) = first_seen.get(old.value.as_str())
        {
            sink.error("renamed-from", old.span.clone(), format!("`renamed_from` names `{}`, which is still declared", old.value))
                .note_at("declared at", other.span.start)
                .help("a renamed metric's old name must be gone; mark the old one `deprecated` instead if both should live");
        }
    }
}

/// `[registry] rule_files`, `dashboards` and `target_labels`: relative paths, each listed once
/// across both lists (a file is a rule file or a dashboard, never both), and label names that
/// no series of the registry carries already.
fn check_query_keys(
    sink: &mut Sink<'_>,
    raw: &RawQueryKeys,
    const_labels: &[RawConstLabel],
    metrics: &[RawMetric],
) -> Option<QueryFiles> {
    let mut ok = true;
    let mut seen: Vec<&Sp<String>> = Vec::new();
    let (mut rule_files, mut dashboards) = (Vec::new(), Vec::new());
    for (key, listed, files) in [
        ("rule_files", &raw.rule_files, &mut rule_files),
        ("dashboards", &raw.dashboards, &mut dashboards),
    ] {
        for path in listed.iter().flat_map(|l| &l.value) {
            if let Some((problem, help)) = path_problem(&path.value) {
                sink.error(
                    "invalid-path",
                    path.span.clone(),
                    format!("`{key}` path `{}` {problem}", path.value),
                )
                .help(help);
                ok = false;
            } else if let Some(first) = seen.iter().find(|f| same_path(&f.value, &path.value)) {
                let help =
                    "remove one of them: a file is read once, as a rule file or as a dashboard";
                listed_twice(sink, "duplicate-path", "", path, first, help);
                ok = false;
            } else {
                files.push(QueryFile {
                    path: path.value.clone(),
                    line: sink.line_column(path.span.start).0,
                });
                seen.push(path);
            }
        }
    }

    let listed = raw.target_labels.as_ref().map_or(&[][..], |l| &l.value[..]);
    let mut target_labels = Vec::with_capacity(listed.len());
    for (i, label) in listed.iter().enumerate() {
        if let Some(problem) = label_name_problem(&label.value) {
            invalid_label_name(sink, label, &problem);
            ok = false;
        } else if let Some(first) = listed[..i].iter().find(|l| l.value == label.value) {
            let help = "remove one of them";
            listed_twice(sink, "duplicate-label", "target label ", label, first, help);
            ok = false;
        } else if !check_target_label(sink, label, const_labels, metrics) {
            ok = false;
        } else {
            target_labels.push(label.value.clone());
        }
    }
    ok.then_some(QueryFiles {
        rule_files,
        dashboards,
        target_labels,
    })
}

/// A `target_labels` entry: not a label Prometheus attaches by itself or reads specially, and
/// not one the registry's series carry already (a target label of that name would make
/// Prometheus rename theirs `exported_<name>`).
fn check_target_label(
    sink: &mut Sink<'_>,
    label: &Sp<String>,
    const_labels: &[RawConstLabel],
    metrics: &[RawMetric],
) -> bool {
    let n = label.value.as_str();
    let reserved = match n {
        "job" | "instance" => Some(format!(
            "target label `{n}` need not be listed: Prometheus attaches `{n}` to every target, and the guard knows it"
        )),
        "le" | "quantile" => Some(format!(
            "target label `{n}` would be read as a histogram's bucket bound or a summary's quantile on every series"
        )),
        _ => None,
    };
    if let Some(why) = reserved {
        sink.error("reserved-label", label.span.clone(), why)
            .help("remove it from `target_labels`");
        return false;
    }
    if let Some(constant) = const_labels.iter().find(|c| c.name.value == n) {
        sink.error(
            "target-label-clash",
            label.span.clone(),
            format!("target label `{n}` is also a constant label: the registry's series carry it already"),
        )
        .note_at("declared there at", constant.name.span.start)
        .help("remove it from `target_labels`; a scrape that attached it too would rename the series' own to `exported_` names");
        return false;
    }
    let declared = metrics
        .iter()
        .flat_map(|m| m.labels.iter().flat_map(|l| &l.value).map(move |l| (m, l)))
        .find(|(_, l)| l.name.value == n);
    if let Some((metric, declared)) = declared {
        let metric = metric
            .name
            .as_ref()
            .map_or("a metric", |m| m.value.as_str());
        sink.error(
            "target-label-clash",
            label.span.clone(),
            format!("target label `{n}` is also a label of `{metric}`"),
        )
        .note_at("declared there at", declared.name.span.start)
        .help("a series cannot carry one label twice: Prometheus would rename the metric's to `exported_` names; rename one of them");
        return false;
    }
    true
}

/// Reports `item` (a `what` such as `target label `, or nothing) as listed a second time after
/// `first`.
fn listed_twice(
    sink: &mut Sink<'_>,
    rule: &'static str,
    what: &str,
    item: &Sp<String>,
    first: &Sp<String>,
    help: &str,
) {
    sink.error(
        rule,
        item.span.clone(),
        format!("{what}`{}` is listed twice", item.value),
    )
    .note_at("first listed at", first.span.start)
    .help(help);
}

/// What is wrong with a path of `rule_files` or `dashboards`, and how to fix it, if anything.
fn path_problem(path: &str) -> Option<(&'static str, &'static str)> {
    let relative = "write it relative to the directory of this file, e.g. `metrics.rules.yml` or `../grafana/training.json`";
    if path.trim().is_empty() {
        Some((
            "is blank",
            "name a file relative to the directory of this file, or remove the entry",
        ))
    } else if path.chars().any(char::is_control) {
        Some((
            "contains a control character",
            "remove it: a path here is one line of plain text",
        ))
    } else if path.starts_with(['/', '\\'])
        || (path.len() >= 2
            && path.as_bytes()[0].is_ascii_alphabetic()
            && path.as_bytes()[1] == b':')
    {
        Some((
            "is absolute: the registry must read the same files in every checkout",
            relative,
        ))
    } else {
        None
    }
}

/// Whether two relative paths name one file as written: equal after `.` segments, repeated
/// separators and a trailing separator are left out (`./a.yml` is `a.yml`).
fn same_path(a: &str, b: &str) -> bool {
    let segments = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .map(str::to_owned)
            .collect()
    };
    segments(a) == segments(b)
}
