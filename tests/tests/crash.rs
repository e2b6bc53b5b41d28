//! Crash safety of the textfile export: a process that exports in a tight loop is SIGKILLed at
//! random moments, and after every kill the target is a complete, valid file, or absent when no
//! export ever finished. The temporary file a killed writer leaves is removed by the next
//! export to the same path (the next child's first), and nothing else in the directory is
//! touched: not other names, not a live writer's temporary file.
//!
//! `GENO_METRICS_CRASH_KILLS` sets the number of kills (default 200) and
//! `GENO_METRICS_CRASH_SEED` replays a run (its seed is printed):
//!
//! ```text
//! GENO_METRICS_CRASH_KILLS=2000 cargo test -p geno-metrics-tests --test crash -- --nocapture
//! ```
//!
//! Every new file is also checked by `promtool check metrics`, so the Debian tools must be
//! on PATH (`cargo xtask ci` installs them).

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use geno_metrics_tests::genolewm::METRICS;
use geno_metrics_tests::tools::{promtool_check, tool};
use geno_metrics_tests::{assert_complete_genolewm, fresh_dir, sample};

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

/// A complete export of the fixture's registry (see [`assert_complete_genolewm`]) with values
/// from one round of its loop: the step counter equals the train phase's step-duration count,
/// which the loop raises together. Returns that round.
fn assert_complete(text: &str) -> u64 {
    assert_complete_genolewm(text);
    let steps = sample(text, "geno_lewm_train_steps_total{rank=\"0\"}");
    let observed = sample(
        text,
        "geno_lewm_train_step_duration_seconds_count{rank=\"0\",phase=\"train\"}",
    );
    assert_eq!(steps, observed, "values from two rounds in one file");
    steps
}

/// What a test learns from the directory after one kill.
#[derive(Default)]
struct Tally {
    kills: u64,
    absent: u64,
    killed_mid_write: u64,
    promtool_checks: u64,
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
        let mut out = BufReader::new(child.stdout.take().unwrap());
        // One kill in ten lands anywhere from the child's start, before its first export
        // finished too. The others wait for the child to say it finished one (and so removed
        // what earlier children left), then land at a random moment of its loop: a debug
        // build exports every few hundred microseconds, however loaded the machine is.
        // The first kill comes at once, to see the target absent rather than partial.
        let waited = tally.kills > 0 && rng.below(10) != 0;
        if waited {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            if line != "exported\n" {
                out.read_to_string(&mut line).unwrap();
                panic!("the exporting child failed: {line}");
            }
            thread::sleep(Duration::from_micros(rng.below(5_000)));
        } else if tally.kills > 0 {
            thread::sleep(Duration::from_micros(rng.below(3_000)));
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut rest = String::new();
            out.read_to_string(&mut rest).unwrap();
            panic!("the exporting child stopped by itself ({status}): {rest}");
        }
        child.kill().unwrap(); // SIGKILL: no destructor, no flush, no cleanup runs
        child.wait().unwrap();
        tally.kills += 1;

        match fs::read(&target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                assert!(
                    previous.is_none() && !waited,
                    "no file after kill {} (seed {seed})",
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
                    tally.promtool_checks += 1;
                }
                previous = Some(bytes);
            }
        }

        // The child's first export removed every temp file earlier children left, so at most
        // its own, from the export it was killed in, can be there now.
        let left = temp_files(&dir);
        if waited {
            assert!(
                left.len() <= 1,
                "kill {}: temp files of dead writers were not removed: {left:?} (seed {seed})",
                tally.kills
            );
        }
        if !left.is_empty() {
            tally.killed_mid_write += 1;
        }
    }

    println!(
        "crash test: {} kills in {:.1?}: {} before any export finished, {} in the middle of \
         writing a temp file, {} files checked by promtool, highest round {}",
        tally.kills,
        started.elapsed(),
        tally.absent,
        tally.killed_mid_write,
        tally.promtool_checks,
        tally.highest_round,
    );
    assert!(
        tally.killed_mid_write > 0,
        "no kill landed while a temp file was open: the clean-up went untested (seed {seed})"
    );
    the_next_export_removes_what_killed_writers_left(&dir);
}

/// The names in `dir` other than the target: what exporters leave.
fn temp_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "metrics.prom")
        .collect();
    names.sort();
    names
}

/// One more export removes what the last killed writer left, and nothing else: not other
/// names, and not the temp file of a writer that is alive (here, this test holds its lock).
fn the_next_export_removes_what_killed_writers_left(dir: &Path) {
    let strangers = [
        "notes.txt",
        ".metrics.prom.tmp",
        ".other.prom.999999999.0.tmp",
        ".metrics.prom.999999999.tmp",
        ".metrics.prom.1.1.tmp", // a live writer's: locked below
    ];
    for name in strangers {
        fs::write(dir.join(name), "not the exporter's to remove").unwrap();
    }
    let live = fs::File::open(dir.join(".metrics.prom.1.1.tmp")).unwrap();
    live.lock().unwrap();

    METRICS
        .export_prometheus_textfile(Some(&dir.join("metrics.prom")))
        .unwrap();

    let mut expected: Vec<String> = strangers.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(temp_files(dir), expected);
    for name in strangers {
        assert_eq!(
            fs::read_to_string(dir.join(name)).unwrap(),
            "not the exporter's to remove"
        );
    }
}
