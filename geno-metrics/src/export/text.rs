//! Prometheus text exposition format 0.0.4, the format node_exporter's textfile collector reads,
//! and the encoder it shares with OpenMetrics 1.0 (`openmetrics.rs`).
//!
//! One contiguous block per metric family, in registry order: `# HELP`, `# TYPE`, samples. No
//! timestamps, no blank lines, LF only, a final newline. HELP escapes `\` and newline; label
//! values escape `\`, `"` and newline, and a histogram's `le` comes last. Floats are spelled
//! exactly as client_golang spells them (Go's shortest `'g'` format, `+Inf`/`-Inf`/`NaN`), so a
//! series keeps its identity whichever client wrote it, including the `le` label that
//! node_exporter re-spells on the way through.
//!
//! The two formats write the same sample lines; they differ in a family's metadata lines
//! (OpenMetrics names a counter's family without `_total`, adds `# UNIT`, and escapes `"` in
//! HELP too) and in the end (`# EOF`). [`Format`] says which is written.

use std::borrow::Cow;
use std::io::{self, Write};

use super::float::{GoFloat, integral};
use crate::kinds::{AnyHistogram, ProcessSample, Totals, exposed_labels};
use crate::labels::{DROPPED_LABEL_VALUES_HELP, DROPPED_LABEL_VALUES_METRIC};
use crate::metric::{Family, Metric};
use crate::registry::Registry;
use crate::spec::{LabelValues, MetricKind, MetricSpec};

/// The media type of the text format 0.0.4, as an HTTP `Content-Type`.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Which text format an exposition is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Prometheus text format 0.0.4.
    Text,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
}

impl Registry {
    /// Runs the sync hooks, then writes every metric in the Prometheus text format 0.0.4.
    ///
    /// Each histogram's buckets, `_sum` and `_count` come from one consistent snapshot.
    /// Nothing is allocated per sample; wrap unbuffered writers in a `BufWriter`.
    ///
    /// # Errors
    ///
    /// What writing to `w` returns; and an error naming the panic when a sync hook panics.
    ///
    /// ```
    /// use geno_metrics::{Counter, Histogram, Metric, MetricKind, MetricSpec, Registry};
    /// static SPECS: [MetricSpec; 2] = [
    ///     MetricSpec::new("demo_jobs_total", MetricKind::Counter, "Jobs finished."),
    ///     MetricSpec::new("demo_job_duration_seconds", MetricKind::Histogram, "Job time.").with_unit("seconds").with_buckets(&[0.5, 1e6]),
    /// ];
    /// static JOBS_TOTAL: Counter = Counter::new(&SPECS[0]);
    /// static JOB_DURATION_SECONDS: Histogram<2> = Histogram::new(&SPECS[1]);
    /// static METRICS: Registry = Registry::new(
    ///     &SPECS, &[Metric::Counter(&JOBS_TOTAL), Metric::Histogram(&JOB_DURATION_SECONDS)]);
    ///
    /// JOBS_TOTAL.inc_by(3);
    /// JOB_DURATION_SECONDS.observe(0.25);
    /// let mut text = Vec::new();
    /// METRICS.encode_text(&mut text)?;
    /// assert_eq!(String::from_utf8(text).unwrap(), "\
    /// ## HELP demo_jobs_total Jobs finished.
    /// ## TYPE demo_jobs_total counter
    /// demo_jobs_total 3
    /// ## HELP demo_job_duration_seconds Job time.
    /// ## TYPE demo_job_duration_seconds histogram
    /// demo_job_duration_seconds_bucket{le=\"0.5\"} 1
    /// demo_job_duration_seconds_bucket{le=\"1e+06\"} 1
    /// demo_job_duration_seconds_bucket{le=\"+Inf\"} 1
    /// demo_job_duration_seconds_sum 0.25
    /// demo_job_duration_seconds_count 1
    /// ");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn encode_text(&self, w: &mut impl Write) -> io::Result<()> {
        self.run_sync_hooks()
            .map_err(|panic| panic.into_io_error())?;
        self.encode_text_without_hooks(w)
    }

    /// [`encode_text`](Self::encode_text) minus the hooks, for callers that just ran them.
    pub(crate) fn encode_text_without_hooks(&self, w: &mut impl Write) -> io::Result<()> {
        self.encode_without_hooks(w, Format::Text)
    }

    /// Writes every metric in `format`, without running the hooks.
    pub(crate) fn encode_without_hooks(
        &self,
        w: &mut impl Write,
        format: Format,
    ) -> io::Result<()> {
        let prepared = prepared(self, format)?;
        let consts = &*prepared.const_labels;
        let mut process_sample = None;
        // Reused for every series: a labelled series' labels as written, a histogram's counts.
        let mut scratch = Scratch::default();
        for (metric, text) in self.iter().zip(&prepared.families) {
            w.write_all(&text.lead)?;
            match metric {
                Metric::Counter(c) => write_value(w, Value::Int(c.get()))?,
                Metric::ShardedCounter(c) => write_value(w, Value::Int(c.get()))?,
                Metric::Gauge(g) => write_value(w, Value::Float(g.get()))?,
                Metric::Histogram(h) => {
                    let (counts, totals) = scratch.histogram.read(h);
                    write_histogram(w, text, counts, totals.sum, totals.count)?;
                }
                Metric::ShardedHistogram(h) => {
                    let s = h.snapshot();
                    write_histogram(w, text, &s.counts, s.sum, s.count)?;
                }
                Metric::Process(process) => {
                    // One reading of /proc for every process metric of the exposition; a
                    // read that fails leaves the sample out, never the exposition.
                    let sample = process_sample.get_or_insert_with(ProcessSample::read);
                    let value = sample.get(process.reading());
                    if let (Some(value), Some(prefix)) = (value, text.samples.first()) {
                        w.write_all(prefix)?;
                        write_value(w, Value::Float(value))?;
                    }
                }
                Metric::Info(info) => {
                    let spec = info.spec();
                    let mut written = Ok(());
                    info.with_values(&mut |values| {
                        let labels = InfoLabels { spec, values };
                        let one = Value::Int(1);
                        written = write_sample(w, spec.name, "", consts, &labels, None, one);
                    });
                    written?;
                }
                Metric::Family(family) => {
                    let name = family.spec().name;
                    if let Some(series_text) = &text.series {
                        scratch.start(series_text);
                    }
                    for index in 0..family.len() {
                        let series = family.series(index);
                        match (series, &text.series) {
                            (None, _) => {}
                            (Some(series), Some(series_text))
                                if scratch.labels_of(family, index, consts, series_text) =>
                            {
                                write_series(w, series_text, text, &mut scratch, series)?;
                            }
                            (Some(series), _) => {
                                let labels = SeriesLabels { family, index };
                                encode_samples(w, name, consts, &labels, series, text)?;
                            }
                        }
                        if let Some(series_text) = &text.series {
                            scratch.advance(series_text);
                        }
                    }
                }
            }
        }
        let mut dropped = self.dropped_label_values().peekable();
        if dropped.peek().is_some() {
            let family = FamilyMetadata {
                name: DROPPED_LABEL_VALUES_METRIC,
                help: DROPPED_LABEL_VALUES_HELP,
                deprecated: None,
                kind: MetricKind::Counter,
                unit: "",
            };
            family.write_metadata(w, format)?;
            for (metric, label, count) in dropped {
                let labels = [("metric", metric), ("label", label)];
                let value = Value::Int(count);
                let name = DROPPED_LABEL_VALUES_METRIC;
                write_sample(w, name, "", consts, &labels, None, value)?;
            }
        }
        if format == Format::OpenMetrics {
            w.write_all(b"# EOF\n")?;
        }
        Ok(())
    }
}

/// What the text format makes once per registry, on its first exposition, when the constant
/// labels have frozen.
#[derive(Debug)]
struct Prepared {
    /// The constant labels as written inside a sample's braces, values escaped:
    /// `rank="3",run="r1"`; empty without constant labels.
    const_labels: Box<[u8]>,
    /// The unchanging text of each family, in registry order.
    families: Box<[FamilyText]>,
}

/// The registry's prepared text in `format`, made on its first exposition in that format; the
/// constant labels' error when they have no values (every exposition fails with it, see
/// `Registry::const_labels`).
fn prepared(registry: &Registry, format: Format) -> io::Result<&Prepared> {
    registry.const_labels()?;
    let slot = match format {
        Format::Text => &registry.text_prepared,
        Format::OpenMetrics => &registry.openmetrics_prepared,
    };
    slot.get_or_init(|| {
        let mut const_labels = Vec::new();
        for (i, (name, value)) in registry.frozen_const_labels().values.iter().enumerate() {
            if i > 0 {
                const_labels.push(b',');
            }
            // Writing into a Vec cannot fail.
            let _ = write_label(&mut const_labels, name, value);
        }
        let families = registry
            .iter()
            .map(|metric| FamilyText::new(metric, &const_labels, format))
            .collect();
        Box::new(Prepared {
            const_labels: const_labels.into_boxed_slice(),
            families,
        })
    })
    .downcast_ref::<Prepared>()
    // Only this function fills the slot, so the type always matches.
    .ok_or_else(|| io::Error::other("the registry's prepared exposition text has another type"))
}

/// `name="value"`, the value escaped.
fn write_label(w: &mut impl Write, name: &str, value: &str) -> io::Result<()> {
    w.write_all(name.as_bytes())?;
    w.write_all(b"=\"")?;
    write_escaped_label_value(w, value)?;
    w.write_all(b"\"")
}

/// An unlabelled histogram's samples from its cumulative `counts` (`+Inf` last), `sum` and
/// `count`: each precomputed prefix, then its value.
fn write_histogram(
    w: &mut impl Write,
    text: &FamilyText,
    counts: &[u64],
    sum: f64,
    count: u64,
) -> io::Result<()> {
    let buckets = counts.iter().map(|&c| Value::Int(c));
    let sum_and_count = [Value::Float(sum), Value::Int(count)];
    let take = if text.sum_and_count.writes(sum) { 2 } else { 0 };
    let values = buckets.chain(sum_and_count.into_iter().take(take));
    for (prefix, value) in text.samples.iter().zip(values) {
        w.write_all(prefix)?;
        write_value(w, value)?;
    }
    Ok(())
}

/// What an exposition reuses from one series to the next, so that writing a series
/// allocates nothing.
#[derive(Debug, Default)]
struct Scratch {
    /// A labelled series' labels as written inside the braces, constant labels first:
    /// `rank="3",phase="train"`.
    labels: Vec<u8>,
    /// A histogram read without allocating.
    histogram: HistogramScratch,
    /// The position of each label's value in the series being written: counted up series
    /// by series, the last label fastest, as series indexes are laid out (no division).
    positions: Vec<usize>,
    /// In a family whose labels are all enumerated, where each label's piece ends in
    /// `labels`, and the first label whose piece is out of date: from one series to the next
    /// mostly the last label moves, and only its piece is written again.
    ends: Vec<usize>,
    /// See `ends`.
    dirty: usize,
}

/// The buffers a histogram is read into, reused from one histogram to the next.
#[derive(Debug, Default)]
struct HistogramScratch {
    /// Cumulative counts, `+Inf` last.
    counts: Vec<u64>,
    /// Where the histogram's cells are copied.
    cells: Vec<u64>,
}

impl HistogramScratch {
    /// Reads `h` (see `AnyHistogram::read_cumulative`): its cumulative counts, count and sum.
    fn read(&mut self, h: &AnyHistogram) -> (&[u64], Totals) {
        let bounds = h.bounds();
        self.counts.resize(bounds + 1, 0);
        self.cells.resize(bounds, 0);
        let totals = h.read_cumulative(&mut self.counts, &mut self.cells);
        (&self.counts, totals)
    }
}

impl Scratch {
    /// Before a family's first series: every label at its first value.
    fn start(&mut self, text: &SeriesText) {
        self.positions.clear();
        self.positions.resize(text.labels.len(), 0);
        self.ends.clear();
        self.ends.resize(text.labels.len(), 0);
        self.dirty = 0;
    }

    /// From one series index to the next.
    fn advance(&mut self, text: &SeriesText) {
        for (number, (position, label)) in self
            .positions
            .iter_mut()
            .zip(&text.labels)
            .enumerate()
            .rev()
        {
            *position += 1;
            if *position < label.width {
                self.dirty = self.dirty.min(number);
                return;
            }
            *position = 0;
        }
        self.dirty = 0;
    }

    /// Writes the labels of series `index` of `family` into `self.labels`, after
    /// `text.lead()` and `consts`: enumerated values from their prepared pieces, others escaped
    /// now. False when the series has no label to write (then the caller writes it the
    /// general way).
    #[inline]
    fn labels_of(
        &mut self,
        family: &'static dyn Family,
        index: usize,
        consts: &[u8],
        text: &SeriesText,
    ) -> bool {
        if text.enumerated {
            self.enumerated_labels(consts, text);
            return true;
        }
        self.any_labels(family, index, consts, text)
    }

    /// `labels_of` for a family with a free-form label: every label written anew.
    #[inline(never)]
    fn any_labels(
        &mut self,
        family: &'static dyn Family,
        index: usize,
        consts: &[u8],
        text: &SeriesText,
    ) -> bool {
        self.labels.clear();
        self.labels.extend_from_slice(consts);
        let mut any = false;
        for (number, (label, &position)) in text.labels.iter().zip(&self.positions).enumerate() {
            let piece = label
                .values
                .as_ref()
                .and_then(|values| values.get(position));
            let value = match piece {
                Some(_) => None,
                None => match family.label_value(index, number) {
                    Some(value) => Some(value),
                    None => continue,
                },
            };
            if !self.labels.is_empty() {
                self.labels.push(b',');
            }
            match value {
                // Writing into a Vec cannot fail.
                Some(value) => {
                    let _ = write_label(&mut self.labels, label.name, value);
                }
                None => self
                    .labels
                    .extend_from_slice(piece.map_or(&[][..], |p| &p[..])),
            }
            any = true;
        }
        any
    }

    /// `labels_of` for a family whose labels are all enumerated: the pieces from the first
    /// out-of-date label on, the ones before it kept from the series before.
    #[inline]
    fn enumerated_labels(&mut self, consts: &[u8], text: &SeriesText) {
        let from = self.dirty.min(text.labels.len());
        match from.checked_sub(1).and_then(|before| self.ends.get(before)) {
            Some(&end) => self.labels.truncate(end),
            None => {
                self.labels.clear();
                self.labels.extend_from_slice(text.lead());
                self.labels.extend_from_slice(consts);
            }
        }
        let pieces = text.labels.iter().zip(&self.positions).zip(&mut self.ends);
        for ((label, &position), end) in pieces.skip(from) {
            if self.labels.len() > text.lead().len() {
                self.labels.push(b',');
            }
            let piece = label.values.as_ref().and_then(|v| v.get(position));
            self.labels
                .extend_from_slice(piece.map_or(&[][..], |p| &p[..]));
            *end = self.labels.len();
        }
        self.dirty = text.labels.len();
    }
}

/// The samples of one series of a labelled family whose labels `scratch.labels` holds.
fn write_series(
    w: &mut impl Write,
    series_text: &SeriesText,
    text: &FamilyText,
    scratch: &mut Scratch,
    series: Metric,
) -> io::Result<()> {
    fn line(
        w: &mut impl Write,
        open: &[u8],
        labels: &[u8],
        close: &[u8],
        value: Value,
    ) -> io::Result<()> {
        w.write_all(open)?;
        w.write_all(labels)?;
        w.write_all(close)?;
        write_value(w, value)
    }
    let open = |k: usize| series_text.opens.get(k).map_or(&[][..], |o| &o[..]);
    /// A counter's or gauge's line whose start `scratch.labels` holds: its end and its value
    /// go after it, and the line goes out in one write.
    #[inline]
    fn whole_line(w: &mut impl Write, scratch: &mut Scratch, value: Value) -> io::Result<()> {
        let start = scratch.labels.len();
        scratch.labels.extend_from_slice(b"} ");
        // Writing into a Vec cannot fail.
        let _ = write_value(&mut scratch.labels, value);
        let written = w.write_all(&scratch.labels);
        scratch.labels.truncate(start);
        written
    }
    let single = match series {
        Metric::Counter(c) => Some(Value::Int(c.get())),
        Metric::ShardedCounter(c) => Some(Value::Int(c.get())),
        Metric::Gauge(g) => Some(Value::Float(g.get())),
        _ => None,
    };
    if let Some(value) = single {
        return if series_text.lead().is_empty() {
            line(w, open(0), &scratch.labels, b"} ", value)
        } else {
            whole_line(w, scratch, value)
        };
    }
    match series {
        Metric::Histogram(h) => {
            let labels = &scratch.labels;
            let (counts, totals) = scratch.histogram.read(h);
            for (close, &count) in series_text.le_closes.iter().zip(counts) {
                line(w, open(0), labels, close, Value::Int(count))?;
            }
            if text.sum_and_count.writes(totals.sum) {
                line(w, open(1), labels, b"} ", Value::Float(totals.sum))?;
                line(w, open(2), labels, b"} ", Value::Int(totals.count))?;
            }
            Ok(())
        }
        // The others do not exist inside a family (a counter's or gauge's line is written
        // above); nothing to write.
        _ => Ok(()),
    }
}

/// A labelled family's text that never changes: what its series' sample lines start and end
/// with, and each enumerated label value as written.
#[derive(Debug)]
pub(crate) struct SeriesText {
    /// `name{` for a counter or gauge; `name_bucket{`, `name_sum{`, `name_count{` for a
    /// histogram.
    opens: Box<[Box<[u8]>]>,
    /// Each label, in declaration order.
    labels: Box<[LabelText]>,
    /// A histogram's `,le="bound"} ` per bucket, `+Inf` last.
    le_closes: Box<[Box<[u8]>]>,
    /// Whether every label is enumerated: then a series' labels are its positions' prepared
    /// pieces, and the next series' mostly differ in the last one only.
    enumerated: bool,
}

/// One label of a labelled family: how many positions it has, and for an enumerated label
/// each value's `name="value"`, escaped, in declaration order.
#[derive(Debug)]
struct LabelText {
    name: &'static str,
    /// Positions this label has.
    width: usize,
    values: Option<Box<[Box<[u8]>]>>,
}

impl SeriesText {
    fn new(spec: &'static MetricSpec, le: &[Box<str>]) -> Self {
        let labels = spec
            .labels
            .iter()
            .map(|label| LabelText {
                name: label.name,
                width: label.width().max(1),
                values: match label.values {
                    LabelValues::Enumerated(values) => Some(
                        values
                            .iter()
                            .map(|value| {
                                let mut piece = Vec::new();
                                // Writing into a Vec cannot fail.
                                let _ = write_label(&mut piece, label.name, value);
                                piece.into_boxed_slice()
                            })
                            .collect(),
                    ),
                    _ => None,
                },
            })
            .collect();
        let open = |suffix: &str| {
            format!("{}{suffix}{{", spec.name)
                .into_bytes()
                .into_boxed_slice()
        };
        let opens = match spec.kind {
            MetricKind::Histogram => vec![open("_bucket"), open("_sum"), open("_count")],
            _ => vec![open("")],
        };
        let le_closes = le
            .iter()
            .map(|bound| {
                format!(",le=\"{bound}\"}} ")
                    .into_bytes()
                    .into_boxed_slice()
            })
            .collect();
        let enumerated = spec
            .labels
            .iter()
            .all(|label| matches!(label.values, LabelValues::Enumerated(_)))
            && !spec.labels.is_empty();
        Self {
            opens: opens.into_boxed_slice(),
            labels,
            le_closes,
            enumerated,
        }
    }

    /// What `Scratch::labels` starts with: a counter's or gauge's `name{` when every label is
    /// enumerated, so that a sample line is written whole; empty otherwise (a histogram has
    /// three opens, one per sample name).
    fn lead(&self) -> &[u8] {
        match &self.opens[..] {
            [counter_or_gauge] if self.enumerated => counter_or_gauge,
            _ => &[],
        }
    }
}

/// The text of one family that never changes, made once per registry, on its first
/// exposition, so that encoding is mostly copying bytes and spelling numbers.
#[derive(Debug)]
pub(crate) struct FamilyText {
    /// The `# HELP` and `# TYPE` lines; for an unlabelled counter or gauge, also the sample's
    /// `name ` up to its value.
    lead: Box<[u8]>,
    /// An unlabelled histogram's sample lines up to their values: `name_bucket{le="..."} `
    /// per bucket (`+Inf` last), `name_sum `, `name_count `; a process metric's `name `.
    samples: Box<[Box<[u8]>]>,
    /// A histogram's `le` values as spelled, `+Inf` last.
    le: Box<[Box<str>]>,
    /// When a histogram's samples include `_sum` and `_count`.
    sum_and_count: SumAndCount,
    /// A labelled family's prepared series text.
    series: Option<SeriesText>,
}

/// When a histogram's samples include `_sum` and `_count`: always in 0.0.4. In OpenMetrics a
/// histogram's sum is a counter, never negative nor NaN; the specification forbids the sum of
/// a histogram with a negative bucket bound, and readers refuse a `_count` without a `_sum`.
/// So in OpenMetrics both are left out when a bound is negative, and from a snapshot whose
/// sum is negative or NaN (a negative observation into a histogram whose bounds are all
/// `>= 0`, a misuse for durations and sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SumAndCount {
    Always,
    WhenSumNotNegative,
    Never,
}

impl SumAndCount {
    fn writes(self, sum: f64) -> bool {
        match self {
            Self::Always => true,
            Self::WhenSumNotNegative => sum >= 0.0,
            Self::Never => false,
        }
    }
}

impl FamilyText {
    /// `consts` is the constant labels as written inside braces (see `Prepared`).
    fn new(metric: Metric, consts: &[u8], format: Format) -> Self {
        let spec = metric.spec();
        let mut lead = Vec::new();
        let family = FamilyMetadata {
            name: spec.name,
            help: spec.summary,
            deprecated: spec.deprecated,
            kind: spec.kind,
            unit: spec.unit,
        };
        // Writing into a Vec cannot fail.
        let _ = family.write_metadata(&mut lead, format);
        let le: Box<[Box<str>]> = spec
            .buckets
            .iter()
            .chain([&f64::INFINITY])
            .map(|&bound| GoFloat(bound).to_string().into_boxed_str())
            .collect();
        // `name_suffix{consts,le="bound"} `, braces only when there is a label.
        let prefix = |suffix: &str, le: Option<&str>| {
            let mut line = format!("{}{suffix}", spec.name).into_bytes();
            if !consts.is_empty() || le.is_some() {
                line.push(b'{');
                line.extend_from_slice(consts);
                if let Some(bound) = le {
                    if !consts.is_empty() {
                        line.push(b',');
                    }
                    line.extend_from_slice(format!("le=\"{bound}\"").as_bytes());
                }
                line.push(b'}');
            }
            line.push(b' ');
            line.into_boxed_slice()
        };
        let sum_and_count = match format {
            Format::Text => SumAndCount::Always,
            Format::OpenMetrics if spec.buckets.iter().any(|bound| *bound < 0.0) => {
                SumAndCount::Never
            }
            Format::OpenMetrics => SumAndCount::WhenSumNotNegative,
        };
        let mut samples = Vec::new();
        match metric {
            Metric::Counter(_) | Metric::ShardedCounter(_) | Metric::Gauge(_) => {
                lead.extend_from_slice(&prefix("", None));
            }
            Metric::Histogram(_) | Metric::ShardedHistogram(_) => {
                for bound in le.iter() {
                    samples.push(prefix("_bucket", Some(bound)));
                }
                if sum_and_count != SumAndCount::Never {
                    samples.push(prefix("_sum", None));
                    samples.push(prefix("_count", None));
                }
            }
            // Its sample may be missing: the prefix is kept apart from the metadata.
            Metric::Process(_) => samples.push(prefix("", None)),
            Metric::Family(_) | Metric::Info(_) => {}
        }
        let series = match metric {
            Metric::Family(_) => Some(SeriesText::new(spec, &le)),
            _ => None,
        };
        Self {
            lead: lead.into_boxed_slice(),
            samples: samples.into_boxed_slice(),
            le,
            sum_and_count,
            series,
        }
    }
}

/// A sample value: counts are integers, everything else a float.
#[derive(Debug, Clone, Copy)]
enum Value {
    Int(u64),
    Float(f64),
}

/// Writes `value` and the line's newline.
fn write_value(w: &mut impl Write, value: Value) -> io::Result<()> {
    match value {
        Value::Int(n) => {
            // Decimal digits, right to left; u64::MAX has 20.
            let mut digits = [0u8; 21];
            digits[20] = b'\n';
            let mut start = 20;
            let mut rest = n;
            loop {
                start -= 1;
                digits[start] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 {
                    break;
                }
            }
            w.write_all(&digits[start..])
        }
        // A whole number below 10^6 is its digits in Go's spelling too (`-0` is `0`).
        Value::Float(f) => match integral(f) {
            Some(n) if n < 1_000_000 => {
                if f < 0.0 {
                    w.write_all(b"-")?;
                }
                write_value(w, Value::Int(n))
            }
            _ => writeln!(w, "{}", GoFloat(f)),
        },
    }
}

/// What a family's metadata lines say.
struct FamilyMetadata<'a> {
    /// The metric's name, a counter's with its `_total`.
    name: &'a str,
    help: &'a str,
    deprecated: Option<&'a str>,
    kind: MetricKind,
    /// Empty when none is declared.
    unit: &'a str,
}

impl FamilyMetadata<'_> {
    /// The 0.0.4 `# HELP` and `# TYPE` lines, or OpenMetrics' `# TYPE`, `# UNIT` (when a unit
    /// is declared) and `# HELP`, which name a counter's family without its `_total`.
    fn write_metadata(&self, w: &mut impl Write, format: Format) -> io::Result<()> {
        match format {
            Format::Text => {
                self.write_help(w, self.name, format)?;
                // 0.0.4 has no info type: an info metric is a gauge of value 1 there.
                let kind = match self.kind {
                    MetricKind::Info => MetricKind::Gauge,
                    kind => kind,
                };
                self.write_type(w, self.name, kind)
            }
            Format::OpenMetrics => {
                let family = match self.kind {
                    MetricKind::Counter => self.name.strip_suffix("_total").unwrap_or(self.name),
                    MetricKind::Info => self.name.strip_suffix("_info").unwrap_or(self.name),
                    _ => self.name,
                };
                self.write_type(w, family, self.kind)?;
                // OpenMetrics requires the family name to end in its unit; `metrics.toml`'s
                // rules guarantee it, a hand-built spec might not: then no `# UNIT`.
                let unit_suffix = family
                    .strip_suffix(self.unit)
                    .is_some_and(|rest| rest.ends_with('_'));
                if !self.unit.is_empty() && unit_suffix {
                    w.write_all(b"# UNIT ")?;
                    w.write_all(family.as_bytes())?;
                    w.write_all(b" ")?;
                    w.write_all(self.unit.as_bytes())?;
                    w.write_all(b"\n")?;
                }
                self.write_help(w, family, format)
            }
        }
    }

    fn write_help(&self, w: &mut impl Write, family: &str, format: Format) -> io::Result<()> {
        w.write_all(b"# HELP ")?;
        w.write_all(family.as_bytes())?;
        w.write_all(b" ")?;
        write_help_text(w, self.help, format)?;
        if let Some(reason) = self.deprecated {
            w.write_all(b" (Deprecated: ")?;
            write_help_text(w, reason, format)?;
            w.write_all(b")")?;
        }
        w.write_all(b"\n")
    }

    fn write_type(&self, w: &mut impl Write, family: &str, kind: MetricKind) -> io::Result<()> {
        w.write_all(b"# TYPE ")?;
        w.write_all(family.as_bytes())?;
        w.write_all(b" ")?;
        w.write_all(kind.as_str().as_bytes())?;
        w.write_all(b"\n")
    }
}

/// HELP text as `format` escapes it.
fn write_help_text(w: &mut impl Write, text: &str, format: Format) -> io::Result<()> {
    match format {
        Format::Text => write_escaped_help(w, text),
        // OpenMetrics' escaped-string: `\`, newline and `"` (normal-char excludes the quote).
        Format::OpenMetrics => write_escaped_label_value(w, text),
    }
}

/// The `(name, value)` label pairs of one series, written without collecting them.
trait Labels {
    fn write(&self, w: &mut dyn FnMut(&str, &str) -> io::Result<()>) -> io::Result<()>;
}

impl Labels for [(&str, &str)] {
    fn write(&self, w: &mut dyn FnMut(&str, &str) -> io::Result<()>) -> io::Result<()> {
        self.iter().try_for_each(|(name, value)| w(name, value))
    }
}

impl<const N: usize> Labels for [(&str, &str); N] {
    fn write(&self, w: &mut dyn FnMut(&str, &str) -> io::Result<()>) -> io::Result<()> {
        self.as_slice().write(w)
    }
}

/// The one series of an info metric: its labels with the values of its last `set`.
struct InfoLabels<'a> {
    spec: &'static MetricSpec,
    values: &'a [Cow<'static, str>],
}

impl Labels for InfoLabels<'_> {
    fn write(&self, w: &mut dyn FnMut(&str, &str) -> io::Result<()>) -> io::Result<()> {
        exposed_labels(self.spec, self.values).try_for_each(|(name, value)| w(name, value))
    }
}

/// Series number `index` of a labelled family.
struct SeriesLabels {
    family: &'static dyn Family,
    index: usize,
}

impl Labels for SeriesLabels {
    fn write(&self, w: &mut dyn FnMut(&str, &str) -> io::Result<()>) -> io::Result<()> {
        for (label, spec) in self.family.spec().labels.iter().enumerate() {
            if let Some(value) = self.family.label_value(self.index, label) {
                w(spec.name, value)?;
            }
        }
        Ok(())
    }
}

/// The samples of one series of a labelled family; `consts` is the constant labels as written
/// inside braces, `text` the family's prepared text (a histogram's bounds as spelled, and
/// whether it has `_sum` and `_count`).
fn encode_samples(
    w: &mut impl Write,
    name: &str,
    consts: &[u8],
    labels: &(impl Labels + ?Sized),
    metric: Metric,
    text: &FamilyText,
) -> io::Result<()> {
    let sample =
        |w: &mut _, suffix, le, value| write_sample(w, name, suffix, consts, labels, le, value);
    match metric {
        Metric::Counter(c) => sample(w, "", None, Value::Int(c.get())),
        Metric::ShardedCounter(c) => sample(w, "", None, Value::Int(c.get())),
        Metric::Gauge(g) => sample(w, "", None, Value::Float(g.get())),
        Metric::Histogram(h) => {
            let s = h.snapshot();
            for (bound, &count) in text.le.iter().zip(&s.counts) {
                sample(w, "_bucket", Some(&**bound), Value::Int(count))?;
            }
            if text.sum_and_count.writes(s.sum) {
                sample(w, "_sum", None, Value::Float(s.sum))?;
                sample(w, "_count", None, Value::Int(s.count))?;
            }
            Ok(())
        }
        // None of these exists inside a family; nothing to write.
        Metric::Family(_) | Metric::ShardedHistogram(_) | Metric::Info(_) | Metric::Process(_) => {
            Ok(())
        }
    }
}

/// `name_suffix{consts,label="value",...,le="bound"} value`: the constant labels first (as
/// written inside braces), then the series' own, escaped, and `le` last.
fn write_sample(
    w: &mut impl Write,
    name: &str,
    suffix: &str,
    consts: &[u8],
    labels: &(impl Labels + ?Sized),
    le: Option<&str>,
    value: Value,
) -> io::Result<()> {
    w.write_all(name.as_bytes())?;
    w.write_all(suffix.as_bytes())?;
    let mut open = !consts.is_empty();
    if open {
        w.write_all(b"{")?;
        w.write_all(consts)?;
    }
    labels.write(&mut |label, value| {
        w.write_all(if open { b"," } else { b"{" })?;
        open = true;
        write_label(w, label, value)
    })?;
    if let Some(bound) = le {
        w.write_all(if open { b"," } else { b"{" })?;
        open = true;
        w.write_all(b"le=\"")?;
        w.write_all(bound.as_bytes())?;
        w.write_all(b"\"")?;
    }
    if open {
        w.write_all(b"}")?;
    }
    w.write_all(b" ")?;
    write_value(w, value)
}

/// Writes a label value with `\`, `"` and newline escaped.
pub(crate) fn write_escaped_label_value(w: &mut impl Write, text: &str) -> io::Result<()> {
    write_escaped(w, text, |b| match b {
        b'\\' => Some(b"\\\\"),
        b'"' => Some(b"\\\""),
        b'\n' => Some(b"\\n"),
        _ => None,
    })
}

/// Writes HELP text with `\` as `\\` and newline as `\n`; everything else, any UTF-8, as is.
pub(crate) fn write_escaped_help(w: &mut impl Write, text: &str) -> io::Result<()> {
    write_escaped(w, text, |b| match b {
        b'\\' => Some(b"\\\\"),
        b'\n' => Some(b"\\n"),
        _ => None,
    })
}

fn write_escaped(
    w: &mut impl Write,
    text: &str,
    escape: impl Fn(u8) -> Option<&'static [u8]>,
) -> io::Result<()> {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        // Escaped bytes are ASCII, so slicing around them never splits a UTF-8 sequence.
        if let Some(replacement) = escape(b) {
            w.write_all(&bytes[start..i])?;
            w.write_all(replacement)?;
            start = i + 1;
        }
    }
    w.write_all(&bytes[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_spelled_in_decimal_with_a_newline() {
        for n in [0, 7, 10, 99, 100, 1_844_112, u64::MAX - 1, u64::MAX] {
            let mut out = Vec::new();
            write_value(&mut out, Value::Int(n)).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), format!("{n}\n"));
        }
        let mut out = Vec::new();
        write_value(&mut out, Value::Float(0.25)).unwrap();
        assert_eq!(out, b"0.25\n");
    }

    #[test]
    fn floats_are_written_as_go_float_spells_them() {
        // The whole numbers below 10^6 take a path of their own; each side of its edges.
        for f in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            7.0,
            999_999.0,
            -999_999.0,
            1e6,
            -1e6,
            1_234_567.0,
            0.5,
            -2.5,
            1e-7,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let mut out = Vec::new();
            write_value(&mut out, Value::Float(f)).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{}\n", GoFloat(f)),
                "{f}"
            );
        }
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        let mut out = Vec::new();
        write_escaped_label_value(&mut out, "a\\b\nc \"q\" ü").unwrap();
        assert_eq!(out, "a\\\\b\\nc \\\"q\\\" ü".as_bytes());
    }

    /// Every series of a labelled family written the prepared way (`write_series`) and the
    /// general way (`encode_samples`) gives the same bytes, with hostile enumerated values,
    /// free-form values (one in overflow) and constant labels.
    #[test]
    fn prepared_series_text_is_what_the_general_path_writes() {
        use crate::kinds::{Counter, Gauge, Histogram};
        use crate::labels::Labelled;
        use crate::spec::LabelSpec;
        static LABELS: [LabelSpec; 2] = [
            LabelSpec::enumerated("phase", &["tr\"ain", "e\\v\nal", "ü"]),
            LabelSpec::free_form("model", 2),
        ];
        static COUNTER_SPEC: MetricSpec =
            MetricSpec::new("t_total", MetricKind::Counter, "t").with_labels(&LABELS);
        static HISTOGRAM_SPEC: MetricSpec =
            MetricSpec::new("t_seconds", MetricKind::Histogram, "t")
                .with_unit("seconds")
                .with_buckets(&[0.5, 1e6])
                .with_labels(&LABELS);
        static COUNTERS: Labelled<Counter, 9, 1> =
            Labelled::new(&COUNTER_SPEC, [const { Counter::new(&COUNTER_SPEC) }; 9]);
        static HISTOGRAMS: Labelled<Histogram<2>, 9, 1> = Labelled::new(
            &HISTOGRAM_SPEC,
            [const { Histogram::new(&HISTOGRAM_SPEC) }; 9],
        );
        for (phase, model) in [
            ("tr\"ain", "a\"b"),
            ("ü", "c\nd"),
            ("e\\v\nal", "overflowing"),
        ] {
            COUNTERS.with_values(&[phase, model]).unwrap().inc_by(7);
            HISTOGRAMS
                .with_values(&[phase, model])
                .unwrap()
                .observe(0.25);
        }
        // Every label enumerated: a series' labels are written from the out-of-date label on.
        static ENUMERATED: [LabelSpec; 3] = [
            LabelSpec::enumerated("phase", &["tr\"ain", "e\\v\nal"]),
            LabelSpec::enumerated("status", &["ok", "ü", "x"]),
            LabelSpec::enumerated("shard", &["0", "1", "2", "3"]),
        ];
        static ENUMERATED_COUNTER_SPEC: MetricSpec =
            MetricSpec::new("e_total", MetricKind::Counter, "e").with_labels(&ENUMERATED);
        static ENUMERATED_GAUGE_SPEC: MetricSpec =
            MetricSpec::new("e_ratio", MetricKind::Gauge, "e").with_labels(&ENUMERATED);
        static ENUMERATED_HISTOGRAM_SPEC: MetricSpec =
            MetricSpec::new("e_seconds", MetricKind::Histogram, "e")
                .with_unit("seconds")
                .with_buckets(&[0.5, 1e6])
                .with_labels(&ENUMERATED);
        static ENUMERATED_COUNTERS: Labelled<Counter, 24, 0> = Labelled::new(
            &ENUMERATED_COUNTER_SPEC,
            [const { Counter::new(&ENUMERATED_COUNTER_SPEC) }; 24],
        );
        static ENUMERATED_GAUGES: Labelled<Gauge, 24, 0> = Labelled::new(
            &ENUMERATED_GAUGE_SPEC,
            [const { Gauge::new(&ENUMERATED_GAUGE_SPEC) }; 24],
        );
        static ENUMERATED_HISTOGRAMS: Labelled<Histogram<2>, 24, 0> = Labelled::new(
            &ENUMERATED_HISTOGRAM_SPEC,
            [const { Histogram::new(&ENUMERATED_HISTOGRAM_SPEC) }; 24],
        );
        for index in 0..24 {
            ENUMERATED_COUNTERS
                .at(index)
                .inc_by(index as u64 * 1_000_003);
            ENUMERATED_GAUGES.at(index).set(index as f64 * -0.37);
            ENUMERATED_HISTOGRAMS.at(index).observe(index as f64 / 10.0);
        }
        let families: [&'static dyn Family; 5] = [
            &COUNTERS,
            &HISTOGRAMS,
            &ENUMERATED_COUNTERS,
            &ENUMERATED_GAUGES,
            &ENUMERATED_HISTOGRAMS,
        ];
        for consts in [&b""[..], b"rank=\"3\""] {
            for format in [Format::Text, Format::OpenMetrics] {
                for family in families {
                    let metric = Metric::Family(family);
                    let text = FamilyText::new(metric, consts, format);
                    let series_text = text.series.as_ref().unwrap();
                    let mut scratch = Scratch::default();
                    scratch.start(series_text);
                    let mut written = 0;
                    for index in 0..family.len() {
                        // Some series are passed over, as an exposition passes over unused
                        // ones: the next series' labels must not depend on them.
                        let (Some(series), false) = (family.series(index), index % 7 == 5) else {
                            scratch.advance(series_text);
                            continue;
                        };
                        assert!(scratch.labels_of(family, index, consts, series_text));
                        let mut prepared = Vec::new();
                        write_series(&mut prepared, series_text, &text, &mut scratch, series)
                            .unwrap();
                        let mut general = Vec::new();
                        let labels = SeriesLabels { family, index };
                        let name = family.spec().name;
                        encode_samples(&mut general, name, consts, &labels, series, &text).unwrap();
                        assert_eq!(
                            String::from_utf8_lossy(&prepared),
                            String::from_utf8_lossy(&general)
                        );
                        written += 1;
                        scratch.advance(series_text);
                    }
                    assert!(written >= 4, "{written} series of {}", family.spec().name);
                }
            }
        }
    }

    #[test]
    fn help_escapes_backslash_and_newline_only() {
        let mut out = Vec::new();
        write_escaped_help(&mut out, "a\\b\nc \"q\" ü").unwrap();
        assert_eq!(out, "a\\\\b\\nc \"q\" ü".as_bytes());
    }
}
