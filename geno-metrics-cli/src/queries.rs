//! The guard over queries: the PromQL of the files `[registry] rule_files` (Prometheus rule
//! files) and `dashboards` (Grafana dashboards) list, parsed with `promql-parser` and checked
//! against the registry. `check` reports what each query gets wrong; `diff` also reports the
//! queries a change of the registry leaves blank (`query-goes-blank`, in `diff/rules.rs`).
//!
//! Reading the files is `queries/files.rs`, Grafana's variables `queries/grafana.rs`, what a
//! name is `queries/series.rs`, and the checks of one query `queries/lint.rs`.

mod files;
mod grafana;
mod lint;
mod series;

use std::cell::Cell;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use geno_metrics_schema::{QueryFile, Registry};
use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::Expr;
use serde::Serialize;

use crate::Context;
use files::{Form, Found};
use grafana::VariableQuery;
pub(crate) use series::{Names, Resolved, Series};

/// How much a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Level {
    /// Fails the command.
    Error,
    /// Reported; the command still passes.
    Warning,
}

/// One finding in a listed file (or about its entry in the registry).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct QueryFinding {
    /// The rule id, e.g. `query-unknown-metric`.
    pub(crate) rule: &'static str,
    pub(crate) level: Level,
    /// The file, relative to the root as every diagnostic names files.
    pub(crate) file: String,
    /// 1-based line: of the query's `expr` (or a variable's `query`), or of the problem.
    pub(crate) line: usize,
    /// The series name the finding is about, when it is about one.
    pub(crate) metric: Option<String>,
    /// Where the query is: `alert `X``, `panel "Loss"`, `variable `rank``.
    pub(crate) place: Option<String>,
    /// The query, on one line.
    pub(crate) query: Option<String>,
    pub(crate) message: String,
    pub(crate) help: String,
}

impl fmt::Display for QueryFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(
            f,
            "{}:{}: {level}[{}]: {}",
            self.file, self.line, self.rule, self.message
        )?;
        match (&self.place, &self.query) {
            (Some(place), Some(query)) => write!(f, "\n  = note: in {place}: {query}")?,
            (None, Some(query)) => write!(f, "\n  = note: in {query}")?,
            _ => {}
        }
        write!(f, "\n  = help: {}", self.help)
    }
}

/// A series name one query selects, and where the query is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Use {
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) place: String,
    pub(crate) query: String,
}

/// What the guard found in the listed files.
#[derive(Debug, Default)]
pub(crate) struct Examined {
    /// Every problem, file by file in listing order, each file's in line order.
    pub(crate) findings: Vec<QueryFinding>,
    /// Every series name every query selects.
    pub(crate) uses: Vec<Use>,
    /// How many queries were read.
    pub(crate) queries: usize,
    /// How many files are listed.
    pub(crate) files: usize,
}

/// Reads every file `registry` lists (paths relative to `registry_file`'s directory) and
/// checks every query in them against `registry`.
pub(crate) fn examine(registry: &Registry, registry_file: &Path, context: &Context) -> Examined {
    let directory = registry_file.parent().unwrap_or(Path::new(""));
    let listing = Listing {
        directory,
        registry: context.display(registry_file),
        context,
    };
    let mut examined = Examined {
        files: registry.queries.rule_files.len() + registry.queries.dashboards.len(),
        ..Examined::default()
    };
    // Every file is read before any query is checked: a query may use what any rule file
    // records.
    let lists: [List<'_>; 2] = [
        (&registry.queries.rule_files, "rule_files", |text| {
            files::rule_file(text).map_or_else(
                |problem| Read::Invalid(problem, "a Prometheus rule file"),
                Read::Rules,
            )
        }),
        (&registry.queries.dashboards, "dashboards", |text| {
            files::dashboard(text).map_or_else(
                |problem| Read::Invalid(problem, "a Grafana dashboard's JSON"),
                Read::Dashboard,
            )
        }),
    ];
    let mut read = Vec::new();
    for (listed_files, key, read_as) in lists {
        for listed in listed_files {
            if let Some((file, text)) = listing.read(listed, key, &mut examined) {
                read.push((file, read_as(&text)));
            }
        }
    }
    let recorded = read.iter().flat_map(|(_, r)| match r {
        Read::Rules(rules) => rules.recorded.clone(),
        _ => Vec::new(),
    });
    let names = Names::new(registry, recorded);
    on_big_stack(|| examined.check_all(&names, &read));
    examined
}

impl Examined {
    /// Checks every query of the files read.
    fn check_all(&mut self, names: &Names<'_>, read: &[(String, Read)]) {
        for (file, content) in read {
            match content {
                Read::Rules(rules) => {
                    for found in &rules.queries {
                        self.check(names, file, found, &[]);
                    }
                }
                Read::Dashboard(dashboard) => {
                    for found in &dashboard.queries {
                        self.check(names, file, found, &dashboard.variables);
                    }
                }
                Read::Invalid(problem, what) => self.findings.push(QueryFinding {
                    rule: "query-file-invalid",
                    level: Level::Error,
                    file: file.clone(),
                    line: problem.line,
                    metric: None,
                    place: None,
                    query: None,
                    message: problem.message.clone(),
                    help: format!("make it {what}, or remove it from the registry's list"),
                }),
            }
        }
    }
}

/// Where the listed files are, and how findings name them.
struct Listing<'a> {
    directory: &'a Path,
    /// The registry file as diagnostics name it.
    registry: String,
    context: &'a Context,
}

impl Listing<'_> {
    /// The text of a listed file, with how findings name it; `None` after a finding on the
    /// registry's line that lists it, when it cannot be read.
    fn read(
        &self,
        listed: &QueryFile,
        key: &str,
        examined: &mut Examined,
    ) -> Option<(String, String)> {
        let path = self.directory.join(&listed.path);
        // A FIFO or a device would block the read, or never end: only a file is read.
        let problem = match std::fs::metadata(&path) {
            Err(e) => e.to_string(),
            Ok(metadata) if !metadata.is_file() => "it is not a regular file".to_owned(),
            Ok(_) => match std::fs::read(&path).map(String::from_utf8) {
                Err(e) => e.to_string(),
                Ok(Err(_)) => "it is not UTF-8 text".to_owned(),
                Ok(Ok(text)) => return Some((self.shown(&path), text)),
            },
        };
        examined.findings.push(QueryFinding {
            rule: "query-file-unreadable",
            level: Level::Error,
            file: self.registry.clone(),
            line: listed.line,
            metric: None,
            place: None,
            query: None,
            message: format!("cannot read `{}` of `{key}`: {problem}", listed.path),
            help: format!(
                "fix the path (relative to the directory of {}), or remove it from `{key}`",
                self.registry
            ),
        });
        None
    }

    /// `path` as findings name it: relative to the root, `..` folded away.
    fn shown(&self, path: &Path) -> String {
        let mut folded = PathBuf::new();
        for component in crate::absolute(path).components() {
            match component {
                Component::ParentDir if folded.parent().is_some() => {
                    folded.pop();
                }
                Component::CurDir => {}
                other => folded.push(other),
            }
        }
        self.context.display(&folded)
    }
}

/// A list of `[registry]`: its files, its key, and how a file of it is read.
type List<'r> = (&'r [QueryFile], &'static str, fn(&str) -> Read);

/// What a listed file holds.
enum Read {
    Rules(files::RuleFile),
    Dashboard(files::Dashboard),
    /// Not what its list says it is: the problem, and what it should be.
    Invalid(files::FileProblem, &'static str),
}

impl Examined {
    /// Checks one query of `file`; `variables` are its dashboard's.
    fn check(
        &mut self,
        names: &Names<'_>,
        file: &str,
        found: &Found,
        variables: &[files::Variable],
    ) {
        self.queries += 1;
        let one_line = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let query = one_line(&found.expr);
        let finding = |rule, metric, message, help| QueryFinding {
            rule,
            level: Level::Error,
            file: file.to_owned(),
            line: found.line,
            metric,
            place: Some(found.what.clone()),
            query: Some(query.clone()),
            message,
            help,
        };
        let promql = match found.form {
            Form::Promql => found.expr.clone(),
            Form::Target | Form::Variable => grafana::substitute(&found.expr, variables),
        };
        let substituted = if promql == found.expr {
            String::new()
        } else {
            format!(
                " (with Grafana's variables substituted: `{}`)",
                one_line(&promql)
            )
        };
        let (text, required_label) = match found.form {
            Form::Variable => match grafana::variable_query(&promql) {
                VariableQuery::Promql(inner) => (inner, None),
                VariableQuery::LabelValues { selector, label } => (selector, Some(label)),
                VariableQuery::Other => return,
            },
            Form::Promql | Form::Target => (promql, None),
        };
        let parsed = lint::parse(&text).and_then(|expr| match (expr, required_label) {
            (expr, None) => Ok(expr),
            // `label_values(selector, label)` is blank unless the series have the label:
            // checked as the matcher `label!=""` would be.
            (Expr::VectorSelector(mut selector), Some(label)) => {
                let matcher = Matcher::new(MatchOp::NotEqual, &label, "");
                selector.matchers.matchers.push(matcher);
                Ok(Expr::VectorSelector(selector))
            }
            (_, Some(_)) => Err("`label_values()` takes a series selector".to_owned()),
        });
        let expr = match parsed {
            Ok(expr) => expr,
            Err(reason) => {
                let help = match found.form {
                    Form::Promql => {
                        "fix the PromQL: Prometheus refuses to load a rule file with a query that does not parse"
                    }
                    Form::Target | Form::Variable => {
                        "fix the PromQL: Grafana sends the query to Prometheus, which refuses it"
                    }
                };
                let message = format!("the query does not parse: {reason}{substituted}");
                self.findings
                    .push(finding("query-syntax", None, message, help.to_owned()));
                return;
            }
        };
        let (problems, used) = lint::lint(&expr, names);
        for problem in problems {
            self.findings.push(finding(
                problem.rule,
                problem.name,
                problem.message,
                problem.help,
            ));
        }
        self.uses.extend(used.into_iter().map(|name| Use {
            name,
            file: file.to_owned(),
            line: found.line,
            place: found.what.clone(),
            query: query.clone(),
        }));
    }
}

/// Where a PromQL text is, read character by character: in code, or inside a string literal
/// (`"..."` and `'...'` with backslash escapes, `` `...` `` without).
#[derive(Debug, Default)]
pub(crate) struct Quoting {
    quote: Option<char>,
    escaped: bool,
}

impl Quoting {
    /// Moves past `c`; whether `c` is code (neither in a string nor one's quote).
    pub(crate) fn code(&mut self, c: char) -> bool {
        match self.quote {
            Some(_) if self.escaped => self.escaped = false,
            Some(q) if c == '\\' && q != '`' => self.escaped = true,
            Some(q) if c == q => self.quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => self.quote = Some(c),
            None => return true,
        }
        false
    }

    /// Whether the text read so far ends inside a string.
    pub(crate) fn in_string(&self) -> bool {
        self.quote.is_some()
    }
}

/// The stack the queries are parsed and walked on: the parser and the walk recurse once per
/// level of a query, and a query of the largest size [`lint::parse`] takes (a chain of 8 192
/// binary operators) needs more than a thread's usual 2 MiB. Only the pages used are touched.
const STACK: usize = 64 << 20;

/// Runs `work` on a thread with a [`STACK`]-sized stack (or here, if no such thread can be
/// started).
pub(crate) fn on_big_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let mut work = Some(work);
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("geno-metrics-queries".to_owned())
            .stack_size(STACK)
            .spawn_scoped(scope, || work.take().map(|w| w()))
            .ok()
            .map(|worker| worker.join())
    });
    match (outcome, work) {
        (Some(Ok(Some(result))), _) => result,
        (Some(Err(panic)), _) => std::panic::resume_unwind(panic),
        (_, Some(work)) => work(),
        (_, None) => std::panic::resume_unwind(Box::new("the query checks did not run")),
    }
}

thread_local! {
    /// Set while [`quietly`] runs a parser on this thread.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs a third-party parser that may panic on hostile input (promql-parser does on
/// `x offset NaN`): `None` when it panicked, and the panic message is not printed.
pub(crate) fn quietly<T>(parse: impl FnOnce() -> T) -> Option<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse));
    QUIET.with(|q| q.set(was));
    result.ok()
}

#[cfg(test)]
mod tests;
