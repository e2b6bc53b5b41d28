//! How the guard reports a verdict: compiler-style lines for people, workflow commands for
//! GitHub Actions (JSON is the verdict itself, serialised).

use semver::Version;

use super::rules::{ActualBump, Bump, Change, Verdict, next_major};
use crate::queries::Level;

fn is_fatal(change: &Change, verdict: &Verdict) -> bool {
    change.required_bump == Bump::Major && !verdict.bump_ok
}

/// Whether the version's actual bump already is what `required` asks for (a new registry
/// has no version to bump; a version that went down covers nothing).
fn covers(actual: ActualBump, required: Bump) -> bool {
    let made = match actual {
        ActualBump::Initial => return true,
        ActualBump::Down => return false,
        ActualBump::None => Bump::None,
        ActualBump::Patch => Bump::Patch,
        ActualBump::Minor => Bump::Minor,
        ActualBump::Major => Bump::Major,
    };
    made >= required
}

/// A change's message as shown: every message ends in what to do (`...; bump the major
/// version ...`), which is left out once the version's bump covers the change, so a renamed
/// metric after a major bump is not told to bump again.
fn shown_message(change: &Change, verdict: &Verdict) -> String {
    if !covers(verdict.actual_bump, change.required_bump) {
        return change.message.clone();
    }
    let what = change
        .message
        .rsplit_once("; ")
        .map_or(change.message.as_str(), |(what, _advice)| what);
    format!(
        "{what} (the {} bump covers it)",
        verdict.actual_bump.as_str()
    )
}

/// When the guard passes but the version made less of a bump than the changes call for (an
/// added metric with the version unchanged): what to do, else `None`.
fn advice(verdict: &Verdict) -> Option<String> {
    (verdict.ok && !covers(verdict.actual_bump, verdict.required_bump)).then(|| {
        format!(
            "the changes above call for a {} bump, and nothing breaks without one: bump at least the {} version so that users can tell the registries apart",
            verdict.required_bump.as_str(),
            verdict.required_bump.as_str()
        )
    })
}

pub(crate) fn summary_line(verdict: &Verdict, file: &str) -> String {
    let from = verdict
        .from_version
        .as_ref()
        .map_or_else(|| "(new registry)".to_owned(), Version::to_string);
    let status = format!(
        "registry version {from} -> {}: required bump {}, actual bump {}",
        verdict.to_version,
        verdict.required_bump.as_str(),
        verdict.actual_bump.as_str()
    );
    let broken = verdict
        .queries
        .iter()
        .filter(|q| q.level == Level::Error)
        .count();
    if verdict.ok {
        let mut line = match advice(verdict) {
            Some(advice) => format!("ok, with a warning: {status}; {advice}"),
            None => format!("ok: {status}"),
        };
        let blank = verdict.queries.len();
        if blank > 0 {
            line.push_str(&format!(
                "; warning: {blank} quer{} of the listed files go{} blank (above)",
                if blank == 1 { "y" } else { "ies" },
                if blank == 1 { "es" } else { "" }
            ));
        }
        return line;
    }
    if verdict.bump_ok {
        return format!(
            "FAILED: {status}, but the listed files have {broken} problem{} (above): fix the queries",
            if broken == 1 { "" } else { "s" }
        );
    }
    let fix = match (&verdict.from_version, verdict.actual_bump) {
        (Some(from), ActualBump::Down) => {
            format!("the version went down; set it to at least {from}")
        }
        (Some(from), _) => format!("set `version = \"{}\"` in [registry]", next_major(from)),
        (None, _) => "bump the major version".to_owned(),
    };
    format!(
        "FAILED: {status}: a breaking change needs a major bump; {fix} ({file}:{})",
        verdict.version_line
    )
}

pub(crate) fn human(verdict: &Verdict, file: &str) -> String {
    let mut out = String::new();
    for c in &verdict.changes {
        let level = if is_fatal(c, verdict) {
            "error"
        } else {
            "note"
        };
        out.push_str(&format!(
            "{file}:{}: {level}[{}] ({} bump): {}\n",
            c.line,
            c.rule,
            c.required_bump.as_str(),
            shown_message(c, verdict)
        ));
    }
    if verdict.changes.is_empty() {
        out.push_str("no changes to the registry\n");
    }
    for finding in &verdict.queries {
        out.push_str(&format!("{finding}\n"));
    }
    out.push_str(&summary_line(verdict, file));
    out.push('\n');
    out
}

/// GitHub Actions workflow commands: `::error` for what fails the guard, `::warning` else.
pub(crate) fn github(verdict: &Verdict, file: &str) -> String {
    let escape_data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let escape_property = |s: &str| escape_data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for c in &verdict.changes {
        let level = if is_fatal(c, verdict) {
            "error"
        } else {
            "warning"
        };
        out.push_str(&format!(
            "::{level} file={},line={},title={}::{}\n",
            escape_property(file),
            c.line,
            escape_property(c.rule),
            escape_data(&shown_message(c, verdict))
        ));
    }
    for finding in &verdict.queries {
        let level = match finding.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        out.push_str(&format!(
            "::{level} file={},line={},title={}::{}\n",
            escape_property(&finding.file),
            finding.line,
            escape_property(finding.rule),
            escape_data(&format!("{}\nhelp: {}", finding.message, finding.help))
        ));
    }
    let summary = summary_line(verdict, file);
    if verdict.ok && advice(verdict).is_some() {
        out.push_str(&format!(
            "::warning file={},line={},title=version-bump::{}\n",
            escape_property(file),
            verdict.version_line,
            escape_data(&summary)
        ));
    } else if verdict.ok {
        out.push_str(&format!("{summary}\n"));
    } else {
        out.push_str(&format!(
            "::error file={},line={},title=version-bump::{}\n",
            escape_property(file),
            verdict.version_line,
            escape_data(&summary)
        ));
    }
    out
}
