//! Which series a name in a query is: a series of a metric the registry declares or collects
//! (its own name; a histogram's `_bucket`, `_sum` and `_count`), the runtime's overflow
//! counter, a series a listed rule file records, a name the registry takes that no series has
//! (a histogram's own name, a counter's or info metric's OpenMetrics family), or unknown.
//!
//! An unknown name is ours, and so a mistake, when it starts with the registry's namespace
//! (`geno_lewm_...`, or a recording rule's `level:geno_lewm_...:operations`). Without a
//! namespace nothing tells our names from other exporters', so unknown names are never
//! reported: the guard then checks only the names the registry declares.

use std::collections::{BTreeSet, HashMap};

use geno_metrics_schema::{
    Collector, DROPPED_LABEL_VALUES_METRIC, LabelValues, Metric, MetricKind, Registry,
    build_info_name,
};

/// The labels Prometheus attaches to every series it scrapes: the target's.
const TARGET_LABELS: [&str; 2] = ["job", "instance"];

/// The names of one registry (and of the rule files listed with it).
pub(crate) struct Names<'r> {
    registry: &'r Registry,
    prefix: Option<String>,
    series: HashMap<String, Series<'r>>,
    /// Names a metric takes that no series has, with what each is.
    no_series: HashMap<String, (&'r Metric, String)>,
    recorded: BTreeSet<String>,
}

/// A series a query can select.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Series<'r> {
    /// A series of a metric of the registry.
    Metric {
        /// The metric.
        metric: &'r Metric,
        /// Which of its series.
        part: Part,
    },
    /// The runtime's `geno_metrics_dropped_label_values_total{metric, label}`, exposed by a
    /// registry with free-form labels.
    Overflow,
    /// A series a listed rule file records.
    Recorded {
        /// Whether its name says it holds bucket rates (`..._bucket:rate5m`), which
        /// `histogram_quantile` takes.
        buckets: bool,
    },
}

/// Which series of a metric a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The metric's own name (a counter, gauge or info metric).
    Own,
    /// A histogram's `_bucket`.
    Bucket,
    /// A histogram's `_sum` or `_count`.
    SumOrCount,
}

/// What a selected series holds, as the function checks need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holds {
    /// A count that only goes up: a counter, a histogram's `_bucket`, `_sum`, `_count`.
    Counter,
    /// A gauge's value.
    Gauge,
    /// An info metric's constant 1.
    Info,
    /// Not known (a recorded series).
    Unknown,
}

/// What a name in a query is.
#[derive(Debug)]
pub(crate) enum Resolved<'n, 'r> {
    /// A series of ours.
    Series(Series<'r>),
    /// A name of a metric of ours that no series has; the text says what it is.
    NoSeries(&'r Metric, &'n str),
    /// Not a name the registry or its rule files know; `ours` when it is in the namespace.
    Unknown {
        /// Whether it is in the registry's namespace.
        ours: bool,
    },
}

impl<'r> Names<'r> {
    /// The names of `registry`, plus the series `recorded` by its rule files.
    pub(crate) fn new(registry: &'r Registry, recorded: impl IntoIterator<Item = String>) -> Self {
        let mut series = HashMap::new();
        let mut no_series = HashMap::new();
        for metric in &registry.metrics {
            let derived = metric.derived_names();
            if metric.kind == MetricKind::Histogram {
                let names: Vec<String> = derived.iter().map(|(n, _)| format!("`{n}`")).collect();
                no_series.insert(
                    metric.name.clone(),
                    (
                        metric,
                        format!("a histogram, whose series are {}", names.join(", ")),
                    ),
                );
                for (name, _) in derived {
                    let part = if name.ends_with("_bucket") {
                        Part::Bucket
                    } else {
                        Part::SumOrCount
                    };
                    series.insert(name, Series::Metric { metric, part });
                }
            } else {
                series.insert(
                    metric.name.clone(),
                    Series::Metric {
                        metric,
                        part: Part::Own,
                    },
                );
                for (name, why) in derived {
                    no_series.insert(name, (metric, why));
                }
            }
        }
        let free_form = registry.metrics.iter().any(|m| {
            m.labels
                .iter()
                .any(|l| matches!(l.values, LabelValues::FreeForm { .. }))
        });
        if free_form {
            series.insert(DROPPED_LABEL_VALUES_METRIC.to_owned(), Series::Overflow);
        }
        Self {
            registry,
            prefix: registry.namespace.as_ref().map(|ns| format!("{ns}_")),
            series,
            no_series,
            recorded: recorded.into_iter().collect(),
        }
    }

    /// What `name` is.
    pub(crate) fn resolve(&self, name: &str) -> Resolved<'_, 'r> {
        if let Some(series) = self.series.get(name) {
            return Resolved::Series(*series);
        }
        if let Some((metric, what)) = self.no_series.get(name) {
            return Resolved::NoSeries(metric, what);
        }
        if self.recorded.contains(name) {
            let buckets = name.split(':').any(|part| part.ends_with("_bucket"));
            return Resolved::Series(Series::Recorded { buckets });
        }
        let ours = self.prefix.as_deref().is_some_and(|prefix| {
            name.starts_with(prefix) || name.split(':').any(|part| part.starts_with(prefix))
        });
        Resolved::Unknown { ours }
    }

    /// The known name closest to `name`, for a "did you mean".
    pub(crate) fn closest(&self, name: &str) -> Option<&str> {
        let candidates = self.series.keys().chain(&self.recorded).map(String::as_str);
        geno_metrics_schema::closest(name, candidates)
    }

    /// What an unknown name of ours needs: advice for the one name the registry would have
    /// if a collector were listed.
    pub(crate) fn missing_collector(&self, name: &str) -> Option<Collector> {
        let namespace = self.registry.namespace.as_deref();
        (name == build_info_name(namespace)
            && !self.registry.collectors.contains(&Collector::BuildInfo))
        .then_some(Collector::BuildInfo)
    }

    /// The labels a matcher may name on `series`, beside Prometheus' internal `__...` ones;
    /// `None` when they are not known (a recorded series).
    pub(crate) fn labels<'s>(&'s self, series: &Series<'s>) -> Option<Vec<&'s str>> {
        let own: Vec<&str> = match series {
            Series::Metric { metric, part } => metric
                .labels
                .iter()
                .map(|l| l.name.as_str())
                .chain((*part == Part::Bucket).then_some("le"))
                .collect(),
            Series::Overflow => vec!["metric", "label"],
            Series::Recorded { .. } => return None,
        };
        let registry = self.registry;
        Some(
            own.into_iter()
                .chain(registry.const_labels.iter().map(|l| l.name.as_str()))
                .chain(TARGET_LABELS)
                .chain(registry.queries.target_labels.iter().map(String::as_str))
                .collect(),
        )
    }
}

impl Series<'_> {
    /// What the series holds.
    pub(crate) fn holds(&self) -> Holds {
        match self {
            Series::Metric {
                metric,
                part: Part::Own,
            } => match metric.kind {
                MetricKind::Counter => Holds::Counter,
                MetricKind::Gauge => Holds::Gauge,
                MetricKind::Info => Holds::Info,
                // A histogram's own name is no series (`Names` never resolves it to one).
                MetricKind::Histogram => Holds::Unknown,
            },
            Series::Metric { .. } | Series::Overflow => Holds::Counter,
            Series::Recorded { .. } => Holds::Unknown,
        }
    }

    /// How a message names the series: ``gauge `x` ``, ``series `x_sum` of histogram `x` ``.
    pub(crate) fn describe(&self, name: &str) -> String {
        match self {
            Series::Metric {
                metric,
                part: Part::Own,
            } => format!("{} `{name}`", metric.kind.noun()),
            Series::Metric { metric, .. } => {
                format!("series `{name}` of histogram `{}`", metric.name)
            }
            Series::Overflow => format!("the runtime's overflow counter `{name}`"),
            Series::Recorded { .. } => format!("recorded series `{name}`"),
        }
    }
}
