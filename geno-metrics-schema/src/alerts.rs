//! `[registry.alerts]`: the thresholds and durations of the alerts `rules` generates, each
//! with a default a registry may override.
//!
//! ```toml
//! [registry.alerts]
//! textfile_stale = { after = "2m", for = "1m" }
//! process_memory_growing = { bytes_per_second = 524288, severity = "critical" }
//! process_restarting = { enabled = false }
//! ```
//!
//! Every alert takes `for` (how long its condition must hold before it fires, Prometheus'
//! `for:`), `severity` (the `severity` label Alertmanager routes on) and `enabled`; the
//! thresholds of each are in [`ALERTS`]. Durations are Prometheus durations (`30s`, `5m`,
//! `1h30m`).

use serde::Serialize;

use crate::closest;
use crate::diagnostic::Sink;
use crate::model::{Collector, LabelValues, Metric, MetricKind, build_info_name};
use crate::parse::{RawAlert, RawScalar, Sp};

/// What a threshold holds, and so how it is written and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdKind {
    /// A Prometheus duration longer than zero: `15m`, `1h`.
    Duration,
    /// A whole number, zero or more.
    Count,
    /// A finite number above zero.
    Positive,
}

/// One threshold of an alert: its key in the alert's table, kind, default and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThresholdDefinition {
    /// The key, e.g. `after`.
    pub key: &'static str,
    /// What it holds.
    pub kind: ThresholdKind,
    /// The default, as it would be written in `metrics.toml` (`"10m"`, `2`).
    pub default: &'static str,
    /// What it means, for the README and the messages.
    pub meaning: &'static str,
}

/// When the registry generates an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertCondition {
    /// Always.
    Always,
    /// When a metric has a free-form label (the overflow counter exists).
    FreeFormLabel,
    /// When the registry has constant labels (a process of a fleet can go missing) and a
    /// series every process has to count them by.
    ConstLabels,
    /// With the `process` collector.
    ProcessCollector,
}

impl AlertCondition {
    /// What makes the registry generate the alert, for messages.
    pub fn requirement(self) -> &'static str {
        match self {
            Self::Always => "nothing",
            Self::FreeFormLabel => "a free-form label (`labels = { x = { max_series = N } }`)",
            Self::ConstLabels => {
                "`const_labels` and a series every process has (`collectors = [\"build_info\"]`, or a metric without free-form labels)"
            }
            Self::ProcessCollector => "`collectors = [\"process\"]`",
        }
    }
}

/// One alert `rules` can generate: its key under `[registry.alerts]`, the alert's name, its
/// defaults and thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertDefinition {
    /// The key under `[registry.alerts]`, e.g. `textfile_stale`.
    pub key: &'static str,
    /// The alert's name in the rule file, e.g. `MetricsTextfileStale`.
    pub name: &'static str,
    /// When the registry generates it.
    pub condition: AlertCondition,
    /// The default `for`.
    pub for_default: &'static str,
    /// The default `severity`.
    pub severity_default: &'static str,
    /// Its thresholds.
    pub thresholds: &'static [ThresholdDefinition],
}

/// Every alert `rules` can generate, in the order of the rule file.
pub const ALERTS: [AlertDefinition; 6] = [
    AlertDefinition {
        key: "textfile_stale",
        name: "MetricsTextfileStale",
        condition: AlertCondition::Always,
        for_default: "5m",
        severity_default: "warning",
        thresholds: &[ThresholdDefinition {
            key: "after",
            kind: ThresholdKind::Duration,
            default: "10m",
            meaning: "how old a textfile's last write may be before it counts as stale; longer than the export interval",
        }],
    },
    AlertDefinition {
        key: "textfile_scrape_error",
        name: "MetricsTextfileScrapeError",
        condition: AlertCondition::Always,
        for_default: "5m",
        severity_default: "warning",
        thresholds: &[],
    },
    AlertDefinition {
        key: "label_overflow",
        name: "MetricsLabelOverflow",
        condition: AlertCondition::FreeFormLabel,
        for_default: "0s",
        severity_default: "info",
        thresholds: &[ThresholdDefinition {
            key: "window",
            kind: ThresholdKind::Duration,
            default: "15m",
            meaning: "how far back a value counted in an overflow series keeps the alert firing",
        }],
    },
    AlertDefinition {
        key: "process_missing",
        name: "MetricsProcessMissing",
        condition: AlertCondition::ConstLabels,
        for_default: "5m",
        severity_default: "warning",
        thresholds: &[ThresholdDefinition {
            key: "lookback",
            kind: ThresholdKind::Duration,
            default: "15m",
            meaning: "how long ago the job had the processes it should still have",
        }],
    },
    AlertDefinition {
        key: "process_restarting",
        name: "MetricsProcessRestarting",
        condition: AlertCondition::ProcessCollector,
        for_default: "0s",
        severity_default: "warning",
        thresholds: &[
            ThresholdDefinition {
                key: "restarts",
                kind: ThresholdKind::Count,
                default: "2",
                meaning: "how many restarts within the window are still fine",
            },
            ThresholdDefinition {
                key: "window",
                kind: ThresholdKind::Duration,
                default: "1h",
                meaning: "the window restarts are counted over",
            },
        ],
    },
    AlertDefinition {
        key: "process_memory_growing",
        name: "MetricsProcessMemoryGrowing",
        condition: AlertCondition::ProcessCollector,
        for_default: "30m",
        severity_default: "warning",
        thresholds: &[
            ThresholdDefinition {
                key: "bytes_per_second",
                kind: ThresholdKind::Positive,
                default: "1048576",
                meaning: "the growth of resident memory, in bytes per second, above which it fires",
            },
            ThresholdDefinition {
                key: "window",
                kind: ThresholdKind::Duration,
                default: "30m",
                meaning: "the window the growth is fitted over (`deriv`)",
            },
        ],
    },
];

/// The keys every alert's table takes besides its thresholds.
const COMMON_KEYS: [&str; 3] = ["for", "severity", "enabled"];

/// One alert's settings after validation: the defaults with the registry's overrides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertSettings {
    /// The key under `[registry.alerts]`.
    pub key: &'static str,
    /// The alert's name in the rule file.
    pub name: &'static str,
    /// `enabled = false` leaves the alert out of the rule file.
    pub enabled: bool,
    /// How long the condition must hold before the alert fires (Prometheus' `for:`), a
    /// Prometheus duration.
    pub for_duration: String,
    /// The `severity` label.
    pub severity: String,
    /// Each threshold of the alert's [`AlertDefinition`], in its order: a Prometheus duration
    /// or a number, as written (or defaulted).
    pub thresholds: Vec<(&'static str, String)>,
}

impl AlertSettings {
    /// The threshold `key`, as PromQL takes it (a duration or a number).
    ///
    /// # Panics
    ///
    /// When the alert has no threshold `key`: a bug of the caller, which names thresholds
    /// from [`ALERTS`].
    pub fn threshold(&self, key: &str) -> &str {
        self.thresholds
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("alert `{}` has no threshold `{key}`", self.key))
    }
}

/// What the rest of the registry says about which alerts it generates.
pub(crate) struct Generated {
    pub(crate) free_form_label: bool,
    pub(crate) const_labels: bool,
    pub(crate) process_collector: bool,
}

impl Generated {
    fn generates(&self, condition: AlertCondition) -> bool {
        match condition {
            AlertCondition::Always => true,
            AlertCondition::FreeFormLabel => self.free_form_label,
            AlertCondition::ConstLabels => self.const_labels,
            AlertCondition::ProcessCollector => self.process_collector,
        }
    }
}

/// Validates `[registry.alerts]` and resolves every alert's settings (defaults where the
/// registry says nothing). `None` when something is wrong (the diagnostics are in `sink`).
pub(crate) fn check_alerts(
    sink: &mut Sink<'_>,
    raw: &[RawAlert],
    generated: &Generated,
) -> Option<Vec<AlertSettings>> {
    let mut ok = true;
    let mut settings: Vec<AlertSettings> = ALERTS.iter().map(defaults).collect();
    let mut seen: Vec<&str> = Vec::new();
    for alert in raw {
        let key = alert.key.value.as_str();
        let Some(index) = ALERTS.iter().position(|a| a.key == key) else {
            let help = match closest(key, ALERTS.iter().map(|a| a.key)) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => format!(
                    "the alerts are: {}",
                    ALERTS.iter().map(|a| a.key).collect::<Vec<_>>().join(", ")
                ),
            };
            sink.error(
                "unknown-alert",
                alert.key.span.clone(),
                format!("`{key}` is not an alert `rules` generates"),
            )
            .help(help);
            ok = false;
            continue;
        };
        // TOML itself refuses a key twice in one table; only a dotted key and a table can
        // spell one alert twice, and TOML refuses that too. Kept for hand-built raw input.
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let definition = &ALERTS[index];
        if !generated.generates(definition.condition) {
            sink.error(
                "alert-not-generated",
                alert.key.span.clone(),
                format!(
                    "alert `{key}` ({}) is not generated for this registry: it needs {}",
                    definition.name,
                    definition.condition.requirement()
                ),
            )
            .help("remove this table, or declare what the alert watches");
            ok = false;
            continue;
        }
        ok &= apply(sink, alert, definition, &mut settings[index]);
    }
    ok.then_some(settings)
}

/// An alert's settings when the registry does not mention it.
fn defaults(definition: &AlertDefinition) -> AlertSettings {
    AlertSettings {
        key: definition.key,
        name: definition.name,
        enabled: true,
        for_duration: definition.for_default.to_owned(),
        severity: definition.severity_default.to_owned(),
        thresholds: definition
            .thresholds
            .iter()
            .map(|t| (t.key, t.default.to_owned()))
            .collect(),
    }
}

/// Applies one alert's table to its settings; false when an entry is wrong.
fn apply(
    sink: &mut Sink<'_>,
    alert: &RawAlert,
    definition: &AlertDefinition,
    settings: &mut AlertSettings,
) -> bool {
    let mut ok = true;
    let what = format!("alert `{}`", definition.key);
    for (key, value) in &alert.entries {
        match key.value.as_str() {
            "for" => match check_duration(sink, &what, "for", value, true) {
                Some(d) => settings.for_duration = d,
                None => ok = false,
            },
            "severity" => match &value.value {
                RawScalar::String(s) if !s.trim().is_empty() => settings.severity = s.clone(),
                RawScalar::String(_) => {
                    sink.error(
                        "blank-severity",
                        value.span.clone(),
                        format!("the `severity` of {what} is blank"),
                    )
                    .help("write the label Alertmanager routes on, e.g. `severity = \"critical\"`");
                    ok = false;
                }
                other => {
                    wrong_type(sink, &what, "severity", value, other, "a string");
                    ok = false;
                }
            },
            "enabled" => match value.value {
                RawScalar::Boolean(b) => settings.enabled = b,
                ref other => {
                    wrong_type(sink, &what, "enabled", value, other, "`true` or `false`");
                    ok = false;
                }
            },
            other => {
                let Some(threshold) = definition.thresholds.iter().find(|t| t.key == other) else {
                    let known: Vec<&str> = COMMON_KEYS
                        .iter()
                        .copied()
                        .chain(definition.thresholds.iter().map(|t| t.key))
                        .collect();
                    let help = match closest(other, known.iter().copied()) {
                        Some(suggestion) => format!("did you mean `{suggestion}`?"),
                        None => format!("the keys of {what} are: {}", known.join(", ")),
                    };
                    sink.error(
                        "unknown-key",
                        key.span.clone(),
                        format!("unknown key `{other}` in {what}"),
                    )
                    .help(help);
                    ok = false;
                    continue;
                };
                match check_threshold(sink, &what, threshold, value) {
                    Some(v) => {
                        if let Some(slot) =
                            settings.thresholds.iter_mut().find(|(k, _)| *k == other)
                        {
                            slot.1 = v;
                        }
                    }
                    None => ok = false,
                }
            }
        }
    }
    ok
}

fn check_threshold(
    sink: &mut Sink<'_>,
    what: &str,
    threshold: &ThresholdDefinition,
    value: &Sp<RawScalar>,
) -> Option<String> {
    let key = threshold.key;
    match threshold.kind {
        ThresholdKind::Duration => check_duration(sink, what, key, value, false),
        ThresholdKind::Count => match value.value {
            RawScalar::Integer(n) if n >= 0 => Some(n.to_string()),
            RawScalar::Integer(n) => {
                sink.error(
                    "invalid-threshold",
                    value.span.clone(),
                    format!("`{key}` of {what} is {n}: a count is zero or more"),
                )
                .help(format!("{key}: {}", threshold.meaning));
                None
            }
            ref other => {
                wrong_type(sink, what, key, value, other, "a whole number");
                None
            }
        },
        ThresholdKind::Positive => {
            let number = match value.value {
                RawScalar::Integer(n) => n as f64,
                RawScalar::Float(f) => f,
                ref other => {
                    wrong_type(sink, what, key, value, other, "a number");
                    return None;
                }
            };
            if number.is_finite() && number > 0.0 {
                Some(number.to_string())
            } else {
                sink.error(
                    "invalid-threshold",
                    value.span.clone(),
                    format!("`{key}` of {what} is {number}: it must be a finite number above zero"),
                )
                .help(format!("{key}: {}", threshold.meaning));
                None
            }
        }
    }
}

/// A Prometheus duration (`1h30m`, `15s`); zero only where `zero_ok` (`for`).
fn check_duration(
    sink: &mut Sink<'_>,
    what: &str,
    key: &str,
    value: &Sp<RawScalar>,
    zero_ok: bool,
) -> Option<String> {
    let RawScalar::String(text) = &value.value else {
        wrong_type(
            sink,
            what,
            key,
            value,
            &value.value,
            "a duration such as \"5m\"",
        );
        return None;
    };
    match duration_millis(text) {
        Some(0) if !zero_ok => {
            sink.error(
                "invalid-duration",
                value.span.clone(),
                format!("`{key}` of {what} is zero: this window must be longer than that"),
            )
            .help("write a duration such as \"5m\"");
            None
        }
        Some(_) => Some(text.clone()),
        None => {
            sink.error(
                "invalid-duration",
                value.span.clone(),
                format!("`{key}` of {what} is not a Prometheus duration: `{text}`"),
            )
            .help("write a number and a unit, largest first: ms, s, m, h, d, w, y (e.g. \"90s\", \"1h30m\")");
            None
        }
    }
}

/// The milliseconds of a Prometheus duration (Prometheus' `model.ParseDuration`: units
/// `y w d h m s ms`, each at most once, largest first, e.g. `1h30m`; `0` alone is zero),
/// `None` when `text` is not one or overflows.
pub fn duration_millis(text: &str) -> Option<u64> {
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 24 * 3_600_000),
        ("w", 7 * 24 * 3_600_000),
        ("d", 24 * 3_600_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    if text == "0" {
        return Some(0);
    }
    let mut rest = text;
    let mut total: u64 = 0;
    let mut next_unit = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // `ms` before `m`: the longest unit that matches.
        let (index, (unit, millis)) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (unit, _))| rest.starts_with(unit))
            .max_by_key(|(_, (unit, _))| unit.len())?;
        rest = &rest[unit.len()..];
        next_unit = index + 1;
        total = total.checked_add(number.checked_mul(*millis)?)?;
    }
    Some(total)
}

fn wrong_type(
    sink: &mut Sink<'_>,
    what: &str,
    key: &str,
    value: &Sp<RawScalar>,
    found: &RawScalar,
    expected: &str,
) {
    sink.error(
        "wrong-type",
        value.span.clone(),
        format!(
            "`{key}` of {what} must be {expected}, found {}",
            found.type_str()
        ),
    );
}

impl crate::Registry {
    /// The settings of the alert `key` (see [`ALERTS`]), `None` for a key that names none.
    pub fn alert(&self, key: &str) -> Option<&AlertSettings> {
        self.alerts.iter().find(|a| a.key == key)
    }

    /// A series every process of the registry exposes from its first exposition on, which
    /// counting processes can rely on: `<namespace>_build_info` when collected, else the first
    /// declared metric that has a series before anything is recorded (not an info metric,
    /// no free-form label), a histogram by its `_count`. `None` when there is none.
    pub fn series_every_process_has(&self) -> Option<String> {
        series_every_process_has(
            &self.metrics,
            self.collectors.contains(&Collector::BuildInfo),
            self.namespace.as_deref(),
        )
    }
}

/// [`crate::Registry::series_every_process_has`] over declared `metrics` (collectors' metrics
/// may be among them), before the registry is whole.
pub(crate) fn series_every_process_has(
    metrics: &[Metric],
    collects_build_info: bool,
    namespace: Option<&str>,
) -> Option<String> {
    if collects_build_info {
        return Some(build_info_name(namespace));
    }
    let always_exposed = |m: &&Metric| {
        m.collector.is_none()
            && m.kind != MetricKind::Info
            && !m
                .labels
                .iter()
                .any(|l| matches!(l.values, LabelValues::FreeForm { .. }))
    };
    let present = metrics.iter().find(always_exposed)?;
    Some(match present.kind {
        MetricKind::Histogram => format!("{}_count", present.name),
        _ => present.name.clone(),
    })
}
