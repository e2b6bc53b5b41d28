//! `diff`: the rename-diff guard.
//!
//! Compares a baseline registry (a git ref's or a file's) with the head one, field by field.
//! Every change gets a stable rule id and the version bump it requires; the verdict fails
//! when a change that breaks dashboards comes without a major bump, or when the version went
//! down. A bump is major when Cargo's caret rule says the head version is incompatible with the
//! base one: the major of `x.y.z`, the minor of `0.y.z`, the patch of `0.0.z`.
//!
//! Labels are compared for every metric present on both sides, under the same name or as a
//! rename pair (declared or probable): a label added, removed, reordered or switched between
//! enumerated and free-form, an enumerated label's values removed, and a free-form label's
//! `max_series` changed, each reported once per (metric, label, rule).

//!
//! The rules are in `diff/rules.rs` (pure), the queries that go blank in `diff/blank.rs` (pure),
//! git access in `diff/git.rs`, and the human and GitHub renderings in `diff/render.rs`; this
//! file runs the command.

mod blank;
mod git;
mod render;
mod rules;

use crate::{Baseline, Context, Diff, Format, Outcome, load, queries};

use blank::with_queries;
use git::registry_at;
use render::{github, human};
use rules::diff;

pub(crate) fn run(options: &Diff, context: &Context) -> Outcome {
    let file = &context.registry_of(&options.registry);
    let head = match load(file, context) {
        Err(message) => return could_not_run(&message),
        Ok(Err(report)) => {
            eprintln!("{report}\n");
            eprintln!(
                "error: the head registry {} is invalid; fix it first ({} check)",
                context.display(file),
                context.command
            );
            return Outcome::Findings;
        }
        Ok(Ok(registry)) => registry,
    };
    let base = match options.baseline() {
        Some(Baseline::File(path)) => match load(&path, context) {
            Err(message) => return could_not_run(&format!("baseline: {message}")),
            Ok(Err(report)) => {
                return could_not_run(&format!(
                    "the baseline {} is not a valid registry:\n{report}",
                    path.display()
                ));
            }
            Ok(Ok(registry)) => Some(registry),
        },
        Some(Baseline::GitRef(reference)) => {
            match registry_at(&reference, file, options.baseline_path.as_deref()) {
                Err(message) => return could_not_run(&message),
                Ok(None) => {
                    if let Some(moved) = &options.baseline_path {
                        return could_not_run(&format!(
                            "--baseline-path {} does not exist at {reference}: name the registry's path in that commit, relative to the repository root",
                            moved.display()
                        ));
                    }
                    eprintln!(
                        "note: {} does not exist at {reference}: every metric counts as new (if the registry moved since, pass --baseline-path with its path then)",
                        context.display(file)
                    );
                    None
                }
                Ok(Some(source)) => match geno_metrics_schema::parse(
                    &source,
                    &format!(
                        "{reference}:{}",
                        options
                            .baseline_path
                            .as_deref()
                            .map_or_else(|| context.display(file), |p| p.display().to_string())
                    ),
                ) {
                    Err(report) => {
                        return could_not_run(&format!(
                            "the registry at {reference} is not valid:\n{report}"
                        ));
                    }
                    Ok(registry) => Some(registry),
                },
            }
        }
        None => return could_not_run("no baseline given"),
    };
    let verdict = diff(base.as_ref(), &head);
    let examined = queries::examine(&head, file, context);
    let verdict = with_queries(verdict, base.as_ref(), &head, examined);
    let file = context.display(file);
    match options.format {
        Format::Human => print!("{}", human(&verdict, &file)),
        Format::Github => print!("{}", github(&verdict, &file)),
        Format::Json => match serde_json::to_string_pretty(&verdict) {
            Ok(json) => println!("{json}"),
            Err(e) => return could_not_run(&format!("cannot write JSON: {e}")),
        },
    }
    if verdict.ok {
        Outcome::Clean
    } else {
        Outcome::Findings
    }
}

fn could_not_run(message: &str) -> Outcome {
    eprintln!("error: {message}");
    Outcome::CouldNotRun
}

#[cfg(test)]
mod tests;
