//! The examples serve `/metrics`, as the README says: `examples/axum_service.rs`, the
//! README's way to mount it on a service's own axum router with `Registry::negotiate`, runs
//! its self-test (it serves on a free port, scrapes itself as Prometheus does and checks that
//! OpenMetrics was negotiated); the example job with `--listen` serves while it trains, and
//! with `--pushgateway` pushes its final values to a real Pushgateway.
//!
//! `cargo test` builds the examples before it runs any test; these tests run the built ones.
//! Alone (`cargo test --test examples_serve`) cargo builds no example: build them first with
//! `cargo build -p geno-metrics-tests --examples`.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use geno_metrics_tests::fresh_dir;
use geno_metrics_tests::servers::{http_get, start_pushgateway};
use geno_metrics_tests::tools::{example, said};

#[test]
fn the_axum_example_serves_openmetrics_from_its_own_router() {
    let out = Command::new(example("axum_service"))
        .arg("--self-test")
        .env_remove("RANK")
        .output()
        .unwrap();
    let said = said(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("self-test passed"), "{said}");
}

#[test]
fn the_example_job_serves_metrics_while_it_trains() {
    let mut job = Command::new(example("training_job"))
        .args(["--steps", "100000000", "--listen", "127.0.0.1:0"])
        .env_remove("RANK")
        .env(
            "GENO_LEWM_LOG_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("examples_serve"),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(job.stdout.take().unwrap()).lines();
    let serving = lines
        .by_ref()
        .map(Result::unwrap)
        .find_map(|line| line.strip_prefix("serving http://").map(str::to_owned));
    let addr = serving
        .as_deref()
        .and_then(|s| s.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("the job never said where it serves"))
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let _ = job.kill();
    let _ = job.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\ngeno_lewm_train_steps_total{rank=\"0\"} "),
        "{answer}"
    );
}

#[test]
fn the_example_job_pushes_its_final_values_to_a_pushgateway() {
    let dir = fresh_dir(env!("CARGO_TARGET_TMPDIR"), "examples_serve", "pushgateway");
    let (_gateway, port) = start_pushgateway(&dir);
    let out = Command::new(example("training_job"))
        .args(["--steps", "200", "--threads", "2", "--pushgateway"])
        .arg(format!("127.0.0.1:{port}"))
        .env("RANK", "3")
        .env("GENO_LEWM_LOG_DIR", &dir)
        .output()
        .unwrap();
    let said = said(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "pushed to 127.0.0.1:{port} as job geno_lewm_training_job (rank=3)"
        )),
        "{said}"
    );
    // The gateway holds one group, {job, rank}, with the job's final step count.
    let body = http_get(port, "/api/v1/metrics").unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let groups = json["data"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{body}");
    assert_eq!(
        groups[0]["labels"],
        serde_json::json!({"job": "geno_lewm_training_job", "rank": "3"})
    );
    let steps = &groups[0]["geno_lewm_train_steps_total"]["metrics"][0];
    assert_eq!(steps["value"], "200", "{steps}");
    assert_eq!(steps["labels"]["rank"], "3", "{steps}");

    // A gateway that is not there: the job says so and fails, naming the URL.
    let out = Command::new(example("training_job"))
        .args(["--steps", "10", "--pushgateway", "http://127.0.0.1:1"])
        .env_remove("RANK")
        .env("GENO_LEWM_LOG_DIR", &dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("error: PUT http://127.0.0.1:1/metrics/job/geno_lewm_training_job/rank/0: no answer from the gateway"),
        "{stderr}"
    );
}
