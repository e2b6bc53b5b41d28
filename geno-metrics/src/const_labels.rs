//! Constant labels: labels every series of a registry carries, with one value per process,
//! so that the processes of a fleet (the ranks of a training job, the replicas of a service)
//! expose series Prometheus tells apart. client_golang calls them `ConstLabels`.
//!
//! `[registry] const_labels` declares them ([`ConstLabelSpec`]); each process resolves their
//! values once, from [`Registry::set_const_labels`](crate::Registry::set_const_labels) or its
//! environment, at the registry's first snapshot or exposition. This file resolves; the
//! registry keeps the result, and the exposition formats write it.

use std::fmt;

use crate::spec::MetricSpec;

/// One declared constant label: its name and where its value comes from. `registry!`
/// generates these from `[registry] const_labels` in `metrics.toml`:
///
/// ```toml
/// [registry]
/// const_labels = { rank = { env = "RANK", default = "0" } }
/// ```
///
/// ```
/// use geno_metrics::ConstLabelSpec;
/// const RANK: ConstLabelSpec = ConstLabelSpec::new("rank", "RANK").with_default("0");
/// assert_eq!((RANK.name, RANK.env, RANK.default), ("rank", "RANK", Some("0")));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConstLabelSpec {
    /// The label name, e.g. `rank`.
    pub name: &'static str,
    /// The environment variable its value comes from, e.g. `RANK`.
    pub env: &'static str,
    /// The value when the variable is unset or empty.
    pub default: Option<&'static str>,
}

impl ConstLabelSpec {
    /// A constant label `name` whose value is the environment variable `env`, without default.
    pub const fn new(name: &'static str, env: &'static str) -> Self {
        Self {
            name,
            env,
            default: None,
        }
    }

    /// The same label, taking `default` when the variable is unset or empty.
    #[must_use]
    pub const fn with_default(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }
}

/// Asserts what `metrics.toml`'s rules guarantee of constant labels, for registries built by
/// hand: each name is a label name (`[a-z][a-z0-9_]*`) that Prometheus, the runtime or one of
/// `metrics` gives no meaning of its own, given once; each variable a variable name; no
/// default empty. The
/// file name of `default_textfile_path` writes names as they are, so this keeps a name like
/// `a/b` from ever reaching it.
pub(crate) const fn assert_valid(labels: &[ConstLabelSpec], metrics: &[MetricSpec]) {
    let mut i = 0;
    while i < labels.len() {
        let label = labels[i];
        let mut metric = 0;
        while metric < metrics.len() {
            let mut own = 0;
            while own < metrics[metric].labels.len() {
                assert!(
                    !eq(
                        label.name.as_bytes(),
                        metrics[metric].labels[own].name.as_bytes()
                    ),
                    "a constant label may not be a label a metric declares"
                );
                own += 1;
            }
            metric += 1;
        }
        assert!(
            is_label_name(label.name.as_bytes()),
            "a constant label's name is lowercase letters, digits and `_`, starting with a letter"
        );
        let mut reserved = 0;
        while reserved < RESERVED.len() {
            assert!(
                !eq(label.name.as_bytes(), RESERVED[reserved].as_bytes()),
                "a constant label may not be le, quantile, job, instance, metric or label"
            );
            reserved += 1;
        }
        assert!(
            is_env_name(label.env.as_bytes()),
            "a constant label's variable is letters, digits and `_`, not starting with a digit"
        );
        if let Some(default) = label.default {
            assert!(
                !default.is_empty(),
                "a constant label's default is not empty"
            );
        }
        let mut earlier = 0;
        while earlier < i {
            assert!(
                !eq(label.name.as_bytes(), labels[earlier].name.as_bytes()),
                "a constant label is declared once"
            );
            earlier += 1;
        }
        i += 1;
    }
}

/// Label names a constant label may not take: `le` and `quantile` (bucket bounds and
/// quantiles), `job` and `instance` (Prometheus attaches them to every target), `metric` and
/// `label` (the labels of the dropped-values counter).
const RESERVED: [&str; 6] = ["le", "quantile", "job", "instance", "metric", "label"];

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn is_label_name(name: &[u8]) -> bool {
    if name.is_empty() || !name[0].is_ascii_lowercase() {
        return false;
    }
    let mut i = 1;
    while i < name.len() {
        if !(name[i].is_ascii_lowercase() || name[i].is_ascii_digit() || name[i] == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

const fn is_env_name(name: &[u8]) -> bool {
    if name.is_empty() || name[0].is_ascii_digit() {
        return false;
    }
    let mut i = 0;
    while i < name.len() {
        if !(name[i].is_ascii_alphanumeric() || name[i] == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

/// The constant labels of a registry as they froze: the values that resolved, in
/// declaration order, and the first label that did not, if one did not.
#[derive(Debug)]
pub(crate) struct Frozen {
    pub(crate) values: Box<[(&'static str, Box<str>)]>,
    pub(crate) error: Option<ConstLabelError>,
}

/// Resolves every declared label: an override given to `set_const_labels` first, then the
/// environment variable (`var` reads it; unset and empty are the same), then the default.
pub(crate) fn resolve(
    specs: &[ConstLabelSpec],
    overrides: &[(&'static str, Box<str>)],
    var: impl Fn(&str) -> Result<String, std::env::VarError>,
) -> Frozen {
    let mut values = Vec::with_capacity(specs.len());
    let mut error = None;
    for spec in specs {
        let value = if let Some((_, value)) = overrides.iter().find(|(n, _)| *n == spec.name) {
            Ok(value.clone())
        } else {
            match var(spec.env) {
                Ok(value) if !value.is_empty() => Ok(value.into()),
                Err(std::env::VarError::NotUnicode(_)) => Err(ConstLabelError::NotUnicode {
                    label: spec.name,
                    env: spec.env,
                }),
                _ => spec.default.map(Box::from).ok_or(ConstLabelError::Unset {
                    label: spec.name,
                    env: spec.env,
                }),
            }
        };
        match value {
            Ok(value) => values.push((spec.name, value)),
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    Frozen {
        values: values.into_boxed_slice(),
        error,
    }
}

/// Checks the pairs given to `set_const_labels` against the declaration: each names a
/// declared label, once, with a non-empty value. Returns them with the declared names.
pub(crate) fn check_overrides(
    specs: &[ConstLabelSpec],
    given: &[(&str, &str)],
) -> Result<Vec<(&'static str, Box<str>)>, ConstLabelError> {
    let mut checked: Vec<(&'static str, Box<str>)> = Vec::with_capacity(given.len());
    for &(name, value) in given {
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            return Err(ConstLabelError::Undeclared {
                name: name.to_owned(),
                suggestion: crate::spec::closest(name, specs.iter().map(|s| s.name)),
                declared: specs.iter().map(|s| s.name).collect(),
            });
        };
        if checked.iter().any(|(n, _)| *n == spec.name) {
            return Err(ConstLabelError::Repeated { label: spec.name });
        }
        if value.is_empty() {
            return Err(ConstLabelError::Empty { label: spec.name });
        }
        checked.push((spec.name, value.into()));
    }
    Ok(checked)
}

/// Why constant labels could not be set or resolved.
///
/// Its `Debug` form is its message too, so that an error returned from `main` with `?`
/// prints the advice rather than a struct.
///
/// ```
/// # mod metrics {
/// #     geno_metrics::registry!("examples/fleet.toml");
/// # }
/// use geno_metrics::ConstLabelError;
/// let err = metrics::METRICS.set_const_labels(&[("rnak", "3")]).unwrap_err();
/// assert!(matches!(err, ConstLabelError::Undeclared { .. }));
/// assert_eq!(err.to_string(), "no constant label named `rnak`; did you mean `rank`?");
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConstLabelError {
    /// `set_const_labels` named a label that `[registry] const_labels` does not declare.
    Undeclared {
        /// The name given.
        name: String,
        /// The closest declared name, when one is near enough to be a typo.
        suggestion: Option<&'static str>,
        /// Every declared name.
        declared: Vec<&'static str>,
    },
    /// `set_const_labels` named one label twice.
    Repeated {
        /// The label.
        label: &'static str,
    },
    /// `set_const_labels` gave a label the empty value, which Prometheus reads as no label at
    /// all: the series would collide with another process'.
    Empty {
        /// The label.
        label: &'static str,
    },
    /// `set_const_labels` was called after the values froze (at the registry's first
    /// snapshot, exposition or export, or first call of `const_labels`,
    /// `default_textfile_path` or `spawn_textfile_exporter(None, ..)`): a series never
    /// changes identity mid-run.
    Frozen {
        /// The labels that froze with a value, and their values.
        values: Vec<(&'static str, String)>,
        /// The labels that froze without one: every exposition of this process fails.
        unset: Vec<&'static str>,
    },
    /// A label's environment variable was unset or empty when the values froze, and the
    /// label has no default. Every exposition fails with this error rather than write series
    /// that could collide with another process'.
    Unset {
        /// The label.
        label: &'static str,
        /// Its environment variable.
        env: &'static str,
    },
    /// A label's environment variable holds bytes that are not UTF-8.
    NotUnicode {
        /// The label.
        label: &'static str,
        /// Its environment variable.
        env: &'static str,
    },
}

impl fmt::Display for ConstLabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Undeclared {
                name,
                suggestion: Some(s),
                ..
            } => write!(f, "no constant label named `{name}`; did you mean `{s}`?"),
            Self::Undeclared { name, declared, .. } if declared.is_empty() => write!(
                f,
                "no constant label named `{name}`: the registry declares none; declare it in `[registry] const_labels` in metrics.toml"
            ),
            Self::Undeclared { name, declared, .. } => write!(
                f,
                "no constant label named `{name}`; the registry declares {}",
                declared
                    .iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Repeated { label } => {
                write!(f, "constant label `{label}` is given twice; give it once")
            }
            Self::Empty { label } => write!(
                f,
                "constant label `{label}` cannot be empty: Prometheus reads an empty value as no label, so the series would collide with another process'"
            ),
            Self::Frozen { values, unset } => {
                write!(
                    f,
                    "the constant labels froze at the registry's first snapshot, exposition or export"
                )?;
                let mut froze: Vec<String> =
                    values.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
                froze.extend(unset.iter().map(|n| format!("`{n}` without a value")));
                if !froze.is_empty() {
                    write!(f, " (as {})", froze.join(", "))?;
                }
                write!(
                    f,
                    "; call set_const_labels first thing in main, before any snapshot, export, scrape, default_textfile_path or spawn_textfile_exporter"
                )
            }
            Self::Unset { label, env } => write!(
                f,
                "constant label `{label}` has no value: ${env} is unset or empty and metrics.toml gives it no default; set {env}, add `default = \"...\"` to `{label}` in `[registry] const_labels`, or call set_const_labels(&[(\"{label}\", \"...\")]) before the first snapshot or export"
            ),
            Self::NotUnicode { label, env } => write!(
                f,
                "constant label `{label}` has no value: ${env} is not valid UTF-8; set it to UTF-8 text, or call set_const_labels(&[(\"{label}\", \"...\")]) before the first snapshot or export"
            ),
        }
    }
}

impl fmt::Debug for ConstLabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ConstLabelError {}

impl From<ConstLabelError> for std::io::Error {
    fn from(error: ConstLabelError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, error)
    }
}

#[cfg(test)]
mod tests {
    use std::env::VarError;

    use super::*;

    const SPECS: [ConstLabelSpec; 2] = [
        ConstLabelSpec::new("rank", "RANK").with_default("0"),
        ConstLabelSpec::new("run", "RUN_ID"),
    ];

    fn env(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Result<String, VarError> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
                .ok_or(VarError::NotPresent)
        }
    }

    fn values(frozen: Frozen) -> Vec<(&'static str, String)> {
        assert_eq!(frozen.error, None);
        frozen
            .values
            .iter()
            .map(|(n, v)| (*n, v.to_string()))
            .collect()
    }

    #[test]
    fn overrides_beat_the_environment_which_beats_the_default() {
        let pairs = |v: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
            v.iter().map(|(n, v)| (*n, (*v).to_owned())).collect()
        };
        let resolved = resolve(&SPECS, &[], env(&[("RANK", "3"), ("RUN_ID", "r1")]));
        assert_eq!(values(resolved), pairs(&[("rank", "3"), ("run", "r1")]));

        let resolved = resolve(&SPECS, &[], env(&[("RANK", ""), ("RUN_ID", "r1")]));
        assert_eq!(
            values(resolved),
            pairs(&[("rank", "0"), ("run", "r1")]),
            "empty is unset"
        );

        let overrides = check_overrides(&SPECS, &[("rank", "7")]).unwrap();
        let resolved = resolve(&SPECS, &overrides, env(&[("RANK", "3"), ("RUN_ID", "r1")]));
        assert_eq!(values(resolved), pairs(&[("rank", "7"), ("run", "r1")]));
    }

    #[test]
    fn an_unset_variable_without_default_is_an_error_naming_it() {
        let frozen = resolve(&SPECS, &[], env(&[("RANK", "3")]));
        assert_eq!(frozen.values.len(), 1, "the labels that resolved are kept");
        let err = frozen.error.unwrap();
        assert_eq!(
            err,
            ConstLabelError::Unset {
                label: "run",
                env: "RUN_ID"
            }
        );
        let message = err.to_string();
        for needed in ["`run`", "$RUN_ID", "default = ", "set_const_labels"] {
            assert!(message.contains(needed), "{message} lacks {needed}");
        }
    }

    #[test]
    fn hand_built_specs_are_held_to_the_rules_of_metrics_toml() {
        assert_valid(&SPECS, &[]);
        let refused = [
            ConstLabelSpec::new("a/b", "RANK"),
            ConstLabelSpec::new("Rank", "RANK"),
            ConstLabelSpec::new("", "RANK"),
            ConstLabelSpec::new("job", "RANK"),
            ConstLabelSpec::new("le", "RANK"),
            ConstLabelSpec::new("rank", "1RANK"),
            ConstLabelSpec::new("rank", "RANK-ID"),
            ConstLabelSpec::new("rank", "RANK").with_default(""),
        ];
        for spec in refused {
            let caught = std::panic::catch_unwind(|| assert_valid(&[spec], &[]));
            assert!(caught.is_err(), "{spec:?} was accepted");
        }
        let twice = [SPECS[0], SPECS[0]];
        assert!(std::panic::catch_unwind(|| assert_valid(&twice, &[])).is_err());
        static PHASE: [crate::spec::LabelSpec; 1] =
            [crate::spec::LabelSpec::enumerated("rank", &["0"])];
        let labelled = [
            MetricSpec::new("x_total", crate::spec::MetricKind::Counter, "X.").with_labels(&PHASE),
        ];
        assert!(std::panic::catch_unwind(|| assert_valid(&SPECS, &labelled)).is_err());
    }

    #[test]
    fn overrides_are_checked_against_the_declaration() {
        let err = check_overrides(&SPECS, &[("rnak", "1")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no constant label named `rnak`; did you mean `rank`?"
        );
        let err = check_overrides(&SPECS, &[("host", "1")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no constant label named `host`; the registry declares `rank`, `run`"
        );
        let err = check_overrides(&[], &[("rank", "1")]).unwrap_err();
        assert!(err.to_string().contains("declares none"), "{err}");
        assert_eq!(
            check_overrides(&SPECS, &[("rank", "1"), ("rank", "2")]).unwrap_err(),
            ConstLabelError::Repeated { label: "rank" }
        );
        assert_eq!(
            check_overrides(&SPECS, &[("rank", "")]).unwrap_err(),
            ConstLabelError::Empty { label: "rank" }
        );
    }
}
