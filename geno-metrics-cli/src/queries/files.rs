//! Reading the files `[registry] rule_files` and `dashboards` list: every PromQL expression they
//! hold, with the line it is on. A Prometheus rule file is YAML (`groups[].rules[]`, each a
//! `record` or an `alert` with an `expr`); a Grafana dashboard is JSON (the `expr` of every
//! panel's `targets`, nested rows included, and the template variables). Whatever cannot be
//! read becomes a [`FileProblem`] with its line, never a panic.

use jsonc_parser::ast::{Object, Value};
use jsonc_parser::{CollectOptions, ParseOptions};
use yaml_rust2::parser::{Event, Parser};

use super::quietly;

/// Why a file yields no queries, and on which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileProblem {
    /// 1-based line the problem is on.
    pub(crate) line: usize,
    /// What is wrong, in one sentence.
    pub(crate) message: String,
}

/// One query of a file, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// 1-based line of its `expr` (or a variable's `query`) key.
    pub(crate) line: usize,
    /// The text, as written (Grafana variables not yet substituted).
    pub(crate) expr: String,
    /// Where it is, for messages: `recording rule `x``, `panel "Loss"`, `variable `rank``.
    pub(crate) what: String,
    /// A panel's target (PromQL with Grafana variables), or a template variable's query
    /// (Grafana's `label_values(..)` and friends). A rule file's are PromQL as they are.
    pub(crate) form: Form,
}

/// What language a [`Found`] query is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// PromQL, as Prometheus evaluates it.
    Promql,
    /// PromQL with Grafana variables (`$job`, `$__rate_interval`).
    Target,
    /// A query variable's query: `label_values(selector, label)`, `query_result(promql)`, ...
    Variable,
}

/// A Prometheus rule file: its queries and the names its recording rules record.
#[derive(Debug, Default)]
pub(crate) struct RuleFile {
    pub(crate) queries: Vec<Found>,
    pub(crate) recorded: Vec<String>,
}

/// A Grafana dashboard: its queries and its template variables.
#[derive(Debug, Default)]
pub(crate) struct Dashboard {
    pub(crate) queries: Vec<Found>,
    pub(crate) variables: Vec<Variable>,
}

/// A template variable of a dashboard, as the substitution needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    /// `name`: what `$name` refers to.
    pub(crate) name: String,
    /// `type = "interval"`: its values are durations.
    pub(crate) interval: bool,
    /// The value the dashboard was saved with (the first, for a multi-value variable).
    pub(crate) current: Option<String>,
}

/// Deeper than this, a YAML rule file is not one a person wrote: it is refused rather than
/// walked (a rule file's own structure is four levels deep).
const MAX_YAML_DEPTH: usize = 64;

/// A YAML node with the line it starts on.
#[derive(Debug)]
struct Node {
    yaml: Yaml,
    line: usize,
}

#[derive(Debug)]
enum Yaml {
    Scalar(String),
    Sequence(Vec<Node>),
    Mapping(Vec<(Node, Node)>),
    /// An alias (`*anchor`): not followed, so a file cannot multiply itself.
    Alias,
}

impl Node {
    fn get(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.yaml {
            Yaml::Mapping(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.yaml, Yaml::Scalar(s) if s == key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    fn scalar(&self) -> Option<&str> {
        match &self.yaml {
            Yaml::Scalar(s) => Some(s),
            _ => None,
        }
    }

    fn what(&self) -> &'static str {
        match self.yaml {
            Yaml::Scalar(_) => "a scalar",
            Yaml::Sequence(_) => "a list",
            Yaml::Mapping(_) => "a mapping",
            Yaml::Alias => "an alias",
        }
    }
}

/// A collection being read.
enum Open {
    Sequence(usize, Vec<Node>),
    Mapping(usize, Vec<(Node, Node)>, Option<Node>),
}

/// The first document of `text`, read event by event (the parser's own loader recurses once
/// per level, so a hostile file could overflow the stack). `None` for an empty stream.
fn yaml_document(text: &str) -> Result<Option<Node>, FileProblem> {
    let mut parser = Parser::new_from_str(text);
    let mut open: Vec<Open> = Vec::new();
    loop {
        let (event, marker) = match parser.next_token() {
            Ok(next) => next,
            Err(e) => {
                return Err(FileProblem {
                    line: e.marker().line().max(1),
                    message: format!("invalid YAML: {}", e.info()),
                });
            }
        };
        let line = marker.line().max(1);
        let node = match event {
            Event::StreamEnd | Event::DocumentEnd => return Ok(None),
            Event::Scalar(value, ..) => Node {
                yaml: Yaml::Scalar(value),
                line,
            },
            Event::Alias(_) => Node {
                yaml: Yaml::Alias,
                line,
            },
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if open.len() >= MAX_YAML_DEPTH {
                    return Err(FileProblem {
                        line,
                        message: format!("nested deeper than {MAX_YAML_DEPTH} levels"),
                    });
                }
                open.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Sequence(line, Vec::new())
                } else {
                    Open::Mapping(line, Vec::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some(Open::Sequence(line, items)) => Node {
                    yaml: Yaml::Sequence(items),
                    line,
                },
                Some(Open::Mapping(line, entries, _)) => Node {
                    yaml: Yaml::Mapping(entries),
                    line,
                },
                None => continue,
            },
            Event::Nothing | Event::StreamStart | Event::DocumentStart => continue,
        };
        match open.last_mut() {
            None => return Ok(Some(node)),
            Some(Open::Sequence(_, items)) => items.push(node),
            Some(Open::Mapping(_, entries, key)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

/// Reads a Prometheus rule file.
pub(crate) fn rule_file(text: &str) -> Result<RuleFile, FileProblem> {
    let document = quietly(|| yaml_document(text)).unwrap_or_else(|| {
        Err(FileProblem {
            line: 1,
            message: "the YAML parser failed on this file".to_owned(),
        })
    })?;
    let mut file = RuleFile::default();
    let Some(root) = document else {
        return Ok(file);
    };
    let shape = |node: &Node, message: String| FileProblem {
        line: node.line,
        message,
    };
    let Yaml::Mapping(entries) = &root.yaml else {
        return Err(shape(
            &root,
            format!(
                "not a Prometheus rule file: the top level is {}, not a mapping with `groups`",
                root.what()
            ),
        ));
    };
    if let Some((key, _)) = entries.iter().find(|(k, _)| k.scalar() != Some("groups")) {
        return Err(shape(
            key,
            format!(
                "not a Prometheus rule file: unknown top-level key `{}` (a rule file holds `groups`)",
                key.scalar().unwrap_or("?")
            ),
        ));
    }
    let Some((_, groups)) = root.get("groups") else {
        return Ok(file);
    };
    for group in sequence(groups, "`groups`")? {
        let name = group
            .get("name")
            .and_then(|(_, n)| n.scalar())
            .unwrap_or("?");
        let Some((_, rules)) = group.get("rules") else {
            continue;
        };
        for rule in sequence(rules, &format!("`rules` of group `{name}`"))? {
            if !matches!(rule.yaml, Yaml::Mapping(_)) {
                return Err(shape(
                    rule,
                    format!("a rule of group `{name}` is {}, not a mapping", rule.what()),
                ));
            }
            let record = rule.get("record").and_then(|(_, r)| r.scalar());
            let alert = rule.get("alert").and_then(|(_, a)| a.scalar());
            let what = match (record, alert) {
                (Some(record), _) => format!("recording rule `{record}`"),
                (None, Some(alert)) => format!("alert `{alert}`"),
                (None, None) => format!("a rule of group `{name}`"),
            };
            if let Some(record) = record {
                file.recorded.push(record.to_owned());
            }
            match rule.get("expr") {
                Some((key, value)) => match value.scalar() {
                    Some(expr) => file.queries.push(Found {
                        line: key.line,
                        expr: expr.to_owned(),
                        what,
                        form: Form::Promql,
                    }),
                    None => {
                        return Err(shape(
                            value,
                            format!("the `expr` of {what} is {}, not a string", value.what()),
                        ));
                    }
                },
                None => return Err(shape(rule, format!("{what} has no `expr`"))),
            }
        }
    }
    Ok(file)
}

/// The items of a YAML list, or a problem naming `what` should have been one.
fn sequence<'n>(node: &'n Node, what: &str) -> Result<&'n [Node], FileProblem> {
    match &node.yaml {
        Yaml::Sequence(items) => Ok(items),
        _ => Err(FileProblem {
            line: node.line,
            message: format!("{what} must be a list, found {}", node.what()),
        }),
    }
}

/// Byte offset to 1-based line, for a JSON text.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        Self(
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        )
    }

    fn of(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset).max(1)
    }
}

/// Reads a Grafana dashboard: the JSON model Grafana exports and provisions (or the HTTP API's
/// `{"dashboard": {...}}` wrapper of it).
pub(crate) fn dashboard(text: &str) -> Result<Dashboard, FileProblem> {
    let strict = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed = quietly(|| {
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &strict)
            .map(|result| result.value)
            .map_err(|e| FileProblem {
                line: e.line_display(),
                message: format!("invalid JSON: {}", e.kind()),
            })
    })
    .unwrap_or_else(|| {
        Err(FileProblem {
            line: 1,
            message: "the JSON parser failed on this file".to_owned(),
        })
    })?;
    let lines = Lines::new(text);
    let Some(Value::Object(root)) = parsed else {
        return Err(FileProblem {
            line: 1,
            message: "not a Grafana dashboard: the top level is not a JSON object".to_owned(),
        });
    };
    let root = match (root.get_object("dashboard"), root.get("panels")) {
        (Some(inner), None) => inner,
        _ => &root,
    };
    let mut dashboard = Dashboard::default();
    if let Some(list) = root
        .get_object("templating")
        .and_then(|t| t.get_array("list"))
    {
        for variable in list.elements.iter().filter_map(Value::as_object) {
            read_variable(variable, &lines, &mut dashboard);
        }
    }
    for key in ["panels", "rows"] {
        if let Some(panels) = root.get_array(key) {
            for panel in panels.elements.iter().filter_map(Value::as_object) {
                read_panel(panel, &lines, &mut dashboard.queries);
            }
        }
    }
    if let Some(list) = root
        .get_object("annotations")
        .and_then(|a| a.get_array("list"))
    {
        for annotation in list.elements.iter().filter_map(Value::as_object) {
            let name = annotation.get_string("name").map_or("", |n| &n.value);
            let what = format!("annotation `{name}`");
            read_target(annotation, None, what, &lines, &mut dashboard.queries);
        }
    }
    Ok(dashboard)
}

/// The string of `key`, with the line of its key.
fn string_at(object: &Object<'_>, key: &str, lines: &Lines) -> Option<(usize, String)> {
    let property = object.get(key)?;
    let value = property.value.as_string_lit()?;
    Some((lines.of(property.range.start), value.value.to_string()))
}

/// Whether a `datasource` (a panel's or a target's) is Prometheus' or may be: a reference
/// naming another type (`loki`, `elasticsearch`, the mixed or dashboard pseudo-sources) is
/// not; a name, a variable, or nothing (the default source) may be.
fn prometheus_source(datasource: Option<&Value<'_>>) -> Option<bool> {
    match datasource? {
        Value::Object(reference) => Some(
            reference
                .get_string("type")
                .is_none_or(|t| t.value.contains("prometheus")),
        ),
        Value::NullKeyword(_) => None,
        _ => Some(true),
    }
}

fn read_panel(panel: &Object<'_>, lines: &Lines, queries: &mut Vec<Found>) {
    let what = match panel.get_string("title").map(|t| t.value.to_string()) {
        Some(title) if !title.trim().is_empty() => {
            format!("panel {}", serde_json::Value::String(title))
        }
        _ => "an untitled panel".to_owned(),
    };
    let own = prometheus_source(panel.get("datasource").map(|p| &p.value));
    if let Some(targets) = panel.get_array("targets") {
        for target in targets.elements.iter().filter_map(Value::as_object) {
            read_target(target, own, what.clone(), lines, queries);
        }
    }
    // A row holds its panels when collapsed; a schema-1 dashboard's rows always do.
    if let Some(nested) = panel.get_array("panels") {
        for inner in nested.elements.iter().filter_map(Value::as_object) {
            read_panel(inner, lines, queries);
        }
    }
}

/// The `expr` of a panel's target or of an annotation, unless its data source (or else
/// `inherited`, the panel's) is not Prometheus, or it is empty (Grafana sends no empty query).
fn read_target(
    target: &Object<'_>,
    inherited: Option<bool>,
    what: String,
    lines: &Lines,
    queries: &mut Vec<Found>,
) {
    let source = prometheus_source(target.get("datasource").map(|p| &p.value)).or(inherited);
    if source == Some(false) {
        return;
    }
    if let Some((line, expr)) = string_at(target, "expr", lines)
        && !expr.trim().is_empty()
    {
        queries.push(Found {
            line,
            expr,
            what,
            form: Form::Target,
        });
    }
}

fn read_variable(variable: &Object<'_>, lines: &Lines, dashboard: &mut Dashboard) {
    let Some(name) = variable.get_string("name").map(|n| n.value.to_string()) else {
        return;
    };
    let kind = variable
        .get_string("type")
        .map(|t| t.value.to_string())
        .unwrap_or_default();
    let current = variable
        .get_object("current")
        .and_then(|c| match &c.get("value")?.value {
            Value::StringLit(s) => Some(s.value.to_string()),
            Value::Array(values) => values
                .elements
                .first()
                .and_then(Value::as_string_lit)
                .map(|s| s.value.to_string()),
            _ => None,
        });
    dashboard.variables.push(Variable {
        name: name.clone(),
        interval: kind == "interval",
        current: current.filter(|c| !c.is_empty() && !c.starts_with("$__")),
    });
    if kind != "query"
        || prometheus_source(variable.get("datasource").map(|p| &p.value)) == Some(false)
    {
        return;
    }
    // `query` is the query itself, or (Grafana 9+) an object whose `query` it is.
    let query = string_at(variable, "query", lines).or_else(|| {
        variable
            .get_object("query")
            .and_then(|q| string_at(q, "query", lines))
    });
    if let Some((line, query)) = query {
        dashboard.queries.push(Found {
            line,
            expr: query,
            what: format!("variable `{name}`"),
            form: Form::Variable,
        });
    }
}
