//! The generated rules and dashboard at work in the real tools: a Prometheus loads
//! `metrics.rules.yml`, scrapes the example job both ways (its textfile through node_exporter,
//! and `/metrics` directly), every recording rule returns data for both, and every panel query
//! of `metrics.dashboard.json` (with All selected) returns a number: no blank panel. A
//! textfile that stops updating
//! fires `MetricsTextfileStale`, which Prometheus delivers to an Alertmanager, while a file
//! kept fresh never does.
//!
//! The example job is the built example: `cargo test` builds it before any test runs; alone,
//! build it first with `cargo build -p geno-metrics-tests --examples`.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use geno_metrics_tests::genolewm::METRICS;
use geno_metrics_tests::servers::{
    ScrapeJob, encode_query, http_get, start_alertmanager, start_node_exporter,
    start_prometheus_with_rules,
};
use geno_metrics_tests::tools::example;
use geno_metrics_tests::{fresh_dir, grafana};

const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.toml");
const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.rules.yml");
const DASHBOARD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../metrics.dashboard.json");

/// The names every recording rule of a rule file records, in file order.
fn recorded_names(rules: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(rules).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    docs[0]["groups"]
        .as_vec()
        .unwrap()
        .iter()
        .flat_map(|group| group["rules"].as_vec().unwrap())
        .filter_map(|rule| rule["record"].as_str().map(str::to_owned))
        .collect()
}

/// The example job, killed when dropped (also when the test fails).
struct Job(Child);

impl Drop for Job {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the example job for as long as the test needs it, exporting its textfile into
/// `textfiles` every half second and serving `/metrics` on a free port; returns it and that
/// port.
fn start_example_job(textfiles: &Path) -> (Job, u16) {
    let mut child = Command::new(example("training_job"))
        .args(["--steps", "100000000", "--listen", "127.0.0.1:0"])
        .env_remove("RANK")
        .env("GENO_LEWM_LOG_DIR", textfiles)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let job = Job(child);
    let serving = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("serving http://").map(str::to_owned))
        .unwrap_or_else(|| panic!("the example job never said where it serves"));
    let port = serving
        .strip_suffix("/metrics")
        .and_then(|addr| addr.rsplit_once(':'))
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or_else(|| panic!("cannot read a port in {serving}"));
    (job, port)
}

/// The series `query` returns on the Prometheus at `port` now; `None` when it does not
/// answer.
fn instant(port: u16, query: &str) -> Option<Vec<serde_json::Value>> {
    let body = http_get(
        port,
        &format!("/api/v1/query?query={}", encode_query(query)),
    )?;
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    json["data"]["result"].as_array().cloned()
}

/// The `job` labels of the series `query` returns; `None` when Prometheus does not answer.
fn jobs_of(port: u16, query: &str) -> Option<BTreeSet<String>> {
    Some(
        instant(port, query)?
            .iter()
            .filter_map(|series| series["metric"]["job"].as_str().map(str::to_owned))
            .collect(),
    )
}

/// Whether `query` returns at least one series whose value is a number (a panel draws
/// nothing for NaN, which a quantile of no observations is).
fn draws_something(port: u16, query: &str) -> bool {
    instant(port, query).is_some_and(|series| {
        series.iter().any(|s| {
            s["value"][1]
                .as_str()
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|v| !v.is_nan())
        })
    })
}

#[test]
fn prometheus_records_every_rule_and_fills_every_panel_from_both_collection_paths() {
    let dir = fresh_dir(env!("CARGO_TARGET_TMPDIR"), "operations", "recording");
    let textfiles = dir.join("textfiles");
    std::fs::create_dir_all(&textfiles).unwrap();
    let (_job, http_port) = start_example_job(&textfiles);
    let (_node, node_port, _) = start_node_exporter("node_exporter", &textfiles, &dir);
    let (mut prometheus, port) = start_prometheus_with_rules(
        &[
            ScrapeJob {
                name: "textfile",
                targets: &[node_port],
                honor_labels: false,
            },
            ScrapeJob {
                name: "http",
                targets: &[http_port],
                honor_labels: false,
            },
        ],
        &[Path::new(RULES)],
        None,
        &dir,
    );
    let records = recorded_names(Path::new(RULES));
    assert!(records.len() > 10, "{records:?}");
    let dashboard = grafana::load(Path::new(DASHBOARD));
    let panels: Vec<(String, String)> = grafana::queries(&dashboard)
        .into_iter()
        .map(|(id, ref_id, expr)| {
            (
                format!("panel {id} query {ref_id}"),
                grafana::substituted(&dashboard, &expr),
            )
        })
        .collect();
    assert!(panels.len() > 40, "{panels:?}");
    let both: BTreeSet<String> = ["http", "textfile"].map(String::from).into();
    // A rate needs two scrapes; a rule, an evaluation after them.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let missing: Vec<(&String, Option<BTreeSet<String>>)> = records
            .iter()
            .map(|record| (record, jobs_of(port, record)))
            .filter(|(_, jobs)| jobs.as_ref() != Some(&both))
            .collect();
        let blank: Vec<&(String, String)> = panels
            .iter()
            .filter(|(_, query)| !draws_something(port, query))
            .collect();
        if missing.is_empty() && blank.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
            panic!(
                "recording rules without data from both jobs (the jobs each has): {missing:#?}\nblank panels: {blank:#?}\n{log}"
            );
        }
        prometheus.assert_running();
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Generates the rule file of `registry` with the installable command's code, into `dir`.
fn generate_rules(registry: &Path, dir: &Path) -> PathBuf {
    let output = dir.join("metrics.rules.yml");
    let command = geno_metrics_cli::Command::Rules(geno_metrics_cli::Rules {
        registry: geno_metrics_cli::RegistryFile {
            file: Some(registry.to_path_buf()),
        },
        check: false,
        output: Some(output.clone()),
    });
    let context = geno_metrics_cli::Context {
        registry: registry.to_path_buf(),
        catalogue: None,
        root: dir.to_path_buf(),
        command: "cargo geno-metrics",
    };
    assert_eq!(
        geno_metrics_cli::run(&command, &context),
        geno_metrics_cli::Outcome::Clean
    );
    output
}

#[test]
fn a_stale_textfile_fires_an_alert_that_reaches_alertmanager() {
    let dir = fresh_dir(env!("CARGO_TARGET_TMPDIR"), "operations", "alertmanager");
    // The GenoLeWM registry with a stale textfile after 2 s instead of 10 minutes.
    let registry = dir.join("metrics.toml");
    let source = std::fs::read_to_string(REGISTRY).unwrap();
    std::fs::write(
        &registry,
        format!(
            "{source}\n[registry.alerts]\ntextfile_stale = {{ after = \"2s\", for = \"1s\" }}\n"
        ),
    )
    .unwrap();
    let rules = generate_rules(&registry, &dir);
    assert!(
        std::fs::read_to_string(&rules)
            .unwrap()
            .contains("[.]prom\\\"} > 2\"\n        for: 1s\n"),
        "the override reached the rule file"
    );

    // Rank 0 wrote its file once and stopped; rank 1 keeps its file fresh.
    let textfiles = dir.join("textfiles");
    std::fs::create_dir_all(&textfiles).unwrap();
    let stale = textfiles.join("metrics.rank=0.prom");
    let fresh = textfiles.join("metrics.rank=1.prom");
    METRICS.export_prometheus_textfile(Some(&stale)).unwrap();
    METRICS.export_prometheus_textfile(Some(&fresh)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let refresher = {
        let (stop, fresh) = (stop.clone(), fresh.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                METRICS.export_prometheus_textfile(Some(&fresh)).unwrap();
                std::thread::sleep(Duration::from_millis(300));
            }
        })
    };

    let (mut alertmanager, alertmanager_port) = start_alertmanager(&dir);
    let (_node, node_port, _) = start_node_exporter("node_exporter", &textfiles, &dir);
    let (_prometheus, _) = start_prometheus_with_rules(
        &[ScrapeJob {
            name: "node",
            targets: &[node_port],
            honor_labels: false,
        }],
        &[&rules],
        Some(alertmanager_port),
        &dir,
    );
    let alerts = alertmanager.wait_for(
        "MetricsTextfileStale from Prometheus",
        Duration::from_secs(60),
        || {
            let body = http_get(alertmanager_port, "/api/v2/alerts")?;
            let alerts: Vec<serde_json::Value> = serde_json::from_str(&body).ok()?;
            alerts
                .iter()
                .any(|a| a["labels"]["alertname"] == "MetricsTextfileStale")
                .then_some(alerts)
        },
    );
    // A few more evaluations: the fresh file must still not be among them.
    std::thread::sleep(Duration::from_secs(3));
    let body = http_get(alertmanager_port, "/api/v2/alerts").unwrap();
    let alerts_later: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    refresher.join().unwrap();

    let stale_alerts: Vec<&serde_json::Value> = alerts
        .iter()
        .chain(&alerts_later)
        .filter(|a| a["labels"]["alertname"] == "MetricsTextfileStale")
        .collect();
    for alert in &stale_alerts {
        let file = alert["labels"]["file"].as_str().unwrap();
        assert!(
            file.ends_with("metrics.rank=0.prom"),
            "only the stale file fires, not {file}: {alert:#}"
        );
        assert_eq!(alert["labels"]["severity"], "warning", "{alert:#}");
        assert_eq!(alert["labels"]["job"], "node", "{alert:#}");
        assert_eq!(alert["status"]["state"], "active", "{alert:#}");
        assert_eq!(
            alert["annotations"]["summary"], "A metrics textfile stopped updating",
            "{alert:#}"
        );
        let description = alert["annotations"]["description"].as_str().unwrap();
        assert!(
            description.contains(file) && description.contains("(more than 2s)"),
            "{description}"
        );
    }
}
