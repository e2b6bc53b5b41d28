//! Grafana's additions to PromQL, turned into PromQL the parser accepts: dashboard variables
//! (`$var`, `${var}`, `${var:format}`, `[[var]]`) and the built-in ones (`$__rate_interval`,
//! `$__interval`, `$__range`, ...) are substituted, and a query variable's
//! `label_values(selector, label)` or `query_result(query)` yields the PromQL inside.
//!
//! What a variable becomes depends on where it stands, as its real values would:
//! - inside a string (a matcher's value, a `label_replace` argument): `.*`, which a matcher
//!   holds as a value and a regex reads as anything;
//! - inside `[...]` (a range or a subquery) or for an interval variable: a duration, the
//!   dashboard's saved value when it is one, else `5m`; `$__interval_ms` and `$__range_ms`
//!   become milliseconds, `$__range_s` seconds;
//! - elsewhere: the saved value when it is a plain word or number, else the variable's name,
//!   a plain word the parser reads as a metric or label name that is not ours.
//!
//! Only variables the dashboard defines, and Grafana's own `$__...`, are substituted: Grafana
//! leaves any other `$word` as it is (`"$1"` in `label_replace` is a regex reference).

use super::Quoting;
use super::files::Variable;

/// The duration a range variable stands for when the dashboard says nothing better.
const RANGE: &str = "5m";

/// `expr` with the dashboard's variables (`variables`) and Grafana's built-in ones replaced.
pub(crate) fn substitute(expr: &str, variables: &[Variable]) -> String {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = String::with_capacity(expr.len());
    let mut quoting = Quoting::default();
    let mut brackets = 0usize;
    let mut i = 0;
    while i < chars.len() {
        if let Some((name, end)) = reference(&chars, i)
            && let Some(value) = value_of(&name, variables, quoting.in_string(), brackets > 0)
        {
            out.push_str(&value);
            i = end;
            continue;
        }
        let c = chars[i];
        if quoting.code(c) {
            match c {
                '[' => brackets += 1,
                ']' => brackets = brackets.saturating_sub(1),
                _ => {}
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The variable a reference at `chars[i]` names and where the reference ends, if one starts
/// there: `$name`, `${name}`, `${name:format}`, `${name.field}`, `[[name]]`, `[[name:format]]`.
fn reference(chars: &[char], i: usize) -> Option<(String, usize)> {
    let word = |from: usize| -> (String, usize) {
        let end = (from..chars.len())
            .find(|&j| !(chars[j].is_ascii_alphanumeric() || chars[j] == '_'))
            .unwrap_or(chars.len());
        (chars[from..end].iter().collect(), end)
    };
    let (name, end) = match (chars.get(i), chars.get(i + 1)) {
        (Some('$'), Some('{')) => {
            let (name, after) = word(i + 2);
            let close = (after..chars.len()).find(|&j| chars[j] == '}')?;
            // Between the name and `}` only `.field` and `:format` may stand.
            if !matches!(chars.get(after), Some('}' | ':' | '.')) {
                return None;
            }
            (name, close + 1)
        }
        (Some('$'), _) => word(i + 1),
        (Some('['), Some('[')) => {
            let (name, after) = word(i + 2);
            let close = (after..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == ']' && chars[j + 1] == ']')?;
            if !matches!(chars.get(after), Some(']' | ':')) {
                return None;
            }
            (name, close + 2)
        }
        _ => return None,
    };
    (!name.is_empty()).then_some((name, end))
}

/// What the variable `name` stands for here, if it is one Grafana would substitute.
fn value_of(
    name: &str,
    variables: &[Variable],
    in_string: bool,
    in_brackets: bool,
) -> Option<String> {
    let defined = variables.iter().find(|v| v.name == name);
    let builtin = name.starts_with("__");
    if defined.is_none() && !builtin {
        return None;
    }
    if in_string {
        return Some(".*".to_owned());
    }
    let plain = |value: &str| {
        !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':'))
    };
    let saved = defined
        .and_then(|v| v.current.as_deref())
        .filter(|v| plain(v));
    let duration =
        |saved: Option<&str>| saved.filter(|v| is_duration(v)).unwrap_or(RANGE).to_owned();
    Some(match name {
        "__interval_ms" | "__range_ms" => "300000".to_owned(),
        "__range_s" => "300".to_owned(),
        "__from" | "__to" => "0".to_owned(),
        _ if builtin => RANGE.to_owned(),
        _ if in_brackets || defined.is_some_and(|v| v.interval) => duration(saved),
        _ => saved.map_or_else(|| name.to_owned(), str::to_owned),
    })
}

/// Whether `text` is a PromQL duration such as `30s`, `5m` or `1h30m`.
fn is_duration(text: &str) -> bool {
    let mut rest = text;
    let mut any = false;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        let Some(unit) = unit else { return false };
        rest = &rest[unit.len()..];
        any = true;
    }
    any
}

/// What a query variable's query asks Prometheus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VariableQuery {
    /// `query_result(query)`: a PromQL query.
    Promql(String),
    /// `label_values(selector, label)`: the values of `label` among the series `selector`
    /// selects.
    LabelValues {
        /// The series selector.
        selector: String,
        /// The label whose values the variable takes.
        label: String,
    },
    /// Anything that names no series of ours: `label_names()`, `metrics(regex)`,
    /// `label_values(label)` over every series, a custom list.
    Other,
}

/// Reads a query variable's query (after [`substitute`]).
pub(crate) fn variable_query(query: &str) -> VariableQuery {
    let query = query.trim();
    let call = |function: &str| {
        query
            .strip_prefix(function)?
            .trim_start()
            .strip_prefix('(')?
            .strip_suffix(')')
            .map(str::trim)
    };
    if let Some(inner) = call("query_result") {
        return VariableQuery::Promql(inner.to_owned());
    }
    if let Some(inner) = call("label_values") {
        // The label is a plain name after the last comma; the selector may hold commas.
        if let Some((selector, label)) = inner.rsplit_once(',') {
            let label = label.trim();
            if !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return VariableQuery::LabelValues {
                    selector: selector.trim().to_owned(),
                    label: label.to_owned(),
                };
            }
        }
    }
    VariableQuery::Other
}
