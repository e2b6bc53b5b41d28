//! The command line of `cargo xtask`, declared once: clap derives the parser, the usage text
//! and `--help` of every command from these types, so they cannot disagree.
//!
//! clap rather than a hand-written loop: it is the parser cargo subcommands use (the registry
//! commands' flags are `geno-metrics-cli`'s, shared with `cargo geno-metrics`), it rejects
//! unknown flags and conflicting ones, and it writes the usage. As the hand-written parsers did, a flag given twice takes its last value, and a
//! value may start with `-` (a file or a git ref named so).

use clap::{Args, Parser, Subcommand};

/// The project's build and CI logic, in Rust.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    args_override_self = true,
    after_help = "Exit codes: 0 clean, 1 findings, 2 could not run (bad arguments, missing file, git error)."
)]
pub(crate) struct Xtask {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run every CI step in order: tidy, metrics, fmt, clippy, test, python, loom, doc, package
    /// (the README's test command).
    Ci,
    /// Check, document and guard a metrics registry (what `cargo geno-metrics` does).
    Metrics {
        #[command(subcommand)]
        command: geno_metrics_cli::Command,
    },
    /// Run every performance bench and judge each budget, PASS or MISS (not in ci).
    Bench(Bench),
    /// Time what registry! adds to a build of 1,000 metrics (not in ci).
    BenchCompile(BenchCompile),
    /// Time recording from Python against prometheus_client (not in ci).
    BenchPython(BenchPython),
    /// The reliability tests, run longer than CI can (not in ci).
    Soak(Soak),
    /// Fuzz the registry parser (nightly and cargo-fuzz; not in ci).
    Fuzz(Fuzz),
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub(crate) struct Bench {
    /// Runs of the benches; a budget passes when it holds in every run.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) runs: u64,
    /// Skip the build-time budgets (bench-compile at 1,000 and 10,000 metrics).
    #[arg(long)]
    pub(crate) no_compile: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub(crate) struct BenchCompile {
    /// Timed builds per version.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) runs: u64,
    /// Metrics in the generated registry.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub(crate) metrics: u64,
    /// Leave the probe crate in place.
    #[arg(long)]
    pub(crate) keep: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub(crate) struct BenchPython {
    /// Runs of every case; the median is reported.
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) runs: u64,
    /// Calls of every case per run.
    #[arg(long, value_name = "N", default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) number: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub(crate) struct Soak {
    /// Seconds of the soak test (CI runs it for 3).
    #[arg(long, value_name = "N", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) secs: u64,
    /// SIGKILLs of the crash test (CI does 200).
    #[arg(long, value_name = "N", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) kills: u64,
    /// Cases of each property test (CI runs a few hundred).
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) cases: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub(crate) struct Fuzz {
    /// How long libFuzzer runs (its -max_total_time), in seconds.
    #[arg(long, value_name = "N", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) secs: u64,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use std::path::PathBuf;

    use geno_metrics_cli::{Baseline, Command as Metrics, Format};

    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        Xtask::try_parse_from(std::iter::once(&"cargo xtask").chain(args))
            .map(|flags| flags.command)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_command_line_is_consistent() {
        Xtask::command().debug_assert();
    }

    #[test]
    fn flags_set_their_figure_and_the_rest_keep_defaults() {
        let soak = |args| match parse(args) {
            Ok(Command::Soak(soak)) => (soak.secs, soak.kills, soak.cases),
            other => panic!("{other:?}"),
        };
        assert_eq!(soak(&["soak", "--kills", "300"]), (600, 300, 100_000));
        assert_eq!(
            soak(&["soak", "--secs", "5", "--cases", "7"]),
            (5, 5_000, 7)
        );
        assert!(matches!(
            parse(&["bench-compile", "--runs", "5", "--keep"]),
            Ok(Command::BenchCompile(BenchCompile {
                runs: 5,
                metrics: 1000,
                keep: true
            }))
        ));
        assert!(matches!(
            parse(&["bench-compile"]),
            Ok(Command::BenchCompile(BenchCompile {
                runs: 3,
                metrics: 1000,
                keep: false
            }))
        ));
        assert!(matches!(
            parse(&["fuzz"]),
            Ok(Command::Fuzz(Fuzz { secs: 300 }))
        ));
        let Ok(Command::Metrics {
            command: Metrics::Docs(docs),
        }) = parse(&["metrics", "docs"])
        else {
            panic!("metrics docs");
        };
        assert!(!docs.check);
        // The defaults are the front end's (`metrics_context`): nothing given, nothing set.
        assert_eq!((docs.output, docs.registry.file), (None, None));
    }

    #[test]
    fn a_flag_given_twice_takes_its_last_value_and_values_may_start_with_a_hyphen() {
        assert!(matches!(
            parse(&["soak", "--secs", "5", "--secs", "6"]),
            Ok(Command::Soak(Soak { secs: 6, .. }))
        ));
        assert!(matches!(
            parse(&["bench-compile", "--keep", "--keep"]),
            Ok(Command::BenchCompile(BenchCompile { keep: true, .. }))
        ));
        let Ok(Command::Metrics {
            command: Metrics::Diff(diff),
        }) = parse(&[
            "metrics", "diff", "--base", "-x", "--file", "a.toml", "--file", "-b.toml",
        ])
        else {
            panic!("metrics diff");
        };
        assert!(matches!(diff.baseline(), Some(Baseline::GitRef(r)) if r == "-x"));
        assert_eq!(diff.registry.file, Some(PathBuf::from("-b.toml")));
    }

    #[test]
    fn a_diff_takes_exactly_one_baseline() {
        let Ok(Command::Metrics {
            command: Metrics::Diff(diff),
        }) = parse(&["metrics", "diff", "--base", "HEAD~1", "--format", "github"])
        else {
            panic!("metrics diff");
        };
        assert!(matches!(diff.baseline(), Some(Baseline::GitRef(r)) if r == "HEAD~1"));
        assert_eq!(diff.format, Format::Github);
        for args in [
            &["metrics", "diff"][..],
            &["metrics", "diff", "--base", "a", "--baseline", "b.toml"][..],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        for (args, says) in [
            (
                &["soak", "--secs"][..],
                "a value is required for '--secs <N>'",
            ),
            (&["soak", "--secs", "0"][..], "0 is not in 1.."),
            (&["soak", "--kills", "many"][..], "invalid digit"),
            (&["soak", "--fast"][..], "unexpected argument '--fast'"),
            (&["fuzz", "--secs", "soon"][..], "invalid digit"),
            (&["bench-compile", "--runs", "0"][..], "0 is not in 1.."),
            (
                &["metrics", "check", "--check"][..],
                "unexpected argument '--check'",
            ),
            (
                &["metrics", "diff", "--base", "a", "--format", "xml"][..],
                "invalid value 'xml'",
            ),
        ] {
            let message = parse(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} parsed"));
            assert!(message.contains(says), "{args:?}: {message}");
        }
        let unknown = parse(&["soak", "--fast"]).unwrap_err();
        assert!(
            unknown.contains("Usage: cargo xtask soak [OPTIONS]"),
            "{unknown}"
        );
    }
}
