//! Atomic export of the exposition to a file, for node_exporter's textfile collector.
//!
//! The file is never seen half-written: the contents go to a temporary file in the same
//! directory (named so the collector, which reads only `*.prom`, ignores it), are fsynced,
//! and replace the target with one `rename`; the directory is then fsynced so the rename
//! survives a crash.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::registry::Registry;

/// The environment variable naming the directory of the default textfile.
pub const LOG_DIR_ENV: &str = "GENO_LEWM_LOG_DIR";

/// Where [`Registry::export_prometheus_textfile`] writes by default:
/// `$GENO_LEWM_LOG_DIR/metrics.prom`, or `metrics.prom` in the current directory when the
/// variable is unset or empty.
///
/// ```
/// assert!(geno_metrics::metrics_path().ends_with("metrics.prom"));
/// ```
pub fn metrics_path() -> PathBuf {
    match std::env::var_os(LOG_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("metrics.prom"),
        _ => PathBuf::from("metrics.prom"),
    }
}

/// Numbers the temporary files of this process, so concurrent exports never share one.
static TEMP_SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl Registry {
    /// Runs the sync hooks, then writes the exposition to `path` (default: [`metrics_path`])
    /// atomically, creating the parent directory if needed. Returns the destination.
    ///
    /// The temporary file is `.<file name>.<pid>.<n>.tmp` beside the target, created
    /// exclusively (never through an existing file or symlink) with mode 0644 whatever the
    /// umask. It is written in full, fsynced, renamed over the target, and the directory is
    /// fsynced. A reader sees the old file or the new one, never a mix; concurrent exporters,
    /// threads or processes, each replace the file whole. Exports of one registry are
    /// serialised, so within a process the file's values never go back in time.
    ///
    /// # Errors
    ///
    /// Any failure (the target is a directory, the parent is a file, the temporary name is
    /// taken, the disk is full, ...) returns an error whose message names the target path and
    /// the step that failed. The temporary file is removed and the previous target is left
    /// byte for byte as it was.
    ///
    /// ```
    /// # use geno_metrics::{Counter, Metric, MetricKind, MetricSpec, Registry};
    /// # static SPECS: [MetricSpec; 1] = [MetricSpec { name: "demo_jobs_total",
    /// #     kind: MetricKind::Counter, unit: "", summary: "Jobs.", buckets: &[], deprecated: None, labels: &[] }];
    /// # static JOBS_TOTAL: Counter = Counter::new(&SPECS[0]);
    /// # static METRICS: Registry = Registry::new(&SPECS, &[Metric::Counter(&JOBS_TOTAL)]);
    /// let dir = std::env::temp_dir().join(format!("geno-metrics-doc-{}", std::process::id()));
    /// let written = METRICS.export_prometheus_textfile(Some(&dir.join("metrics.prom")))?;
    /// assert!(std::fs::read_to_string(&written)?.contains("demo_jobs_total 0\n"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn export_prometheus_textfile(&self, path: Option<&Path>) -> io::Result<PathBuf> {
        let destination = path.map_or_else(metrics_path, Path::to_path_buf);
        // One export at a time per registry, from snapshot to rename: otherwise an older
        // snapshot could be renamed over a newer one and counters would go backwards in the
        // file, which Prometheus reads as a counter reset.
        let _one_at_a_time = self
            .export_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.run_sync_hooks();
        let mut contents = Vec::with_capacity(4096);
        self.encode_text_without_hooks(&mut contents)?;
        write_atomically(&destination, &contents)?;
        Ok(destination)
    }
}

/// An export error: what failed, for which destination, and what to do where that is known.
fn export_error(destination: &Path, step: &str, cause: &io::Error) -> io::Error {
    let hint = match cause.kind() {
        io::ErrorKind::PermissionDenied => "; check the directory's permissions",
        io::ErrorKind::AlreadyExists => {
            "; another file or symlink holds the temporary name: remove it"
        }
        io::ErrorKind::StorageFull => "; free disk space",
        _ => "",
    };
    io::Error::new(
        cause.kind(),
        format!(
            "cannot export metrics to {}: {step}: {cause}{hint}",
            destination.display()
        ),
    )
}

/// Replaces `destination` with `contents` atomically (see `export_prometheus_textfile`).
pub(crate) fn write_atomically(destination: &Path, contents: &[u8]) -> io::Result<()> {
    let fail = |step: &str, cause: io::Error| export_error(destination, step, &cause);
    let Some(file_name) = destination.file_name() else {
        let cause = io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path does not end in a file name",
        );
        return Err(fail("checking the path", cause));
    };
    let directory = match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if fs::symlink_metadata(destination).is_ok_and(|m| m.is_dir()) {
        let cause = io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a directory; name a file in it, e.g. metrics.prom",
        );
        return Err(fail("checking the target", cause));
    }
    fs::create_dir_all(directory).map_err(|e| {
        fail(
            &format!("creating the directory {}", directory.display()),
            e,
        )
    })?;

    let sequence = TEMP_SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".{}.{sequence}.tmp", std::process::id()));
    let temp = directory.join(temp_name);

    let file = create_exclusive(&temp).map_err(|e| {
        fail(
            &format!("creating the temporary file {}", temp.display()),
            e,
        )
    })?;
    if let Err((step, cause)) = fill_and_publish(file, &temp, destination, contents) {
        // Nothing of ours may stay behind; the target was not touched before the rename.
        let _ = fs::remove_file(&temp);
        return Err(fail(&format!("{step} ({})", temp.display()), cause));
    }
    sync_directory(directory).map_err(|e| {
        fail(
            "fsyncing the directory after the rename (the new file is in place)",
            e,
        )
    })
}

/// Creates `path`, failing if anything (a file, a symlink, dangling or not) is already there.
fn create_exclusive(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    options.open(path)
}

fn fill_and_publish(
    mut file: File,
    temp: &Path,
    destination: &Path,
    contents: &[u8],
) -> Result<(), (&'static str, io::Error)> {
    // The mode given at creation is masked by the umask; set it outright.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(|e| ("setting mode 0644 on the temporary file", e))?;
    }
    file.write_all(contents)
        .map_err(|e| ("writing the temporary file", e))?;
    file.sync_all()
        .map_err(|e| ("fsyncing the temporary file", e))?;
    drop(file);
    fs::rename(temp, destination).map_err(|e| ("renaming the temporary file over the target", e))
}

/// Fsyncs a directory so a rename in it survives a crash. Filesystems that cannot fsync a
/// directory (EINVAL or ENOTSUP) offer nothing more to wait for, so that counts as done.
fn sync_directory(directory: &Path) -> io::Result<()> {
    #[cfg(unix)]
    match File::open(directory)?.sync_all() {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
            ) => {}
        other => other?,
    }
    #[cfg(not(unix))]
    let _ = directory;
    Ok(())
}
