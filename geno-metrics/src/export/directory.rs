//! The directory an export writes in, opened once: every later step (create the temporary
//! file, check it is still ours, rename it over the target, remove it, fsync the directory,
//! list and tidy dead writers' files) is done relative to that one open directory, never by
//! looking its path up again. A directory rotated away (`mv d d.1; mkdir d`) or swapped for
//! something else mid-export cannot split an export over two directories, strand a temporary
//! file, or make a step block on a FIFO.
//!
//! On Unix through rustix's safe wrappers of `openat`, `renameat`, `unlinkat` and `fstatat`;
//! elsewhere by path, as the platform allows.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::Path;

#[cfg(unix)]
pub(crate) use unix::Directory;

#[cfg(not(unix))]
pub(crate) use by_path::Directory;

#[cfg(unix)]
mod unix {
    use std::os::fd::OwnedFd;
    use std::os::unix::ffi::OsStrExt;

    use rustix::fs::{AtFlags, Dir, Mode, OFlags};

    use super::{File, OsStr, OsString, Path, io};

    /// One open directory.
    #[derive(Debug)]
    pub(crate) struct Directory {
        fd: OwnedFd,
    }

    impl Directory {
        /// Opens the directory at `path`. `O_DIRECTORY` makes anything but a directory (a
        /// FIFO, say) fail at once, and `O_NONBLOCK` keeps the open itself from waiting.
        pub(crate) fn open(path: &Path) -> io::Result<Directory> {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NONBLOCK;
            Ok(Directory {
                fd: rustix::fs::open(path, flags, Mode::empty())?,
            })
        }

        /// Creates `name`, mode 0644 before the umask, failing if anything (a file, a
        /// symlink, dangling or not) is already there: `O_CREAT | O_EXCL | O_NOFOLLOW`.
        pub(crate) fn create_exclusive(&self, name: &OsStr) -> io::Result<File> {
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(0o644))?;
            Ok(File::from(fd))
        }

        /// Opens `name` to inspect it: never through a symlink, and without waiting on a
        /// FIFO for a writer.
        pub(crate) fn open_existing(&self, name: &OsStr) -> io::Result<File> {
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&self.fd, name, flags, Mode::empty())?;
            Ok(File::from(fd))
        }

        /// Whether the entry `name` (not followed if a symlink) is the open `file`.
        pub(crate) fn holds(&self, name: &OsStr, file: &File) -> bool {
            let (Ok(there), Ok(ours)) = (
                rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW),
                rustix::fs::fstat(file),
            ) else {
                return false;
            };
            (there.st_dev, there.st_ino) == (ours.st_dev, ours.st_ino)
        }

        /// Renames `from` to `to`, both in this directory: atomic, replacing `to`.
        pub(crate) fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
            Ok(rustix::fs::renameat(&self.fd, from, &self.fd, to)?)
        }

        /// Removes the file `name` from this directory.
        pub(crate) fn remove(&self, name: &OsStr) -> io::Result<()> {
            Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?)
        }

        /// Fsyncs the directory, so a rename in it survives a crash. Filesystems that cannot
        /// fsync a directory (EINVAL, ENOTSUP) offer nothing more to wait for: that is done.
        pub(crate) fn sync(&self) -> io::Result<()> {
            match rustix::fs::fsync(&self.fd) {
                Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOTSUP => Ok(()),
                other => Ok(other?),
            }
        }

        /// The names in the directory, `.` and `..` left out.
        pub(crate) fn names(&self) -> io::Result<Vec<OsString>> {
            let mut names = Vec::new();
            for entry in Dir::read_from(&self.fd)? {
                let name = OsStr::from_bytes(entry?.file_name().to_bytes()).to_owned();
                if name != "." && name != ".." {
                    names.push(name);
                }
            }
            Ok(names)
        }
    }
}

#[cfg(not(unix))]
mod by_path {
    use std::fs::{self, OpenOptions};
    use std::path::PathBuf;

    use super::{File, OsStr, OsString, Path, io};

    /// The directory, by path: what the platform offers without `openat`.
    #[derive(Debug)]
    pub(crate) struct Directory {
        path: PathBuf,
    }

    impl Directory {
        pub(crate) fn open(path: &Path) -> io::Result<Directory> {
            if !fs::metadata(path)?.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "not a directory",
                ));
            }
            Ok(Directory {
                path: path.to_path_buf(),
            })
        }

        pub(crate) fn create_exclusive(&self, name: &OsStr) -> io::Result<File> {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.path.join(name))
        }

        pub(crate) fn open_existing(&self, name: &OsStr) -> io::Result<File> {
            File::open(self.path.join(name))
        }

        pub(crate) fn holds(&self, name: &OsStr, _file: &File) -> bool {
            fs::symlink_metadata(self.path.join(name)).is_ok()
        }

        pub(crate) fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
            fs::rename(self.path.join(from), self.path.join(to))
        }

        pub(crate) fn remove(&self, name: &OsStr) -> io::Result<()> {
            fs::remove_file(self.path.join(name))
        }

        pub(crate) fn sync(&self) -> io::Result<()> {
            Ok(())
        }

        pub(crate) fn names(&self) -> io::Result<Vec<OsString>> {
            fs::read_dir(&self.path)?
                .map(|entry| entry.map(|e| e.file_name()))
                .collect()
        }
    }
}
