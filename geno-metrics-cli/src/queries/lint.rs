//! The checks of one query: parse it with `promql-parser` and walk its syntax tree, reporting
//! each name of ours that selects nothing, each label matcher that selects nothing, `rate()`
//! and its kin over a gauge, and `histogram_quantile()` over what is not a histogram's buckets.

use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{
    AggregateExpr, BinaryExpr, Call, Expr, LabelModifier, VectorMatchCardinality, VectorSelector,
};

use super::series::{Holds, Names, Part, Resolved, Series};
use super::{Quoting, quietly};

/// Deeper than this a query is refused, not parsed: no person nests a query so deep, and the
/// parser and the walk below recurse once per level.
const MAX_NESTING: usize = 128;

/// Longer than this a query is refused: a chain of binary operators is one tree level per
/// operator, parentheses or not, and the parser's time grows with the square of its length
/// (8 000 operators take 1.5 s in a debug build). A regex of some thousand alternatives fits.
const MAX_LENGTH: usize = 16 * 1024;

/// One problem of one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The rule id, e.g. `query-unknown-metric`.
    pub(crate) rule: &'static str,
    /// What is wrong.
    pub(crate) message: String,
    /// What to do.
    pub(crate) help: String,
    /// The series name the problem is about.
    pub(crate) name: Option<String>,
}

/// Parses one PromQL query. `Err` says why it does not parse.
pub(crate) fn parse(query: &str) -> Result<Expr, String> {
    if query.len() > MAX_LENGTH {
        return Err(format!(
            "the query is {} bytes long; more than {MAX_LENGTH} is not checked",
            query.len()
        ));
    }
    let mut quoting = Quoting::default();
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in query.chars() {
        if quoting.code(c) {
            match c {
                '(' | '[' | '{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    if deepest > MAX_NESTING {
        return Err(format!(
            "the query nests {deepest} levels deep; more than {MAX_NESTING} is not checked"
        ));
    }
    // promql-parser panics on a few inputs (`x offset NaN`): such a query does not parse.
    quietly(|| promql_parser::parser::parse(query))
        .unwrap_or_else(|| Err("the parser cannot read this query".to_owned()))
}

/// Checks a parsed query. Returns its problems and every series name it selects (for the
/// diff's `query-goes-blank`).
pub(crate) fn lint(expr: &Expr, names: &Names<'_>) -> (Vec<Problem>, Vec<String>) {
    let mut walk = Walk {
        names,
        problems: Vec::new(),
        used: Vec::new(),
    };
    walk.expr(expr);
    walk.used.sort_unstable();
    walk.used.dedup();
    (walk.problems, walk.used)
}

struct Walk<'a, 'r> {
    names: &'a Names<'r>,
    problems: Vec<Problem>,
    used: Vec<String>,
}

/// Functions that read a range of a counter.
const COUNTER_FUNCTIONS: [&str; 4] = ["rate", "irate", "increase", "resets"];

/// Functions whose result keeps the labels (`le` among them) of their vector or range argument.
const LABEL_KEEPING: [&str; 22] = [
    "rate",
    "irate",
    "increase",
    "delta",
    "idelta",
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "sum_over_time",
    "last_over_time",
    "quantile_over_time",
    "label_replace",
    "label_join",
    "clamp",
    "clamp_min",
    "clamp_max",
    "abs",
    "ceil",
    "floor",
    "round",
    "sort",
    "sort_desc",
];

/// Aggregations that keep every label of the series they pick.
const SELECTING: [&str; 4] = ["topk", "bottomk", "limitk", "limit_ratio"];

/// Aggregations after which a range function still reads the same kind of series (a sum of
/// counters is a counter, a sum of gauges a gauge).
const KIND_KEEPING: [&str; 4] = ["sum", "min", "max", "avg"];

/// What `histogram_quantile()` gets.
enum Shape {
    /// A histogram's bucket series, with `le`; the name is one of them.
    Buckets(String),
    /// A series of ours that holds no buckets: what it is, and its name.
    Series(String, String),
    /// Bucket series (the name is one) aggregated away from `le`: how.
    DropsLe(String, String),
    /// Cannot tell (not our series, a recorded one whose name does not say).
    Unknown,
}

impl<'r> Walk<'_, 'r> {
    fn problem(&mut self, rule: &'static str, name: &str, message: String, help: String) {
        let problem = Problem {
            rule,
            message,
            help,
            name: Some(name.to_owned()),
        };
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::VectorSelector(selector) => self.selector(selector),
            Expr::MatrixSelector(matrix) => self.selector(&matrix.vs),
            Expr::Aggregate(aggregate) => {
                self.expr(&aggregate.expr);
                if let Some(param) = &aggregate.param {
                    self.expr(param);
                }
            }
            Expr::Unary(unary) => self.expr(&unary.expr),
            Expr::Binary(binary) => {
                self.expr(&binary.lhs);
                self.expr(&binary.rhs);
            }
            Expr::Paren(paren) => self.expr(&paren.expr),
            Expr::Subquery(subquery) => self.expr(&subquery.expr),
            Expr::Call(call) => {
                self.call(call);
                for arg in &call.args.args {
                    self.expr(arg);
                }
            }
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
        }
    }

    /// The metric name a selector selects: its name, or its `__name__="..."` matcher.
    fn name_of(selector: &VectorSelector) -> Option<&str> {
        selector.name.as_deref().or_else(|| {
            selector
                .matchers
                .matchers
                .iter()
                .find(|m| m.name == "__name__" && matches!(m.op, MatchOp::Equal))
                .map(|m| m.value.as_str())
        })
    }

    /// The series of ours a selector selects, with its name.
    fn series_of<'s>(&self, selector: &'s VectorSelector) -> Option<(&'s str, Series<'r>)> {
        let name = Self::name_of(selector)?;
        match self.names.resolve(name) {
            Resolved::Series(series) => Some((name, series)),
            _ => None,
        }
    }

    fn selector(&mut self, selector: &VectorSelector) {
        let Some(name) = Self::name_of(selector) else {
            return;
        };
        self.used.push(name.to_owned());
        match self.names.resolve(name) {
            Resolved::Unknown { ours: false } => {}
            Resolved::Unknown { ours: true } => self.unknown_metric(name),
            Resolved::NoSeries(metric, what) => {
                let help = if metric.name == name {
                    format!(
                        "query `{name}_bucket` (with `histogram_quantile()`), `{name}_sum` or `{name}_count`"
                    )
                } else {
                    format!("query `{}`", metric.name)
                };
                let message = format!(
                    "`{name}` is {what}: no series has this name, so the query returns nothing"
                );
                self.problem("query-not-a-series", name, message, help);
            }
            Resolved::Series(series) => {
                let Some(labels) = self.names.labels(&series) else {
                    return;
                };
                let matchers = selector
                    .matchers
                    .matchers
                    .iter()
                    .chain(selector.matchers.or_matchers.iter().flatten());
                for matcher in matchers {
                    if !matcher.name.starts_with("__")
                        && !labels.contains(&matcher.name.as_str())
                        // A label a series lacks is empty: a matcher that takes "" still matches.
                        && !matcher.is_match("")
                    {
                        self.unknown_label(name, &series, matcher, &labels);
                    }
                }
            }
        }
    }

    fn unknown_metric(&mut self, name: &str) {
        let (message, fallback) = if name.contains(':') {
            (
                format!(
                    "`{name}` is recorded by none of the listed rule files: the query returns nothing"
                ),
                "list the rule file that records it in `[registry] rule_files`, or fix the name"
                    .to_owned(),
            )
        } else {
            let fallback = match self.names.missing_collector(name) {
                Some(collector) => format!(
                    "list `{collector}` in `[registry] collectors` to export it, or remove the query"
                ),
                None => "declare it in the registry, or fix the name".to_owned(),
            };
            (
                format!(
                    "metric `{name}` is in the registry's namespace but not declared: the query returns nothing"
                ),
                fallback,
            )
        };
        let help = match self.names.closest(name) {
            Some(close) => format!("did you mean `{close}`?"),
            None => fallback,
        };
        self.problem("query-unknown-metric", name, message, help);
    }

    fn unknown_label(
        &mut self,
        name: &str,
        series: &Series<'_>,
        matcher: &Matcher,
        labels: &[&str],
    ) {
        let label = &matcher.name;
        let help = match geno_metrics_schema::closest(label, labels.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "match one of its labels ({}); if your scrape attaches `{label}` to every target, list it in `[registry] target_labels`",
                labels.join(", ")
            ),
        };
        let message = format!(
            "{} has no label `{label}`: the query selects nothing",
            series.describe(name)
        );
        self.problem("query-unknown-label", name, message, help);
    }

    fn call(&mut self, call: &Call) {
        let function = call.func.name;
        let args = &call.args.args;
        if COUNTER_FUNCTIONS.contains(&function) {
            let Some((name, series)) = args.first().and_then(|a| self.range_source(a)) else {
                return;
            };
            let (message, help) = match series.holds() {
                Holds::Gauge => (
                    format!(
                        "`{function}()` over {}: it is for counters, and reads every fall of a gauge as a counter reset",
                        series.describe(name)
                    ),
                    "for a gauge use `deriv()` (its per-second slope) or `delta()` (its change over the range), or query its value as it is".to_owned(),
                ),
                Holds::Info => (
                    format!(
                        "`{function}()` over {}, whose value is always 1: the result is always 0",
                        series.describe(name)
                    ),
                    format!("an info metric tells by its labels: query `{name}` as it is, or count by a label"),
                ),
                Holds::Counter | Holds::Unknown => return,
            };
            self.problem("query-rate-over-gauge", name, message, help);
        } else if function == "histogram_quantile" {
            let (what, name, help) = match args.get(1).map(|a| self.shape(a)) {
                Some(Shape::Series(what, name)) => {
                    let help = match self.names.resolve(&name) {
                        Resolved::Series(Series::Metric {
                            metric,
                            part: Part::SumOrCount,
                        }) => format!(
                            "pass the buckets of `{0}`: `histogram_quantile(0.9, sum by (le) (rate({0}_bucket[5m])))`",
                            metric.name
                        ),
                        _ => "pass a histogram's bucket rates, summed by `le`: `histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))`".to_owned(),
                    };
                    (what, name, help)
                }
                Some(Shape::DropsLe(how, name)) => (
                    format!("{how}, which drops `le` from `{name}`"),
                    name,
                    "keep `le` in the aggregation: `sum by (le) (...)`, plus any label you group by"
                        .to_owned(),
                ),
                _ => return,
            };
            let message = format!(
                "`histogram_quantile()` over {what}: it takes a histogram's `_bucket` series with their `le` label, and returns nothing here"
            );
            self.problem("query-quantile-not-bucket", &name, message, help);
        }
    }

    /// The series of ours a range function reads, when one is plain to see: a range
    /// selector, or a subquery over a selector, summed or not.
    fn range_source<'e>(&self, arg: &'e Expr) -> Option<(&'e str, Series<'r>)> {
        match arg {
            Expr::MatrixSelector(matrix) => self.series_of(&matrix.vs),
            Expr::Paren(paren) => self.range_source(&paren.expr),
            Expr::Subquery(subquery) => self.instant_source(&subquery.expr),
            _ => None,
        }
    }

    fn instant_source<'e>(&self, expr: &'e Expr) -> Option<(&'e str, Series<'r>)> {
        match expr {
            Expr::VectorSelector(selector) => self.series_of(selector),
            Expr::Paren(paren) => self.instant_source(&paren.expr),
            Expr::Aggregate(aggregate)
                if KIND_KEEPING.contains(&aggregate.op.to_string().as_str()) =>
            {
                self.instant_source(&aggregate.expr)
            }
            _ => None,
        }
    }

    /// What `histogram_quantile()`'s vector argument is.
    fn shape(&self, expr: &Expr) -> Shape {
        match expr {
            Expr::VectorSelector(selector) => self.selector_shape(selector),
            Expr::MatrixSelector(matrix) => self.selector_shape(&matrix.vs),
            Expr::Paren(paren) => self.shape(&paren.expr),
            Expr::Unary(unary) => self.shape(&unary.expr),
            Expr::Subquery(subquery) => self.shape(&subquery.expr),
            Expr::Call(call) => {
                let function = call.func.name;
                if !LABEL_KEEPING.contains(&function) {
                    return Shape::Unknown;
                }
                let index = usize::from(function == "quantile_over_time");
                call.args
                    .args
                    .get(index)
                    .map_or(Shape::Unknown, |arg| self.shape(arg))
            }
            Expr::Aggregate(aggregate) => self.aggregate_shape(aggregate),
            Expr::Binary(binary) => self.binary_shape(binary),
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => Shape::Unknown,
        }
    }

    fn selector_shape(&self, selector: &VectorSelector) -> Shape {
        match self.series_of(selector) {
            Some((
                name,
                Series::Metric {
                    part: Part::Bucket, ..
                }
                | Series::Recorded { buckets: true },
            )) => Shape::Buckets(name.to_owned()),
            Some((_, Series::Recorded { buckets: false })) | None => Shape::Unknown,
            Some((name, series)) => Shape::Series(series.describe(name), name.to_owned()),
        }
    }

    fn aggregate_shape(&self, aggregate: &AggregateExpr) -> Shape {
        let op = aggregate.op.to_string();
        let inner = self.shape(&aggregate.expr);
        if SELECTING.contains(&op.as_str()) {
            return inner;
        }
        let dropped = match &aggregate.modifier {
            None => Some(format!("`{op}` without `by`")),
            Some(LabelModifier::Include(labels)) if !labels.labels.iter().any(|l| l == "le") => {
                Some(format!("`{op} by ({})`", labels.labels.join(", ")))
            }
            Some(LabelModifier::Exclude(labels)) if labels.labels.iter().any(|l| l == "le") => {
                Some(format!("`{op} without ({})`", labels.labels.join(", ")))
            }
            _ => None,
        };
        match (inner, dropped) {
            (Shape::Buckets(name), Some(how)) => Shape::DropsLe(how, name),
            (inner, _) => inner,
        }
    }

    fn binary_shape(&self, binary: &BinaryExpr) -> Shape {
        let scalar = |e: &Expr| e.value_type() == ValueType::Scalar;
        if scalar(&binary.lhs) {
            return self.shape(&binary.rhs);
        }
        if scalar(&binary.rhs) {
            return self.shape(&binary.lhs);
        }
        let card = binary.modifier.as_ref().map(|m| &m.card);
        if binary.op.to_string() == "or" {
            // Either side's series may come through: wrong only if one side surely is.
            match (self.shape(&binary.lhs), self.shape(&binary.rhs)) {
                (not @ (Shape::Series(..) | Shape::DropsLe(..)), _)
                | (_, not @ (Shape::Series(..) | Shape::DropsLe(..))) => not,
                (Shape::Buckets(name), Shape::Buckets(_)) => Shape::Buckets(name),
                _ => Shape::Unknown,
            }
        } else if matches!(card, Some(VectorMatchCardinality::OneToMany(_))) {
            self.shape(&binary.rhs)
        } else {
            self.shape(&binary.lhs)
        }
    }
}
