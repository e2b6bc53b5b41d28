//! The independent OpenMetrics reader: client_python's parser, run by Debian's Python
//! (`/usr/bin/python3` with `python3-prometheus-client`) on `tests/python/read_openmetrics.py`.
//! A missing interpreter or package fails the test with the command that installs it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;

/// Debian's interpreter, for which `apt-get install python3-prometheus-client` installs the
/// package (a `python3` earlier on PATH, pyenv's say, would not see it).
pub const PYTHON: &str = "/usr/bin/python3";

/// One family as client_python's OpenMetrics parser read it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Family {
    /// The family name (a counter's without `_total`).
    pub name: String,
    /// `counter`, `gauge`, `histogram`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The `# UNIT`, empty when none.
    pub unit: String,
    /// The HELP text, unescaped.
    pub help: String,
    /// Its samples, in order.
    pub samples: Vec<Sample>,
}

/// One sample as the parser read it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Sample {
    /// The sample name (`x_total`, `x_bucket`, ...).
    pub name: String,
    /// Its labels, unescaped.
    pub labels: BTreeMap<String, String>,
    /// The value: `NaN`, `+Inf`, `-Inf`, or Python's repr of the float.
    pub value: String,
}

impl Sample {
    /// The value as a float.
    ///
    /// # Panics
    ///
    /// When Python wrote something that is not a float.
    pub fn float(&self) -> f64 {
        match self.value.as_str() {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|e| panic!("{v}: {e}")),
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    families: Option<Vec<Family>>,
    error: Option<String>,
}

/// Reads each file with client_python's OpenMetrics parser: its families, or the parser's
/// error, per file.
///
/// # Panics
///
/// When the interpreter or the package is missing, with the command that installs them.
pub fn read_openmetrics(files: &[&Path]) -> Vec<Result<Vec<Family>, String>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/read_openmetrics.py");
    let out = Command::new(PYTHON)
        .arg(script)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {PYTHON}: {e}; install Python with `apt-get install python3 python3-prometheus-client` (`cargo xtask ci` does, as root)"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{PYTHON} {script} failed ({}): {stderr}\nIf prometheus_client is missing: `apt-get install python3-prometheus-client` (`cargo xtask ci` does, as root)",
        out.status
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let answers: Vec<Result<Vec<Family>, String>> = stdout
        .lines()
        .map(|line| {
            let answer: Answer = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("the reader printed {line:?}: {e}"));
            match (answer.families, answer.error) {
                (Some(families), None) => Ok(families),
                (_, Some(error)) => Err(error),
                (None, None) => panic!("the reader printed {line:?}"),
            }
        })
        .collect();
    assert_eq!(answers.len(), files.len(), "one answer per file: {stdout}");
    answers
}
