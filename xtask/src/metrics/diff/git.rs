//! Where the guard reads a baseline from git: the registry file's text at a ref.

use std::path::Path;
use std::process::Command;

/// The registry file's text at a git ref: `Ok(None)` when the ref's tree has no such file
/// (the registry is new), `Err` when the ref does not exist or git fails.
pub(crate) fn registry_at(reference: &str, file: &Path) -> Result<Option<String>, String> {
    let absolute =
        std::path::absolute(file).map_err(|e| format!("cannot resolve {}: {e}", file.display()))?;
    let directory = absolute.parent().unwrap_or(Path::new("/"));
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(directory)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))
    };
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        return Err(format!(
            "{} is not inside a git repository: {}",
            file.display(),
            String::from_utf8_lossy(&top.stderr).trim()
        ));
    }
    let top = std::path::PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let relative = absolute.strip_prefix(&top).map_err(|_| {
        format!(
            "{} is outside the repository {}",
            file.display(),
            top.display()
        )
    })?;
    let commit = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{reference}^{{commit}}"),
    ])?;
    if !commit.status.success() {
        return Err(format!(
            "git ref `{reference}` does not exist (in a shallow clone, fetch more history)"
        ));
    }
    let spec = format!("{reference}:{}", relative.display());
    if !git(&["cat-file", "-e", &spec])?.status.success() {
        return Ok(None);
    }
    let shown = git(&["show", &spec])?;
    if !shown.status.success() {
        return Err(format!(
            "git show {spec} failed: {}",
            String::from_utf8_lossy(&shown.stderr).trim()
        ));
    }
    String::from_utf8(shown.stdout)
        .map(Some)
        .map_err(|_| format!("{spec} is not UTF-8"))
}
