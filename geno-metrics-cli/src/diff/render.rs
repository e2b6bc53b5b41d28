//! How the guard reports a verdict: compiler-style lines for people, workflow commands for
//! GitHub Actions (JSON is the verdict itself, serialised).

use semver::Version;

use super::rules::{ActualBump, Bump, Change, Verdict, next_major};
use crate::queries::Level;

fn is_fatal(change: &Change, verdict: &Verdict) -> bool {
    change.required_bump == Bump::Major && !verdict.bump_ok
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
        let blank = verdict.queries.len();
        return match blank {
            0 => format!("ok: {status}"),
            n => format!(
                "ok: {status}; warning: {n} quer{} of the listed files go{} blank (above)",
                if n == 1 { "y" } else { "ies" },
                if n == 1 { "es" } else { "" }
            ),
        };
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
            c.message
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
            escape_data(&c.message)
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
    if verdict.ok {
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
