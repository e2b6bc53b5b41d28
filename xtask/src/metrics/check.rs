//! `cargo xtask metrics check`: every rule of the schema, reported like the compiler does.

use crate::Outcome;
use crate::flags::Check;
use crate::metrics::{display_path, load};

pub(crate) fn run(options: &Check) -> Outcome {
    let file = &options.registry.file;
    match load(file) {
        Err(message) => {
            eprintln!("error: {message}");
            Outcome::CouldNotRun
        }
        Ok(Err(report)) => {
            eprintln!("{report}\n");
            let n = report.diagnostics.len();
            eprintln!(
                "error: {} has {n} problem{}",
                display_path(file),
                if n == 1 { "" } else { "s" }
            );
            Outcome::Findings
        }
        Ok(Ok(registry)) => {
            println!(
                "{}: ok ({} metrics, registry version {})",
                display_path(file),
                registry.metrics.len(),
                registry.version
            );
            Outcome::Clean
        }
    }
}
