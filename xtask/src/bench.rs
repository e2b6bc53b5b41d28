//! `cargo xtask bench`: every performance budget, measured and judged.
//!
//! ```text
//! cargo xtask bench [--runs N] [--no-compile]
//! ```
//!
//! Runs the `perf` and `scaling` benches of `geno-metrics-tests` `--runs` times (default 3),
//! reads each run's divan table (the median of every row) and the `figure:` lines the benches
//! print (sizes, drops, scrape ratios, and the one-thread and encode ratios timed interleaved:
//! geno's and the peer's samples taken in turn, so that a slow spell of the machine falls on
//! both), then `registry!`'s added build time at 1,000 and 10,000
//! metrics (`bench-compile`, 3 builds each; `--no-compile` skips it). It prints one line per
//! budget: what is divided by what, the limit, each run's ratio and PASS when every run is
//! within the limit, MISS otherwise. Budgets are ratios measured within one run, never
//! absolute times, so that a shared, noisy machine shifts both sides alike (see
//! BENCHMARKS.md). Not part of `cargo xtask ci`: a full run takes about half an hour.
//!
//! Exit codes, as every xtask command: 0 every budget holds, 1 one does not, 2 could not run.

use std::collections::BTreeMap;
use std::fmt;
use std::process::{ExitCode, Stdio};

use crate::flags::Bench;
use crate::{Outcome, bench_compile};

/// What one run of the benches measured: divan rows by `group/row[/arg]` (median, in ns) and
/// the `figure:` lines by key.
#[derive(Debug, Default)]
struct Run {
    rows: BTreeMap<String, f64>,
    figures: BTreeMap<String, f64>,
}

/// How a budget's figure is computed from one run.
#[derive(Debug, Clone)]
enum Measure {
    /// One row's median over another's.
    Ratio(String, String),
    /// A printed figure over a constant (1 for the figure itself).
    Figure(String, f64),
    /// One printed figure over another.
    Figures(String, String),
    /// A measured value given directly (the compile time).
    Given(f64),
}

/// One budget: what it says, how it is measured, the largest value that passes.
#[derive(Debug, Clone)]
struct Budget {
    what: String,
    measure: Measure,
    limit: f64,
}

impl Budget {
    fn ratio(what: impl Into<String>, ours: &str, theirs: &str, limit: f64) -> Self {
        Self {
            what: what.into(),
            measure: Measure::Ratio(ours.to_owned(), theirs.to_owned()),
            limit,
        }
    }

    fn figure(what: impl Into<String>, key: &str, over: f64, limit: f64) -> Self {
        Self {
            what: what.into(),
            measure: Measure::Figure(key.to_owned(), over),
            limit,
        }
    }

    /// This budget's value in `run`, or why it has none (a row or figure missing).
    fn value(&self, run: &Run) -> Result<f64, String> {
        let row = |key: &str| {
            run.rows
                .get(key)
                .copied()
                .ok_or_else(|| format!("no bench row `{key}`"))
        };
        let figure = |key: &str| {
            run.figures
                .get(key)
                .copied()
                .ok_or_else(|| format!("no figure `{key}`"))
        };
        match &self.measure {
            Measure::Ratio(ours, theirs) => Ok(row(ours)? / row(theirs)?),
            Measure::Figure(key, over) => Ok(figure(key)? / over),
            Measure::Figures(ours, theirs) => Ok(figure(ours)? / figure(theirs)?),
            Measure::Given(value) => Ok(*value),
        }
    }
}

/// Every budget the benches measure (the compile-time ones are added after their builds).
fn budgets() -> Vec<Budget> {
    let mut all = vec![
        Budget::ratio(
            "counter inc, 1 thread: geno / bare atomic",
            "counter_inc_1_thread/geno_counter",
            "counter_inc_1_thread/atomic_fetch_add",
            1.05,
        ),
        Budget::ratio(
            "counter inc, 2 threads: geno sharded / prometheus",
            "counter_inc_2_threads/geno_sharded_counter",
            "counter_inc_2_threads/prometheus_int_counter",
            0.1,
        ),
    ];
    // One thread: the interleaved figures (rows timed in turn, see `interleaved_medians` in
    // the benches' library); two threads: divan's rows, which run their threads together.
    for (what, key, limit) in [
        ("default declaration", "geno_ratio", 0.6),
        ("sharded", "sharded_ratio", 0.5),
    ] {
        all.push(Budget::figure(
            format!("histogram observe, {what}, 1 thread: geno / prometheus-client"),
            &format!("interleaved.histogram_observe_1_thread.{key}"),
            1.0,
            limit,
        ));
    }
    for (peer, key) in [
        ("prometheus-client", "prometheus_client_ratio"),
        ("prometheus", "prometheus_ratio"),
    ] {
        all.push(Budget::figure(
            format!("labelled histogram observe, 1 thread: geno / {peer}"),
            &format!("interleaved.labelled_histogram_observe_1_thread.{key}"),
            1.0,
            0.25,
        ));
    }
    let group = "histogram_observe_2_threads";
    let theirs = format!("{group}/prometheus_client_histogram");
    for (what, row, limit) in [
        ("default declaration", "geno_histogram", 0.5),
        ("sharded", "geno_sharded_histogram", 0.2),
    ] {
        all.push(Budget::ratio(
            format!("histogram observe, {what}, 2 threads: geno / prometheus-client"),
            &format!("{group}/{row}"),
            &theirs,
            limit,
        ));
    }
    let group = "labelled_histogram_observe_2_threads";
    for (peer, row) in [
        (
            "prometheus-client",
            "prometheus_client_get_or_create_observe",
        ),
        ("prometheus", "prometheus_with_label_values_observe"),
    ] {
        all.push(Budget::ratio(
            format!("labelled histogram observe, 2 threads: geno / {peer}"),
            &format!("{group}/geno_with_observe"),
            &format!("{group}/{row}"),
            0.25,
        ));
    }
    // The encodes: the interleaved figures too.
    for format in ["text", "openmetrics"] {
        all.push(Budget::figure(
            format!("encode 1,000 counters, {format}: geno / prometheus-client"),
            &format!("interleaved.encode_1000_counters.{format}_ratio"),
            1.0,
            0.25,
        ));
    }
    for kind in ["counters", "histograms"] {
        for format in ["text", "openmetrics"] {
            let key = |size: &str, what: &str| {
                format!("interleaved.encode_{kind}.{size}.{format}_{what}")
            };
            for size in ["1k", "10k", "100k"] {
                all.push(Budget::figure(
                    format!("encode {size} labelled {kind}, {format}: geno / prometheus-client"),
                    &key(size, "ratio"),
                    1.0,
                    0.25,
                ));
            }
            all.push(Budget {
                what: format!("encode labelled {kind}, {format}: time per series, 100k / 1k"),
                measure: Measure::Figures(key("100k", "ns_per_series"), key("1k", "ns_per_series")),
                limit: 1.5,
            });
        }
    }
    all.push(Budget::figure(
        "memory: Histogram<11> / 232 bytes (before the default-declaration work)",
        "memory.histogram_11_bytes",
        232.0,
        1.25,
    ));
    for (what, key) in [("scrape", "scrape_drop"), ("export", "export_drop")] {
        all.push(Budget::figure(
            format!("recording throughput lost to a {what} every 10 ms, %"),
            &format!("recording_under_exposition.{key}"),
            1.0,
            5.0,
        ));
    }
    for quantile in ["p50", "p99"] {
        all.push(Budget::figure(
            format!(
                "scrape of GenoLeWM over loopback, {quantile}: geno / metrics-exporter-prometheus"
            ),
            &format!("scrape_genolewm.{quantile}_ratio"),
            1.0,
            0.5,
        ));
    }
    all
}

/// Runs `cargo xtask bench` with the arguments after the command name.
pub(crate) fn run(options: &Bench) -> ExitCode {
    match measure(options) {
        Ok(outcome) => outcome.into(),
        Err(message) => {
            eprintln!("error: xtask bench: {message}");
            Outcome::CouldNotRun.into()
        }
    }
}

fn measure(options: &Bench) -> Result<Outcome, String> {
    let mut runs = Vec::new();
    for number in 1..=options.runs {
        let mut run = Run::default();
        for bench in ["perf", "scaling"] {
            println!(
                "==> xtask bench: run {number} of {}, bench {bench}",
                options.runs
            );
            let output = bench_output(bench)?;
            print!("{output}");
            read_divan(&output, &mut run.rows);
            read_figures(&output, &mut run.figures);
        }
        runs.push(run);
    }
    let mut table: Vec<(Budget, Vec<Result<f64, String>>)> = budgets()
        .into_iter()
        .map(|budget| {
            let values = runs.iter().map(|run| budget.value(run)).collect();
            (budget, values)
        })
        .collect();
    if !options.no_compile {
        for metrics in [1000, 10_000] {
            println!("==> xtask bench: registry! build time, {metrics} metrics");
            let added = bench_compile::added_time(metrics, 3, false)?;
            let budget = Budget {
                what: format!("registry! on {metrics} metrics: seconds added to a build"),
                measure: Measure::Given(added.as_secs_f64()),
                limit: bench_compile::budget(metrics).as_secs_f64(),
            };
            let value = budget.value(&Run::default());
            table.push((budget, vec![value]));
        }
    }
    println!("\n==> xtask bench: budgets ({} run(s))", options.runs);
    let mut all_pass = true;
    for (budget, values) in &table {
        let verdict = Verdict::of(budget.limit, values);
        all_pass &= verdict == Verdict::Pass;
        let shown: Vec<String> = values
            .iter()
            .map(|v| match v {
                Ok(v) => format!("{v:.3}"),
                Err(why) => format!("({why})"),
            })
            .collect();
        println!(
            "{verdict}  {:<80} <= {:<6} {}",
            budget.what,
            budget.limit,
            shown.join("  ")
        );
    }
    Ok(if all_pass {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// Whether a budget held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Miss,
}

impl Verdict {
    /// PASS when every run has a value within `limit`.
    fn of(limit: f64, values: &[Result<f64, String>]) -> Self {
        let pass =
            !values.is_empty() && values.iter().all(|v| v.as_ref().is_ok_and(|v| *v <= limit));
        if pass { Self::Pass } else { Self::Miss }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pass => "PASS",
            Self::Miss => "MISS",
        })
    }
}

/// The standard output of `cargo bench -p geno-metrics-tests --bench <bench>`.
fn bench_output(bench: &str) -> Result<String, String> {
    let output = crate::cargo()
        .args(["bench", "-p", "geno-metrics-tests", "--bench", bench])
        .current_dir(crate::workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo bench -p geno-metrics-tests --bench {bench}` failed ({})",
            output.status
        ));
    }
    String::from_utf8(output.stdout)
        .map_err(|e| format!("the output of bench {bench} is not UTF-8: {e}"))
}

/// Adds the median of every row of divan's table in `output` to `rows`, keyed by its path
/// below the bench's name: `group/row`, `group/row/arg`.
fn read_divan(output: &str, rows: &mut BTreeMap<String, f64>) {
    let mut path: Vec<String> = Vec::new();
    for line in output.lines() {
        let Some(branch) = line.chars().position(|c| c == '├' || c == '╰') else {
            continue;
        };
        // Each level of the tree indents by three characters.
        let depth = branch / 3;
        let rest: String = line.chars().skip(branch + 2).collect();
        let mut columns = rest.split('│');
        let Some(name) = columns.next().and_then(|c| c.split_whitespace().next()) else {
            continue;
        };
        path.truncate(depth);
        path.push(name.to_owned());
        // A group's line has no figures; a row's first column holds its fastest time too.
        let first = rest.split('│').next().unwrap_or("");
        let has_figures = first.split_whitespace().count() > 1;
        if has_figures && let Some(median) = columns.nth(1).and_then(nanoseconds) {
            rows.insert(path.join("/"), median);
        }
    }
}

/// A divan time such as `12.5 ns`, `3.1 µs`, `7 ms`, `1.2 s` or `2 m`, in nanoseconds.
fn nanoseconds(column: &str) -> Option<f64> {
    let mut words = column.split_whitespace();
    let value: f64 = words.next()?.parse().ok()?;
    let scale = match words.next()? {
        "ps" => 1e-3,
        "ns" => 1.0,
        "µs" | "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        _ => return None,
    };
    Some(value * scale)
}

/// Adds every `figure: key = value` line of `output` to `figures` (a unit after the value is
/// ignored).
fn read_figures(output: &str, figures: &mut BTreeMap<String, f64>) {
    for line in output.lines() {
        let Some((key, value)) = line
            .strip_prefix("figure: ")
            .and_then(|rest| rest.split_once(" = "))
        else {
            continue;
        };
        if let Some(value) = value.split_whitespace().next().and_then(|v| v.parse().ok()) {
            figures.insert(key.trim().to_owned(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A piece of divan's table as the benches print it, with a group, plain rows and rows
    /// with arguments.
    const TABLE: &str = "\
Timer precision: 20 ns
perf                              fastest       │ slowest       │ median        │ mean          │ samples │ iters
├─ counter_inc_1_thread                         │               │               │               │         │
│  ├─ atomic_fetch_add            1.9 ns        │ 2.5 ns        │ 2 ns          │ 2.1 ns        │ 100     │ 1638400
│  ╰─ geno_counter                2.0 ns        │ 2.6 ns        │ 2.05 ns       │ 2.1 ns        │ 100     │ 1638400
╰─ encode_counters                              │               │               │               │         │
   ├─ geno_encode_text                          │               │               │               │         │
   │  ├─ 1k                       34.76 µs      │ 161.9 µs      │ 38.18 µs      │ 90.3 µs       │ 100     │ 100
   │  ╰─ 100k                     3.775 ms      │ 17.54 ms      │ 5.244 ms      │ 11.48 ms      │ 100     │ 100
   ╰─ prometheus_client_encode                  │               │               │               │         │
      ╰─ 1k                       156 µs        │ 270 µs        │ 173.7 µs      │ 142.3 µs      │ 100     │ 100
figure: memory.histogram_11_bytes = 192
figure: recording_under_exposition.scrape_drop = -1.25 %
figure: interleaved.encode_counters.1k.text_ns_per_series = 34.5
figure: interleaved.encode_counters.100k.text_ns_per_series = 51.75
";

    fn run_of(output: &str) -> Run {
        let mut run = Run::default();
        read_divan(output, &mut run.rows);
        read_figures(output, &mut run.figures);
        run
    }

    #[test]
    fn divan_rows_are_read_by_path_with_their_medians_in_nanoseconds() {
        let run = run_of(TABLE);
        let rows: Vec<(&str, f64)> = run.rows.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            rows,
            [
                ("counter_inc_1_thread/atomic_fetch_add", 2.0),
                ("counter_inc_1_thread/geno_counter", 2.05),
                ("encode_counters/geno_encode_text/100k", 5_244_000.0),
                ("encode_counters/geno_encode_text/1k", 38_180.0),
                ("encode_counters/prometheus_client_encode/1k", 173_700.0),
            ]
        );
        assert_eq!(run.figures["memory.histogram_11_bytes"], 192.0);
        assert_eq!(run.figures["recording_under_exposition.scrape_drop"], -1.25);
    }

    #[test]
    fn budgets_are_ratios_of_rows_and_of_figures_judged_over_every_run() {
        let run = run_of(TABLE);
        let ratio = Budget::ratio(
            "counter",
            "counter_inc_1_thread/geno_counter",
            "counter_inc_1_thread/atomic_fetch_add",
            1.05,
        );
        assert_eq!(ratio.value(&run), Ok(1.025));
        let growth = Budget {
            what: "growth".into(),
            measure: Measure::Figures(
                "interleaved.encode_counters.100k.text_ns_per_series".into(),
                "interleaved.encode_counters.1k.text_ns_per_series".into(),
            ),
            limit: 1.5,
        };
        let grew = growth.value(&run).unwrap();
        assert!((grew - 1.5).abs() < 1e-9, "{grew}");
        let memory = Budget::figure("memory", "memory.histogram_11_bytes", 232.0, 1.25);
        assert_eq!(memory.value(&run), Ok(192.0 / 232.0));
        let missing = Budget::ratio(
            "missing",
            "no/such",
            "counter_inc_1_thread/geno_counter",
            1.0,
        );
        assert_eq!(
            missing.value(&run),
            Err("no bench row `no/such`".to_owned())
        );

        assert_eq!(Verdict::of(1.05, &[Ok(1.0), Ok(1.05)]), Verdict::Pass);
        assert_eq!(Verdict::of(1.05, &[Ok(1.0), Ok(1.06)]), Verdict::Miss);
        assert_eq!(
            Verdict::of(1.05, &[Ok(1.0), Err("gone".into())]),
            Verdict::Miss
        );
        assert_eq!(Verdict::of(1.05, &[]), Verdict::Miss);
    }

    #[test]
    fn every_budget_names_rows_and_figures_the_benches_have() {
        // The rows and figures named here are those of tests/benches/perf.rs and scaling.rs:
        // a renamed bench row must be renamed here too, or its budget would always MISS.
        let perf = include_str!("../../tests/benches/perf.rs");
        let scaling = include_str!("../../tests/benches/scaling.rs");
        for budget in budgets() {
            let keys: Vec<String> = match &budget.measure {
                Measure::Ratio(a, b) => vec![a.clone(), b.clone()],
                Measure::Figure(key, _) => vec![key.clone()],
                Measure::Figures(a, b) => vec![a.clone(), b.clone()],
                Measure::Given(_) => vec![],
            };
            for key in keys {
                let parts: Vec<&str> = key
                    .split(['/', '.'])
                    .filter(|p| !p.is_empty() && !p.contains('{'))
                    .filter(|p| !["1k", "10k", "100k", "counters", "histograms"].contains(p))
                    .collect();
                for part in parts {
                    assert!(
                        perf.contains(part) || scaling.contains(part),
                        "budget `{}`: `{part}` is in no bench",
                        budget.what
                    );
                }
            }
        }
    }
}
