//! A GenoLeWM training job of several processes, one per rank, as a launcher starts them:
//! each `fleet_rank` process gets its `RANK` and `GENO_LEWM_LOG_DIR` from the environment and
//! writes its own textfile, `metrics.rank=<RANK>.prom`. The tests check what an operator of
//! such a job relies on, with the real tools on 127.0.0.1 (started and stopped by the tests):
//!
//! - one host: ranks sharing a log directory never share a file, and node_exporter serves
//!   every rank's series side by side, told apart by `rank`, with each file's values;
//! - a fleet: two hosts (two directories, two node_exporters) scraped by one Prometheus, whose
//!   sums over the fleet and per rank are the processes' own figures;
//! - a rank killed mid-run (SIGKILL) leaves a complete file and touches no other rank's; the
//!   directory stays readable for node_exporter; the restarted rank replaces its own file.
//!
//! The tools must be on PATH (`cargo xtask ci` installs `prometheus` and
//! `prometheus-node-exporter`); a missing one fails the test. `--nocapture` shows the figures:
//!
//! ```text
//! cargo test -p geno-metrics-tests --test fleet -- --nocapture
//! ```

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use geno_metrics_tests::servers::{self, Server, encode_query, http_get, parse_series};
use geno_metrics_tests::text_format::{self, parse_go_float};
use geno_metrics_tests::tools::{promtool_check, tool};
use geno_metrics_tests::{assert_complete_genolewm, fresh_dir, sample};

const FLEET_RANK: &str = env!("CARGO_BIN_EXE_fleet_rank");

/// How long a rank of a few hundred steps may take, on a loaded machine, before it is a hang.
const RANK_TIMEOUT: Duration = Duration::from_secs(60);

/// A fresh, empty directory for one test, removed first if an earlier run left it.
fn scratch(test: &str) -> PathBuf {
    fresh_dir(env!("CARGO_TARGET_TMPDIR"), "fleet", test)
}

/// A running `fleet_rank` process, killed if the test fails before it has finished.
struct Rank {
    rank: u32,
    child: Child,
}

impl Drop for Rank {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts rank `rank` exporting into `log_dir`, with `args` (`--steps N`, `--forever`, ...).
/// Its checkpoints go under `<scratch>/tmp` (its `TMPDIR`), so even a killed rank leaves
/// nothing outside the test's directory.
fn spawn_rank(rank: u32, log_dir: &Path, scratch: &Path, args: &[&str]) -> Rank {
    let child = Command::new(FLEET_RANK)
        .args(args)
        .env("RANK", rank.to_string())
        .env("GENO_LEWM_LOG_DIR", log_dir)
        .env("TMPDIR", scratch.join("tmp"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {FLEET_RANK}: {e}"));
    Rank { rank, child }
}

/// What a finished rank printed, checked against what it was asked to do.
#[derive(Debug)]
struct Finished {
    rank: u32,
    path: PathBuf,
    steps: u64,
    tokens: u64,
}

/// Waits for `rank` to finish (at most [`RANK_TIMEOUT`]) and reads its JSON line. The rank
/// must have succeeded, named itself `rank` (as the registry read it from `RANK`), written
/// `<log_dir>/metrics.rank=<rank>.prom` without a failed export, trained exactly `steps`
/// steps and timed each of them in phase `train`.
fn finish(mut rank: Rank, log_dir: &Path, steps: u64) -> Finished {
    let deadline = Instant::now() + RANK_TIMEOUT;
    let status = loop {
        if let Some(status) = rank.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "rank {} still running after {RANK_TIMEOUT:?}",
            rank.rank
        );
        thread::sleep(Duration::from_millis(10));
    };
    let (mut out, mut err) = (String::new(), String::new());
    rank.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    rank.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        status.success(),
        "rank {} failed ({status}):\n{out}{err}",
        rank.rank
    );
    let json: serde_json::Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("rank {}: no JSON line ({e}):\n{out}{err}", rank.rank));
    let number = |key: &str| {
        json[key]
            .as_u64()
            .unwrap_or_else(|| panic!("rank {}: no {key} in {json}", rank.rank))
    };
    assert_eq!(
        json["rank"],
        rank.rank.to_string(),
        "the rank the registry read from RANK"
    );
    assert_eq!(number("export_failures"), 0, "{json}\n{err}");
    assert_eq!(number("steps"), steps, "{json}");
    assert_eq!(
        number("train_step_observations"),
        steps,
        "one train-phase step duration per step: {json}"
    );
    let path = PathBuf::from(json["path"].as_str().unwrap());
    assert_eq!(
        path,
        log_dir.join(format!("metrics.rank={}.prom", rank.rank)),
        "the default textfile of rank {}",
        rank.rank
    );
    let tokens = number("tokens");
    assert!(tokens > 0, "{json}");
    Finished {
        rank: rank.rank,
        path,
        steps,
        tokens,
    }
}

/// Starts every `(rank, log dir, steps)` at once, then waits for all of them: ranks of one
/// job run side by side, exporting into the same directories at the same time.
fn run_side_by_side(ranks: &[(u32, &Path, u64)], scratch: &Path) -> Vec<Finished> {
    let running: Vec<Rank> = ranks
        .iter()
        .map(|&(rank, dir, steps)| spawn_rank(rank, dir, scratch, &["--steps", &steps.to_string()]))
        .collect();
    running
        .into_iter()
        .zip(ranks)
        .map(|(rank, &(_, dir, steps))| finish(rank, dir, steps))
        .collect()
}

/// The names in `dir` that end in `.prom` (what node_exporter reads), sorted.
fn prom_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".prom"))
        .collect();
    names.sort();
    names
}

/// `metrics.rank=0.prom`, ... for `ranks`.
fn rank_files(ranks: &[u32]) -> Vec<String> {
    ranks
        .iter()
        .map(|r| format!("metrics.rank={r}.prom"))
        .collect()
}

/// A series as the tests compare it: the sample's name and all its labels (`le` included).
type Series = (String, BTreeMap<String, String>);

/// Reads a rank's file strictly (`text_format::parse`), asserts every sample line carries
/// `rank="<rank>"` as its first label, and returns its samples.
fn read_rank_file(path: &Path, rank: u32) -> BTreeMap<Series, f64> {
    let bytes = fs::read(path).unwrap();
    let families = text_format::parse(&bytes)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    let mut samples = BTreeMap::new();
    for sample in families.into_iter().flat_map(|f| f.samples) {
        assert_eq!(
            sample.labels.first(),
            Some(&("rank".to_owned(), rank.to_string())),
            "{}: {sample:?} is not labelled with its rank first",
            path.display()
        );
        let labels = sample.labels.into_iter().collect();
        let previous = samples.insert((sample.name, labels), sample.value);
        assert!(previous.is_none(), "{}: a series twice", path.display());
    }
    samples
}

/// The sample lines of an exposition as node_exporter serves it, by series.
fn served_samples(text: &str) -> BTreeMap<Series, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            let value = parse_go_float(value).unwrap_or_else(|e| panic!("{l}: {e}"));
            (parse_series(series), value)
        })
        .collect()
}

/// Whether two sample values are the same float64 (NaN being the same as NaN).
fn same_value(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Starts node_exporter over `dir` (see [`servers::start_node_exporter`]); its first page must
/// say it read every file (`node_textfile_scrape_error 0`).
fn start_node_exporter(name: &'static str, dir: &Path, logs: &Path) -> (Server, u16, String) {
    let started = servers::start_node_exporter(name, dir, logs);
    assert_scrape_ok(&started.2);
    started
}

/// node_exporter read every `.prom` file of its directory.
fn assert_scrape_ok(exposed: &str) {
    assert!(
        exposed.lines().any(|l| l == "node_textfile_scrape_error 0"),
        "node_exporter could not read a file:\n{exposed}"
    );
}

#[test]
fn four_ranks_on_one_host_write_four_files_node_exporter_serves_side_by_side() {
    let promtool = tool("promtool");
    let dir = scratch("one_host");
    let logs = dir.join("textfiles");
    let steps = [100, 200, 300, 400];
    let ranks: Vec<(u32, &Path, u64)> = (0..4)
        .map(|r| (r, logs.as_path(), steps[r as usize]))
        .collect();
    let started = Instant::now();
    let finished = run_side_by_side(&ranks, &dir);
    let mut report = format!(
        "one host: {} processes side by side in {:?}\n",
        finished.len(),
        started.elapsed()
    );

    // One file per rank in the shared directory, and nothing else node_exporter would read.
    assert_eq!(prom_files(&logs), rank_files(&[0, 1, 2, 3]));

    let mut files = BTreeMap::new();
    for done in &finished {
        promtool_check(&promtool, &done.path);
        let samples = read_rank_file(&done.path, done.rank);
        let text = fs::read_to_string(&done.path).unwrap();
        assert_complete_genolewm(&text);
        let rank = format!("{{rank=\"{}\"}}", done.rank);
        assert_eq!(
            sample(&text, &format!("geno_lewm_train_steps_total{rank}")),
            done.steps
        );
        assert_eq!(
            sample(&text, &format!("geno_lewm_train_tokens_total{rank}")),
            done.tokens
        );
        report += &format!(
            "  rank {}: {} steps, {} tokens, {} series in {}\n",
            done.rank,
            done.steps,
            done.tokens,
            samples.len(),
            done.path.file_name().unwrap().to_string_lossy()
        );
        files.insert(done.rank, samples);
    }

    let (node, _, exposed) = start_node_exporter("node_exporter", &logs, &dir);
    drop(node);
    let served = served_samples(&exposed);
    let ours: BTreeSet<&str> = files
        .values()
        .flat_map(|s| s.keys().map(|(name, _)| name.as_str()))
        .collect();
    // Every file's series under the same name and labels, with the file's value.
    for (rank, samples) in &files {
        for (series, value) in samples {
            let got = served
                .get(series)
                .unwrap_or_else(|| panic!("node_exporter lacks {series:?} of rank {rank}"));
            assert!(
                same_value(*got, *value),
                "{series:?}: node_exporter {got}, file of rank {rank} {value}"
            );
        }
    }
    // Every GenoLeWM series (name and its own labels) four times, once per rank, and nothing
    // of ours that no file holds. An info metric's labels are what each rank says (its own
    // latest checkpoint), not part of the series' identity: there it is the name alone.
    let info_metrics: BTreeSet<&str> = geno_metrics_tests::genolewm::METRICS
        .specs()
        .iter()
        .filter(|s| s.kind == geno_metrics::MetricKind::Info)
        .map(|s| s.name)
        .collect();
    let mut by_series: BTreeMap<Series, Vec<String>> = BTreeMap::new();
    // node_exporter serves its own process metrics under the process collector's names,
    // without a rank: those are not ours.
    let node_exporters_own = |name: &str, labels: &BTreeMap<String, String>| {
        name.starts_with("process_") && !labels.contains_key("rank")
    };
    for ((name, labels), _) in served
        .iter()
        .filter(|((n, l), _)| ours.contains(n.as_str()) && !node_exporters_own(n, l))
    {
        let mut own = labels.clone();
        let rank = own
            .remove("rank")
            .unwrap_or_else(|| panic!("node_exporter serves {name}{labels:?} without rank"));
        if info_metrics.contains(name.as_str()) {
            own.clear();
        }
        by_series.entry((name.clone(), own)).or_default().push(rank);
    }
    assert_eq!(by_series.len(), files[&0].len(), "series per rank");
    for (series, mut ranks) in by_series.clone() {
        ranks.sort();
        assert_eq!(ranks, ["0", "1", "2", "3"], "the ranks of {series:?}");
    }
    report += &format!(
        "  node_exporter: {} GenoLeWM series x 4 ranks = {} samples, node_textfile_scrape_error 0",
        by_series.len(),
        4 * by_series.len()
    );
    println!("{report}");
}

/// The result of an instant query: each series' labels and value. `None` when Prometheus
/// does not answer (yet), or answers with no series.
fn query(port: u16, promql: &str) -> Option<Vec<(BTreeMap<String, String>, f64)>> {
    let body = http_get(
        port,
        &format!("/api/v1/query?query={}", encode_query(promql)),
    )?;
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    let result: Vec<_> = json["data"]["result"]
        .as_array()?
        .iter()
        .map(|series| {
            let labels = serde_json::from_value(series["metric"].clone()).unwrap();
            let value = parse_go_float(series["value"][1].as_str().unwrap()).unwrap();
            (labels, value)
        })
        .collect();
    (!result.is_empty()).then_some(result)
}

/// The value of a query that yields one series without labels, such as a sum over everything.
fn scalar(server: &mut Server, port: u16, promql: &str) -> f64 {
    let result = server.wait_for(promql, Duration::from_secs(10), || query(port, promql));
    assert_eq!(result.len(), 1, "{promql}: {result:?}");
    result[0].1
}

/// `promql` grouped by `label`: each value of the label with the query's value.
fn by_label(server: &mut Server, port: u16, promql: &str, label: &str) -> BTreeMap<String, f64> {
    let result = server.wait_for(promql, Duration::from_secs(10), || query(port, promql));
    result
        .into_iter()
        .map(|(labels, value)| (labels[label].clone(), value))
        .collect()
}

#[test]
fn one_prometheus_over_two_hosts_sums_the_ranks_of_the_fleet() {
    let dir = scratch("fleet");
    let (host_a, host_b) = (dir.join("host-a"), dir.join("host-b"));
    let finished = run_side_by_side(
        &[
            (0, &host_a, 100),
            (1, &host_a, 200),
            (2, &host_b, 300),
            (3, &host_b, 400),
        ],
        &dir,
    );
    assert_eq!(prom_files(&host_a), rank_files(&[0, 1]));
    assert_eq!(prom_files(&host_b), rank_files(&[2, 3]));

    let (_node_a, port_a, _) = start_node_exporter("node_exporter_a", &host_a, &dir);
    let (_node_b, port_b, _) = start_node_exporter("node_exporter_b", &host_b, &dir);
    let started = Instant::now();
    let (mut server, prom_port) = servers::start_prometheus(&[("geno", &[port_a, port_b])], &dir);
    // Both targets scraped: every rank's step counter is in.
    server.wait_for("all four ranks", Duration::from_secs(60), || {
        let count = query(prom_port, "count(geno_lewm_train_steps_total)")?;
        (count[0].1 == 4.0).then_some(())
    });
    let scraped_within = started.elapsed();

    let steps: u64 = finished.iter().map(|f| f.steps).sum();
    let tokens: u64 = finished.iter().map(|f| f.tokens).sum();
    let p = &mut server;
    let total_steps = scalar(p, prom_port, "sum(geno_lewm_train_steps_total)");
    assert_eq!(total_steps, steps as f64, "steps over the fleet");
    let per_rank = by_label(
        p,
        prom_port,
        "sum by (rank) (geno_lewm_train_steps_total)",
        "rank",
    );
    let expected: BTreeMap<String, f64> = finished
        .iter()
        .map(|f| (f.rank.to_string(), f.steps as f64))
        .collect();
    assert_eq!(per_rank, expected, "steps of each rank");
    let total_tokens = scalar(p, prom_port, "sum(geno_lewm_train_tokens_total)");
    assert_eq!(total_tokens, tokens as f64, "tokens over the fleet");
    let timed = scalar(
        p,
        prom_port,
        r#"sum(geno_lewm_train_step_duration_seconds_count{phase="train"})"#,
    );
    assert_eq!(
        timed, steps as f64,
        "one train-phase step duration per step"
    );
    let p90 = scalar(
        p,
        prom_port,
        "histogram_quantile(0.9, sum by (le) (geno_lewm_train_step_duration_seconds_bucket))",
    );
    // The same estimate from the four files: buckets added up by `le` over every rank and
    // phase, then interpolated as `histogram_quantile` does (`HistogramSnapshot::quantile`).
    let mut by_le: BTreeMap<u64, (f64, u64)> = BTreeMap::new();
    for f in &finished {
        for ((name, labels), value) in read_rank_file(&f.path, f.rank) {
            if name == "geno_lewm_train_step_duration_seconds_bucket" {
                let le = parse_go_float(&labels["le"]).unwrap();
                // f64 bounds ordered by their bits: all are positive.
                let entry = by_le.entry(le.to_bits()).or_insert((le, 0));
                entry.1 += value as u64;
            }
        }
    }
    let merged = geno_metrics::HistogramSnapshot {
        buckets: by_le.values().map(|(le, _)| *le).collect(),
        counts: by_le.values().map(|(_, n)| *n).collect(),
        sum: 0.0,
        count: by_le.values().last().map_or(0, |(_, n)| *n),
    };
    let expected_p90 = merged.quantile(0.9);
    assert!(
        p90.is_finite() && p90 > 0.0 && (p90 - expected_p90).abs() <= 1e-9 * expected_p90,
        "p90 step duration over the fleet: Prometheus {p90}, the files {expected_p90}"
    );
    let count = scalar(p, prom_port, "count(geno_lewm_train_steps_total)");
    assert_eq!(count, 4.0, "one step counter per rank");
    let per_host = by_label(
        p,
        prom_port,
        "count by (instance) (geno_lewm_train_steps_total)",
        "instance",
    );
    let expected: BTreeMap<String, f64> = [port_a, port_b]
        .iter()
        .map(|port| (format!("127.0.0.1:{port}"), 2.0))
        .collect();
    assert_eq!(per_host, expected, "ranks per host");

    println!(
        "fleet: {} processes on 2 hosts, all scraped by Prometheus within {scraped_within:?}\n\
         \x20 sum(geno_lewm_train_steps_total) = {total_steps} (the ranks printed {steps})\n\
         \x20 sum by (rank) (geno_lewm_train_steps_total) = {per_rank:?}\n\
         \x20 sum(geno_lewm_train_tokens_total) = {total_tokens} (the ranks printed {tokens})\n\
         \x20 sum(geno_lewm_train_step_duration_seconds_count{{phase=\"train\"}}) = {timed}\n\
         \x20 histogram_quantile(0.9, ...) over the fleet = {p90} s\n\
         \x20 count(geno_lewm_train_steps_total) = {count}; count by (instance) = {per_host:?}",
        finished.len()
    );
}

#[test]
fn a_rank_killed_mid_run_leaves_a_complete_file_and_the_others_untouched() {
    const RESTART_STEPS: u64 = 25;
    let promtool = tool("promtool");
    let dir = scratch("killed_rank");
    let logs = dir.join("textfiles");
    let finished = run_side_by_side(&[(0, &logs, 60), (1, &logs, 80)], &dir);
    let before: Vec<Vec<u8>> = finished
        .iter()
        .map(|f| fs::read(&f.path).unwrap())
        .collect();

    // Rank 2 trains without end, exporting every 10 ms: the test watches its file being
    // replaced, each time with more steps, and kills it at some moment of that loop.
    let target = logs.join("metrics.rank=2.prom");
    let mut rank2 = spawn_rank(2, &logs, &dir, &["--forever", "--interval-ms", "10"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = BTreeSet::new();
    while seen.len() < 8 || seen.last() <= Some(&RESTART_STEPS) {
        if let Some(status) = rank2.child.try_wait().unwrap() {
            let mut err = String::new();
            rank2
                .child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("rank 2 exited ({status}) before it was killed:\n{err}");
        }
        assert!(
            Instant::now() < deadline,
            "rank 2's file was replaced {} times in 30 s (steps seen: {seen:?})",
            seen.len()
        );
        if let Ok(text) = fs::read_to_string(&target) {
            seen.insert(sample(&text, "geno_lewm_train_steps_total{rank=\"2\"}"));
        }
        thread::sleep(Duration::from_millis(5));
    }
    rank2.child.kill().unwrap();
    let status = rank2.child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "rank 2 died of SIGKILL: {status}");

    // Its file is one of its exports, whole: every family, a final newline, its own rank.
    let text = fs::read_to_string(&target).unwrap();
    assert_complete_genolewm(&text);
    let series = read_rank_file(&target, 2).len();
    promtool_check(&promtool, &target);
    let killed_steps = sample(&text, "geno_lewm_train_steps_total{rank=\"2\"}");
    assert!(
        killed_steps >= *seen.last().unwrap(),
        "the file went back in time: {killed_steps} after {seen:?}"
    );
    // The finished ranks' files are byte for byte as they were.
    for (done, bytes) in finished.iter().zip(&before) {
        assert!(
            fs::read(&done.path).unwrap() == *bytes,
            "rank {}'s file changed",
            done.rank
        );
    }
    // Whatever the dead writer left is a hidden temporary file node_exporter does not read.
    assert_eq!(prom_files(&logs), rank_files(&[0, 1, 2]));
    let leftovers: Vec<String> = fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".prom"))
        .collect();
    for name in &leftovers {
        assert!(
            name.starts_with(".metrics.rank=2.prom.") && name.ends_with(".tmp"),
            "unexpected file {name} in {}",
            logs.display()
        );
    }
    let (_node, node_port, exposed) = start_node_exporter("node_exporter", &logs, &dir);
    let served = served_samples(&exposed);
    let steps_of = |served: &BTreeMap<Series, f64>, rank: &str| {
        let series = (
            "geno_lewm_train_steps_total".to_owned(),
            BTreeMap::from([("rank".to_owned(), rank.to_owned())]),
        );
        served.get(&series).copied()
    };
    assert_eq!(steps_of(&served, "0"), Some(60.0));
    assert_eq!(steps_of(&served, "1"), Some(80.0));
    assert_eq!(steps_of(&served, "2"), Some(killed_steps as f64));
    let report = format!(
        "killed rank: ranks 0 and 1 finished (60, 80 steps); rank 2 SIGKILLed after {} exports \
         seen, its file at {killed_steps} steps ({series} series, complete); {} temporary \
         file(s) left; node_textfile_scrape_error 0",
        seen.len(),
        leftovers.len()
    );

    // Restarted with the same RANK, rank 2 replaces its own file, and its first export tidies
    // the dead writer's temporary files.
    let restarted = finish(
        spawn_rank(2, &logs, &dir, &["--steps", &RESTART_STEPS.to_string()]),
        &logs,
        RESTART_STEPS,
    );
    assert_eq!(restarted.path, target);
    let entries: Vec<String> = {
        let mut names: Vec<String> = fs::read_dir(&logs)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        entries,
        rank_files(&[0, 1, 2]),
        "three files and nothing else"
    );
    let text = fs::read_to_string(&target).unwrap();
    assert_complete_genolewm(&text);
    promtool_check(&promtool, &target);
    assert_eq!(
        sample(&text, "geno_lewm_train_steps_total{rank=\"2\"}"),
        RESTART_STEPS
    );
    for (done, bytes) in finished.iter().zip(&before) {
        assert!(
            fs::read(&done.path).unwrap() == *bytes,
            "rank {}'s file changed",
            done.rank
        );
    }
    let exposed = http_get(node_port, "/metrics").unwrap();
    assert_scrape_ok(&exposed);
    let served = served_samples(&exposed);
    assert_eq!(steps_of(&served, "2"), Some(RESTART_STEPS as f64));
    println!(
        "{report}\n  restarted rank 2: {RESTART_STEPS} steps in the same file; {} .prom files, \
         nothing else",
        entries.len()
    );
}
