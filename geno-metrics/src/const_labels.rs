//! Constant labels: labels every series of a registry carries, with one value per process,
//! so that the processes of a fleet (the ranks of a training job, the replicas of a service)
//! expose series Prometheus tells apart. client_golang calls them `ConstLabels`.
//!
//! `[registry] const_labels` declares them ([`ConstLabelSpec`]); each process resolves their
//! values once, from [`Registry::set_const_labels`](crate::Registry::set_const_labels) or its
//! environment, at the registry's first snapshot or exposition. This file resolves; the
//! registry keeps the result, and the exposition formats write it.

use std::fmt;

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
    /// `set_const_labels` was called after the values froze, at the registry's first snapshot
    /// or exposition: a series never changes identity mid-run.
    Frozen {
        /// The values they froze with (empty when they could not be resolved).
        values: Vec<(&'static str, String)>,
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
            Self::Frozen { values } => {
                write!(
                    f,
                    "the constant labels froze at the registry's first snapshot or exposition"
                )?;
                if !values.is_empty() {
                    let values: Vec<String> =
                        values.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
                    write!(f, " (as {})", values.join(", "))?;
                }
                write!(
                    f,
                    "; call set_const_labels before the first snapshot, export or scrape"
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
