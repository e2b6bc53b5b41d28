//! `cargo xtask metrics docs`: the metrics catalogue, `docs/METRICS.md`, generated from the
//! registry; `--check` fails when the committed file is stale.

use geno_metrics_schema::Registry;

use crate::Outcome;
use crate::metrics::{Options, display_path, load};

/// The catalogue: one table row per metric, in file order.
pub(crate) fn render(registry: &Registry, source: &str) -> String {
    let mut out = String::new();
    out.push_str("# Metrics catalogue\n\n");
    out.push_str(&format!(
        "Generated from `{source}` (registry version {}) by `cargo xtask metrics docs`. Do not edit:\nchange the registry and run the command again. `cargo xtask ci` fails when this file is stale.\n\n",
        registry.version
    ));
    if let Some(ns) = &registry.namespace {
        out.push_str(&format!("Namespace: `{ns}`. "));
    }
    out.push_str(&format!(
        "{} metrics. Histogram buckets are upper bounds; `+Inf` is implicit.\n\n",
        registry.metrics.len()
    ));
    out.push_str("| Name | Kind | Unit | Buckets | Summary | Deprecated |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for m in &registry.metrics {
        let buckets = m
            .buckets
            .iter()
            .map(f64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            m.name,
            m.kind,
            m.unit.as_deref().unwrap_or(""),
            buckets,
            cell(&m.summary),
            m.deprecated.as_deref().map(cell).unwrap_or_default()
        ));
    }
    out
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

pub(crate) fn run(options: &Options) -> Outcome {
    let registry = match load(&options.file) {
        Err(message) => {
            eprintln!("error: {message}");
            return Outcome::CouldNotRun;
        }
        Ok(Err(report)) => {
            eprintln!("{report}\n\nerror: fix the registry first (cargo xtask metrics check)");
            return Outcome::Findings;
        }
        Ok(Ok(registry)) => registry,
    };
    let rendered = render(&registry, &display_path(&options.file));
    let output = display_path(&options.output);
    if options.check {
        return match std::fs::read_to_string(&options.output) {
            Ok(current) if current == rendered => {
                println!("{output} is up to date");
                Outcome::Clean
            }
            Ok(_) => {
                eprintln!(
                    "error: {output} is stale: regenerate it with `cargo xtask metrics docs` and commit it"
                );
                Outcome::Findings
            }
            Err(e) => {
                eprintln!(
                    "error: cannot read {output} ({e}): generate it with `cargo xtask metrics docs` and commit it"
                );
                Outcome::Findings
            }
        };
    }
    if let Some(dir) = options.output.parent()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return Outcome::CouldNotRun;
    }
    match std::fs::write(&options.output, rendered) {
        Ok(()) => {
            println!("wrote {output} ({} metrics)", registry.metrics.len());
            Outcome::Clean
        }
        Err(e) => {
            eprintln!("error: cannot write {output}: {e}");
            Outcome::CouldNotRun
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_metric_with_escaped_cells() {
        let registry = geno_metrics_schema::parse(
            "[registry]\nversion = \"1.2.3\"\n[[metric]]\nname = \"a_seconds\"\nkind = \"histogram\"\nunit = \"seconds\"\nsummary = \"x | y\\nz\"\nbuckets = [0.5, 1]\n[[metric]]\nname = \"jobs_total\"\nkind = \"counter\"\nsummary = \"B.\"\ndeprecated = \"use tasks_total\"\n",
            "m.toml",
        )
        .unwrap();
        let doc = render(&registry, "m.toml");
        assert!(doc.contains("registry version 1.2.3"));
        assert!(
            doc.contains("| `a_seconds` | histogram | seconds | 0.5, 1 | x \\| y<br>z |  |\n"),
            "{doc}"
        );
        assert!(
            doc.contains("| `jobs_total` | counter |  |  | B. | use tasks_total |\n"),
            "{doc}"
        );
        assert_eq!(doc.lines().filter(|l| l.starts_with("| `")).count(), 2);
    }
}
