//! `check`: every rule of the schema, reported like the compiler does.

use crate::{Check, Context, Outcome, load};

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
            Outcome::Clean
        }
    }
}
