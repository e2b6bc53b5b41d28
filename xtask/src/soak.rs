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
//! - the property tests of the schema, the exposition and the runtime's inputs with
//!   `--cases` cases each
//!   (default 100,000; CI runs a few hundred).
//!
//! Each is a plain `cargo test`, so any of them can also be run alone with the environment
//! variable this command sets; `RELIABILITY.md` lists them. The crash test needs the Debian
//! Prometheus tools on PATH, as in CI. Exit codes: 0 all passed, 1 a test failed, 2 could not
//! run (bad arguments, cargo missing).

use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::{Outcome, workspace_root};

const USAGE: &str = "usage: cargo xtask soak [--secs N] [--kills N] [--cases N]";

/// How long and how hard to run.
struct Options {
    secs: u64,
    kills: u64,
    cases: u64,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Self {
            secs: 600,
            kills: 5_000,
            cases: 100_000,
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let field = match flag.as_str() {
                "--secs" => &mut options.secs,
                "--kills" => &mut options.kills,
                "--cases" => &mut options.cases,
                other => return Err(format!("unknown argument `{other}`")),
            };
            let value = args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a number"))?;
            *field = value
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("`{flag} {value}`: expected a positive whole number"))?;
        }
        Ok(options)
    }
}

/// One `cargo test` run, made longer by one environment variable.
struct Run {
    name: &'static str,
    tests: &'static [&'static str],
    variable: &'static str,
    value: u64,
}

/// Runs `cargo xtask soak` with the arguments after the command name.
pub(crate) fn run(args: &[String]) -> ExitCode {
    let options = match Options::parse(args) {
        Ok(options) => options,
        Err(message) => return crate::usage_error(&message, USAGE),
    };
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
        let status = Command::new(crate::ci::cargo())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        Options::parse(&crate::strings(args))
    }

    #[test]
    fn flags_set_their_figure_and_the_rest_keep_defaults() {
        let options = parse(&["--kills", "300"]).unwrap();
        assert_eq!(
            (options.secs, options.kills, options.cases),
            (600, 300, 100_000)
        );
        let options = parse(&["--secs", "5", "--cases", "7"]).unwrap();
        assert_eq!((options.secs, options.kills, options.cases), (5, 5_000, 7));
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        for (args, says) in [
            (&["--secs"][..], "needs a number"),
            (&["--secs", "0"][..], "positive whole number"),
            (&["--kills", "many"][..], "positive whole number"),
            (&["--fast"][..], "unknown argument `--fast`"),
        ] {
            let message = parse(args).err().unwrap();
            assert!(message.contains(says), "{args:?}: {message}");
        }
    }
}
