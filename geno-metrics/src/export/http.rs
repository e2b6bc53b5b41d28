//! `/metrics` over HTTP (cargo feature `http`): content negotiation by RFC 9110's rules, and a
//! small server on hyper.
//!
//! [`Registry::negotiate`] is the whole of what a scrape needs from the registry: from a
//! request's `Accept` and `Accept-Encoding` headers it picks OpenMetrics 1.0 or the text format
//! 0.0.4, gzip or not, and returns the content type, the content encoding and the body. A
//! service that runs its own router (axum, actix, hyper) mounts `/metrics` with it in a few
//! lines. [`Registry::serve_http`] runs it on a server of its own.
//!
//! The server is hyper 1's HTTP/1 connection on a single-threaded tokio runtime in a thread of
//! its own; hyper parses every request. Each connection has 10 s to send its request head, of
//! at most 16 KiB (larger heads get `431` and the connection closes), and at most 1,024
//! connections are open at once (more are closed as they arrive), so memory stays bounded:
//! about 1,024 x (16 KiB of request buffer + one exposition) at worst. Encoding runs on the
//! server's thread, between requests: it takes microseconds, less than a hand-off to another
//! thread would; sync hooks run there too, so they should be quick.

use std::convert::Infallible;
use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use mediatype::{MediaType, MediaTypeList, Name, ReadParams};
use tokio::sync::{Semaphore, oneshot};

use super::openmetrics::OPENMETRICS_CONTENT_TYPE;
use super::text::{Format, TEXT_CONTENT_TYPE};
use crate::registry::Registry;

/// The most connections the server keeps open at once.
const MAX_CONNECTIONS: usize = 1024;
/// How long a client has to send its request head (the request line and headers).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head the server reads.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// A negotiated exposition: what to answer a scrape with.
///
/// ```
/// # #[cfg(feature = "http")] {
/// # mod metrics {
/// #     geno_metrics::registry!("examples/quickstart.toml");
/// # }
/// let scrape = metrics::METRICS.negotiate(
///     Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
///     Some("gzip"),
/// )?;
/// assert_eq!(scrape.content_type, geno_metrics::OPENMETRICS_CONTENT_TYPE);
/// assert_eq!(scrape.content_encoding, Some("gzip"));
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exposition {
    /// The `Content-Type`: [`OPENMETRICS_CONTENT_TYPE`] or [`TEXT_CONTENT_TYPE`].
    pub content_type: &'static str,
    /// The `Content-Encoding`: `Some("gzip")`, or `None` for the identity.
    pub content_encoding: Option<&'static str>,
    /// The body, encoded as `content_encoding` says.
    pub body: Vec<u8>,
}

impl Exposition {
    /// The response headers that go with the body, as lowercase names and values: the
    /// `content-type`, the `content-encoding` when gzipped, and `vary: Accept,
    /// Accept-Encoding` (the answer depends on both, which caches must know).
    ///
    /// ```
    /// # #[cfg(feature = "http")] {
    /// # mod metrics {
    /// #     geno_metrics::registry!("examples/quickstart.toml");
    /// # }
    /// let scrape = metrics::METRICS.negotiate(None, Some("gzip"))?;
    /// assert_eq!(
    ///     scrape.headers().collect::<Vec<_>>(),
    ///     [
    ///         ("content-type", geno_metrics::TEXT_CONTENT_TYPE),
    ///         ("content-encoding", "gzip"),
    ///         ("vary", "Accept, Accept-Encoding"),
    ///     ]
    /// );
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &'static str)> + use<> {
        [
            Some(("content-type", self.content_type)),
            self.content_encoding
                .map(|encoding| ("content-encoding", encoding)),
            Some(("vary", "Accept, Accept-Encoding")),
        ]
        .into_iter()
        .flatten()
    }
}

impl Registry {
    /// The exposition a scrape with these request headers asks for: the format and the
    /// encoding chosen from `accept` and `accept_encoding` (`None` when the request has no
    /// such header), the sync hooks run, the registry encoded and, when chosen, gzipped.
    ///
    /// **Format.** OpenMetrics 1.0 when `Accept` prefers `application/openmetrics-text`
    /// (version `1.0.0` or `0.0.1`, or none) to `text/plain` (version `0.0.4` or `1.0.0`, or
    /// none), q-values respected (the most specific range that matches a type gives its
    /// q-value, as RFC 9110 says; a tie goes to the range listed first); the text format
    /// 0.0.4 otherwise, also without an `Accept` header, for `*/*`, and when nothing in
    /// `Accept` matches (client_golang answers so too, rather than with `406`).
    ///
    /// **Encoding.** gzip when `Accept-Encoding` gives `gzip` (or `*`) a q-value above 0,
    /// unless it names `identity` with a higher one; the identity otherwise.
    ///
    /// # Errors
    ///
    /// The exposition's: a sync hook that panicked, a constant label without a value.
    ///
    /// ```
    /// # #[cfg(feature = "http")] {
    /// # mod metrics {
    /// #     geno_metrics::registry!("examples/quickstart.toml");
    /// # }
    /// let plain = metrics::METRICS.negotiate(None, None)?;
    /// assert_eq!(plain.content_type, geno_metrics::TEXT_CONTENT_TYPE);
    /// assert_eq!(plain.content_encoding, None);
    /// assert!(String::from_utf8(plain.body).unwrap().starts_with("# HELP demo_jobs_total"));
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn negotiate(
        &self,
        accept: Option<&str>,
        accept_encoding: Option<&str>,
    ) -> io::Result<Exposition> {
        let format = negotiate_format(accept);
        let gzip = accepts_gzip(accept_encoding);
        self.run_sync_hooks()
            .map_err(|panic| panic.into_io_error())?;
        let mut body = Vec::with_capacity(16 * 1024);
        self.encode_without_hooks(&mut body, format)?;
        let content_encoding = if gzip {
            let mut encoder =
                GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
            encoder.write_all(&body)?;
            body = encoder.finish()?;
            Some("gzip")
        } else {
            None
        };
        Ok(Exposition {
            content_type: match format {
                Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
                Format::Text => TEXT_CONTENT_TYPE,
            },
            content_encoding,
            body,
        })
    }

    /// Serves this registry on `addr`: `GET /metrics` and `HEAD /metrics` answer with
    /// [`negotiate`](Self::negotiate)'s exposition; another path is `404`, another method on
    /// `/metrics` `405` (with `Allow: GET, HEAD`), an exposition that fails `500` with its
    /// error. The server runs on a thread of its own until the [`HttpServer`] is dropped.
    /// Bind to port 0 for any free port, and ask [`HttpServer::local_addr`] which.
    ///
    /// Robust against clients that misbehave: hyper parses every request; a request head
    /// must arrive within 10 s and fit in 16 KiB; at most 1,024 connections are open at once.
    /// Recording never waits on the server. Responses are encoded on the server's thread, and
    /// the sync hooks run there: keep them quick, as a slow hook delays every scrape.
    ///
    /// # Errors
    ///
    /// An address that does not resolve, cannot be bound (in use, not local, no permission):
    /// an error naming the address and what to do.
    ///
    /// ```
    /// # #[cfg(feature = "http")] {
    /// # mod metrics {
    /// #     geno_metrics::registry!("examples/quickstart.toml");
    /// # }
    /// use std::io::{Read, Write};
    /// let server = metrics::METRICS.serve_http("127.0.0.1:0")?;
    /// let mut stream = std::net::TcpStream::connect(server.local_addr())?;
    /// stream.write_all(b"GET /metrics HTTP/1.0\r\n\r\n")?;
    /// let mut response = String::new();
    /// stream.read_to_string(&mut response)?;
    /// assert!(response.starts_with("HTTP/1.0 200 OK"));
    /// assert!(response.contains("\r\ncontent-type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    /// assert!(response.contains("\r\n\r\n# HELP demo_jobs_total Jobs finished.\n"));
    /// drop(server); // stops it
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn serve_http(
        &'static self,
        addr: impl ToSocketAddrs + fmt::Debug,
    ) -> io::Result<HttpServer> {
        let addrs: Vec<SocketAddr> = addr
            .to_socket_addrs()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot serve metrics on {addr:?}: the address does not resolve: {e}; give a host and a port, e.g. \"0.0.0.0:9464\" or \"127.0.0.1:0\""
                    ),
                )
            })?
            .collect();
        let described = format!("{addr:?}");
        // The runtime is built, used and dropped on the server's thread only: dropped on the
        // caller's, inside an async context of its own, it would panic.
        let (started, start) = std::sync::mpsc::channel::<io::Result<SocketAddr>>();
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("geno-metrics-http".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .enable_time()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = started.send(Err(io::Error::new(
                            e.kind(),
                            format!(
                                "cannot serve metrics on {described}: cannot start its runtime: {e}"
                            ),
                        )));
                        return;
                    }
                };
                let bound = {
                    let _runtime = runtime.enter();
                    listen(&addrs)
                        .and_then(|listener| Ok((listener.local_addr()?, listener)))
                        .map_err(|e| bind_error(&described, &addrs, &e))
                };
                match bound {
                    Ok((local_addr, listener)) => {
                        let _ = started.send(Ok(local_addr));
                        runtime.block_on(accept_loop(self, listener, stopped));
                    }
                    Err(e) => {
                        let _ = started.send(Err(e));
                    }
                }
                // Connections still open are dropped.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot serve metrics on {addr:?}: cannot start its thread: {e}"),
                )
            })?;
        let local_addr = match start.recv() {
            Ok(Ok(local_addr)) => local_addr,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(io::Error::other(format!(
                    "cannot serve metrics on {addr:?}: the server's thread ended before it listened"
                )));
            }
        };
        Ok(HttpServer {
            local_addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A listening socket on the first of `addrs` that can be bound, with a queue of pending
/// connections as long as the server's connection limit (std's is 128: a burst of scrapers
/// past that would have connections dropped and retried a second later).
fn listen(addrs: &[SocketAddr]) -> io::Result<tokio::net::TcpListener> {
    let mut last = io::Error::new(
        io::ErrorKind::InvalidInput,
        "the address resolves to nothing",
    );
    for addr in addrs {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        // As std's bind does on Unix: a restarted server binds its port at once.
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        match socket
            .bind(*addr)
            .and_then(|()| socket.listen(MAX_CONNECTIONS as u32))
        {
            Ok(listener) => return Ok(listener),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A bind that failed, said with the address as given, what it resolved to, and the likely
/// remedy.
fn bind_error(described: &str, addrs: &[SocketAddr], e: &io::Error) -> io::Error {
    let tried: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    let resolved = match tried.as_slice() {
        [] => " (it resolves to no address)".to_owned(),
        [one] if format!("{one:?}") == described => String::new(),
        _ => format!(" (resolved to {})", tried.join(", ")),
    };
    let hint = match e.kind() {
        io::ErrorKind::AddrInUse => {
            "; another process listens there: pick another port, or port 0 for any free one"
        }
        io::ErrorKind::AddrNotAvailable => {
            "; the address is not one of this host's: use 0.0.0.0, 127.0.0.1 or an address of one of its interfaces"
        }
        io::ErrorKind::PermissionDenied => {
            "; ports below 1024 need privileges: use a port above 1024"
        }
        _ => "",
    };
    io::Error::new(
        e.kind(),
        format!("cannot serve metrics on {described}{resolved}: {e}{hint}"),
    )
}

/// A running `/metrics` server (see [`Registry::serve_http`]). Dropping it stops the server:
/// it closes the listening socket and every connection, and joins its thread.
#[derive(Debug)]
#[must_use = "the server stops when dropped"]
pub struct HttpServer {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// The address the server listens on: the port the system chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until told to stop, each served on a task of its own.
async fn accept_loop(
    registry: &'static Registry,
    listener: tokio::net::TcpListener,
    mut stopped: oneshot::Receiver<()>,
) {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                // The answer goes out at once, not held back for the client's ACK.
                let _ = stream.set_nodelay(true);
                // Past the limit a connection is closed at once: memory stays bounded.
                let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
                    continue;
                };
                tokio::spawn(async move {
                    serve_connection(registry, stream).await;
                    drop(permit);
                });
            }
            // Out of file descriptors, a connection reset before it was accepted, ...: the
            // server goes on, after a pause that keeps it from spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

async fn serve_connection(registry: &'static Registry, stream: tokio::net::TcpStream) {
    let service = service_fn(move |request: Request<Incoming>| async move {
        Ok::<_, Infallible>(respond(registry, &request))
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_REQUEST_HEAD)
        .max_header_size(MAX_REQUEST_HEAD);
    // A client that misbehaves ends its own connection, nothing else.
    let _ = http.serve_connection(TokioIo::new(stream), service).await;
}

/// The answer to one request.
fn respond(registry: &'static Registry, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != "/metrics" {
        return plain(
            StatusCode::NOT_FOUND,
            "not found: this server serves /metrics\n",
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed: /metrics answers GET and HEAD\n",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    // A header sent on several lines is one comma-separated list (RFC 9110, 5.3); a line that
    // is not visible ASCII counts for nothing.
    let header = |name| {
        let lines: Vec<&str> = request
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|value: &HeaderValue| value.to_str().ok())
            .collect();
        (!lines.is_empty()).then(|| lines.join(", "))
    };
    let (accept, accept_encoding) = (header(header::ACCEPT), header(header::ACCEPT_ENCODING));
    // Encoded on the server's thread: microseconds for a registry, less than a hand-off to
    // another thread would cost. A sync hook runs here too: keep hooks quick.
    match registry.negotiate(accept.as_deref(), accept_encoding.as_deref()) {
        Ok(exposition) => {
            let headers: Vec<_> = exposition.headers().collect();
            let mut response = Response::new(Full::new(Bytes::from(exposition.body)));
            for (name, value) in headers {
                response.headers_mut().insert(
                    header::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
            response
        }
        Err(e) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("cannot expose the metrics: {e}\n"),
        ),
    }
}

/// A `text/plain` response with `status`.
fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::copy_from_slice(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// How well a media range of `Accept` matches one of the two formats: how specific it is
/// (the most specific range that matches a type gives its q-value), its q-value, and where it
/// stands in the header.
#[derive(Debug, Clone, Copy)]
struct Match {
    specificity: u8,
    q: f32,
    position: usize,
}

/// The format `accept` prefers (see [`Registry::negotiate`]).
pub(crate) fn negotiate_format(accept: Option<&str>) -> Format {
    let Some(accept) = accept else {
        return Format::Text;
    };
    let mut openmetrics: Option<Match> = None;
    let mut text: Option<Match> = None;
    // A range that does not parse is left out, as client_golang leaves it.
    for (position, range) in MediaTypeList::new(accept).enumerate() {
        let Ok(range) = range else { continue };
        let Some(q) = q_value(&range) else { continue };
        let candidate = |specificity| Match {
            specificity,
            q,
            position,
        };
        if let Some(specificity) = specificity(
            &range,
            "application",
            "openmetrics-text",
            &["1.0.0", "0.0.1"],
        ) {
            keep_more_specific(&mut openmetrics, candidate(specificity));
        }
        if let Some(specificity) = specificity(&range, "text", "plain", &["0.0.4", "1.0.0"]) {
            keep_more_specific(&mut text, candidate(specificity));
        }
    }
    match (openmetrics, text) {
        (Some(om), Some(text))
            if om.q > text.q || (om.q == text.q && om.q > 0.0 && om.position < text.position) =>
        {
            Format::OpenMetrics
        }
        (Some(om), None) if om.q > 0.0 => Format::OpenMetrics,
        _ => Format::Text,
    }
}

/// How specifically `range` names `ty/subty` with one of `versions` (3: the type with a
/// matching `version`, 2: the type without one, 1: `ty/*`, 0: `*/*`), or `None` when it does
/// not match.
fn specificity(range: &MediaType<'_>, ty: &str, subty: &str, versions: &[&str]) -> Option<u8> {
    let same = |a: &Name<'_>, b: &str| a.as_str().eq_ignore_ascii_case(b);
    if same(&range.ty, "*") {
        return Some(0);
    }
    if !same(&range.ty, ty) {
        return None;
    }
    if same(&range.subty, "*") {
        return Some(1);
    }
    if !same(&range.subty, subty) {
        return None;
    }
    let version = Name::new("version").and_then(|name| range.get_param(name));
    match version {
        None => Some(2),
        Some(version) if versions.contains(&version.unquoted_str().as_ref()) => Some(3),
        Some(_) => None,
    }
}

fn keep_more_specific(best: &mut Option<Match>, candidate: Match) {
    if best.is_none_or(|best| candidate.specificity > best.specificity) {
        *best = Some(candidate);
    }
}

/// A range's q-value: 1 when it has none; `None` when it is not a number from 0 to 1.
fn q_value(range: &MediaType<'_>) -> Option<f32> {
    match Name::new("q").and_then(|name| range.get_param(name)) {
        None => Some(1.0),
        Some(q) => q
            .unquoted_str()
            .parse::<f32>()
            .ok()
            .filter(|q| (0.0..=1.0).contains(q)),
    }
}

/// Whether `accept_encoding` lets the body be gzipped (see [`Registry::negotiate`]).
///
/// `Accept-Encoding` is a list of content codings with optional q-values (RFC 9110, 12.5.3):
/// `gzip, deflate;q=0.5, *;q=0`. No well-kept crate parses it alone (promhttp has its own
/// few lines too), so this does: elements split at commas, a coding and its parameters at
/// semicolons; an element that is not a coding with a valid q-value counts for nothing.
pub(crate) fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(accept_encoding) = accept_encoding else {
        return false;
    };
    let (mut gzip, mut any, mut identity) = (None, None, None);
    for element in accept_encoding.split(',') {
        let mut parts = element.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let mut q = Some(1.0f32);
        for parameter in parts {
            if let Some((name, value)) = parameter.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                q = value
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|q| (0.0..=1.0).contains(q));
            }
        }
        let Some(q) = q else { continue };
        let slot = if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            &mut gzip
        } else if coding == "*" {
            &mut any
        } else if coding.eq_ignore_ascii_case("identity") {
            &mut identity
        } else {
            continue;
        };
        slot.get_or_insert(q);
    }
    let gzip = gzip.or(any).unwrap_or(0.0);
    // The identity, always acceptable, wins only when the header prefers it by name.
    let identity = identity.unwrap_or(0.0);
    gzip > 0.0 && gzip >= identity
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_accept_and_its_q_values() {
        let om = Format::OpenMetrics;
        let text = Format::Text;
        for (accept, expected) in [
            (None, text),
            (Some(""), text),
            (Some("*/*"), text),
            (Some("text/plain"), text),
            (Some("text/plain;version=0.0.4"), text),
            (Some("application/openmetrics-text"), om),
            (
                Some("application/openmetrics-text; version=1.0.0; charset=utf-8"),
                om,
            ),
            (Some("application/openmetrics-text;version=0.0.1"), om),
            (Some("application/openmetrics-text;version=2.0.0"), text),
            // Prometheus 2.42's header.
            (
                Some(
                    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                ),
                om,
            ),
            // Prometheus 3's.
            (
                Some(
                    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
                ),
                om,
            ),
            // A scrape configured for the text format first.
            (
                Some("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5"),
                text,
            ),
            (Some("application/openmetrics-text;q=0, */*"), text),
            (
                Some("text/plain;q=0, application/openmetrics-text;q=0.1"),
                om,
            ),
            (Some("text/*;q=0.2, application/*;q=0.3"), om),
            // The most specific range gives the q-value: text/plain is refused here.
            (
                Some("text/plain;q=0, text/*, application/openmetrics-text;q=0.5"),
                om,
            ),
            // Ties go to the range listed first.
            (Some("application/openmetrics-text, text/plain"), om),
            (Some("text/plain, application/openmetrics-text"), text),
            (Some("application/json"), text),
            (Some("garbage,,; ;=,application/openmetrics-text"), om),
            (Some("application/openmetrics-text;q=abc"), text),
        ] {
            assert_eq!(negotiate_format(accept), expected, "{accept:?}");
        }
    }

    #[test]
    fn an_address_that_does_not_resolve_is_named_with_what_to_do() {
        let registry: &'static Registry = Box::leak(Box::new(Registry::new(&[], &[])));
        for addr in ["127.0.0.1", "localhost:notaport"] {
            let Err(e) = registry.serve_http(addr) else {
                panic!("{addr} was served")
            };
            let message = e.to_string();
            assert!(message.contains(&format!("{addr:?}")), "{message}");
            assert!(message.contains("give a host and a port"), "{message}");
        }
    }

    /// A service inside its own tokio runtime gets the error, not a panic from a runtime
    /// dropped in an async context.
    #[test]
    fn a_bind_error_inside_an_async_context_is_an_error_not_a_panic() {
        let registry: &'static Registry = Box::leak(Box::new(Registry::new(&[], &[])));
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let result = runtime.block_on(async { registry.serve_http(addr) });
        let message = result.unwrap_err().to_string();
        assert!(message.contains(&addr.to_string()), "{message}");
        assert!(message.contains("pick another port"), "{message}");
    }

    #[test]
    fn gzip_follows_accept_encoding_and_its_q_values() {
        for (accept_encoding, gzip) in [
            (None, false),
            (Some(""), false),
            (Some("gzip"), true),
            (Some("GZIP"), true),
            (Some("gzip, deflate, br"), true),
            (Some("deflate, br"), false),
            (Some("*"), true),
            (Some("gzip;q=0"), false),
            (Some("gzip;q=0.5, identity"), false),
            (Some("gzip;q=0.5, identity;q=0.1"), true),
            (Some("*;q=0, identity"), false),
            (Some("identity;q=0, *"), true),
            (Some("gzip;q=nope"), false),
            (Some("gzip;q=2"), false),
            (Some(" gzip ; q = 0.8 "), true),
            (Some(";;,,gzip"), true),
        ] {
            assert_eq!(accepts_gzip(accept_encoding), gzip, "{accept_encoding:?}");
        }
    }
}
