//! Prometheus text exposition format 0.0.4, the format node_exporter's textfile collector reads.
//!
//! One contiguous block per metric family, in registry order: `# HELP`, `# TYPE`, samples. No
//! timestamps, no blank lines, LF only, a final newline. HELP escapes `\` and newline; label
//! values escape `\`, `"` and newline, and a histogram's `le` comes last. Floats are spelled exactly as client_golang spells them
//! (Go's shortest `'g'` format, `+Inf`/`-Inf`/`NaN`), so a series keeps its identity whichever
//! client wrote it, including the `le` label that node_exporter re-spells on the way through.

use std::fmt;
use std::io::{self, Write};

use crate::family::Family;
use crate::free_form::{DROPPED_LABEL_VALUES_HELP, DROPPED_LABEL_VALUES_METRIC};
use crate::histogram::HistogramSnapshot;
use crate::registry::{Metric, Registry};
use crate::spec::MetricKind;

impl Registry {
    /// Runs the sync hooks, then writes every metric in the Prometheus text format 0.0.4.
    ///
    /// Each histogram's buckets, `_sum` and `_count` come from one consistent snapshot.
    /// Nothing is allocated per sample; wrap unbuffered writers in a `BufWriter`.
    ///
    /// ```
    /// use geno_metrics::{Counter, Histogram, Metric, MetricKind, MetricSpec, Registry};
    /// static SPECS: [MetricSpec; 2] = [
    ///     MetricSpec { name: "demo_jobs_total", kind: MetricKind::Counter, unit: "",
    ///                  summary: "Jobs finished.", buckets: &[], deprecated: None, labels: &[] },
    ///     MetricSpec { name: "demo_job_duration_seconds", kind: MetricKind::Histogram,
    ///                  unit: "seconds", summary: "Job time.", buckets: &[0.5, 1e6], deprecated: None, labels: &[] },
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
        self.run_sync_hooks();
        self.encode_text_without_hooks(w)
    }

    /// [`encode_text`](Self::encode_text) minus the hooks, for callers that just ran them.
    pub(crate) fn encode_text_without_hooks(&self, w: &mut impl Write) -> io::Result<()> {
        let texts = self
            .texts
            .get_or_init(|| self.iter().map(FamilyText::new).collect());
        for (metric, text) in self.iter().zip(texts.iter()) {
            w.write_all(&text.lead)?;
            match metric {
                Metric::Counter(c) => write_value(w, Value::Int(c.get()))?,
                Metric::ShardedCounter(c) => write_value(w, Value::Int(c.get()))?,
                Metric::Gauge(g) => write_value(w, Value::Float(g.get()))?,
                Metric::Histogram(h) => write_histogram(w, &text.samples, &h.snapshot())?,
                Metric::ShardedHistogram(h) => {
                    write_histogram(w, &text.samples, &h.snapshot())?;
                }
                Metric::Family(family) => {
                    let name = family.spec().name;
                    for index in 0..family.len() {
                        if let Some(series) = family.series(index) {
                            let labels = SeriesLabels { family, index };
                            encode_samples(w, name, &labels, series, &text.le)?;
                        }
                    }
                }
            }
        }
        let mut dropped = self.dropped_label_values().peekable();
        if dropped.peek().is_some() {
            write_help_and_type(
                w,
                DROPPED_LABEL_VALUES_METRIC,
                DROPPED_LABEL_VALUES_HELP,
                None,
                MetricKind::Counter,
            )?;
            for (metric, label, count) in dropped {
                let labels = [("metric", metric), ("label", label)];
                let value = Value::Int(count);
                write_sample(w, DROPPED_LABEL_VALUES_METRIC, "", &labels, None, value)?;
            }
        }
        Ok(())
    }
}

/// An unlabelled histogram's samples: each precomputed prefix, then its value.
fn write_histogram(
    w: &mut impl Write,
    prefixes: &[Box<[u8]>],
    s: &HistogramSnapshot,
) -> io::Result<()> {
    let values = s
        .counts
        .iter()
        .map(|&c| Value::Int(c))
        .chain([Value::Float(s.sum), Value::Int(s.count)]);
    for (prefix, value) in prefixes.iter().zip(values) {
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
    /// per bucket (`+Inf` last), `name_sum `, `name_count `.
    samples: Box<[Box<[u8]>]>,
    /// A histogram's `le` values as spelled, `+Inf` last.
    le: Box<[Box<str>]>,
}

impl FamilyText {
    fn new(metric: Metric) -> Self {
        let spec = metric.spec();
        let mut lead = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = write_help_and_type(
            &mut lead,
            spec.name,
            spec.summary,
            spec.deprecated,
            spec.kind,
        );
        let le: Box<[Box<str>]> = spec
            .buckets
            .iter()
            .chain([&f64::INFINITY])
            .map(|&bound| GoFloat(bound).to_string().into_boxed_str())
            .collect();
        let mut samples = Vec::new();
        match metric {
            Metric::Counter(_) | Metric::ShardedCounter(_) | Metric::Gauge(_) => {
                lead.extend_from_slice(spec.name.as_bytes());
                lead.push(b' ');
            }
            Metric::Histogram(_) | Metric::ShardedHistogram(_) => {
                for bound in le.iter() {
                    let prefix = format!("{}_bucket{{le=\"{bound}\"}} ", spec.name);
                    samples.push(prefix.into_bytes().into_boxed_slice());
                }
                for suffix in ["_sum ", "_count "] {
                    samples.push(
                        format!("{}{suffix}", spec.name)
                            .into_bytes()
                            .into_boxed_slice(),
                    );
                }
            }
            Metric::Family(_) => {}
        }
        Self {
            lead: lead.into_boxed_slice(),
            samples: samples.into_boxed_slice(),
            le,
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

fn write_help_and_type(
    w: &mut impl Write,
    name: &str,
    help: &str,
    deprecated: Option<&str>,
    kind: MetricKind,
) -> io::Result<()> {
    w.write_all(b"# HELP ")?;
    w.write_all(name.as_bytes())?;
    w.write_all(b" ")?;
    write_escaped_help(w, help)?;
    if let Some(reason) = deprecated {
        w.write_all(b" (Deprecated: ")?;
        write_escaped_help(w, reason)?;
        w.write_all(b")")?;
    }
    w.write_all(b"\n# TYPE ")?;
    w.write_all(name.as_bytes())?;
    w.write_all(b" ")?;
    w.write_all(kind.as_str().as_bytes())?;
    w.write_all(b"\n")
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

/// The samples of one series of a labelled family; `le` is the histogram's bounds as spelled.
fn encode_samples(
    w: &mut impl Write,
    name: &str,
    labels: &(impl Labels + ?Sized),
    metric: Metric,
    le: &[Box<str>],
) -> io::Result<()> {
    let sample = |w: &mut _, suffix, le, value| write_sample(w, name, suffix, labels, le, value);
    match metric {
        Metric::Counter(c) => sample(w, "", None, Value::Int(c.get())),
        Metric::ShardedCounter(c) => sample(w, "", None, Value::Int(c.get())),
        Metric::Gauge(g) => sample(w, "", None, Value::Float(g.get())),
        Metric::Histogram(h) => {
            let s = h.snapshot();
            for (bound, &count) in le.iter().zip(&s.counts) {
                sample(w, "_bucket", Some(&**bound), Value::Int(count))?;
            }
            sample(w, "_sum", None, Value::Float(s.sum))?;
            sample(w, "_count", None, Value::Int(s.count))
        }
        // Neither exists inside a family; nothing to write.
        Metric::Family(_) | Metric::ShardedHistogram(_) => Ok(()),
    }
}

/// `name_suffix{label="value",...,le="bound"} value`, labels escaped, `le` last.
fn write_sample(
    w: &mut impl Write,
    name: &str,
    suffix: &str,
    labels: &(impl Labels + ?Sized),
    le: Option<&str>,
    value: Value,
) -> io::Result<()> {
    w.write_all(name.as_bytes())?;
    w.write_all(suffix.as_bytes())?;
    let mut open = false;
    labels.write(&mut |label, value| {
        w.write_all(if open { b"," } else { b"{" })?;
        open = true;
        w.write_all(label.as_bytes())?;
        w.write_all(b"=\"")?;
        write_escaped_label_value(w, value)?;
        w.write_all(b"\"")
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

/// An `f64` displayed as client_golang writes sample values and `le` bounds: Go's
/// `strconv.FormatFloat(f, 'g', -1, 64)` (shortest round-trip digits, exponent form below
/// 1e-4 and from 1e+06 on, two-digit exponents at least), `+Inf`, `-Inf`, `NaN`, and `0` for
/// both zeros.
///
/// ```
/// use geno_metrics::GoFloat;
/// let spelled: Vec<String> = [0.005, 1.0, 2.5, 100000.0, 1e6, 1e-5, 1234567.0, f64::INFINITY]
///     .map(|f| GoFloat(f).to_string())
///     .into();
/// assert_eq!(spelled, ["0.005", "1", "2.5", "100000", "1e+06", "1e-05", "1.234567e+06", "+Inf"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoFloat(pub f64);

impl fmt::Display for GoFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            return f.write_str("NaN");
        }
        if v.is_infinite() {
            return f.write_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        }
        if v == 0.0 {
            return f.write_str("0");
        }
        if v < 0.0 {
            f.write_str("-")?;
        }
        // Rust's `{:e}` gives the shortest round-trip digit count n ("d.ddde-7"). On an exact
        // decimal tie it rounds up where Go rounds to even, so the digits are then taken from
        // the correctly rounded (half-to-even) n-digit form, which is what Go prints. Except at
        // a power of two, where the float below is nearer than the float above: there the
        // nearest n-digit decimal can fall below v yet read back as the float below, and the
        // shortest form (above v) is the only n-digit one that reads back, so Go prints that.
        let mut shortest = Scratch {
            bytes: [0; 32],
            len: 0,
        };
        fmt::Write::write_fmt(&mut shortest, format_args!("{:e}", v.abs()))?;
        let digits = shortest
            .as_str()
            .split('e')
            .next()
            .map_or(1, |m| m.bytes().filter(u8::is_ascii_digit).count());
        let mut scratch = Scratch {
            bytes: [0; 32],
            len: 0,
        };
        let precision = digits.saturating_sub(1);
        fmt::Write::write_fmt(&mut scratch, format_args!("{:.precision$e}", v.abs()))?;
        let rounded = scratch.as_str();
        let text = if rounded != shortest.as_str() && rounded.parse() != Ok(v.abs()) {
            shortest.as_str()
        } else {
            rounded
        };
        let (mantissa, exponent) = text.split_once('e').ok_or(fmt::Error)?;
        let exponent: i32 = exponent.parse().map_err(|_| fmt::Error)?;
        let (lead, rest) = mantissa.split_at(1);
        let rest = rest.strip_prefix('.').unwrap_or("");
        if !(-4..6).contains(&exponent) {
            let sign = if exponent < 0 { '-' } else { '+' };
            f.write_str(lead)?;
            if !rest.is_empty() {
                write!(f, ".{rest}")?;
            }
            return write!(f, "e{sign}{:02}", exponent.unsigned_abs());
        }
        if exponent < 0 {
            f.write_str("0.")?;
            for _ in 0..(-exponent - 1) {
                f.write_str("0")?;
            }
            f.write_str(lead)?;
            return f.write_str(rest);
        }
        // 0 <= exponent < 6: `exponent` digits of `rest` go before the point.
        let int_digits = exponent as usize;
        f.write_str(lead)?;
        if rest.len() <= int_digits {
            f.write_str(rest)?;
            for _ in rest.len()..int_digits {
                f.write_str("0")?;
            }
            Ok(())
        } else {
            let (int_part, frac) = rest.split_at(int_digits);
            write!(f, "{int_part}.{frac}")
        }
    }
}

/// A fixed stack buffer for formatting one float (`{:e}` of an f64 needs at most 23 bytes).
struct Scratch {
    bytes: [u8; 32],
    len: usize,
}

impl Scratch {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for Scratch {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(f: f64) -> String {
        GoFloat(f).to_string()
    }

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
    fn floats_are_spelled_like_go_strconv_g() {
        // Expected values are Go's strconv.FormatFloat(f, 'g', -1, 64).
        let cases: &[(f64, &str)] = &[
            (0.005, "0.005"),
            (0.01, "0.01"),
            (1.0, "1"),
            (-1.0, "-1"),
            (2.5, "2.5"),
            (10.0, "10"),
            (100000.0, "100000"),
            (123456.7, "123456.7"),
            (999999.0, "999999"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (0.000012, "1.2e-05"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.5e300, "1.5e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (-2.5e-10, "-2.5e-10"),
            (u64::MAX as f64, "1.8446744073709552e+19"),
            // Powers of two whose nearest 16-digit decimal reads back as the float below.
            (
                f64::from_bits(0x0060_0000_0000_0000),
                "7.120236347223045e-307",
            ),
            (
                f64::from_bits(0x75e0_0000_0000_0000),
                "6.150157786156811e+259",
            ),
            // An exact decimal tie: Go rounds the last digit to even (Rust's `{:e}` says ...623).
            (
                f64::from_bits(0x4317_9085_685d_83c9),
                "1.6582067800885622e+15",
            ),
            (0.0, "0"),
            (-0.0, "0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for &(value, expected) in cases {
            assert_eq!(go(value), expected, "{value:e}");
        }
    }

    #[test]
    fn spelled_floats_read_back_exactly() {
        let mut x = 1.0e-320f64;
        while x < 1e300 {
            for v in [x, -x, x * 1.2345678901234567] {
                let text = go(v);
                let back: f64 = text.parse().unwrap();
                assert_eq!(back.to_bits(), v.to_bits(), "{text}");
            }
            x *= 7.3;
        }
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
