//! Crash safety of the textfile export: a process that exports in a tight loop is SIGKILLed at
//! random moments, and after every kill the target is a complete, valid file, or absent when no
//! export ever finished. The temporary files the dead writers left are then removed by the
//! next export to the same path, and nothing else in the directory is touched.
//!
//! `GENO_METRICS_CRASH_KILLS` sets the number of kills (default 200) and
//! `GENO_METRICS_CRASH_SEED` replays a run (its seed is printed):
//!
//! ```text
//! GENO_METRICS_CRASH_KILLS=2000 cargo test -p geno-metrics-tests --test crash -- --nocapture
//! ```
//!
//! Every distinct file is also checked by `promtool check metrics`, so the Debian tools must be
//! on PATH (`cargo xtask ci` installs them).

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use geno_metrics::STALE_TEMP_FILE_AGE;
use geno_metrics_tests::genolewm::METRICS;
use geno_metrics_tests::tools::{promtool_check, tool};
use geno_metrics_tests::{assert_complete_genolewm, fresh_dir};

const FIXTURE: &str = env!("CARGO_BIN_EXE_export_fixture");

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    fresh_dir(env!("CARGO_TARGET_TMPDIR"), "crash", test)
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
    )
}

/// xorshift64*: reproducible from its seed, which is all this test needs of randomness.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// The value of the sample line that starts with `series ` in `text`.
fn sample(text: &str, series: &str) -> u64 {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"));
    line.parse()
        .unwrap_or_else(|_| panic!("{series} is not an integer: {line}"))
}

/// A complete export of the fixture's registry (see [`assert_complete_genolewm`]) with values
/// from one round of its loop: the step counter equals the train phase's step-duration count,
/// which the loop raises together. Returns that round.
fn assert_complete(text: &str) -> u64 {
    assert_complete_genolewm(text);
    let steps = sample(text, "geno_lewm_train_steps_total");
    let observed = sample(
        text,
        "geno_lewm_train_step_duration_seconds_count{phase=\"train\"}",
    );
    assert_eq!(steps, observed, "values from two rounds in one file");
    steps
}

/// What a test learns from the directory after one kill.
#[derive(Default)]
struct Tally {
    kills: u64,
    absent: u64,
    distinct_files: u64,
    highest_round: u64,
}

#[test]
fn sigkill_at_random_moments_never_leaves_a_partial_file() {
    let kills = env_u64("GENO_METRICS_CRASH_KILLS").unwrap_or(200);
    let seed = env_u64("GENO_METRICS_CRASH_SEED").unwrap_or_else(|| {
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH);
        now.unwrap().as_nanos() as u64 | 1
    });
    println!("crash test: {kills} kills, GENO_METRICS_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let promtool = tool("promtool");
    let dir = scratch("sigkill");
    let target = dir.join("metrics.prom");
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut previous: Option<Vec<u8>> = None;
    while tally.kills < kills {
        let mut child = Command::new(FIXTURE)
            .args(["spin", target.to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // From before its first export to deep in its loop: a debug build of the fixture
        // starts in a few milliseconds and exports every few hundred microseconds.
        thread::sleep(Duration::from_micros(rng.below(20_000)));
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            panic!("the exporting child stopped by itself ({status}): {out}");
        }
        child.kill().unwrap(); // SIGKILL: no destructor, no flush, no cleanup runs
        child.wait().unwrap();
        tally.kills += 1;

        match fs::read(&target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                assert!(
                    previous.is_none(),
                    "the file vanished after kill {} (seed {seed})",
                    tally.kills
                );
                tally.absent += 1;
            }
            Err(e) => panic!("cannot read {}: {e}", target.display()),
            Ok(bytes) => {
                let text = String::from_utf8(bytes.clone()).unwrap_or_else(|_| {
                    panic!("not UTF-8 after kill {} (seed {seed})", tally.kills)
                });
                let round = assert_complete(&text);
                tally.highest_round = tally.highest_round.max(round);
                if previous.as_ref() != Some(&bytes) {
                    promtool_check(&promtool, &target);
                    tally.distinct_files += 1;
                }
                previous = Some(bytes);
            }
        }
    }

    let leftovers: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "metrics.prom")
        .collect();
    println!(
        "crash test: {} kills in {:.1?}: {} before any export finished, {} distinct files \
         checked by promtool, highest round {}, {} temp files left by killed writers",
        tally.kills,
        started.elapsed(),
        tally.absent,
        tally.distinct_files,
        tally.highest_round,
        leftovers.len()
    );
    assert!(
        tally.distinct_files >= kills / 2,
        "most kills should land after some export finished: {} of {kills}",
        tally.distinct_files
    );
    // Every leftover is one of the killed writers' temporary files, nothing else.
    for name in &leftovers {
        let pid = name
            .strip_prefix(".metrics.prom.")
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|rest| rest.split_once('.'))
            .map(|(pid, _)| pid)
            .unwrap_or_else(|| panic!("not a temp file of ours: {name}"));
        assert!(
            !Path::new("/proc").join(pid).exists(),
            "{name}: owner alive"
        );
    }

    the_next_export_removes_what_killed_writers_left(&dir, &leftovers);
}

/// With the killed writers' temp files aged past [`STALE_TEMP_FILE_AGE`], one export to the
/// same path removes all of them and keeps everything else.
fn the_next_export_removes_what_killed_writers_left(dir: &Path, leftovers: &[String]) {
    let strangers = [
        "notes.txt",
        ".metrics.prom.tmp",
        ".metrics.prom.1.0.tmp", // pid 1 is alive
        ".other.prom.999999999.0.tmp",
        ".metrics.prom.999999999.tmp",
    ];
    for name in strangers {
        fs::write(dir.join(name), "not the exporter's to remove").unwrap();
    }
    let long_ago = SystemTime::now() - STALE_TEMP_FILE_AGE - Duration::from_secs(60);
    for entry in fs::read_dir(dir).unwrap() {
        let file = fs::File::options()
            .write(true)
            .open(entry.unwrap().path())
            .unwrap();
        file.set_modified(long_ago).unwrap();
    }

    METRICS
        .export_prometheus_textfile(Some(&dir.join("metrics.prom")))
        .unwrap();

    let mut left: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut expected: Vec<String> = strangers.iter().map(|s| (*s).to_owned()).collect();
    expected.push("metrics.prom".to_owned());
    expected.sort();
    assert_eq!(left, expected, "removed: {leftovers:?}");
    for name in strangers {
        assert_eq!(
            fs::read_to_string(dir.join(name)).unwrap(),
            "not the exporter's to remove"
        );
    }
}
