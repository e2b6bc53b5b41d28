//! Chooses the registry the module is compiled from: the file `$GENO_METRICS_TOML` names (an
//! absolute path: pip and maturin build in other directories than the caller's, so a relative
//! one is refused rather than read from somewhere unexpected), else the workspace's own
//! `metrics.toml`.
//! Writes `registry.rs` to `OUT_DIR`, a `registry!` call with that file's absolute path, which
//! `src/lib.rs` includes. The macro reads the file and cargo rebuilds when it changes.
//!
//! With the workspace's registry it also sets `cfg(geno_lewm_registry)`, which compiles
//! `src/genolewm.rs`: Rust code that records through that registry's typed handles.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The variable that names another registry.
const REGISTRY_ENV: &str = "GENO_METRICS_TOML";

fn main() -> ExitCode {
    println!("cargo::rerun-if-env-changed={REGISTRY_ENV}");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(geno_lewm_registry)");
    match write_registry() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn write_registry() -> Result<(), String> {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let workspace = manifest_dir.parent().unwrap_or(&manifest_dir);
    let chosen = std::env::var_os(REGISTRY_ENV).filter(|path| !path.is_empty());
    let registry = match &chosen {
        Some(path) if Path::new(path).is_relative() => {
            return Err(format!(
                "${REGISTRY_ENV} is the relative path {:?}: the build runs in {}, not where you ran pip, so give an absolute path (e.g. {REGISTRY_ENV}=\"$PWD/metrics.toml\")",
                Path::new(path).display().to_string(),
                manifest_dir.display()
            ));
        }
        Some(path) => PathBuf::from(path),
        None => {
            println!("cargo::rustc-cfg=geno_lewm_registry");
            workspace.join("metrics.toml")
        }
    };
    let registry = registry.canonicalize().map_err(|e| {
        let source = match &chosen {
            Some(_) => format!("${REGISTRY_ENV} names {}", registry.display()),
            None => format!("the workspace's registry {}", registry.display()),
        };
        format!(
            "{source}, which cannot be read: {e}; set {REGISTRY_ENV} to the absolute path of a metrics.toml"
        )
    })?;
    let literal = registry.to_str().ok_or_else(|| {
        format!(
            "the registry's path {} is not UTF-8, which registry! needs",
            registry.display()
        )
    })?;
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let generated = format!("::geno_metrics::registry!({literal:?});\n");
    write_if_changed(&out_dir.join("registry.rs"), &generated)
}

/// Writes `contents` to `path` unless it holds them already (so an unchanged choice does not
/// recompile the module).
fn write_if_changed(path: &Path, contents: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
