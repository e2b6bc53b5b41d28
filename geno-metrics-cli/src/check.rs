//! `check`: every rule of the schema, reported like the compiler does, then the queries of
//! the files the registry lists (`rule_files`, `dashboards`) checked against it.

use crate::{Check, Context, Outcome, load, queries};

pub(crate) fn run(options: &Check, context: &Context) -> Outcome {
    let file = &context.registry_of(&options.registry);
    match load(file, context) {
        Err(message) => {
            eprintln!("error: {message}");
            Outcome::CouldNotRun
        }
        Ok(Err(report)) => {
            eprintln!("{report}\n");
            let n = report.diagnostics.len();
            eprintln!(
                "error: {} has {n} problem{}",
                context.display(file),
                if n == 1 { "" } else { "s" }
            );
            Outcome::Findings
        }
        Ok(Ok(registry)) => {
            println!(
                "{}: ok ({} metrics, registry version {})",
                context.display(file),
                registry.metrics.len(),
                registry.version
            );
            check_queries(&registry, file, context)
        }
    }
}

/// The guard over the queries of the files `registry` lists.
fn check_queries(
    registry: &geno_metrics_schema::Registry,
    file: &std::path::Path,
    context: &Context,
) -> Outcome {
    let examined = queries::examine(registry, file, context);
    if examined.files == 0 {
        return Outcome::Clean;
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let (n, files) = (examined.queries, examined.files);
    if examined.findings.is_empty() {
        println!(
            "{}: {n} quer{} in {files} listed file{}: ok",
            context.display(file),
            if n == 1 { "y" } else { "ies" },
            plural(files)
        );
        return Outcome::Clean;
    }
    for finding in &examined.findings {
        eprintln!("{finding}\n");
    }
    let problems = examined.findings.len();
    eprintln!(
        "error: the files {} lists have {problems} problem{} (queries read: {n})",
        context.display(file),
        plural(problems)
    );
    Outcome::Findings
}
