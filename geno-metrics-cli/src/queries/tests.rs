//! The guard over queries: what names are, how Grafana's variables read, each finding, and
//! hostile files and queries, which yield findings, never a panic.

use std::path::{Path, PathBuf};

use geno_metrics_schema::Registry;
use proptest::prelude::*;

use super::files::{self, Form, Variable};
use super::grafana::{VariableQuery, substitute, variable_query};
use super::series::{Holds, Names, Part, Resolved, Series};
use super::{Examined, Level, examine, lint, on_big_stack};
use crate::Context;

/// A registry with a namespace, a constant label, every kind, a free-form label and both
/// collectors.
const REGISTRY: &str = r#"
[registry]
namespace = "app"
version = "1.0.0"
const_labels = { rank = { env = "RANK", default = "0" } }
collectors = ["process", "build_info"]
target_labels = ["cluster"]

[[metric]]
name = "app_steps_total"
kind = "counter"
summary = "Steps."

[[metric]]
name = "app_loss"
kind = "gauge"
summary = "Loss."

[[metric]]
name = "app_latency_seconds"
kind = "histogram"
unit = "seconds"
summary = "Latency."
labels = { phase = ["train", "eval"] }

[[metric]]
name = "app_model_info"
kind = "info"
summary = "Model."
labels = ["model"]

[[metric]]
name = "app_requests_total"
kind = "counter"
summary = "Requests."
labels = { model = { max_series = 4 } }
"#;

fn registry(source: &str) -> Registry {
    geno_metrics_schema::parse(source, "metrics.toml").unwrap_or_else(|r| panic!("{r}"))
}

/// The rule ids `query` breaks against [`REGISTRY`], with `recorded` recorded by rule files.
fn rules_of(query: &str, recorded: &[&str]) -> Vec<&'static str> {
    let registry = registry(REGISTRY);
    let names = Names::new(&registry, recorded.iter().map(|r| (*r).to_owned()));
    match lint::parse(query) {
        Err(_) => vec!["query-syntax"],
        Ok(expr) => lint::lint(&expr, &names)
            .0
            .into_iter()
            .map(|p| p.rule)
            .collect(),
    }
}

/// Asserts `query` is clean against [`REGISTRY`].
fn clean(query: &str) {
    breaks(query, &[], None);
}

#[test]
fn names_map_to_the_series_of_declared_and_collected_metrics() {
    let registry = registry(REGISTRY);
    let names = Names::new(
        &registry,
        ["job:app_latency_seconds_bucket:rate5m".to_owned()],
    );
    let part = |name: &str| match names.resolve(name) {
        Resolved::Series(Series::Metric { metric, part }) => Some((metric.name.clone(), part)),
        _ => None,
    };
    assert_eq!(
        part("app_steps_total"),
        Some(("app_steps_total".into(), Part::Own))
    );
    assert_eq!(part("app_loss"), Some(("app_loss".into(), Part::Own)));
    assert_eq!(
        part("app_model_info"),
        Some(("app_model_info".into(), Part::Own))
    );
    let histogram = "app_latency_seconds".to_owned();
    assert_eq!(
        part("app_latency_seconds_bucket"),
        Some((histogram.clone(), Part::Bucket))
    );
    assert_eq!(
        part("app_latency_seconds_sum"),
        Some((histogram.clone(), Part::SumOrCount))
    );
    assert_eq!(
        part("app_latency_seconds_count"),
        Some((histogram, Part::SumOrCount))
    );
    // The collectors' metrics: client_golang's unprefixed names and <namespace>_build_info.
    assert_eq!(part("process_open_fds").map(|(_, p)| p), Some(Part::Own));
    assert_eq!(part("app_build_info").map(|(_, p)| p), Some(Part::Own));
    // The runtime's overflow counter, for a registry with a free-form label.
    assert!(matches!(
        names.resolve("geno_metrics_dropped_label_values_total"),
        Resolved::Series(Series::Overflow)
    ));
    // A recorded bucket rate.
    assert!(matches!(
        names.resolve("job:app_latency_seconds_bucket:rate5m"),
        Resolved::Series(Series::Recorded { buckets: true })
    ));
}

#[test]
fn names_no_series_has_are_told_apart_from_unknown_ones() {
    let registry = registry(REGISTRY);
    let names = Names::new(&registry, []);
    for (name, says) in [
        ("app_latency_seconds", "a histogram, whose series are"),
        ("app_steps", "counter `app_steps_total`'s family"),
        ("app_model", "info metric `app_model_info`'s family"),
    ] {
        match names.resolve(name) {
            Resolved::NoSeries(_, what) => assert!(what.contains(says), "{name}: {what}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // In the namespace (also as a recording rule's metric part): ours, unknown.
    for name in ["app_stepz_total", "job:app_steps:rate1m"] {
        assert!(
            matches!(names.resolve(name), Resolved::Unknown { ours: true }),
            "{name}"
        );
    }
    // Other exporters' names, Prometheus' own, and the process names of an uncollected
    // registry: not ours.
    for name in ["up", "node_textfile_mtime_seconds", "job:node_cpu:rate5m"] {
        assert!(
            matches!(names.resolve(name), Resolved::Unknown { ours: false }),
            "{name}"
        );
    }
    // Without a namespace nothing undeclared is ours.
    let bare = registry_without_namespace();
    let names = Names::new(&bare, []);
    assert!(matches!(
        names.resolve("jobz_total"),
        Resolved::Unknown { ours: false }
    ));
    assert!(matches!(names.resolve("jobs"), Resolved::NoSeries(..)));
}

fn registry_without_namespace() -> Registry {
    registry(
        "[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"J.\"\n",
    )
}

#[test]
fn series_hold_what_their_kind_says_and_have_their_labels() {
    let registry = registry(REGISTRY);
    let names = Names::new(&registry, ["job:x:rate5m".to_owned()]);
    let series = |name: &str| match names.resolve(name) {
        Resolved::Series(series) => series,
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(series("app_steps_total").holds(), Holds::Counter);
    assert_eq!(series("app_latency_seconds_bucket").holds(), Holds::Counter);
    assert_eq!(series("app_loss").holds(), Holds::Gauge);
    assert_eq!(series("process_open_fds").holds(), Holds::Gauge);
    assert_eq!(series("app_model_info").holds(), Holds::Info);
    assert_eq!(series("job:x:rate5m").holds(), Holds::Unknown);
    let labels = names.labels(&series("app_latency_seconds_bucket")).unwrap();
    assert_eq!(
        labels,
        ["phase", "le", "rank", "job", "instance", "cluster"]
    );
    let labels = names.labels(&series("app_latency_seconds_sum")).unwrap();
    assert!(!labels.contains(&"le"));
    let labels = names.labels(&series("app_build_info")).unwrap();
    assert!(labels.contains(&"git_commit") && labels.contains(&"rank"));
    let labels = names
        .labels(&series("geno_metrics_dropped_label_values_total"))
        .unwrap();
    assert!(labels.starts_with(&["metric", "label"]));
    assert_eq!(names.labels(&series("job:x:rate5m")), None);
}

fn variables() -> Vec<Variable> {
    vec![
        Variable {
            name: "job".into(),
            interval: false,
            current: Some("train".into()),
        },
        Variable {
            name: "window".into(),
            interval: true,
            current: Some("1m".into()),
        },
        Variable {
            name: "q".into(),
            interval: false,
            current: Some("0.9".into()),
        },
        Variable {
            name: "group".into(),
            interval: false,
            current: None,
        },
    ]
}

#[test]
fn grafana_variables_become_what_the_parser_accepts() {
    let vars = variables();
    for (given, expected) in [
        // Inside strings: a regex that matches anything.
        (r#"x{job=~"$job"}"#, r#"x{job=~".*"}"#),
        (r#"x{job="${job}"}"#, r#"x{job=".*"}"#),
        (r#"x{job=~"${job:regex}"}"#, r#"x{job=~".*"}"#),
        (r#"x{job=~"[[job]]"}"#, r#"x{job=~".*"}"#),
        (r#"x{a='$job', b=`$job`}"#, r#"x{a='.*', b=`.*`}"#),
        // Ranges: Grafana's intervals and interval variables are durations.
        ("rate(x[$__rate_interval])", "rate(x[5m])"),
        ("rate(x[${__interval}])", "rate(x[5m])"),
        ("increase(x[$__range])", "increase(x[5m])"),
        ("rate(x[$window])", "rate(x[1m])"),
        ("rate(x[[[window]]])", "rate(x[1m])"),
        ("max_over_time(x[$job:$window])", "max_over_time(x[5m:1m])"),
        ("x / $__range_s", "x / 300"),
        ("x / $__interval_ms", "x / 300000"),
        // Elsewhere: the saved value, or the name.
        ("histogram_quantile($q, x)", "histogram_quantile(0.9, x)"),
        ("sum by ($group) (x)", "sum by (group) (x)"),
        // Not a variable of the dashboard: left as Grafana leaves it.
        (
            r#"label_replace(x, "a", "$1", "b", "(.*)")"#,
            r#"label_replace(x, "a", "$1", "b", "(.*)")"#,
        ),
        ("x > $undefined", "x > $undefined"),
        // An escaped quote does not end the string.
        (r#"x{a="\"$job"}"#, r#"x{a="\".*"}"#),
    ] {
        assert_eq!(substitute(given, &vars), expected, "{given}");
    }
}

#[test]
fn query_variables_name_their_promql() {
    assert_eq!(
        variable_query("label_values(app_build_info{job=\"a,b\"}, rank)"),
        VariableQuery::LabelValues {
            selector: "app_build_info{job=\"a,b\"}".into(),
            label: "rank".into()
        }
    );
    assert_eq!(
        variable_query(" query_result( sum(x) by (a) ) "),
        VariableQuery::Promql("sum(x) by (a)".into())
    );
    for other in [
        "label_values(rank)",
        "label_names()",
        "metrics(app_.*)",
        "a,b,c",
    ] {
        assert_eq!(variable_query(other), VariableQuery::Other, "{other}");
    }
}

#[test]
fn clean_queries_are_clean() {
    for query in [
        "sum by (job, rank) (rate(app_steps_total[5m]))",
        "histogram_quantile(0.99, sum by (le, phase) (rate(app_latency_seconds_bucket{phase=\"train\"}[5m])))",
        "histogram_quantile(0.9, rate(app_latency_seconds_bucket[5m]) * 60)",
        "histogram_quantile(0.9, sum without (phase) (rate(app_latency_seconds_bucket[5m])))",
        "rate(app_latency_seconds_sum[5m]) / rate(app_latency_seconds_count[5m])",
        "deriv(app_loss[10m]) > 0 and app_loss{job=\"x\", instance=~\".+\", cluster=\"eu\"} > 1",
        "changes(process_start_time_seconds[1h]) > 2",
        "count by (version) (app_build_info{rank=\"0\"})",
        "increase(geno_metrics_dropped_label_values_total{metric=\"app_requests_total\", label=\"model\"}[15m])",
        "{__name__=~\"app_.*\"}",
        // A label a series lacks is empty: matchers that take "" still match.
        "app_loss{phase=~\".*\", other!=\"x\"}",
        // Not ours: never reported.
        "up == 0 or node_load1{phse=\"x\"} > 1 or rate(node_memory_free_bytes[5m]) > 0",
        "time() - node_textfile_mtime_seconds{file=~\"(.*/)?metrics([.][^/]*)?[.]prom\"} > 600",
    ] {
        clean(query);
    }
}

/// `query` breaks exactly `rule` against [`REGISTRY`] (none: is clean), with `recorded`
/// recorded by the rule files.
fn breaks(query: &str, recorded: &[&str], rule: Option<&str>) {
    assert_eq!(rules_of(query, recorded), Vec::from_iter(rule), "{query}");
}

#[test]
fn query_unknown_metric() {
    let unknown = Some("query-unknown-metric");
    breaks("app_stepz_total", &[], unknown);
    breaks("{__name__=\"app_nope\"}", &[], unknown);
    // A recording rule of ours that no listed rule file records.
    breaks("job:app_steps:rate5m", &[], unknown);
    breaks("job:app_steps:rate5m", &["job:app_steps:rate5m"], None);
    // Reported once, however often the query names it.
    breaks("app_nope_total + app_nope_total", &[], unknown);
    // build_info of a registry that does not collect it: the collector is the fix.
    let bare = registry_without_namespace();
    let names = Names::new(&bare, []);
    let expr = lint::parse("build_info").unwrap();
    assert_eq!(lint::lint(&expr, &names).0, []);
    let namespaced = registry(&REGISTRY.replace("\"process\", \"build_info\"", "\"process\""));
    let names = Names::new(&namespaced, []);
    let expr = lint::parse("app_build_info").unwrap();
    let problems = lint::lint(&expr, &names).0;
    assert!(
        problems[0]
            .help
            .contains("`build_info` in `[registry] collectors`"),
        "{problems:?}"
    );
}

#[test]
fn query_not_a_series() {
    for query in [
        "app_latency_seconds > 1",
        "rate(app_steps[5m])",
        "app_model",
    ] {
        breaks(query, &[], Some("query-not-a-series"));
    }
}

#[test]
fn query_unknown_label() {
    for query in [
        "app_latency_seconds_count{phse=\"train\"}",
        // `le` is a label of the buckets only.
        "app_latency_seconds_sum{le=\"0.5\"}",
        "app_loss{pod=~\".+\"}",
        // In an `or` group of matchers too.
        "app_loss{job=\"a\" or region=\"b\"}",
    ] {
        breaks(query, &[], Some("query-unknown-label"));
    }
    // Recorded series' labels are not known: not checked.
    breaks("job:x:rate5m{pod=\"a\"}", &["job:x:rate5m"], None);
}

#[test]
fn query_rate_over_gauge() {
    for query in [
        "rate(app_loss[5m])",
        "irate(process_open_fds[5m])",
        "increase((app_loss)[1h:])",
        "resets(app_loss[1h])",
        "rate(sum by (job) (app_loss)[5m:1m])",
        "sum(rate(app_model_info[5m]))",
    ] {
        assert_eq!(rules_of(query, &[]), ["query-rate-over-gauge"], "{query}");
    }
    // deriv and delta are a gauge's; rate of a histogram's series is fine.
    clean("deriv(app_loss[5m]) + delta(app_loss[5m]) + rate(app_latency_seconds_count[5m])");
}

#[test]
fn query_quantile_not_bucket() {
    for query in [
        "histogram_quantile(0.9, rate(app_latency_seconds_sum[5m]))",
        "histogram_quantile(0.9, app_steps_total)",
        "histogram_quantile(0.9, sum(rate(app_latency_seconds_bucket[5m])))",
        "histogram_quantile(0.9, sum by (job) (rate(app_latency_seconds_bucket[5m])))",
        "histogram_quantile(0.9, sum without (le) (rate(app_latency_seconds_bucket[5m])))",
        "histogram_quantile(0.9, 2 * rate(app_loss[5m:]) or rate(app_latency_seconds_bucket[5m]))",
    ] {
        assert!(
            rules_of(query, &[]).contains(&"query-quantile-not-bucket"),
            "{query}: {:?}",
            rules_of(query, &[])
        );
    }
    // A recorded bucket rate is buckets; a recorded series whose name does not say may be.
    let recorded = [
        "job:app_latency_seconds_bucket:rate5m",
        "job:app_latency:p99",
    ];
    breaks(
        "histogram_quantile(0.9, job:app_latency_seconds_bucket:rate5m)",
        &recorded,
        None,
    );
    breaks(
        "histogram_quantile(0.9, job:app_latency:p99)",
        &recorded,
        None,
    );
    // topk keeps every label.
    clean("histogram_quantile(0.9, topk(3, rate(app_latency_seconds_bucket[5m])))");
}

#[test]
fn queries_that_do_not_parse() {
    for query in [
        "rate(app_steps_total[5m]",
        "",
        // promql-parser panics on these; the guard reports them.
        "x offset NaN",
        "sum offset 1e400",
    ] {
        assert!(lint::parse(query).is_err(), "{query}");
    }
    let deep = format!("{}x{}", "(".repeat(200), ")".repeat(200));
    assert!(lint::parse(&deep).unwrap_err().contains("nests 200 levels"));
    let long = format!("{}x", "x+".repeat(10_000));
    assert!(lint::parse(&long).unwrap_err().contains("bytes long"));
    // Just under the limits, a query is read and walked, on the stack `examine` gives it.
    let chain = format!("{}app_nope", "x+".repeat(8_000));
    assert_eq!(
        on_big_stack(|| rules_of(&chain, &[])),
        ["query-unknown-metric"]
    );
    let nested = format!(
        "{}app_nope{}",
        "histogram_quantile(0.9, ".repeat(128),
        ")".repeat(128)
    );
    assert_eq!(
        on_big_stack(|| rules_of(&nested, &[])),
        ["query-unknown-metric"]
    );
}

const RULE_FILE: &str = "\
# Hand-written alerts.
groups:
  - name: app
    rules:
      - record: job:app_steps:rate5m
        expr: sum by (job) (rate(app_steps_total[5m]))
      - alert: Slow
        expr: |
          histogram_quantile(0.9,
            sum by (le) (rate(app_latency_seconds_bucket[5m]))) > 1
        for: 5m
  - name: empty
";

#[test]
fn a_rule_file_gives_each_expr_with_its_line_and_what_it_records() {
    let file = files::rule_file(RULE_FILE).unwrap();
    let found: Vec<(usize, &str, &str)> = file
        .queries
        .iter()
        .map(|f| (f.line, f.what.as_str(), f.expr.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                6,
                "recording rule `job:app_steps:rate5m`",
                "sum by (job) (rate(app_steps_total[5m]))"
            ),
            (
                8,
                "alert `Slow`",
                "histogram_quantile(0.9,\n  sum by (le) (rate(app_latency_seconds_bucket[5m]))) > 1\n"
            ),
        ]
    );
    assert!(file.queries.iter().all(|f| f.form == Form::Promql));
    assert_eq!(file.recorded, ["job:app_steps:rate5m"]);
    // An empty file is an empty rule file, as for Prometheus.
    assert!(files::rule_file("").unwrap().queries.is_empty());
    assert!(files::rule_file("# nothing\n").unwrap().queries.is_empty());
}

#[test]
fn a_file_that_is_no_rule_file_says_where() {
    for (text, line, says) in [
        ("groups:\n  - name: a\n    rules: [\n", 4, "invalid YAML"),
        ("groups: 3\n", 1, "`groups` must be a list"),
        (
            "{\"title\": \"a dashboard\"}\n",
            1,
            "unknown top-level key `title`",
        ),
        ("- a\n- b\n", 1, "the top level is a list"),
        (
            "groups:\n  - name: g\n    rules:\n      - alert: A\n        for: 5m\n",
            4,
            "alert `A` has no `expr`",
        ),
        (
            "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: [1]\n",
            5,
            "not a string",
        ),
        (
            "groups:\n  - name: g\n    rules:\n      - 3\n",
            4,
            "not a mapping",
        ),
    ] {
        refused(files::rule_file(text), line, says);
    }
    let deep = format!("groups: {}1{}\n", "[".repeat(100), "]".repeat(100));
    refused(files::rule_file(&deep), 1, "nested deeper than 64");
    // An alias is not followed: a file cannot multiply itself.
    let aliased = "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: &e x\n      - record: s\n        expr: *e\n";
    refused(files::rule_file(aliased), 7, "an alias");
}

/// A file was refused with a problem on `line` whose message holds `says`.
fn refused<T: std::fmt::Debug>(read: Result<T, files::FileProblem>, line: usize, says: &str) {
    let problem = read.unwrap_err();
    assert_eq!(problem.line, line, "{problem:?}");
    assert!(problem.message.contains(says), "{problem:?} lacks {says:?}");
}

const DASHBOARD: &str = r#"{
  "title": "App",
  "templating": {
    "list": [
      {
        "name": "job",
        "type": "query",
        "datasource": { "type": "prometheus", "uid": "p" },
        "query": { "query": "label_values(app_steps_total, job)", "refId": "A" },
        "current": { "value": ["train", "eval"] }
      },
      { "name": "window", "type": "interval", "query": "1m,5m", "current": { "value": "1m" } },
      { "name": "logs", "type": "query", "datasource": { "type": "loki" }, "query": "label_values(app)" }
    ]
  },
  "panels": [
    {
      "title": "Steps",
      "targets": [
        { "expr": "sum(rate(app_steps_total{job=~\"$job\"}[$window]))", "refId": "A" }
      ]
    },
    {
      "type": "row",
      "title": "Collapsed",
      "panels": [
        {
          "title": "Latency",
          "datasource": { "type": "prometheus" },
          "targets": [
            {
              "expr": "histogram_quantile(0.9, sum by (le) (rate(app_latency_seconds_bucket[$__rate_interval])))"
            },
            { "datasource": { "type": "loki" }, "expr": "{app=\"x\"} |= \"error\"" }
          ]
        }
      ]
    },
    { "title": "Logs", "datasource": { "type": "loki" }, "targets": [{ "expr": "{app=\"x\"}" }] },
    { "targets": [{ "expr": " " }, { "expr": "app_loss" }] }
  ],
  "annotations": {
    "list": [
      { "name": "Annotations & Alerts", "builtIn": 1, "datasource": { "type": "grafana" } },
      { "name": "Restarts", "datasource": { "type": "prometheus" }, "expr": "changes(process_start_time_seconds[5m]) > 0" }
    ]
  }
}
"#;

#[test]
fn a_dashboard_gives_every_target_and_query_variable_with_its_line() {
    let dashboard = files::dashboard(DASHBOARD).unwrap();
    let found: Vec<(usize, &str, Form)> = dashboard
        .queries
        .iter()
        .map(|f| (f.line, f.what.as_str(), f.form))
        .collect();
    assert_eq!(
        found,
        [
            (9, "variable `job`", Form::Variable),
            (20, "panel \"Steps\"", Form::Target),
            (32, "panel \"Latency\"", Form::Target),
            (40, "an untitled panel", Form::Target),
            (45, "annotation `Restarts`", Form::Target),
        ]
    );
    assert_eq!(
        dashboard.variables,
        [
            Variable {
                name: "job".into(),
                interval: false,
                current: Some("train".into())
            },
            Variable {
                name: "window".into(),
                interval: true,
                current: Some("1m".into())
            },
            Variable {
                name: "logs".into(),
                interval: false,
                current: None
            },
        ]
    );
    // The HTTP API's wrapper holds the same dashboard.
    let wrapped = format!("{{\"dashboard\": {DASHBOARD}, \"overwrite\": true}}");
    assert_eq!(files::dashboard(&wrapped).unwrap().queries.len(), 5);
}

#[test]
fn a_file_that_is_no_dashboard_says_where() {
    for (text, line, says) in [
        (
            "{\n  \"panels\": [\n    {\"targets\": [}\n",
            3,
            "invalid JSON",
        ),
        ("{\"a\": 1,}", 1, "invalid JSON"),
        ("// comment\n{}", 1, "invalid JSON"),
        ("[1, 2]", 1, "not a JSON object"),
        ("", 1, "not a JSON object"),
    ] {
        refused(files::dashboard(text), line, says);
    }
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    refused(files::dashboard(&deep), 1, "invalid JSON");
}

/// A scratch directory with `files` (name, text) and a `metrics.toml` of `registry_source`.
fn scratch(test: &str, registry_source: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "geno-metrics-queries-{test}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("metrics.toml"), registry_source).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

fn examined(dir: &Path) -> Examined {
    let file = dir.join("metrics.toml");
    let registry = registry(&std::fs::read_to_string(&file).unwrap());
    let context = Context {
        registry: file.clone(),
        catalogue: None,
        root: dir.to_path_buf(),
        command: "cargo geno-metrics",
    };
    examine(&registry, &file, &context)
}

#[test]
fn examine_reads_every_listed_file_and_names_it_relative_to_the_root() {
    let listing = REGISTRY.replace(
        "target_labels = [\"cluster\"]",
        "target_labels = [\"cluster\"]\nrule_files = [\"rules.yml\", \"./sub/../gone.yml\", \"sub\"]\ndashboards = [\"app.json\", \"broken.json\"]",
    );
    let rules = format!("{RULE_FILE}      - alert: Gauge\n        expr: rate(app_loss[5m]) > 0\n")
        .replace("  - name: empty\n", "");
    let dir = scratch(
        "examine",
        &listing,
        &[
            ("rules.yml", &rules),
            (
                "app.json",
                &DASHBOARD.replace("app_steps_total{", "app_stepz_total{"),
            ),
            ("broken.json", "{"),
        ],
    );
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let examined = examined(&dir);
    let found: Vec<(&str, &str, usize)> = examined
        .findings
        .iter()
        .map(|f| (f.rule, f.file.as_str(), f.line))
        .collect();
    assert_eq!(
        found,
        [
            ("query-file-unreadable", "metrics.toml", 8),
            ("query-file-unreadable", "metrics.toml", 8),
            ("query-rate-over-gauge", "rules.yml", 13),
            ("query-unknown-metric", "app.json", 20),
            ("query-file-invalid", "broken.json", 1),
        ],
        "{:#?}",
        examined.findings
    );
    assert!(examined.findings.iter().all(|f| f.level == Level::Error));
    assert!(
        examined.findings[0]
            .message
            .contains("`./sub/../gone.yml` of `rule_files`")
    );
    assert!(examined.findings[1].message.contains("not a regular file"));
    assert_eq!(examined.files, 5);
    assert_eq!(examined.queries, 3 + 5);
    let shown = examined.findings[3].to_string();
    assert!(
        shown.starts_with("app.json:20: error[query-unknown-metric]: metric `app_stepz_total`"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "\n  = note: in panel \"Steps\": sum(rate(app_stepz_total{job=~\"$job\"}[$window]))"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("\n  = help: did you mean `app_steps_total`?"),
        "{shown}"
    );
    // Every name every query selects, for the diff.
    assert!(
        examined
            .uses
            .iter()
            .any(|u| u.name == "app_latency_seconds_bucket"
                && u.file == "app.json"
                && u.line == 32)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_dashboard_query_that_does_not_parse_shows_the_substituted_text() {
    let listing = REGISTRY.replace("target_labels = [\"cluster\"]", "dashboards = [\"d.json\"]");
    let dashboard = r#"{"templating": {"list": [{"name": "w", "type": "interval", "current": {"value": "1m"}}]},
"panels": [{"title": "T", "targets": [{"expr": "rate(app_steps_total[$w]"}]}]}"#;
    let dir = scratch("substituted", &listing, &[("d.json", dashboard)]);
    let examined = examined(&dir);
    assert_eq!(examined.findings.len(), 1, "{:#?}", examined.findings);
    let finding = &examined.findings[0];
    assert_eq!((finding.rule, finding.line), ("query-syntax", 2));
    assert!(
        finding
            .message
            .contains("with Grafana's variables substituted: `rate(app_steps_total[1m]`"),
        "{finding}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Tidy: the crate README's table of the guard over queries has one row per rule id the
/// guard reports, and no other.
#[test]
fn readme_lists_every_query_rule() {
    let sources = [
        include_str!("../queries.rs"),
        include_str!("files.rs"),
        include_str!("grafana.rs"),
        include_str!("lint.rs"),
        include_str!("series.rs"),
    ];
    let mut in_source: Vec<&str> = sources
        .iter()
        .flat_map(|source| source.split('"').skip(1).step_by(2))
        .filter(|s| {
            s.strip_prefix("query-").is_some_and(|r| {
                !r.is_empty() && r.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            })
        })
        .collect();
    in_source.sort_unstable();
    in_source.dedup();
    let (_, section) = include_str!("../../README.md")
        .split_once("\n## The guard over queries\n")
        .unwrap();
    let mut in_readme: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split_once("` | "))
        .map(|(rule, _)| rule)
        .collect();
    in_readme.sort_unstable();
    assert_eq!(in_source.len(), 8, "{in_source:?}");
    assert_eq!(
        in_source, in_readme,
        "geno-metrics-cli/README.md, section \"The guard over queries\""
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary bytes as a rule file, a dashboard or a query: a finding or nothing, never a
    /// panic.
    #[test]
    fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = files::rule_file(&text);
        let _ = files::dashboard(&text);
        let _ = substitute(&text, &variables());
        let _ = variable_query(&text);
        let registry = registry(REGISTRY);
        let names = Names::new(&registry, []);
        if let Ok(expr) = lint::parse(&text) {
            let _ = lint::lint(&expr, &names);
        }
    }

    /// Queries built from PromQL's own words, where parsers break: every one parses or is
    /// refused, and a parsed one is checked.
    #[test]
    fn promql_words_never_panic(words in proptest::collection::vec(prop_oneof![
        Just("rate("), Just("histogram_quantile(0.9, "), Just("sum"), Just(" by (le) "),
        Just(" without (le) "), Just("("), Just(")"), Just("app_loss"), Just("app_steps_total"),
        Just("app_latency_seconds_bucket"), Just("[5m]"), Just("[5m:1m]"), Just("{"), Just("}"),
        Just("phase=\"x\""), Just(" or "), Just(" offset "), Just("NaN"), Just("Inf"), Just("1e400"),
        Just("-"), Just(","), Just(" @ "), Just("$__rate_interval"), Just("${x:regex}"), Just("[["),
        Just("]]"), Just("\""), Just("\\"), Just(" group_left "), Just(" on (le) "), Just("topk(2, "),
    ], 0..16)) {
        let text = substitute(&words.concat(), &variables());
        let registry = registry(REGISTRY);
        let names = Names::new(&registry, ["job:app_latency_seconds_bucket:rate5m".to_owned()]);
        if let Ok(expr) = lint::parse(&text) {
            let _ = lint::lint(&expr, &names);
        }
    }

    /// Rule files and dashboards with queries of those words, read and checked end to end.
    #[test]
    fn shaped_files_never_panic(expr in "[a-z_(){}\\[\\]\"$:,. 0-9=~!]{0,40}", line_break in any::<bool>()) {
        let quoted = serde_json::to_string(&expr).unwrap();
        let yaml = if line_break {
            format!("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n          {expr}\n")
        } else {
            format!("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: {quoted}\n")
        };
        if let Ok(file) = files::rule_file(&yaml) {
            prop_assert_eq!(file.queries.len(), 1);
            prop_assert_eq!(file.queries[0].line, 5);
        }
        let json = format!("{{\"panels\": [{{\"targets\": [{{\"expr\": {quoted}}}]}}]}}");
        let dashboard = files::dashboard(&json).unwrap();
        // Grafana sends no empty query, and the guard reads none.
        prop_assert_eq!(dashboard.queries.len(), usize::from(!expr.trim().is_empty()));
    }
}
