//! `dashboard`: a Grafana dashboard generated from the registry (`metrics.dashboard.json`
//! beside it, or `--output`); `--check` fails when the committed file is stale.
//!
//! A row per subsystem, the word after the namespace by Prometheus' `namespace_subsystem_name`
//! convention (client_golang's `Opts.Subsystem`), and a row per collector; rows in the order
//! their first metric comes in the registry, panels in registry order. Counters and histograms
//! are shown from the recording rules of `rules.rs`, by the names it computes, so a panel
//! never queries a rule the rule file lacks; gauges and info metrics from their own series.
//! Every query filters each label its series keep (`job`, the constant labels, the enumerated
//! labels) by the template variable of that name.

use geno_metrics_schema::{LabelValue, LabelValues, Metric, MetricKind, Registry};
use serde_json::{Value, json};

use crate::rules::{
    QUANTILES, bucket_rate_record, kept_labels, quantile_record, rate_record,
    series_every_process_has,
};

/// The version of Grafana's dashboard JSON model the file is written in (Grafana 10.4, 11).
const SCHEMA_VERSION: u64 = 39;

/// A panel's width on Grafana's 24-column grid: two panels side by side.
const PANEL_WIDTH: u64 = 12;

/// A panel's height in grid rows.
const PANEL_HEIGHT: u64 = 8;

/// The data source of every panel and query variable: the dashboard's `datasource`
/// variable, so that one file serves whichever Prometheus it is imported against.
fn datasource() -> Value {
    json!({ "type": "prometheus", "uid": "${datasource}" })
}

/// The dashboard, pretty-printed JSON with a final newline. The same registry always gives
/// the same bytes: keys sorted, ids assigned in registry order.
pub(crate) fn render(registry: &Registry, source: &str, command: &str) -> String {
    let namespace = registry.namespace.as_deref();
    let mut tags = vec!["geno-metrics".to_owned()];
    tags.extend(namespace.map(str::to_owned));
    let mut dashboard = json!({
        "description": format!(
            "Generated from {source} (registry version {}) by `{command} dashboard`. Do not edit: change the registry and run the command again; `{command} dashboard --check` fails when this file is stale.",
            registry.version
        ),
        "editable": true,
        // A shared crosshair: the same moment is marked on every panel.
        "graphTooltip": 1,
        "links": [],
        "panels": panels(registry),
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "tags": tags,
        "templating": { "list": variables(registry) },
        "time": { "from": "now-6h", "to": "now" },
        "timepicker": {},
        "timezone": "",
        "title": namespace.map_or_else(|| "Metrics".to_owned(), |ns| format!("{ns} metrics")),
        "uid": uid(namespace),
        "version": 1,
    });
    // A no-op unless some crate turns on serde_json's `preserve_order`: the order stays the
    // same whichever features the build unifies.
    dashboard.sort_all_objects();
    format!("{dashboard:#}\n")
}

/// The dashboard's uid, the same at every import so that links to it keep working: from the
/// namespace (`geno-lewm-metrics`), within the 40 characters Grafana allows.
fn uid(namespace: Option<&str>) -> String {
    let uid = format!("{}-metrics", namespace.unwrap_or("geno").replace('_', "-"));
    uid.chars().take(40).collect()
}

/// The row a metric is shown in: its collector's (`process`, `build_info`) for a collector's
/// metric, else its subsystem, the word after the namespace (`geno_lewm_train_steps_total`
/// -> `train`), the first word without a namespace.
fn row_of(registry: &Registry, metric: &Metric) -> String {
    if let Some(collector) = metric.collector {
        return collector.to_string();
    }
    let name = registry
        .namespace
        .as_deref()
        .and_then(|ns| metric.name.strip_prefix(ns))
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or(&metric.name);
    name.split('_').next().unwrap_or(name).to_owned()
}

/// A row and its panels, before they are placed on the grid.
struct Row {
    id: u64,
    title: String,
    panels: Vec<Value>,
}

/// Every row panel and panel, placed. Ids are handed out in registry order, a row's when its
/// first metric comes: a metric added after the last `[[metric]]` table leaves the ids of
/// every declared metric as they were (the collectors', which follow, move up), so links to a
/// panel (`viewPanel=`) survive additions.
fn panels(registry: &Registry) -> Vec<Value> {
    let mut rows: Vec<Row> = Vec::new();
    let mut next_id = 1..;
    let mut take_id = || next_id.next().unwrap_or_default();
    for metric in &registry.metrics {
        let title = row_of(registry, metric);
        let at = match rows.iter().position(|row| row.title == title) {
            Some(at) => at,
            None => {
                rows.push(Row {
                    id: take_id(),
                    title,
                    panels: Vec::new(),
                });
                rows.len() - 1
            }
        };
        for mut panel in panels_of(registry, metric) {
            panel["id"] = json!(take_id());
            rows[at].panels.push(panel);
        }
    }
    let mut placed = Vec::new();
    let mut y = 0;
    for row in rows {
        placed.push(json!({
            "collapsed": false,
            "gridPos": { "h": 1, "w": 24, "x": 0, "y": y },
            "id": row.id,
            "panels": [],
            "title": row.title,
            "type": "row",
        }));
        y += 1;
        let lines = row.panels.len().div_ceil(2) as u64;
        for (i, mut panel) in (0..).zip(row.panels) {
            panel["gridPos"] = json!({
                "h": PANEL_HEIGHT,
                "w": PANEL_WIDTH,
                "x": (i % 2) * PANEL_WIDTH,
                "y": y + (i / 2) * PANEL_HEIGHT,
            });
            placed.push(panel);
        }
        y += lines * PANEL_HEIGHT;
    }
    placed
}

/// The panels of one metric: a counter's rate; a histogram's quantiles and the heatmap of its
/// buckets; a gauge's value; an info metric's labels as a table.
fn panels_of(registry: &Registry, metric: &Metric) -> Vec<Value> {
    let kept = kept_labels(registry, metric);
    let filter = filter(&kept);
    let unit = metric.unit.as_deref();
    match metric.kind {
        MetricKind::Counter => vec![timeseries(
            metric,
            "per second",
            &grafana_unit(unit, true),
            vec![target(
                0,
                format!("{}{filter}", rate_record(registry, metric)),
                legend(&kept),
            )],
        )],
        MetricKind::Histogram => {
            let quantiles = (0..)
                .zip(QUANTILES)
                .map(|(n, (quantile, _))| {
                    target(
                        n,
                        format!("{}{filter}", quantile_record(registry, metric, quantile)),
                        format!("{quantile} {}", legend(&kept)),
                    )
                })
                .collect();
            let mut buckets = target(
                0,
                format!(
                    "sum by (le) ({}{filter})",
                    bucket_rate_record(registry, metric)
                ),
                "{{le}}".to_owned(),
            );
            buckets["format"] = json!("heatmap");
            vec![
                timeseries(
                    metric,
                    &QUANTILES.map(|(quantile, _)| quantile).join(", "),
                    &grafana_unit(unit, false),
                    quantiles,
                ),
                heatmap(metric, &grafana_unit(unit, false), buckets),
            ]
        }
        MetricKind::Gauge => {
            // Each process' own value: a sum or an average of losses or memory across ranks
            // hides the one that matters, so every series is shown, free-form labels too.
            let mut named = vec!["job".to_owned(), "instance".to_owned()];
            named.extend(registry.const_labels.iter().map(|l| l.name.clone()));
            named.extend(metric.labels.iter().map(|l| l.name.clone()));
            let (what, expr, unit) = if is_timestamp(metric) {
                let since = format!("time() - {}{filter}", metric.name);
                ("(time since)", since, "s".to_owned())
            } else {
                (
                    "",
                    format!("{}{filter}", metric.name),
                    grafana_unit(unit, false),
                )
            };
            vec![timeseries(
                metric,
                what,
                &unit,
                vec![target(0, expr, legend(&named))],
            )]
        }
        MetricKind::Info => {
            let mut query = target(0, format!("{}{filter}", metric.name), String::new());
            query["format"] = json!("table");
            query["instant"] = json!(true);
            query["range"] = json!(false);
            let mut table = panel("table", metric, "", None, vec![query]);
            table["options"] = json!({ "cellHeight": "sm", "showHeader": true });
            // The labels are what an info metric says; its time and value 1 say nothing.
            table["transformations"] = json!([{
                "id": "organize",
                "options": { "excludeByName": { "Time": true, "Value": true, "__name__": true } },
            }]);
            vec![table]
        }
    }
}

/// A gauge holding a Unix time, by Prometheus' naming (`process_start_time_seconds`,
/// `..._timestamp_seconds`): shown as the time since, which a person reads at a glance.
fn is_timestamp(metric: &Metric) -> bool {
    metric.unit.as_deref() == Some("seconds")
        && (metric.name.ends_with("_timestamp_seconds")
            || metric.name.ends_with("_start_time_seconds"))
}

/// `{job=~"$job", rank=~"$rank", phase=~"$phase"}`: each of `labels` filtered by its
/// template variable.
fn filter(labels: &[String]) -> String {
    let matchers: Vec<String> = labels
        .iter()
        .map(|label| format!("{label}=~\"${label}\""))
        .collect();
    format!("{{{}}}", matchers.join(", "))
}

/// `job={{job}} rank={{rank}}`: a series named by its values of `labels`.
fn legend(labels: &[String]) -> String {
    let parts: Vec<String> = labels
        .iter()
        .map(|label| format!("{label}={{{{{label}}}}}"))
        .collect();
    parts.join(" ")
}

/// The base units (`geno_metrics_schema`'s list) with Grafana's unit for a value in them and,
/// where Grafana has one, for a per-second rate of them. Seconds per second is the fraction
/// of the time spent (`process_cpu_seconds_total`: 100 % is one core busy).
const UNITS: &[(&str, &str, Option<&str>)] = &[
    ("seconds", "s", Some("percentunit")),
    ("bytes", "bytes", Some("Bps")),
    ("ratio", "percentunit", None),
    ("celsius", "celsius", None),
    ("kelvin", "kelvin", None),
    ("volts", "volt", None),
    ("amperes", "amp", None),
    ("joules", "joule", Some("watt")),
    ("grams", "massg", None),
    ("meters", "lengthm", Some("velocityms")),
    ("metres", "lengthm", Some("velocityms")),
];

/// Grafana's unit for a value in the registry's `unit` (a gauge's value, a histogram's
/// observations and bucket bounds), or with `per_second` for a counter's rate: without a
/// unit a plain number, or events per second; a unit Grafana lacks is written after the
/// number.
fn grafana_unit(unit: Option<&str>, per_second: bool) -> String {
    let Some(unit) = unit else {
        return if per_second { "ops" } else { "short" }.to_owned();
    };
    let known = UNITS.iter().find(|(name, ..)| *name == unit);
    match (known, per_second) {
        (Some((_, value, _)), false) => (*value).to_owned(),
        (Some((_, _, Some(rate))), true) => (*rate).to_owned(),
        (_, false) => format!("suffix: {unit}"),
        (_, true) => format!("suffix: {unit}/s"),
    }
}

/// A query of a panel, the `n`th (`refId` A, B, ...), over the panel's time range.
fn target(n: u8, expr: String, legend: String) -> Value {
    json!({
        "datasource": datasource(),
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend,
        "range": true,
        "refId": char::from(b'A' + n).to_string(),
    })
}

/// A panel of `kind` on `metric`, titled with its name and `what` it shows of it; its
/// description is the summary (and why the metric is deprecated). `id` and `gridPos` come
/// when it is placed.
fn panel(
    kind: &str,
    metric: &Metric,
    what: &str,
    unit: Option<&str>,
    targets: Vec<Value>,
) -> Value {
    let mut title = metric.name.clone();
    if !what.is_empty() {
        title = format!("{title} {what}");
    }
    let mut description = metric.summary.clone();
    if let Some(why) = &metric.deprecated {
        title.push_str(" (deprecated)");
        description = format!("{description}\n\nDeprecated: {why}");
    }
    let defaults = unit.map_or_else(|| json!({}), |unit| json!({ "unit": unit }));
    json!({
        "datasource": datasource(),
        "description": description,
        "fieldConfig": { "defaults": defaults, "overrides": [] },
        "targets": targets,
        "title": title,
        "type": kind,
    })
}

/// A time series panel: every series in the legend, all of them in the tooltip.
fn timeseries(metric: &Metric, what: &str, unit: &str, targets: Vec<Value>) -> Value {
    let mut panel = panel("timeseries", metric, what, Some(unit), targets);
    panel["options"] = json!({
        "legend": { "calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": true },
        "tooltip": { "mode": "multi", "sort": "desc" },
    });
    panel
}

/// The heatmap of a histogram's bucket rates: Grafana reads the cumulative `le` buckets of a
/// query in format `heatmap` as they are (`calculate: false`); `unit` is the bounds'.
fn heatmap(metric: &Metric, unit: &str, buckets: Value) -> Value {
    let mut panel = panel("heatmap", metric, "buckets", Some(unit), vec![buckets]);
    panel["options"] = json!({
        "calculate": false,
        "cellGap": 1,
        "cellValues": { "unit": "ops" },
        "color": {
            "exponent": 0.5,
            "fill": "dark-orange",
            "mode": "scheme",
            "reverse": false,
            "scale": "exponential",
            "scheme": "Oranges",
            "steps": 64,
        },
        // Empty buckets stay blank instead of the colour of zero.
        "filterValues": { "le": 1e-9 },
        "legend": { "show": true },
        "rowsFrame": { "layout": "auto" },
        "tooltip": { "mode": "single", "yHistogram": true },
        "yAxis": { "axisPlacement": "left", "unit": unit },
    });
    panel
}

/// The template variables: the data source, then `job`, each constant label and each
/// enumerated label (by name, in the order they first come), every one multi-valued with
/// "All" selected.
fn variables(registry: &Registry) -> Vec<Value> {
    let series = series_every_process_has(registry);
    // Values from a series every process has, chained on the jobs chosen.
    let values_of = |label: &str, within: &str| match &series {
        Some(series) => format!("label_values({series}{within}, {label})"),
        None => format!("label_values({label})"),
    };
    let mut list = vec![
        json!({
            "current": {},
            "hide": 0,
            "includeAll": false,
            "label": "Data source",
            "multi": false,
            "name": "datasource",
            "options": [],
            "query": "prometheus",
            "refresh": 1,
            "regex": "",
            "type": "datasource",
        }),
        query_variable("job", &values_of("job", "")),
    ];
    for label in &registry.const_labels {
        list.push(query_variable(
            &label.name,
            &values_of(&label.name, "{job=~\"$job\"}"),
        ));
    }
    let mut named: Vec<&str> = vec!["datasource", "job"];
    named.extend(registry.const_labels.iter().map(|l| l.name.as_str()));
    for label in registry.metrics.iter().flat_map(|m| &m.labels) {
        if let LabelValues::Enumerated { values, .. } = &label.values
            && !named.contains(&label.name.as_str())
        {
            named.push(&label.name);
            list.push(custom_variable(&label.name, values));
        }
    }
    list
}

/// "All" selected.
fn all() -> Value {
    json!({ "selected": true, "text": ["All"], "value": ["$__all"] })
}

/// A variable whose values Prometheus lists (`label_values(...)`), refreshed with the time
/// range. "All" is `.*` rather than every value listed: a fleet of many ranks keeps short
/// queries, and it takes in the processes that started since the list was read.
fn query_variable(name: &str, query: &str) -> Value {
    json!({
        "allValue": ".*",
        "current": all(),
        "datasource": datasource(),
        "definition": query,
        "hide": 0,
        "includeAll": true,
        "label": name,
        "multi": true,
        "name": name,
        "options": [],
        "query": { "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery" },
        "refresh": 2,
        "regex": "",
        "sort": 1,
        "type": "query",
    })
}

/// An enumerated label's variable: its declared values, a custom list, since the registry
/// knows them (every metric declaring the label declares the same ones). It needs no query
/// and offers every value even before its series have data.
fn custom_variable(name: &str, values: &[LabelValue]) -> Value {
    // A custom variable's query separates values by commas; a comma in one is escaped.
    let query: Vec<String> = values.iter().map(|v| v.value.replace(',', "\\,")).collect();
    let mut options = vec![json!({ "selected": true, "text": "All", "value": "$__all" })];
    options.extend(
        values
            .iter()
            .map(|v| json!({ "selected": false, "text": v.value, "value": v.value })),
    );
    json!({
        "current": all(),
        "hide": 0,
        "includeAll": true,
        "label": name,
        "multi": true,
        "name": name,
        "options": options,
        "query": query.join(","),
        "type": "custom",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two subsystems interleaved, every kind, an enumerated and a free-form label, a
    /// constant label and both collectors.
    const REGISTRY: &str = r#"[registry]
namespace = "app"
version = "1.2.0"
const_labels = { rank = { env = "RANK", default = "0" } }
collectors = ["process", "build_info"]

[[metric]]
name = "app_train_steps_total"
kind = "counter"
summary = "Steps."

[[metric]]
name = "app_data_wait_seconds"
kind = "histogram"
unit = "seconds"
summary = "Wait."
labels = { phase = ["train", "eval"] }

[[metric]]
name = "app_train_loss"
kind = "gauge"
summary = "Loss."

[[metric]]
name = "app_data_read_bytes_total"
kind = "counter"
unit = "bytes"
summary = "Read."
labels = { status = ["ok", "error"], source = { max_series = 4 } }

[[metric]]
name = "app_gpu_memory_bytes"
kind = "gauge"
unit = "bytes"
summary = "Memory."
labels = { device = { max_series = 4 } }

[[metric]]
name = "app_model_info"
kind = "info"
summary = "Model."
labels = ["model"]
"#;

    fn parse(source: &str) -> Registry {
        geno_metrics_schema::parse(source, "metrics.toml").unwrap_or_else(|r| panic!("{r}"))
    }

    fn generated(source: &str) -> Value {
        let text = render(&parse(source), "metrics.toml", "cargo xtask metrics");
        serde_json::from_str(&text).unwrap()
    }

    fn panels(dashboard: &Value) -> &Vec<Value> {
        dashboard["panels"].as_array().unwrap()
    }

    /// The panel titled `title`.
    fn panel<'a>(dashboard: &'a Value, title: &str) -> &'a Value {
        panels(dashboard)
            .iter()
            .find(|p| p["title"] == title)
            .unwrap_or_else(|| panic!("no panel {title:?}"))
    }

    fn exprs(panel: &Value) -> Vec<&str> {
        panel["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["expr"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn a_row_per_subsystem_in_order_of_first_metric_then_the_collectors() {
        let dashboard = generated(REGISTRY);
        let mut rows: Vec<(String, Vec<String>)> = Vec::new();
        for p in panels(&dashboard) {
            let title = p["title"].as_str().unwrap().to_owned();
            if p["type"] == "row" {
                rows.push((title, Vec::new()));
            } else {
                rows.last_mut().unwrap().1.push(title);
            }
        }
        let titles: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            titles,
            ["train", "data", "gpu", "model", "process", "build_info"]
        );
        assert_eq!(
            rows[0].1,
            ["app_train_steps_total per second", "app_train_loss"]
        );
        assert_eq!(
            rows[1].1,
            [
                "app_data_wait_seconds p50, p90, p99",
                "app_data_wait_seconds buckets",
                "app_data_read_bytes_total per second",
            ]
        );
        assert_eq!(rows[3].1, ["app_model_info"]);
        assert_eq!(rows[4].1.len(), 8, "{:?}", rows[4].1);
        assert_eq!(rows[5].1, ["app_build_info"]);
        // Without a namespace the subsystem is the first word.
        let bare = generated(
            "[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"queue_items\"\nkind = \"gauge\"\nsummary = \"Q.\"\n",
        );
        assert_eq!(panels(&bare)[0]["title"], "queue");
    }

    #[test]
    fn panels_are_placed_two_abreast_below_their_row() {
        let dashboard = generated(REGISTRY);
        let mut bottom = 0;
        for p in panels(&dashboard) {
            let grid = &p["gridPos"];
            let (y, h) = (grid["y"].as_u64().unwrap(), grid["h"].as_u64().unwrap());
            if p["type"] == "row" {
                assert_eq!(
                    (grid["x"].as_u64(), grid["w"].as_u64()),
                    (Some(0), Some(24))
                );
                assert_eq!(y, bottom, "a row starts below everything before it");
            } else {
                assert!(y > 0 && grid["x"].as_u64().unwrap() + grid["w"].as_u64().unwrap() <= 24);
            }
            bottom = bottom.max(y + h);
        }
        let train = panels(&dashboard);
        assert_eq!(
            train[1]["gridPos"],
            json!({ "h": 8, "w": 12, "x": 0, "y": 1 })
        );
        assert_eq!(
            train[2]["gridPos"],
            json!({ "h": 8, "w": 12, "x": 12, "y": 1 })
        );
        assert_eq!(
            train[3]["gridPos"],
            json!({ "h": 1, "w": 24, "x": 0, "y": 9 })
        );
    }

    #[test]
    fn each_kind_gets_its_panels() {
        let dashboard = generated(REGISTRY);
        let counter = panel(&dashboard, "app_data_read_bytes_total per second");
        assert_eq!(counter["type"], "timeseries");
        assert_eq!(
            exprs(counter),
            [
                r#"job_rank_status:app_data_read_bytes:rate5m{job=~"$job", rank=~"$rank", status=~"$status"}"#
            ]
        );
        assert_eq!(
            counter["targets"][0]["legendFormat"],
            "job={{job}} rank={{rank}} status={{status}}"
        );

        let quantiles = panel(&dashboard, "app_data_wait_seconds p50, p90, p99");
        assert_eq!(quantiles["type"], "timeseries");
        assert_eq!(
            exprs(quantiles),
            ["p50", "p90", "p99"].map(|q| format!(
                r#"job_rank_phase:app_data_wait_seconds:{q}_rate5m{{job=~"$job", rank=~"$rank", phase=~"$phase"}}"#
            ))
        );
        let refs: Vec<&Value> = quantiles["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["refId"])
            .collect();
        assert_eq!(refs, ["A", "B", "C"]);

        let heatmap = panel(&dashboard, "app_data_wait_seconds buckets");
        assert_eq!(heatmap["type"], "heatmap");
        assert_eq!(heatmap["options"]["calculate"], false);
        let buckets = &heatmap["targets"][0];
        assert_eq!(buckets["format"], "heatmap");
        assert_eq!(buckets["legendFormat"], "{{le}}");
        assert_eq!(
            buckets["expr"],
            r#"sum by (le) (job_rank_phase:app_data_wait_seconds_bucket:rate5m{job=~"$job", rank=~"$rank", phase=~"$phase"})"#
        );

        // A gauge as it is, each series named by every label, free-form ones too.
        let gauge = panel(&dashboard, "app_gpu_memory_bytes");
        assert_eq!(
            exprs(gauge),
            [r#"app_gpu_memory_bytes{job=~"$job", rank=~"$rank"}"#]
        );
        assert_eq!(
            gauge["targets"][0]["legendFormat"],
            "job={{job}} instance={{instance}} rank={{rank}} device={{device}}"
        );
        // A Unix time as the time since.
        let started = panel(&dashboard, "process_start_time_seconds (time since)");
        assert_eq!(
            exprs(started),
            [r#"time() - process_start_time_seconds{job=~"$job", rank=~"$rank"}"#]
        );
        assert_eq!(started["fieldConfig"]["defaults"]["unit"], "s");

        let info = panel(&dashboard, "app_model_info");
        assert_eq!(info["type"], "table");
        let query = &info["targets"][0];
        assert_eq!(
            (&query["format"], &query["instant"], &query["range"]),
            (&json!("table"), &json!(true), &json!(false))
        );
        assert_eq!(
            exprs(info),
            [r#"app_model_info{job=~"$job", rank=~"$rank"}"#]
        );
        assert_eq!(
            info["transformations"][0]["options"]["excludeByName"]["Value"],
            true
        );
    }

    #[test]
    fn units_follow_the_declared_unit() {
        let dashboard = generated(REGISTRY);
        let unit =
            |title: &str| panel(&dashboard, title)["fieldConfig"]["defaults"]["unit"].clone();
        assert_eq!(unit("app_train_steps_total per second"), "ops");
        assert_eq!(unit("app_data_read_bytes_total per second"), "Bps");
        assert_eq!(unit("process_cpu_seconds_total per second"), "percentunit");
        assert_eq!(unit("app_data_wait_seconds p50, p90, p99"), "s");
        assert_eq!(unit("app_data_wait_seconds buckets"), "s");
        assert_eq!(
            panel(&dashboard, "app_data_wait_seconds buckets")["options"]["yAxis"]["unit"],
            "s"
        );
        assert_eq!(unit("app_gpu_memory_bytes"), "bytes");
        assert_eq!(unit("app_train_loss"), "short");
        assert_eq!(unit("app_model_info"), Value::Null);
        for (declared, value, rate) in [
            ("ratio", "percentunit", "suffix: ratio/s"),
            ("celsius", "celsius", "suffix: celsius/s"),
            ("joules", "joule", "watt"),
            ("meters", "lengthm", "velocityms"),
            ("volts", "volt", "suffix: volts/s"),
            ("steps", "suffix: steps", "suffix: steps/s"),
        ] {
            assert_eq!(grafana_unit(Some(declared), false), value);
            assert_eq!(grafana_unit(Some(declared), true), rate);
        }
    }

    #[test]
    fn summaries_describe_the_panels_and_deprecation_shows() {
        let deprecated = REGISTRY.replace(
            "summary = \"Loss.\"",
            "summary = \"Loss.\"\ndeprecated = \"use app_train_loss_value\"",
        );
        let dashboard = generated(&deprecated);
        assert_eq!(
            panel(&dashboard, "app_train_steps_total per second")["description"],
            "Steps."
        );
        let loss = panel(&dashboard, "app_train_loss (deprecated)");
        assert_eq!(
            loss["description"],
            "Loss.\n\nDeprecated: use app_train_loss_value"
        );
        let said = dashboard["description"].as_str().unwrap();
        assert!(said.starts_with("Generated from metrics.toml (registry version 1.2.0) by `cargo xtask metrics dashboard`. Do not edit"), "{said}");
        assert_eq!(dashboard["uid"], "app-metrics");
        assert_eq!(dashboard["title"], "app metrics");
        assert_eq!(uid(Some(&"x".repeat(60))).len(), 40);
    }

    #[test]
    fn template_variables_for_job_constant_and_enumerated_labels() {
        let dashboard = generated(REGISTRY);
        let list = dashboard["templating"]["list"].as_array().unwrap();
        let names: Vec<&str> = list.iter().map(|v| v["name"].as_str().unwrap()).collect();
        // Free-form labels (source, device) have none: their values are not known ahead.
        assert_eq!(names, ["datasource", "job", "rank", "phase", "status"]);
        assert_eq!(list[0]["type"], "datasource");
        assert_eq!(list[0]["query"], "prometheus");
        assert_eq!(
            list[1]["query"]["query"],
            "label_values(app_build_info, job)"
        );
        assert_eq!(
            list[2]["query"]["query"],
            r#"label_values(app_build_info{job=~"$job"}, rank)"#
        );
        assert_eq!(list[2]["definition"], list[2]["query"]["query"]);
        assert_eq!(list[3]["type"], "custom");
        assert_eq!(list[3]["query"], "train,eval");
        for variable in &list[1..] {
            assert_eq!(
                (&variable["multi"], &variable["includeAll"]),
                (&json!(true), &json!(true))
            );
            assert_eq!(variable["current"]["value"], json!(["$__all"]));
        }
        // Without build_info, the first metric every process exposes; a comma is escaped.
        let bare = generated(
            "[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"wait_seconds\"\nkind = \"histogram\"\nsummary = \"W.\"\nlabels = { kind = [\"a,b\", \"c\"] }\n",
        );
        let list = bare["templating"]["list"].as_array().unwrap();
        assert_eq!(
            list[1]["query"]["query"],
            "label_values(wait_seconds_count, job)"
        );
        assert_eq!(list[2]["query"], "a\\,b,c");
        assert_eq!(list[2]["options"][1]["value"], "a,b");
    }

    #[test]
    fn every_query_filters_each_label_its_series_keep_by_its_variable() {
        let dashboard = generated(REGISTRY);
        let variables: Vec<&str> = dashboard["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        for p in panels(&dashboard).iter().filter(|p| p["type"] != "row") {
            assert_eq!(
                p["datasource"],
                json!({ "type": "prometheus", "uid": "${datasource}" })
            );
            for expr in exprs(p) {
                for matcher in expr
                    .split('{')
                    .skip(1)
                    .flat_map(|m| m.split('}').next().unwrap().split(", "))
                {
                    let (label, value) = matcher.split_once("=~").unwrap();
                    assert_eq!(value, format!("\"${label}\""), "{expr}");
                    assert!(variables.contains(&label), "{expr}: no variable {label}");
                }
            }
        }
    }

    #[test]
    fn the_same_registry_gives_the_same_bytes_and_additions_keep_earlier_ids() {
        let registry = parse(REGISTRY);
        let once = render(&registry, "metrics.toml", "cargo xtask metrics");
        assert_eq!(
            once,
            render(&registry, "metrics.toml", "cargo xtask metrics")
        );
        assert!(once.ends_with("}\n") && !once.ends_with("\n\n"));
        let before = generated(REGISTRY);
        let ids: Vec<u64> = panels(&before)
            .iter()
            .map(|p| p["id"].as_u64().unwrap())
            .collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "ids repeat: {ids:?}");
        // A metric of an existing subsystem added after the declared ones: every panel that
        // was there keeps its id, except the collectors', which come after it.
        let after = generated(&format!(
            "{REGISTRY}\n[[metric]]\nname = \"app_train_epoch\"\nkind = \"gauge\"\nsummary = \"E.\"\n"
        ));
        let id_of = |d: &Value, title: &str| panel(d, title)["id"].clone();
        for p in panels(&before) {
            let title = p["title"].as_str().unwrap();
            if p["type"] == "row" || title.starts_with("process_") || title == "app_build_info" {
                continue;
            }
            assert_eq!(id_of(&before, title), id_of(&after, title), "{title}");
        }
        assert!(
            id_of(&after, "app_train_epoch").as_u64() > id_of(&after, "app_model_info").as_u64()
        );
    }

    #[test]
    fn panels_query_only_recording_rules_the_rule_file_has() {
        for source in [
            REGISTRY,
            &REGISTRY.replace("const_labels", "# const_labels"),
        ] {
            let registry = parse(source);
            let rules = crate::rules::render(&registry, "metrics.toml", "cargo xtask metrics");
            let records: Vec<String> = rules
                .lines()
                .filter_map(|l| l.trim().strip_prefix("- record: "))
                .map(|quoted| serde_json::from_str(quoted).unwrap())
                .collect();
            let text = render(&registry, "metrics.toml", "cargo xtask metrics");
            let dashboard: Value = serde_json::from_str(&text).unwrap();
            let mut queried = Vec::new();
            for p in panels(&dashboard) {
                for expr in p["targets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| t["expr"].as_str().unwrap())
                {
                    queried.extend(selected_names(expr));
                }
            }
            for name in &queried {
                if name.contains(':') {
                    assert!(
                        records.contains(name),
                        "{name} is not recorded by:\n{rules}"
                    );
                } else {
                    assert!(
                        registry.metrics.iter().any(|m| m.name == *name),
                        "{name} is not a metric"
                    );
                }
            }
            // Every counter and histogram is shown from its rules, and everything is shown.
            let recorded = queried.iter().filter(|n| n.contains(':')).count();
            assert_eq!(recorded, 1 + 1 + 4 + 1, "{queried:?}");
            assert_eq!(queried.len(), recorded + 1 + 1 + 1 + 7 + 1);
        }
    }

    /// The metric names `expr` selects: each name followed by `{`.
    fn selected_names(expr: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut word = String::new();
        for c in expr.chars() {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                word.push(c);
                continue;
            }
            if c == '{' && !word.is_empty() {
                names.push(word.clone());
            }
            word.clear();
        }
        names
    }
}
