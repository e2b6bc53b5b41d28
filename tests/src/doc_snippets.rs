//! The PromQL the repository's documentation shows: Prometheus rule files (fenced `yaml`
//! blocks with a `groups:` key) and queries (fenced `promql` blocks), from every Markdown file
//! and every Rust doc comment of the workspace. Tests run each through promtool, so no query
//! in the docs goes unchecked.

use std::fs;
use std::path::{Path, PathBuf};

/// What a snippet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Prometheus rule file.
    RuleFile,
    /// One PromQL expression.
    Query,
}

/// One fenced block of PromQL or rules.
#[derive(Debug, Clone)]
pub struct Snippet {
    /// Where it is: the file (relative to the workspace root) and the line of its fence.
    pub place: String,
    /// A rule file or a query.
    pub kind: Kind,
    /// The block's text, without the fences or a doc comment's `///`.
    pub text: String,
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// Every snippet of the workspace's docs, in file order.
///
/// # Panics
///
/// When a file cannot be read.
pub fn all() -> Vec<Snippet> {
    let root = workspace_root();
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut snippets = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let place = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let lines: Vec<String> = if file.extension().is_some_and(|e| e == "rs") {
            // Doc comments only, their markers removed; other lines break a block.
            text.lines()
                .map(|l| {
                    let t = l.trim_start();
                    t.strip_prefix("///")
                        .or_else(|| t.strip_prefix("//!"))
                        .map_or_else(
                            || "\u{0}".to_owned(),
                            |d| d.strip_prefix(' ').unwrap_or(d).to_owned(),
                        )
                })
                .collect()
        } else {
            text.lines().map(str::to_owned).collect()
        };
        snippets.extend(fenced(&place, &lines));
    }
    snippets
}

/// PromQL written in an inline code span instead of a fenced `promql` block, where no test
/// would run it: each with its place. A span counts when it calls a PromQL function with an
/// argument, or calls one without and goes on with an operator; a function's bare name with
/// empty parentheses, as prose names it, does not.
pub fn inline_queries() -> Vec<String> {
    const FUNCTIONS: &[&str] = &[
        "rate",
        "irate",
        "increase",
        "histogram_quantile",
        "sum",
        "avg",
        "max",
        "min",
        "time",
        "absent",
        "delta",
        "deriv",
        "count",
        "topk",
        "label_replace",
        "changes",
        "resets",
    ];
    let root = workspace_root();
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let rust = file.extension().is_some_and(|e| e == "rs");
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if rust && !(trimmed.starts_with("///") || trimmed.starts_with("//!")) {
                continue;
            }
            for span in line.split('`').skip(1).step_by(2) {
                let operator = [" - ", " + ", " * ", " / ", " > ", " < ", " == ", " != "]
                    .iter()
                    .any(|op| span.contains(op));
                let calls = FUNCTIONS.iter().any(|f| {
                    span.match_indices(&format!("{f}(")).any(|(at, _)| {
                        let before = span[..at].chars().next_back();
                        let after = span[at + f.len() + 1..].chars().next();
                        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                            && (after.is_some_and(|c| c != ')') || operator)
                    })
                });
                if calls {
                    let place = file
                        .strip_prefix(&root)
                        .unwrap_or(&file)
                        .display()
                        .to_string();
                    found.push(format!("{place}:{}: `{span}`", n + 1));
                }
            }
        }
    }
    found
}

/// Markdown files and Rust sources below `dir`, leaving out build output and fetched code.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | ".git" | "corpus" | "artifacts") {
                collect(&path, files);
            }
        } else if name.ends_with(".md") || name.ends_with(".rs") {
            files.push(path);
        }
    }
}

/// The `yaml` rule files and `promql` queries fenced in `lines`.
fn fenced(place: &str, lines: &[String]) -> Vec<Snippet> {
    let mut found = Vec::new();
    let mut open: Option<(usize, String, Vec<&str>)> = None;
    for (n, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some((n + 1, info.trim().to_owned(), Vec::new()));
                }
            }
            Some((start, info, body)) => {
                if trimmed.starts_with("```") || line == "\u{0}" {
                    let text = body.join("\n");
                    let kind = match info.as_str() {
                        "promql" => Some(Kind::Query),
                        "yaml" | "yml" if body.iter().any(|l| l.starts_with("groups:")) => {
                            Some(Kind::RuleFile)
                        }
                        _ => None,
                    };
                    match kind {
                        // Queries a blank line apart are one query each.
                        Some(Kind::Query) => {
                            let mut first = *start + 1;
                            for query in text.split("\n\n") {
                                if !query.trim().is_empty() {
                                    found.push(Snippet {
                                        place: format!("{place}:{first}"),
                                        kind: Kind::Query,
                                        text: format!("{query}\n"),
                                    });
                                }
                                first += query.lines().count() + 1;
                            }
                        }
                        Some(kind) => found.push(Snippet {
                            place: format!("{place}:{start}"),
                            kind,
                            text: format!("{text}\n"),
                        }),
                        None => {}
                    }
                    open = None;
                } else {
                    body.push(line);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn rule_files_and_queries_are_found_other_blocks_are_not() {
        let text = "intro\n```yaml\ngroups:\n  - name: g\n```\n```yaml\nscrape_configs: []\n```\n```promql\nup == 0\n```\n```sh\nls\n```\n";
        let found = fenced("README.md", &lines(text));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            (
                found[0].kind,
                found[0].place.as_str(),
                found[0].text.as_str()
            ),
            (Kind::RuleFile, "README.md:2", "groups:\n  - name: g\n")
        );
        assert_eq!(
            (found[1].kind, found[1].text.as_str()),
            (Kind::Query, "up == 0\n")
        );
    }

    #[test]
    fn queries_a_blank_line_apart_are_one_query_each_at_their_own_line() {
        let text = "```promql\n# all\nsum(up)\n\n# by job\nsum by (job) (up)\n```\n";
        let found: Vec<(String, String)> = fenced("README.md", &lines(text))
            .into_iter()
            .map(|s| (s.place, s.text))
            .collect();
        assert_eq!(
            found,
            [
                ("README.md:2".to_owned(), "# all\nsum(up)\n".to_owned()),
                (
                    "README.md:5".to_owned(),
                    "# by job\nsum by (job) (up)\n".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn queries_live_in_fenced_blocks_where_a_test_runs_them() {
        let inline = inline_queries();
        assert!(
            inline.is_empty(),
            "PromQL written inline, where nothing checks it; put each in a ```promql block:\n{}",
            inline.join("\n")
        );
    }

    #[test]
    fn the_workspace_docs_show_rules_and_queries() {
        let all = all();
        assert!(
            all.iter()
                .any(|s| s.kind == Kind::RuleFile && s.place.starts_with("README.md"))
        );
        assert!(all.iter().any(|s| s.kind == Kind::Query));
    }
}
