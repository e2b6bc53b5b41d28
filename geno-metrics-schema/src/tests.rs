//! One test (at least) per rule id; the closing note of the Core issue maps rules to these.

use crate::{MetricKind, Report, parse};

const HEADER: &str = "[registry]\nnamespace = \"app\"\nversion = \"1.0.0\"\n";

/// A registry with the standard header followed by `metrics`.
fn with_header(metrics: &str) -> String {
    format!("{HEADER}\n{metrics}")
}

fn report_of(source: &str) -> Report {
    match parse(source, "metrics.toml") {
        Ok(registry) => panic!("expected errors, got {registry:#?}"),
        Err(report) => report,
    }
}

/// The rule ids fired by `metrics` under the standard header.
fn rules(metrics: &str) -> Vec<&'static str> {
    report_of(&with_header(metrics)).rules()
}

/// Asserts exactly one diagnostic, of `rule`, at `line:col`, whose help contains `help`.
fn assert_single(metrics: &str, rule: &str, line: usize, column: usize, help: &str) {
    let report = report_of(&with_header(metrics));
    assert_eq!(report.rules(), [rule], "{report}");
    let d = &report.diagnostics[0];
    assert_eq!((d.line, d.column), (line, column), "{report}");
    assert!(
        d.help.as_deref().unwrap_or("").contains(help),
        "help {:?} lacks {help:?}",
        d.help
    );
}

#[test]
fn a_valid_registry_resolves_defaults_and_handles() {
    let registry = parse(
        &with_header(
            r#"
[[metric]]
name = "app_jobs_total"
kind = "counter"
summary = "Jobs."

[[metric]]
name = "app_job_duration_seconds"
kind = "histogram"
unit = "seconds"
summary = "Job time."

[[metric]]
name = "app_queue_bytes"
kind = "gauge"
unit = "bytes"
summary = "Queue size."
deprecated = "use app_queue_items"
buckets_are_absent = false
"#,
        )
        .replace("buckets_are_absent = false\n", ""),
        "metrics.toml",
    )
    .unwrap();
    assert_eq!(registry.version, semver::Version::new(1, 0, 0));
    assert_eq!(registry.version_line, 3);
    let handles: Vec<_> = registry.metrics.iter().map(|m| m.handle.as_str()).collect();
    assert_eq!(
        handles,
        ["JOBS_TOTAL", "JOB_DURATION_SECONDS", "QUEUE_BYTES"]
    );
    assert_eq!(registry.metrics[1].kind, MetricKind::Histogram);
    assert_eq!(registry.metrics[1].buckets, crate::DEFAULT_BUCKETS);
    assert!(registry.metrics[0].buckets.is_empty());
    assert_eq!(
        registry.metrics[2].deprecated.as_deref(),
        Some("use app_queue_items")
    );
    assert_eq!(registry.metrics[0].line, 7);
}

#[test]
fn without_namespace_the_handle_is_the_whole_name() {
    let registry = parse(
        "[registry]\nversion = \"0.1.0\"\n[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"Jobs.\"\n",
        "m.toml",
    )
    .unwrap();
    assert_eq!(registry.metrics[0].handle, "JOBS_TOTAL");
    assert_eq!(registry.namespace, None);
}

#[test]
fn summaries_may_hold_any_utf8() {
    let registry = parse(
        &with_header("[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsummary = \"a \\\\ b\\nc \\\"q\\\" ü\"\n"),
        "m.toml",
    )
    .unwrap();
    assert_eq!(registry.metrics[0].summary, "a \\ b\nc \"q\" ü");
}

#[test]
fn toml_syntax() {
    let report = report_of(&with_header("[[metric]\nname = \"app_x_total\"\n"));
    assert_eq!(report.rules(), ["toml-syntax"], "{report}");
    assert_eq!(report.diagnostics[0].line, 5);
}

#[test]
fn unknown_key_suggests_the_closest() {
    assert_single(
        "[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsumary = \"x\"\nsummary = \"x\"\n",
        "unknown-key",
        8,
        1,
        "did you mean `summary`?",
    );
    assert_single(
        "[[metrics]]\nname = \"x\"\n",
        "unknown-key",
        5,
        3,
        "did you mean `metric`?",
    );
    let report = report_of("[registry]\nversion = \"1.0.0\"\nnamepsace = \"a\"\n");
    assert_eq!(
        report.diagnostics[0].help.as_deref(),
        Some("did you mean `namespace`?")
    );
}

#[test]
fn wrong_type() {
    assert_single(
        "[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsummary = 3\n",
        "wrong-type",
        8,
        11,
        "double quotes",
    );
    assert_single(
        "[metric]\nname = \"app_x_total\"\n",
        "wrong-type",
        5,
        1,
        "[[metric]]",
    );
    assert_eq!(
        rules(
            "[[metric]]\nname = \"app_x\"\nkind = \"histogram\"\nsummary = \"x\"\nbuckets = [1, \"2\"]\n"
        ),
        ["wrong-type"]
    );
    assert_eq!(
        rules("[[metric]]\nname = \"app_x\"\nkind = \"histogram\"\nsummary = \"x\"\nbuckets = 1\n"),
        ["wrong-type"]
    );
}

#[test]
fn missing_keys() {
    let report = report_of(&with_header("[[metric]]\nkind = \"counter\"\n"));
    assert_eq!(report.rules(), ["missing-key", "missing-key"], "{report}");
    assert!(report.diagnostics[0].message.contains("`name`"));
    assert!(report.diagnostics[1].message.contains("`summary`"));
    assert_single(
        "[[metric]]\nname = \"app_x_total\"\nsummary = \"x\"\n",
        "missing-key",
        5,
        1,
        "kind = \"counter\"",
    );
    assert_eq!(
        report_of("[[metric]]\nname = \"x_total\"\nkind = \"counter\"\nsummary = \"x\"\n").rules(),
        ["missing-key"]
    );
    assert_eq!(
        report_of("[registry]\nnamespace = \"a\"\n").rules(),
        ["missing-key"]
    );
}

#[test]
fn blank_summary_and_blank_deprecation() {
    assert_single(
        "[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsummary = \" \\n\"\n",
        "blank-summary",
        8,
        11,
        "HELP",
    );
    assert_eq!(
        rules(
            "[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsummary = \"x\"\ndeprecated = \"\"\n"
        ),
        ["blank-deprecated"]
    );
}

#[test]
fn invalid_names() {
    for (name, problem) in [
        ("app_Steps_total", "`S`"),
        ("app:steps_total", "`:`"),
        ("app__steps_total", "`__`"),
        ("app-steps_total", "`-`"),
        ("", "empty"),
    ] {
        let report = report_of(&with_header(&format!(
            "[[metric]]\nname = \"{name}\"\nkind = \"counter\"\nsummary = \"x\"\n"
        )));
        assert_eq!(report.rules(), ["invalid-name"], "{report}");
        assert!(report.diagnostics[0].message.contains(problem), "{report}");
    }
    assert_single(
        "[[metric]]\nname = \"app_Steps_total\"\nkind = \"counter\"\nsummary = \"x\"\n",
        "invalid-name",
        6,
        8,
        "`app_steps_total`",
    );
    assert_eq!(
        report_of("[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"9lives_total\"\nkind = \"counter\"\nsummary = \"x\"\n").rules(),
        ["invalid-name"]
    );
}

#[test]
fn duplicate_names_point_at_both() {
    let metric = "[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsummary = \"x\"\n";
    let report = report_of(&with_header(&format!("{metric}\n{metric}")));
    assert_eq!(report.rules(), ["duplicate-name"], "{report}");
    assert_eq!(report.diagnostics[0].line, 11);
    assert_eq!(
        report.diagnostics[0].notes,
        ["first declared at metrics.toml:6:8"]
    );
}

#[test]
fn namespace_prefix_and_namespace_itself() {
    assert_single(
        "[[metric]]\nname = \"other_x_total\"\nkind = \"counter\"\nsummary = \"x\"\n",
        "namespace-prefix",
        6,
        8,
        "`app_other_x_total`",
    );
    assert_eq!(
        rules("[[metric]]\nname = \"app\"\nkind = \"gauge\"\nsummary = \"x\"\n"),
        ["namespace-prefix"]
    );
    let report = report_of("[registry]\nnamespace = \"App\"\nversion = \"1.0.0\"\n");
    assert_eq!(report.rules(), ["invalid-namespace"]);
    assert_eq!(
        report_of("[registry]\nnamespace = \"app_\"\nversion = \"1.0.0\"\n").rules(),
        ["invalid-namespace"]
    );
}

#[test]
fn handle_names_are_rust_identifiers() {
    assert_single(
        "[[metric]]\nname = \"app_2xx_total\"\nkind = \"counter\"\nsummary = \"x\"\n",
        "handle-name",
        6,
        8,
        "put a word before it",
    );
    assert_eq!(
        rules("[[metric]]\nname = \"app_metrics\"\nkind = \"gauge\"\nsummary = \"x\"\n"),
        ["handle-name"]
    );
}

#[test]
fn counters_end_in_total_and_nothing_else_does() {
    assert_single(
        "[[metric]]\nname = \"app_steps\"\nkind = \"counter\"\nsummary = \"x\"\n",
        "counter-suffix",
        6,
        8,
        "`app_steps_total`",
    );
    assert_single(
        "[[metric]]\nname = \"app_steps_total\"\nkind = \"gauge\"\nsummary = \"x\"\n",
        "total-suffix",
        6,
        8,
        "`app_steps`",
    );
    assert_eq!(
        rules("[[metric]]\nname = \"app_steps_total\"\nkind = \"histogram\"\nsummary = \"x\"\n"),
        ["total-suffix"]
    );
}

#[test]
fn reserved_suffixes_on_counters_and_gauges() {
    for suffix in ["bucket", "count", "sum", "created"] {
        assert_eq!(
            rules(&format!(
                "[[metric]]\nname = \"app_x_{suffix}\"\nkind = \"gauge\"\nsummary = \"x\"\n"
            )),
            ["reserved-suffix"]
        );
    }
    assert!(
        parse(
            &with_header(
                "[[metric]]\nname = \"app_batch_count\"\nkind = \"histogram\"\nsummary = \"x\"\n"
            ),
            "m"
        )
        .is_ok()
    );
}

#[test]
fn series_collision_with_a_histogram() {
    let report = report_of(&with_header(
        "[[metric]]\nname = \"app_x_count\"\nkind = \"counter\"\nsummary = \"x\"\n[[metric]]\nname = \"app_x\"\nkind = \"histogram\"\nsummary = \"x\"\n[[metric]]\nname = \"app_x_bucket\"\nkind = \"histogram\"\nsummary = \"x\"\n",
    ));
    // The counter also breaks counter-suffix; the histogram named like a series is caught too.
    assert_eq!(
        report.rules(),
        [
            "counter-suffix",
            "reserved-suffix",
            "series-collision",
            "series-collision"
        ],
        "{report}"
    );
    assert_eq!(report.diagnostics[3].line, 14);
    assert_eq!(
        report.diagnostics[3].notes,
        ["the histogram is declared at metrics.toml:10:8"]
    );
}

#[test]
fn type_words_are_not_names() {
    assert_single(
        "[[metric]]\nname = \"app_queue_gauge\"\nkind = \"gauge\"\nsummary = \"x\"\n",
        "type-in-name",
        6,
        8,
        "drop the word",
    );
    assert_eq!(
        rules("[[metric]]\nname = \"app_histogram_x\"\nkind = \"histogram\"\nsummary = \"x\"\n"),
        ["type-in-name"]
    );
}

#[test]
fn units_must_be_base_units() {
    assert_single(
        "[[metric]]\nname = \"app_x_seconds\"\nkind = \"gauge\"\nunit = \"milliseconds\"\nsummary = \"x\"\n",
        "non-base-unit",
        8,
        8,
        "use base unit `seconds`",
    );
    assert_single(
        "[[metric]]\nname = \"app_size_kilobytes\"\nkind = \"gauge\"\nsummary = \"x\"\n",
        "non-base-unit",
        6,
        8,
        "`bytes`",
    );
    assert_single(
        "[[metric]]\nname = \"app_load_percent\"\nkind = \"gauge\"\nsummary = \"x\"\n",
        "non-base-unit",
        6,
        8,
        "`ratio`",
    );
}

#[test]
fn abbreviated_units_are_rejected() {
    assert_single(
        "[[metric]]\nname = \"app_latency_ms\"\nkind = \"gauge\"\nsummary = \"x\"\n",
        "abbreviated-unit",
        6,
        8,
        "`seconds`",
    );
    assert_eq!(
        rules("[[metric]]\nname = \"app_sec_total\"\nkind = \"counter\"\nsummary = \"x\"\n"),
        ["abbreviated-unit"]
    );
    assert_eq!(
        rules("[[metric]]\nname = \"app_kb_read_total\"\nkind = \"counter\"\nsummary = \"x\"\n"),
        ["abbreviated-unit"]
    );
}

#[test]
fn unit_is_the_suffix_of_the_name() {
    assert_single(
        "[[metric]]\nname = \"app_latency\"\nkind = \"gauge\"\nunit = \"seconds\"\nsummary = \"x\"\n",
        "unit-suffix",
        8,
        8,
        "`app_latency_seconds`",
    );
    assert_eq!(
        rules(
            "[[metric]]\nname = \"app_busy_total\"\nkind = \"counter\"\nunit = \"seconds\"\nsummary = \"x\"\n"
        ),
        ["unit-suffix"]
    );
    assert!(parse(&with_header("[[metric]]\nname = \"app_busy_seconds_total\"\nkind = \"counter\"\nunit = \"seconds\"\nsummary = \"x\"\n"), "m").is_ok());
}

#[test]
fn blank_unit() {
    assert_single(
        "[[metric]]\nname = \"app_x_seconds\"\nkind = \"gauge\"\nunit = \"\"\nsummary = \"x\"\n",
        "blank-unit",
        8,
        8,
        "or remove `unit`",
    );
}

#[test]
fn buckets_only_on_histograms() {
    assert_single(
        "[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsummary = \"x\"\nbuckets = [1.0]\n",
        "buckets-not-histogram",
        9,
        11,
        "remove `buckets`",
    );
}

#[test]
fn buckets_are_finite_increasing_and_non_empty() {
    let histogram = |buckets: &str| {
        format!(
            "[[metric]]\nname = \"app_x\"\nkind = \"histogram\"\nsummary = \"x\"\nbuckets = {buckets}\n"
        )
    };
    assert_eq!(rules(&histogram("[]")), ["buckets-empty"]);
    assert_eq!(rules(&histogram("[1.0, nan]")), ["bucket-not-finite"]);
    assert_single(
        &histogram("[1.0, inf]"),
        "bucket-not-finite",
        9,
        17,
        "always there",
    );
    assert_eq!(rules(&histogram("[-inf, 1.0]")), ["bucket-not-finite"]);
    assert_single(
        &histogram("[1.0, 2.0, 2.0]"),
        "buckets-not-increasing",
        9,
        22,
        "strictly increasing",
    );
    assert_eq!(
        rules(&histogram("[3, 2, 1]")),
        ["buckets-not-increasing", "buckets-not-increasing"]
    );
    let ok = parse(&with_header(&histogram("[-1, 0, 0.5, 1_000, 1e6]")), "m").unwrap();
    assert_eq!(ok.metrics[0].buckets, [-1.0, 0.0, 0.5, 1000.0, 1e6]);
}

#[test]
fn version_is_semver() {
    let report = report_of("[registry]\nversion = \"v1\"\n");
    assert_eq!(report.rules(), ["invalid-version"]);
    assert_eq!(
        (report.diagnostics[0].line, report.diagnostics[0].column),
        (2, 11)
    );
}

#[test]
fn kind_is_known() {
    assert_single(
        "[[metric]]\nname = \"app_x_total\"\nkind = \"countr\"\nsummary = \"x\"\n",
        "invalid-kind",
        7,
        8,
        "did you mean `counter`?",
    );
    assert_eq!(
        rules("[[metric]]\nname = \"app_x\"\nkind = \"summary\"\nsummary = \"x\"\n"),
        ["invalid-kind"]
    );
}

#[test]
fn renamed_from_names_a_gone_metric() {
    assert_eq!(
        rules(
            "[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsummary = \"x\"\nrenamed_from = \"app_x_total\"\n"
        ),
        ["renamed-from"]
    );
    assert_eq!(
        rules(
            "[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsummary = \"x\"\nrenamed_from = \"Bad Name\"\n"
        ),
        ["renamed-from"]
    );
    assert_eq!(
        rules(
            "[[metric]]\nname = \"app_old_total\"\nkind = \"counter\"\nsummary = \"x\"\n[[metric]]\nname = \"app_new_total\"\nkind = \"counter\"\nsummary = \"x\"\nrenamed_from = \"app_old_total\"\n"
        ),
        ["renamed-from"]
    );
    let ok = parse(&with_header("[[metric]]\nname = \"app_new_total\"\nkind = \"counter\"\nsummary = \"x\"\nrenamed_from = \"app_old_total\"\n"), "m").unwrap();
    assert_eq!(ok.metrics[0].renamed_from.as_deref(), Some("app_old_total"));
}

#[test]
fn all_errors_are_reported_in_file_order() {
    let report = report_of(&with_header(
        "[[metric]]\nname = \"app_a\"\nkind = \"counter\"\nsummary = \"x\"\n[[metric]]\nname = \"app_new_total\"\nkind = \"gauge\"\nsummary = \"\"\n",
    ));
    assert_eq!(
        report.rules(),
        ["counter-suffix", "total-suffix", "blank-summary"]
    );
    let lines: Vec<_> = report.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, [6, 10, 12]);
}

#[test]
fn rendering_is_compiler_style() {
    let report = report_of(&with_header(
        "[[metric]]\nname = \"app_steps\"\nkind = \"counter\"\nsummary = \"x\"\n",
    ));
    assert_eq!(
        report.to_string(),
        "metrics.toml:6:8: error[counter-suffix]: counter `app_steps` must end in `_total`\n  |\n6 | name = \"app_steps\"\n  |        ^^^^^^^^^^^\n  = help: rename it to `app_steps_total`"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let report =
        report_of("[registry]\nversion = \"1.0.0\"\n[[metric]]\nsummary = \"ü\"; name = 1\n");
    assert_eq!(report.rules(), ["toml-syntax"]);
    assert_eq!(
        (report.diagnostics[0].line, report.diagnostics[0].column),
        (4, 14),
        "column 15 would be a byte count"
    );
}

#[test]
fn crlf_files_and_stray_carriage_returns_never_panic() {
    // An error that starts on the `\r` of a CRLF line once panicked the diagnostic renderer.
    for source in [
        "[registry]\r\nversion = \"1.0.0\r\n",
        "[registry]\r\nversion = \"1.0.0\"\r\n[[metric]]\r\nname = \"app_x\"\r\nkind = \"counter\"\r\nsummary = \"x\"\r\n",
        "[registry]\nversion = \"1.0.0\"\r",
        "[registry]\r\r\nversion = 1\r\r\n",
    ] {
        let report = report_of(source);
        for d in &report.diagnostics {
            assert!(!d.source_line().contains('\r'), "{report}");
            assert!(d.line >= 1 && d.column >= 1);
        }
        let _ = report.to_string();
    }
    // And a valid CRLF registry parses like its LF twin.
    let crlf =
        with_header("[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsummary = \"x\"\n")
            .replace('\n', "\r\n");
    assert_eq!(parse(&crlf, "m").unwrap().metrics[0].line, 6);
}
