//! `rules`: a Prometheus rule file generated from the registry (`metrics.rules.yml` beside
//! it, or `--output`), recording rules a dashboard needs and the alerts every registry wants;
//! `--check` fails when the committed file is stale.
//!
//! Recording rules follow Prometheus' `level:metric:operations` naming
//! (<https://prometheus.io/docs/practices/rules/>): the level is the labels kept, `job` and
//! then the constant and enumerated labels; the metric is the name without `_total`; the
//! operations say what was done (`rate5m`, `p99_rate5m`). Free-form labels are summed away:
//! their values are not known ahead, and a dashboard shows them from the raw series.

use geno_metrics_schema::{
    AlertSettings, Collector, DROPPED_LABEL_VALUES_METRIC, LabelValues, Metric, MetricKind,
    Registry, duration_millis,
};

/// The range every rate is taken over: four scrapes at Prometheus' default 1 m interval, as
/// `rate()` needs at least two samples and tolerates a missed one.
pub(crate) const RATE_RANGE: &str = "5m";

/// The quantiles recorded for every histogram: the name in the record, the quantile.
pub(crate) const QUANTILES: [(&str, &str); 3] = [("p50", "0.5"), ("p90", "0.9"), ("p99", "0.99")];

/// A YAML double-quoted scalar: JSON's string syntax is a subset of YAML's.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The labels a metric's recording rules keep: `job`, the constant labels, the metric's
/// enumerated labels.
pub(crate) fn kept_labels(registry: &Registry, metric: &Metric) -> Vec<String> {
    let mut labels = vec!["job".to_owned()];
    labels.extend(registry.const_labels.iter().map(|l| l.name.clone()));
    labels.extend(
        metric
            .labels
            .iter()
            .filter(|l| matches!(l.values, LabelValues::Enumerated { .. }))
            .map(|l| l.name.clone()),
    );
    labels
}

/// The level of a metric's recording rules: its kept labels joined by `_` (`job_rank_phase`).
fn level(registry: &Registry, metric: &Metric) -> String {
    kept_labels(registry, metric).join("_")
}

/// The recording rule of a counter's rate: `job_rank:app_requests:rate5m`.
pub(crate) fn rate_record(registry: &Registry, counter: &Metric) -> String {
    let stem = counter.name.strip_suffix("_total").unwrap_or(&counter.name);
    format!("{}:{stem}:rate{RATE_RANGE}", level(registry, counter))
}

/// The recording rule of a histogram's bucket rates: `job_rank:app_latency_seconds_bucket:rate5m`.
pub(crate) fn bucket_rate_record(registry: &Registry, histogram: &Metric) -> String {
    format!(
        "{}:{}_bucket:rate{RATE_RANGE}",
        level(registry, histogram),
        histogram.name
    )
}

/// The recording rule of a histogram's quantile named `quantile` in [`QUANTILES`]:
/// `job_rank:app_latency_seconds:p99_rate5m`.
pub(crate) fn quantile_record(registry: &Registry, histogram: &Metric, quantile: &str) -> String {
    format!(
        "{}:{}:{quantile}_rate{RATE_RANGE}",
        level(registry, histogram),
        histogram.name
    )
}

/// One recording rule.
struct Recording {
    record: String,
    expr: String,
}

/// One alerting rule; its name, `for` and severity come from the registry's
/// [`AlertSettings`].
struct Alert<'r> {
    settings: &'r AlertSettings,
    expr: String,
    summary: String,
    description: String,
}

fn recording_rules(registry: &Registry) -> Vec<Recording> {
    let mut rules = Vec::new();
    for metric in &registry.metrics {
        let by = kept_labels(registry, metric).join(", ");
        match metric.kind {
            MetricKind::Counter => {
                rules.push(Recording {
                    record: rate_record(registry, metric),
                    expr: format!("sum by ({by}) (rate({}[{RATE_RANGE}]))", metric.name),
                });
            }
            MetricKind::Histogram => {
                let buckets = bucket_rate_record(registry, metric);
                rules.push(Recording {
                    record: buckets.clone(),
                    expr: format!(
                        "sum by ({by}, le) (rate({}_bucket[{RATE_RANGE}]))",
                        metric.name
                    ),
                });
                for (name, q) in QUANTILES {
                    rules.push(Recording {
                        record: quantile_record(registry, metric, name),
                        expr: format!("histogram_quantile({q}, {buckets})"),
                    });
                }
            }
            // A gauge's or an info metric's value is what a panel shows, as it is.
            MetricKind::Gauge | MetricKind::Info => {}
        }
    }
    rules
}

/// See [`Registry::series_every_process_has`]: the missing-process alert counts it; the
/// dashboard lists jobs and constant label values from it.
pub(crate) fn series_every_process_has(registry: &Registry) -> Option<String> {
    registry.series_every_process_has()
}

/// The alerts the registry generates, each as its settings say (left out when disabled).
fn alerts(registry: &Registry) -> Vec<Alert<'_>> {
    let ns = registry.namespace.as_deref().unwrap_or("metrics");
    let setting = |key: &str| {
        registry
            .alert(key)
            .unwrap_or_else(|| panic!("the schema resolves every alert, `{key}` included"))
    };
    let mut alerts = Vec::new();
    let stale = setting("textfile_stale");
    let after = stale.threshold("after");
    // The schema accepted `after` as a duration; PromQL compares seconds.
    let after_seconds = duration_millis(after).map_or(0.0, |ms| ms as f64 / 1000.0);
    alerts.push(Alert {
        settings: stale,
        // node_exporter's textfile collector: one series per file, `file` its name.
        expr: format!(
            "time() - node_textfile_mtime_seconds{{file=~\"(.*/)?metrics([.][^/]*)?[.]prom\"}} > {after_seconds}"
        ),
        summary: "A metrics textfile stopped updating".to_owned(),
        description: format!(
            "{{{{ $labels.file }}}} on {{{{ $labels.instance }}}} was last written {{{{ $value | humanizeDuration }}}} ago (more than {after}): the {ns} process that exports it is stuck or gone (its periodic exporter writes it every few seconds). Check the process; if it ended on purpose, remove the file so node_exporter stops serving its last values."
        ),
    });
    alerts.push(Alert {
        settings: setting("textfile_scrape_error"),
        expr: "node_textfile_scrape_error > 0".to_owned(),
        summary: "node_exporter cannot read a textfile".to_owned(),
        description: "node_exporter on {{ $labels.instance }} failed to read or parse a file of its textfile directory: its metrics are missing from every scrape. Its log names the file; `promtool check metrics` on it says what is wrong.".to_owned(),
    });
    if registry.metrics.iter().any(|m| {
        m.labels
            .iter()
            .any(|l| matches!(l.values, LabelValues::FreeForm { .. }))
    }) {
        let overflow = setting("label_overflow");
        let window = overflow.threshold("window");
        alerts.push(Alert {
            settings: overflow,
            expr: format!("increase({DROPPED_LABEL_VALUES_METRIC}[{window}]) > 0"),
            summary: "A free-form label has more values than its max_series".to_owned(),
            description: format!("Label {{{{ $labels.label }}}} of {{{{ $labels.metric }}}} got values past its max_series in the last {window}; they are counted in the __overflow__ series. Raise max_series in metrics.toml if the values are legitimate, or find what sends unexpected ones."),
        });
    }
    if let Some(rank) = registry.const_labels.first() {
        let present = series_every_process_has(registry);
        if let Some(series) = present {
            let label = &rank.name;
            let missing = setting("process_missing");
            let lookback = missing.threshold("lookback");
            alerts.push(Alert {
                settings: missing,
                expr: format!(
                    "count by (job) (count by (job, {label}) ({series})) < count by (job) (count by (job, {label}) ({series} offset {lookback}))"
                ),
                summary: format!("A {label} stopped reporting"),
                description: format!(
                    "Job {{{{ $labels.job }}}} reports fewer distinct `{label}` values than {lookback} ago: a process of the fleet died or hangs. Find the missing `{label}` by comparing count by ({label}) ({series}) now and {lookback} ago."
                ),
            });
        }
    }
    if registry.collectors.contains(&Collector::Process) {
        let restarting = setting("process_restarting");
        let (restarts, window) = (
            restarting.threshold("restarts"),
            restarting.threshold("window"),
        );
        alerts.push(Alert {
            settings: restarting,
            expr: format!("changes(process_start_time_seconds[{window}]) > {restarts}"),
            summary: format!("A process restarted more than {restarts} times in {window}"),
            description: format!("{{{{ $labels.job }}}} on {{{{ $labels.instance }}}} restarted {{{{ $value }}}} times in the last {window}: it is crash-looping. Its logs say why."),
        });
        let growing = setting("process_memory_growing");
        let (rate, window) = (
            growing.threshold("bytes_per_second"),
            growing.threshold("window"),
        );
        alerts.push(Alert {
            settings: growing,
            expr: format!("deriv(process_resident_memory_bytes[{window}]) > {rate}"),
            summary: format!(
                "A process' memory grows by more than {}/s",
                bytes_in_words(rate)
            ),
            description: format!("Resident memory of {{{{ $labels.job }}}} on {{{{ $labels.instance }}}} has grown steadily for {} ({{{{ $value | humanize1024 }}}}B/s over {window}): at this rate it runs out of memory. Look for a leak or an unbounded cache before the OOM killer does.", growing.for_duration),
        });
    }
    alerts.retain(|a| a.settings.enabled);
    alerts
}

/// A byte count as people say it: `1 MiB` for 1048576, `512 KiB`, `1000 bytes`.
fn bytes_in_words(bytes: &str) -> String {
    match bytes.parse::<u64>() {
        Ok(n) if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        Ok(n) if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        _ => format!("{bytes} bytes"),
    }
}

/// The rule file, YAML.
pub(crate) fn render(registry: &Registry, source: &str, command: &str) -> String {
    let ns = registry.namespace.as_deref().unwrap_or("metrics");
    // A comment ends at a line break: a path holding one must not end it early.
    let source = source.replace(['\n', '\r'], " ");
    let mut out = format!(
        "# Generated from {source} (registry version {}) by `{command} rules`. Do not edit:\n# change the registry and run the command again; `{command} rules --check` fails when\n# this file is stale.\ngroups:\n",
        registry.version
    );
    out.push_str(&format!(
        "  - name: {}\n    rules:\n",
        quoted(&format!("{ns}.recording"))
    ));
    for rule in recording_rules(registry) {
        out.push_str(&format!(
            "      - record: {}\n        expr: {}\n",
            quoted(&rule.record),
            quoted(&rule.expr)
        ));
    }
    out.push_str(&format!(
        "  - name: {}\n    rules:\n",
        quoted(&format!("{ns}.alerts"))
    ));
    for alert in alerts(registry) {
        out.push_str(&format!(
            "      - alert: {}\n        expr: {}\n        for: {}\n        labels:\n          severity: {}\n        annotations:\n          summary: {}\n          description: {}\n",
            alert.settings.name,
            quoted(&alert.expr),
            alert.settings.for_duration,
            quoted(&alert.settings.severity),
            quoted(&alert.summary),
            quoted(&alert.description)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> Registry {
        geno_metrics_schema::parse(source, "metrics.toml").unwrap_or_else(|r| panic!("{r}"))
    }

    #[test]
    fn counters_and_histograms_get_recording_rules_by_job_constant_and_enumerated_labels() {
        let registry = parse(
            "[registry]\nnamespace = \"app\"\nversion = \"1.0.0\"\nconst_labels = { rank = { env = \"RANK\", default = \"0\" } }\n\n[[metric]]\nname = \"app_requests_total\"\nkind = \"counter\"\nsummary = \"R.\"\nlabels = { status = [\"ok\", \"error\"], model = { max_series = 4 } }\n\n[[metric]]\nname = \"app_latency_seconds\"\nkind = \"histogram\"\nunit = \"seconds\"\nsummary = \"L.\"\n\n[[metric]]\nname = \"app_queue_items\"\nkind = \"gauge\"\nsummary = \"Q.\"\n",
        );
        let rules = recording_rules(&registry);
        let records: Vec<(&str, &str)> = rules
            .iter()
            .map(|r| (r.record.as_str(), r.expr.as_str()))
            .collect();
        assert_eq!(
            records,
            [
                (
                    "job_rank_status:app_requests:rate5m",
                    "sum by (job, rank, status) (rate(app_requests_total[5m]))"
                ),
                (
                    "job_rank:app_latency_seconds_bucket:rate5m",
                    "sum by (job, rank, le) (rate(app_latency_seconds_bucket[5m]))"
                ),
                (
                    "job_rank:app_latency_seconds:p50_rate5m",
                    "histogram_quantile(0.5, job_rank:app_latency_seconds_bucket:rate5m)"
                ),
                (
                    "job_rank:app_latency_seconds:p90_rate5m",
                    "histogram_quantile(0.9, job_rank:app_latency_seconds_bucket:rate5m)"
                ),
                (
                    "job_rank:app_latency_seconds:p99_rate5m",
                    "histogram_quantile(0.99, job_rank:app_latency_seconds_bucket:rate5m)"
                ),
            ]
        );
        let names: Vec<&str> = alerts(&registry).iter().map(|a| a.settings.name).collect();
        assert_eq!(
            names,
            [
                "MetricsTextfileStale",
                "MetricsTextfileScrapeError",
                "MetricsLabelOverflow",
                "MetricsProcessMissing"
            ]
        );
    }

    #[test]
    fn alerts_follow_what_the_registry_has() {
        let bare = parse(
            "[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"J.\"\n",
        );
        let names: Vec<&str> = alerts(&bare).iter().map(|a| a.settings.name).collect();
        assert_eq!(
            names,
            ["MetricsTextfileStale", "MetricsTextfileScrapeError"]
        );
        let collected = parse(
            "[registry]\nversion = \"1.0.0\"\nconst_labels = { rank = { env = \"RANK\" } }\ncollectors = [\"process\", \"build_info\"]\n",
        );
        let alerts = alerts(&collected);
        let missing = alerts
            .iter()
            .find(|a| a.settings.name == "MetricsProcessMissing")
            .unwrap();
        // build_info is the metric every process has.
        assert!(
            missing.expr.contains("count by (job, rank) (build_info)"),
            "{}",
            missing.expr
        );
        assert!(
            alerts
                .iter()
                .any(|a| a.settings.name == "MetricsProcessMemoryGrowing")
        );
    }

    #[test]
    fn alerts_take_the_registrys_thresholds_durations_and_severities() {
        let registry = parse(
            "[registry]\nversion = \"1.0.0\"\nconst_labels = { rank = { env = \"RANK\" } }\ncollectors = [\"process\", \"build_info\"]\n\n[registry.alerts]\ntextfile_stale = { after = \"90s\", for = \"1m\" }\nprocess_missing = { lookback = \"1h\", severity = \"critical\" }\nprocess_restarting = { enabled = false }\nprocess_memory_growing = { bytes_per_second = 2048, window = \"2h\", for = \"1h\" }\n",
        );
        let alerts = alerts(&registry);
        let find = |name: &str| alerts.iter().find(|a| a.settings.name == name);
        let stale = find("MetricsTextfileStale").unwrap();
        assert!(stale.expr.ends_with("> 90"), "{}", stale.expr);
        assert_eq!(stale.settings.for_duration, "1m");
        assert!(stale.description.contains("more than 90s"));
        let missing = find("MetricsProcessMissing").unwrap();
        assert!(missing.expr.ends_with("offset 1h))"), "{}", missing.expr);
        assert_eq!(missing.settings.severity, "critical");
        assert!(find("MetricsProcessRestarting").is_none(), "disabled");
        let growing = find("MetricsProcessMemoryGrowing").unwrap();
        assert_eq!(
            growing.expr,
            "deriv(process_resident_memory_bytes[2h]) > 2048"
        );
        assert!(growing.description.contains("for 1h"));
        let text = render(&registry, "metrics.toml", "cargo geno-metrics");
        assert!(
            text.contains("        for: 1m\n        labels:\n          severity: \"warning\"\n")
        );
        assert!(!text.contains("MetricsProcessRestarting"));
    }

    #[test]
    fn byte_rates_read_as_people_say_them() {
        assert_eq!(bytes_in_words("1048576"), "1 MiB");
        assert_eq!(bytes_in_words("3145728"), "3 MiB");
        assert_eq!(bytes_in_words("524288"), "512 KiB");
        assert_eq!(bytes_in_words("1000"), "1000 bytes");
        assert_eq!(bytes_in_words("1572864.5"), "1572864.5 bytes");
    }

    #[test]
    fn the_series_every_process_has_exists_before_anything_is_recorded() {
        let registry = parse(
            "[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"model_info\"\nkind = \"info\"\nsummary = \"M.\"\nlabels = [\"model\"]\n[[metric]]\nname = \"gpu_bytes\"\nkind = \"gauge\"\nunit = \"bytes\"\nsummary = \"G.\"\nlabels = { device = { max_series = 4 } }\n[[metric]]\nname = \"latency_seconds\"\nkind = \"histogram\"\nunit = \"seconds\"\nsummary = \"L.\"\n",
        );
        assert_eq!(
            series_every_process_has(&registry).as_deref(),
            Some("latency_seconds_count")
        );
        let bare = parse("[registry]\nversion = \"1.0.0\"\n");
        assert_eq!(series_every_process_has(&bare), None);
    }

    #[test]
    fn strings_are_quoted_as_yaml_reads_them() {
        let registry = parse("[registry]\nversion = \"1.0.0\"\n");
        let text = render(&registry, "dir \"x\"/metrics.toml", "cargo geno-metrics");
        assert!(text.contains(
            "expr: \"time() - node_textfile_mtime_seconds{file=~\\\"(.*/)?metrics([.][^/]*)?[.]prom\\\"} > 600\""
        ));
        assert!(text.starts_with("# Generated from dir \"x\"/metrics.toml"));
    }
}
