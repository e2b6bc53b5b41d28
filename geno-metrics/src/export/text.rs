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

use super::float::GoFloat;
use crate::kinds::{ProcessSample, exposed_labels};
use crate::labels::{DROPPED_LABEL_VALUES_HELP, DROPPED_LABEL_VALUES_METRIC};
use crate::metric::{Family, Metric};
use crate::registry::Registry;
use crate::snapshot::HistogramSnapshot;
use crate::spec::{MetricKind, MetricSpec};

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
        for (metric, text) in self.iter().zip(&prepared.families) {
            w.write_all(&text.lead)?;
            match metric {
                Metric::Counter(c) => write_value(w, Value::Int(c.get()))?,
                Metric::ShardedCounter(c) => write_value(w, Value::Int(c.get()))?,
                Metric::Gauge(g) => write_value(w, Value::Float(g.get()))?,
                Metric::Histogram(h) => write_histogram(w, text, &h.snapshot())?,
                Metric::ShardedHistogram(h) => {
                    write_histogram(w, text, &h.snapshot())?;
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
                    for index in 0..family.len() {
                        if let Some(series) = family.series(index) {
                            let labels = SeriesLabels { family, index };
                            encode_samples(w, name, consts, &labels, series, text)?;
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

/// An unlabelled histogram's samples: each precomputed prefix, then its value.
fn write_histogram(w: &mut impl Write, text: &FamilyText, s: &HistogramSnapshot) -> io::Result<()> {
    let buckets = s.counts.iter().map(|&c| Value::Int(c));
    let sum_and_count = [Value::Float(s.sum), Value::Int(s.count)];
    let take = if text.sum_and_count.writes(s.sum) {
        2
    } else {
        0
    };
    let values = buckets.chain(sum_and_count.into_iter().take(take));
    for (prefix, value) in text.samples.iter().zip(values) {
        w.write_all(prefix)?;
        write_value(w, value)?;
    }
    Ok(())
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
        Self {
            lead: lead.into_boxed_slice(),
            samples: samples.into_boxed_slice(),
            le,
            sum_and_count,
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
        Value::Float(f) => writeln!(w, "{}", GoFloat(f)),
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
    fn label_values_escape_backslash_quote_and_newline() {
        let mut out = Vec::new();
        write_escaped_label_value(&mut out, "a\\b\nc \"q\" ü").unwrap();
        assert_eq!(out, "a\\\\b\\nc \\\"q\\\" ü".as_bytes());
    }

    #[test]
    fn help_escapes_backslash_and_newline_only() {
        let mut out = Vec::new();
        write_escaped_help(&mut out, "a\\b\nc \"q\" ü").unwrap();
        assert_eq!(out, "a\\\\b\\nc \"q\" ü".as_bytes());
    }
}
