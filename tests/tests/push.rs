//! `push_to_gateway`, `pushadd_to_gateway` and `delete_from_gateway` against a real
//! Pushgateway (Debian's `prometheus-pushgateway`), started on a free port of 127.0.0.1 per
//! test and stopped with it: what the gateway stores (read back from its `/api/v1/metrics`)
//! is what was recorded, constant labels included; `PUT` replaces a group, `POST` only the
//! metrics of the names pushed, `DELETE` removes it; grouping values of any text come back
//! exactly; a Prometheus server scraping the gateway with `honor_labels: true` stores the
//! pushed series under the pushed job. And the failures: a gateway that is down, one that
//! never answers, one that answers 400 or 500, and arguments refused before anything is
//! sent, each with an error that names the URL and says what happened.
//!
//! The registry is `fixtures/push.toml`. Its values are recorded once per process and never
//! changed after, so the tests, which cargo runs on parallel threads, all push the same
//! values and each reads its own gateway.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Once;
use std::sync::mpsc::{self, TryRecvError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use geno_metrics::{
    ConstLabelSpec, Gauge, Metric, MetricKind, MetricSpec, PUSH_TIMEOUT, PushError, Registry,
    TEXT_CONTENT_TYPE,
};
use geno_metrics_tests::fresh_dir;
use geno_metrics_tests::servers::{
    ScrapeJob, encode_query, free_port, http_get, start_prometheus_jobs, start_pushgateway,
};
use geno_metrics_tests::text_format::parse_go_float;

mod metrics {
    geno_metrics::registry!("fixtures/push.toml");
}
use metrics::{LOSS, METRICS, Phase, STEP_DURATION_SECONDS, STEPS_TOTAL};

/// The job every test pushes as, unless it says otherwise.
const JOB: &str = "geno_push_test";

/// A fresh directory for one test.
fn scratch(test: &str) -> PathBuf {
    fresh_dir(env!("CARGO_TARGET_TMPDIR"), "push", test)
}

/// Records the fixture's values, once per process: what every push sends.
fn record() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        STEPS_TOTAL.inc_by(42);
        LOSS.set(-0.25);
        // Sums exact in binary, so the comparison can be exact too.
        for seconds in [0.0625, 0.5, 2.0] {
            STEP_DURATION_SECONDS.with(Phase::Train).observe(seconds);
        }
    });
}

/// The registry's constant labels as a grouping key.
fn const_labels() -> Vec<(&'static str, String)> {
    METRICS
        .const_labels()
        .unwrap()
        .iter()
        .map(|(name, value)| (*name, value.to_string()))
        .collect()
}

/// Every sample the fixture's registry pushes, as the gateway stores it for the group
/// `group` (the grouping labels, `job` included): `name{labels}` with the labels in name
/// order, and the value.
fn expected_samples(group: &[(&str, &str)]) -> BTreeMap<String, f64> {
    let series = |name: &str, own: &[(&str, &str)]| {
        let mut labels: BTreeMap<String, String> = BTreeMap::from([
            ("instance".into(), String::new()),
            ("rank".into(), "7".into()),
            ("run".into(), "push-test".into()),
        ]);
        for (k, v) in group.iter().chain(own) {
            labels.insert((*k).into(), (*v).into());
        }
        key(name, &labels)
    };
    let histogram = "geno_push_step_duration_seconds";
    let mut samples = BTreeMap::from([
        (series("geno_push_steps_total", &[]), 42.0),
        (series("geno_push_loss", &[]), -0.25),
    ]);
    for (phase, counts, sum) in [("train", [1.0, 2.0, 3.0], 2.5625), ("eval", [0.0; 3], 0.0)] {
        for (le, count) in ["0.1", "1", "+Inf"].iter().zip(counts) {
            samples.insert(
                series(
                    &format!("{histogram}_bucket"),
                    &[("phase", phase), ("le", le)],
                ),
                count,
            );
        }
        samples.insert(
            series(&format!("{histogram}_sum"), &[("phase", phase)]),
            sum,
        );
        samples.insert(
            series(&format!("{histogram}_count"), &[("phase", phase)]),
            counts[2],
        );
    }
    samples
}

/// `name{a="x",b="y"}`, labels in name order.
fn key(name: &str, labels: &BTreeMap<String, String>) -> String {
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{name}{{{}}}", labels.join(","))
}

/// One group on the gateway: its metric families as `/api/v1/metrics` gives them, by name,
/// without the gateway's own `push_time_seconds` and `push_failure_time_seconds`.
type Families = BTreeMap<String, serde_json::Value>;

/// Every group on the gateway at `port`, by its grouping labels (`job` included).
fn groups(port: u16) -> BTreeMap<BTreeMap<String, String>, Families> {
    let body = http_get(port, "/api/v1/metrics").expect("the gateway's /api/v1/metrics");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "success", "{body}");
    json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| {
            let labels = serde_json::from_value(group["labels"].clone()).unwrap();
            let families = group
                .as_object()
                .unwrap()
                .iter()
                .filter(|(name, value)| {
                    value.get("metrics").is_some()
                        && !matches!(
                            name.as_str(),
                            "push_time_seconds" | "push_failure_time_seconds"
                        )
                })
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            (labels, families)
        })
        .collect()
}

/// The grouping labels `{job="<job>", k="v", ...}` as `groups` keys them.
fn group_labels(job: &str, key: &[(&str, &str)]) -> BTreeMap<String, String> {
    std::iter::once(("job", job))
        .chain(key.iter().copied())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The samples of `families`, flattened as the text format writes them: `name{labels}` and
/// the value, a histogram as its `_bucket`, `_sum` and `_count` series.
fn samples(families: &Families) -> BTreeMap<String, f64> {
    let float = |v: &serde_json::Value| parse_go_float(v.as_str().unwrap()).unwrap();
    let mut samples = BTreeMap::new();
    for (name, family) in families {
        for metric in family["metrics"].as_array().unwrap() {
            let labels: BTreeMap<String, String> =
                serde_json::from_value(metric["labels"].clone()).unwrap();
            if family["type"] == "HISTOGRAM" {
                for (le, count) in metric["buckets"].as_object().unwrap() {
                    let mut labels = labels.clone();
                    labels.insert("le".into(), le.clone());
                    samples.insert(key(&format!("{name}_bucket"), &labels), float(count));
                }
                samples.insert(key(&format!("{name}_sum"), &labels), float(&metric["sum"]));
                samples.insert(
                    key(&format!("{name}_count"), &labels),
                    float(&metric["count"]),
                );
            } else {
                samples.insert(key(name, &labels), float(&metric["value"]));
            }
        }
    }
    samples
}

/// The Prometheus type of each family of `families`.
fn types(families: &Families) -> BTreeMap<&str, &str> {
    families
        .iter()
        .map(|(name, family)| (name.as_str(), family["type"].as_str().unwrap()))
        .collect()
}

#[test]
fn push_pushadd_and_delete_replace_add_and_remove_a_group() {
    record();
    let dir = scratch("semantics");
    let (_gateway, port) = start_pushgateway(&dir);
    let url = format!("http://127.0.0.1:{port}");
    let rank = const_labels();
    let key: Vec<(&str, &str)> = rank.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let group = group_labels(JOB, &key);

    // PUT: the group holds every metric, with the values recorded and the constant labels.
    METRICS.push_to_gateway(&url, JOB, &key).unwrap();
    let stored = groups(port);
    assert_eq!(stored.keys().collect::<Vec<_>>(), [&group]);
    let labelled: Vec<(&str, &str)> = std::iter::once(("job", JOB)).chain(key.clone()).collect();
    assert_eq!(samples(&stored[&group]), expected_samples(&labelled));
    assert_eq!(
        types(&stored[&group]),
        BTreeMap::from([
            ("geno_push_loss", "GAUGE"),
            ("geno_push_step_duration_seconds", "HISTOGRAM"),
            ("geno_push_steps_total", "COUNTER"),
        ])
    );

    // POST of a second registry: its metric of a name the group holds replaces that one, its
    // new one joins, the others stay.
    SECOND_LOSS.set(0.125);
    STAGE_SECONDS.set(3.5);
    SECOND.pushadd_to_gateway(&url, JOB, &key).unwrap();
    let added = &groups(port)[&group];
    let mut names: Vec<&str> = added.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "geno_push_loss",
            "geno_push_stage_seconds",
            "geno_push_step_duration_seconds",
            "geno_push_steps_total",
        ]
    );
    let without_const = |name: &str| {
        let labels = group_labels(JOB, &key)
            .into_iter()
            .chain([("instance".to_owned(), String::new())])
            .collect();
        self::key(name, &labels)
    };
    let after_post = samples(added);
    assert_eq!(after_post[&without_const("geno_push_loss")], 0.125);
    assert_eq!(after_post[&without_const("geno_push_stage_seconds")], 3.5);
    let kept: Vec<&String> = after_post
        .keys()
        .filter(|series| series.starts_with("geno_push_step"))
        .collect();
    assert_eq!(
        kept.len(),
        11,
        "the steps counter and the histogram stay: {kept:?}"
    );

    // PUT of the second registry: the group holds its metrics alone.
    SECOND.push_to_gateway(&url, JOB, &key).unwrap();
    let replaced = &groups(port)[&group];
    assert_eq!(
        replaced.keys().collect::<Vec<_>>(),
        ["geno_push_loss", "geno_push_stage_seconds"]
    );

    // DELETE removes that group and no other.
    let other_job = format!("{JOB}_other");
    METRICS.push_to_gateway(&url, &other_job, &key).unwrap();
    METRICS.delete_from_gateway(&url, JOB, &key).unwrap();
    assert_eq!(
        groups(port).into_keys().collect::<Vec<_>>(),
        [group_labels(&other_job, &key)]
    );
    // Deleting a group that is not there succeeds.
    METRICS.delete_from_gateway(&url, JOB, &key).unwrap();
    METRICS.delete_from_gateway(&url, &other_job, &key).unwrap();
    assert!(groups(port).is_empty());
}

/// A second registry for `pushadd`: one metric of a name the fixture has (same type), one
/// of its own; no constant labels.
static SECOND_SPECS: [MetricSpec; 2] = [
    MetricSpec::new(
        "geno_push_loss",
        MetricKind::Gauge,
        "Loss, from another stage.",
    ),
    MetricSpec::new(
        "geno_push_stage_seconds",
        MetricKind::Gauge,
        "Duration of the last stage.",
    )
    .with_unit("seconds"),
];
static SECOND_LOSS: Gauge = Gauge::new(&SECOND_SPECS[0]);
static STAGE_SECONDS: Gauge = Gauge::new(&SECOND_SPECS[1]);
static SECOND: Registry = Registry::new(
    &SECOND_SPECS,
    &[Metric::Gauge(&SECOND_LOSS), Metric::Gauge(&STAGE_SECONDS)],
);

#[test]
fn the_gateway_url_may_omit_the_scheme_and_end_in_slashes() {
    record();
    let dir = scratch("url_forms");
    let (_gateway, port) = start_pushgateway(&dir);
    for (i, url) in [
        format!("127.0.0.1:{port}"),
        format!("127.0.0.1:{port}/"),
        format!("http://127.0.0.1:{port}/"),
        format!("HTTP://127.0.0.1:{port}//"),
    ]
    .iter()
    .enumerate()
    {
        let job = format!("{JOB}_{i}");
        METRICS
            .push_to_gateway(url, &job, &[])
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(groups(port).contains_key(&group_labels(&job, &[])), "{url}");
    }
}

#[test]
fn job_names_and_grouping_values_of_any_text_round_trip_exactly() {
    record();
    let dir = scratch("round_trip");
    let (_gateway, port) = start_pushgateway(&dir);
    let url = format!("127.0.0.1:{port}");
    let values = [
        "/var/tmp",
        "a/b/",
        "/",
        "two words",
        " leading and trailing ",
        "a+b",
        "100%",
        "%2F",
        "user@host",
        "=",
        "k=v;x",
        "?query#fragment",
        "Προμηθεύς",
        "日本語",
        "🦀",
        "tab\there",
        "line\nbreak",
        "quote\"back\\slash",
        ".",
        "..",
        "...",
        "~",
        "",
    ];
    let mut expected = Vec::new();
    for (i, value) in values.iter().enumerate() {
        // Each value as a grouping value (with an empty one beside it), and as a job name.
        let job = format!("{JOB}_{i}");
        let key = [("path", *value), ("empty", "")];
        METRICS
            .push_to_gateway(&url, &job, &key)
            .unwrap_or_else(|e| panic!("{e}"));
        expected.push(group_labels(&job, &key));
        if !value.is_empty() {
            METRICS
                .push_to_gateway(&url, value, &[])
                .unwrap_or_else(|e| panic!("{e}"));
            expected.push(group_labels(value, &[]));
        }
    }
    let stored = groups(port);
    expected.sort();
    assert_eq!(stored.keys().cloned().collect::<Vec<_>>(), expected);
    // The series carry the grouping labels too, with the constant labels.
    let group = group_labels(&format!("{JOB}_0"), &[("path", "/var/tmp"), ("empty", "")]);
    let series = samples(&stored[&group]);
    let steps = series
        .keys()
        .find(|s| s.starts_with("geno_push_steps_total"))
        .unwrap();
    assert_eq!(
        steps,
        r#"geno_push_steps_total{empty="",instance="",job="geno_push_test_0",path="/var/tmp",rank="7",run="push-test"}"#
    );
}

/// Every sample of the `geno_push_` series Prometheus stores for the pushed job, with all
/// their labels.
fn stored_by_prometheus(port: u16) -> Option<BTreeMap<String, f64>> {
    let query = format!(r#"{{__name__=~"geno_push_.+",job="{JOB}"}}"#);
    let body = http_get(
        port,
        &format!("/api/v1/query?query={}", encode_query(&query)),
    )?;
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    let mut samples = BTreeMap::new();
    for s in json["data"]["result"].as_array()? {
        let mut labels: BTreeMap<String, String> =
            serde_json::from_value(s["metric"].clone()).ok()?;
        let name = labels.remove("__name__")?;
        let value = parse_go_float(s["value"][1].as_str()?).ok()?;
        samples.insert(key(&name, &labels), value);
    }
    (!samples.is_empty()).then_some(samples)
}

#[test]
fn prometheus_scraping_the_gateway_with_honor_labels_stores_the_pushed_values() {
    record();
    let dir = scratch("prometheus");
    let (_gateway, gateway_port) = start_pushgateway(&dir);
    let key = [("rank", "7")];
    METRICS
        .push_to_gateway(&format!("127.0.0.1:{gateway_port}"), JOB, &key)
        .unwrap();
    let jobs = [ScrapeJob {
        name: "pushgateway",
        targets: &[gateway_port],
        honor_labels: true,
    }];
    let (mut prometheus, prom_port) = start_prometheus_jobs(&jobs, &dir);
    let expected = expected_samples(&[("job", JOB), ("rank", "7")]);
    // Prometheus stores the pushed `job`, not its own job's name; the empty `instance` the
    // gateway exposes means no `instance` label at all.
    let expected: BTreeMap<String, f64> = expected
        .into_iter()
        .map(|(series, value)| (series.replace(r#"instance="","#, ""), value))
        .collect();
    let stored = prometheus.wait_for("the pushed series", Duration::from_secs(60), || {
        stored_by_prometheus(prom_port).filter(|s| s.len() == expected.len())
    });
    assert_eq!(stored, expected);
}

#[test]
fn a_gateway_that_is_down_is_an_error_naming_the_url_at_once() {
    record();
    let port = free_port();
    let started = Instant::now();
    let err = METRICS
        .push_to_gateway(&format!("127.0.0.1:{port}"), JOB, &[("rank", "7")])
        .unwrap_err();
    assert!(started.elapsed() < PUSH_TIMEOUT, "{:?}", started.elapsed());
    println!("a gateway that is down: {err}");
    assert!(matches!(err, PushError::Transport { .. }), "{err}");
    let url = format!("http://127.0.0.1:{port}/metrics/job/{JOB}/rank/7");
    assert_eq!(err.url(), url);
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("PUT {url}: no answer from the gateway: ")),
        "{message}"
    );
    assert!(message.contains("is the Pushgateway running"), "{message}");
    assert!(std::error::Error::source(&err).is_some());
}

/// A server on 127.0.0.1 that accepts connections and reads what comes, but never answers,
/// until dropped.
struct Silent {
    port: u16,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<usize>>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            let mut held = Vec::new();
            let mut read = 0;
            while let Err(TryRecvError::Empty) = stopped.try_recv() {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => panic!("accept: {e}"),
                }
                for stream in &mut held {
                    stream.set_nonblocking(true).unwrap();
                    let mut buffer = [0; 4096];
                    if let Ok(n) = stream.read(&mut buffer) {
                        read += n;
                    }
                }
                thread::sleep(Duration::from_millis(20));
            }
            read
        });
        Silent {
            port,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stops the server; how many bytes it read.
    fn stop(mut self) -> usize {
        drop(self.stop.take());
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_gateway_that_never_answers_is_a_timeout_within_the_documented_time() {
    record();
    let silent = Silent::start();
    let url = format!("http://127.0.0.1:{}", silent.port);
    let started = Instant::now();
    let err = METRICS.push_to_gateway(&url, JOB, &[]).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, PushError::Timeout { .. }), "{err}");
    assert!(
        took >= PUSH_TIMEOUT - Duration::from_millis(100)
            && took < PUSH_TIMEOUT + Duration::from_secs(3),
        "the push gave up after {took:?}, not {PUSH_TIMEOUT:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "PUT {url}/metrics/job/{JOB}: no answer within 10s: the gateway or the network hangs; it may or may not have applied the request"
        )
    );
    assert!(silent.stop() > 0, "the request reached the server");
}

#[test]
fn a_push_the_gateway_refuses_is_an_error_with_its_status_and_message() {
    record();
    let dir = scratch("refused");
    let (_gateway, port) = start_pushgateway(&dir);
    let gateway = format!("http://127.0.0.1:{port}");
    // The group {job} holds series with rank="7" already, which a group {job, rank="7"} would
    // expose a second time: the gateway refuses the push with 400.
    METRICS.push_to_gateway(&gateway, JOB, &[]).unwrap();
    let err = METRICS
        .push_to_gateway(&gateway, JOB, &[("rank", "7")])
        .unwrap_err();
    let url = format!("{gateway}/metrics/job/{JOB}/rank/7");
    let PushError::Rejected {
        status, message, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*status, 400);
    assert!(
        message.starts_with("pushed metrics are invalid or inconsistent with existing metrics")
            && message.contains("was collected before with the same name and label values"),
        "{message}"
    );
    assert!(
        err.to_string().starts_with(&format!(
            "PUT {url}: the gateway answered 400 Bad Request: pushed metrics are invalid"
        )),
        "{err}"
    );
    // The gateway keeps the refused group's failure time, and none of its metrics; the
    // group that was there is untouched.
    let stored = groups(port);
    assert_eq!(
        stored[&group_labels(JOB, &[("rank", "7")])],
        Families::new()
    );
    assert_eq!(
        samples(&stored[&group_labels(JOB, &[])]),
        expected_samples(&[("job", JOB)])
    );
}

/// A server on 127.0.0.1 that answers one request with `status` and `body`; the thread
/// returns the request it got (head and body).
fn answer_once(status: &'static str, body: String) -> (u16, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut request = Vec::new();
        let mut buffer = [0; 64 * 1024];
        // The head, then as many body bytes as Content-Length says.
        loop {
            let text = String::from_utf8_lossy(&request).into_owned();
            if let Some((head, sent)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if sent.len() >= length {
                    break;
                }
            }
            let n = stream.read(&mut buffer).unwrap();
            assert!(n > 0, "the client closed mid-request");
            request.extend_from_slice(&buffer[..n]);
        }
        write!(
            stream,
            "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        String::from_utf8(request).unwrap()
    });
    (port, thread)
}

#[test]
fn a_server_error_names_the_status_and_a_bounded_message_and_requests_are_as_documented() {
    record();
    // A long message is cut to 1,000 characters.
    let long = format!("  storage failed: {}\n", "x".repeat(5_000));
    let (port, server) = answer_once("500 Internal Server Error", long);
    let err = METRICS
        .pushadd_to_gateway(&format!("127.0.0.1:{port}/"), "a job/with a slash", &[])
        .unwrap_err();
    let request = server.join().unwrap();
    let url = format!("http://127.0.0.1:{port}/metrics/job@base64/YSBqb2Ivd2l0aCBhIHNsYXNo");
    let PushError::Rejected {
        status, message, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*status, 500);
    assert!(message.starts_with("storage failed: xxx"), "{message}");
    assert_eq!(
        message.chars().count(),
        1_001,
        "1,000 characters and the ellipsis"
    );
    assert!(message.ends_with("x…"));
    assert!(
        err.to_string().starts_with(&format!(
            "POST {url}: the gateway answered 500 Internal Server Error: storage failed: "
        )),
        "{err}"
    );
    // What was sent: POST to the group's path, the text format as its content type, the
    // registry's exposition as the body.
    let (head, body) = request.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    assert_eq!(
        lines.next(),
        Some("POST /metrics/job@base64/YSBqb2Ivd2l0aCBhIHNsYXNo HTTP/1.1")
    );
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    assert_eq!(headers["content-type"], TEXT_CONTENT_TYPE);
    assert!(headers["user-agent"].starts_with("geno-metrics/"), "{head}");
    let mut exposition = Vec::new();
    METRICS.encode_text(&mut exposition).unwrap();
    assert_eq!(body.as_bytes(), exposition);

    // DELETE sends no body; an answer without a message says so.
    let (port, server) = answer_once("503 Service Unavailable", String::new());
    let err = METRICS
        .delete_from_gateway(&format!("127.0.0.1:{port}"), JOB, &[("rank", "7")])
        .unwrap_err();
    let request = server.join().unwrap();
    assert!(
        request.starts_with(&format!("DELETE /metrics/job/{JOB}/rank/7 HTTP/1.1\r\n")),
        "{request}"
    );
    assert!(request.ends_with("\r\n\r\n"), "no body: {request:?}");
    assert!(
        !request.to_ascii_lowercase().contains("content-type"),
        "{request}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "DELETE http://127.0.0.1:{port}/metrics/job/{JOB}/rank/7: the gateway answered 503 Service Unavailable without a message"
        )
    );

    // A redirect is not followed: it is an answer other than 2xx.
    let (port, server) = answer_once("308 Permanent Redirect", "elsewhere".into());
    let err = METRICS
        .push_to_gateway(&format!("127.0.0.1:{port}"), JOB, &[])
        .unwrap_err();
    server.join().unwrap();
    assert!(
        matches!(err, PushError::Rejected { status: 308, .. }),
        "{err}"
    );
}

/// A registry whose constant label has no value: its variable is unset and it has no default.
static UNSET_SPECS: [MetricSpec; 1] = [MetricSpec::new(
    "geno_push_unset_steps_total",
    MetricKind::Counter,
    "Steps.",
)];
static UNSET_STEPS: geno_metrics::Counter = geno_metrics::Counter::new(&UNSET_SPECS[0]);
static UNSET: Registry = Registry::new(&UNSET_SPECS, &[Metric::Counter(&UNSET_STEPS)])
    .with_const_labels(&[ConstLabelSpec::new("run", "GENO_PUSH_TEST_NEVER_SET")]);

#[test]
fn arguments_the_gateway_cannot_take_are_refused_before_anything_is_sent() {
    record();
    // Nothing listens here: an error other than Transport proves nothing was sent.
    let gateway = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{gateway}");
    let push =
        |job: &str, key: &[(&str, &str)]| METRICS.push_to_gateway(&gateway, job, key).unwrap_err();

    let err = push("", &[]);
    assert!(matches!(err, PushError::EmptyJob { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "PUT {base}/metrics/job@base64/=: the job name is empty: give the job's name (the `job` label of the pushed series), e.g. \"nightly_backup\""
        )
    );

    for (key, label, says) in [
        (
            &[("9lives", "x")][..],
            "9lives",
            "is not a label name: use letters, digits and `_`, not starting with a digit",
        ),
        (&[("a-b", "x")][..], "a-b", "is not a label name"),
        (
            &[("__name__", "x")][..],
            "__name__",
            "starts with `__`, which Prometheus reserves for itself",
        ),
        (
            &[("job", "x")][..],
            "job",
            "is the job: give it as the `job` argument",
        ),
        (
            &[("host", "a"), ("host", "b")][..],
            "host",
            "is given twice",
        ),
        (
            &[("phase", "train")][..],
            "phase",
            "is a label the series of `geno_push_step_duration_seconds` carry for themselves",
        ),
        (
            &[("le", "1")][..],
            "le",
            "is a label the series of `geno_push_step_duration_seconds` carry",
        ),
    ] {
        let err = push(JOB, key);
        let PushError::InvalidGroupingKey { label: bad, .. } = &err else {
            panic!("{key:?}: {err}")
        };
        assert_eq!(bad, label);
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("PUT {base}/metrics/job/{JOB}/")),
            "{message}"
        );
        assert!(
            message.contains(&format!("grouping label `{label}` {says}")),
            "{message}"
        );
    }
    // DELETE holds the names to the same rules, but pushes no series to compare with.
    let err = METRICS
        .delete_from_gateway(&gateway, JOB, &[("__x", "1")])
        .unwrap_err();
    assert!(
        matches!(
            err,
            PushError::InvalidGroupingKey {
                method: "DELETE",
                ..
            }
        ),
        "{err}"
    );
    let err = METRICS
        .delete_from_gateway(&gateway, JOB, &[("phase", "train")])
        .unwrap_err();
    assert!(matches!(err, PushError::Transport { .. }), "{err}");

    // A constant label in the grouping key: its own value is fine (the push goes out and
    // finds no gateway), another one is refused.
    let err = push(JOB, &[("rank", "7")]);
    assert!(matches!(err, PushError::Transport { .. }), "{err}");
    let err = push(JOB, &[("rank", "3")]);
    let PushError::ConstLabelConflict {
        label,
        value,
        const_value,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((&**label, &**value, &**const_value), ("rank", "3", "7"));
    assert_eq!(
        err.to_string(),
        format!(
            "PUT {base}/metrics/job/{JOB}/rank/3: grouping label `rank` is \"3\", but `rank` is a constant label of the registry, \"7\" on every series, and the gateway would overwrite it; give the grouping key the constant label's value, or leave `rank` out of it"
        )
    );

    // URLs that cannot be used.
    for (url, says) in [
        ("", "the gateway's URL is empty"),
        ("https://pushgateway:9091", "https:// is not supported"),
        ("ftp://pushgateway", "the scheme `ftp` is not supported"),
        ("pushgateway:9091/?x=1", "query"),
        ("http://", "no host"),
        ("push gateway:9091", "not a valid http:// URL"),
    ] {
        let err = METRICS.push_to_gateway(url, JOB, &[]).unwrap_err();
        assert!(matches!(err, PushError::InvalidUrl { .. }), "{url}: {err}");
        assert!(err.to_string().contains(says), "{url}: {err}");
        assert!(
            err.to_string().starts_with(&format!("PUT {url:?}")) || url.contains(' '),
            "{err}"
        );
    }

    // A registry that cannot be encoded: the exposition's error, inside.
    let err = UNSET.push_to_gateway(&gateway, JOB, &[]).unwrap_err();
    let PushError::Encoding { error, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        error.to_string().contains("GENO_PUSH_TEST_NEVER_SET"),
        "{error}"
    );
    assert!(
        err.to_string().starts_with(&format!(
            "PUT {base}/metrics/job/{JOB}: nothing was sent: the metrics cannot be encoded: constant label `run` has no value"
        )),
        "{err}"
    );
    // Delete needs no exposition.
    let err = UNSET.delete_from_gateway(&gateway, JOB, &[]).unwrap_err();
    assert!(matches!(err, PushError::Transport { .. }), "{err}");
}
