//! The atomic textfile export: where it writes, what a reader can see mid-export, what
//! concurrent exporters leave, and how each failure is reported without losing the old file.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use geno_metrics_tests::genolewm::{METRICS, TRAIN_LOSS, TRAIN_STEPS_TOTAL};
use geno_metrics_tests::{assert_complete_genolewm, fresh_dir, race, sample};

const FIXTURE: &str = env!("CARGO_BIN_EXE_export_fixture");

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    fresh_dir(env!("CARGO_TARGET_TMPDIR"), "textfile", test)
}

/// Entries of `dir` other than `keep`: leftovers such as temporary files.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

/// Runs the fixture's default export in `cwd` with `GENO_LEWM_LOG_DIR` set to `log_dir`
/// (or unset) and `RANK` unset, returning the path it reports.
fn default_export(cwd: &Path, log_dir: Option<&str>) -> PathBuf {
    default_export_as(cwd, log_dir, None)
}

/// [`default_export`] with `RANK` set to `rank` (or unset).
fn default_export_as(cwd: &Path, log_dir: Option<&str>, rank: Option<&str>) -> PathBuf {
    let mut command = Command::new(FIXTURE);
    command.arg("default").current_dir(cwd);
    match rank {
        Some(rank) => command.env("RANK", rank),
        None => command.env_remove("RANK"),
    };
    match log_dir {
        Some(dir) => command.env(geno_metrics::LOG_DIR_ENV, dir),
        None => command.env_remove(geno_metrics::LOG_DIR_ENV),
    };
    let out = command.output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    PathBuf::from(stdout.trim().strip_prefix("ok ").unwrap())
}

#[test]
fn the_default_path_follows_the_log_dir_variable() {
    let dir = scratch("default_path");
    let log_dir = dir.join("logs");
    // The GenoLeWM registry has the constant label `rank` (default "0"): one file per rank.
    let reported = default_export(&dir, Some(log_dir.to_str().unwrap()));
    assert_eq!(reported, log_dir.join("metrics.rank=0.prom"));
    assert_complete_genolewm(&fs::read_to_string(&reported).unwrap());
    // Unset or empty: in the current directory.
    for log_dir in [None, Some("")] {
        assert_eq!(
            default_export(&dir, log_dir),
            Path::new("metrics.rank=0.prom")
        );
        assert_complete_genolewm(&fs::read_to_string(dir.join("metrics.rank=0.prom")).unwrap());
        fs::remove_file(dir.join("metrics.rank=0.prom")).unwrap();
    }
}

/// Ranks side by side in one directory each write a file of their own, named from `RANK`,
/// whose every series carries their rank; a rank that exports again replaces its own file.
#[test]
fn each_rank_writes_its_own_file_named_from_its_constant_labels() {
    let dir = scratch("ranks");
    let log_dir = dir.join("logs");
    let log = Some(log_dir.to_str().unwrap());
    for rank in ["0", "1", "12", "Worker/7"] {
        let reported = default_export_as(&dir, log, Some(rank));
        let text = fs::read_to_string(&reported).unwrap();
        assert_complete_genolewm(&text);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(
                line.contains(&format!("{{rank=\"{rank}\"")),
                "every series carries rank {rank} first: {line}"
            );
        }
    }
    let mut names: Vec<String> = fs::read_dir(&log_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "metrics.rank=%57orker%2F7.prom",
            "metrics.rank=0.prom",
            "metrics.rank=1.prom",
            "metrics.rank=12.prom",
        ]
    );
    // The same rank again: its own file, replaced; nothing else appears.
    default_export_as(&dir, log, Some("1"));
    assert_eq!(fs::read_dir(&log_dir).unwrap().count(), 4);
}

#[test]
fn export_writes_the_exposition_with_mode_0644_and_creates_the_directory() {
    let dir = scratch("basic");
    let target = dir.join("nested/deeper/metrics.prom");
    TRAIN_STEPS_TOTAL.inc();
    let written = METRICS.export_prometheus_textfile(Some(&target)).unwrap();
    assert_eq!(written, target);
    let text = fs::read_to_string(&target).unwrap();
    assert_complete_genolewm(&text);
    let mut expected = Vec::new();
    METRICS.encode_text(&mut expected).unwrap();
    // Same families and order as encode_text (values may move between the two calls).
    assert_eq!(
        text.lines().count(),
        String::from_utf8(expected).unwrap().lines().count()
    );
    let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    assert!(leftovers(&dir.join("nested/deeper"), &["metrics.prom"]).is_empty());
}

/// Runs the fixture's `once` export of `target` under `sh`, after the shell `setup` commands
/// (which set limits and the umask for the child); returns its exit status and output.
fn export_in_shell(setup: &str, target: &Path) -> (std::process::ExitStatus, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{setup}; exec \"$0\" once \"$1\""))
        .arg(FIXTURE)
        .arg(target)
        .output()
        .unwrap();
    (out.status, String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_mode_is_0644_whatever_the_umask() {
    for umask in ["077", "000", "027"] {
        let dir = scratch(&format!("umask_{umask}"));
        let target = dir.join("metrics.prom");
        let (status, out) = export_in_shell(&format!("umask {umask}"), &target);
        assert!(status.success(), "umask {umask}: {out}");
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "umask {umask}");
    }
}

/// `umask 077`, a log directory two levels below one that exists, and the default path: the
/// directories the export creates are 0755 (a scraper of another user can enter them), the
/// file is 0644, and the directory that already existed keeps its own mode.
#[test]
fn directories_the_export_creates_are_0755_whatever_the_umask() {
    for umask in ["077", "027", "000"] {
        let dir = scratch(&format!("mkdir_umask_{umask}"));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o750)).unwrap();
        let log_dir = dir.join("new").join("textfiles");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" default"))
            .arg(FIXTURE)
            .env("GENO_LEWM_LOG_DIR", &log_dir)
            .env_remove("RANK")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "umask {umask}: {said}");
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("new")), 0o755, "umask {umask}");
        assert_eq!(mode(&log_dir), 0o755, "umask {umask}");
        assert_eq!(
            mode(&log_dir.join("metrics.rank=0.prom")),
            0o644,
            "umask {umask}"
        );
        assert_eq!(
            mode(&dir),
            0o750,
            "umask {umask}: an existing directory is left alone"
        );
    }
}

#[test]
fn a_write_that_fails_part_way_keeps_the_previous_file_and_leaves_no_temp_file() {
    let dir = scratch("file_size_limit");
    let target = dir.join("metrics.prom");
    let previous = b"# the previous export\nprevious_value 1\n";
    fs::write(&target, previous).unwrap();
    // RLIMIT_FSIZE of one 512-byte block: the export (several KB) fails with EFBIG part-way
    // through its write. SIGXFSZ is ignored so the write returns the error instead of the
    // signal killing the process; an ignored signal stays ignored across exec.
    let (status, out) = export_in_shell("trap '' XFSZ; ulimit -f 1", &target);
    assert!(!status.success(), "the export went through: {out}");
    assert!(out.starts_with("error: "), "{out}");
    assert!(out.contains(&target.display().to_string()), "{out}");
    assert!(out.contains("writing the temporary file"), "{out}");
    assert!(out.contains("too large"), "says what happened: {out}");
    assert_eq!(
        fs::read(&target).unwrap(),
        previous,
        "previous file changed"
    );
    assert!(leftovers(&dir, &["metrics.prom"]).is_empty());
    // Without the limit the same export goes through.
    let (status, out) = export_in_shell("true", &target);
    assert!(status.success(), "{out}");
    assert_complete_genolewm(&fs::read_to_string(&target).unwrap());
}

#[test]
fn readers_never_see_a_partial_file_during_2000_exports() {
    let dir = scratch("atomicity");
    let target = dir.join("metrics.prom");
    METRICS.export_prometheus_textfile(Some(&target)).unwrap();
    let done = AtomicBool::new(false);
    let reads = thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut reads = 0u64;
                    while !done.load(Ordering::Acquire) {
                        assert_complete_genolewm(&fs::read_to_string(&target).unwrap());
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        for i in 0..2_000u64 {
            TRAIN_LOSS.set(i as f64);
            METRICS.export_prometheus_textfile(Some(&target)).unwrap();
        }
        done.store(true, Ordering::Release);
        readers.into_iter().map(|r| r.join().unwrap()).sum::<u64>()
    });
    assert!(reads > 100, "the readers barely ran ({reads} reads)");
    assert!(leftovers(&dir, &["metrics.prom"]).is_empty());
}

#[test]
fn two_processes_exporting_to_one_path_leave_a_valid_file_and_no_temp_files() {
    let dir = scratch("two_processes");
    let target = dir.join("metrics.prom");
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(FIXTURE)
                .args(["loop", target.to_str().unwrap(), "500"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Read while they write.
    let mut reads = 0;
    while reads < 200 {
        if let Ok(text) = fs::read_to_string(&target) {
            assert_complete_genolewm(&text);
            reads += 1;
        }
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert_complete_genolewm(&fs::read_to_string(&target).unwrap());
    assert!(leftovers(&dir, &["metrics.prom"]).is_empty());
}

/// Exports once and returns the error message, checking that it names the target.
fn export_error(target: &Path) -> String {
    let err = METRICS
        .export_prometheus_textfile(Some(target))
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&target.display().to_string()),
        "error does not name {}: {message}",
        target.display()
    );
    message
}

#[test]
fn a_directory_as_target_is_an_error_naming_it() {
    let dir = scratch("target_is_dir");
    let target = dir.join("metrics.prom");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("keep"), "untouched").unwrap();
    let message = export_error(&target);
    assert!(message.contains("is a directory"), "{message}");
    assert_eq!(
        fs::read_to_string(target.join("keep")).unwrap(),
        "untouched"
    );
    assert!(leftovers(&dir, &["metrics.prom"]).is_empty());
}

#[test]
fn a_regular_file_as_parent_is_an_error_naming_the_path() {
    let dir = scratch("parent_is_file");
    fs::write(dir.join("not_a_dir"), "previous").unwrap();
    let message = export_error(&dir.join("not_a_dir/metrics.prom"));
    assert!(message.contains("creating the directory"), "{message}");
    assert_eq!(
        fs::read_to_string(dir.join("not_a_dir")).unwrap(),
        "previous"
    );
}

/// Plants something at each of the first `names` temporary names of a fresh exporter process
/// (`plant(path, n)` for its `n`-th), lets it export once, and returns the directory, the
/// target, whether the export succeeded and what the process printed. A failed export must
/// name the target and leave the previous file byte for byte; a successful one replaces it.
fn export_past_taken_temp_names(
    test: &str,
    names: u64,
    mut plant: impl FnMut(&Path, u64),
) -> (PathBuf, PathBuf, bool, String) {
    let dir = scratch(test);
    let target = dir.join("metrics.prom");
    let previous = b"# the previous export\nprevious_value 1\n";
    fs::write(&target, previous).unwrap();
    let mut child = Command::new(FIXTURE)
        .args(["after-stdin", target.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    for n in 0..names {
        plant(
            &dir.join(format!(".metrics.prom.{}.{n}.tmp", child.id())),
            n,
        );
    }
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let text = fs::read_to_string(&target).unwrap();
    if out.status.success() {
        assert_complete_genolewm(&text);
    } else {
        assert!(stdout.contains(&target.display().to_string()), "{stdout}");
        assert_eq!(text.as_bytes(), previous, "previous file changed");
    }
    (dir, target, out.status.success(), stdout)
}

#[test]
fn a_dead_writers_file_at_the_temp_name_is_removed_never_written() {
    let keep = scratch("dead_writer_keep").join("same_file");
    let (dir, _, exported, stdout) = export_past_taken_temp_names("dead_writer", 1, |temp, _| {
        fs::write(temp, "a killed writer's").unwrap();
        fs::hard_link(temp, &keep).unwrap(); // to read the very file afterwards
    });
    assert!(exported, "{stdout}");
    assert_eq!(fs::read_to_string(&keep).unwrap(), "a killed writer's");
    assert!(leftovers(&dir, &["metrics.prom"]).is_empty(), "removed");
}

#[test]
fn a_live_writers_file_at_the_temp_name_is_skipped_never_written() {
    let mut held = Vec::new();
    let (dir, _, exported, stdout) = export_past_taken_temp_names("live_writer", 1, |temp, _| {
        fs::write(temp, "a live writer's").unwrap();
        let file = fs::File::open(temp).unwrap();
        file.lock().unwrap(); // what a writer in another pid namespace would hold
        held.push((temp.to_owned(), file));
    });
    assert!(exported, "{stdout}");
    let (temp, _file) = &held[0];
    assert_eq!(fs::read_to_string(temp).unwrap(), "a live writer's");
    assert_eq!(
        leftovers(&dir, &["metrics.prom"]).len(),
        1,
        "only the live one"
    );
}

#[test]
fn a_symlink_at_the_temp_name_is_never_written_through() {
    let outside = scratch("symlink_victim").join("victim");
    fs::write(&outside, "must stay").unwrap();
    let dangling = scratch("dangling_target").join("nowhere");
    let (dir, _, exported, stdout) =
        export_past_taken_temp_names("temp_is_symlink", 2, |temp, n| {
            let to = if n == 0 { &outside } else { &dangling };
            std::os::unix::fs::symlink(to, temp).unwrap();
        });
    assert!(exported, "{stdout}");
    assert_eq!(fs::read_to_string(&outside).unwrap(), "must stay");
    assert!(
        !dangling.exists(),
        "created a file through a dangling symlink"
    );
    let links = leftovers(&dir, &["metrics.prom"]);
    assert_eq!(links.len(), 2, "the symlinks stay: {links:?}");
    for link in links {
        assert!(fs::symlink_metadata(dir.join(link)).unwrap().is_symlink());
    }
}

#[test]
fn eight_taken_temp_names_fail_the_export_and_say_what_to_do() {
    let victim = scratch("taken_victim").join("victim");
    fs::write(&victim, "must stay").unwrap();
    let (_, _, exported, stdout) = export_past_taken_temp_names("all_taken", 8, |temp, _| {
        std::os::unix::fs::symlink(&victim, temp).unwrap();
    });
    assert!(!exported, "{stdout}");
    assert!(stdout.contains("remove it"), "says what to do: {stdout}");
    assert_eq!(fs::read_to_string(&victim).unwrap(), "must stay");
}

#[test]
fn a_symlinked_target_is_replaced_not_followed() {
    let dir = scratch("target_is_symlink");
    let victim = dir.join("victim.txt");
    fs::write(&victim, "not ours").unwrap();
    let target = dir.join("metrics.prom");
    std::os::unix::fs::symlink(&victim, &target).unwrap();
    METRICS.export_prometheus_textfile(Some(&target)).unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "not ours");
    assert!(
        !fs::symlink_metadata(&target)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_complete_genolewm(&fs::read_to_string(&target).unwrap());
}

/// Polls `done` every 10 ms for up to 10 s.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn the_periodic_exporter_retries_after_failures_and_exports_once_more_on_drop() {
    use geno_metrics_tests::genolewm::TRAIN_EPOCH;
    let dir = scratch("periodic");
    let target = dir.join("metrics.prom");
    // While the target is a directory every export fails; the exporter must keep going.
    fs::create_dir(&target).unwrap();
    let exporter =
        METRICS.spawn_textfile_exporter(Some(&target), std::time::Duration::from_millis(20));
    assert_eq!(exporter.path(), target);
    eventually("two failed exports", || exporter.failures() >= 2);
    let error = exporter.last_error().unwrap();
    assert!(error.contains(&target.display().to_string()), "{error}");
    fs::remove_dir(&target).unwrap();
    eventually("an export after the fault cleared", || {
        exporter.exports() >= 1
    });
    // The final export on drop carries values set after the last tick.
    TRAIN_EPOCH.set(12345.0);
    drop(exporter);
    let text = fs::read_to_string(&target).unwrap();
    assert!(
        text.contains("\ngeno_lewm_train_epoch{rank=\"0\"} 12345\n"),
        "final values missing"
    );
    assert!(leftovers(&dir, &["metrics.prom"]).is_empty());
}

#[test]
fn concurrent_exports_never_move_a_counter_backwards_in_the_file() {
    use geno_metrics_tests::genolewm::CHECKPOINT_WRITES_TOTAL;
    let dir = scratch("monotonic");
    let target = dir.join("metrics.prom");
    METRICS.export_prometheus_textfile(Some(&target)).unwrap();
    let value = |text: &str| sample(text, "geno_lewm_checkpoint_writes_total{rank=\"0\"}");
    let mut last = 0;
    let reads = race(
        4,
        |_| {
            for _ in 0..300 {
                CHECKPOINT_WRITES_TOTAL.inc();
                METRICS.export_prometheus_textfile(Some(&target)).unwrap();
            }
        },
        0,
        || {
            let now = value(&fs::read_to_string(&target).unwrap());
            assert!(now >= last, "the file went back in time: {last} then {now}");
            last = now;
        },
    );
    assert!(reads > 10);
}

/// What the periodic exporter prints on standard error, as its rustdoc shows it: a periodic
/// failure says it will retry, the final one on drop does not, and both name the path.
#[test]
fn the_periodic_exporter_prints_the_lines_its_docs_show() {
    let dir = scratch("periodic_lines");
    fs::write(dir.join("blocked"), "a file where a directory should be").unwrap();
    let target = dir.join("blocked").join("metrics.prom");
    let out = Command::new(FIXTURE)
        .args(["periodic", &target.display().to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    let periodic =
        "geno-metrics: periodic textfile export failed (will retry): cannot export metrics to ";
    let last = "geno-metrics: final textfile export failed: cannot export metrics to ";
    let (final_line, ticks) = lines.split_last().expect("something on stderr");
    assert!(final_line.starts_with(last), "{stderr}");
    assert!(
        !ticks.is_empty(),
        "a periodic failure before the final one: {stderr}"
    );
    for line in ticks {
        assert!(line.starts_with(periodic), "{stderr}");
    }
    assert!(
        lines
            .iter()
            .all(|l| l.contains(&target.display().to_string())),
        "{stderr}"
    );
    // The rustdoc shows exactly these lines.
    let docs = include_str!("../../geno-metrics/src/export/periodic.rs");
    for shown in [periodic, last] {
        assert!(
            docs.contains(&format!("/// {shown}...")),
            "periodic.rs does not show `{shown}`"
        );
    }
}

/// A FIFO or a socket at the target is refused, named, and left in place: the export only
/// ever replaces a regular file or a symlink.
#[test]
fn a_target_that_is_not_a_regular_file_is_refused_and_left_alone() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch("special_target");
    let fifo = dir.join("fifo.prom");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let socket = dir.join("socket.prom");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    for target in [&fifo, &socket] {
        let message = export_error(target);
        assert!(message.contains(&target.display().to_string()), "{message}");
        assert!(message.contains("not a regular file"), "{message}");
        let kind = fs::symlink_metadata(target).unwrap().file_type();
        assert!(
            kind.is_fifo() || kind.is_socket(),
            "{} was replaced",
            target.display()
        );
    }
    assert_eq!(
        leftovers(&dir, &["fifo.prom", "socket.prom"]),
        Vec::<String>::new()
    );
}

/// Every temporary name of ours below `dir`, at any depth.
fn temp_files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            found.extend(temp_files_below(&path));
        } else if name.starts_with(".metrics.prom.") && name.ends_with(".tmp") {
            found.push(path);
        }
    }
    found
}

/// Log rotation of the directory (`mv d d.N; mkdir d`, as fast as it goes) while exports run:
/// each export happens whole in the directory it opened, so none leaves a temporary file in
/// any of the rotated directories.
#[test]
fn a_directory_rotated_during_exports_keeps_no_temporary_file() {
    use geno_metrics::{Counter, Metric, MetricKind, MetricSpec, Registry};

    // A registry of its own: the other tests' exports of the GenoLeWM registry take its
    // export lock in tight loops, and this test needs exports of its own in its 1.5 s.
    static SPEC: [MetricSpec; 1] = [MetricSpec::new(
        "rotation_exports_total",
        MetricKind::Counter,
        "r",
    )];
    static EXPORTS: Counter = Counter::new(&SPEC[0]);
    static ROTATION_METRICS: Registry = Registry::new(&SPEC, &[Metric::Counter(&EXPORTS)]);

    let base = scratch("rotation");
    let d = base.join("d");
    fs::create_dir(&d).unwrap();
    let stop = AtomicBool::new(false);
    let (rotations, exported, failed) = thread::scope(|s| {
        let rotator = s.spawn(|| {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                if fs::rename(&d, base.join(format!("d.{n}"))).is_ok() {
                    n += 1;
                }
                let _ = fs::create_dir(&d);
                thread::sleep(std::time::Duration::from_micros(200));
            }
            n
        });
        let (mut exported, mut failed) = (0u32, 0u32);
        let until = std::time::Instant::now() + std::time::Duration::from_millis(1_500);
        while std::time::Instant::now() < until {
            EXPORTS.inc();
            match ROTATION_METRICS.export_prometheus_textfile(Some(&d.join("metrics.prom"))) {
                Ok(_) => exported += 1,
                Err(_) => failed += 1,
            }
        }
        stop.store(true, Ordering::Relaxed);
        (rotator.join().unwrap(), exported, failed)
    });
    assert!(
        rotations > 20 && exported > 20,
        "{rotations} rotations, {exported} exports"
    );
    let left = temp_files_below(&base);
    assert!(
        left.is_empty(),
        "{} left behind ({failed} exports failed): {left:?}",
        left.len()
    );
    fs::remove_dir_all(&base).unwrap();
}

/// The directory swapped for a FIFO and back (`renameat2` with `RENAME_EXCHANGE`) while exports
/// and a periodic exporter run: no step blocks on the FIFO, every export returns, and dropping
/// the exporter returns within a bounded time.
#[test]
fn a_directory_swapped_for_a_fifo_never_blocks_an_export() {
    use geno_metrics::{Counter, Metric, MetricKind, MetricSpec, Registry};
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use std::sync::mpsc;
    use std::time::Duration;

    // A registry of its own: an export that blocked would hold the registry's export lock,
    // and the other tests' exports would wait on it.
    static SPEC: [MetricSpec; 1] = [MetricSpec::new(
        "swap_exports_total",
        MetricKind::Counter,
        "s",
    )];
    static EXPORTS: Counter = Counter::new(&SPEC[0]);
    static SWAP_METRICS: Registry = Registry::new(&SPEC, &[Metric::Counter(&EXPORTS)]);

    let base = scratch("swap");
    let d = base.join("d");
    let fifo = base.join("fifo");
    fs::create_dir(&d).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let target = d.join("metrics.prom");
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, d, fifo) = (stop.clone(), d.clone(), fifo.clone());
        thread::spawn(move || {
            let mut swaps = 0u32;
            while !stop.load(Ordering::Relaxed) {
                if renameat_with(CWD, &d, CWD, &fifo, RenameFlags::EXCHANGE).is_ok() {
                    swaps += 1;
                }
                thread::sleep(Duration::from_micros(100));
            }
            swaps
        })
    };
    // The exports run on a thread of their own, so that one that blocked would show as a
    // timeout here rather than hang the suite.
    let (done, finished) = mpsc::channel();
    {
        let target = target.clone();
        thread::spawn(move || {
            let exporter =
                SWAP_METRICS.spawn_textfile_exporter(Some(&target), Duration::from_millis(1));
            let mut returned = 0u32;
            let until = std::time::Instant::now() + Duration::from_millis(1_000);
            while std::time::Instant::now() < until {
                EXPORTS.inc();
                let _ = SWAP_METRICS.export_prometheus_textfile(Some(&target));
                returned += 1;
            }
            drop(exporter);
            let _ = done.send(returned);
        });
    }
    let returned = finished.recv_timeout(Duration::from_secs(20));
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    let returned = returned.unwrap_or_else(|_| {
        panic!("exports or the exporter's drop blocked for 20 s with the directory swapped for a FIFO ({swaps} swaps)")
    });
    assert!(
        swaps > 20 && returned > 20,
        "{swaps} swaps, {returned} exports returned"
    );
    fs::remove_dir_all(&base).unwrap();
}
