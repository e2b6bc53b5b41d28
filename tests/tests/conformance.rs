//! The example job's textfile against the real Prometheus tools, from Debian's packages:
//! `promtool check metrics`, node_exporter's textfile collector, and a Prometheus server
//! scraping that node_exporter, all on 127.0.0.1 and stopped by the test, pass or fail.
//!
//! The tools must be on PATH: `cargo xtask ci` installs them (`prometheus`,
//! `prometheus-node-exporter`). Missing tools fail the test; they are never skipped.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use geno_metrics::{DROPPED_LABEL_VALUES_METRIC, MetricKind, MetricValue};
use geno_metrics_tests::genolewm::{LOG_REDACTIONS_TOTAL, METRICS};
use geno_metrics_tests::tools::{promtool_check, tool};
use geno_metrics_tests::{redaction, training_job};

/// A server process that is killed when the guard drops, also when a test fails.
struct Server {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Server {
    fn start(name: &'static str, program: &Path, args: &[String], dir: &Path) -> Server {
        let log = dir.join(format!("{name}.log"));
        let out = fs::File::create(&log).unwrap();
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({}): {e}", program.display()));
        Server { name, child, log }
    }

    /// Polls `probe` until it answers, failing with the server's log after `timeout`.
    fn wait_for<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut probe: impl FnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = probe() {
                return value;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited ({status}) before {what}:\n{}",
                    self.name,
                    fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "{} gave no {what} within {timeout:?}:\n{}",
                    self.name,
                    fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.0 GET on 127.0.0.1: the body of a 200 answer, `None` otherwise.
fn http_get(port: u16, path_and_query: &str) -> Option<String> {
    let mut stream =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.0 200")
        .then(|| body.to_owned())
        .or_else(|| head.starts_with("HTTP/1.1 200").then(|| body.to_owned()))
}

/// Percent-encodes a PromQL query for a URL.
fn encode_query(query: &str) -> String {
    query
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The sample lines of an exposition, keyed by [`series_key`], with their value text.
fn samples(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            let (name, labels) = parse_series(series);
            (series_key(&name, &labels), value.to_owned())
        })
        .collect()
}

/// `name{a="x",b="y"}` (text format, values escaped) as the name and unescaped labels.
fn parse_series(series: &str) -> (String, BTreeMap<String, String>) {
    let Some((name, rest)) = series.split_once('{') else {
        return (series.to_owned(), BTreeMap::new());
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest.chars();
    loop {
        let label: String = chars.by_ref().take_while(|&c| c != '=').collect();
        let label = label.trim_start_matches(',');
        if label.is_empty() || label == "}" {
            break;
        }
        assert_eq!(chars.next(), Some('"'), "{series}");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(escaped) => value.push(escaped),
                    None => panic!("{series}"),
                },
                c => value.push(c),
            }
        }
        labels.insert(label.to_owned(), value);
    }
    (name.to_owned(), labels)
}

/// One spelling per series, whoever wrote it: the name, then the labels sorted by name with
/// values in Rust's debug quoting. The target labels Prometheus adds (`instance`, `job`) are
/// left out.
fn series_key(name: &str, labels: &BTreeMap<String, String>) -> String {
    let labels: Vec<String> = labels
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "instance" | "job" | "__name__"))
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    format!("{name}{{{}}}", labels.join(","))
}

/// Label values that need every escape of the text format, and then some: the values of
/// `path` in `fixtures/labelled.toml`.
const HOSTILE: [&str; 5] = [
    "plain",
    "a \"quote\"",
    "back\\slash",
    "new\nline",
    "Grüße 基因",
];

/// Free-form values as hostile, for `tenant` (`max_series = 3`): the fourth overflows.
const TENANTS: [&str; 4] = ["t\"1", "t\\2", "t\n3", "t4"];

/// Labelled metrics declared in `metrics.toml` form, generated by the macro.
mod labelled {
    geno_metrics::registry!("fixtures/labelled.toml");
}

/// Records into labelled series (the `slow` queue stays at zero on purpose) and exports.
fn export_labelled(path: &Path) -> String {
    use labelled::{
        LATENCY_SECONDS, METRICS, Path as PathLabel, Phase, QUEUE_ITEMS, Queue, REQUESTS_TOTAL,
        Status,
    };
    assert_eq!(PathLabel::all().map(PathLabel::as_str), HOSTILE);
    for (i, path_value) in PathLabel::all().into_iter().enumerate() {
        REQUESTS_TOTAL
            .with(path_value, Status::Ok)
            .inc_by(i as u64 + 1);
        REQUESTS_TOTAL.with(path_value, Status::Error).inc();
    }
    for (i, tenant) in TENANTS.iter().enumerate() {
        QUEUE_ITEMS.with(Queue::Fast, tenant).set(i as f64 + 0.5);
    }
    LATENCY_SECONDS.with(Phase::Train).observe(0.05);
    LATENCY_SECONDS.with(Phase::Eval).observe(3.0);
    METRICS.export_prometheus_textfile(Some(path)).unwrap();
    fs::read_to_string(path).unwrap()
}

/// Every series of `file` is in `served` (same name and label text) with the same value.
fn assert_same_samples(
    server: &str,
    served: &BTreeMap<String, String>,
    file: &BTreeMap<String, String>,
) {
    for (series, value) in file {
        let got = served
            .get(series)
            .unwrap_or_else(|| panic!("{server} lacks {series}"));
        assert!(
            same_value(got, value),
            "{series}: {server} {got}, file {value}"
        );
    }
}

/// Whether two sample values are the same float64, however spelled.
fn same_value(a: &str, b: &str) -> bool {
    let parse = |s: &str| match s {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("not a sample value: {other}")),
    };
    let (a, b) = (parse(a), parse(b));
    a == b || (a.is_nan() && b.is_nan())
}

#[test]
fn the_example_job_passes_promtool_node_exporter_and_prometheus() {
    let promtool = tool("promtool");
    let node_exporter = tool("prometheus-node-exporter");
    let prometheus = tool("prometheus");

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance");
    let _ = fs::remove_dir_all(&dir);
    let textfiles = dir.join("textfile");
    fs::create_dir_all(&textfiles).unwrap();

    // 1. The job, as `cargo run --example training_job` runs it, into a private directory.
    let options = training_job::Options {
        steps: 400,
        threads: 3,
        interval: Duration::from_millis(50),
        path: Some(textfiles.join("metrics.prom")),
        checkpoint_every: 50,
        checkpoint_dir: dir.join("checkpoints"),
    };
    let outcome = training_job::run(&options).unwrap();
    assert_eq!(outcome.export_failures, 0);
    assert!(
        outcome.exports >= 2,
        "periodic exports and the final one: {}",
        outcome.exports
    );
    // Every metric has a series the job recorded into (a labelled one may have others at zero).
    let recorded_into = |metric: &geno_metrics::MetricSnapshot| {
        match &metric.value {
            MetricValue::Counter(n) => *n > 0,
            MetricValue::Histogram(h) => h.count > 0,
            // Two gauges end at zero by design (the queue is drained and no request is in
            // flight when the job stops); every other gauge must be non-zero.
            MetricValue::Gauge(v) => {
                *v != 0.0
                    || metric.name.contains("queue_depth")
                    || metric.name.contains("in_flight")
            }
        }
    };
    for spec in METRICS.specs() {
        assert!(
            outcome
                .snapshot
                .metrics
                .iter()
                .any(|m| m.name == spec.name && recorded_into(m)),
            "the job never recorded {} ({})",
            spec.name,
            spec.kind
        );
    }
    // The sync hook reconciled the filter's own counts, and running it again adds nothing.
    training_job::sync_redaction_counter();
    training_job::sync_redaction_counter();
    assert_eq!(LOG_REDACTIONS_TOTAL.get(), redaction::total_redactions());
    assert!(LOG_REDACTIONS_TOTAL.get() > 0);

    let text = fs::read_to_string(&outcome.path).unwrap();
    let labelled_text = export_labelled(&textfiles.join("labelled.prom"));
    assert!(
        labelled_text
            .contains("labelled_requests_total{path=\"a \\\"quote\\\"\",status=\"ok\"} 2\n"),
        "{labelled_text}"
    );
    assert!(
        labelled_text.contains("labelled_latency_seconds_bucket{phase=\"eval\",le=\"+Inf\"} 1\n"),
        "{labelled_text}"
    );
    assert!(
        labelled_text.contains("labelled_queue_items{queue=\"slow\",tenant=\"t\\n3\"} 0\n"),
        "{labelled_text}"
    );
    let dropped = format!(
        "{DROPPED_LABEL_VALUES_METRIC}{{metric=\"labelled_queue_items\",label=\"tenant\"}} 1\n"
    );
    assert!(labelled_text.contains(&dropped), "{labelled_text}");
    let labelled_samples = samples(&labelled_text);
    assert_eq!(
        labelled_samples.len(),
        5 * 2 + 2 * (3 + 1) + 2 * 5 + 2,
        "requests (every enumerated series from the start), queue items (both queues for each \
         tenant used and the overflow), latency, no cache series (no shard used yet), dropped \
         values"
    );
    assert!(
        labelled_text.contains("# TYPE labelled_cache_bytes gauge\n# HELP geno_metrics_dropped"),
        "{labelled_text}"
    );
    let genolewm = samples(&text);
    let mut ours = genolewm.clone();
    let histograms = METRICS
        .specs()
        .iter()
        .filter(|s| s.kind == MetricKind::Histogram)
        .count();
    assert!(genolewm.len() >= METRICS.len() + 2 * histograms);

    // 2. promtool's parser and linter accept both files without a single remark.
    promtool_check(&promtool, &outcome.path);
    promtool_check(&promtool, &textfiles.join("labelled.prom"));
    ours.extend(labelled_samples);

    // 3. node_exporter's textfile collector serves every series under the same name and `le`
    //    text (series identity) with the same value. Values are compared as numbers:
    //    node_exporter re-spells them (a counter's 1844112 becomes 1.844112e+06).
    let node_port = free_port();
    let mut node = Server::start(
        "node_exporter",
        &node_exporter,
        &[
            "--collector.disable-defaults".into(),
            "--collector.textfile".into(),
            format!("--collector.textfile.directory={}", textfiles.display()),
            format!("--web.listen-address=127.0.0.1:{node_port}"),
        ],
        &dir,
    );
    let exposed = node.wait_for("/metrics", Duration::from_secs(30), || {
        http_get(node_port, "/metrics")
    });
    assert!(
        exposed.lines().any(|l| l == "node_textfile_scrape_error 0"),
        "node_exporter could not read the file:\n{exposed}"
    );
    let theirs = samples(&exposed);
    assert_same_samples("node_exporter", &theirs, &ours);

    // 4. A Prometheus server scraping that node_exporter returns the same values.
    let prom_port = free_port();
    let config = dir.join("prometheus.yml");
    fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: geno\n    static_configs:\n      - targets: ['127.0.0.1:{node_port}']\n"
        ),
    )
    .unwrap();
    let mut server = Server::start(
        "prometheus",
        &prometheus,
        &[
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{prom_port}"),
        ],
        &dir,
    );
    let query = |q: &str| -> Option<serde_json::Value> {
        let body = http_get(
            prom_port,
            &format!("/api/v1/query?query={}", encode_query(q)),
        )?;
        let json: serde_json::Value = serde_json::from_str(&body).ok()?;
        let result = json["data"]["result"].as_array()?.clone();
        (!result.is_empty()).then_some(serde_json::Value::Array(result))
    };
    let scraped = server.wait_for("geno_lewm series", Duration::from_secs(60), || {
        let result = query(r#"{__name__=~"geno_lewm_.+|geno_metrics_.+"}"#)?;
        (result.as_array()?.len() >= genolewm.len()).then_some(result)
    });
    let mut stored = BTreeMap::new();
    for series in scraped.as_array().unwrap() {
        let labels: BTreeMap<String, String> =
            serde_json::from_value(series["metric"].clone()).unwrap();
        let key = series_key(&labels["__name__"], &labels);
        stored.insert(key, series["value"][1].as_str().unwrap().to_owned());
    }
    assert_same_samples("Prometheus", &stored, &genolewm);
    let paths = server.wait_for("labelled series", Duration::from_secs(30), || {
        let result = query(r#"labelled_requests_total{status="ok"}"#)?;
        let mut paths: Vec<String> = result
            .as_array()?
            .iter()
            .map(|s| s["metric"]["path"].as_str().map(str::to_owned))
            .collect::<Option<_>>()?;
        paths.sort();
        Some(paths)
    });
    let mut expected: Vec<String> = HOSTILE.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(
        paths, expected,
        "label values must survive escaping through node_exporter and Prometheus"
    );
    let tenants = server.wait_for("free-form series", Duration::from_secs(30), || {
        let result = query(r#"labelled_queue_items{queue="fast"}"#)?;
        let mut tenants: Vec<String> = result
            .as_array()?
            .iter()
            .map(|s| s["metric"]["tenant"].as_str().map(str::to_owned))
            .collect::<Option<_>>()?;
        tenants.sort();
        Some(tenants)
    });
    let mut expected: Vec<String> = TENANTS[..3].iter().map(|s| (*s).to_owned()).collect();
    expected.push(geno_metrics::OVERFLOW_LABEL_VALUE.to_owned());
    expected.sort();
    assert_eq!(
        tenants, expected,
        "free-form values and the overflow series"
    );
    let quantile = server.wait_for("histogram_quantile", Duration::from_secs(30), || {
        query("histogram_quantile(0.9, geno_lewm_train_step_duration_seconds_bucket)")
    });
    let p90: f64 = quantile[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert!(p90.is_finite() && p90 > 0.0, "p90 step duration {p90}");
}
