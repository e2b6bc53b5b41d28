//! [`Registry`]: the immutable table of every metric, with by-name access, sync hooks and
//! snapshots.
//!
//! This file holds the table itself: lookups, hooks, [`LookupError`] and `snapshot_all`. The
//! exposition formats add their methods in `export/`: `encode_text` in `export/text.rs`,
//! `export_prometheus_textfile` in `export/textfile.rs` and `spawn_textfile_exporter` in
//! `export/periodic.rs`. They depend on the registry; the registry depends on none of them.

use std::any::Any;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::const_labels::{self, ConstLabelError, ConstLabelSpec, Frozen};
use crate::kinds::{
    AnyHistogram, AnyShardedHistogram, Counter, Gauge, ProcessSample, ShardedCounter,
    exposed_labels,
};
use crate::labels::DROPPED_LABEL_VALUES_METRIC;
use crate::metric::{Family, Metric, process_value};
use crate::snapshot::{MetricSnapshot, MetricValue, Snapshot};
use crate::spec::{MetricKind, MetricSpec, closest};

/// Every metric of one `metrics.toml`, in file order: `registry!` generates it as `METRICS`.
///
/// The table is fixed at compile time; only the values in the handles change. Hooks added with
/// [`add_sync_hook`](Self::add_sync_hook) run before every snapshot or exposition.
///
/// ```
/// use geno_metrics::{Counter, Gauge, LookupError, Metric, MetricKind, MetricSpec, Registry};
/// static SPECS: [MetricSpec; 2] = [
///     MetricSpec::new("demo_jobs_total", MetricKind::Counter, "Jobs finished."),
///     MetricSpec::new("demo_queue_depth", MetricKind::Gauge, "Items waiting."),
/// ];
/// static JOBS_TOTAL: Counter = Counter::new(&SPECS[0]);
/// static QUEUE_DEPTH: Gauge = Gauge::new(&SPECS[1]);
/// static METRICS: Registry =
///     Registry::new(&SPECS, &[Metric::Counter(&JOBS_TOTAL), Metric::Gauge(&QUEUE_DEPTH)]);
///
/// METRICS.get_counter("demo_jobs_total")?.inc();
/// assert_eq!(JOBS_TOTAL.get(), 1);
/// assert_eq!(METRICS.specs().len(), 2);
///
/// let err = METRICS.get_counter("demo_job_total").unwrap_err();
/// assert_eq!(err.to_string(), "no metric named `demo_job_total`; did you mean `demo_jobs_total`?");
/// assert!(matches!(METRICS.get_counter("demo_queue_depth"), Err(LookupError::WrongKind { .. })));
/// # Ok::<(), LookupError>(())
/// ```
#[derive(Debug)]
pub struct Registry {
    specs: &'static [MetricSpec],
    metrics: &'static [Metric],
    const_label_specs: &'static [ConstLabelSpec],
    /// Values given to `set_const_labels`, until the constant labels freeze.
    const_label_overrides: Mutex<Vec<(&'static str, Box<str>)>>,
    /// The constant labels' values, resolved once, at the first snapshot or exposition.
    const_label_values: OnceLock<Frozen>,
    hooks: Mutex<Vec<fn()>>,
    /// Serialises textfile exports of this registry (see `export_prometheus_textfile`).
    pub(crate) export_lock: Mutex<()>,
    /// What the text format makes once from this registry and reuses at every exposition:
    /// the unchanging text of each family. It belongs to `export/text.rs`, the only code that
    /// fills or reads it; a format that needs its own gets a slot of its own beside it. Held as
    /// `Any` so that the registry need not know the formats that build on it.
    pub(crate) text_prepared: OnceLock<Box<dyn Any + Send + Sync>>,
    /// The same for OpenMetrics, filled and read by `export/openmetrics.rs` alone.
    pub(crate) openmetrics_prepared: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl Registry {
    /// A registry over `metrics`, whose specs are `specs` in the same order.
    ///
    /// # Panics
    ///
    /// At compile time (in a static) when the two slices differ in length.
    pub const fn new(specs: &'static [MetricSpec], metrics: &'static [Metric]) -> Self {
        assert!(
            specs.len() == metrics.len(),
            "Registry::new needs one spec per metric"
        );
        Self {
            specs,
            metrics,
            const_label_specs: &[],
            const_label_overrides: Mutex::new(Vec::new()),
            const_label_values: OnceLock::new(),
            hooks: Mutex::new(Vec::new()),
            export_lock: Mutex::new(()),
            text_prepared: OnceLock::new(),
            openmetrics_prepared: OnceLock::new(),
        }
    }

    /// The same registry with constant labels: `registry!` adds those of
    /// `[registry] const_labels`. Every series of every exposition and snapshot carries them,
    /// before its own labels.
    ///
    /// # Panics
    ///
    /// At compile time (in a static) when the registry has constant labels already, or when
    /// `labels` breaks a rule `metrics.toml`'s `const_labels` are held to: a name that is not
    /// a label name, or is `le`, `quantile`, `job`, `instance`, `metric`, `label` or a label
    /// of one of the metrics, or comes twice; a variable name that is not one; an empty
    /// default.
    #[must_use]
    pub const fn with_const_labels(mut self, labels: &'static [ConstLabelSpec]) -> Self {
        assert!(
            self.const_label_specs.is_empty(),
            "Registry::with_const_labels is given every constant label at once"
        );
        const_labels::assert_valid(labels, self.specs);
        self.const_label_specs = labels;
        self
    }

    /// The declared constant labels, in declaration order.
    pub fn const_label_specs(&self) -> &'static [ConstLabelSpec] {
        self.const_label_specs
    }

    /// Gives constant labels their values, instead of the environment: for a program that
    /// knows its identity otherwise (from its launcher's API, say). Labels not named keep the
    /// environment or their default. Values may be any UTF-8 but empty; the exposition
    /// escapes them.
    ///
    /// The values freeze at the registry's first snapshot, exposition or export, or the first
    /// call of [`const_labels`](Self::const_labels),
    /// [`default_textfile_path`](Self::default_textfile_path) or
    /// [`spawn_textfile_exporter`](Self::spawn_textfile_exporter) with the default path, so
    /// that a series never changes identity mid-run: call this first thing in `main`.
    ///
    /// # Errors
    ///
    /// [`ConstLabelError::Frozen`] once the values froze; [`ConstLabelError::Undeclared`] for
    /// a name `[registry] const_labels` does not declare (with the closest one);
    /// [`ConstLabelError::Repeated`] and [`ConstLabelError::Empty`]. Nothing is set on error.
    ///
    /// ```
    /// # mod metrics {
    /// #     geno_metrics::registry!("examples/fleet.toml");
    /// # }
    /// use metrics::{METRICS, STEPS_TOTAL};
    /// METRICS.set_const_labels(&[("rank", "3")])?;
    /// STEPS_TOTAL.inc();
    /// let mut text = Vec::new();
    /// METRICS.encode_text(&mut text)?;
    /// assert!(String::from_utf8(text).unwrap().contains("\ndemo_steps_total{rank=\"3\",run=\"local\"} 1\n"));
    ///
    /// // Frozen by the exposition: the series keep their identity.
    /// let late = METRICS.set_const_labels(&[("rank", "4")]).unwrap_err();
    /// assert!(late.to_string().starts_with("the constant labels froze"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_const_labels(&self, labels: &[(&str, &str)]) -> Result<(), ConstLabelError> {
        let checked = const_labels::check_overrides(self.const_label_specs, labels)?;
        let mut overrides = self
            .const_label_overrides
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Freezing holds this lock, so no value set here can be lost to a freeze under way.
        if let Some(frozen) = self.const_label_values.get() {
            let values: Vec<_> = frozen
                .values
                .iter()
                .map(|(n, v)| (*n, v.to_string()))
                .collect();
            let unset = self
                .const_label_specs
                .iter()
                .map(|spec| spec.name)
                .filter(|name| values.iter().all(|(n, _)| n != name))
                .collect();
            return Err(ConstLabelError::Frozen { values, unset });
        }
        for (name, value) in checked {
            overrides.retain(|(n, _)| *n != name);
            overrides.push((name, value));
        }
        Ok(())
    }

    /// The constant labels with their values, in declaration order; freezes them on first
    /// call. Each value is the one given to [`set_const_labels`](Self::set_const_labels), or
    /// else its environment variable when set and not empty, or else its default.
    ///
    /// # Errors
    ///
    /// [`ConstLabelError::Unset`] when a label's variable is unset (or empty) and it has no
    /// default, [`ConstLabelError::NotUnicode`] when the variable is not UTF-8: every
    /// exposition and export then fails with this error, rather than write series that
    /// another process could write too. [`snapshot_all`](Self::snapshot_all), which stays in
    /// the process, leaves such a label out. Call this at start-up to fail early.
    ///
    /// ```
    /// # mod metrics {
    /// #     geno_metrics::registry!("examples/fleet.toml");
    /// # }
    /// // DEMO_RANK and DEMO_RUN_ID are unset here: the defaults apply.
    /// let labels = metrics::METRICS.const_labels()?;
    /// assert_eq!(labels.iter().map(|(n, v)| (*n, &**v)).collect::<Vec<_>>(), [("rank", "0"), ("run", "local")]);
    /// # Ok::<(), geno_metrics::ConstLabelError>(())
    /// ```
    pub fn const_labels(&self) -> Result<&[(&'static str, Box<str>)], ConstLabelError> {
        let frozen = self.frozen_const_labels();
        match &frozen.error {
            None => Ok(&frozen.values),
            Some(error) => Err(error.clone()),
        }
    }

    /// The constant labels as they froze, freezing them on first call.
    pub(crate) fn frozen_const_labels(&self) -> &Frozen {
        if let Some(frozen) = self.const_label_values.get() {
            return frozen;
        }
        let overrides = self
            .const_label_overrides
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.const_label_values.get_or_init(|| {
            const_labels::resolve(self.const_label_specs, &overrides, |name| {
                std::env::var(name)
            })
        })
    }

    /// The declaration of every metric, in file order.
    pub fn specs(&self) -> &'static [MetricSpec] {
        self.specs
    }

    /// Every live metric, in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Metric> + use<> {
        self.metrics.iter().copied()
    }

    /// The number of metrics.
    pub fn len(&self) -> usize {
        self.metrics.len()
    }

    /// Whether the registry declares no metric at all.
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }

    /// The metric called `name`, of whatever kind.
    ///
    /// # Errors
    ///
    /// [`LookupError::Unknown`], with the closest declared name when one is near.
    pub fn get(&self, name: &str) -> Result<Metric, LookupError> {
        self.metrics
            .iter()
            .find(|m| m.spec().name == name)
            .copied()
            .ok_or_else(|| LookupError::Unknown {
                name: name.to_owned(),
                suggestion: closest(name, self.specs.iter().map(|s| s.name)),
            })
    }

    /// The counter called `name`.
    ///
    /// # Errors
    ///
    /// [`LookupError::Unknown`]; [`LookupError::WrongKind`] when `name` is not a counter;
    /// [`LookupError::Sharded`] when it is a sharded counter; [`LookupError::Info`] or
    /// [`LookupError::Collected`] for an info metric or a collector's.
    pub fn get_counter(&self, name: &str) -> Result<&'static Counter, LookupError> {
        if let Ok(Metric::ShardedCounter(c)) = self.get(name) {
            return Err(LookupError::Sharded {
                name: c.spec().name,
                kind: MetricKind::Counter,
            });
        }
        self.typed(name, MetricKind::Counter, |m| match m {
            Metric::Counter(c) => Some(c),
            _ => None,
        })
    }

    /// The sharded counter (`sharded = true`) called `name`.
    ///
    /// # Errors
    ///
    /// [`LookupError::Unknown`], [`LookupError::WrongKind`] when `name` is not a counter, or
    /// [`LookupError::NotSharded`] when it is a plain one.
    pub fn get_sharded_counter(&self, name: &str) -> Result<&'static ShardedCounter, LookupError> {
        if let Ok(Metric::Counter(c)) = self.get(name) {
            return Err(LookupError::NotSharded {
                name: c.spec().name,
                kind: MetricKind::Counter,
            });
        }
        self.typed(name, MetricKind::Counter, |m| match m {
            Metric::ShardedCounter(c) => Some(c),
            _ => None,
        })
    }

    /// The gauge called `name`.
    ///
    /// # Errors
    ///
    /// [`LookupError::Unknown`] or, when `name` is not a gauge, [`LookupError::WrongKind`];
    /// [`LookupError::Info`] or [`LookupError::Collected`] for an info metric or a
    /// collector's.
    pub fn get_gauge(&self, name: &str) -> Result<&'static Gauge, LookupError> {
        self.typed(name, MetricKind::Gauge, |m| match m {
            Metric::Gauge(g) => Some(g),
            _ => None,
        })
    }

    /// The histogram called `name`, of whatever bucket count.
    ///
    /// # Errors
    ///
    /// [`LookupError::Unknown`] or, when `name` is not a histogram, [`LookupError::WrongKind`].
    pub fn get_histogram(&self, name: &str) -> Result<&'static AnyHistogram, LookupError> {
        if let Ok(Metric::ShardedHistogram(h)) = self.get(name) {
            return Err(LookupError::Sharded {
                name: h.spec().name,
                kind: MetricKind::Histogram,
            });
        }
        self.typed(name, MetricKind::Histogram, |m| match m {
            Metric::Histogram(h) => Some(h),
            _ => None,
        })
    }

    /// The unlabelled metric called `name`, if `pick` accepts it; the lookup errors otherwise.
    fn typed<T>(
        &self,
        name: &str,
        expected: MetricKind,
        pick: impl FnOnce(Metric) -> Option<T>,
    ) -> Result<T, LookupError> {
        let metric = self.get(name)?;
        match metric {
            Metric::Family(f) => Err(LookupError::Labelled {
                name: f.spec().name,
            }),
            Metric::Info(_) | Metric::Process(_) => Err(no_handle(metric)),
            _ => pick(metric).ok_or_else(|| wrong_kind(metric, expected)),
        }
    }

    /// The sharded histogram (`sharded = true`) called `name`.
    ///
    /// # Errors
    ///
    /// [`LookupError::Unknown`], [`LookupError::WrongKind`] when `name` is not a histogram,
    /// or [`LookupError::NotSharded`] when it is a plain one.
    pub fn get_sharded_histogram(
        &self,
        name: &str,
    ) -> Result<&'static dyn AnyShardedHistogram, LookupError> {
        if let Ok(Metric::Histogram(h)) = self.get(name) {
            return Err(LookupError::NotSharded {
                name: h.spec().name,
                kind: MetricKind::Histogram,
            });
        }
        self.typed(name, MetricKind::Histogram, |m| match m {
            Metric::ShardedHistogram(h) => Some(h),
            _ => None,
        })
    }

    /// The labelled metric called `name`, to pick series from by label values.
    ///
    /// # Errors
    ///
    /// [`LookupError::Unknown`], or [`LookupError::Unlabelled`] when it has no labels;
    /// [`LookupError::Info`] or [`LookupError::Collected`] for an info metric (whose labels
    /// are its values) or a collector's.
    pub fn get_family(&self, name: &str) -> Result<&'static dyn Family, LookupError> {
        match self.get(name)? {
            Metric::Family(f) => Ok(f),
            other @ (Metric::Info(_) | Metric::Process(_)) => Err(no_handle(other)),
            other => Err(LookupError::Unlabelled {
                name: other.spec().name,
            }),
        }
    }

    /// Runs the sync hooks, then copies every metric, in registry order; a labelled metric
    /// gives one entry per series, with its labels. An info metric has an entry once set
    /// (its labels are its values), a process metric when `/proc` could be read (one reading
    /// for all of them). Every entry carries the constant labels
    /// too, which [`Snapshot::const_labels`] lists; one without a value (see
    /// [`const_labels`](Self::const_labels)) is left out, since a snapshot stays in the
    /// process. Freezes the constant labels.
    ///
    /// # Panics
    ///
    /// When a sync hook panics: its panic goes on from here. (An exposition reports it as an
    /// error instead.)
    pub fn snapshot_all(&self) -> Snapshot {
        if let Err(panic) = self.run_sync_hooks() {
            panic.resume();
        }
        // The labels that resolved: a snapshot stays in the process, so it cannot collide
        // with another's series, and it must not fail.
        let const_labels: BTreeMap<Cow<'static, str>, Cow<'static, str>> = self
            .frozen_const_labels()
            .values
            .iter()
            .map(|(name, value)| ((*name).into(), value.to_string().into()))
            .collect();
        let mut metrics = Vec::with_capacity(self.len());
        // One reading of /proc for every process metric of the snapshot.
        let mut process_sample = None;
        for metric in self.iter() {
            let spec = metric.spec();
            let entry = |value, labels: BTreeMap<_, _>| MetricSnapshot {
                name: spec.name.into(),
                unit: spec.unit.into(),
                labels: const_labels.clone().into_iter().chain(labels).collect(),
                value,
            };
            match metric {
                Metric::Family(family) => {
                    for index in 0..family.len() {
                        if let Some(value) = family.series(index).and_then(|s| s.value()) {
                            let labels = spec
                                .labels
                                .iter()
                                .enumerate()
                                .filter_map(|(label, l)| {
                                    let value = family.label_value(index, label)?;
                                    Some((l.name.into(), value.into()))
                                })
                                .collect();
                            metrics.push(entry(value, labels));
                        }
                    }
                }
                Metric::Process(process) => {
                    let sample = process_sample.get_or_insert_with(ProcessSample::read);
                    if let Some(value) = process_value(process, sample) {
                        metrics.push(entry(value, Default::default()));
                    }
                }
                // No series before the first `set`, as in the exposition.
                Metric::Info(info) => info.with_values(&mut |values| {
                    let labels = exposed_labels(spec, values)
                        .map(|(name, value)| (name.into(), value.to_owned().into()))
                        .collect();
                    metrics.push(entry(MetricValue::Info, labels));
                }),
                unlabelled => {
                    if let Some(value) = unlabelled.value() {
                        metrics.push(entry(value, Default::default()));
                    }
                }
            }
        }
        for (metric, label, dropped) in self.dropped_label_values() {
            let labels = [
                ("metric".into(), metric.into()),
                ("label".into(), label.into()),
            ];
            metrics.push(MetricSnapshot {
                name: DROPPED_LABEL_VALUES_METRIC.into(),
                unit: "".into(),
                labels: const_labels.clone().into_iter().chain(labels).collect(),
                value: MetricValue::Counter(dropped),
            });
        }
        Snapshot {
            const_labels,
            metrics,
        }
    }

    /// For every free-form label, in registry order: the metric's name, the label's name and
    /// how many calls went to its overflow series. The exposition and
    /// [`snapshot_all`](Self::snapshot_all) show these as the counter
    /// [`DROPPED_LABEL_VALUES_METRIC`](crate::DROPPED_LABEL_VALUES_METRIC).
    pub fn dropped_label_values(
        &self,
    ) -> impl Iterator<Item = (&'static str, &'static str, u64)> + use<> {
        self.iter()
            .filter_map(|metric| match metric {
                Metric::Family(family) => Some(family),
                _ => None,
            })
            .flat_map(|family| {
                let spec = family.spec();
                spec.labels
                    .iter()
                    .enumerate()
                    .filter_map(move |(label, l)| {
                        Some((spec.name, l.name, family.free_label(label)?.dropped()))
                    })
            })
    }

    /// Adds a hook that runs right before every snapshot or exposition, to bring into the
    /// registry counts kept elsewhere (a log filter's own counters, say). A hook should be
    /// idempotent: it runs once per snapshot, however often that is. Adding the same function
    /// twice runs it twice.
    ///
    /// A hook may read the registry, even take a snapshot or an exposition of it: that one
    /// runs without hooks (they are running already) rather than recursing. A hook that panics
    /// stops the hooks after it; [`snapshot_all`](Self::snapshot_all) panics in turn, and an
    /// exposition or export returns an error naming the panic, so a
    /// [`TextfileExporter`](crate::TextfileExporter) counts a failed export and goes on.
    ///
    /// ```
    /// # use geno_metrics::{Counter, Metric, MetricKind, MetricSpec, Registry};
    /// # static SPECS: [MetricSpec; 1] = [MetricSpec::new("demo_redactions_total", MetricKind::Counter, "Redactions.")];
    /// # static REDACTIONS_TOTAL: Counter = Counter::new(&SPECS[0]);
    /// # static METRICS: Registry = Registry::new(&SPECS, &[Metric::Counter(&REDACTIONS_TOTAL)]);
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// static FILTER_REDACTIONS: AtomicU64 = AtomicU64::new(0); // kept by code that knows no metrics
    ///
    /// fn sync_redactions() {
    ///     let seen = FILTER_REDACTIONS.load(Ordering::Relaxed);
    ///     REDACTIONS_TOTAL.inc_by(seen - REDACTIONS_TOTAL.get().min(seen));
    /// }
    /// METRICS.add_sync_hook(sync_redactions);
    /// FILTER_REDACTIONS.store(3, Ordering::Relaxed);
    /// let snapshot = METRICS.snapshot_all();
    /// assert_eq!(snapshot.get("demo_redactions_total").unwrap().value, geno_metrics::MetricValue::Counter(3));
    /// ```
    pub fn add_sync_hook(&self, hook: fn()) {
        self.hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(hook);
    }

    /// Runs every sync hook, in the order added, on this thread. The list is copied first, so
    /// a hook may add hooks. A hook that itself takes a snapshot or an exposition of this
    /// registry gets it without hooks, as they are already running, instead of recursing
    /// until the stack overflows. A hook that panics stops the ones after it; the panic is
    /// caught and returned, so that an exporter reports it as a failed export and goes on.
    pub(crate) fn run_sync_hooks(&self) -> Result<(), HookPanic> {
        thread_local! {
            /// The registries whose hooks this thread is running, by address.
            static RUNNING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
        }
        /// Takes the registry off the running list however the hooks end.
        struct Running(usize);
        impl Drop for Running {
            fn drop(&mut self) {
                let _ = RUNNING.try_with(|r| r.borrow_mut().retain(|id| *id != self.0));
            }
        }
        let id = std::ptr::from_ref(self).addr();
        if RUNNING.with(|r| r.borrow().contains(&id)) {
            return Ok(());
        }
        RUNNING.with(|r| r.borrow_mut().push(id));
        let _running = Running(id);
        let hooks = self
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for hook in hooks {
            std::panic::catch_unwind(hook).map_err(HookPanic)?;
        }
        Ok(())
    }
}

/// A sync hook panicked: the panic's payload, to resume or report.
pub(crate) struct HookPanic(Box<dyn Any + Send>);

impl HookPanic {
    /// The panic again, in the caller's thread, as if no one had caught it.
    pub(crate) fn resume(self) -> ! {
        std::panic::resume_unwind(self.0)
    }

    /// The panic as an error naming its message, for callers that return errors.
    pub(crate) fn into_io_error(self) -> std::io::Error {
        let message = self
            .0
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| self.0.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a payload that is not a string".to_owned());
        std::io::Error::other(format!("a sync hook panicked: {message}"))
    }
}

/// The error for a metric that has no handle to record into: an info metric or a
/// collector's.
fn no_handle(metric: Metric) -> LookupError {
    let spec = metric.spec();
    match spec.collector {
        Some(_) => LookupError::Collected { name: spec.name },
        None => LookupError::Info { name: spec.name },
    }
}

fn wrong_kind(found: Metric, expected: MetricKind) -> LookupError {
    let spec = found.spec();
    LookupError::WrongKind {
        name: spec.name,
        expected,
        found: spec.kind,
    }
}

/// Why a by-name lookup failed.
///
/// Its `Debug` form is its message too, so that an error returned from `main` with `?`
/// prints the advice (`Error: no metric named ...; did you mean ...?`), not a struct.
///
/// ```
/// # mod metrics {
/// #     geno_metrics::registry!("examples/quickstart.toml");
/// # }
/// let err = metrics::METRICS.get_counter("demo_job_total").unwrap_err();
/// assert_eq!(
///     format!("{err:?}"),
///     "no metric named `demo_job_total`; did you mean `demo_jobs_total`?"
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum LookupError {
    /// No metric has that name.
    Unknown {
        /// The name asked for.
        name: String,
        /// The closest declared name, when one is near enough to be a typo.
        suggestion: Option<&'static str>,
    },
    /// The metric has labels: pick a series through [`Registry::get_family`].
    Labelled {
        /// The metric's name.
        name: &'static str,
    },
    /// [`Registry::get_family`] was asked for a metric without labels.
    Unlabelled {
        /// The metric's name.
        name: &'static str,
    },
    /// [`Registry::get_counter`] or [`Registry::get_histogram`] was asked for a sharded one.
    Sharded {
        /// The metric's name.
        name: &'static str,
        /// Its kind: a counter or a histogram.
        kind: MetricKind,
    },
    /// [`Registry::get_sharded_counter`] or [`Registry::get_sharded_histogram`] was asked for
    /// a plain one.
    NotSharded {
        /// The metric's name.
        name: &'static str,
        /// Its kind: a counter or a histogram.
        kind: MetricKind,
    },
    /// The metric is an info metric (`kind = "info"`): set it through its handle's
    /// `set(..)`; [`Registry::get`] gives its [`Metric::Info`].
    Info {
        /// The metric's name.
        name: &'static str,
    },
    /// The metric is a collector's (`[registry] collectors`), read when exposed: there is
    /// nothing to record into. [`Registry::get`] gives it, and snapshots hold its value.
    Collected {
        /// The metric's name.
        name: &'static str,
    },
    /// The metric exists but is of another kind.
    WrongKind {
        /// The metric's name.
        name: &'static str,
        /// The kind the caller asked for.
        expected: MetricKind,
        /// The kind the metric is declared as.
        found: MetricKind,
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown {
                name,
                suggestion: Some(s),
            } => write!(f, "no metric named `{name}`; did you mean `{s}`?"),
            Self::Unknown {
                name,
                suggestion: None,
            } => write!(
                f,
                "no metric named `{name}`; the declared names are in metrics.toml (or METRICS.specs())"
            ),
            Self::Labelled { name } => write!(
                f,
                "metric `{name}` has labels; use get_family(\"{name}\") and pick a series by its label values"
            ),
            Self::Sharded { name, kind } => write!(
                f,
                "metric `{name}` is a sharded {kind}; use get_sharded_{kind}(\"{name}\")"
            ),
            Self::NotSharded { name, kind } => write!(
                f,
                "metric `{name}` is a plain {kind}, not a sharded one; use get_{kind}(\"{name}\")"
            ),
            Self::Unlabelled { name } => write!(
                f,
                "metric `{name}` has no labels; use get_counter, get_gauge or get_histogram"
            ),
            Self::Info { name } => write!(
                f,
                "metric `{name}` is an info metric: set its label values through its handle's set(..); get(\"{name}\") gives the metric"
            ),
            Self::Collected { name } => write!(
                f,
                "metric `{name}` is read by a collector at each exposition, so it has nothing to record into; read it from snapshot_all() or get(\"{name}\")"
            ),
            Self::WrongKind {
                name,
                expected,
                found,
            } => write!(
                f,
                "metric `{name}` is a {found}, not a {expected}; use get_{found}(\"{name}\")"
            ),
        }
    }
}

/// The message, as `Display` writes it (see the type's docs).
impl fmt::Debug for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for LookupError {}

#[cfg(test)]
mod tests {
    use super::*;

    static SPECS: [MetricSpec; 2] = [
        MetricSpec {
            name: "app_jobs_total",
            kind: MetricKind::Counter,
            unit: "",
            summary: "j",
            buckets: &[],
            deprecated: None,
            labels: &[],
            collector: None,
        },
        MetricSpec {
            name: "app_queue_items",
            kind: MetricKind::Gauge,
            unit: "",
            summary: "q",
            buckets: &[],
            deprecated: None,
            labels: &[],
            collector: None,
        },
    ];

    #[test]
    fn suggestions_only_for_plausible_typos() {
        let closest_name = |name| closest(name, SPECS.iter().map(|s| s.name));
        assert_eq!(closest_name("app_job_total"), Some("app_jobs_total"));
        assert_eq!(closest_name("app_queue_item"), Some("app_queue_items"));
        assert_eq!(closest_name("totally_else"), None);
        assert_eq!(closest_name(""), None);
    }

    #[test]
    fn labelled_metrics_by_name_and_in_snapshots() {
        use crate::labels::Labelled;
        use crate::spec::{LabelSpec, LabelValues};
        static LABELLED: MetricSpec = MetricSpec {
            name: "app_requests_total",
            kind: MetricKind::Counter,
            unit: "",
            summary: "r",
            buckets: &[],
            deprecated: None,
            labels: &[
                LabelSpec {
                    name: "status",
                    values: LabelValues::Enumerated(&["ok", "error"]),
                },
                LabelSpec {
                    name: "model",
                    values: LabelValues::FreeForm { max_series: 1 },
                },
            ],
            collector: None,
        };
        static ALL: [MetricSpec; 2] = [SPECS[0], LABELLED];
        static JOBS: Counter = Counter::new(&ALL[0]);
        static REQUESTS: Labelled<Counter, 4, 1> =
            Labelled::new(&ALL[1], [const { Counter::new(&ALL[1]) }; 4]);
        static REGISTRY: Registry =
            Registry::new(&ALL, &[Metric::Counter(&JOBS), Metric::Family(&REQUESTS)]);

        let err = REGISTRY.get_counter("app_requests_total").unwrap_err();
        assert_eq!(
            err,
            LookupError::Labelled {
                name: "app_requests_total"
            }
        );
        assert!(
            err.to_string()
                .contains("get_family(\"app_requests_total\")")
        );
        assert_eq!(
            REGISTRY.get_family("app_jobs_total").unwrap_err(),
            LookupError::Unlabelled {
                name: "app_jobs_total"
            }
        );
        let family = REGISTRY.get_family("app_requests_total").unwrap();
        assert!(family.series(2).is_none(), "no model yet");
        assert_eq!(
            REGISTRY.snapshot_all().metrics.len(),
            2,
            "the job counter and the dropped-values counter"
        );
        match family.with_values(&["error", "resnet"]) {
            Some(Metric::Counter(c)) => c.inc_by(3),
            other => panic!("{other:?}"),
        }
        assert!(family.with_values(&["maybe", "resnet"]).is_none());
        assert!(family.with_values(&["error"]).is_none());

        let snapshot = REGISTRY.snapshot_all();
        assert_eq!(snapshot.metrics.len(), 4, "one entry per used series");
        let error = snapshot
            .get_series(
                "app_requests_total",
                &[("status", "error"), ("model", "resnet")],
            )
            .unwrap();
        assert_eq!(error.value, MetricValue::Counter(3));
        let dropped = [("metric", "app_requests_total"), ("label", "model")];
        let dropped_entry = |s: &Snapshot| {
            s.get_series(DROPPED_LABEL_VALUES_METRIC, &dropped)
                .map(|m| m.value.clone())
        };
        assert_eq!(dropped_entry(&snapshot), Some(MetricValue::Counter(0)));
        let json = serde_json::to_string(&snapshot).unwrap();
        assert!(
            json.contains(r#""labels":{"model":"resnet","status":"error"}"#),
            "{json}"
        );
        assert!(
            !json.contains(r#""name":"app_jobs_total","unit":"","labels""#),
            "no labels key when unlabelled: {json}"
        );
        assert_eq!(serde_json::from_str::<Snapshot>(&json).unwrap(), snapshot);

        REQUESTS.with_values(&["ok", "bert"]).unwrap().inc();
        assert_eq!(
            REGISTRY.dropped_label_values().collect::<Vec<_>>(),
            [("app_requests_total", "model", 1)]
        );
        let snapshot = REGISTRY.snapshot_all();
        assert_eq!(dropped_entry(&snapshot), Some(MetricValue::Counter(1)));
        let overflow = [("status", "ok"), ("model", "__overflow__")];
        let overflow = snapshot.get_series("app_requests_total", &overflow);
        assert_eq!(overflow.unwrap().value, MetricValue::Counter(1));
    }

    #[test]
    fn sharding_errors_name_the_accessor_of_the_metrics_own_kind() {
        use crate::kinds::{Histogram, ShardedCounter};
        static KINDS: [MetricSpec; 2] = [
            MetricSpec::new("app_hits_total", MetricKind::Counter, "h"),
            MetricSpec::new("app_wait_seconds", MetricKind::Histogram, "w").with_buckets(&[1.0]),
        ];
        static HITS: ShardedCounter = ShardedCounter::new(&KINDS[0]);
        static WAIT: Histogram<1> = Histogram::new(&KINDS[1]);
        static REGISTRY: Registry = Registry::new(
            &KINDS,
            &[Metric::ShardedCounter(&HITS), Metric::Histogram(&WAIT)],
        );
        let sharded = REGISTRY.get_counter("app_hits_total").unwrap_err();
        assert_eq!(
            sharded.to_string(),
            "metric `app_hits_total` is a sharded counter; use get_sharded_counter(\"app_hits_total\")"
        );
        let plain = REGISTRY
            .get_sharded_histogram("app_wait_seconds")
            .unwrap_err();
        assert_eq!(
            plain.to_string(),
            "metric `app_wait_seconds` is a plain histogram, not a sharded one; use get_histogram(\"app_wait_seconds\")"
        );
        // What `main` prints for an error returned with `?` is the message.
        assert_eq!(format!("{plain:?}"), plain.to_string());
    }

    #[test]
    fn a_hook_that_takes_a_snapshot_gets_one_without_hooks() {
        static GAUGE_SPEC: [MetricSpec; 1] =
            [MetricSpec::new("app_depth_items", MetricKind::Gauge, "d")];
        static DEPTH: Gauge = Gauge::new(&GAUGE_SPEC[0]);
        static REGISTRY: Registry = Registry::new(&GAUGE_SPEC, &[Metric::Gauge(&DEPTH)]);
        fn snapshotting() {
            // Without the guard this would recurse until the stack overflows.
            let inner = REGISTRY.snapshot_all();
            DEPTH.set(inner.metrics.len() as f64 + 1.0);
        }
        REGISTRY.add_sync_hook(snapshotting);
        let snapshot = REGISTRY.snapshot_all();
        assert_eq!(snapshot.metrics[0].value, MetricValue::Gauge(2.0));
        let mut text = Vec::new();
        REGISTRY.encode_text(&mut text).unwrap();
    }

    #[test]
    fn a_panicking_hook_is_an_error_for_an_exposition_and_a_panic_for_a_snapshot() {
        static SPEC: [MetricSpec; 1] =
            [MetricSpec::new("app_hits_total", MetricKind::Counter, "h")];
        static HITS: Counter = Counter::new(&SPEC[0]);
        static REGISTRY: Registry = Registry::new(&SPEC, &[Metric::Counter(&HITS)]);
        fn panicking() {
            panic!("the log filter is gone");
        }
        REGISTRY.add_sync_hook(panicking);
        let error = REGISTRY.encode_text(&mut Vec::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "a sync hook panicked: the log filter is gone"
        );
        let caught = std::panic::catch_unwind(|| REGISTRY.snapshot_all());
        assert!(caught.is_err(), "snapshot_all passes the panic on");
        // The registry is usable afterwards: the panic left nothing half done.
        HITS.inc();
        assert_eq!(HITS.get(), 1);
    }

    #[test]
    fn hooks_run_in_order_and_may_reenter() {
        static JOBS: Counter = Counter::new(&SPECS[0]);
        static QUEUE: Gauge = Gauge::new(&SPECS[1]);
        static REGISTRY: Registry =
            Registry::new(&SPECS, &[Metric::Counter(&JOBS), Metric::Gauge(&QUEUE)]);
        fn first() {
            QUEUE.set(1.0);
        }
        fn second() {
            // A hook may read the registry itself without deadlocking.
            QUEUE.set(QUEUE.get() * 10.0 + REGISTRY.len() as f64);
        }
        REGISTRY.add_sync_hook(first);
        REGISTRY.add_sync_hook(second);
        let snapshot = REGISTRY.snapshot_all();
        assert_eq!(snapshot.metrics[1].value, MetricValue::Gauge(12.0));
    }
}
