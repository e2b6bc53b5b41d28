//! Servers the tests start on 127.0.0.1 (node_exporter, Prometheus, the Pushgateway,
//! Alertmanager) and always stop, the requests the tests make of them, and how their answers
//! are read. A failure to start one panics: it is how a test fails.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process that is killed when the guard drops, also when a test fails.
pub struct Server {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `program` with `args`, its output going to `<dir>/<name>.log`.
    pub fn start(name: &'static str, program: &Path, args: &[String], dir: &Path) -> Server {
        let log = dir.join(format!("{name}.log"));
        let out = fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let err = out
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot share {}: {e}", log.display()));
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({}): {e}", program.display()));
        Server { name, child, log }
    }

    /// Panics with the server's log when it has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "{} exited ({status}):\n{}",
                self.name,
                fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }

    /// Polls `probe` until it answers, failing with the server's log after `timeout`.
    pub fn wait_for<T>(
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

/// A port that was free a moment ago on 127.0.0.1, and that no other call in this process
/// returned: the system hands a port just released to the next bind to port 0 now and then,
/// and two tests starting servers at once must not get the same one.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<BTreeSet<u16>> = std::sync::Mutex::new(BTreeSet::new());
    let mut handed_out = HANDED_OUT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"))
            .port();
        if handed_out.insert(port) {
            return port;
        }
    }
}

/// A minimal HTTP/1.0 GET on 127.0.0.1: the body of a 200 answer, `None` otherwise.
pub fn http_get(port: u16, path_and_query: &str) -> Option<String> {
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
pub fn encode_query(query: &str) -> String {
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

/// `name{a="x",b="y"}` (text format, values escaped) as the name and unescaped labels: a
/// lenient reader of the series node_exporter serves, which the strict
/// [`text_format`](crate::text_format) reader does not need to accept.
///
/// # Panics
///
/// When a label value is not quoted or its escape is cut off.
pub fn parse_series(series: &str) -> (String, BTreeMap<String, String>) {
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

/// Starts node_exporter's textfile collector (and no other) over `textfiles` on a free port,
/// its log in `logs`; returns it, its port and its first `/metrics` page.
pub fn start_node_exporter(
    name: &'static str,
    textfiles: &Path,
    logs: &Path,
) -> (Server, u16, String) {
    let port = free_port();
    let mut node = Server::start(
        name,
        &crate::tools::tool("prometheus-node-exporter"),
        &[
            "--collector.disable-defaults".into(),
            "--collector.textfile".into(),
            format!("--collector.textfile.directory={}", textfiles.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ],
        logs,
    );
    let exposed = node.wait_for("/metrics", Duration::from_secs(30), || {
        http_get(port, "/metrics")
    });
    (node, port, exposed)
}

/// Starts a Prometheus server on a free port, scraping every second one job per entry of
/// `jobs` (its name, and its targets as ports on 127.0.0.1); its configuration, storage and
/// log in `dir`. Returns it and its port.
pub fn start_prometheus(jobs: &[(&str, &[u16])], dir: &Path) -> (Server, u16) {
    let jobs: Vec<ScrapeJob<'_>> = jobs
        .iter()
        .map(|&(name, targets)| ScrapeJob {
            name,
            targets,
            honor_labels: false,
        })
        .collect();
    start_prometheus_jobs(&jobs, dir)
}

/// One scrape job of [`start_prometheus_jobs`].
#[derive(Debug, Clone, Copy)]
pub struct ScrapeJob<'a> {
    /// The job's name: the `job` label of what it scrapes (unless it honours the target's).
    pub name: &'a str,
    /// Its targets, as ports on 127.0.0.1.
    pub targets: &'a [u16],
    /// `honor_labels: true`: a scraped series keeps its own `job` and `instance` labels, as
    /// a Pushgateway's must.
    pub honor_labels: bool,
}

/// [`start_prometheus`] with a scrape option per job: `honor_labels` for a Pushgateway.
pub fn start_prometheus_jobs(jobs: &[ScrapeJob<'_>], dir: &Path) -> (Server, u16) {
    start_prometheus_with_rules(jobs, &[], None, dir)
}

/// [`start_prometheus_jobs`] that also loads the rule files `rules`, evaluates them every
/// second, and sends its alerts to the Alertmanager on port `alertmanager` of 127.0.0.1.
pub fn start_prometheus_with_rules(
    jobs: &[ScrapeJob<'_>],
    rules: &[&Path],
    alertmanager: Option<u16>,
    dir: &Path,
) -> (Server, u16) {
    let port = free_port();
    let config = dir.join("prometheus.yml");
    let mut yaml = String::from("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
    if !rules.is_empty() {
        let files: Vec<String> = rules.iter().map(|r| format!("'{}'", r.display())).collect();
        yaml.push_str(&format!("rule_files: [{}]\n", files.join(", ")));
    }
    if let Some(alertmanager) = alertmanager {
        yaml.push_str(&format!(
            "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{alertmanager}']\n"
        ));
    }
    yaml.push_str("scrape_configs:\n");
    for job in jobs {
        let targets: Vec<String> = job
            .targets
            .iter()
            .map(|t| format!("'127.0.0.1:{t}'"))
            .collect();
        yaml.push_str(&format!("  - job_name: {}\n", job.name));
        if job.honor_labels {
            yaml.push_str("    honor_labels: true\n");
        }
        yaml.push_str(&format!(
            "    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        ));
    }
    fs::write(&config, yaml).unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
    let server = Server::start(
        "prometheus",
        &crate::tools::tool("prometheus"),
        &[
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ],
        dir,
    );
    (server, port)
}

/// Starts an Alertmanager (Debian's `prometheus-alertmanager`) on a free port of 127.0.0.1,
/// alone (no cluster peers, no cluster port) and routing every alert to a receiver that
/// sends nothing; its configuration, storage and log in `dir`. Waits until it is ready and
/// returns it and its port. Its API lists the alerts it received: `/api/v2/alerts`.
pub fn start_alertmanager(dir: &Path) -> (Server, u16) {
    let port = free_port();
    let config = dir.join("alertmanager.yml");
    fs::write(
        &config,
        "route:\n  receiver: nowhere\n  group_wait: 0s\nreceivers:\n  - name: nowhere\n",
    )
    .unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
    let mut alertmanager = Server::start(
        "alertmanager",
        &crate::tools::tool("prometheus-alertmanager"),
        &[
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", dir.join("alertmanager").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".into(),
        ],
        dir,
    );
    alertmanager.wait_for("/-/ready", Duration::from_secs(30), || {
        http_get(port, "/-/ready")
    });
    (alertmanager, port)
}

/// Starts a Pushgateway (Debian's `prometheus-pushgateway`) on a free port of 127.0.0.1,
/// without persistence (its groups live and die with it), its log in `dir`, and waits until
/// it is ready. Returns it and its port. (Debian's package also starts a service on port
/// 9091 where systemd runs: the tests never use that one.)
pub fn start_pushgateway(dir: &Path) -> (Server, u16) {
    let port = free_port();
    let mut gateway = Server::start(
        "pushgateway",
        &crate::tools::tool("prometheus-pushgateway"),
        &[
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--persistence.file=".into(),
        ],
        dir,
    );
    gateway.wait_for("/-/ready", Duration::from_secs(30), || {
        http_get(port, "/-/ready")
    });
    (gateway, port)
}
