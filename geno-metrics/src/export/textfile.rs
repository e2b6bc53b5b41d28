//! Atomic export of the exposition to a file, for node_exporter's textfile collector.
//!
//! The file is never seen half-written: the contents go to a temporary file in the same
//! directory (named so the collector, which reads only `*.prom`, ignores it), are fsynced,
//! and replace the target with one `rename`; the directory is then fsynced so the rename
//! survives a crash.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::directory::Directory;
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

/// The longest file name the export makes from constant labels: 255 bytes is what ext4, XFS,
/// btrfs, APFS and NTFS allow in one path component, less what the temporary file's name adds
/// (`.` before, `.<pid>.<n>.tmp` after, with the longest pid and sequence number).
const MAX_FILE_NAME: usize = 255 - TEMP_NAME_OVERHEAD;

/// The longest a temporary file's name is beyond the target's: see `temp_name`.
const TEMP_NAME_OVERHEAD: usize =
    ".".len() + ".4194304".len() + ".18446744073709551615".len() + ".tmp".len();

impl Registry {
    /// Where [`export_prometheus_textfile(None)`](Self::export_prometheus_textfile) writes.
    ///
    /// Without constant labels, [`metrics_path`]. With them, one file per process in the
    /// same directory, named from the constant labels and their values, labels in name order
    /// (so declaring them in another order keeps every file name): `metrics.rank=3.run=r1.prom`.
    /// In a value, lowercase ASCII letters, digits, `_` and `-` stay as they are; every other
    /// byte of its UTF-8 (capitals, `.`, `=`, `/`, `%`, spaces, ...) is written `%XX` in
    /// uppercase hex. So the name is safe on any filesystem, case-insensitive ones included,
    /// ends in `.prom` for node_exporter's textfile collector, and two different value sets
    /// never share a file. A process that restarts with the same values replaces its own
    /// file; a finished process' file stays, with its last values, until someone removes it.
    ///
    /// Freezes the constant labels (see [`const_labels`](Self::const_labels)).
    ///
    /// # Errors
    ///
    /// The constant labels' error when one has no value; `InvalidInput` when the name would
    /// be longer than 221 bytes (255, what a file name may have, less what the temporary
    /// file's name adds).
    ///
    /// ```
    /// # mod metrics {
    /// #     geno_metrics::registry!("examples/fleet.toml");
    /// # }
    /// metrics::METRICS.set_const_labels(&[("rank", "3"), ("run", "Run.7")])?;
    /// let path = metrics::METRICS.default_textfile_path()?;
    /// assert_eq!(path, geno_metrics::metrics_path().with_file_name("metrics.rank=3.run=%52un%2E7.prom"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn default_textfile_path(&self) -> io::Result<PathBuf> {
        let base = metrics_path();
        if self.const_label_specs().is_empty() {
            return Ok(base);
        }
        let mut labels: Vec<_> = self.const_labels()?.iter().collect();
        labels.sort_by_key(|(label, _)| *label);
        let mut name = String::from("metrics");
        for (label, value) in labels {
            name.push('.');
            name.push_str(label);
            name.push('=');
            for &byte in value.as_bytes() {
                match byte {
                    b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => name.push(char::from(byte)),
                    _ => name.push_str(&format!("%{byte:02X}")),
                }
            }
        }
        name.push_str(".prom");
        if name.len() > MAX_FILE_NAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot export metrics: the file name made from the constant labels would be {} bytes, more than the {MAX_FILE_NAME} the export allows ({}...); shorten their values or pass a path to export_prometheus_textfile",
                    name.len(),
                    &name[..64]
                ),
            ));
        }
        Ok(base.with_file_name(name))
    }

    /// Runs the sync hooks, then writes the exposition to `path` (default:
    /// [`default_textfile_path`](Self::default_textfile_path): [`metrics_path`] without
    /// constant labels, one file per process with them) atomically, creating the parent
    /// directory if needed. Returns the destination.
    ///
    /// Directories it creates are mode 0755 whatever the umask, so that a scraper running as
    /// another user (node_exporter usually does) can enter them; directories that exist are
    /// left as they are.
    ///
    /// The temporary file is `.<file name>.<pid>.<n>.tmp` beside the target, created
    /// exclusively (never through an existing file or symlink) with mode 0644 whatever the
    /// umask. It is written in full, fsynced, renamed over the target, and the directory is
    /// fsynced. A reader sees the old file or the new one, never a mix; concurrent exporters,
    /// threads or processes, each replace the file whole. Exports of one registry are
    /// serialised, so within a process the file's values never go back in time.
    ///
    /// The writer holds a lock on its temporary file until the rename. Each export first
    /// removes the temporary files that writers to the same target left when they died
    /// mid-export: only names of exactly that form, only regular files, only when their lock
    /// is free (the kernel frees it when its holder dies). Nothing else is ever touched. A
    /// name that is taken (a live writer with the same pid in another pid namespace, or
    /// something planted there) is skipped for the next one, up to 8 times.
    ///
    /// # Errors
    ///
    /// A sync hook that panics fails the export with an error naming the panic; so does a
    /// constant label without a value (see [`const_labels`](Self::const_labels)). Any other
    /// failure (the target is a directory, the parent is a file, the temporary name is
    /// taken, the disk is full, ...) returns an error whose message names the target path and
    /// the step that failed. The temporary file is removed and the previous target is left
    /// byte for byte as it was.
    ///
    /// ```
    /// # use geno_metrics::{Counter, Metric, MetricKind, MetricSpec, Registry};
    /// # static SPECS: [MetricSpec; 1] = [MetricSpec::new("demo_jobs_total", MetricKind::Counter, "Jobs.")];
    /// # static JOBS_TOTAL: Counter = Counter::new(&SPECS[0]);
    /// # static METRICS: Registry = Registry::new(&SPECS, &[Metric::Counter(&JOBS_TOTAL)]);
    /// let dir = std::env::temp_dir().join(format!("geno-metrics-doc-{}", std::process::id()));
    /// let written = METRICS.export_prometheus_textfile(Some(&dir.join("metrics.prom")))?;
    /// assert!(std::fs::read_to_string(&written)?.contains("demo_jobs_total 0\n"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn export_prometheus_textfile(&self, path: Option<&Path>) -> io::Result<PathBuf> {
        let destination = match path {
            Some(path) => path.to_path_buf(),
            None => self.default_textfile_path()?,
        };
        // One export at a time per registry, from snapshot to rename: otherwise an older
        // snapshot could be renamed over a newer one and counters would go backwards in the
        // file, which Prometheus reads as a counter reset.
        let _one_at_a_time = self
            .export_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.run_sync_hooks()
            .map_err(|panic| panic.into_io_error())?;
        let mut contents = Vec::with_capacity(4096);
        self.encode_text_without_hooks(&mut contents)?;
        write_atomically(&destination, &contents)?;
        Ok(destination)
    }
}

/// An export error: the destination, the step that failed and the path it worked on, the
/// cause, and what to do, where the step and the cause say it.
fn export_error(destination: &Path, step: Step, path: &Path, cause: &io::Error) -> io::Error {
    let hint = step
        .hint(cause.kind())
        .map_or_else(String::new, |hint| format!("; {hint}"));
    io::Error::new(
        cause.kind(),
        format!(
            "cannot export metrics to {}: {}: {cause}{hint}",
            destination.display(),
            step.doing(path),
        ),
    )
}

/// A check before any step: the path itself is unusable, as `cause` says.
fn unusable_path(destination: &Path, cause: &io::Error) -> io::Error {
    io::Error::new(
        cause.kind(),
        format!(
            "cannot export metrics to {}: {cause}",
            destination.display()
        ),
    )
}

/// Replaces `destination` with `contents` atomically (see `export_prometheus_textfile`).
pub(crate) fn write_atomically(destination: &Path, contents: &[u8]) -> io::Result<()> {
    let fail = |step, path: &Path, cause| export_error(destination, step, path, &cause);
    let Some(file_name) = destination.file_name() else {
        let cause = io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path does not end in a file name; name a file, e.g. metrics.prom",
        );
        return Err(unusable_path(destination, &cause));
    };
    let directory = match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let Ok(found) = fs::symlink_metadata(destination) {
        let kind = found.file_type();
        if kind.is_dir() {
            let cause = io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory; name a file in it, e.g. metrics.prom",
            );
            return Err(unusable_path(destination, &cause));
        }
        // A FIFO, socket or device node would be replaced by the rename: refuse it, whoever
        // runs the job (as root, `/dev/null` would go).
        if !kind.is_file() && !kind.is_symlink() {
            let cause = io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is not a regular file (a FIFO, socket or device): export to a file",
            );
            return Err(unusable_path(destination, &cause));
        }
    }
    create_directories(directory).map_err(|(made, e)| fail(Step::CreateDirectory, &made, e))?;
    // From here on every step works in this one open directory, whatever its path comes to
    // name meanwhile (a rotation, a swap).
    let opened = checkpoint(Step::OpenDirectory)
        .and_then(|()| Directory::open(directory))
        .map_err(|e| fail(Step::OpenDirectory, directory, e))?;

    // First, what writers killed mid-export left: one of their names may be the one this
    // process is about to take (a restarted container's job often gets its old pid back).
    remove_dead_writers_temp_files(&opened, file_name);
    let (file, temp) = create_temp(&opened, file_name)
        .map_err(|(temp, e)| fail(Step::CreateTemp, &directory.join(temp), e))?;
    if let Err((step, cause)) = fill_and_publish(&opened, file, &temp, file_name, contents) {
        // Nothing of ours may stay behind; the target was not touched before the rename.
        let _ = opened.remove(&temp);
        return Err(fail(step, &directory.join(&temp), cause));
    }
    checkpoint(Step::SyncDirectory)
        .and_then(|()| opened.sync())
        .map_err(|e| fail(Step::SyncDirectory, directory, e))
}

/// Creates `directory` and whichever of its parents are missing, each readable and enterable
/// by every user (mode 0755) whatever the umask, as the file itself is 0644: node_exporter
/// usually runs as a user of its own, and a directory it cannot enter makes its textfile
/// collector report `node_textfile_scrape_error 1`. Directories that exist are left as they
/// are. On error, the directory that could not be made.
fn create_directories(directory: &Path) -> Result<(), (PathBuf, io::Error)> {
    let mut missing = Vec::new();
    let mut cursor = directory;
    loop {
        match fs::metadata(cursor) {
            Ok(found) if found.is_dir() => break,
            Ok(_) => {
                let cause = io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "it exists and is not a directory",
                );
                return Err((cursor.to_path_buf(), cause));
            }
            // Missing, or behind something that is not a directory: look further up, to
            // name what stands in the way.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                missing.push(cursor);
            }
            Err(e) => return Err((cursor.to_path_buf(), e)),
        }
        match cursor.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => cursor = parent,
            _ => break,
        }
    }
    for made in missing.into_iter().rev() {
        let created = match checkpoint(Step::CreateDirectory).and_then(|()| fs::create_dir(made)) {
            Ok(()) => make_enterable_by_all(made),
            // Another exporter made it between our look and now: theirs is as good.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && made.is_dir() => Ok(()),
            Err(e) => Err(e),
        };
        created.map_err(|e| (made.to_path_buf(), e))?;
    }
    Ok(())
}

/// Sets a directory this export created to mode 0755, past the umask.
#[cfg(unix)]
fn make_enterable_by_all(directory: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(directory, fs::Permissions::from_mode(0o755))
}

/// Elsewhere the platform's default permissions stand.
#[cfg(not(unix))]
fn make_enterable_by_all(_directory: &Path) -> io::Result<()> {
    Ok(())
}

/// How many temporary names one export tries. A name is taken when a live writer elsewhere
/// has the same pid (another pid namespace sharing the directory) or something was planted
/// there; the next sequence number gives another name.
const TEMP_NAME_ATTEMPTS: usize = 8;

/// `.<file name>.<pid>.<n>.tmp`: the temporary name of this process's `n`-th export to a
/// target named `file_name`.
fn temp_name(file_name: &OsStr, sequence: u64) -> std::ffi::OsString {
    let mut name = std::ffi::OsString::from(".");
    name.push(file_name);
    name.push(format!(".{}.{sequence}.tmp", std::process::id()));
    name
}

/// Creates a temporary file beside the target and takes its lock, which tells cleaners in
/// other processes that its writer is alive. On failure, returns the last name tried.
fn create_temp(
    directory: &Directory,
    file_name: &OsStr,
) -> Result<(File, std::ffi::OsString), (std::ffi::OsString, io::Error)> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let sequence = TEMP_SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let temp = temp_name(file_name, sequence);
        let created = checkpoint(Step::CreateTemp).and_then(|()| directory.create_exclusive(&temp));
        let (error, retry) = match created {
            Ok(file) if claim(directory, &file, &temp) => return Ok((file, temp)),
            // A cleaner took the file for a dead writer's in the moment before the lock, and
            // removed it: nothing of ours is left at that name.
            Ok(_) => (
                io::Error::other("removed by a cleaner as it was created"),
                true,
            ),
            Err(e) => {
                let taken = e.kind() == io::ErrorKind::AlreadyExists;
                (e, taken)
            }
        };
        if !retry || attempts == TEMP_NAME_ATTEMPTS {
            return Err((temp, error));
        }
    }
}

/// Locks `file`, just created as `name` in `directory`, for as long as it is open, and checks
/// it is still there: a cleaner may have removed it, as a dead writer's, before the lock was
/// taken.
///
/// A filesystem without locks (some network filesystems) fails the lock; the export goes on
/// without it, and cleaners there, failing too, remove nothing.
fn claim(directory: &Directory, file: &File, name: &OsStr) -> bool {
    let _ = file.lock();
    directory.holds(name, file)
}

fn fill_and_publish(
    directory: &Directory,
    mut file: File,
    temp: &OsStr,
    target: &OsStr,
    contents: &[u8],
) -> Result<(), (Step, io::Error)> {
    let step = |step: Step, work: &mut dyn FnMut() -> io::Result<()>| {
        checkpoint(step)
            .and_then(|()| work())
            .map_err(|e| (step, e))
    };
    // The mode given at creation is masked by the umask; set it outright.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        step(Step::SetMode, &mut || {
            file.set_permissions(fs::Permissions::from_mode(0o644))
        })?;
    }
    step(Step::Write, &mut || file.write_all(contents))?;
    step(Step::SyncFile, &mut || file.sync_all())?;
    // The file stays open, so locked, until it has its final name: until then a cleaner
    // could take it for a dead writer's.
    let renamed = step(Step::Rename, &mut || directory.rename(temp, target));
    drop(file);
    renamed
}

/// Removes the temporary files that writers to this same target left when they died
/// mid-export (killed, out of memory, power lost), so they neither pile up in the directory
/// nor hold a name a later export needs.
///
/// A writer holds a lock on its temporary file from creation to rename, and the kernel drops
/// the lock when the writer dies, however it dies. So a file is removed only when all of these
/// hold: its name is exactly `.<file name>.<pid>.<n>.tmp` for this target; it is a regular
/// file (opened without following a symlink); and its lock is free, so no process, in any pid
/// namespace on this machine, is writing it. Anything else in the directory is never touched.
/// Errors are ignored: leftovers are tidied, not relied on.
fn remove_dead_writers_temp_files(directory: &Directory, file_name: &OsStr) {
    let Ok(names) = directory.names() else {
        return;
    };
    for name in names {
        if is_temp_name(&name, file_name) {
            let _ = remove_if_abandoned(directory, &name);
        }
    }
}

/// Removes `name` if it is a regular file whose lock no one holds; returns whether it did.
fn remove_if_abandoned(directory: &Directory, name: &OsStr) -> io::Result<bool> {
    // Never through a symlink; and a FIFO must not block the export until a writer comes.
    let file = directory.open_existing(name)?;
    if !file.metadata()?.file_type().is_file() {
        return Ok(false);
    }
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Ok(false), // its writer is alive
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    // Still the file that was opened, not one created at that name since.
    if !directory.holds(name, &file) {
        return Ok(false);
    }
    directory.remove(name)?;
    Ok(true)
}

/// Whether `name` is one of our temporary names for the target `file_name`:
/// `.<file_name>.<pid>.<n>.tmp`, with `pid` and `n` decimal digits.
fn is_temp_name(name: &OsStr, file_name: &OsStr) -> bool {
    let rest = name
        .as_encoded_bytes()
        .strip_prefix(b".")
        .and_then(|r| r.strip_prefix(file_name.as_encoded_bytes()))
        .and_then(|r| r.strip_prefix(b"."))
        .and_then(|r| r.strip_suffix(b".tmp"));
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    rest.and_then(|r| {
        let dot = r.iter().position(|&b| b == b'.')?;
        Some(digits(&r[..dot]) && digits(&r[dot + 1..]))
    })
    .unwrap_or(false)
}

/// The steps of an export that can fail: each says what it was doing, and what to do about
/// the failures it can have. The unit tests make each one fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    CreateDirectory,
    OpenDirectory,
    CreateTemp,
    #[cfg_attr(not(unix), allow(dead_code))]
    SetMode,
    Write,
    SyncFile,
    Rename,
    SyncDirectory,
}

impl Step {
    /// What the step was doing, on `path`: the directory, or the temporary file.
    fn doing(self, path: &Path) -> String {
        let path = path.display();
        match self {
            Self::CreateDirectory => format!("creating the directory {path}"),
            Self::OpenDirectory => format!("opening the directory {path}"),
            Self::CreateTemp => format!("creating the temporary file {path}"),
            Self::SetMode => format!("setting mode 0644 on the temporary file {path}"),
            Self::Write => format!("writing the temporary file {path}"),
            Self::SyncFile => format!("fsyncing the temporary file {path}"),
            Self::Rename => format!("renaming the temporary file {path} over the target"),
            Self::SyncDirectory => {
                format!("fsyncing the directory {path} after the rename (the new file is in place)")
            }
        }
    }

    /// What to do when this step fails with `kind`, when that is known. A hint names only
    /// what this step touched: never a file of the user's to remove.
    fn hint(self, kind: io::ErrorKind) -> Option<&'static str> {
        use io::ErrorKind::{
            AlreadyExists, FileTooLarge, NotADirectory, PermissionDenied, ReadOnlyFilesystem,
            StorageFull,
        };
        Some(match (self, kind) {
            (_, StorageFull) => "free disk space; the previous file is left as it was",
            (_, ReadOnlyFilesystem) => "the filesystem is read-only: export to a writable one",
            (Self::CreateDirectory, PermissionDenied) => {
                "this user may not create it: create it with write access for the job, or set GENO_LEWM_LOG_DIR (or the path) to a writable directory"
            }
            (Self::CreateDirectory | Self::OpenDirectory, NotADirectory) => {
                "something that is not a directory stands in the path: point GENO_LEWM_LOG_DIR (or the path) at a directory"
            }
            (Self::OpenDirectory | Self::CreateTemp | Self::Rename, PermissionDenied) => {
                "this user may not write in the directory: give the job write access, or export elsewhere"
            }
            (Self::CreateTemp, AlreadyExists) => {
                "another file or symlink holds each temporary name tried; such names are only a writer of this target's, so if no live job writes this target, remove it"
            }
            (Self::Write, FileTooLarge) => {
                "the process's file size limit (ulimit -f) is below the exposition's size: raise it"
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
thread_local! {
    /// The step the next export on this thread fails at, and how, in unit tests.
    static FAIL_AT: std::cell::Cell<Option<(Step, io::ErrorKind)>> =
        const { std::cell::Cell::new(None) };
}

/// Fails when a unit test asked for `step` to fail; always passes outside tests. Some failures
/// (an fsync or a rename that fails) cannot be provoked from a test on an ordinary filesystem.
fn checkpoint(step: Step) -> io::Result<()> {
    #[cfg(test)]
    if let Some((at, kind)) = FAIL_AT.get()
        && at == step
    {
        return Err(io::Error::new(
            kind,
            format!("injected failure at {step:?}"),
        ));
    }
    let _ = step;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// A fresh, empty directory for one test, under one directory for this test process.
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

    const STEPS: [Step; 8] = [
        Step::CreateDirectory,
        Step::OpenDirectory,
        Step::CreateTemp,
        Step::SetMode,
        Step::Write,
        Step::SyncFile,
        Step::Rename,
        Step::SyncDirectory,
    ];

    /// Exports `b"next 2\n"` to `<dir>/new/metrics.prom` over a previous file, failing at
    /// `step` with `kind`; the error, and the directory it exported to.
    fn fail_at(step: Step, kind: io::ErrorKind, test: &str) -> (io::Error, PathBuf) {
        let dir = scratch(test);
        let target = dir.join("new").join("metrics.prom");
        if step != Step::CreateDirectory {
            fs::create_dir(dir.join("new")).unwrap();
            fs::write(&target, "previous 1\n").unwrap();
        }
        FAIL_AT.set(Some((step, kind)));
        let error = write_atomically(&target, b"next 2\n").unwrap_err();
        FAIL_AT.set(None);
        (error, dir)
    }

    #[test]
    fn every_failing_step_leaves_the_previous_file_and_no_temp_file() {
        for step in STEPS {
            let (error, dir) = fail_at(step, io::ErrorKind::Other, &format!("fail_{step:?}"));
            let target = dir.join("new").join("metrics.prom");
            let message = error.to_string();
            assert!(
                message.contains(&target.display().to_string()),
                "{step:?}: {message}"
            );
            assert!(message.contains("injected failure"), "{step:?}: {message}");
            if step == Step::CreateDirectory {
                assert!(!dir.join("new").exists(), "{step:?}");
            } else if step == Step::SyncDirectory {
                // The rename is done: the new file is in place, and the message says so.
                assert_eq!(fs::read(&target).unwrap(), b"next 2\n");
                assert!(message.contains("the new file is in place"), "{message}");
                assert_eq!(names(&dir.join("new")), ["metrics.prom"], "{step:?}");
            } else {
                assert_eq!(fs::read(&target).unwrap(), b"previous 1\n", "{step:?}");
                assert_eq!(names(&dir.join("new")), ["metrics.prom"], "{step:?}");
            }
            fs::remove_dir_all(&dir).unwrap();
        }
        // And without an injected failure the same call goes through.
        let dir = scratch("fail_none");
        write_atomically(&dir.join("metrics.prom"), b"next 2\n").unwrap();
        assert_eq!(names(&dir), ["metrics.prom"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Every step's message names the path that step worked on and gives the remedy that
    /// belongs to that step, for every kind of failure: the advice to remove a file belongs
    /// to the temporary name alone.
    #[test]
    fn each_step_names_its_path_and_its_own_remedy() {
        use io::ErrorKind::{
            AlreadyExists, FileTooLarge, NotADirectory, PermissionDenied, StorageFull,
        };
        for step in STEPS {
            for kind in [
                AlreadyExists,
                PermissionDenied,
                StorageFull,
                NotADirectory,
                FileTooLarge,
            ] {
                let (error, dir) = fail_at(step, kind, &format!("remedy_{step:?}_{kind:?}"));
                let message = error.to_string();
                let worked_on = match step {
                    Step::CreateDirectory | Step::OpenDirectory | Step::SyncDirectory => {
                        dir.join("new")
                    }
                    _ => dir.join("new").join(".metrics.prom."),
                };
                let worked_on = worked_on.display().to_string();
                assert!(message.contains(&worked_on), "{step:?} {kind:?}: {message}");
                let remove = message.contains("remove");
                assert_eq!(
                    remove,
                    step == Step::CreateTemp && kind == AlreadyExists,
                    "{step:?} {kind:?}: {message}"
                );
                let expected = step.hint(kind);
                assert_eq!(
                    expected.is_some_and(|hint| message.ends_with(hint)),
                    expected.is_some(),
                    "{step:?} {kind:?}: {message}"
                );
                if kind == StorageFull {
                    assert!(message.contains("free disk space"), "{message}");
                }
                fs::remove_dir_all(&dir).unwrap();
            }
        }
    }

    /// `GENO_LEWM_LOG_DIR=<dir>/metrics.prom` where that is the user's file: the export fails
    /// naming it, advises another directory, never its removal, and leaves it as it was.
    #[test]
    fn a_file_where_the_directory_should_be_is_left_alone_and_not_to_be_removed() {
        let dir = scratch("file_as_directory");
        let file = dir.join("metrics.prom");
        fs::write(&file, "the user's own data\n").unwrap();
        let error = write_atomically(&file.join("metrics.prom"), b"x 1\n").unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains(&format!("creating the directory {}", file.display())),
            "{message}"
        );
        assert!(message.contains("point GENO_LEWM_LOG_DIR"), "{message}");
        assert!(!message.contains("remove"), "{message}");
        assert_eq!(fs::read_to_string(&file).unwrap(), "the user's own data\n");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn temp_names_are_recognised_exactly() {
        let ours = |name: &str| is_temp_name(OsStr::new(name), OsStr::new("metrics.prom"));
        assert!(ours(".metrics.prom.4242.0.tmp"));
        assert!(ours(".metrics.prom.1.123456.tmp"));
        let own = temp_name(OsStr::new("metrics.prom"), 7);
        assert!(is_temp_name(&own, OsStr::new("metrics.prom")));
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
        ] {
            assert!(!ours(other), "{other}");
        }
        // The temp names of a target whose own name has more dots stay apart.
        assert!(!is_temp_name(OsStr::new(".a.5.6.7.tmp"), OsStr::new("a")));
    }

    #[test]
    fn only_unlocked_temp_files_of_this_target_are_removed() {
        let dir = scratch("cleanup");
        let plant = |name: &str| {
            let path = dir.join(name);
            fs::write(&path, "leftover").unwrap();
            path
        };
        // A dead writer's leftover: nobody holds its lock.
        plant(".metrics.prom.4242.7.tmp");
        // A live writer's file (this test holds its lock through another open file).
        let live = ".metrics.prom.4242.8.tmp";
        let held = File::open(plant(live)).unwrap();
        held.lock().unwrap();
        // Not ours to judge: another target, other names, a symlink, a directory, a FIFO.
        let kept = [
            ".other.prom.4242.1.tmp",
            ".metrics.prom.4242.tmp",
            "notes.txt",
        ];
        for name in kept {
            plant(name);
        }
        let victim = plant("victim.txt");
        let link = ".metrics.prom.4242.10.tmp";
        std::os::unix::fs::symlink(&victim, dir.join(link)).unwrap();
        let directory = ".metrics.prom.4242.11.tmp";
        fs::create_dir(dir.join(directory)).unwrap();
        let fifo = ".metrics.prom.4242.12.tmp";
        let made = Command::new("mkfifo").arg(dir.join(fifo)).status().unwrap();
        assert!(made.success());

        write_atomically(&dir.join("metrics.prom"), b"x 1\n").unwrap();

        let mut expected: Vec<String> = kept.iter().map(|s| (*s).to_owned()).collect();
        expected
            .extend([live, link, directory, fifo, "victim.txt", "metrics.prom"].map(String::from));
        expected.sort();
        assert_eq!(names(&dir), expected, "only .metrics.prom.4242.7.tmp goes");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "leftover");
        // Once its writer is gone, the next export removes the live one's file too.
        drop(held);
        write_atomically(&dir.join("metrics.prom"), b"x 2\n").unwrap();
        assert!(!names(&dir).contains(&live.to_owned()));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_created_at_a_name_a_cleaner_just_removed_is_not_mistaken() {
        // A cleaner that locked and checked a file must not remove another one put at that
        // name since: `remove_if_abandoned` compares the open file with the name's file.
        let dir = scratch("replaced");
        let path = dir.join(".metrics.prom.1.1.tmp");
        fs::write(&path, "first").unwrap();
        let first = File::open(&path).unwrap();
        fs::remove_file(&path).unwrap();
        fs::write(&path, "second").unwrap();
        let opened = Directory::open(&dir).unwrap();
        let name = std::ffi::OsStr::new(".metrics.prom.1.1.tmp");
        assert!(!opened.holds(name, &first));
        assert!(opened.holds(name, &File::open(&path).unwrap()));
        fs::remove_dir_all(&dir).unwrap();
    }
}
