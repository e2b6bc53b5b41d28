//! The generated rule file (`metrics.rules.yml`, kept fresh by `cargo xtask metrics rules
//! --check` in CI) against Prometheus' own checker: `promtool check rules` loads every
//! recording rule and alert without a remark, and every counter and histogram of the registry
//! has its recording rules.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use geno_metrics::MetricKind;
use geno_metrics_tests::genolewm::METRICS;
use geno_metrics_tests::tools::promtool_check_rules;

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.rules.yml");

#[test]
fn promtool_loads_the_generated_rule_file_without_a_remark() {
    if let Some(remarks) = promtool_check_rules(std::path::Path::new(RULES)) {
        panic!("promtool check rules {RULES}:\n{remarks}");
    }
}

#[test]
fn every_counter_and_histogram_has_its_recording_rules() {
    let rules = std::fs::read_to_string(RULES).unwrap();
    for spec in METRICS.specs() {
        let wanted: Vec<String> = match spec.kind {
            MetricKind::Counter => {
                let stem = spec.name.strip_suffix("_total").unwrap_or(spec.name);
                vec![format!(":{stem}:rate5m\"")]
            }
            MetricKind::Histogram => [
                "_bucket:rate5m",
                ":p50_rate5m",
                ":p90_rate5m",
                ":p99_rate5m",
            ]
            .iter()
            .map(|op| format!(":{}{op}\"", spec.name))
            .collect(),
            _ => Vec::new(),
        };
        for record in wanted {
            assert!(
                rules.contains(&record),
                "no recording rule ending in {record} for {}",
                spec.name
            );
        }
    }
}

/// `promtool test rules`: series shaped like node_exporter's (`node_textfile_mtime_seconds`
/// per file) and like the job's, and each alert firing exactly when it must (the textfile
/// scrape error is node_exporter's own 0/1 gauge compared with 0).
#[test]
fn the_alerts_fire_when_they_must_and_stay_silent_otherwise() {
    let dir = geno_metrics_tests::fresh_dir(env!("CARGO_TARGET_TMPDIR"), "rules", "alerts");
    let file = "/var/lib/prometheus/node-exporter/metrics.rank=0.prom";
    let tests = format!(
        r#"rule_files: ["{RULES}"]
evaluation_interval: 1m
tests:
  # A textfile whose process stopped writing it at time 0, and one kept fresh.
  - interval: 1m
    input_series:
      - series: 'node_textfile_mtime_seconds{{file="{file}",instance="host:9100",job="node"}}'
        values: '0x30'
      - series: 'node_textfile_mtime_seconds{{file="/x/metrics.rank=1.prom",instance="host:9100",job="node"}}'
        values: '0+60x30'
    alert_rule_test:
      - eval_time: 12m
        alertname: MetricsTextfileStale
        exp_alerts: []
      - eval_time: 20m
        alertname: MetricsTextfileStale
        exp_alerts:
          - exp_labels:
              severity: warning
              file: "{file}"
              instance: host:9100
              job: node
            exp_annotations:
              summary: A metrics textfile stopped updating
              description: "{file} on host:9100 was last written 20m 0s ago (more than 10m): the geno_lewm process that exports it is stuck or gone (its periodic exporter writes it every few seconds). Check the process; if it ended on purpose, remove the file so node_exporter stops serving its last values."
  # Two ranks, then rank 1 stops reporting at 10m.
  - interval: 1m
    input_series:
      - series: 'geno_lewm_build_info{{job="geno",rank="0"}}'
        values: '1x40'
      - series: 'geno_lewm_build_info{{job="geno",rank="1"}}'
        values: '1x10'
    alert_rule_test:
      - eval_time: 9m
        alertname: MetricsProcessMissing
        exp_alerts: []
      - eval_time: 22m
        alertname: MetricsProcessMissing
        exp_alerts:
          - exp_labels:
              severity: warning
              job: geno
            exp_annotations:
              summary: A rank stopped reporting
              description: "Job geno reports fewer distinct `rank` values than 15m ago: a process of the fleet died or hangs. Find the missing `rank` by comparing count by (rank) (geno_lewm_build_info) now and 15m ago."
  # Values spilling into a free-form label's overflow series from 5m on.
  - interval: 1m
    input_series:
      - series: 'geno_metrics_dropped_label_values_total{{job="geno",rank="0",metric="geno_lewm_inference_requests_total",label="model"}}'
        values: '0x5 1+1x20'
    alert_rule_test:
      - eval_time: 4m
        alertname: MetricsLabelOverflow
        exp_alerts: []
      - eval_time: 10m
        alertname: MetricsLabelOverflow
        exp_alerts:
          - exp_labels:
              severity: info
              job: geno
              rank: "0"
              metric: geno_lewm_inference_requests_total
              label: model
            exp_annotations:
              summary: A free-form label has more values than its max_series
              description: "Label model of geno_lewm_inference_requests_total got values past its max_series in the last 15m; they are counted in the __overflow__ series. Raise max_series in metrics.toml if the values are legitimate, or find what sends unexpected ones."
  # A process restarting three times in half an hour; one whose memory grows by 2 MiB/s.
  - interval: 1m
    input_series:
      - series: 'process_start_time_seconds{{job="geno",instance="h:1",rank="0"}}'
        values: '100x10 700x10 1300x10 1900x10'
      - series: 'process_resident_memory_bytes{{job="geno",instance="h:1",rank="0"}}'
        values: '0+125829120x120'
    alert_rule_test:
      - eval_time: 15m
        alertname: MetricsProcessRestarting
        exp_alerts: []
      - eval_time: 35m
        alertname: MetricsProcessRestarting
        exp_alerts:
          - exp_labels:
              severity: warning
              job: geno
              instance: "h:1"
              rank: "0"
            exp_annotations:
              summary: A process restarted more than 2 times in 1h
              description: "geno on h:1 restarted 3 times in the last 1h: it is crash-looping. Its logs say why."
      - eval_time: 20m
        alertname: MetricsProcessMemoryGrowing
        exp_alerts: []
      - eval_time: 70m
        alertname: MetricsProcessMemoryGrowing
        exp_alerts:
          - exp_labels:
              severity: warning
              job: geno
              instance: "h:1"
              rank: "0"
            exp_annotations:
              summary: "A process' memory grows by more than 1 MiB/s"
              description: "Resident memory of geno on h:1 has grown steadily for 30m (2MiB/s over 30m): at this rate it runs out of memory. Look for a leak or an unbounded cache before the OOM killer does."
"#
    );
    let path = dir.join("alerts.test.yml");
    std::fs::write(&path, tests).unwrap();
    let out = std::process::Command::new(geno_metrics_tests::tools::tool("promtool"))
        .args(["test", "rules"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
