//! The Python module `geno_metrics` (`geno-metrics-py/`): CI's `python` step and
//! `cargo xtask bench-python`.
//!
//! Both work in a virtual environment under the target directory (`<target>/python/venv`,
//! `CARGO_TARGET_DIR` honoured), made with the `python3` on `PATH` and given the pinned
//! packages of `geno-metrics-py/requirements-dev.txt` (maturin, pytest, mypy,
//! prometheus_client) from PyPI whenever that file changed since the last install. maturin
//! builds the wheel in a target directory of its own (`<target>/python/build`: it builds the
//! module as an extension, which would otherwise rebuild what the other steps built), and pip
//! installs it, so the tests run what a user installs: the native module, the Python part,
//! the stubs and `py.typed`.
//!
//! - `ci_step`: a debug build, then `pytest` (the suite in `geno-metrics-py/tests`) and
//!   `mypy --strict` over the tests and the benchmark (the suite runs mypy over the installed
//!   package and its example itself).
//! - `bench` (`cargo xtask bench-python`): a release build, then
//!   `geno-metrics-py/benches/vs_prometheus_client.py`. Not in CI: its figures depend on the
//!   machine.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::ci::target_dir;
use crate::flags::BenchPython;
use crate::{Outcome, workspace_root};

/// The crate of the module, under the workspace root.
const CRATE: &str = "geno-metrics-py";

/// The packages the environment gets, pinned.
const REQUIREMENTS: &str = "geno-metrics-py/requirements-dev.txt";

/// How the module is built.
#[derive(Clone, Copy)]
enum Profile {
    Debug,
    Release,
}

/// CI's step: build the module, install it, run pytest and mypy.
pub(crate) fn ci_step(root: &Path) -> Result<(), String> {
    let python = prepare(root, Profile::Debug)?;
    let module = root.join(CRATE);
    let cache = python_dir(root).join("mypy-cache");
    run(Command::new(&python)
        .args(["-m", "pytest", "-q"])
        .env("GENO_METRICS_MYPY_CACHE", &cache)
        .current_dir(&module))?;
    run(Command::new(&python)
        .args(["-m", "mypy", "--strict", "--cache-dir"])
        .arg(&cache)
        .args(["tests", "benches"])
        .current_dir(&module))
}

/// `cargo xtask bench-python`: a release build, then the benchmark.
pub(crate) fn bench(options: &BenchPython) -> ExitCode {
    let root = workspace_root();
    let outcome = prepare(&root, Profile::Release).and_then(|python| {
        let status = Command::new(&python)
            .arg(root.join(CRATE).join("benches/vs_prometheus_client.py"))
            .args(["--runs", &options.runs.to_string()])
            .args(["--number", &options.number.to_string()])
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .status()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        Ok(status.success())
    });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => Outcome::Findings.into(),
        Err(message) => {
            eprintln!("error: xtask bench-python: {message}");
            Outcome::CouldNotRun.into()
        }
    }
}

/// `<target>/python`: the environment, maturin's builds, the wheels, mypy's cache.
fn python_dir(root: &Path) -> PathBuf {
    target_dir(root, env::var_os("CARGO_TARGET_DIR")).join("python")
}

/// Makes the environment, builds the module as `profile` says and installs it; returns the
/// environment's interpreter.
fn prepare(root: &Path, profile: Profile) -> Result<PathBuf, String> {
    let dir = python_dir(root);
    let python = environment(&dir.join("venv"), &root.join(REQUIREMENTS))?;
    let wheels = dir.join("wheels");
    if wheels.exists() {
        fs::remove_dir_all(&wheels)
            .map_err(|e| format!("cannot empty {}: {e}", wheels.display()))?;
    }
    let mut maturin = Command::new(&python);
    maturin
        .args(["-m", "maturin", "build", "--locked", "--interpreter"])
        .arg(&python)
        .arg("--target-dir")
        .arg(dir.join("build"))
        .arg("--out")
        .arg(&wheels)
        .current_dir(root.join(CRATE));
    if let Profile::Release = profile {
        maturin.arg("--release");
    }
    run(&mut maturin)?;
    let wheel = fs::read_dir(&wheels)
        .map_err(|e| format!("cannot read {}: {e}", wheels.display()))?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "whl"))
        .ok_or_else(|| format!("maturin built no wheel in {}", wheels.display()))?;
    run(pip(&python)
        .args(["--force-reinstall", "--no-deps"])
        .arg(&wheel))?;
    Ok(python)
}

/// The interpreter of the virtual environment `venv`, made if missing, with the packages of
/// `requirements` installed unless the same file was installed last.
fn environment(venv: &Path, requirements: &Path) -> Result<PathBuf, String> {
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        println!(
            "==> xtask: making a virtual environment in {}",
            venv.display()
        );
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .output();
        match made {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                return Err(format!(
                    "`python3 -m venv {}` failed: {}; Debian's `sudo apt-get install python3-venv` provides the venv module",
                    venv.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Err(e) => {
                return Err(format!(
                    "cannot run python3 ({e}): the Python tests need Python 3.10 or newer with venv on PATH as `python3`; on Debian: `sudo apt-get install python3 python3-venv`"
                ));
            }
        }
    }
    let wanted = fs::read_to_string(requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let stamp = venv.join("installed-requirements.txt");
    if fs::read_to_string(&stamp).is_ok_and(|installed| installed == wanted) {
        return Ok(python);
    }
    println!(
        "==> xtask: installing the pinned packages of {} from PyPI",
        requirements.display()
    );
    run(pip(&python).arg("--requirement").arg(requirements))?;
    fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(python)
}

/// `pip install`, quiet, with the environment's interpreter.
fn pip(python: &Path) -> Command {
    let mut pip = Command::new(python);
    pip.args(["-m", "pip", "install", "--quiet"])
        .arg("--disable-pip-version-check");
    pip
}

/// Runs `command`, which must succeed; Python writes no bytecode into the source tree.
fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let status = command
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}
