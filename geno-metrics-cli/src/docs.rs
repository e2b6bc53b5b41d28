//! `docs`: the metrics catalogue (`METRICS.md` beside the registry, or `--output`), generated from the
//! registry; `--check` fails when the committed file is stale.

use geno_metrics_schema::{
    Collector, DROPPED_LABEL_VALUES_METRIC, Label, LabelValues, Metric, OVERFLOW_LABEL_VALUE,
    Registry,
};

use crate::{Context, Docs, Outcome, load_valid};

/// The catalogue: one table row per metric, in file order.
pub(crate) fn render(registry: &Registry, source: &str, command: &str) -> String {
    let mut out = String::new();
    out.push_str("# Metrics catalogue\n\n");
    out.push_str(&format!(
        "Generated from `{source}` (registry version {}) by `{command} docs`. Do not edit:\nchange the registry and run the command again; `{command} docs --check` fails when this file is stale.\n\n",
        registry.version
    ));
    if let Some(ns) = &registry.namespace {
        out.push_str(&format!("Namespace: `{ns}`. "));
    }
    out.push_str(&format!(
        "{} metrics. Histogram buckets are upper bounds; `+Inf` is implicit.",
        registry.metrics.len()
    ));
    let labels = || registry.metrics.iter().flat_map(|m| &m.labels);
    if labels().next().is_some() {
        out.push_str(
            "\nA labelled metric's handle has a generated type, named beside it; its Labels cell lists the labels\nin the order `with(..)` takes them, each enumerated one with its values and its generated enum.",
        );
    }
    out.push_str("\n\n");
    if labels().any(|l| matches!(l.values, LabelValues::FreeForm { .. })) {
        out.push_str(&format!(
            "A free-form label takes any string: the first `max_series` distinct values each get a series, later\nones share the series whose value is `{OVERFLOW_LABEL_VALUE}`. The runtime adds the counter\n`{DROPPED_LABEL_VALUES_METRIC}` to the exposition, one series per metric and free-form label\n(labels `metric` and `label`), counting the `with(..)` calls whose value went to the overflow series.\n\n"
        ));
    }
    if !registry.collectors.is_empty() {
        out.push_str(
            "Collectors: the rows marked with one are the runtime's, read or known when exposed, not recorded.\n",
        );
        for collector in &registry.collectors {
            out.push_str(match collector {
                Collector::Process => "- `process`: the process' own CPU, memory, descriptors, threads and start time, read from\n  `/proc` (Linux) at each exposition, under client_golang's names.\n",
                Collector::BuildInfo => "- `build_info`: set from the build (crate version and name, registry version, rustc,\n  `$GENO_METRICS_GIT_COMMIT`).\n",
            });
        }
        out.push('\n');
    }
    if !registry.const_labels.is_empty() {
        out.push_str("Constant labels, on every series of every exposition before the metric's own labels; each\nprocess takes their values once, at its first snapshot, exposition or export, from `METRICS.set_const_labels`\nor else the environment:\n\n| Constant label | From | Default |\n|---|---|---|\n");
        for label in &registry.const_labels {
            out.push_str(&format!(
                "| `{}` | `${}` | {} |\n",
                label.name,
                label.env,
                label
                    .default
                    .as_deref()
                    .map_or_else(|| "none: unset is an export error".to_owned(), code)
            ));
        }
        out.push('\n');
    }
    out.push_str("| Name | Handle | Kind | Unit | Buckets | Labels | Summary | Deprecated |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for m in &registry.metrics {
        let buckets = m
            .buckets
            .iter()
            .map(f64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            m.name,
            handle_cell(m),
            if m.sharded {
                format!("{} (sharded)", m.kind)
            } else {
                m.kind.to_string()
            },
            m.unit.as_deref().unwrap_or(""),
            buckets,
            labels_cell(m),
            cell(&m.summary),
            m.deprecated.as_deref().map(cell).unwrap_or_default()
        ));
    }
    out
}

/// The Handle cell: the static a user imports, and a labelled metric's generated type.
fn handle_cell(metric: &Metric) -> String {
    match (&metric.family_type, metric.collector) {
        (_, Some(collector)) => format!("`{}` (collector `{collector}`)", metric.handle),
        (Some(family), None) => format!("`{}` (type `{family}`)", metric.handle),
        (None, None) => format!("`{}`", metric.handle),
    }
}

/// The Labels cell: one line per label in declaration order; empty for an unlabelled metric.
fn labels_cell(metric: &Metric) -> String {
    if metric.collector.is_some() {
        let names: Vec<String> = metric.labels.iter().map(|l| code(&l.name)).collect();
        return names.join(", ");
    }
    let lines: Vec<String> = metric.labels.iter().map(label_line).collect();
    lines.join("<br>")
}

/// `` `phase`: `train`, `eval` (enum `Phase`) `` or
/// `` `model`: free-form, up to 64 values, then `__overflow__` ``.
fn label_line(label: &Label) -> String {
    let name = code(&label.name);
    match &label.values {
        LabelValues::Enumerated { type_name, values } => {
            let values: Vec<String> = values.iter().map(|v| code(&v.value)).collect();
            format!("{name}: {} (enum `{type_name}`)", values.join(", "))
        }
        LabelValues::FreeForm { max_series } => {
            format!("{name}: free-form, up to {max_series} values, then `{OVERFLOW_LABEL_VALUE}`")
        }
        LabelValues::Info => format!("{name}: any value, given by each `set(..)`"),
    }
}

/// Text as a code span safe inside a Markdown table cell: fenced with more backticks than it
/// holds, `|` escaped (tables split on it even in code spans), a newline shown as `\n`.
fn code(text: &str) -> String {
    let text = text.replace('|', "\\|").replace('\n', "\\n");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

pub(crate) fn run(options: &Docs, context: &Context) -> Outcome {
    let file = &context.registry_of(&options.registry);
    let catalogue = context.catalogue_of(options);
    let registry = match load_valid(file, context) {
        Ok(registry) => registry,
        Err(outcome) => return outcome,
    };
    let beside = catalogue.parent().unwrap_or(std::path::Path::new("."));
    let rendered = render(
        &registry,
        &Context::relative_to(file, beside),
        context.command,
    );
    let outcome = crate::write_or_check(&catalogue, &rendered, options, "docs", context);
    if outcome == Outcome::Clean && !options.check {
        println!("({} metrics)", registry.metrics.len());
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_metric_with_escaped_cells() {
        let registry = geno_metrics_schema::parse(
            "[registry]\nversion = \"1.2.3\"\n[[metric]]\nname = \"a_seconds\"\nkind = \"histogram\"\nunit = \"seconds\"\nsummary = \"x | y\\nz\"\nbuckets = [0.5, 1]\n[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"B.\"\ndeprecated = \"use tasks_total\"\n[[metric]]\nname = \"hits_total\"\nkind = \"counter\"\nsummary = \"H.\"\nsharded = true\n",
            "m.toml",
        )
        .unwrap();
        let doc = render(&registry, "m.toml", "cargo xtask metrics");
        assert!(doc.contains("registry version 1.2.3"));
        assert!(
            doc.contains("| `a_seconds` | `A_SECONDS` | histogram | seconds | 0.5, 1 |  | x \\| y<br>z |  |\n"),
            "{doc}"
        );
        assert!(
            doc.contains(
                "| `jobs_total` | `JOBS_TOTAL` | counter |  |  |  | B. | use tasks_total |\n"
            ),
            "{doc}"
        );
        assert!(
            doc.contains("| `hits_total` | `HITS_TOTAL` | counter (sharded) |"),
            "{doc}"
        );
        assert_eq!(doc.lines().filter(|l| l.starts_with("| `")).count(), 3);
    }

    const LABELLED: &str = "[registry]\nnamespace = \"app\"\nversion = \"2.0.0\"\n[[metric]]\nname = \"app_step_duration_seconds\"\nkind = \"histogram\"\nunit = \"seconds\"\nsummary = \"Step.\"\nbuckets = [1]\nlabels = { phase = [\"train\", \"eval\"], status = [\"ok\", \"a|b\"] }\n[[metric]]\nname = \"app_requests_total\"\nkind = \"counter\"\nsummary = \"Requests.\"\nlabels = { model = { max_series = 64 }, phase = [\"train\", \"eval\"] }\n[[metric]]\nname = \"app_jobs_total\"\nkind = \"counter\"\nsummary = \"Jobs.\"\n";

    #[test]
    fn labelled_metrics_show_their_labels_handle_and_type() {
        let registry = geno_metrics_schema::parse(LABELLED, "m.toml").unwrap();
        let doc = render(&registry, "m.toml", "cargo xtask metrics");
        assert!(
            doc.contains("| Name | Handle | Kind | Unit | Buckets | Labels | Summary | Deprecated |\n|---|---|---|---|---|---|---|---|\n"),
            "{doc}"
        );
        assert!(
            doc.contains(
                "| `app_step_duration_seconds` | `STEP_DURATION_SECONDS` (type `StepDurationSecondsFamily`) | histogram | seconds | 1 | `phase`: `train`, `eval` (enum `Phase`)<br>`status`: `ok`, `a\\|b` (enum `Status`) | Step. |  |\n"
            ),
            "{doc}"
        );
        assert!(
            doc.contains(
                "| `app_requests_total` | `REQUESTS_TOTAL` (type `RequestsTotalFamily`) | counter |  |  | `model`: free-form, up to 64 values, then `__overflow__`<br>`phase`: `train`, `eval` (enum `Phase`) | Requests. |  |\n"
            ),
            "{doc}"
        );
        assert!(
            doc.contains("| `app_jobs_total` | `JOBS_TOTAL` | counter |  |  |  | Jobs. |  |\n"),
            "unlabelled: empty cell: {doc}"
        );
        assert_eq!(doc.lines().filter(|l| l.starts_with("| `")).count(), 3);
        assert!(doc.contains("`with(..)` takes them"), "{doc}");
        // A free-form label: the intro names the overflow series and the runtime's counter.
        let intro = &doc[..doc.find("| Name").unwrap()];
        assert!(
            intro.contains("`__overflow__`")
                && intro.contains("`geno_metrics_dropped_label_values_total`"),
            "{intro}"
        );

        // Enumerated labels only: no word of overflow.
        let enumerated = LABELLED.replace("model = { max_series = 64 }, ", "");
        let doc = render(
            &geno_metrics_schema::parse(&enumerated, "m.toml").unwrap(),
            "m.toml",
            "cargo xtask metrics",
        );
        assert!(doc.contains("`with(..)` takes them"), "{doc}");
        assert!(
            !doc.contains("__overflow__") && !doc.contains(DROPPED_LABEL_VALUES_METRIC),
            "{doc}"
        );
    }

    #[test]
    fn an_unlabelled_registry_says_nothing_of_labels() {
        let registry = geno_metrics_schema::parse(
            "[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"J.\"\n",
            "m.toml",
        )
        .unwrap();
        let doc = render(&registry, "m.toml", "cargo xtask metrics");
        assert!(
            !doc.contains("with(..)") && !doc.contains("__overflow__"),
            "{doc}"
        );
        assert!(!doc.contains("Constant label"), "{doc}");
    }

    #[test]
    fn constant_labels_are_listed_with_their_source() {
        let registry = geno_metrics_schema::parse(
            "[registry]\nversion = \"1.0.0\"\nconst_labels = { rank = { env = \"RANK\", default = \"0\" }, run = { env = \"RUN_ID\" } }\n[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"J.\"\n",
            "m.toml",
        )
        .unwrap();
        let doc = render(&registry, "m.toml", "cargo xtask metrics");
        assert!(doc.contains("| `rank` | `$RANK` | `0` |\n"), "{doc}");
        assert!(
            doc.contains("| `run` | `$RUN_ID` | none: unset is an export error |\n"),
            "{doc}"
        );
    }

    #[test]
    fn code_spans_survive_backticks_pipes_and_newlines() {
        assert_eq!(code("train"), "`train`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a\nb"), "`a\\nb`");
    }
}
