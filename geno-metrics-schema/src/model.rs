//! The validated registry: what `metrics.toml` declares, with every default resolved.

use serde::Serialize;

/// The Prometheus default buckets, used by histograms that declare none.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The most series one metric may have: the product, over its labels, of each enumerated
/// label's value count and of each free-form label's `max_series + 1` (its overflow series).
/// Every series is allocated up front, so this bounds a metric's memory.
pub const MAX_SERIES_PER_METRIC: usize = 1024;

/// The counter the runtime adds to the exposition of a registry with free-form labels: one
/// series per free-form label, counting values that went to its overflow series. No
/// `metrics.toml` may declare a metric of this name.
///
/// This and [`OVERFLOW_LABEL_VALUE`] are the one definition of these names for the macro, the
/// guard and the catalogue. The runtime, which cannot depend on this crate, has its own copy
/// (`geno_metrics::DROPPED_LABEL_VALUES_METRIC`, `geno_metrics::OVERFLOW_LABEL_VALUE`); the
/// workspace test `shared_names` holds the copies equal.
pub const DROPPED_LABEL_VALUES_METRIC: &str = "geno_metrics_dropped_label_values_total";

/// The label value of a free-form label's overflow series, where values go once `max_series`
/// distinct values have a series of their own.
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// A whole registry file after validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registry {
    /// `[registry] namespace`: when set, every metric name starts with `namespace_`.
    pub namespace: Option<String>,
    /// `[registry] version`: the semver of the registry itself, read by the diff guard.
    pub version: semver::Version,
    /// 1-based line of the `version` value.
    pub version_line: usize,
    /// `[registry] const_labels`, in declaration order: labels every series of every
    /// exposition carries, before the metric's own, with values from the environment.
    pub const_labels: Vec<ConstLabel>,
    /// `[registry] collectors`, in declaration order.
    pub collectors: Vec<Collector>,
    /// Every alert `rules` can generate ([`crate::ALERTS`], in that order), with the
    /// `[registry.alerts]` overrides applied to its defaults.
    pub alerts: Vec<crate::AlertSettings>,
    /// Every metric: the `[[metric]]` tables in file order, then the metrics of each
    /// collector (see [`Metric::collector`]).
    pub metrics: Vec<Metric>,
    /// `[registry] rule_files`, `dashboards` and `target_labels`: what the guard over
    /// queries reads.
    pub queries: QueryFiles,
}

/// The query guard's part of `[registry]`: the files whose PromQL `check` and `diff` parse and
/// check against the registry, and the labels a query may match besides a metric's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueryFiles {
    /// `rule_files = [...]`: Prometheus rule files (YAML), in declaration order.
    pub rule_files: Vec<QueryFile>,
    /// `dashboards = [...]`: Grafana dashboards (JSON), in declaration order.
    pub dashboards: Vec<QueryFile>,
    /// `target_labels = [...]`: labels the scrape attaches to every target (by relabelling, or
    /// a federating Prometheus' external labels), which queries may match on any series
    /// besides `job` and `instance`.
    pub target_labels: Vec<String>,
}

/// One path of `rule_files` or `dashboards`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryFile {
    /// The path as written: relative, to the directory of the registry file.
    pub path: String,
    /// 1-based line of the path in the registry file.
    pub line: usize,
}

/// A collector of `[registry] collectors`: metrics the runtime reads or knows itself instead
/// of a handle the program records into. Its metrics are in [`Registry::metrics`] like
/// declared ones, marked with [`Metric::collector`], so every exposition, the catalogue and
/// the diff guard see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Collector {
    /// The process' own CPU, memory, file descriptors, threads and start time, read from
    /// `/proc` at each exposition, under client_golang's names ([`PROCESS_METRICS`]).
    Process,
    /// `<namespace>_build_info`: which build of the program runs (see [`BUILD_INFO_LABELS`]).
    BuildInfo,
}

impl Collector {
    /// Every collector.
    pub const ALL: [Collector; 2] = [Self::Process, Self::BuildInfo];

    /// The spelling of `collectors = [...]`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::BuildInfo => "build_info",
        }
    }
}

impl std::fmt::Display for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One metric of the `process` collector: name, kind, unit (empty when none) and HELP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessMetric {
    /// The Prometheus name, without any namespace: these names are a convention every
    /// client follows, and dashboards query them as they are.
    pub name: &'static str,
    /// Counter or gauge.
    pub kind: MetricKind,
    /// The unit, empty when none.
    pub unit: &'static str,
    /// The HELP text, client_golang's where it has the metric.
    pub summary: &'static str,
}

/// The metrics of the `process` collector: client_golang's process collector (names, types
/// and HELP), plus `process_threads`.
pub const PROCESS_METRICS: [ProcessMetric; 8] = [
    ProcessMetric {
        name: "process_cpu_seconds_total",
        kind: MetricKind::Counter,
        unit: "seconds",
        summary: "Total user and system CPU time spent in seconds.",
    },
    ProcessMetric {
        name: "process_open_fds",
        kind: MetricKind::Gauge,
        unit: "",
        summary: "Number of open file descriptors.",
    },
    ProcessMetric {
        name: "process_max_fds",
        kind: MetricKind::Gauge,
        unit: "",
        summary: "Maximum number of open file descriptors.",
    },
    ProcessMetric {
        name: "process_virtual_memory_bytes",
        kind: MetricKind::Gauge,
        unit: "bytes",
        summary: "Virtual memory size in bytes.",
    },
    ProcessMetric {
        name: "process_virtual_memory_max_bytes",
        kind: MetricKind::Gauge,
        unit: "bytes",
        summary: "Maximum amount of virtual memory available in bytes.",
    },
    ProcessMetric {
        name: "process_resident_memory_bytes",
        kind: MetricKind::Gauge,
        unit: "bytes",
        summary: "Resident memory size in bytes.",
    },
    ProcessMetric {
        name: "process_start_time_seconds",
        kind: MetricKind::Gauge,
        unit: "seconds",
        summary: "Start time of the process since unix epoch in seconds.",
    },
    ProcessMetric {
        name: "process_threads",
        kind: MetricKind::Gauge,
        unit: "",
        summary: "Number of OS threads in the process.",
    },
];

/// The labels of `<namespace>_build_info`, in order: the version of the crate that invokes
/// `registry!` (`CARGO_PKG_VERSION`), its name (`CARGO_PKG_NAME`), the registry's
/// `[registry] version`, the version of rustc that compiled it, and the git commit when the
/// build sets `GENO_METRICS_GIT_COMMIT` (empty otherwise, which Prometheus reads as no label).
pub const BUILD_INFO_LABELS: [&str; 5] = [
    "version",
    "package",
    "registry_version",
    "rustc_version",
    "git_commit",
];

/// The HELP text of `<namespace>_build_info`.
pub const BUILD_INFO_SUMMARY: &str = "Which build of the program runs: its crate's version and name, the metrics registry's version, the rustc that compiled it and its git commit ($GENO_METRICS_GIT_COMMIT at build time); the value is always 1.";

/// The name of the `build_info` collector's metric: `<namespace>_build_info`, or `build_info`
/// without a namespace.
pub fn build_info_name(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("{ns}_build_info"),
        None => "build_info".to_owned(),
    }
}

/// One constant label, as `const_labels = { rank = { env = "RANK", default = "0" } }`
/// declares it: a label on every series of the registry, whose value a process takes from
/// its environment once, so that the processes of a fleet (the ranks of a training job) tell
/// their series apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConstLabel {
    /// The label name, e.g. `rank`.
    pub name: String,
    /// The environment variable its value comes from, e.g. `RANK`.
    pub env: String,
    /// The value when the variable is unset or empty; `None` makes that an error at the first
    /// exposition.
    pub default: Option<String>,
    /// 1-based line of the label's key.
    pub line: usize,
}

/// The kind of a metric, as written in `kind = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// A monotonically increasing integer; its name ends in `_total`.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted into cumulative buckets.
    Histogram,
    /// Label values describing the process (a loaded model, a build), exposed with the
    /// value 1; its name ends in `_info`.
    Info,
}

impl MetricKind {
    /// Every kind, in declaration order.
    pub const ALL: [MetricKind; 4] = [Self::Counter, Self::Gauge, Self::Histogram, Self::Info];

    /// The spelling used in `metrics.toml` and in Prometheus' `# TYPE` line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::Info => "info",
        }
    }
}

impl MetricKind {
    /// The kind as a message names a metric of it: `counter`, ..., `info metric`.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Info => "info metric",
            other => other.as_str(),
        }
    }

    /// [`noun`](Self::noun) with its article: `a counter`, ..., `an info metric`.
    pub fn with_article(self) -> &'static str {
        match self {
            Self::Counter => "a counter",
            Self::Gauge => "a gauge",
            Self::Histogram => "a histogram",
            Self::Info => "an info metric",
        }
    }
}

impl std::fmt::Display for MetricKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[[metric]]` table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// The full Prometheus metric name, namespace included.
    pub name: String,
    /// Counter, gauge, histogram or info.
    pub kind: MetricKind,
    /// The unit, when declared (`seconds`, `bytes`, ...); always a suffix of the name.
    pub unit: Option<String>,
    /// The HELP text. Any UTF-8; the exposition escapes it.
    pub summary: String,
    /// Finite, strictly increasing upper bounds of a histogram (`+Inf` is implicit): the
    /// declared ones, or [`DEFAULT_BUCKETS`]. Empty for counters and gauges.
    pub buckets: Vec<f64>,
    /// Why the metric is deprecated and what to use instead.
    pub deprecated: Option<String>,
    /// The name this metric had before a deliberate rename.
    pub renamed_from: Option<String>,
    /// `sharded = true`: a counter or histogram kept in per-thread shards, for one that
    /// several threads record into all the time; its handle is a `ShardedCounter` or a
    /// `ShardedHistogram<N>`.
    pub sharded: bool,
    /// 1-based line of the `name` value (of the `[[metric]]` header when the name is missing);
    /// for a collector's metric, of the collector's name in `collectors = [...]`.
    pub line: usize,
    /// The collector whose metric this is, `None` for a `[[metric]]` table.
    pub collector: Option<Collector>,
    /// The identifier of the generated static handle, e.g. `TRAIN_STEPS_TOTAL`.
    pub handle: String,
    /// The labels, in declaration order; empty for an unlabelled metric.
    pub labels: Vec<Label>,
    /// The type of the generated handle of a labelled metric (e.g. `StepDurationSecondsFamily`,
    /// the handle in upper camel case plus `Family`; for an info metric the handle in upper
    /// camel case, e.g. `ModelInfo`); `None` without labels.
    pub family_type: Option<String>,
}

impl Metric {
    /// The names the metric takes in an exposition besides its own, each with what it is: a
    /// histogram's `_bucket`, `_sum` and `_count` series, a counter's or an info metric's
    /// family in OpenMetrics (the name without `_total` or `_info`). The same list the
    /// `series-collision` rule checks.
    pub fn derived_names(&self) -> Vec<(String, String)> {
        crate::valid::derived_names(&self.name, self.kind.as_str())
    }

    /// The number of series the metric can have: the product over its labels of
    /// [`Label::width`] (1 without labels).
    pub fn series_count(&self) -> usize {
        self.labels.iter().map(Label::width).product()
    }
}

/// One label of a metric, as `labels = { phase = ["train", "eval"], model = { max_series = 8 } }`
/// declares it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    /// The label name, e.g. `phase`.
    pub name: String,
    /// The Rust identifier of its parameter in the generated `with(..)`: the name, raw
    /// (`r#type`) when it is a keyword, or with `_` appended (`self_`) when it cannot be raw.
    pub parameter: String,
    /// The values it takes.
    pub values: LabelValues,
    /// 1-based line of the label's key.
    pub line: usize,
}

impl Label {
    /// The number of series positions the label spans: its value count when enumerated,
    /// `max_series + 1` (the overflow series) when free-form.
    pub fn width(&self) -> usize {
        match &self.values {
            LabelValues::Enumerated { values, .. } => values.len(),
            LabelValues::FreeForm { max_series } => max_series + 1,
            LabelValues::Info => 1,
        }
    }
}

/// The values a label takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelValues {
    /// A fixed list, known at compile time: the macro generates an enum for it.
    Enumerated {
        /// The generated enum, the label name in upper camel case (`device_kind` ->
        /// `DeviceKind`). Every metric declaring this label name declares the same values.
        type_name: String,
        /// The values in declaration order, each with its enum variant.
        values: Vec<LabelValue>,
    },
    /// Any string, chosen at run time, bounded: the first `max_series` distinct values get a
    /// series each, later ones share one overflow series.
    FreeForm {
        /// How many distinct values get a series of their own.
        max_series: usize,
    },
    /// A label of an info metric (`labels = ["model", "checkpoint"]`): any string, given
    /// with the metric's other labels at each `set`; one value at a time.
    Info,
}

/// One value of an enumerated label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelValue {
    /// The label value as exposed, e.g. `train`.
    pub value: String,
    /// The generated enum variant, e.g. `Train`.
    pub variant: String,
}
