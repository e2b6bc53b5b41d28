//! The `process` and `build_info` collectors of the GenoLeWM registry against the truth: this
//! process as psutil (Debian's `python3-psutil`, an independent reader of `/proc`) sees it,
//! and an exposition where `/proc` is gone.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use geno_metrics::MetricValue;
use geno_metrics_tests::genolewm::{BUILD_INFO, METRICS, PROCESS_OPEN_FDS};
use geno_metrics_tests::python::PYTHON;
use geno_metrics_tests::tools::{promtool_check, tool};

/// One test at a time: threads and descriptors of one test would count in another's.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What psutil says of this process.
#[derive(Debug, serde::Deserialize)]
struct Psutil {
    rss: f64,
    vms: f64,
    num_fds: f64,
    num_threads: f64,
    create_time: f64,
    cpu: f64,
    /// Soft limits; `-1` is unlimited (`RLIM_INFINITY`).
    max_fds: f64,
    max_address_space: f64,
}

fn psutil() -> Psutil {
    let script = format!(
        "import json, psutil\n\
         p = psutil.Process({})\n\
         m = p.memory_info(); t = p.cpu_times()\n\
         print(json.dumps(dict(rss=m.rss, vms=m.vms, num_fds=p.num_fds(), \
         num_threads=p.num_threads(), create_time=p.create_time(), cpu=t.user + t.system, \
         max_fds=p.rlimit(psutil.RLIMIT_NOFILE)[0], \
         max_address_space=p.rlimit(psutil.RLIMIT_AS)[0])))",
        std::process::id()
    );
    let out = Command::new(PYTHON)
        .args(["-c", &script])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {PYTHON}: {e}; install it: apt-get install python3")
        });
    assert!(
        out.status.success(),
        "psutil failed (missing? install it: apt-get install python3-psutil):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Our process metrics, from one snapshot.
fn ours() -> std::collections::BTreeMap<String, f64> {
    METRICS
        .snapshot_all()
        .metrics
        .into_iter()
        .filter(|m| m.name.starts_with("process_"))
        .map(|m| {
            let value = match m.value {
                MetricValue::Gauge(v) | MetricValue::FloatCounter(v) => v,
                other => panic!("{}: {other:?}", m.name),
            };
            (m.name.into_owned(), value)
        })
        .collect()
}

/// This thread's CPU time so far.
fn thread_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Spins until this thread has used `how_long` more CPU time (not wall time: a loaded
/// machine may run it for less of each second).
fn burn(how_long: Duration) {
    let until = thread_cpu_time() + how_long;
    let mut x = 1u64;
    while thread_cpu_time() < until {
        for _ in 0..10_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
    }
}

#[test]
fn process_metrics_agree_with_psutil() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    burn(Duration::from_millis(300));
    let before = ours();
    let truth = psutil();
    let after = ours();
    println!("ours before {before:#?}\npsutil {truth:#?}\nours after {after:#?}");
    assert_eq!(
        before.len(),
        8,
        "every process metric has a sample: {before:?}"
    );
    // Each of ours brackets psutil's reading, or sits within a stated tolerance of it.
    let near = |name: &str, truth: f64, tolerance: f64| {
        let (b, a) = (before[name], after[name]);
        let (low, high) = (b.min(a) - tolerance, b.max(a) + tolerance);
        assert!(
            (low..=high).contains(&truth),
            "{name}: ours {b} then {a}, psutil {truth} (tolerance {tolerance})"
        );
    };
    // Memory moves a little between reads (starting psutil's interpreter maps pipes, the
    // snapshot allocates): 1 MiB resident, 8 MiB of address space.
    near("process_resident_memory_bytes", truth.rss, 1024.0 * 1024.0);
    near(
        "process_virtual_memory_bytes",
        truth.vms,
        8.0 * 1024.0 * 1024.0,
    );
    // While psutil runs, this process holds the pipes of its stdout and stderr open.
    near("process_open_fds", truth.num_fds, 2.0);
    near("process_threads", truth.num_threads, 1.0);
    near("process_start_time_seconds", truth.create_time, 1.0);
    // CPU time: ticks of 10 ms, and psutil's interpreter start between our two reads.
    near("process_cpu_seconds_total", truth.cpu, 0.05);
    // The kernel charges CPU time to /proc's utime and stime by the tick it samples at, not
    // by the thread clock `burn` reads: 300 ms burnt show as 0.29 s at times. Five ticks of
    // slack.
    assert!(before["process_cpu_seconds_total"] >= 0.25, "{before:?}");
    assert!(
        after["process_cpu_seconds_total"] >= before["process_cpu_seconds_total"],
        "CPU seconds never decrease"
    );
    // Soft limits, exactly; unlimited is 2^64 - 1, as client_golang writes it.
    let limit = |psutil: f64| {
        if psutil < 0.0 {
            u64::MAX as f64
        } else {
            psutil
        }
    };
    assert_eq!(before["process_max_fds"], limit(truth.max_fds));
    assert_eq!(
        before["process_virtual_memory_max_bytes"],
        limit(truth.max_address_space)
    );
}

#[test]
fn cpu_seconds_follow_a_busy_loop_and_open_fds_follow_open_files() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let cpu = || ours()["process_cpu_seconds_total"];
    let start = cpu();
    let mut last = start;
    for _ in 0..5 {
        burn(Duration::from_millis(100));
        let now = cpu();
        assert!(now >= last, "CPU seconds went from {last} to {now}");
        last = now;
    }
    // 500 ms of CPU time on this thread, measured by the process in ticks of 10 ms.
    assert!(last - start >= 0.48, "{start} -> {last}");

    let fds = || PROCESS_OPEN_FDS.get().unwrap();
    let opened_before = fds();
    let files: Vec<std::fs::File> = (0..10)
        .map(|_| std::fs::File::open("/proc/self/status").unwrap())
        .collect();
    assert_eq!(fds(), opened_before + 10.0);
    drop(files);
    assert_eq!(fds(), opened_before);
}

#[test]
fn build_info_names_this_build() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let [
        version,
        package,
        registry_version,
        rustc_version,
        git_commit,
    ] = BUILD_INFO.get().unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert_eq!(package, "geno-metrics-tests");
    let declared =
        geno_metrics_schema::parse(include_str!("../../metrics.toml"), "metrics.toml").unwrap();
    assert_eq!(registry_version, declared.version.to_string());
    let rustc = Command::new("rustc").arg("--version").output().unwrap();
    let rustc = String::from_utf8(rustc.stdout).unwrap();
    assert!(
        rustc.contains(&format!("rustc {rustc_version} ")),
        "{rustc}"
    );
    assert_eq!(
        git_commit,
        option_env!("GENO_METRICS_GIT_COMMIT").unwrap_or("")
    );
}

/// `/proc` replaced by an empty tmpfs in a mount namespace of its own (`unshare`, as root, as
/// CI runs): every read of `/proc` fails and those samples are left out, the two limits
/// (`getrlimit`, no file) are still there, the export succeeds, and promtool accepts the file.
#[test]
fn an_exposition_without_proc_leaves_the_samples_out_and_still_succeeds() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = geno_metrics_tests::fresh_dir(
        env!("CARGO_TARGET_TMPDIR"),
        "process_collector",
        "without_proc",
    );
    let file = dir.join("metrics.prom");
    let fixture = env!("CARGO_BIN_EXE_export_fixture");
    let script = format!(
        "mount -t tmpfs none /proc && exec {fixture} once {}",
        file.display()
    );
    let out = Command::new("unshare")
        .args(["--mount", "--fork", "sh", "-c", &script])
        .output()
        .unwrap_or_else(|e| panic!("cannot run unshare (util-linux): {e}"));
    assert!(
        out.status.success(),
        "the export without /proc must succeed (this test needs root for `unshare --mount`):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("# TYPE process_resident_memory_bytes gauge\n"),
        "{text}"
    );
    let process_samples: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("process_"))
        .map(|l| l.split('{').next().unwrap_or(l))
        .collect();
    assert_eq!(
        process_samples,
        ["process_max_fds", "process_virtual_memory_max_bytes"],
        "no /proc: only the samples read without it"
    );
    assert!(text.contains("geno_lewm_build_info{"), "{text}");
    promtool_check(&tool("promtool"), &file);
}

#[test]
fn by_name_a_collectors_metric_is_a_metric_but_no_recording_handle() {
    use geno_metrics::{LookupError, Metric};
    assert!(matches!(
        METRICS.get("process_open_fds"),
        Ok(Metric::Process(_))
    ));
    let error = METRICS.get_gauge("process_open_fds").unwrap_err();
    assert_eq!(
        error,
        LookupError::Collected {
            name: "process_open_fds"
        }
    );
    assert!(error.to_string().contains("snapshot_all()"), "{error}");
    // build_info is an info metric, but the collector's: not one to set either.
    let error = METRICS.get_family("geno_lewm_build_info").err().unwrap();
    assert_eq!(
        error,
        LookupError::Collected {
            name: "geno_lewm_build_info"
        }
    );
    assert_eq!(BUILD_INFO.spec().collector, Some("build_info"));
}
