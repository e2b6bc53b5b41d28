//! Stage one: TOML text to a typed, still unvalidated model, keeping every span.
//!
//! This stage owns the structural rules: TOML syntax, unknown keys, value types and
//! missing keys. Everything it cannot read becomes a diagnostic, and reading goes on so
//! the user sees every problem of the file in one run.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::closest;
use crate::diagnostic::{DiagnosticBuilder, Sink};

/// A value with the byte span it was read from.
#[derive(Debug, Clone)]
pub(crate) struct Sp<T> {
    pub(crate) value: T,
    pub(crate) span: Range<usize>,
}

/// The file as written: every known key, typed, with spans.
#[derive(Debug, Default)]
pub(crate) struct RawRegistry {
    pub(crate) namespace: Option<Sp<String>>,
    pub(crate) version: Option<Sp<String>>,
    /// `const_labels = { rank = { env = "RANK", default = "0" } }`, in declaration order.
    pub(crate) const_labels: Vec<RawConstLabel>,
    /// `collectors = ["process", "build_info"]`; the span is the array's.
    pub(crate) collectors: Option<Sp<Vec<Sp<String>>>>,
    /// `[registry.alerts]`, one entry per alert table, in declaration order.
    pub(crate) alerts: Vec<RawAlert>,
    /// The query guard's keys, as written (see [`RawQueryKeys`]).
    pub(crate) queries: RawQueryKeys,
    pub(crate) metrics: Vec<RawMetric>,
}

/// One alert's table of `[registry.alerts]` as written.
#[derive(Debug)]
pub(crate) struct RawAlert {
    /// The key: the alert's key, e.g. `textfile_stale`.
    pub(crate) key: Sp<String>,
    /// Its entries, each key with its value; checked against the alert's definition later.
    pub(crate) entries: Vec<(Sp<String>, Sp<RawScalar>)>,
}

/// A value of an alert's table: whatever TOML held, so the check can say what it expected.
#[derive(Debug, Clone)]
pub(crate) enum RawScalar {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// Anything else (an array, a table, a date), by its TOML type name.
    Other(&'static str),
}

impl RawScalar {
    pub(crate) fn type_str(&self) -> &'static str {
        match self {
            Self::String(_) => "string",
            Self::Integer(_) => "integer",
            Self::Float(_) => "float",
            Self::Boolean(_) => "boolean",
            Self::Other(t) => t,
        }
    }
}

/// `[registry] rule_files`, `dashboards` and `target_labels` as written: the files whose PromQL
/// the guard checks, and the labels the scrape attaches besides `job` and `instance`. Each
/// span is the array's.
#[derive(Debug, Default)]
pub(crate) struct RawQueryKeys {
    pub(crate) rule_files: Option<Sp<Vec<Sp<String>>>>,
    pub(crate) dashboards: Option<Sp<Vec<Sp<String>>>>,
    pub(crate) target_labels: Option<Sp<Vec<Sp<String>>>>,
}

/// One entry of `[registry] const_labels` as written.
#[derive(Debug)]
pub(crate) struct RawConstLabel {
    /// The key: the label name.
    pub(crate) name: Sp<String>,
    /// `env = "RANK"`: the environment variable the value comes from.
    pub(crate) env: Option<Sp<String>>,
    /// `default = "0"`: the value when the variable is unset or empty.
    pub(crate) default: Option<Sp<String>>,
}

/// One `[[metric]]` table as written.
#[derive(Debug)]
pub(crate) struct RawMetric {
    /// Span of the table, for diagnostics about the table as a whole.
    pub(crate) span: Range<usize>,
    pub(crate) name: Option<Sp<String>>,
    pub(crate) kind: Option<Sp<String>>,
    pub(crate) unit: Option<Sp<String>>,
    pub(crate) summary: Option<Sp<String>>,
    pub(crate) buckets: Option<Sp<Vec<Sp<f64>>>>,
    pub(crate) deprecated: Option<Sp<String>>,
    pub(crate) renamed_from: Option<Sp<String>>,
    /// `sharded = true|false`.
    pub(crate) sharded: Option<Sp<bool>>,
    /// `labels = { ... }`, in declaration order; the span is the whole table's.
    pub(crate) labels: Option<Sp<Vec<RawLabel>>>,
    /// Whether the table has a `labels` key, also one that could not be read.
    pub(crate) has_labels_key: bool,
}

/// One entry of a metric's `labels` table as written.
#[derive(Debug)]
pub(crate) struct RawLabel {
    /// The key: the label name.
    pub(crate) name: Sp<String>,
    pub(crate) values: RawLabelValues,
}

/// The two forms of a label declaration.
#[derive(Debug)]
pub(crate) enum RawLabelValues {
    /// `phase = ["train", "eval"]`; the span is the array's.
    Enumerated(Sp<Vec<Sp<String>>>),
    /// `model = { max_series = 64 }`.
    FreeForm { max_series: Option<Sp<i64>> },
    /// One name of `labels = ["model", "checkpoint"]`, the form of an info metric's labels.
    Info,
}

const TOP_KEYS: &[&str] = &["registry", "metric"];
const REGISTRY_KEYS: &[&str] = &[
    "namespace",
    "version",
    "const_labels",
    "collectors",
    "alerts",
    "rule_files",
    "dashboards",
    "target_labels",
];
const CONST_LABEL_KEYS: &[&str] = &["env", "default"];
const METRIC_KEYS: &[&str] = &[
    "name",
    "kind",
    "unit",
    "summary",
    "buckets",
    "deprecated",
    "renamed_from",
    "labels",
    "sharded",
];
const FREE_FORM_LABEL_KEYS: &[&str] = &["max_series"];
const REQUIRED_METRIC_KEYS: &[&str] = &["name", "kind", "summary"];

/// Reads the document. `None` when the TOML itself does not parse (the syntax errors are
/// in the sink; rules over a half-recovered document would only add noise).
pub(crate) fn read(sink: &mut Sink<'_>, source: &str) -> Option<RawRegistry> {
    let (document, syntax_errors) = DeTable::parse_recoverable(source);
    if !syntax_errors.is_empty() {
        for error in syntax_errors {
            let span = error.span().unwrap_or(0..0);
            let message = error.message().trim_end().to_owned();
            sink.error("toml-syntax", span, format!("invalid TOML: {message}"))
                .help("fix the TOML syntax; see https://toml.io for the format");
        }
        return None;
    }

    let mut raw = RawRegistry::default();
    let mut saw_registry = false;
    for (key, value) in document.get_ref() {
        match key.get_ref().as_ref() {
            "registry" => {
                saw_registry = true;
                if let Some(table) = expect_table(sink, "registry", value, "a `[registry]` table") {
                    read_registry(sink, table, value.span(), &mut raw);
                }
            }
            "metric" => read_metrics(sink, value, &mut raw),
            other => unknown_key(sink, key, other, TOP_KEYS, "at the top level"),
        }
    }
    if !saw_registry {
        sink.error("missing-key", 0..0, "missing the `[registry]` table")
            .help("start the file with `[registry]` and `version = \"1.0.0\"`");
    }
    Some(raw)
}

fn read_registry(
    sink: &mut Sink<'_>,
    table: &DeTable<'_>,
    span: Range<usize>,
    raw: &mut RawRegistry,
) {
    for (key, value) in table {
        match key.get_ref().as_ref() {
            "namespace" => raw.namespace = string(sink, "namespace", value),
            "version" => raw.version = string(sink, "version", value),
            "const_labels" => raw.const_labels = const_labels(sink, value),
            "collectors" => raw.collectors = collectors(sink, value),
            "alerts" => raw.alerts = alerts(sink, value),
            "rule_files" | "dashboards" | "target_labels" => raw.queries.read(sink, key, value),
            other => unknown_key(sink, key, other, REGISTRY_KEYS, "in `[registry]`"),
        }
    }
    if raw.version.is_none() && !table.contains_key("version") {
        sink.error("missing-key", span, "`[registry]` has no `version`")
            .help("add `version = \"1.0.0\"`: the diff guard compares it between releases");
    }
}

/// `collectors = ["process", "build_info"]`.
fn collectors(sink: &mut Sink<'_>, value: &Spanned<DeValue<'_>>) -> Option<Sp<Vec<Sp<String>>>> {
    strings(
        sink,
        "collectors",
        value,
        "an array of collector names",
        "write `collectors = [\"process\", \"build_info\"]`",
    )
}

impl RawQueryKeys {
    /// `rule_files = ["metrics.rules.yml"]`, `dashboards = ["metrics.dashboard.json"]`,
    /// `target_labels = ["cluster"]`.
    fn read(
        &mut self,
        sink: &mut Sink<'_>,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        value: &Spanned<DeValue<'_>>,
    ) {
        let (field, expected, help) = match key.get_ref().as_ref() {
            "rule_files" => (
                &mut self.rule_files,
                "an array of paths",
                "list Prometheus rule files relative to this file, e.g. `rule_files = [\"metrics.rules.yml\"]`",
            ),
            "dashboards" => (
                &mut self.dashboards,
                "an array of paths",
                "list Grafana dashboard JSON files relative to this file, e.g. `dashboards = [\"metrics.dashboard.json\"]`",
            ),
            _ => (
                &mut self.target_labels,
                "an array of label names",
                "list the labels your scrape configuration attaches to every target, e.g. `target_labels = [\"cluster\"]`",
            ),
        };
        *field = strings(sink, key.get_ref(), value, expected, help);
    }
}

/// An array of strings; `None` (after reporting it) when it is not one.
fn strings(
    sink: &mut Sink<'_>,
    key: &str,
    value: &Spanned<DeValue<'_>>,
    expected: &str,
    help: &str,
) -> Option<Sp<Vec<Sp<String>>>> {
    let DeValue::Array(elements) = value.get_ref() else {
        wrong_type(sink, key, value, expected).help(help);
        return None;
    };
    let mut strings = Vec::with_capacity(elements.len());
    let mut all_read = true;
    for element in elements.iter() {
        match string(sink, key, element) {
            Some(s) => strings.push(s),
            None => all_read = false,
        }
    }
    all_read.then(|| Sp {
        value: strings,
        span: value.span(),
    })
}

/// The entries of `key = { name = { ... }, ... }` (a table of tables): each name with its
/// table and the table's span. What is not a table is reported (`what` says what `key` must
/// be, `help` how to write it) and left out.
fn named_tables<'v, 'a>(
    sink: &mut Sink<'_>,
    key: &str,
    value: &'v Spanned<DeValue<'a>>,
    what: &str,
    help: &str,
) -> Vec<(Sp<String>, &'v DeTable<'a>, Range<usize>)> {
    let DeValue::Table(table) = value.get_ref() else {
        wrong_type(sink, key, value, what).help(help);
        return Vec::new();
    };
    let mut tables = Vec::with_capacity(table.len());
    for (name, entry) in table {
        let name = Sp {
            value: name.get_ref().to_string(),
            span: name.span(),
        };
        match entry.get_ref() {
            DeValue::Table(inner) => tables.push((name, inner, entry.span())),
            _ => drop(wrong_type(sink, &name.value, entry, "a table").help(help)),
        }
    }
    tables
}

/// `[registry.alerts]`: a table of alert tables, e.g. `textfile_stale = { after = "2m" }`.
fn alerts(sink: &mut Sink<'_>, value: &Spanned<DeValue<'_>>) -> Vec<RawAlert> {
    const HELP: &str = "write `[registry.alerts]` and under it one table per alert, e.g. `textfile_stale = { after = \"2m\" }`";
    let mut alerts = Vec::new();
    for (key, entries, _) in named_tables(sink, "alerts", value, "a table of alerts", HELP) {
        let entries = entries
            .iter()
            .map(|(k, v)| {
                let scalar = match v.get_ref() {
                    DeValue::String(s) => RawScalar::String(s.to_string()),
                    DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                        .map_or(RawScalar::Other("integer out of range"), RawScalar::Integer),
                    DeValue::Float(f) => f
                        .as_str()
                        .parse::<f64>()
                        .map_or(RawScalar::Other("float"), RawScalar::Float),
                    DeValue::Boolean(b) => RawScalar::Boolean(*b),
                    other => RawScalar::Other(other.type_str()),
                };
                (
                    Sp {
                        value: k.get_ref().to_string(),
                        span: k.span(),
                    },
                    Sp {
                        value: scalar,
                        span: v.span(),
                    },
                )
            })
            .collect();
        alerts.push(RawAlert { key, entries });
    }
    alerts
}

/// `const_labels = { rank = { env = "RANK", default = "0" }, ... }`.
fn const_labels(sink: &mut Sink<'_>, value: &Spanned<DeValue<'_>>) -> Vec<RawConstLabel> {
    const HELP: &str = "write `const_labels = { rank = { env = \"RANK\", default = \"0\" } }`: each label names the environment variable its value comes from";
    let mut labels = Vec::new();
    for (name, options, span) in
        named_tables(sink, "const_labels", value, "a table of labels", HELP)
    {
        let mut label = RawConstLabel {
            name,
            env: None,
            default: None,
        };
        for (key, value) in options {
            match key.get_ref().as_ref() {
                "env" => label.env = string(sink, "env", value),
                "default" => label.default = string(sink, "default", value),
                other => unknown_key(
                    sink,
                    key,
                    other,
                    CONST_LABEL_KEYS,
                    &format!("in the constant label `{}`", label.name.value),
                ),
            }
        }
        if !options.contains_key("env") {
            sink.error(
                "missing-key",
                span,
                format!("constant label `{}` has no `env`", label.name.value),
            )
            .help("name the environment variable its value comes from, e.g. `env = \"RANK\"`");
        }
        labels.push(label);
    }
    labels
}

fn read_metrics(sink: &mut Sink<'_>, value: &Spanned<DeValue<'_>>, raw: &mut RawRegistry) {
    let DeValue::Array(tables) = value.get_ref() else {
        sink.error(
            "wrong-type",
            value.span(),
            format!(
                "`metric` must be an array of tables, found {}",
                value.get_ref().type_str()
            ),
        )
        .help("declare each metric under its own `[[metric]]` header (two brackets)");
        return;
    };
    for element in tables.iter() {
        if let Some(table) = expect_table(sink, "metric", element, "a `[[metric]]` table") {
            raw.metrics.push(read_metric(sink, table, element.span()));
        }
    }
}

fn read_metric(sink: &mut Sink<'_>, table: &DeTable<'_>, span: Range<usize>) -> RawMetric {
    let mut metric = RawMetric {
        span,
        name: None,
        kind: None,
        unit: None,
        summary: None,
        buckets: None,
        deprecated: None,
        renamed_from: None,
        labels: None,
        has_labels_key: false,
        sharded: None,
    };
    for (key, value) in table {
        let field = match key.get_ref().as_ref() {
            "name" => &mut metric.name,
            "kind" => &mut metric.kind,
            "unit" => &mut metric.unit,
            "summary" => &mut metric.summary,
            "deprecated" => &mut metric.deprecated,
            "renamed_from" => &mut metric.renamed_from,
            "buckets" => {
                metric.buckets = buckets(sink, value);
                continue;
            }
            "labels" => {
                metric.has_labels_key = true;
                metric.labels = labels(sink, value);
                continue;
            }
            "sharded" => {
                match value.get_ref() {
                    DeValue::Boolean(b) => {
                        metric.sharded = Some(Sp {
                            value: *b,
                            span: value.span(),
                        });
                    }
                    _ => drop(wrong_type(sink, "sharded", value, "`true` or `false`")),
                }
                continue;
            }
            other => {
                unknown_key(sink, key, other, METRIC_KEYS, "in `[[metric]]`");
                continue;
            }
        };
        *field = string(sink, key.get_ref(), value);
    }
    for &required in REQUIRED_METRIC_KEYS {
        if !table.contains_key(required) {
            let what = metric.name.as_ref().map_or_else(
                || "this metric".to_owned(),
                |n| format!("metric `{}`", n.value),
            );
            let help = match required {
                "name" => "add `name = \"...\"`: the Prometheus metric name",
                "kind" => "add `kind = \"counter\"`, `\"gauge\"` or `\"histogram\"`",
                _ => "add `summary = \"...\"`: one sentence that becomes the HELP text",
            };
            sink.error(
                "missing-key",
                metric.span.clone(),
                format!("{what} has no `{required}`"),
            )
            .help(help);
        }
    }
    metric
}

fn buckets(sink: &mut Sink<'_>, value: &Spanned<DeValue<'_>>) -> Option<Sp<Vec<Sp<f64>>>> {
    let DeValue::Array(elements) = value.get_ref() else {
        wrong_type(sink, "buckets", value, "an array of numbers");
        return None;
    };
    let mut bounds = Vec::with_capacity(elements.len());
    let mut all_numbers = true;
    for element in elements.iter() {
        let number = match element.get_ref() {
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|i| i as f64),
            _ => None,
        };
        match number {
            Some(bound) => bounds.push(Sp {
                value: bound,
                span: element.span(),
            }),
            None => {
                all_numbers = false;
                wrong_type(sink, "buckets", element, "a number");
            }
        }
    }
    all_numbers.then(|| Sp {
        value: bounds,
        span: value.span(),
    })
}

/// `labels = { name = ["a", "b"], other = { max_series = 8 }, ... }`, or an info metric's
/// `labels = ["model", "checkpoint"]`.
fn labels(sink: &mut Sink<'_>, value: &Spanned<DeValue<'_>>) -> Option<Sp<Vec<RawLabel>>> {
    let table = match value.get_ref() {
        DeValue::Table(table) => table,
        DeValue::Array(names) => return info_labels(sink, names, value.span()),
        _ => {
            wrong_type(sink, "labels", value, "a table of labels")
                .help("write `labels = { phase = [\"train\", \"eval\"] }` (values listed) or `labels = { model = { max_series = 64 } }` (free-form); an info metric's labels are a list of names, `labels = [\"model\", \"checkpoint\"]`");
            return None;
        }
    };
    let mut labels = Vec::with_capacity(table.len());
    let mut all_read = true;
    for (key, declaration) in table {
        let name = Sp {
            value: key.get_ref().to_string(),
            span: key.span(),
        };
        let values = match declaration.get_ref() {
            DeValue::Array(elements) => {
                let mut values = Vec::with_capacity(elements.len());
                for element in elements.iter() {
                    match string(sink, &name.value, element) {
                        Some(v) => values.push(v),
                        None => all_read = false,
                    }
                }
                Some(RawLabelValues::Enumerated(Sp {
                    value: values,
                    span: declaration.span(),
                }))
            }
            DeValue::Table(options) => {
                Some(free_form_label(sink, &name, options, declaration.span()))
            }
            _ => {
                wrong_type(sink, &name.value, declaration, "an array of values or a table")
                    .help("list the values (`[\"train\", \"eval\"]`), or bound a free-form label with `{ max_series = 64 }`");
                None
            }
        };
        match values {
            Some(values) => labels.push(RawLabel { name, values }),
            None => all_read = false,
        }
    }
    all_read.then(|| Sp {
        value: labels,
        span: value.span(),
    })
}

/// `labels = ["model", "checkpoint"]`: the label names of an info metric, whose values each
/// `set` gives.
fn info_labels(
    sink: &mut Sink<'_>,
    names: &toml::de::DeArray<'_>,
    span: Range<usize>,
) -> Option<Sp<Vec<RawLabel>>> {
    let mut labels = Vec::with_capacity(names.len());
    let mut all_read = true;
    for element in names.iter() {
        match string(sink, "labels", element) {
            Some(name) => labels.push(RawLabel {
                name,
                values: RawLabelValues::Info,
            }),
            None => all_read = false,
        }
    }
    all_read.then_some(Sp {
        value: labels,
        span,
    })
}

/// `model = { max_series = 64 }`.
fn free_form_label(
    sink: &mut Sink<'_>,
    name: &Sp<String>,
    options: &DeTable<'_>,
    span: Range<usize>,
) -> RawLabelValues {
    let mut max_series = None;
    for (key, value) in options {
        match key.get_ref().as_ref() {
            "max_series" => match value.get_ref() {
                DeValue::Integer(i) => {
                    max_series = Some(Sp {
                        // Out of i64's range is as wrong as negative: report it as such.
                        value: i64::from_str_radix(i.as_str(), i.radix()).unwrap_or(i64::MIN),
                        span: value.span(),
                    });
                }
                _ => drop(wrong_type(sink, "max_series", value, "an integer")),
            },
            other => unknown_key(
                sink,
                key,
                other,
                FREE_FORM_LABEL_KEYS,
                &format!("in the free-form label `{}`", name.value),
            ),
        }
    }
    if !options.contains_key("max_series") {
        sink.error(
            "missing-key",
            span,
            format!("free-form label `{}` has no `max_series`", name.value),
        )
        .help("bound it: `{ max_series = 64 }` gives the first 64 distinct values a series each");
    }
    RawLabelValues::FreeForm { max_series }
}

fn string(sink: &mut Sink<'_>, key: &str, value: &Spanned<DeValue<'_>>) -> Option<Sp<String>> {
    match value.get_ref() {
        DeValue::String(s) => Some(Sp {
            value: s.to_string(),
            span: value.span(),
        }),
        _ => {
            wrong_type(sink, key, value, "a string");
            None
        }
    }
}

fn expect_table<'v, 'i>(
    sink: &mut Sink<'_>,
    key: &str,
    value: &'v Spanned<DeValue<'i>>,
    expected: &str,
) -> Option<&'v DeTable<'i>> {
    match value.get_ref() {
        DeValue::Table(table) => Some(table),
        _ => {
            wrong_type(sink, key, value, expected);
            None
        }
    }
}

/// Reports a value of the wrong type; the caller may add a more specific help.
fn wrong_type<'s, 'a>(
    sink: &'s mut Sink<'a>,
    key: &str,
    value: &Spanned<DeValue<'_>>,
    expected: &str,
) -> DiagnosticBuilder<'s, 'a> {
    let found = value.get_ref().type_str();
    let diagnostic = sink.error(
        "wrong-type",
        value.span(),
        format!("`{key}` must be {expected}, found {found}"),
    );
    if expected == "a string" {
        diagnostic.help("put the value in double quotes")
    } else {
        diagnostic
    }
}

fn unknown_key(
    sink: &mut Sink<'_>,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    name: &str,
    known: &[&str],
    place: &str,
) {
    let help = match closest(name, known.iter().copied()) {
        Some(suggestion) => format!("did you mean `{suggestion}`?"),
        None => format!("the known keys here are: {}", known.join(", ")),
    };
    sink.error(
        "unknown-key",
        key.span(),
        format!("unknown key `{name}` {place}"),
    )
    .help(help);
}
