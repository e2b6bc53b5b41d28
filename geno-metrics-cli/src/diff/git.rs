//! Where the guard reads a baseline from git: the registry file's text at a ref.
//!
//! Only "this path does not exist at the ref" means the registry is new there. Every other
//! failure (git missing or failing, the path being a directory or a symlink at the ref, text
//! that is not UTF-8) is an error, so that a baseline that could not be read never passes as
//! a first introduction.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The registry file's text at a git ref: `Ok(None)` when the ref's tree has no such path
/// (the registry is new), `Err` with the reason for anything else that keeps it from being
/// read. `file` may be spelled any way that names it (`sub/../metrics.toml`, through a
/// symlink): it is resolved against the repository root first. `moved_from`, when given, is
/// the registry's path at the ref, relative to the repository root.
pub(crate) fn registry_at(
    reference: &str,
    file: &Path,
    moved_from: Option<&Path>,
) -> Result<Option<String>, String> {
    let resolved = std::fs::canonicalize(file)
        .map_err(|e| format!("cannot resolve {}: {e}", file.display()))?;
    let directory = resolved.parent().unwrap_or(Path::new("/"));
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
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let relative = resolved.strip_prefix(&top).map_err(|_| {
        format!(
            "{} is outside the repository {}",
            file.display(),
            top.display()
        )
    })?;
    let relative = moved_from.unwrap_or(relative);
    // Git names paths with `/`, whatever the platform: plain parts only (a `./` dropped).
    let mut parts: Vec<String> = Vec::new();
    for part in relative.components() {
        match part {
            std::path::Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
            std::path::Component::CurDir => {}
            _ => {
                return Err(format!(
                    "--baseline-path {} must be relative to the repository root {}, without `..`",
                    relative.display(),
                    top.display()
                ));
            }
        }
    }
    let relative = parts;
    let relative = relative.join("/");
    let commit = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{reference}^{{commit}}"),
    ])?;
    if !commit.status.success() {
        // Only a shallow clone makes history fetching the remedy.
        let shallow = git(&["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "true");
        let remedy = if shallow {
            "this is a shallow clone: fetch more history (`fetch-depth: 0` on GitHub Actions)"
        } else {
            "check its spelling with `git log --oneline -1 REF`; a new repository needs a first commit"
        };
        return Err(format!("git ref `{reference}` does not exist: {remedy}"));
    }
    // What the ref's tree holds at the path: nothing, a file, or something else.
    let listed = git(&["ls-tree", "-z", "--full-tree", reference, "--", &relative])?;
    if !listed.status.success() {
        return Err(format!(
            "git ls-tree {reference} -- {relative} failed: {}",
            String::from_utf8_lossy(&listed.stderr).trim()
        ));
    }
    let entry = String::from_utf8_lossy(&listed.stdout);
    let Some(entry) = entry.split('\0').find(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let (mode, kind) = {
        let mut fields = entry.split_whitespace();
        (fields.next().unwrap_or(""), fields.next().unwrap_or(""))
    };
    match (mode, kind) {
        ("100644" | "100755", "blob") => {}
        ("120000", _) => {
            return Err(format!(
                "{relative} is a symlink at {reference}: name the file it points to"
            ));
        }
        (_, "tree") => {
            return Err(format!(
                "{relative} is a directory at {reference}, not a registry file"
            ));
        }
        _ => {
            return Err(format!(
                "{relative} at {reference} is not a plain file ({mode} {kind})"
            ));
        }
    }
    let spec = format!("{reference}:{relative}");
    let shown = git(&["cat-file", "blob", &spec])?;
    if !shown.status.success() {
        return Err(format!(
            "git cat-file blob {spec} failed: {}",
            String::from_utf8_lossy(&shown.stderr).trim()
        ));
    }
    String::from_utf8(shown.stdout)
        .map(Some)
        .map_err(|_| format!("{spec} is not UTF-8"))
}
