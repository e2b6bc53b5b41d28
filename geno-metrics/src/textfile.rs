//! Atomic export of the exposition to a file, for node_exporter's textfile collector.
//!
//! The file is never seen half-written: the contents go to a temporary file in the same
//! directory (named so the collector, which reads only `*.prom`, ignores it), are fsynced,
//! and replace the target with one `rename`; the directory is then fsynced so the rename
//! survives a crash.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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
    /// After a successful export, temporary files that writers to the same target left when
    /// they died mid-export are removed: only names of exactly that form, only regular files,
    /// only when no process with the pid in the name exists, and only once they are
    /// [`STALE_TEMP_FILE_AGE`] old (the directory may be shared with other pid namespaces).
    /// Nothing else in the directory is ever touched.
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
    })?;
    // Only once this export is safely in place: a failure here would cost nothing but disk.
    remove_dead_writers_temp_files(directory, file_name);
    Ok(())
}

/// Creates `path`, failing if anything (a file, a symlink, dangling or not) is already there.
///
/// `create_new` is `O_CREAT | O_EXCL`, which already refuses a symlink at `path`; `O_NOFOLLOW`
/// says the same a second time, so no platform quirk can turn this into a write through one.
fn create_exclusive(path: &Path) -> io::Result<File> {
    checkpoint(Step::Create)?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644).custom_flags(libc::O_NOFOLLOW);
    }
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
        checkpoint(Step::SetMode)
            .and_then(|()| file.set_permissions(fs::Permissions::from_mode(0o644)))
            .map_err(|e| ("setting mode 0644 on the temporary file", e))?;
    }
    checkpoint(Step::Write)
        .and_then(|()| file.write_all(contents))
        .map_err(|e| ("writing the temporary file", e))?;
    checkpoint(Step::SyncFile)
        .and_then(|()| file.sync_all())
        .map_err(|e| ("fsyncing the temporary file", e))?;
    drop(file);
    checkpoint(Step::Rename)
        .and_then(|()| fs::rename(temp, destination))
        .map_err(|e| ("renaming the temporary file over the target", e))
}

/// How long a dead writer's temporary file is left alone before an export removes it.
///
/// A textfile directory is often shared by containers, each with its own pid namespace, so a
/// pid that is dead here may be a live exporter there. An export takes milliseconds; a file
/// untouched for this long belongs to no export in progress, whatever namespace wrote it.
pub const STALE_TEMP_FILE_AGE: Duration = Duration::from_secs(5 * 60);

/// Removes the temporary files that writers to this same target left when they died mid-export
/// (killed, out of memory, power lost), so they do not pile up in the directory.
///
/// A file is removed only when all of these hold: its name is exactly
/// `.<file name>.<pid>.<n>.tmp` for this target; it is a regular file, not a symlink or
/// directory; the pid is not this process and no process with that pid exists here; and it
/// was last modified at least [`STALE_TEMP_FILE_AGE`] ago. Anything else in the directory is
/// never touched. Errors are ignored: leftovers are tidied, not relied on. Linux only, where
/// `/proc` answers whether a pid is alive; elsewhere nothing is removed.
fn remove_dead_writers_temp_files(directory: &Path, file_name: &OsStr) {
    #[cfg(target_os = "linux")]
    {
        if !Path::new("/proc/self").exists() {
            return; // no procfs: liveness is unknown, so every owner may be alive
        }
        let Ok(entries) = fs::read_dir(directory) else {
            return;
        };
        for entry in entries.flatten() {
            let Some(pid) = temp_file_owner(&entry.file_name(), file_name) else {
                continue;
            };
            // This process's own pid is alive too, so its exports in flight are safe.
            if Path::new("/proc").join(pid.to_string()).exists() {
                continue;
            }
            let path = entry.path();
            let stale = fs::symlink_metadata(&path).is_ok_and(|m| {
                m.file_type().is_file()
                    && m.modified()
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age >= STALE_TEMP_FILE_AGE)
            });
            if stale {
                let _ = fs::remove_file(&path);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (directory, file_name);
}

/// The pid in `name` when it is one of our temporary names for the target `file_name`:
/// `.<file_name>.<pid>.<n>.tmp`, with `pid` and `n` decimal digits. Anything else is `None`.
fn temp_file_owner(name: &OsStr, file_name: &OsStr) -> Option<u32> {
    let name = name.as_encoded_bytes();
    let rest = name
        .strip_prefix(b".")?
        .strip_prefix(file_name.as_encoded_bytes())?
        .strip_prefix(b".")?
        .strip_suffix(b".tmp")?;
    let dot = rest.iter().position(|&b| b == b'.')?;
    let (pid, sequence) = (&rest[..dot], &rest[dot + 1..]);
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !digits(pid) || !digits(sequence) {
        return None;
    }
    std::str::from_utf8(pid).ok()?.parse().ok()
}

/// The steps of an export that can fail, for the unit tests that make each one fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Create,
    #[cfg_attr(not(unix), allow(dead_code))]
    SetMode,
    Write,
    SyncFile,
    Rename,
}

#[cfg(test)]
thread_local! {
    /// The step the next export on this thread fails at, in unit tests.
    static FAIL_AT: std::cell::Cell<Option<Step>> = const { std::cell::Cell::new(None) };
}

/// Fails when a unit test asked for `step` to fail; always passes outside tests. Some failures
/// (an fsync or a rename that fails) cannot be provoked from a test on an ordinary filesystem.
fn checkpoint(step: Step) -> io::Result<()> {
    #[cfg(test)]
    if FAIL_AT.get() == Some(step) {
        return Err(io::Error::other(format!("injected failure at {step:?}")));
    }
    let _ = step;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;
    use std::time::SystemTime;

    /// A fresh, empty directory for one test.
    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir()
            .join(format!("geno-metrics-textfile-{}", std::process::id()))
            .join(test);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A pid that no process has now: a child that has exited and been reaped.
    fn dead_pid() -> u32 {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    /// Sets the modification time of `path` itself (not of a symlink's target).
    fn age(path: &Path, by: Duration) {
        let when = SystemTime::now() - by;
        let seconds = when
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let status = Command::new("touch")
            .args(["-h", "-m", "-d", &format!("@{seconds}")])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    fn every_failing_step_leaves_the_previous_file_and_no_temp_file() {
        for step in [
            Step::Create,
            Step::SetMode,
            Step::Write,
            Step::SyncFile,
            Step::Rename,
        ] {
            let dir = scratch(&format!("fail_{step:?}"));
            let target = dir.join("metrics.prom");
            fs::write(&target, "previous 1\n").unwrap();
            FAIL_AT.set(Some(step));
            let error = write_atomically(&target, b"next 2\n").unwrap_err();
            FAIL_AT.set(None);
            let message = error.to_string();
            assert!(
                message.contains(&target.display().to_string()),
                "{step:?}: {message}"
            );
            assert!(message.contains("injected failure"), "{step:?}: {message}");
            assert_eq!(fs::read(&target).unwrap(), b"previous 1\n", "{step:?}");
            assert_eq!(names(&dir), ["metrics.prom"], "{step:?}");
        }
        // And without an injected failure the same call goes through.
        let dir = scratch("fail_none");
        write_atomically(&dir.join("metrics.prom"), b"next 2\n").unwrap();
        assert_eq!(names(&dir), ["metrics.prom"]);
    }

    #[test]
    fn temp_names_are_recognised_exactly() {
        let owner = |name: &str| temp_file_owner(OsStr::new(name), OsStr::new("metrics.prom"));
        assert_eq!(owner(".metrics.prom.4242.0.tmp"), Some(4242));
        assert_eq!(owner(".metrics.prom.1.123456.tmp"), Some(1));
        for other in [
            "metrics.prom",
            ".metrics.prom.tmp",
            ".metrics.prom.4242.tmp",
            ".metrics.prom.4242.0.1.tmp",
            ".metrics.prom.x42.0.tmp",
            ".metrics.prom.42.0x.tmp",
            ".metrics.prom.+42.0.tmp",
            ".metrics.prom..0.tmp",
            ".metrics.prom.42..tmp",
            ".metrics.prom.42.0.tmp~",
            "metrics.prom.42.0.tmp",
            ".other.prom.42.0.tmp",
            ".metrics.prom.4.2.0.tmp",
            ".metrics.prom.99999999999999999999.0.tmp",
        ] {
            assert_eq!(owner(other), None, "{other}");
        }
        // The temp names of a target whose own name has more dots stay apart.
        let longer = temp_file_owner(OsStr::new(".a.5.6.7.tmp"), OsStr::new("a"));
        assert_eq!(longer, None);
    }

    #[test]
    fn only_stale_temp_files_of_dead_writers_to_this_target_are_removed() {
        let dir = scratch("cleanup");
        let dead = dead_pid();
        let ours = std::process::id();
        let old = STALE_TEMP_FILE_AGE + Duration::from_secs(60);
        let plant = |name: &str, age_by: Option<Duration>| {
            let path = dir.join(name);
            fs::write(&path, "leftover").unwrap();
            if let Some(by) = age_by {
                age(&path, by);
            }
        };
        let removed = format!(".metrics.prom.{dead}.7.tmp");
        plant(&removed, Some(old));
        let fresh = format!(".metrics.prom.{dead}.8.tmp");
        plant(&fresh, Some(STALE_TEMP_FILE_AGE / 2));
        let own = format!(".metrics.prom.{ours}.9.tmp");
        plant(&own, Some(old));
        let alive = ".metrics.prom.1.3.tmp".to_owned(); // pid 1 always exists
        plant(&alive, Some(old));
        let other_target = format!(".other.prom.{dead}.1.tmp");
        plant(&other_target, Some(old));
        let not_ours = format!(".metrics.prom.{dead}.tmp");
        plant(&not_ours, Some(old));
        let link = format!(".metrics.prom.{dead}.10.tmp");
        std::os::unix::fs::symlink(dir.join(&not_ours), dir.join(&link)).unwrap();
        age(&dir.join(&link), old);
        let directory = format!(".metrics.prom.{dead}.11.tmp");
        fs::create_dir(dir.join(&directory)).unwrap();
        age(&dir.join(&directory), old);

        write_atomically(&dir.join("metrics.prom"), b"x 1\n").unwrap();

        let mut expected = vec![
            fresh,
            own,
            alive,
            other_target,
            not_ours,
            link,
            directory,
            "metrics.prom".to_owned(),
        ];
        expected.sort();
        assert_eq!(names(&dir), expected, "only {removed} goes");
        assert_eq!(
            fs::read_to_string(dir.join(format!(".metrics.prom.{dead}.tmp"))).unwrap(),
            "leftover",
            "the symlink's target is untouched"
        );
    }
}
