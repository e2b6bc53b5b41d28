//! [`TextfileExporter`]: a thread that exports a registry's textfile periodically, and once
//! more when stopped, for long-running jobs.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::textfile::metrics_path;
use crate::registry::Registry;

/// Exports a registry every interval on a background thread; dropping it stops the thread
/// after one last export, so the file ends with the final values.
///
/// A failed export never panics and never stops the exporter: it is written to standard error
/// as one line naming the path, counted in [`failures`](Self::failures) and kept in
/// [`last_error`](Self::last_error). A periodic export that fails is tried again at the next
/// tick, and says so:
///
/// ```text
/// geno-metrics: periodic textfile export failed (will retry): cannot export metrics to ...
/// ```
///
/// The final export, on drop, has nothing after it to retry:
///
/// ```text
/// geno-metrics: final textfile export failed: cannot export metrics to ...
/// ```
///
/// ```
/// # use geno_metrics::{Counter, Metric, MetricKind, MetricSpec, Registry};
/// # static SPECS: [MetricSpec; 1] = [MetricSpec::new("demo_jobs_total", MetricKind::Counter, "Jobs.")];
/// # static JOBS_TOTAL: Counter = Counter::new(&SPECS[0]);
/// # static METRICS: Registry = Registry::new(&SPECS, &[Metric::Counter(&JOBS_TOTAL)]);
/// use std::time::Duration;
/// let dir = std::env::temp_dir().join(format!("geno-metrics-exporter-doc-{}", std::process::id()));
/// let path = dir.join("metrics.prom");
/// let exporter = METRICS.spawn_textfile_exporter(Some(&path), Duration::from_secs(15));
/// JOBS_TOTAL.inc_by(7);
/// drop(exporter); // final export
/// assert!(std::fs::read_to_string(&path)?.contains("demo_jobs_total 7\n"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "the exporter stops (after a final export) when dropped"]
pub struct TextfileExporter {
    registry: &'static Registry,
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    status: Arc<Mutex<Status>>,
    destination: Destination,
}

#[derive(Debug, Default)]
struct Status {
    exports: u64,
    failures: u64,
    last_error: Option<String>,
}

impl Registry {
    /// Starts a [`TextfileExporter`] writing to `path` every `interval`, first after one
    /// interval. The default, [`default_textfile_path`](Self::default_textfile_path), is
    /// resolved now, which freezes the constant labels. When it cannot be made (a constant
    /// label without a value, a file name too long), nothing is written anywhere: every
    /// export fails with that error, and [`path`](TextfileExporter::path) is
    /// [`metrics_path`], where no file goes.
    pub fn spawn_textfile_exporter(
        &'static self,
        path: Option<&Path>,
        interval: Duration,
    ) -> TextfileExporter {
        let resolved = path.map_or_else(|| self.default_textfile_path(), |p| Ok(p.to_path_buf()));
        let destination = match resolved {
            Ok(path) => Destination {
                path,
                unusable: None,
            },
            Err(e) => Destination {
                path: metrics_path(),
                unusable: Some((e.kind(), e.to_string())),
            },
        };
        let status = Arc::new(Mutex::new(Status::default()));
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = {
            let (destination, status) = (destination.clone(), Arc::clone(&status));
            std::thread::Builder::new()
                .name("geno-metrics-exporter".into())
                .spawn(move || {
                    loop {
                        let last = !matches!(
                            stopped.recv_timeout(interval),
                            Err(RecvTimeoutError::Timeout)
                        );
                        let export = if last {
                            Export::Final
                        } else {
                            Export::Periodic
                        };
                        record(&status, export, destination.export(self));
                        if last {
                            return;
                        }
                    }
                })
        };
        let thread = match thread {
            Ok(handle) => Some(handle),
            Err(e) => {
                // Without a thread nothing is periodic, but the final export on drop still happens.
                record(
                    &status,
                    Export::Periodic,
                    Err(io::Error::new(
                        e.kind(),
                        format!("cannot start the exporter thread: {e}"),
                    )),
                );
                None
            }
        };
        TextfileExporter {
            registry: self,
            stop: Some(stop),
            thread,
            status,
            destination,
        }
    }
}

/// Where an exporter writes, or why it cannot.
#[derive(Debug, Clone)]
struct Destination {
    path: PathBuf,
    /// The error that kept the default path from being made: every export fails with it.
    unusable: Option<(io::ErrorKind, String)>,
}

impl Destination {
    fn export(&self, registry: &Registry) -> io::Result<PathBuf> {
        match &self.unusable {
            Some((kind, message)) => Err(io::Error::new(*kind, message.clone())),
            None => registry.export_prometheus_textfile(Some(&self.path)),
        }
    }
}

/// Which export a result is of: a periodic one is retried at the next tick, the final one not.
#[derive(Debug, Clone, Copy)]
enum Export {
    Periodic,
    Final,
}

fn record(status: &Mutex<Status>, export: Export, result: io::Result<PathBuf>) {
    let mut status = status.lock().unwrap_or_else(PoisonError::into_inner);
    match result {
        Ok(_) => status.exports += 1,
        Err(e) => {
            match export {
                Export::Periodic => {
                    eprintln!("geno-metrics: periodic textfile export failed (will retry): {e}");
                }
                Export::Final => eprintln!("geno-metrics: final textfile export failed: {e}"),
            }
            status.failures += 1;
            status.last_error = Some(e.to_string());
        }
    }
}

impl TextfileExporter {
    /// Where the exporter writes.
    pub fn path(&self) -> &Path {
        &self.destination.path
    }

    /// Exports that succeeded so far.
    pub fn exports(&self) -> u64 {
        self.status().exports
    }

    /// Exports that failed so far.
    pub fn failures(&self) -> u64 {
        self.status().failures
    }

    /// The message of the most recent failure, if any.
    pub fn last_error(&self) -> Option<String> {
        self.status().last_error.clone()
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for TextfileExporter {
    fn drop(&mut self) {
        // Closing the channel wakes the thread at once for its final export.
        drop(self.stop.take());
        match self.thread.take() {
            Some(thread) => {
                let _ = thread.join();
            }
            None => record(
                &self.status,
                Export::Final,
                self.destination.export(self.registry),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    use super::*;
    use crate::kinds::Counter;
    use crate::metric::Metric;
    use crate::spec::{MetricKind, MetricSpec};

    /// A hook that panics while `BROKEN` is set: each export it spoils is a failure counted,
    /// the exporter goes on, and its final export on drop still happens.
    #[test]
    fn a_panicking_hook_fails_exports_and_the_exporter_goes_on() {
        static SPEC: [MetricSpec; 1] =
            [MetricSpec::new("app_ticks_total", MetricKind::Counter, "t")];
        static TICKS: Counter = Counter::new(&SPEC[0]);
        static REGISTRY: Registry = Registry::new(&SPEC, &[Metric::Counter(&TICKS)]);
        static BROKEN: AtomicBool = AtomicBool::new(true);
        fn sometimes_panics() {
            assert!(
                !BROKEN.load(Ordering::Relaxed),
                "the source of the counts is gone"
            );
        }
        REGISTRY.add_sync_hook(sometimes_panics);
        let dir =
            std::env::temp_dir().join(format!("geno-metrics-periodic-{}", std::process::id()));
        let path = dir.join("metrics.prom");
        let exporter = REGISTRY.spawn_textfile_exporter(Some(&path), Duration::from_millis(5));
        let wait_for = |what: &str, done: &dyn Fn() -> bool| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !done() {
                assert!(Instant::now() < deadline, "no {what} within 10 s");
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        wait_for("failed export", &|| exporter.failures() >= 2);
        let error = exporter.last_error().unwrap();
        assert!(
            error.contains("a sync hook panicked: the source of the counts is gone"),
            "{error}"
        );
        BROKEN.store(false, Ordering::Relaxed);
        wait_for("export after the failures", &|| exporter.exports() >= 1);
        TICKS.inc_by(7);
        drop(exporter);
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("app_ticks_total 7\n")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
