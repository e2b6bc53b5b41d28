//! `cargo xtask soak`: the reliability tests of `cargo xtask ci`, run longer and harder than CI
//! can afford, in release builds.
//!
//! ```text
//! cargo xtask soak [--secs N] [--kills N] [--cases N]
//! ```
//!
//! - the soak test (8 writers, snapshots, exports and the periodic exporter) for `--secs`
//!   seconds (default 600; CI runs it for 3);
//! - the crash test with `--kills` SIGKILLs (default 5,000; CI does 200);
//! - the property tests of the schema, the exposition, the runtime's inputs and the schema
//!   against promtool, with `--cases` cases each (default 100,000; CI runs a few hundred).
//!   The promtool one starts promtool for most cases, some 20 ms each: about half an hour
//!   at the default.
//!
//! Each is a plain `cargo test`, so any of them can also be run alone with the environment
//! variable this command sets; `RELIABILITY.md` lists them. The crash test needs the Debian
//! Prometheus tools on PATH, as in CI. Exit codes: 0 all passed, 1 a test failed, 2 could not
//! run (bad arguments, cargo missing).

use std::process::ExitCode;
use std::time::Instant;

use crate::flags::Soak;
use crate::{Outcome, workspace_root};

/// One `cargo test` run, made longer by one environment variable.
struct Run {
    name: &'static str,
    tests: &'static [&'static str],
    variable: &'static str,
    value: u64,
}

/// Runs `cargo xtask soak` with the arguments after the command name.
pub(crate) fn run(options: &Soak) -> ExitCode {
    let runs = [
        Run {
            name: "soak",
            tests: &["-p", "geno-metrics-tests", "--test", "soak"],
            variable: "GENO_METRICS_SOAK_SECS",
            value: options.secs,
        },
        Run {
            name: "crash",
            tests: &["-p", "geno-metrics-tests", "--test", "crash"],
            variable: "GENO_METRICS_CRASH_KILLS",
            value: options.kills,
        },
        Run {
            name: "properties",
            tests: &[
                "-p",
                "geno-metrics-schema",
                "--test",
                "hostile",
                "-p",
                "geno-metrics-tests",
                "--test",
                "exposition_props",
                "--test",
                "hostile_input",
                "--test",
                "promlint_props",
            ],
            variable: "PROPTEST_CASES",
            value: options.cases,
        },
    ];
    let started = Instant::now();
    for Run {
        name,
        tests,
        variable,
        value,
    } in runs
    {
        println!("\n==> xtask soak: {name} ({variable}={value})");
        let status = crate::cargo()
            .args(["test", "--release", "--locked"])
            .args(tests)
            .args(["--", "--nocapture"])
            .env(variable, value.to_string())
            .current_dir(workspace_root())
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => {
                eprintln!("\nerror: xtask soak: `{name}` failed ({s})");
                return Outcome::Findings.into();
            }
            Err(e) => {
                eprintln!("\nerror: xtask soak: could not run cargo: {e}");
                return Outcome::CouldNotRun.into();
            }
        }
    }
    println!("\n==> xtask soak: all passed in {:.0?}", started.elapsed());
    ExitCode::SUCCESS
}
