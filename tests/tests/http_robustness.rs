//! The `/metrics` server (`Registry::serve_http`, cargo feature `http`) against clients that
//! misbehave, under load, and where it cannot listen. Each test starts a server of its own on
//! 127.0.0.1 and stops it by dropping it; the registry is GenoLeWM's, shared by the whole file.
//!
//! - Hostile clients, each while a well-formed scraper (a plain `TcpStream`, `Connection:
//!   close`, read to EOF) keeps scraping: malformed request lines, a 64 KiB request head,
//!   a body on `GET` (sent, and announced but never sent), 1,000 idle connections, clients
//!   that send one byte a second. Every scrape, throughout, answers `200` within 1 s with a
//!   complete exposition the strict text reader accepts; the hostile client gets `400`/`431`
//!   or a closed connection; the server's memory stays within what its limits allow; no
//!   thread of the server panics (a panic hook counts them).
//! - Recording never waits on the server: 1,000,000 increments and observations while 50
//!   clients scrape in a loop, none of them blocking (the recording thread makes no voluntary
//!   context switch) and no batch of 10,000 stalled.
//! - Load: 8 threads record every kind while 50 scrapers, half asking the text format 0.0.4,
//!   half OpenMetrics 1.0, some gzipped, scrape for 10 s: every response complete and
//!   parseable (the strict reader; client_python's OpenMetrics parser on a sample of 200 and
//!   more), counters and histogram counts never decrease from one response to the next,
//!   histograms consistent in every response.
//! - A port in use and an address of another host: the error names the address and says
//!   what to do.
//!
//! - A burst of 1,000 new connections opens without a drop: the server's queue of pending
//!   connections is as long as its connection limit (std's 128 once made the kernel drop
//!   SYNs, the scraper's among them, delaying its scrape by a retransmission, 1 s).
//!
//! The tests that start servers run one at a time (a lock), so latencies, memory and
//! throughput are each test's own. `--nocapture` shows the figures:
//!
//! ```text
//! cargo test -p geno-metrics-tests --test http_robustness -- --nocapture
//! ```

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;
use geno_metrics::{HttpServer, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};
use geno_metrics_tests::genolewm::{
    DATALOADER_BATCH_WAIT_SECONDS, DATALOADER_RECORDS_SKIPPED_TOTAL, INFERENCE_REQUESTS_TOTAL,
    METRICS, Phase, Reason, Status, TRAIN_LOSS, TRAIN_STEP_DURATION_SECONDS, TRAIN_STEPS_TOTAL,
    TRAIN_TOKENS_TOTAL,
};
use geno_metrics_tests::text_format::{self, Kind};
use geno_metrics_tests::{assert_complete_genolewm, fresh_dir, python};

/// How long a scrape may take, connection to last byte, while the server is attacked.
const SCRAPE_DEADLINE: Duration = Duration::from_secs(1);

/// How long any read or write of a test waits before it counts as a hang.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

// Every observation this file makes into a histogram is the value given here, so a response
// must show `_sum` exactly `value x _count` (the values are small powers of two: their sums
// are exact in f64). A histogram not listed is never observed here: `_sum` and `_count` 0.
/// `DATALOADER_BATCH_WAIT_SECONDS` (bucket `le="1"`).
const BATCH_WAIT: f64 = 0.5;
/// `TRAIN_STEP_DURATION_SECONDS{phase="train"}` (bucket `le="0.1"`).
const TRAIN_STEP: f64 = 0.0625;
/// `TRAIN_STEP_DURATION_SECONDS{phase="eval"}` (bucket `le="0.25"`).
const EVAL_STEP: f64 = 0.25;

/// The value every observation of the histogram `family`'s series `phase` had in this file.
fn observed_value(family: &str, phase: Option<&str>) -> f64 {
    match (family, phase) {
        ("geno_lewm_dataloader_batch_wait_seconds", _) => BATCH_WAIT,
        ("geno_lewm_train_step_duration_seconds", Some("train")) => TRAIN_STEP,
        ("geno_lewm_train_step_duration_seconds", Some("eval")) => EVAL_STEP,
        _ => 0.0,
    }
}

/// The values the load test sets `TRAIN_LOSS` to (recorder `t` sets `1.5 + t`), and 0, its
/// value before: a response shows one of them, never a torn or made-up value.
fn is_a_loss_set(value: f64) -> bool {
    value == 0.0 || (0..8).any(|t| value == 1.5 + f64::from(t))
}

// --- one server test at a time; panics of the server counted -------------------------------

/// Panics on threads of the server (named `geno-metrics-http...`) since the process started.
static SERVER_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Serialises the tests that start servers: each measures latencies, memory and throughput
/// that another test's load would distort.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Takes the lock of the server tests, first installing the panic hook that counts the
/// server's panics (chained to the hook before it, which still prints them).
fn exclusive() -> MutexGuard<'static, ()> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if thread::current()
                .name()
                .is_some_and(|name| name.starts_with("geno-metrics"))
            {
                SERVER_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
    // A test that failed holding the lock leaves it poisoned; the next test goes on.
    ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner)
}

#[test]
fn the_panic_hook_counts_panics_of_the_server_threads() {
    // Guards the tests: a hook that missed the server's panics would prove nothing.
    let _one_at_a_time = exclusive();
    let before = SERVER_PANICS.load(Ordering::SeqCst);
    let probe = thread::Builder::new()
        .name("geno-metrics-http-probe".into())
        .spawn(|| panic!("a deliberate panic, to check the hook counts it"))
        .unwrap();
    assert!(probe.join().is_err());
    thread::spawn(|| panic!("a deliberate panic of another thread: not counted"))
        .join()
        .unwrap_err();
    assert_eq!(SERVER_PANICS.load(Ordering::SeqCst), before + 1);
}

fn serve() -> HttpServer {
    METRICS
        .serve_http("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("cannot start the server: {e}"))
}

// --- the process: memory, file descriptors, scheduling --------------------------------------

/// A field of `/proc/<path>` of the form `Name:   value ...`: its first number.
fn proc_status_field(path: &str, name: &str) -> u64 {
    let status = fs::read_to_string(path).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {path}:\n{status}"))
}

/// The process' resident memory, in KiB.
fn rss_kib() -> u64 {
    proc_status_field("/proc/self/status", "VmRSS")
}

/// How many file descriptors the process has open.
fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Raises the soft limit on open files to at least `needed`, up to the hard limit, or fails
/// saying how to raise the hard one.
fn allow_open_files(needed: u64) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    // Read and raised under one lock: two tests raising it at once never lower it.
    static RAISING: Mutex<()> = Mutex::new(());
    let _raising = RAISING.lock().unwrap_or_else(PoisonError::into_inner);
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_none_or(|soft| soft >= needed) {
        return;
    }
    assert!(
        limit.maximum.is_none_or(|hard| hard >= needed),
        "this test holds {needed} file descriptors open but the hard limit of open files \
         (RLIMIT_NOFILE) is {:?}: raise it (`ulimit -Hn {needed}` as root, `LimitNOFILE=` for \
         a systemd unit, `--ulimit nofile={needed}` for docker)",
        limit.maximum
    );
    let mut raised = limit;
    raised.current = Some(needed);
    setrlimit(Resource::Nofile, raised)
        .unwrap_or_else(|e| panic!("cannot raise the soft limit of open files to {needed}: {e}"));
}

/// The calling thread's voluntary context switches so far: each is a time the thread
/// blocked (on a lock, a futex, I/O, a sleep). Preemption counts elsewhere.
fn voluntary_context_switches() -> u64 {
    proc_status_field("/proc/thread-self/status", "voluntary_ctxt_switches")
}

// --- HTTP on the wire -----------------------------------------------------------------------

/// A response as read off the wire.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> Result<usize, String> {
        self.header("content-length")
            .ok_or_else(|| format!("no Content-Length: {:?}", self.headers))?
            .parse()
            .map_err(|e| format!("bad Content-Length: {e}"))
    }

    /// A response read to EOF: the head, and a body exactly as long as `Content-Length`.
    fn parse_whole(bytes: &[u8]) -> Result<Response, String> {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| format!("no end of head in {} bytes", bytes.len()))?;
        let mut reader = &bytes[..end + 4];
        let (status, headers) = read_head(&mut reader)
            .map_err(|e| e.to_string())?
            .ok_or("empty response")?;
        let response = Response {
            status,
            headers,
            body: bytes[end + 4..].to_vec(),
        };
        let length = response.content_length()?;
        if length != response.body.len() {
            return Err(format!(
                "truncated: Content-Length {length}, body {} bytes",
                response.body.len()
            ));
        }
        Ok(response)
    }
}

/// A response's status and headers.
type Head = (u16, Vec<(String, String)>);

/// Reads a status line and headers; `None` when the stream ends before its first byte.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let status = line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3)?.parse().ok())
        .ok_or_else(|| invalid(format!("not a status line: {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(invalid("the head ends before its blank line".into()));
        }
        let header = line
            .strip_suffix("\r\n")
            .ok_or_else(|| invalid(format!("not a CRLF line: {line:?}")))?;
        if header.is_empty() {
            return Ok(Some((status, headers)));
        }
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| invalid(format!("not a header: {header:?}")))?;
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
}

/// One scrape of a well-formed client: a new connection, `GET /metrics` with `Connection:
/// close`, read to EOF. Its time, or why it is not a `200` with a complete exposition the
/// strict text reader accepts, received within [`SCRAPE_DEADLINE`].
fn scrape(addr: SocketAddr) -> Result<Duration, String> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: scraper\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut bytes = Vec::with_capacity(32 * 1024);
    stream
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read after {} bytes: {e}", bytes.len()))?;
    let elapsed = started.elapsed();
    let response = Response::parse_whole(&bytes)?;
    if response.status != 200 {
        return Err(format!("status {}", response.status));
    }
    if response.header("content-type") != Some(TEXT_CONTENT_TYPE) {
        return Err(format!(
            "content type {:?}",
            response.header("content-type")
        ));
    }
    if !response.body.ends_with(b"\n") {
        return Err("the body does not end in a newline".into());
    }
    let families = text_format::parse(&response.body)?;
    // Every declared family, and the runtime's counter of dropped label values.
    if families.len() != METRICS.specs().len() + 1 {
        return Err(format!("{} families", families.len()));
    }
    if elapsed > SCRAPE_DEADLINE {
        return Err(format!("answered after {elapsed:?}"));
    }
    Ok(elapsed)
}

/// What a raw exchange got back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// A response with this status.
    Status(u16),
    /// The connection closed (or was reset) without a response.
    Closed,
}

/// Sends `request` on a new connection, says it has sent all (half-closes), and reads what
/// comes back until the server closes.
fn exchange(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    // The server may answer and close before it has read everything: a failed write is
    // fine, the answer tells.
    let _ = stream.write_all(request);
    let _ = stream.shutdown(Shutdown::Write);
    answer(&mut stream)
}

/// Reads to EOF (or a reset) and says what it was. A read that times out fails the test: the
/// server neither answered nor closed.
fn answer(stream: &mut TcpStream) -> Answer {
    let mut bytes = Vec::new();
    if let Err(e) = stream.read_to_end(&mut bytes) {
        assert!(
            !matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "neither an answer nor a close within {IO_TIMEOUT:?}"
        );
    }
    if bytes.is_empty() {
        return Answer::Closed;
    }
    let head = String::from_utf8_lossy(&bytes);
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3)?.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"));
    Answer::Status(status)
}

/// A keep-alive HTTP/1.1 connection that sends requests one after the other.
struct Client {
    stream: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream: BufReader::new(stream),
        }
    }

    /// Sends `request` (a whole request head) and reads the response, body by
    /// `Content-Length`.
    fn send(&mut self, request: &[u8]) -> Response {
        self.stream.get_mut().write_all(request).unwrap();
        let (status, headers) = read_head(&mut self.stream)
            .unwrap()
            .expect("the server closed the connection instead of answering");
        let mut response = Response {
            status,
            headers,
            body: Vec::new(),
        };
        let length = response.content_length().unwrap();
        response.body.resize(length, 0);
        self.stream.read_exact(&mut response.body).unwrap();
        response
    }
}

// --- the well-formed scraper that runs during each attack -----------------------------------

/// Latencies of `.1`s (scrapes, connects), summed up.
#[derive(Debug)]
struct Latencies(Vec<Duration>, &'static str);

impl Latencies {
    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        let index = ((sorted.len() - 1) as f64 * q).round() as usize;
        sorted[index]
    }
}

impl std::fmt::Display for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}, median {:.2?}, p99 {:.2?}, max {:.2?}",
            self.0.len(),
            self.1,
            self.quantile(0.5),
            self.quantile(0.99),
            self.quantile(1.0)
        )
    }
}

/// A thread that scrapes with [`scrape`] every few milliseconds until stopped.
struct Scraper {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    thread: JoinHandle<Vec<(Duration, Result<Duration, String>)>>,
}

impl Scraper {
    fn start(addr: SocketAddr) -> Scraper {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let (stop2, done2) = (Arc::clone(&stop), Arc::clone(&done));
        let thread = thread::Builder::new()
            .name("well-formed-scraper".into())
            .spawn(move || {
                let started = Instant::now();
                let mut log = Vec::new();
                while !stop2.load(Ordering::Acquire) {
                    let at = started.elapsed();
                    log.push((at, scrape(addr)));
                    done2.fetch_add(1, Ordering::Release);
                    thread::sleep(Duration::from_millis(5));
                }
                log
            })
            .unwrap();
        Scraper { stop, done, thread }
    }

    /// Waits until `more` scrapes have completed from now on: scrapes ran during whatever
    /// the test is holding. Fails after 10 s.
    fn wait_for(&self, more: usize, during: &str) {
        let target = self.done.load(Ordering::Acquire) + more;
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.done.load(Ordering::Acquire) < target {
            assert!(
                Instant::now() < deadline,
                "fewer than {more} scrapes completed in 10 s {during}"
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops, and asserts every scrape was a complete `200` within the deadline.
    fn finish(self) -> Latencies {
        self.stop.store(true, Ordering::Release);
        let log = self.thread.join().unwrap();
        let failures: Vec<String> = log
            .iter()
            .filter_map(|(at, result)| Some(format!("at {at:.2?}: {}", result.as_ref().err()?)))
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {} scrapes failed: {failures:#?}",
            failures.len(),
            log.len()
        );
        Latencies(
            log.into_iter().filter_map(|(_, r)| r.ok()).collect(),
            "scrapes",
        )
    }
}

/// A server under attack, a well-formed scraper scraping it all along, and the count of the
/// server's panics when it started.
struct Attack {
    name: &'static str,
    server: HttpServer,
    scraper: Scraper,
    panics: usize,
    _one_at_a_time: MutexGuard<'static, ()>,
}

impl Attack {
    /// Starts the server and the scraper, and waits for the scraper's first answers.
    fn start(name: &'static str) -> Attack {
        let one_at_a_time = exclusive();
        let panics = SERVER_PANICS.load(Ordering::SeqCst);
        let server = serve();
        let scraper = Scraper::start(server.local_addr());
        scraper.wait_for(3, "before the attack");
        Attack {
            name,
            server,
            scraper,
            panics,
            _one_at_a_time: one_at_a_time,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Stops the scraper (asserting every scrape succeeded), stops the server by dropping it
    /// and asserts no thread of the server panicked.
    fn finish(self) -> Latencies {
        let latencies = self.scraper.finish();
        let stopping = Instant::now();
        drop(self.server);
        let stopped = stopping.elapsed();
        assert_eq!(
            SERVER_PANICS.load(Ordering::SeqCst),
            self.panics,
            "a thread of the server panicked during {}",
            self.name
        );
        println!(
            "{}: {latencies}; the server stopped in {stopped:.2?}",
            self.name
        );
        latencies
    }
}

// --- 1. hostile clients ---------------------------------------------------------------------

#[test]
fn malformed_request_lines_get_400_or_a_close_and_scrapes_go_on() {
    let attack = Attack::start("malformed request lines");
    let addr = attack.addr();
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let long_target = "a".repeat(10 * 1024);
    let garbage_10k = format!("GET /{long_target}\r\n\r\n");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage words", b"hello there, server\r\n\r\n".to_vec()),
        (
            "a TLS ClientHello (https:// to an http port)",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
        ),
        ("binary", binary),
        ("GET without a target or version", b"GET\r\n\r\n".to_vec()),
        ("GET without a version", b"GET /metrics\r\n\r\n".to_vec()),
        (
            "a 10 KiB request line without a version",
            garbage_10k.into_bytes(),
        ),
        (
            "an unknown HTTP version",
            b"GET /metrics HTTP/9.9\r\n\r\n".to_vec(),
        ),
        (
            "a space in the target",
            b"GET /met rics HTTP/1.1\r\n\r\n".to_vec(),
        ),
        (
            "a header without a colon",
            b"GET /metrics HTTP/1.1\r\nHost\r\n\r\n".to_vec(),
        ),
        (
            "a Content-Length that is not a number",
            b"GET /metrics HTTP/1.1\r\nContent-Length: abc\r\n\r\n".to_vec(),
        ),
        (
            "NUL in a header value",
            b"GET /metrics HTTP/1.1\r\nX-A: a\0b\r\n\r\n".to_vec(),
        ),
        ("CRLF CRLF only", b"\r\n\r\n".to_vec()),
        (
            "the HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00".to_vec(),
        ),
    ];
    let mut answers = Vec::new();
    for (what, request) in &cases {
        let answer = exchange(addr, request);
        assert!(
            matches!(answer, Answer::Status(400) | Answer::Closed),
            "{what}: {answer:?}, not 400 or a close"
        );
        answers.push(format!("{what}: {answer:?}"));
    }
    // Well-formed, if odd: a 10 KiB request line is within the 16 KiB head and answered as
    // any other path; blank lines before a request line are skipped (RFC 9112, 2.2); a
    // request line past 16 KiB is refused whole.
    let long_line = format!("GET /{long_target} HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(exchange(addr, long_line.as_bytes()), Answer::Status(404));
    assert_eq!(
        exchange(addr, b"\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
        Answer::Status(200)
    );
    let too_long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20 * 1024));
    let answer = exchange(addr, too_long.as_bytes());
    assert!(
        matches!(answer, Answer::Status(431) | Answer::Closed),
        "a 20 KiB request line: {answer:?}"
    );
    answers.push(format!("a 20 KiB request line: {answer:?}"));
    attack.scraper.wait_for(3, "after the malformed requests");
    attack.finish();
    println!("answers: {answers:#?}");
}

/// The growth of resident memory the attacks of memory may cause: the server holds at most
/// 1,024 connections, each with a request buffer of at most 16 KiB (hyper's `max_buf_size`;
/// it grows by doubling, so count 32 KiB of allocation), 32 MiB in all; the rest is slack for
/// the test's own threads and allocator. A server that buffered each 64 KiB head whole would
/// take 1,000 x 64 KiB = 62.5 MiB and fail.
const MEMORY_GROWTH_BOUND_KIB: u64 = 48 * 1024;

#[test]
fn a_64_kib_request_head_gets_431_and_memory_stays_bounded() {
    const CONNECTIONS: usize = 1_000;
    allow_open_files(open_fds() as u64 + 2 * CONNECTIONS as u64 + 256);
    let attack = Attack::start("64 KiB request heads");
    let addr = attack.addr();
    let rss_before = rss_kib();

    // Whole requests with 64 KiB of headers: refused with 431.
    let mut head = String::from("GET /metrics HTTP/1.1\r\nHost: x\r\n");
    for i in 0.. {
        if head.len() >= 64 * 1024 {
            break;
        }
        head.push_str(&format!("X-Padding-{i}: {}\r\n", "p".repeat(100)));
    }
    let mut answers = BTreeMap::new();
    for _ in 0..10 {
        let answer = exchange(addr, format!("{head}\r\n").as_bytes());
        assert!(
            matches!(answer, Answer::Status(431) | Answer::Closed),
            "64 KiB of headers: {answer:?}"
        );
        *answers.entry(format!("{answer:?}")).or_insert(0) += 1;
    }

    // 1,000 connections, each sending 64 KiB of headers that never end: the server reads
    // 16 KiB of each, answers 431 and closes. Sent by 4 threads, 250 connections each, one
    // after the other (a burst of new connections is another attack: see
    // `a_burst_of_new_connections_delays_no_connection_and_no_scrape`).
    let started = Instant::now();
    let refused: Vec<Vec<Answer>> = thread::scope(|scope| {
        let senders: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    (0..CONNECTIONS / 4)
                        .map(|_| {
                            let mut stream = TcpStream::connect(addr).unwrap();
                            stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
                            stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
                            // Cut short by the server's close: the answer tells.
                            let _ = stream.write_all(head.as_bytes());
                            answer(&mut stream)
                        })
                        .collect()
                })
            })
            .collect();
        senders.into_iter().map(|s| s.join().unwrap()).collect()
    });
    for answer in refused.iter().flatten() {
        assert!(
            matches!(answer, Answer::Status(431) | Answer::Closed),
            "64 KiB of headers, unfinished: {answer:?}"
        );
        *answers.entry(format!("{answer:?}")).or_insert(0) += 1;
    }
    let refused_in = started.elapsed();
    attack.scraper.wait_for(3, "after 1,000 64 KiB heads");
    let rss_after_refused = rss_kib();

    // The worst a head can do within the limit: 1,000 connections each holding 15 KiB of a
    // head it never finishes, all buffered by the server at once.
    let partial = &head.as_bytes()[..15 * 1024];
    let held = open_accepted(addr, CONNECTIONS, |stream| {
        stream.write_all(partial).unwrap()
    });
    attack
        .scraper
        .wait_for(10, "while 1,000 connections hold 15 KiB heads");
    let rss_held = rss_kib();
    // Still open: the server waits for the rest, within its 10 s for a head.
    for stream in &held {
        stream.set_nonblocking(true).unwrap();
        let mut byte = [0u8];
        assert!(
            matches!((&*stream).read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock),
            "a connection with an unfinished head was closed before its 10 s"
        );
    }
    drop(held);
    attack.scraper.wait_for(3, "after the held heads closed");
    let rss_after = rss_kib();
    attack.finish();

    let growth = rss_held
        .max(rss_after)
        .max(rss_after_refused)
        .saturating_sub(rss_before);
    println!(
        "answers to 64 KiB heads: {answers:?} (1,000, 4 at a time, in {refused_in:.2?}); VmRSS before \
         {rss_before} KiB, after 1,000 refused heads {rss_after_refused} KiB, with 1,000 \
         15 KiB heads held {rss_held} KiB, after {rss_after} KiB: growth {growth} KiB \
         (bound {MEMORY_GROWTH_BOUND_KIB} KiB)"
    );
    assert!(
        growth < MEMORY_GROWTH_BOUND_KIB,
        "resident memory grew by {growth} KiB, more than {MEMORY_GROWTH_BOUND_KIB} KiB"
    );
}

#[test]
fn a_body_on_get_is_never_read_as_a_request_and_scrapes_go_on() {
    let attack = Attack::start("a body on GET");
    let addr = attack.addr();

    // A 100,000-byte body made of requests for another path: if the server took the body for
    // requests, a 404 would come back for them.
    let smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut body: Vec<u8> = smuggled.iter().copied().cycle().take(100_000).collect();
    body.truncate(100_000 - 100_000 % smuggled.len());
    body.resize(100_000, b'x');
    let mut request =
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n".to_vec();
    request.extend_from_slice(&body);
    request.extend_from_slice(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || writer.write_all(&request));
    let started = Instant::now();
    let responses = read_responses(stream);
    let _ = sender.join().unwrap();
    assert!(
        !responses.is_empty(),
        "a GET with a body got no answer at all"
    );
    for response in &responses {
        assert_well_formed_scrape(response);
    }
    println!(
        "a GET with a 100,000-byte body: {} well-formed answer(s) in {:.2?}, then closed",
        responses.len(),
        started.elapsed()
    );

    // Bodies announced and never sent: the server answers without waiting for them (it
    // never reads a body; hyper then closes the connection rather than wait to skip it), and
    // other scrapes go on. 20 such connections at once.
    let held: Vec<(TcpStream, Response, Duration)> = (0..20)
        .map(|_| {
            let started = Instant::now();
            let mut client = Client::connect(addr);
            let response =
                client.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
            (client.stream.into_inner(), response, started.elapsed())
        })
        .collect();
    for (_, response, took) in &held {
        assert_well_formed_scrape(response);
        assert!(*took < SCRAPE_DEADLINE, "answered after {took:?}");
    }
    attack
        .scraper
        .wait_for(10, "while 20 connections owe a 100,000-byte body");
    let mut after = BTreeMap::new();
    for (mut stream, _, _) in held {
        stream.set_nonblocking(true).unwrap();
        let mut byte = [0u8];
        let state = match stream.read(&mut byte) {
            Ok(0) => "closed by the server".to_owned(),
            Ok(_) => "more bytes (a second response?)".to_owned(),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => "held open".to_owned(),
            Err(e) => format!("{:?}", e.kind()),
        };
        assert_ne!(state, "more bytes (a second response?)");
        *after.entry(state).or_insert(0) += 1;
    }
    attack.finish();
    println!("20 GETs announcing a body never sent: answered, then {after:?}");
}

/// Reads responses off `stream` until the server closes it: each must be whole.
fn read_responses(stream: TcpStream) -> Vec<Response> {
    let mut reader = BufReader::new(stream);
    let mut responses = Vec::new();
    loop {
        let head = match read_head(&mut reader) {
            Ok(Some(head)) => head,
            Ok(None) => return responses,
            // Closed with unread bytes: a reset, no more responses.
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return responses,
            Err(e) => panic!("after {} responses: {e}", responses.len()),
        };
        let mut response = Response {
            status: head.0,
            headers: head.1,
            body: Vec::new(),
        };
        response.body.resize(response.content_length().unwrap(), 0);
        reader
            .read_exact(&mut response.body)
            .unwrap_or_else(|e| panic!("a truncated response: {e}"));
        responses.push(response);
    }
}

/// Opens `n` connections to the server, each set up by `setup`, and returns once the server
/// has accepted them all: its ends are open files of this process too. At most 64 wait in the
/// listen queue at a time, far below its 128 places: a queue that overflows drops the
/// scraper's connection too (`a_burst_of_new_connections_delays_no_connection_and_no_scrape`).
fn open_accepted(
    addr: SocketAddr,
    n: usize,
    mut setup: impl FnMut(&mut TcpStream),
) -> Vec<TcpStream> {
    let fds_before = open_fds();
    let mut streams = Vec::with_capacity(n);
    while streams.len() < n {
        for _ in 0..(n - streams.len()).min(64) {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
            setup(&mut stream);
            streams.push(stream);
        }
        // Two files a connection; the scraper's own connection may come and go: 2 of slack.
        let deadline = Instant::now() + Duration::from_secs(5);
        while open_fds() + 2 < fds_before + 2 * streams.len() {
            assert!(
                Instant::now() < deadline,
                "the server accepted only about {} of {} connections in 5 s",
                open_fds()
                    .saturating_sub(fds_before)
                    .saturating_sub(streams.len()),
                streams.len()
            );
            thread::sleep(Duration::from_millis(1));
        }
    }
    streams
}

fn assert_well_formed_scrape(response: &Response) {
    assert_eq!(response.status, 200, "{response:?}");
    let text = std::str::from_utf8(&response.body).unwrap();
    text_format::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}:\n{text}"));
    assert_complete_genolewm(text);
}

#[test]
fn a_thousand_idle_connections_leave_scrapes_answered_within_1_s() {
    const IDLE: usize = 1_000;
    // Both ends of each connection are in this process.
    allow_open_files(open_fds() as u64 + 2 * IDLE as u64 + 256);
    let attack = Attack::start("1,000 idle connections");
    let addr = attack.addr();
    let rss_before = rss_kib();

    let started = Instant::now();
    let idle = open_accepted(addr, IDLE, |_| {});
    let opened_in = started.elapsed();
    attack
        .scraper
        .wait_for(20, "while 1,000 idle connections are held");
    let rss_held = rss_kib();
    let held_for = started.elapsed();
    assert!(
        held_for < Duration::from_secs(9),
        "the idle connections must be held (and checked) within the server's 10 s for a head; \
         took {held_for:?}"
    );

    // Dropping the server closes every connection it holds.
    let latencies = attack.scraper.finish();
    let stopping = Instant::now();
    drop(attack.server);
    let stopped_in = stopping.elapsed();
    assert_eq!(SERVER_PANICS.load(Ordering::SeqCst), attack.panics);
    for mut stream in idle {
        assert_eq!(answer(&mut stream), Answer::Closed);
    }
    let rss_after = rss_kib();
    let growth = rss_held.max(rss_after).saturating_sub(rss_before);
    println!(
        "1,000 idle connections: {latencies} while held; opened and accepted in {opened_in:.2?}; \
         the server stopped in {stopped_in:.2?}, closing them all; VmRSS before {rss_before} KiB, \
         held {rss_held} KiB, after {rss_after} KiB: growth {growth} KiB (bound \
         {MEMORY_GROWTH_BOUND_KIB} KiB)"
    );
    assert!(
        growth < MEMORY_GROWTH_BOUND_KIB,
        "resident memory grew by {growth} KiB, more than {MEMORY_GROWTH_BOUND_KIB} KiB"
    );
}

/// A burst of new connections, as fast as 8 threads open them, held open: each of them
/// (any could be Prometheus's) connects within 1 s, and the scraper's scrapes go on answered
/// within 1 s. With std's `TcpListener` (a listen queue of 128 places) the burst overflowed
/// the queue (`nstat TcpExtListenOverflows` counts it) and the kernel dropped every SYN that
/// found it full, whoever sent it, so that `connect` waited for the SYN's retransmission, 1 s
/// later (then 3 s, 7 s). The server now listens with a queue as long as the 1,024
/// connections it admits: the burst is open in about 50 ms.
#[test]
fn a_burst_of_new_connections_delays_no_connection_and_no_scrape() {
    const BURST: usize = 1_000;
    allow_open_files(open_fds() as u64 + 2 * BURST as u64 + 256);
    let attack = Attack::start("a burst of 1,000 new connections");
    let addr = attack.addr();
    let started = Instant::now();
    let held: Vec<Vec<(TcpStream, Duration)>> = thread::scope(|scope| {
        let openers: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    (0..BURST / 8)
                        .map(|_| {
                            let connecting = Instant::now();
                            let stream = TcpStream::connect(addr).unwrap();
                            (stream, connecting.elapsed())
                        })
                        .collect()
                })
            })
            .collect();
        openers.into_iter().map(|o| o.join().unwrap()).collect()
    });
    let opened_in = started.elapsed();
    let connects = Latencies(
        held.iter().flatten().map(|(_, took)| *took).collect(),
        "connects",
    );
    attack
        .scraper
        .wait_for(10, "while the burst's connections are held");
    drop(held);
    let latencies = attack.finish();
    println!(
        "a burst of {BURST} connections, open in {opened_in:.2?}: {connects}; \
         {latencies}"
    );
    assert!(
        connects.quantile(1.0) < Duration::from_secs(1),
        "a connection of the burst waited {:?} to connect: its SYN was dropped",
        connects.quantile(1.0)
    );
}

#[test]
fn clients_sending_a_byte_a_second_neither_delay_scrapes_nor_outlast_the_head_timeout() {
    const SLOW: usize = 8;
    let attack = Attack::start("clients sending a byte a second");
    let addr = attack.addr();
    let request =
        b"GET /metrics HTTP/1.1\r\nHost: slow.example\r\nUser-Agent: one-byte-a-second\r\n\r\n";
    let mut slow: Vec<(TcpStream, Instant, Option<Duration>)> = (0..SLOW)
        .map(|_| {
            let stream = TcpStream::connect(addr).unwrap();
            stream.set_nonblocking(true).unwrap();
            (stream, Instant::now(), None)
        })
        .collect();
    // One byte a second each (never the whole request: it is longer than 10 bytes), until
    // the server closes them: hyper gives a head 10 s from the connection's start, bytes or
    // not. Scrapes go on all along.
    let started = Instant::now();
    let mut sent = 0;
    while slow.iter().any(|(_, _, closed)| closed.is_none()) {
        assert!(
            started.elapsed() < Duration::from_secs(14),
            "a client sending a byte a second still connected after 14 s"
        );
        for (stream, connected, closed) in slow.iter_mut().filter(|(_, _, c)| c.is_none()) {
            let mut byte = [0u8];
            let gone = match stream.read(&mut byte) {
                Ok(0) => true,
                Ok(_) => panic!("a response to a request never finished"),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    stream.write(&request[sent..=sent]).is_err()
                }
                Err(_) => true,
            };
            if gone {
                *closed = Some(connected.elapsed());
            }
        }
        sent += 1;
        thread::sleep(Duration::from_secs(1));
    }
    let latencies = attack.finish();
    let closed_after: Vec<Duration> = slow.iter().filter_map(|(_, _, c)| *c).collect();
    println!(
        "{SLOW} clients sending a byte a second: {} scrapes meanwhile; {sent} bytes sent each; \
         closed by the server after {closed_after:.1?}",
        latencies.0.len()
    );
    for after in closed_after {
        // Checked once a second: the close is seen up to a second late.
        assert!(
            (Duration::from_secs(9)..Duration::from_secs(12)).contains(&after),
            "closed after {after:?}, not at the 10 s head timeout"
        );
    }
}

// --- 2. recording never waits on the server --------------------------------------------------

/// How one recording run went.
#[derive(Debug)]
struct Recording {
    wall: Duration,
    /// On the recording thread's CPU clock.
    slowest_batch: Duration,
    cpu: Duration,
    voluntary_switches: u64,
}

const RECORDINGS: u64 = 1_000_000;
const BATCH: u64 = 10_000;

/// Records [`RECORDINGS`] increments and observations on a thread of its own, timing each
/// batch of [`BATCH`] on the thread's CPU clock.
fn record() -> Recording {
    thread::Builder::new()
        .name("recorder".into())
        .spawn(|| {
            let mut batches = Vec::with_capacity((RECORDINGS / BATCH) as usize);
            let (switches, cpu) = (
                voluntary_context_switches(),
                geno_metrics_tests::thread_cpu_ns(),
            );
            let started = Instant::now();
            for _ in 0..RECORDINGS / BATCH {
                // On the thread's CPU clock: time preempted by the scrapers (involuntary, and
                // on a loaded 2-core machine up to a scheduler's slice or more) is not the
                // recorder's; a recorder spinning until a scrape finished would be.
                let batch = geno_metrics_tests::thread_cpu_ns();
                for _ in 0..BATCH {
                    TRAIN_STEPS_TOTAL.inc();
                    DATALOADER_BATCH_WAIT_SECONDS.observe(BATCH_WAIT);
                }
                batches.push(Duration::from_nanos(
                    geno_metrics_tests::thread_cpu_ns() - batch,
                ));
            }
            let wall = started.elapsed();
            let (switches, cpu) = (
                voluntary_context_switches() - switches,
                geno_metrics_tests::thread_cpu_ns() - cpu,
            );
            Recording {
                wall,
                slowest_batch: batches.into_iter().max().unwrap(),
                cpu: Duration::from_nanos(cpu),
                voluntary_switches: switches,
            }
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn recording_never_waits_on_scrapes() {
    const SCRAPERS: usize = 50;
    let _one_at_a_time = exclusive();
    let panics = SERVER_PANICS.load(Ordering::SeqCst);
    let steps_before = TRAIN_STEPS_TOTAL.get();
    // Without scrapes: the better of two runs (the first warms caches and pages).
    let alone = [record(), record()]
        .into_iter()
        .min_by_key(|r| r.cpu)
        .unwrap();

    let server = serve();
    let addr = server.local_addr();
    let stop = AtomicBool::new(false);
    let responses = AtomicU64::new(0);
    let (scraped, during) = thread::scope(|scope| {
        for _ in 0..SCRAPERS {
            scope.spawn(|| {
                let mut client = Client::connect(addr);
                while !stop.load(Ordering::Acquire) {
                    let response = client.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
                    assert_eq!(response.status, 200);
                    responses.fetch_add(1, Ordering::AcqRel);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while responses.load(Ordering::Acquire) < 2 * SCRAPERS as u64 {
            assert!(Instant::now() < deadline, "the scrapers got no answers");
            thread::sleep(Duration::from_millis(1));
        }
        let before = responses.load(Ordering::Acquire);
        let during = record();
        let scraped = responses.load(Ordering::Acquire) - before;
        stop.store(true, Ordering::Release);
        (scraped, during)
    });
    drop(server);

    println!(
        "{RECORDINGS} increments + observations, alone: {:.2?} wall, {:.2?} on CPU, slowest \
         batch of {BATCH} {:.2?} on CPU; with {SCRAPERS} clients scraping ({scraped} responses \
         meanwhile): {:.2?} wall, {:.2?} on CPU, slowest batch {:.2?}, voluntary context \
         switches {} (alone {})",
        alone.wall,
        alone.cpu,
        alone.slowest_batch,
        during.wall,
        during.cpu,
        during.slowest_batch,
        during.voluntary_switches,
        alone.voluntary_switches
    );
    assert_eq!(
        TRAIN_STEPS_TOTAL.get() - steps_before,
        3 * RECORDINGS,
        "every increment counted"
    );
    assert!(
        scraped >= 10,
        "only {scraped} scrapes ran while recording: the two did not overlap"
    );
    // The proof that recording never waits: a thread that blocked (on a lock, a futex, a
    // condition variable) would have switched out voluntarily; atomics never do. Preemption
    // by the 50 scrapers on this 2-core machine is involuntary and not counted.
    assert_eq!(
        during.voluntary_switches, 0,
        "the recording thread blocked while scrapes ran"
    );
    // No spinning either. A batch of 10,000 takes well under a millisecond of CPU; a recorder
    // that spun until scrapes finished (each takes about a millisecond, 50 of them queue)
    // would burn more than 100 ms of its own CPU in some batch. (Wall time would count the
    // scrapers' turns on the 2 cores too, which says nothing about the recorder.)
    assert!(
        during.slowest_batch < Duration::from_millis(100),
        "a batch of {BATCH} took {:?} while scrapes ran",
        during.slowest_batch
    );
    // Throughput on the CPU, scheduling left out: contention for the cache lines the
    // encoder reads may slow it, a generous factor of 10 does not.
    assert!(
        during.cpu < alone.cpu * 10 + Duration::from_millis(10),
        "recording took {:?} of CPU with scrapes, {:?} without",
        during.cpu,
        alone.cpu
    );
    assert_eq!(SERVER_PANICS.load(Ordering::SeqCst), panics);
}

// --- 3. load ---------------------------------------------------------------------------------

/// What one load scraper asks for.
#[derive(Debug, Clone, Copy)]
struct Ask {
    openmetrics: bool,
    gzip: bool,
}

impl Ask {
    fn of(scraper: usize) -> Ask {
        Ask {
            openmetrics: scraper % 2 == 1,
            gzip: scraper % 4 >= 2,
        }
    }

    fn request(self) -> Vec<u8> {
        let accept = if self.openmetrics {
            "Accept: application/openmetrics-text;version=1.0.0\r\n"
        } else {
            "Accept: text/plain;version=0.0.4\r\n"
        };
        let encoding = if self.gzip {
            "Accept-Encoding: gzip\r\n"
        } else {
            ""
        };
        format!("GET /metrics HTTP/1.1\r\nHost: load\r\n{accept}{encoding}\r\n").into_bytes()
    }

    /// The exposition in `response`, checked against what was asked, decompressed.
    fn body(self, response: &Response) -> String {
        assert_eq!(response.status, 200, "{response:?}");
        let content_type = if self.openmetrics {
            OPENMETRICS_CONTENT_TYPE
        } else {
            TEXT_CONTENT_TYPE
        };
        assert_eq!(response.header("content-type"), Some(content_type));
        let body = if self.gzip {
            assert_eq!(response.header("content-encoding"), Some("gzip"));
            let mut plain = Vec::new();
            // Reads to the gzip trailer and checks its CRC and length: a complete stream.
            GzDecoder::new(&response.body[..])
                .read_to_end(&mut plain)
                .unwrap_or_else(|e| panic!("not a whole gzip stream: {e}"));
            plain
        } else {
            assert_eq!(response.header("content-encoding"), None);
            response.body.clone()
        };
        String::from_utf8(body).unwrap()
    }
}

/// The monotone samples of one scraper's last response (counters, histogram buckets and
/// counts), by the sample's name and labels as written.
type Monotone = HashMap<String, f64>;

fn assert_not_decreasing(previous: &mut Monotone, key: String, value: f64) {
    if let Some(before) = previous.get(&key) {
        assert!(
            value >= *before,
            "{key} went down from {before} to {value} between two responses"
        );
    }
    previous.insert(key, value);
}

/// A text 0.0.4 response: the strict reader accepts it, every family is there, histograms
/// are consistent (cumulative buckets, `+Inf` == `_count`, `_sum` == value x `_count`), the
/// loss gauge is a value that was set, and nothing monotone went down since `previous`.
fn check_text(text: &str, previous: &mut Monotone) {
    let families = text_format::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}:\n{text}"));
    assert_complete_genolewm(text);
    for family in &families {
        match family.kind {
            Kind::Counter => {
                for s in &family.samples {
                    assert_not_decreasing(previous, format!("{}{:?}", s.name, s.labels), s.value);
                }
            }
            Kind::Gauge if family.name == TRAIN_LOSS.spec().name => {
                let value = family.samples[0].value;
                assert!(is_a_loss_set(value), "the loss gauge shows {value}");
            }
            Kind::Gauge => {}
            Kind::Histogram => {
                let mut series: BTreeMap<Vec<(String, String)>, Vec<&text_format::Sample>> =
                    BTreeMap::new();
                for s in &family.samples {
                    series.entry(s.series_labels()).or_default().push(s);
                    if !s.name.ends_with("_sum") {
                        assert_not_decreasing(
                            previous,
                            format!("{}{:?}", s.name, s.labels),
                            s.value,
                        );
                    }
                }
                for samples in series.values() {
                    let named = |suffix: &'static str| {
                        samples
                            .iter()
                            .filter(move |s| s.name == format!("{}{suffix}", family.name))
                    };
                    let buckets: Vec<f64> = named("_bucket").map(|s| s.value).collect();
                    let infinity = named("_bucket").next_back().and_then(|s| s.label("le"));
                    let count = named("_count").next().unwrap().value;
                    let sum = named("_sum").next().unwrap().value;
                    assert!(
                        buckets.windows(2).all(|w| w[0] <= w[1]),
                        "{} buckets not cumulative: {buckets:?}",
                        family.name
                    );
                    assert_eq!(infinity, Some("+Inf"));
                    assert_eq!(
                        buckets.last(),
                        Some(&count),
                        "{}: +Inf != _count",
                        family.name
                    );
                    let value = observed_value(&family.name, samples[0].label("phase"));
                    assert_eq!(
                        sum,
                        value * count,
                        "{}: _sum over other observations than _count",
                        family.name
                    );
                }
            }
        }
    }
}

/// An OpenMetrics response, read line by line (client_python reads a sample of them whole):
/// it ends in `# EOF`, and no counter, bucket or count went down since `previous`.
fn check_openmetrics(text: &str, previous: &mut Monotone) {
    assert!(text.ends_with("# EOF\n"), "no # EOF at the end:\n{text}");
    let mut monotone: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(declaration) = line.strip_prefix("# TYPE ") {
            let (name, kind) = declaration.split_once(' ').unwrap();
            match kind {
                "counter" => monotone = vec![format!("{name}_total")],
                "histogram" => monotone = vec![format!("{name}_bucket"), format!("{name}_count")],
                _ => monotone.clear(),
            }
        } else if !line.starts_with('#') {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let name = series.split('{').next().unwrap();
            if monotone.iter().any(|m| m == name) {
                let value: f64 = value.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
                assert_not_decreasing(previous, series.to_owned(), value);
            }
        }
    }
}

#[test]
fn under_load_every_response_is_complete_consistent_and_never_goes_back() {
    const RECORDERS: usize = 8;
    const SCRAPERS: usize = 50;
    const LOAD: Duration = Duration::from_secs(10);
    let _one_at_a_time = exclusive();
    let panics = SERVER_PANICS.load(Ordering::SeqCst);
    let dir = fresh_dir(env!("CARGO_TARGET_TMPDIR"), "http_robustness", "load");
    let server = serve();
    let addr = server.local_addr();
    let stop = AtomicBool::new(false);
    let models = ["dna-small", "dna-large", "rna", "protein"];

    let started = Instant::now();
    let kept = AtomicUsize::new(0);
    type Scraped = (Vec<Duration>, Vec<PathBuf>);
    let (recorded, per_scraper): (u64, Vec<Scraped>) = thread::scope(|scope| {
        let recorders: Vec<_> = (0..RECORDERS)
            .map(|t| {
                let stop = &stop;
                scope.spawn(move || {
                    let mut n = 0u64;
                    let reason = [Reason::BadHeader, Reason::UnknownBase][t % 2];
                    let model = models[t % models.len()];
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..100 {
                            TRAIN_STEPS_TOTAL.inc();
                            TRAIN_TOKENS_TOTAL.inc_by(512);
                            DATALOADER_RECORDS_SKIPPED_TOTAL.with(reason).inc();
                            INFERENCE_REQUESTS_TOTAL.with(model, Status::Ok).inc();
                            TRAIN_LOSS.set(1.5 + t as f64);
                            DATALOADER_BATCH_WAIT_SECONDS.observe(BATCH_WAIT);
                            TRAIN_STEP_DURATION_SECONDS
                                .with(Phase::Train)
                                .observe(TRAIN_STEP);
                            if n.is_multiple_of(4) {
                                TRAIN_STEP_DURATION_SECONDS
                                    .with(Phase::Eval)
                                    .observe(EVAL_STEP);
                            }
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        let scrapers: Vec<_> = (0..SCRAPERS)
            .map(|i| {
                let (stop, dir, kept) = (&stop, &dir, &kept);
                scope.spawn(move || {
                    let ask = Ask::of(i);
                    let request = ask.request();
                    let mut client = Client::connect(addr);
                    let mut previous = Monotone::new();
                    let (mut latencies, mut files) = (Vec::new(), Vec::new());
                    let mut last_kept: Option<Instant> = None;
                    while !stop.load(Ordering::Relaxed) {
                        let sent = Instant::now();
                        let response = client.send(&request);
                        latencies.push(sent.elapsed());
                        let text = ask.body(&response);
                        if ask.openmetrics {
                            check_openmetrics(&text, &mut previous);
                            // A sample for client_python: the first 8, then about one a
                            // second, spread over the whole run.
                            if files.len() < 8
                                || last_kept.is_none_or(|at| at.elapsed() >= Duration::from_secs(1))
                            {
                                let path = dir.join(format!("{i}-{}.om", latencies.len()));
                                fs::write(&path, &text).unwrap();
                                files.push(path);
                                kept.fetch_add(1, Ordering::Relaxed);
                                last_kept = Some(Instant::now());
                            }
                        } else {
                            check_text(&text, &mut previous);
                        }
                    }
                    (latencies, files)
                })
            })
            .collect();
        // 10 s, and longer on a slow machine until 200 OpenMetrics responses are kept.
        while started.elapsed() < LOAD
            || (kept.load(Ordering::Relaxed) < 200 && started.elapsed() < 2 * LOAD)
        {
            thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
        let recorded = recorders.into_iter().map(|r| r.join().unwrap()).sum();
        let scraped = scrapers.into_iter().map(|s| s.join().unwrap()).collect();
        (recorded, scraped)
    });
    let elapsed = started.elapsed();

    // Recording stopped: one more scrape shows exactly what the handles hold.
    let mut client = Client::connect(addr);
    let last = Ask::of(0).body(&client.send(&Ask::of(0).request()));
    let mut previous = Monotone::new();
    check_text(&last, &mut previous);
    let families = text_format::parse(last.as_bytes()).unwrap();
    let steps = families
        .iter()
        .find(|f| f.name == TRAIN_STEPS_TOTAL.spec().name)
        .unwrap();
    assert_eq!(steps.samples[0].value, TRAIN_STEPS_TOTAL.get() as f64);
    drop(client);
    drop(server);
    assert_eq!(SERVER_PANICS.load(Ordering::SeqCst), panics);

    let answered: Vec<usize> = per_scraper.iter().map(|(l, _)| l.len()).collect();
    assert!(
        answered.iter().all(|n| *n >= 1),
        "a scraper got no response in {elapsed:?}: {answered:?}"
    );
    let responses: usize = answered.iter().sum();
    let (latencies, files): (Vec<Vec<Duration>>, Vec<Vec<PathBuf>>) =
        per_scraper.into_iter().unzip();
    let latencies = Latencies(latencies.into_iter().flatten().collect(), "responses");
    let files: Vec<PathBuf> = files.into_iter().flatten().collect();
    assert!(
        files.len() >= 200,
        "only {} OpenMetrics responses sampled for client_python",
        files.len()
    );
    let reading = Instant::now();
    let paths: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();
    let read = python::read_openmetrics(&paths);
    let read_in = reading.elapsed();
    for (path, families) in paths.iter().zip(&read) {
        let families = families
            .as_ref()
            .unwrap_or_else(|e| panic!("client_python refuses {}: {e}", path.display()));
        assert_eq!(
            families.len(),
            METRICS.specs().len() + 1,
            "{}",
            path.display()
        );
        for family in families.iter().filter(|f| f.kind == "histogram") {
            let mut series: BTreeMap<Vec<(String, String)>, Vec<&python::Sample>> = BTreeMap::new();
            for s in &family.samples {
                let labels = s
                    .labels
                    .iter()
                    .filter(|(l, _)| *l != "le")
                    .map(|(l, v)| (l.clone(), v.clone()))
                    .collect();
                series.entry(labels).or_default().push(s);
            }
            for (labels, samples) in series {
                let named = |suffix: &'static str| {
                    samples
                        .iter()
                        .filter(move |s| s.name == format!("{}{suffix}", family.name))
                        .map(|s| s.float())
                };
                let buckets: Vec<f64> = named("_bucket").collect();
                let count = named("_count").next().unwrap();
                let sum = named("_sum").next().unwrap();
                assert!(
                    buckets.windows(2).all(|w| w[0] <= w[1]),
                    "{}",
                    path.display()
                );
                assert_eq!(buckets.last(), Some(&count), "{}", path.display());
                let phase = labels.iter().find(|(l, _)| l == "phase");
                let value = observed_value(&family.name, phase.map(|(_, v)| v.as_str()));
                assert_eq!(sum, value * count, "{} {}", family.name, path.display());
            }
        }
    }
    println!(
        "load: {RECORDERS} recorders ({recorded} rounds of every kind) and {SCRAPERS} scrapers \
         for {elapsed:.1?}: {responses} responses, {:.0} responses/s ({} to {} a scraper); \
         {latencies}; client_python read {} OpenMetrics responses in \
         {read_in:.2?}",
        responses as f64 / elapsed.as_secs_f64(),
        answered.iter().min().unwrap(),
        answered.iter().max().unwrap(),
        files.len()
    );
}

// --- 4. where the server cannot listen --------------------------------------------------------

#[test]
fn a_port_in_use_is_named_with_what_to_do() {
    // Its sockets would count among another test's open descriptors.
    let _one = exclusive();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let error = METRICS
        .serve_http(addr)
        .expect_err("serving on a port in use must fail");
    let message = error.to_string();
    println!("a port in use: {message}");
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse, "{message}");
    assert!(message.contains(&addr.to_string()), "{message}");
    assert!(
        message.contains("pick another port") && message.contains("port 0"),
        "says what to do: {message}"
    );
}

#[test]
fn an_address_not_of_this_host_is_named_with_what_to_do() {
    let _one = exclusive();
    // TEST-NET-1 (RFC 5737): never an address of this host.
    let error = METRICS
        .serve_http("192.0.2.1:0")
        .expect_err("serving on another host's address must fail");
    let message = error.to_string();
    println!("an address not of this host: {message}");
    assert_eq!(error.kind(), io::ErrorKind::AddrNotAvailable, "{message}");
    assert!(message.contains("192.0.2.1:0"), "{message}");
    assert!(
        message.contains("0.0.0.0") && message.contains("127.0.0.1"),
        "says what to do: {message}"
    );
}
