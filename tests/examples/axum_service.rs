//! An inference service that already runs an axum router mounts `/metrics` on it with
//! `Registry::negotiate`: the request's `Accept` and `Accept-Encoding` in, the content type,
//! content encoding and body out. (Without a router of your own, `Registry::serve_http` is
//! one line.)
//!
//! ```text
//! cargo run --example axum_service -- [ADDR]    # default 127.0.0.1:9464; Ctrl-C stops it
//! cargo run --example axum_service -- --self-test
//! ```
//!
//! `--self-test` serves on a free port, scrapes itself once as Prometheus does, checks the
//! answer and exits: the workspace's tests run it so.

use std::process::ExitCode;

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use geno_metrics_tests::genolewm::{METRICS, TRAIN_STEPS_TOTAL};

/// `GET /metrics`: what the registry negotiates for this request.
async fn metrics(headers: HeaderMap) -> Response {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    match METRICS.negotiate(header(header::ACCEPT), header(header::ACCEPT_ENCODING)) {
        Ok(exposition) => {
            let headers: Vec<_> = exposition.headers().collect();
            let mut response = exposition.body.into_response();
            for (name, value) in headers {
                response.headers_mut().insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
            response
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    let self_test = arg.as_deref() == Some("--self-test");
    let addr = match arg.as_deref() {
        Some("--self-test") => "127.0.0.1:0",
        Some(addr) => addr,
        None => "127.0.0.1:9464",
    };
    let app = Router::new().route("/metrics", get(metrics));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let local = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    TRAIN_STEPS_TOTAL.inc_by(42); // ... the service's own work ...
    if !self_test {
        println!("serving http://{local}/metrics");
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    tokio::spawn(async move { axum::serve(listener, app).await });
    // One scrape as Prometheus 2 sends it, over a plain socket.
    let answer = tokio::task::spawn_blocking(move || scrape(&local)).await;
    match answer {
        Ok(Ok(text))
            if text.starts_with("HTTP/1.1 200")
                && text.contains("content-type: application/openmetrics-text; version=1.0.0")
                && text.contains("\ngeno_lewm_train_steps_total{rank=\"0\"} 42\n")
                && text.ends_with("# EOF\n") =>
        {
            println!("self-test passed: OpenMetrics negotiated and served");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("self-test failed: {other:?}");
            ExitCode::FAILURE
        }
    }
}

fn scrape(addr: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.write_all(
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n\r\n",
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}
