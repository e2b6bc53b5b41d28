//! One test (at least) per rule id, named after what the rule rejects.

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

const LABELLED: &str = r#"
[[metric]]
name = "app_step_duration_seconds"
kind = "histogram"
unit = "seconds"
summary = "Step time."
labels = { phase = ["train", "eval"], status = ["ok", "in_progress", "2xx"] }

[[metric]]
name = "app_requests_total"
kind = "counter"
summary = "Requests."
labels = { model = { max_series = 8 }, phase = ["train", "eval"] }
"#;

#[test]
fn labels_keep_declaration_order_and_name_their_generated_types() {
    let registry = parse(&with_header(LABELLED), "metrics.toml").unwrap();
    let step = &registry.metrics[0];
    assert_eq!(
        step.family_type.as_deref(),
        Some("StepDurationSecondsFamily")
    );
    let names: Vec<_> = step.labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["phase", "status"]);
    assert_eq!(step.series_count(), 6);
    let crate::LabelValues::Enumerated { type_name, values } = &step.labels[1].values else {
        panic!("status is enumerated");
    };
    assert_eq!(type_name, "Status");
    let variants: Vec<_> = values
        .iter()
        .map(|v| (v.value.as_str(), v.variant.as_str()))
        .collect();
    assert_eq!(
        variants,
        [("ok", "Ok"), ("in_progress", "InProgress"), ("2xx", "V2xx")]
    );
    assert_eq!(step.labels[1].line, 11);

    let requests = &registry.metrics[1];
    assert_eq!(
        requests.labels[0].values,
        crate::LabelValues::FreeForm { max_series: 8 }
    );
    assert_eq!(
        requests.series_count(),
        9 * 2,
        "free-form: max_series + overflow"
    );
    assert!(
        registry
            .metrics
            .iter()
            .all(|m| m.handle.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
    );
    let unlabelled = parse(
        &with_header("[[metric]]\nname = \"app_x_total\"\nkind = \"counter\"\nsummary = \"x\"\n"),
        "m",
    )
    .unwrap();
    assert_eq!(unlabelled.metrics[0].family_type, None);
    assert_eq!(unlabelled.metrics[0].series_count(), 1);
}

/// One labelled counter named `app_l_total` with `labels = {labels}`.
fn labelled(labels: &str) -> String {
    format!(
        "[[metric]]\nname = \"app_l_total\"\nkind = \"counter\"\nsummary = \"l\"\nlabels = {labels}\n"
    )
}

#[test]
fn label_names_are_prometheus_label_names() {
    assert_single(
        &labelled("{ Phase = [\"a\"] }"),
        "invalid-label-name",
        9,
        12,
        "lowercase",
    );
    assert_single(
        &labelled("{ __phase = [\"a\"] }"),
        "invalid-label-name",
        9,
        12,
        "lowercase",
    );
    assert_single(
        &labelled("{ 1phase = [\"a\"] }"),
        "invalid-label-name",
        9,
        12,
        "starting with a letter",
    );
    assert_single(
        &labelled("{ \"ph-ase\" = [\"a\"] }"),
        "invalid-label-name",
        9,
        12,
        "lowercase",
    );
    let report = report_of(&with_header(&labelled("{ __phase = [\"a\"] }")));
    assert!(
        report.diagnostics[0].message.contains("reserves"),
        "{report}"
    );
    // `le` is the histogram's own label, and promlint flags it on every other kind;
    // `quantile` is a summary's, flagged on every other kind (and there are no summaries).
    assert_single(
        "[[metric]]\nname = \"app_hold_seconds\"\nkind = \"histogram\"\nsummary = \"h\"\nlabels = { le = [\"a\"] }\n",
        "reserved-label",
        9,
        12,
        "limit",
    );
    for kind in ["counter", "gauge", "histogram"] {
        let name = if kind == "counter" {
            "app_jobs_total"
        } else {
            "app_jobs"
        };
        for label in ["le", "quantile"] {
            let metric = format!(
                "[[metric]]\nname = \"{name}\"\nkind = \"{kind}\"\nsummary = \"j\"\nlabels = {{ {label} = [\"1\", \"10\"] }}\n"
            );
            let report = report_of(&with_header(&metric));
            assert_eq!(
                report.rules(),
                ["reserved-label"],
                "{kind} {label}: {report}"
            );
            let diagnostic = &report.diagnostics[0];
            assert_eq!((diagnostic.line, diagnostic.column), (9, 12), "{report}");
            assert!(
                diagnostic.message.contains(&format!("`{label}`")),
                "{report}"
            );
            assert!(diagnostic.message.contains(kind), "{report}");
        }
    }
    // A key twice in one TOML table is a syntax error, so label names are unique per metric.
    assert_eq!(
        rules(&labelled("{ phase = [\"a\"], phase = [\"b\"] }")),
        ["toml-syntax"]
    );
}

#[test]
fn enumerated_values_are_non_blank_unique_and_name_variants() {
    assert_single(
        &labelled("{ phase = [] }"),
        "label-values-empty",
        9,
        20,
        "list every value",
    );
    assert_single(
        &labelled("{}"),
        "label-values-empty",
        9,
        10,
        "remove `labels`",
    );
    assert_single(
        &labelled("{ phase = [\"a\", \" \"] }"),
        "blank-label-value",
        9,
        26,
        "empty label value",
    );
    let report = report_of(&with_header(&labelled("{ phase = [\"a\", \"b\", \"a\"] }")));
    assert_eq!(report.rules(), ["duplicate-label-value"], "{report}");
    assert_eq!(report.diagnostics[0].column, 31);
    assert!(
        report.diagnostics[0].notes[0].ends_with("metrics.toml:9:21"),
        "{report}"
    );
    assert_single(
        &labelled("{ phase = [\"a\", \"--\"] }"),
        "label-value-ident",
        9,
        26,
        "letters or digits",
    );
    let report = report_of(&with_header(&labelled(
        "{ phase = [\"in-progress\", \"in_progress\"] }",
    )));
    assert_eq!(report.rules(), ["label-value-ident"], "{report}");
    assert!(
        report.diagnostics[0].message.contains("`InProgress`"),
        "{report}"
    );
    // Any UTF-8 is a fine label value as long as a variant can be made of it.
    let registry = parse(
        &with_header(&labelled("{ phase = [\"self\", \"é1\", \"a\\\"b\"] }")),
        "m",
    )
    .unwrap();
    let crate::LabelValues::Enumerated { values, .. } = &registry.metrics[0].labels[0].values
    else {
        panic!()
    };
    let variants: Vec<_> = values.iter().map(|v| v.variant.as_str()).collect();
    assert_eq!(variants, ["SelfValue", "V1", "AB"]);
}

#[test]
fn free_form_labels_are_bounded() {
    assert_single(
        &labelled("{ model = {} }"),
        "missing-key",
        9,
        20,
        "max_series = 64",
    );
    assert_single(
        &labelled("{ model = { max_series = 0 } }"),
        "max-series",
        9,
        35,
        "distinct values",
    );
    assert_single(
        &labelled("{ model = { max_series = -3 } }"),
        "max-series",
        9,
        35,
        "distinct values",
    );
    assert_single(
        &labelled("{ model = { max_series = 99999999999999999999 } }"),
        "max-series",
        9,
        35,
        "distinct values",
    );
    assert_single(
        &labelled("{ model = { max_series = \"8\" } }"),
        "wrong-type",
        9,
        35,
        "",
    );
    let report = report_of(&with_header(&labelled("{ model = { max_sereis = 8 } }")));
    assert_eq!(report.rules(), ["missing-key", "unknown-key"], "{report}");
    assert_eq!(
        report.diagnostics[1].help.as_deref(),
        Some("did you mean `max_series`?")
    );
    assert_single(
        &labelled("{ model = 8 }"),
        "wrong-type",
        9,
        20,
        "max_series",
    );
    assert_single(
        &labelled("[\"phase\"]"),
        "info-labels",
        9,
        11,
        "labels = { phase = [",
    );
    assert_single(
        &labelled("{ phase = [1] }"),
        "wrong-type",
        9,
        21,
        "double quotes",
    );
}

#[test]
fn series_are_capped_per_metric() {
    let max = crate::MAX_SERIES_PER_METRIC;
    let values = |n: usize| {
        let v: Vec<String> = (0..n).map(|i| format!("\"v{i}\"")).collect();
        format!("[{}]", v.join(", "))
    };
    // Exactly at the cap is fine; one over is not.
    assert!(
        parse(
            &with_header(&labelled(&format!(
                "{{ a = {}, b = {} }}",
                values(32),
                values(32)
            ))),
            "m"
        )
        .is_ok()
    );
    assert!(
        parse(
            &with_header(&labelled(&format!(
                "{{ m = {{ max_series = {} }} }}",
                max - 1
            ))),
            "m"
        )
        .is_ok()
    );
    let report = report_of(&with_header(&labelled(&format!(
        "{{ a = {}, m = {{ max_series = 31 }}, b = {} }}",
        values(33),
        values(1)
    ))));
    assert_eq!(report.rules(), ["label-cardinality"], "{report}");
    assert!(
        report.diagnostics[0].message.contains("1056 series"),
        "{report}"
    );
    assert!(
        report.diagnostics[0].notes[0].contains("33 a x 32 m (max_series 31 + overflow) x 1 b"),
        "{report}"
    );
}

#[test]
fn one_label_name_is_one_enum_across_the_registry() {
    let conflict = format!(
        "{LABELLED}\n[[metric]]\nname = \"app_loss\"\nkind = \"gauge\"\nsummary = \"Loss.\"\nlabels = {{ phase = [\"eval\", \"train\"] }}\n"
    );
    let report = report_of(&with_header(&conflict));
    assert_eq!(report.rules(), ["label-conflict"], "{report}");
    let d = &report.diagnostics[0];
    assert_eq!((d.line, d.column), (23, 12), "{report}");
    assert!(
        d.notes[0].contains(r#"["train", "eval"]"#) && d.notes[0].ends_with("metrics.toml:11:12"),
        "{report}"
    );
    assert!(d.help.as_deref().unwrap_or("").contains("`Phase`"));
    // Free-form use of an enumerated label name generates no enum, so it does not conflict.
    let free = conflict.replace(r#"phase = ["eval", "train"]"#, "phase = { max_series = 4 }");
    assert!(parse(&with_header(&free), "m").is_ok());
}

#[test]
fn generated_type_names_do_not_clash() {
    // Label `a_family` makes the enum `AFamily`, as the labelled metric `app_a` does.
    let clash = "[[metric]]\nname = \"app_a\"\nkind = \"gauge\"\nsummary = \"a\"\nlabels = { a_family = [\"x\"] }\n";
    let report = report_of(&with_header(clash));
    assert_eq!(report.rules(), ["type-name"], "{report}");
    assert!(
        report.diagnostics[0].message.contains("`AFamily`"),
        "{report}"
    );
    assert_single(
        &labelled("{ self = [\"x\"] }"),
        "type-name",
        9,
        12,
        "rename the label",
    );
    assert!(
        parse(
            &with_header(&labelled("{ self = { max_series = 2 } }")),
            "m"
        )
        .is_ok()
    );
}

#[test]
fn the_runtime_counter_of_dropped_values_is_reserved() {
    let source = format!(
        "[registry]\nversion = \"1.0.0\"\n\n[[metric]]\nname = \"{}\"\nkind = \"counter\"\nsummary = \"x\"\n",
        crate::DROPPED_LABEL_VALUES_METRIC
    );
    assert_eq!(report_of(&source).rules(), ["reserved-name"]);
}

#[test]
fn only_unlabelled_counters_and_histograms_are_sharded() {
    let counter = "[[metric]]\nname = \"app_hits_total\"\nkind = \"counter\"\nsummary = \"h\"\n";
    let registry = parse(&with_header(&format!("{counter}sharded = true\n")), "m").unwrap();
    assert!(registry.metrics[0].sharded);
    let registry = parse(&with_header(&format!("{counter}sharded = false\n")), "m").unwrap();
    assert!(!registry.metrics[0].sharded);
    assert!(!parse(&with_header(counter), "m").unwrap().metrics[0].sharded);
    assert_single(
        &format!("{counter}sharded = \"yes\"\n"),
        "wrong-type",
        9,
        11,
        "",
    );
    assert_single(
        "[[metric]]\nname = \"app_depth\"\nkind = \"gauge\"\nsummary = \"d\"\nsharded = true\n",
        "sharded",
        9,
        11,
        "only unlabelled counters and histograms",
    );
    let histogram = "[[metric]]\nname = \"app_wait_seconds\"\nkind = \"histogram\"\nsummary = \"w\"\nsharded = true\n";
    assert!(parse(&with_header(histogram), "m").unwrap().metrics[0].sharded);
    assert_single(
        &format!("{counter}labels = {{ a = [\"x\"] }}\nsharded = true\n"),
        "sharded",
        10,
        11,
        "remove `sharded`",
    );
}

/// A near miss is corrected where it stands, not kept beside the right spelling: the help of
/// a typo names the name the user meant.
#[test]
fn the_help_for_a_typo_fixes_the_typo() {
    let report = report_of(
        "[registry]\nnamespace = \"geno_lewm\"\nversion = \"1.0.0\"\n[[metric]]\nname = \"geno_lwem_train_loss\"\nkind = \"gauge\"\nsummary = \"l\"\n",
    );
    assert_eq!(report.rules(), ["namespace-prefix"], "{report}");
    assert_eq!(
        report.diagnostics[0].help.as_deref(),
        Some("rename it to `geno_lewm_train_loss`")
    );
    // Not a near miss of the namespace: the namespace goes in front.
    assert_single(
        "[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"j\"\n",
        "namespace-prefix",
        6,
        8,
        "rename it to `app_jobs_total`",
    );
    for (typed, meant) in [
        ("app_jobs_totl", "app_jobs_total"),
        ("app_jobs_totals", "app_jobs_total"),
        ("app_jobs", "app_jobs_total"),
    ] {
        let report = report_of(&with_header(&format!(
            "[[metric]]\nname = \"{typed}\"\nkind = \"counter\"\nsummary = \"j\"\n"
        )));
        assert_eq!(report.rules(), ["counter-suffix"], "{report}");
        assert_eq!(
            report.diagnostics[0].help.as_deref(),
            Some(format!("rename it to `{meant}`").as_str()),
            "{typed}"
        );
    }
    assert_single(
        "[[metric]]\nname = \"app_wait_seconds\"\nkind = \"gauge\"\nunit = \"secnds\"\nsummary = \"w\"\n",
        "unit-suffix",
        8,
        8,
        "did you mean `unit = \"seconds\"`?",
    );
    // A real other unit is a rename or a unit fix, as before.
    assert_single(
        "[[metric]]\nname = \"app_wait_seconds\"\nkind = \"gauge\"\nunit = \"bytes\"\nsummary = \"w\"\n",
        "unit-suffix",
        8,
        8,
        "rename the metric to `app_wait_seconds_bytes`, or fix the unit",
    );
}

/// Labels whose `with(..)` parameters would be one identifier are refused; keywords become
/// raw identifiers, and those that cannot be raw get `_`.
#[test]
fn label_parameters_are_distinct_rust_identifiers() {
    assert_single(
        "[[metric]]\nname = \"app_jobs_total\"\nkind = \"counter\"\nsummary = \"j\"\nlabels = { self = { max_series = 2 }, self_ = { max_series = 2 } }\n",
        "label-ident",
        9,
        39,
        "rename one of them",
    );
    let registry = parse(
        &with_header("[[metric]]\nname = \"app_jobs_total\"\nkind = \"counter\"\nsummary = \"j\"\nlabels = { type = { max_series = 2 }, gen = { max_series = 2 }, crate = [\"a\"], phase = [\"b\"] }\n"),
        "m.toml",
    )
    .unwrap();
    let parameters: Vec<&str> = registry.metrics[0]
        .labels
        .iter()
        .map(|l| l.parameter.as_str())
        .collect();
    assert_eq!(parameters, ["r#type", "r#gen", "crate_", "phase"]);
}

/// A registry whose `[registry]` table declares `const_labels` and whose one metric has
/// `labels`.
fn with_const_labels(const_labels: &str, labels: &str) -> String {
    format!(
        "[registry]\nversion = \"1.0.0\"\nconst_labels = {const_labels}\n\n[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"Jobs.\"\nlabels = {labels}\n"
    )
}

#[test]
fn const_labels_are_read_in_declaration_order_with_their_source() {
    let registry = parse(
        &with_const_labels(
            r#"{ rank = { env = "RANK", default = "0" }, run = { env = "GENO_LEWM_RUN_ID" } }"#,
            r#"{ status = ["ok"] }"#,
        ),
        "metrics.toml",
    )
    .unwrap();
    let labels: Vec<_> = registry
        .const_labels
        .iter()
        .map(|l| {
            (
                l.name.as_str(),
                l.env.as_str(),
                l.default.as_deref(),
                l.line,
            )
        })
        .collect();
    assert_eq!(
        labels,
        [
            ("rank", "RANK", Some("0"), 3),
            ("run", "GENO_LEWM_RUN_ID", None, 3)
        ]
    );
}

#[test]
fn const_label_rules() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // (const_labels, a metric's labels, the rule, a word of its help)
        (
            r#"{ Rank = { env = "RANK" } }"#,
            r#"{ a = ["x"] }"#,
            "invalid-label-name",
            "lowercase",
        ),
        (
            r#"{ job = { env = "JOB" } }"#,
            r#"{ a = ["x"] }"#,
            "reserved-label",
            "`workload`",
        ),
        (
            r#"{ instance = { env = "HOST" } }"#,
            r#"{ a = ["x"] }"#,
            "reserved-label",
            "`host`",
        ),
        (
            r#"{ le = { env = "LE" } }"#,
            r#"{ a = ["x"] }"#,
            "reserved-label",
            "`rank`",
        ),
        (
            r#"{ quantile = { env = "Q" } }"#,
            r#"{ a = ["x"] }"#,
            "reserved-label",
            "`rank`",
        ),
        (
            r#"{ metric = { env = "M" } }"#,
            r#"{ a = ["x"] }"#,
            "reserved-label",
            "`rank`",
        ),
        (
            r#"{ rank = { env = "RANK" } }"#,
            r#"{ rank = ["0"] }"#,
            "const-label-clash",
            "rename",
        ),
        (
            r#"{ rank = { env = "1RANK" } }"#,
            r#"{ a = ["x"] }"#,
            "invalid-env-var",
            "`RANK`",
        ),
        (
            r#"{ rank = { env = "RANK-ID" } }"#,
            r#"{ a = ["x"] }"#,
            "invalid-env-var",
            "`RANK`",
        ),
        (
            r#"{ rank = { env = "RANK", default = " " } }"#,
            r#"{ a = ["x"] }"#,
            "blank-default",
            "no label",
        ),
        (
            r#"{ rank = { default = "0" } }"#,
            r#"{ a = ["x"] }"#,
            "missing-key",
            "env = \"RANK\"",
        ),
        (
            r#"{ rank = { env = "RANK", defualt = "0" } }"#,
            r#"{ a = ["x"] }"#,
            "unknown-key",
            "`default`",
        ),
        (
            r#"{ rank = { env = 3 } }"#,
            r#"{ a = ["x"] }"#,
            "wrong-type",
            "double quotes",
        ),
        (
            r#"{ rank = "RANK" }"#,
            r#"{ a = ["x"] }"#,
            "wrong-type",
            "env = \"RANK\"",
        ),
        (
            r#"["rank"]"#,
            r#"{ a = ["x"] }"#,
            "wrong-type",
            "const_labels = {",
        ),
    ];
    for (const_labels, labels, rule, help) in cases {
        let report = report_of(&with_const_labels(const_labels, labels));
        assert_eq!(report.rules(), [*rule], "{const_labels}: {report}");
        let d = &report.diagnostics[0];
        assert_eq!(d.line, 3, "{const_labels}: {report}");
        assert!(
            d.help.as_deref().unwrap_or("").contains(help),
            "{const_labels}: help {:?} lacks {help:?}",
            d.help
        );
    }
}

#[test]
fn a_const_label_clash_points_at_the_metrics_label() {
    let report = report_of(&with_const_labels(
        r#"{ rank = { env = "RANK" } }"#,
        r#"{ rank = ["0"] }"#,
    ));
    let text = report.to_string();
    assert!(
        text.contains("constant label `rank` is also a label of `jobs_total`"),
        "{text}"
    );
    assert!(
        text.contains("metrics.toml:9:"),
        "the note names the metric's label: {text}"
    );
}

#[test]
fn a_counter_family_may_not_be_another_metrics_name() {
    let report = report_of(&with_header(
        r#"
[[metric]]
name = "app_jobs"
kind = "gauge"
summary = "Jobs."

[[metric]]
name = "app_jobs_total"
kind = "counter"
summary = "Jobs done."
"#,
    ));
    assert_eq!(report.rules(), ["series-collision"], "{report}");
    let text = report.to_string();
    assert!(
        text.contains("metric `app_jobs` has the name of counter `app_jobs_total`'s family"),
        "{text}"
    );
    assert!(
        text.contains("metrics.toml:7:8"),
        "points at the gauge: {text}"
    );
}

#[test]
fn an_info_metric_lists_its_label_names() {
    let registry = parse(
        &with_header(
            "[[metric]]\nname = \"app_model_info\"\nkind = \"info\"\nsummary = \"The model loaded.\"\nlabels = [\"model\", \"checkpoint\"]\n",
        ),
        "m.toml",
    )
    .unwrap();
    let metric = &registry.metrics[0];
    assert_eq!(metric.kind, MetricKind::Info);
    assert_eq!(metric.family_type.as_deref(), Some("ModelInfo"));
    let labels: Vec<(&str, &crate::LabelValues)> = metric
        .labels
        .iter()
        .map(|l| (l.name.as_str(), &l.values))
        .collect();
    assert_eq!(
        labels,
        [
            ("model", &crate::LabelValues::Info),
            ("checkpoint", &crate::LabelValues::Info)
        ]
    );
    assert_eq!(metric.series_count(), 1);
}

#[test]
fn info_suffix() {
    assert_single(
        "[[metric]]\nname = \"app_model\"\nkind = \"info\"\nsummary = \"x\"\nlabels = [\"model\"]\n",
        "info-suffix",
        6,
        8,
        "rename it to `app_model_info`",
    );
    assert_single(
        "[[metric]]\nname = \"app_build_info\"\nkind = \"gauge\"\nsummary = \"x\"\n",
        "info-suffix",
        6,
        8,
        "make it `kind = \"info\"`",
    );
}

#[test]
fn info_labels() {
    // None at all.
    assert_single(
        "[[metric]]\nname = \"app_build_info\"\nkind = \"info\"\nsummary = \"x\"\n",
        "info-labels",
        6,
        8,
        "labels = [\"model\", \"checkpoint\"]",
    );
    // Values listed on an info metric.
    assert_single(
        "[[metric]]\nname = \"app_build_info\"\nkind = \"info\"\nsummary = \"x\"\nlabels = { model = [\"a\"] }\n",
        "info-labels",
        9,
        12,
        "list the label names only",
    );
    // A list of names on a counter.
    assert_single(
        "[[metric]]\nname = \"app_jobs_total\"\nkind = \"counter\"\nsummary = \"x\"\nlabels = [\"model\"]\n",
        "info-labels",
        9,
        11,
        "labels = { model = [\"a\", \"b\"] }",
    );
    // A name that is not a string.
    assert_eq!(
        rules(
            "[[metric]]\nname = \"app_build_info\"\nkind = \"info\"\nsummary = \"x\"\nlabels = [\"model\", 3]\n"
        ),
        ["wrong-type"]
    );
}

#[test]
fn info_unit() {
    assert_single(
        "[[metric]]\nname = \"app_build_info\"\nkind = \"info\"\nsummary = \"x\"\nunit = \"seconds\"\nlabels = [\"version\"]\n",
        "info-unit",
        9,
        8,
        "remove `unit`",
    );
}

#[test]
fn duplicate_label() {
    assert_single(
        "[[metric]]\nname = \"app_build_info\"\nkind = \"info\"\nsummary = \"x\"\nlabels = [\"version\", \"version\"]\n",
        "duplicate-label",
        9,
        22,
        "remove one of them",
    );
}

#[test]
fn an_info_family_takes_its_name_without_info() {
    let report = report_of(&with_header(
        "[[metric]]\nname = \"app_model\"\nkind = \"gauge\"\nsummary = \"x\"\n\n[[metric]]\nname = \"app_model_info\"\nkind = \"info\"\nsummary = \"x\"\nlabels = [\"model\"]\n",
    ));
    assert_eq!(report.rules(), ["series-collision"], "{report}");
    assert!(
        report.diagnostics[0]
            .message
            .contains("info metric `app_model_info`'s family")
    );
}

#[test]
fn reserved_labels_apply_to_info_metrics() {
    assert_eq!(
        rules(
            "[[metric]]\nname = \"app_build_info\"\nkind = \"info\"\nsummary = \"x\"\nlabels = [\"le\", \"quantile\"]\n"
        ),
        ["reserved-label", "reserved-label"]
    );
}

/// A registry whose `[registry]` table also has `collectors`.
fn with_collectors(collectors: &str, metrics: &str) -> String {
    format!("{HEADER}collectors = {collectors}\n\n{metrics}")
}

#[test]
fn collectors_add_their_metrics_after_the_declared_ones() {
    let registry = parse(
        &with_collectors(
            "[\"process\", \"build_info\"]",
            "[[metric]]\nname = \"app_jobs_total\"\nkind = \"counter\"\nsummary = \"Jobs.\"\n",
        ),
        "m.toml",
    )
    .unwrap();
    assert_eq!(
        registry.collectors,
        [crate::Collector::Process, crate::Collector::BuildInfo]
    );
    let names: Vec<&str> = registry.metrics.iter().map(|m| m.name.as_str()).collect();
    let mut expected = vec!["app_jobs_total"];
    expected.extend(crate::PROCESS_METRICS.iter().map(|m| m.name));
    expected.push("app_build_info");
    assert_eq!(names, expected);
    let build_info = registry.metrics.last().unwrap();
    assert_eq!(build_info.kind, MetricKind::Info);
    assert_eq!(build_info.handle, "BUILD_INFO");
    assert_eq!(build_info.collector, Some(crate::Collector::BuildInfo));
    assert_eq!(build_info.line, 4, "the line of `collectors`");
    let labels: Vec<&str> = build_info.labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(labels, crate::BUILD_INFO_LABELS);
    let cpu = &registry.metrics[1];
    assert_eq!(
        (cpu.handle.as_str(), cpu.kind, cpu.unit.as_deref()),
        (
            "PROCESS_CPU_SECONDS_TOTAL",
            MetricKind::Counter,
            Some("seconds")
        )
    );
    assert_eq!(registry.metrics[0].collector, None);
    // Without a namespace, build_info is `build_info`.
    let bare = parse(
        "[registry]\nversion = \"1.0.0\"\ncollectors = [\"build_info\"]\n",
        "m.toml",
    )
    .unwrap();
    assert_eq!(bare.metrics[0].name, "build_info");
}

#[test]
fn unknown_collector() {
    let report = report_of(&with_collectors("[\"proces\"]", ""));
    assert_eq!(report.rules(), ["unknown-collector"], "{report}");
    assert_eq!(
        report.diagnostics[0].help.as_deref(),
        Some("did you mean `process`?")
    );
    let report = report_of(&with_collectors("[\"go\"]", ""));
    assert!(
        report.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .contains("`process` and `build_info`")
    );
    assert_eq!(
        report_of(&with_collectors("\"process\"", "")).rules(),
        ["wrong-type"]
    );
    assert_eq!(
        report_of(&with_collectors("[1]", "")).rules(),
        ["wrong-type"]
    );
}

#[test]
fn duplicate_collector() {
    let report = report_of(&with_collectors("[\"process\", \"process\"]", ""));
    assert_eq!(report.rules(), ["duplicate-collector"], "{report}");
    assert_eq!(
        (report.diagnostics[0].line, report.diagnostics[0].column),
        (4, 26)
    );
}

/// A registry whose `[registry]` adds `keys` (one `key = value` a line).
fn with_query_keys(keys: &str) -> String {
    format!("{HEADER}{keys}\n")
}

#[test]
fn query_files_are_kept_with_their_lines() {
    let registry = parse(
        &with_query_keys(
            "rule_files = [\"metrics.rules.yml\", \"../alerts/team.yml\"]\ndashboards = [\n  \"grafana/training.json\",\n]\ntarget_labels = [\"cluster\"]",
        ),
        "metrics.toml",
    )
    .unwrap_or_else(|r| panic!("{r}"));
    let files = &registry.queries;
    let listed = |files: &[crate::QueryFile]| -> Vec<(String, usize)> {
        files.iter().map(|f| (f.path.clone(), f.line)).collect()
    };
    assert_eq!(
        listed(&files.rule_files),
        [
            ("metrics.rules.yml".to_owned(), 4),
            ("../alerts/team.yml".to_owned(), 4)
        ]
    );
    assert_eq!(
        listed(&files.dashboards),
        [("grafana/training.json".to_owned(), 6)]
    );
    assert_eq!(files.target_labels, ["cluster"]);
    // Without the keys, nothing is listed.
    let bare = parse(HEADER, "metrics.toml").unwrap();
    assert_eq!(bare.queries, crate::QueryFiles::default());
}

#[test]
fn query_keys_of_the_wrong_type() {
    for keys in [
        "rule_files = \"metrics.rules.yml\"",
        "dashboards = [1]",
        "target_labels = { cluster = true }",
    ] {
        let report = report_of(&with_query_keys(keys));
        assert_eq!(report.rules(), ["wrong-type"], "{report}");
        assert_eq!(report.diagnostics[0].line, 4, "{report}");
    }
    let report = report_of(&with_query_keys("rule_files = 3"));
    assert!(
        report.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .contains("relative to this file"),
        "{report}"
    );
}

#[test]
fn invalid_path() {
    for (path, says) in [
        ("", "is blank"),
        ("  ", "is blank"),
        ("/etc/prometheus/rules.yml", "is absolute"),
        ("C:\\\\rules.yml", "is absolute"),
        ("rules\\u0000.yml", "control character"),
    ] {
        let report = report_of(&with_query_keys(&format!("rule_files = [\"{path}\"]")));
        assert_eq!(report.rules(), ["invalid-path"], "{report}");
        let d = &report.diagnostics[0];
        assert_eq!((d.line, d.column), (4, 15), "{report}");
        assert!(d.message.contains(says), "{report}");
        assert!(d.help.is_some(), "{report}");
    }
}

#[test]
fn duplicate_path() {
    // Spelt another way, and across the two lists: a file is read once.
    let report = report_of(&with_query_keys(
        "rule_files = [\"rules.yml\", \"./rules.yml\"]\ndashboards = [\"grafana//d.json\", \"grafana/d.json\", \"rules.yml\"]",
    ));
    assert_eq!(
        report.rules(),
        ["duplicate-path", "duplicate-path", "duplicate-path"],
        "{report}"
    );
    assert_eq!(
        (report.diagnostics[0].line, report.diagnostics[0].column),
        (4, 28)
    );
    assert!(
        report.diagnostics[0].notes[0].ends_with("metrics.toml:4:15"),
        "{report}"
    );
    // Going up is fine: a member crate's registry may list the workspace's dashboards.
    assert!(
        parse(
            &with_query_keys("dashboards = [\"../d.json\", \"d.json\"]"),
            "m"
        )
        .is_ok()
    );
}

#[test]
fn target_labels_are_label_names_listed_once() {
    let report = report_of(&with_query_keys(
        "target_labels = [\"cluster\", \"Pod\", \"cluster\", \"__meta\"]",
    ));
    assert_eq!(
        report.rules(),
        [
            "invalid-label-name",
            "duplicate-label",
            "invalid-label-name"
        ],
        "{report}"
    );
}

#[test]
fn target_labels_are_not_labels_the_series_carry_or_prometheus_attaches() {
    let toml = format!(
        "{HEADER}target_labels = [\"cluster\", \"job\", \"le\", \"rank\", \"status\"]\nconst_labels = {{ rank = {{ env = \"RANK\" }} }}\n\n[[metric]]\nname = \"app_requests_total\"\nkind = \"counter\"\nsummary = \"x\"\nlabels = {{ status = [\"ok\"] }}\n"
    );
    let report = report_of(&toml);
    assert_eq!(
        report.rules(),
        [
            "reserved-label",
            "reserved-label",
            "target-label-clash",
            "target-label-clash"
        ],
        "{report}"
    );
    let text = report.to_string();
    assert!(
        text.contains("target label `job` need not be listed"),
        "{text}"
    );
    assert!(
        text.contains("target label `rank` is also a constant label"),
        "{text}"
    );
    assert!(
        text.contains("target label `status` is also a label of `app_requests_total`"),
        "{text}"
    );
}

#[test]
fn collector_name_clash() {
    // The same name, in a registry without a namespace.
    let report = report_of(
        "[registry]\nversion = \"1.0.0\"\ncollectors = [\"process\"]\n\n[[metric]]\nname = \"process_open_fds\"\nkind = \"gauge\"\nsummary = \"x\"\n",
    );
    assert_eq!(report.rules(), ["collector-name-clash"], "{report}");
    assert_eq!(report.diagnostics[0].line, 6);
    // The OpenMetrics family of a collector's counter.
    let report = report_of(
        "[registry]\nversion = \"1.0.0\"\ncollectors = [\"process\"]\n\n[[metric]]\nname = \"process_cpu_seconds\"\nkind = \"gauge\"\nunit = \"seconds\"\nsummary = \"x\"\n",
    );
    assert_eq!(report.rules(), ["collector-name-clash"], "{report}");
    // A declared metric whose handle would be a collector's.
    let report = report_of(&with_collectors(
        "[\"process\"]",
        "[[metric]]\nname = \"app_process_threads\"\nkind = \"gauge\"\nsummary = \"x\"\n",
    ));
    assert_eq!(report.rules(), ["collector-name-clash"], "{report}");
    assert!(
        report.diagnostics[0]
            .message
            .contains("handle `PROCESS_THREADS`")
    );
    // build_info's name.
    let report = report_of(&with_collectors(
        "[\"build_info\"]",
        "[[metric]]\nname = \"app_build_info\"\nkind = \"info\"\nsummary = \"x\"\nlabels = [\"v\"]\n",
    ));
    assert_eq!(report.rules(), ["collector-name-clash"], "{report}");
}

#[test]
fn two_metrics_deriving_one_family_collide() {
    // A counter `x_total` and an info metric `x_info` are both the family `x` in OpenMetrics.
    let report = report_of(&with_header(
        "[[metric]]\nname = \"app_model_total\"\nkind = \"counter\"\nsummary = \"x\"\n\n[[metric]]\nname = \"app_model_info\"\nkind = \"info\"\nsummary = \"x\"\nlabels = [\"model\"]\n",
    ));
    assert_eq!(report.rules(), ["series-collision"], "{report}");
    assert_eq!(report.diagnostics[0].line, 11);
    assert!(
        report.diagnostics[0].message.contains("`app_model`"),
        "{report}"
    );
}

#[test]
fn an_info_metric_with_an_empty_label_list() {
    let report = report_of(&with_header(
        "[[metric]]\nname = \"app_model_info\"\nkind = \"info\"\nsummary = \"x\"\nlabels = []\n",
    ));
    assert_eq!(report.rules(), ["info-labels"], "{report}");
}

#[test]
fn collector_clashes_through_derived_names_and_constant_labels() {
    // A declared counter whose OpenMetrics family is build_info's family.
    let report = report_of(&with_collectors(
        "[\"build_info\"]",
        "[[metric]]\nname = \"app_build_total\"\nkind = \"counter\"\nsummary = \"x\"\n",
    ));
    assert_eq!(report.rules(), ["collector-name-clash"], "{report}");
    // A constant label named like a label of build_info.
    let report = report_of(&format!(
        "{HEADER}const_labels = {{ version = {{ env = \"APP_VERSION\", default = \"1\" }} }}\ncollectors = [\"build_info\"]\n"
    ));
    assert_eq!(report.rules(), ["const-label-clash"], "{report}");
    assert_eq!(report.diagnostics[0].line, 4);
}

/// A registry with the process collector, a constant label and a free-form label (so it
/// generates every alert), then `alerts` as the body of `[registry.alerts]`.
fn with_alerts(alerts: &str) -> String {
    format!(
        "[registry]\nversion = \"1.0.0\"\nconst_labels = {{ rank = {{ env = \"RANK\" }} }}\ncollectors = [\"process\", \"build_info\"]\n\n[registry.alerts]\n{alerts}\n\n[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"Jobs.\"\nlabels = {{ model = {{ max_series = 4 }} }}\n"
    )
}

#[test]
fn alerts_take_their_defaults_and_the_registrys_overrides() {
    let registry = parse(
        &with_alerts(
            "textfile_stale = { after = \"2m\", for = \"1m\" }\nprocess_memory_growing = { bytes_per_second = 524288.5, severity = \"critical\", window = \"1h30m\" }\nprocess_restarting = { enabled = false, restarts = 0 }",
        ),
        "metrics.toml",
    )
    .unwrap_or_else(|r| panic!("{r}"));
    let keys: Vec<&str> = registry.alerts.iter().map(|a| a.key).collect();
    let defined: Vec<&str> = crate::ALERTS.iter().map(|a| a.key).collect();
    assert_eq!(keys, defined, "every alert is resolved, in ALERTS' order");
    let stale = registry.alert("textfile_stale").unwrap();
    assert_eq!(
        (stale.threshold("after"), stale.for_duration.as_str()),
        ("2m", "1m")
    );
    assert_eq!(stale.severity, "warning", "the default stays");
    let growing = registry.alert("process_memory_growing").unwrap();
    assert_eq!(growing.threshold("bytes_per_second"), "524288.5");
    assert_eq!(growing.threshold("window"), "1h30m");
    assert_eq!(growing.severity, "critical");
    assert_eq!(growing.for_duration, "30m", "the default for");
    let restarting = registry.alert("process_restarting").unwrap();
    assert!(!restarting.enabled);
    assert_eq!(restarting.threshold("restarts"), "0");
    let untouched = registry.alert("process_missing").unwrap();
    assert!(untouched.enabled);
    assert_eq!(untouched.threshold("lookback"), "15m");
    assert!(registry.alert("nonexistent").is_none());
}

#[test]
fn every_alert_default_is_valid_by_the_alerts_own_rules() {
    for alert in crate::ALERTS {
        assert!(
            crate::duration_millis(alert.for_default).is_some(),
            "{}: for {}",
            alert.key,
            alert.for_default
        );
        let table: Vec<String> = alert
            .thresholds
            .iter()
            .map(|t| match t.kind {
                crate::ThresholdKind::Duration => format!("{} = \"{}\"", t.key, t.default),
                _ => format!("{} = {}", t.key, t.default),
            })
            .collect();
        let source = with_alerts(&format!("{} = {{ {} }}", alert.key, table.join(", ")));
        if let Err(report) = parse(&source, "metrics.toml") {
            panic!(
                "the defaults of {} written out are refused:\n{report}",
                alert.key
            );
        }
    }
}

#[test]
fn alert_settings_are_validated_with_line_column_and_help() {
    // (the alert table, the rule, its line in the file, a word of its help)
    let cases = [
        (
            "textfile_stal = { after = \"2m\" }",
            "unknown-alert",
            "textfile_stale",
        ),
        ("textfile_stale = { afer = \"2m\" }", "unknown-key", "after"),
        (
            "textfile_stale = { after = \"2 m\" }",
            "invalid-duration",
            "1h30m",
        ),
        (
            "textfile_stale = { after = \"10min\" }",
            "invalid-duration",
            "largest first",
        ),
        (
            "textfile_stale = { after = \"30s5m\" }",
            "invalid-duration",
            "largest first",
        ),
        (
            "textfile_stale = { after = \"0s\" }",
            "invalid-duration",
            "5m",
        ),
        ("textfile_stale = { after = 600 }", "wrong-type", ""),
        ("textfile_stale = { for = \"\" }", "invalid-duration", ""),
        (
            "textfile_stale = { severity = \" \" }",
            "blank-severity",
            "critical",
        ),
        ("textfile_stale = { severity = 3 }", "wrong-type", ""),
        ("textfile_stale = { enabled = \"no\" }", "wrong-type", ""),
        ("textfile_stale = \"2m\"", "wrong-type", "textfile_stale"),
        (
            "process_restarting = { restarts = -1 }",
            "invalid-threshold",
            "restarts",
        ),
        ("process_restarting = { restarts = 1.5 }", "wrong-type", ""),
        (
            "process_memory_growing = { bytes_per_second = 0 }",
            "invalid-threshold",
            "bytes",
        ),
        (
            "process_memory_growing = { bytes_per_second = nan }",
            "invalid-threshold",
            "",
        ),
        (
            "process_memory_growing = { bytes_per_second = \"1MiB\" }",
            "wrong-type",
            "",
        ),
    ];
    for (table, rule, help) in cases {
        let report = report_of(&with_alerts(table));
        assert_eq!(report.rules(), [rule], "{table}:\n{report}");
        let d = &report.diagnostics[0];
        assert_eq!(d.line, 7, "{table}:\n{report}");
        assert!(
            d.help.as_deref().unwrap_or("").contains(help),
            "{table}: help {:?} lacks {help:?}",
            d.help
        );
    }
}

#[test]
fn an_alert_the_registry_does_not_generate_cannot_be_configured() {
    let bare = |alerts: &str| {
        format!(
            "[registry]\nversion = \"1.0.0\"\n\n[registry.alerts]\n{alerts}\n\n[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"Jobs.\"\n"
        )
    };
    for (table, needs) in [
        ("label_overflow = { window = \"1h\" }", "free-form label"),
        ("process_missing = { for = \"1m\" }", "const_labels"),
        ("process_restarting = { enabled = false }", "process"),
        ("process_memory_growing = { window = \"1h\" }", "process"),
    ] {
        let report = report_of(&bare(table));
        assert_eq!(report.rules(), ["alert-not-generated"], "{report}");
        assert!(report.diagnostics[0].message.contains(needs), "{report}");
        assert_eq!(report.diagnostics[0].line, 5, "{report}");
    }
    // The alerts every registry has take settings without anything else declared.
    parse(
        &bare("textfile_stale = { after = \"1m\" }\ntextfile_scrape_error = { for = \"0s\" }"),
        "metrics.toml",
    )
    .unwrap_or_else(|r| panic!("{r}"));
    // `alerts` itself must be a table.
    let report = report_of("[registry]\nversion = \"1.0.0\"\nalerts = [\"textfile_stale\"]\n");
    assert_eq!(report.rules(), ["wrong-type"], "{report}");
}

#[test]
fn durations_read_as_prometheus_reads_them() {
    use crate::duration_millis;
    assert_eq!(duration_millis("0"), Some(0));
    assert_eq!(duration_millis("90s"), Some(90_000));
    assert_eq!(duration_millis("1h30m"), Some(5_400_000));
    assert_eq!(duration_millis("1m500ms"), Some(60_500));
    assert_eq!(duration_millis("2w1d"), Some(15 * 86_400_000));
    assert_eq!(duration_millis("1y"), Some(365 * 86_400_000));
    for bad in [
        "",
        "m",
        "5",
        "5M",
        "1m1m",
        "30s1m",
        "1.5h",
        "-1m",
        " 1m",
        "1m ",
        "99999999999999999999y",
    ] {
        assert_eq!(duration_millis(bad), None, "{bad:?}");
    }
}

#[test]
fn a_metric_label_may_not_be_a_target_label() {
    for (label, help) in [("job", "workload"), ("instance", "host")] {
        let report = report_of(&with_header(&format!(
            "[[metric]]\nname = \"app_jobs_total\"\nkind = \"counter\"\nsummary = \"J.\"\nlabels = {{ {label} = [\"a\", \"b\"] }}\n"
        )));
        assert_eq!(report.rules(), ["target-label"], "{report}");
        let d = &report.diagnostics[0];
        assert!(d.message.contains(&format!("exported_{label}")), "{report}");
        assert!(d.help.as_deref().unwrap().contains(help), "{report}");
        assert_eq!((d.line, d.column), (9, 12), "{report}");
    }
}

#[test]
fn the_missing_process_alert_needs_a_series_every_process_has() {
    let registry = |collectors: &str| {
        format!(
            "[registry]\nversion = \"1.0.0\"\nconst_labels = {{ rank = {{ env = \"RANK\" }} }}\ncollectors = [{collectors}]\n\n[registry.alerts]\nprocess_missing = {{ lookback = \"1h\" }}\n\n[[metric]]\nname = \"gpu_bytes\"\nkind = \"gauge\"\nunit = \"bytes\"\nsummary = \"G.\"\nlabels = {{ device = {{ max_series = 4 }} }}\n"
        )
    };
    // Only a free-form metric: no series is sure to exist, so no alert to configure.
    let report = report_of(&registry(""));
    assert_eq!(report.rules(), ["alert-not-generated"], "{report}");
    assert!(
        report.diagnostics[0].message.contains("build_info"),
        "{report}"
    );
    // build_info is the series every process has.
    let ok = parse(&registry("\"build_info\""), "metrics.toml").unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(ok.series_every_process_has().as_deref(), Some("build_info"));
}
