//! `serve_http` with the real clients: curl for the negotiation matrix (no `Accept`,
//! `text/plain`, OpenMetrics with q-values, `*/*`, gzip on and off), promtool on every 0.0.4
//! answer, client_python's parser on every OpenMetrics one, and a Prometheus 2.42 server that
//! scrapes `/metrics` directly (it asks for OpenMetrics first) beside a second job scraping the
//! same registry as text 0.0.4 through node_exporter's textfile collector: the same series,
//! `le` labels included, with the same values. Every server starts on 127.0.0.1 and stops
//! with the test.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;
use std::time::Duration;

use geno_metrics::{HttpServer, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};
use geno_metrics_tests::genolewm::METRICS;
use geno_metrics_tests::servers::{encode_query, http_get, start_node_exporter, start_prometheus};
use geno_metrics_tests::text_format::parse_go_float;
use geno_metrics_tests::tools::{promtool_check, tool};
use geno_metrics_tests::{fresh_dir, python, text_format, training_job};

/// A fresh directory for one test.
fn scratch(test: &str) -> PathBuf {
    fresh_dir(env!("CARGO_TARGET_TMPDIR"), "http_conformance", test)
}

/// Runs the example job once per process, so every metric has values, and returns the
/// textfile it exported (in a directory of its own, which the tests share).
fn record() -> PathBuf {
    static ONCE: Once = Once::new();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("http_conformance/recorded");
    let path = dir.join("textfiles").join("metrics.prom");
    ONCE.call_once(|| {
        let dir = scratch("recorded");
        let options = training_job::Options {
            steps: 200,
            threads: 2,
            interval: Duration::from_millis(50),
            path: Some(path.clone()),
            checkpoint_every: 50,
            checkpoint_dir: dir.join("checkpoints"),
        };
        let outcome = training_job::run(&options).unwrap();
        assert_eq!(outcome.export_failures, 0);
    });
    path
}

/// What curl got: the status line's code, the headers (names lowercased), the body as
/// delivered (decompressed with `--compressed`).
struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

fn curl(server: &HttpServer, dir: &Path, args: &[&str]) -> Answer {
    let (headers_file, body_file) = (dir.join("headers"), dir.join("body"));
    let out = Command::new(tool("curl"))
        .args(["-s", "-S", "--max-time", "10", "-D"])
        .arg(&headers_file)
        .arg("-o")
        .arg(&body_file)
        .args(args)
        .arg(format!("http://{}/metrics", server.local_addr()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = fs::read_to_string(&headers_file).unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = fs::read(&body_file).unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

#[test]
fn curl_gets_the_format_and_encoding_each_accept_header_asks_for() {
    let dir = scratch("curl");
    record();
    let server = METRICS.serve_http("127.0.0.1:0").unwrap();
    let promtool = tool("promtool");
    let om = "application/openmetrics-text;version=1.0.0";
    let prometheus_2 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let text_first = "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5";
    let mut openmetrics_bodies = Vec::new();
    for (accept, expected) in [
        (None, TEXT_CONTENT_TYPE),
        (Some("text/plain"), TEXT_CONTENT_TYPE),
        (Some("*/*"), TEXT_CONTENT_TYPE),
        (Some(om), OPENMETRICS_CONTENT_TYPE),
        (Some(prometheus_2), OPENMETRICS_CONTENT_TYPE),
        (Some(text_first), TEXT_CONTENT_TYPE),
        (Some("application/json"), TEXT_CONTENT_TYPE),
    ] {
        for compressed in [false, true] {
            let mut args: Vec<String> = Vec::new();
            if let Some(accept) = accept {
                args.extend(["-H".into(), format!("Accept: {accept}")]);
            }
            if compressed {
                args.push("--compressed".into());
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let answer = curl(&server, &dir, &args);
            let case = format!("Accept {accept:?}, --compressed {compressed}");
            assert_eq!(answer.status, 200, "{case}");
            assert_eq!(answer.headers["content-type"], expected, "{case}");
            assert_eq!(
                answer.headers.get("content-encoding").map(String::as_str),
                compressed.then_some("gzip"),
                "{case}"
            );
            assert_eq!(answer.headers["vary"], "Accept, Accept-Encoding", "{case}");
            if expected == TEXT_CONTENT_TYPE {
                text_format::parse(&answer.body).unwrap_or_else(|e| panic!("{case}: {e}"));
                let file = dir.join("answer.prom");
                fs::write(&file, &answer.body).unwrap();
                promtool_check(&promtool, &file);
            } else {
                assert!(answer.body.ends_with(b"# EOF\n"), "{case}");
                let file = dir.join(format!("answer{}.openmetrics", openmetrics_bodies.len()));
                fs::write(&file, &answer.body).unwrap();
                openmetrics_bodies.push(file);
            }
        }
    }
    let files: Vec<&Path> = openmetrics_bodies.iter().map(PathBuf::as_path).collect();
    for (file, read) in files.iter().zip(python::read_openmetrics(&files)) {
        let families = read.unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // Every metric, and the overflow counter of the free-form labels.
        assert_eq!(families.len(), METRICS.len() + 1, "{}", file.display());
    }

    // Without --compressed, a gzip answer is gzip on the wire.
    let raw = curl(&server, &dir, &["-H", "Accept-Encoding: gzip"]);
    assert_eq!(raw.headers["content-encoding"], "gzip");
    assert_eq!(raw.body[..2], [0x1f, 0x8b], "the gzip magic");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&raw.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    text_format::parse(&unzipped).unwrap();

    // HEAD: the headers of GET, no body.
    let head = curl(&server, &dir, &["-I"]);
    assert_eq!(head.status, 200);
    assert_eq!(head.headers["content-type"], TEXT_CONTENT_TYPE);
    // With -I, curl writes the head where the body would go: nothing else came.
    let written = String::from_utf8(head.body).unwrap();
    assert!(
        written.starts_with("HTTP/1.1 200") && !written.contains("# HELP"),
        "{written}"
    );

    // Other methods and paths.
    let post = curl(&server, &dir, &["-X", "POST", "-d", "x"]);
    assert_eq!(post.status, 405);
    assert_eq!(post.headers["allow"], "GET, HEAD");
    let other = Command::new(tool("curl"))
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("http://{}/other", server.local_addr()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&other.stdout), "404");
}

/// Every sample of the `geno_lewm_`/`geno_metrics_` series Prometheus stores for `job`, keyed
/// by name and labels without `job` and `instance`.
fn stored(port: u16, job: &str) -> Option<BTreeMap<String, f64>> {
    let query = format!(r#"{{__name__=~"geno_lewm_.+|geno_metrics_.+",job="{job}"}}"#);
    let body = http_get(
        port,
        &format!("/api/v1/query?query={}", encode_query(&query)),
    )?;
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    let series = json["data"]["result"].as_array()?;
    let mut samples = BTreeMap::new();
    for s in series {
        let labels: BTreeMap<String, String> = serde_json::from_value(s["metric"].clone()).ok()?;
        let key: Vec<String> = labels
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "job" | "instance"))
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        let value = parse_go_float(s["value"][1].as_str()?).ok()?;
        samples.insert(key.join(","), value);
    }
    (!samples.is_empty()).then_some(samples)
}

#[test]
fn prometheus_scraping_serve_http_stores_what_the_textfile_job_stores() {
    let dir = scratch("prometheus");
    let textfile = record();
    let server = METRICS.serve_http("127.0.0.1:0").unwrap();
    let (_node, node_port, _) =
        start_node_exporter("node_exporter", textfile.parent().unwrap(), &dir);
    let http_port = server.local_addr().port();
    let jobs: [(&str, &[u16]); 2] = [("http", &[http_port]), ("textfile", &[node_port])];
    let (mut prometheus, prom_port) = start_prometheus(&jobs, &dir);
    // Both jobs scraped every series of the registry.
    let (http, text) = prometheus.wait_for("both jobs", Duration::from_secs(60), || {
        let http = stored(prom_port, "http")?;
        let text = stored(prom_port, "textfile")?;
        (http.len() == text.len() && http.len() > METRICS.len()).then_some((http, text))
    });
    // The same series, `le` spelled alike, and the same values (NaN is NaN).
    assert_eq!(
        http.keys().collect::<Vec<_>>(),
        text.keys().collect::<Vec<_>>(),
        "series by OpenMetrics and by text 0.0.4 differ"
    );
    for (series, value) in &http {
        let other = text[series];
        assert!(
            *value == other || (value.is_nan() && other.is_nan()),
            "{series}: {value} over OpenMetrics, {other} over text"
        );
    }
    // Prometheus negotiated OpenMetrics with serve_http: the scrape's own series say so
    // only indirectly, so ask the target's metadata for a unit, which only # UNIT carries.
    let metadata = http_get(
        prom_port,
        "/api/v1/targets/metadata?metric=geno_lewm_train_step_duration_seconds",
    )
    .unwrap();
    assert!(metadata.contains("\"unit\":\"seconds\""), "{metadata}");
    let quantile = http_get(
        prom_port,
        &format!(
            "/api/v1/query?query={}",
            encode_query(
                r#"histogram_quantile(0.9, sum by (le) (geno_lewm_train_step_duration_seconds_bucket{job="http"}))"#
            )
        ),
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&quantile).unwrap();
    let p90 = parse_go_float(json["data"]["result"][0]["value"][1].as_str().unwrap()).unwrap();
    assert!(p90.is_finite() && p90 > 0.0, "{quantile}");
    println!(
        "prometheus: {} series over OpenMetrics from serve_http, the same {} over text 0.0.4 from node_exporter; p90 step {p90} s",
        http.len(),
        text.len()
    );
    drop(server);
}
