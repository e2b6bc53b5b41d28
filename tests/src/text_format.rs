//! A reader of the Prometheus text format 0.0.4 that accepts only well-formed files, written
//! for the tests and sharing no code with the library's encoder.
//!
//! It follows the two Go parsers that consume this format, and where they differ it takes the
//! stricter one: HELP unescapes `\\` and `\n` and rejects any other escape (as
//! node_exporter's and promtool's `expfmt` parser does; the Prometheus server's own parser
//! would keep `\t` literally, node_exporter fails the whole file on it); HELP text starts
//! after exactly one space (as the Prometheus server reads it; `exposition_props`'
//! `leading_blanks_of_help_are_written_verbatim` shows node_exporter's view). A CR is content
//! inside HELP text and label values, where the format has no escape for it and both parsers
//! keep it; anywhere else (a CRLF line end, say) it is refused. The tests at the end of this
//! file hold the reader to that: what it accepts, and 43 kinds of input it refuses.

use std::collections::HashSet;

/// A family's `# TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `counter`
    Counter,
    /// `gauge`
    Gauge,
    /// `histogram`
    Histogram,
}

/// One family: its HELP and TYPE lines and the samples under them.
#[derive(Debug)]
pub struct Family {
    /// The family's name, as in its HELP and TYPE lines.
    pub name: String,
    /// The HELP text, unescaped.
    pub help: String,
    /// The TYPE.
    pub kind: Kind,
    /// Its samples, in file order.
    pub samples: Vec<Sample>,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The sample's name (a histogram's ends in `_bucket`, `_sum` or `_count`).
    pub name: String,
    /// Unescaped, in the order written; a bucket's `le` is among them (last).
    pub labels: Vec<(String, String)>,
    /// The value, read as Go's `ParseFloat` reads it.
    pub value: f64,
    /// The value as written, to check its spelling.
    pub text: String,
}

impl Sample {
    /// The value of label `name`, if the sample has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(l, _)| l == name)
            .map(|(_, v)| v.as_str())
    }

    /// The labels that name the series: all of them but a bucket's `le`.
    pub fn series_labels(&self) -> Vec<(String, String)> {
        self.labels
            .iter()
            .filter(|(l, _)| l != "le")
            .cloned()
            .collect()
    }
}

/// Reads a whole exposition, or says which line breaks which rule.
///
/// # Errors
///
/// The first line that breaks a rule of the format, with its number and why.
pub fn parse(bytes: &[u8]) -> Result<Vec<Family>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut reader = Reader::default();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let body = text
        .strip_suffix('\n')
        .ok_or("the last line has no newline")?;
    for (index, line) in body.split('\n').enumerate() {
        reader
            .line(line)
            .map_err(|e| format!("line {}: {e}: {line:?}", index + 1))?;
    }
    reader.finish()
}

#[derive(Default)]
struct Reader {
    families: Vec<Family>,
    /// Every family name and every sample name a family owns, so that no two families
    /// can claim one series name.
    taken: HashSet<String>,
    /// A HELP line whose TYPE line must come next: `(name, help)`.
    help: Option<(String, String)>,
    /// Whether the last family still takes samples.
    open: bool,
}

impl Reader {
    fn line(&mut self, line: &str) -> Result<(), String> {
        if line.is_empty() {
            return Err("blank line".into());
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            return self.help(rest);
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            return self.type_line(rest);
        }
        if line.starts_with('#') {
            return Err("a comment that is neither HELP nor TYPE".into());
        }
        self.sample(line)
    }

    fn help(&mut self, rest: &str) -> Result<(), String> {
        if let Some((name, _)) = &self.help {
            return Err(format!("the HELP of {name} has no TYPE line"));
        }
        let (name, text) = rest
            .split_once(' ')
            .ok_or("no space between the name and the HELP text")?;
        check_metric_name(name)?;
        if self.taken.contains(name) {
            return Err(format!("{name} already has a family (duplicate HELP)"));
        }
        self.close_family()?;
        self.help = Some((name.to_owned(), unescape_help(text)?));
        Ok(())
    }

    fn type_line(&mut self, rest: &str) -> Result<(), String> {
        let (name, kind) = rest
            .split_once(' ')
            .ok_or("no space between the name and the type")?;
        let Some((help_name, help)) = self.help.take() else {
            return Err("a TYPE line without its HELP line just before it".into());
        };
        if name != help_name {
            return Err(format!("TYPE of {name} after the HELP of {help_name}"));
        }
        let kind = match kind {
            "counter" => Kind::Counter,
            "gauge" => Kind::Gauge,
            "histogram" => Kind::Histogram,
            other => return Err(format!("unknown type {other:?}")),
        };
        let mut owned_names = sample_names(name, kind);
        if kind == Kind::Histogram {
            owned_names.push(name.to_owned());
        }
        for owned in owned_names {
            if !self.taken.insert(owned.clone()) {
                return Err(format!("{owned} belongs to an earlier family"));
            }
        }
        self.families.push(Family {
            name: name.to_owned(),
            help,
            kind,
            samples: Vec::new(),
        });
        self.open = true;
        Ok(())
    }

    fn sample(&mut self, line: &str) -> Result<(), String> {
        if self.help.is_some() {
            return Err("a sample between a HELP line and its TYPE line".into());
        }
        let sample = parse_sample(line)?;
        let family = match self.families.last_mut() {
            Some(family) if self.open => family,
            _ => return Err("a sample before any HELP and TYPE".into()),
        };
        if !sample_names(&family.name, family.kind).contains(&sample.name) {
            return Err(if self.taken.contains(&sample.name) {
                "a sample apart from the rest of its family".into()
            } else {
                format!("{} is no sample of a declared family", sample.name)
            });
        }
        family.samples.push(sample);
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<Family>, String> {
        if let Some((name, _)) = &self.help {
            return Err(format!("the HELP of {name} has no TYPE line"));
        }
        self.close_family()?;
        Ok(self.families)
    }

    /// Checks the finished family as a whole.
    fn close_family(&mut self) -> Result<(), String> {
        if !std::mem::take(&mut self.open) {
            return Ok(());
        }
        let Some(family) = self.families.last() else {
            return Ok(());
        };
        let checked = match family.kind {
            Kind::Counter | Kind::Gauge => check_plain(family),
            Kind::Histogram => check_histogram(family),
        };
        checked.map_err(|e| format!("family {}: {e}", family.name))
    }
}

fn sample_names(name: &str, kind: Kind) -> Vec<String> {
    match kind {
        Kind::Counter | Kind::Gauge => vec![name.to_owned()],
        Kind::Histogram => ["_bucket", "_sum", "_count"]
            .iter()
            .map(|suffix| format!("{name}{suffix}"))
            .collect(),
    }
}

fn check_plain(family: &Family) -> Result<(), String> {
    let mut series = HashSet::new();
    for sample in &family.samples {
        if !series.insert(&sample.labels) {
            return Err(format!("series {:?} twice", sample.labels));
        }
        if family.kind == Kind::Counter && (sample.value.is_nan() || sample.value < 0.0) {
            return Err(format!("counter value {} below zero or NaN", sample.text));
        }
    }
    Ok(())
}

/// Each series: its buckets with `le` last and strictly ascending, cumulative counts,
/// `+Inf` last, then `_sum`, then `_count` equal to the `+Inf` bucket.
fn check_histogram(family: &Family) -> Result<(), String> {
    let name = &family.name;
    let (bucket, sum, count) = (
        format!("{name}_bucket"),
        format!("{name}_sum"),
        format!("{name}_count"),
    );
    let mut seen = HashSet::new();
    let mut samples = family.samples.iter().peekable();
    while let Some(first) = samples.peek() {
        if first.name != bucket {
            return Err(format!(
                "{} where a series' first bucket belongs",
                first.name
            ));
        }
        let series = first.series_labels();
        if !seen.insert(series.clone()) {
            return Err(format!("series {series:?} twice"));
        }
        let mut last: Option<(f64, f64)> = None;
        while let Some(s) = samples.next_if(|s| s.name == bucket) {
            if s.series_labels() != series {
                return Err(format!("buckets of {series:?} end without _sum and _count"));
            }
            if s.labels.last().map(|(l, _)| l.as_str()) != Some("le") {
                return Err("a bucket whose last label is not le".into());
            }
            let le = parse_go_float(s.label("le").unwrap_or_default())?;
            check_count(s)?;
            if let Some((previous_le, previous_count)) = last {
                if le.is_nan() || le <= previous_le {
                    return Err(format!("le {le} after le {previous_le}"));
                }
                if s.value < previous_count {
                    return Err(format!("bucket count {} falls", s.text));
                }
            } else if le.is_nan() {
                return Err("le NaN".into());
            }
            last = Some((le, s.value));
        }
        let inf_count = match last {
            Some((le, count)) if le == f64::INFINITY => count,
            _ => return Err(format!("the last bucket of {series:?} is not +Inf")),
        };
        let s = samples.next().ok_or("no _sum")?;
        if s.name != sum || s.labels != series {
            return Err(format!("{} {:?} where the _sum belongs", s.name, s.labels));
        }
        let s = samples.next().ok_or("no _count")?;
        if s.name != count || s.labels != series {
            return Err(format!(
                "{} {:?} where the _count belongs",
                s.name, s.labels
            ));
        }
        check_count(s)?;
        if s.value != inf_count {
            return Err(format!(
                "_count {} is not the +Inf bucket {inf_count}",
                s.text
            ));
        }
    }
    Ok(())
}

fn check_count(s: &Sample) -> Result<(), String> {
    if s.value >= 0.0 && s.value.is_finite() && s.value.fract() == 0.0 {
        Ok(())
    } else {
        Err(format!("count {} is not a whole number", s.text))
    }
}

/// `name{label="value",...} value`: no timestamp, no space but the one before the
/// value, no empty braces, no trailing comma.
fn parse_sample(line: &str) -> Result<Sample, String> {
    let end = line.find(['{', ' ']).ok_or("a sample without a value")?;
    let (name, mut rest) = line.split_at(end);
    check_metric_name(name)?;
    let mut labels: Vec<(String, String)> = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        rest = after;
        loop {
            let (label, after) = rest.split_once('=').ok_or("a label without '='")?;
            check_label_name(label)?;
            if labels.iter().any(|(l, _)| l == label) {
                return Err(format!("label {label} twice"));
            }
            let after = after.strip_prefix('"').ok_or("an unquoted label value")?;
            let (value, after) = read_label_value(after)?;
            labels.push((label.to_owned(), value));
            if let Some(after) = after.strip_prefix(',') {
                rest = after;
                continue;
            }
            rest = after
                .strip_prefix('}')
                .ok_or("neither ',' nor '}' after a label value")?;
            break;
        }
    }
    let text = rest
        .strip_prefix(' ')
        .ok_or("no single space before the value")?;
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value: parse_go_float(text)?,
        text: text.to_owned(),
    })
}

/// The value after an opening quote, unescaped, and what follows its closing quote.
fn read_label_value(s: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &s[i + 1..])),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('\\') => value.push('\\'),
                Some('"') => value.push('"'),
                Some('n') => value.push('\n'),
                other => return Err(format!("escape \\{other:?} in a label value")),
            },
            c => value.push(c),
        }
    }
    Err("an unterminated label value".into())
}

/// `\\` and `\n`; node_exporter rejects the file on any other escape.
fn unescape_help(text: &str) -> Result<String, String> {
    let mut help = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            help.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => help.push('\\'),
            Some('n') => help.push('\n'),
            other => return Err(format!("escape \\{other:?} in HELP")),
        }
    }
    Ok(help)
}

fn check_metric_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        Ok(())
    } else {
        Err(format!("invalid metric name {name:?}"))
    }
}

fn check_label_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        if name.starts_with("__") {
            return Err(format!("reserved label name {name:?}"));
        }
        Ok(())
    } else {
        Err(format!("invalid label name {name:?}"))
    }
}

/// A sample value read as Prometheus reads it: Go's `strconv.ParseFloat` minus what
/// Prometheus refuses before calling it (`_`, hexadecimal `p` exponents). Out of range is an
/// error, as in Go; underflow rounds to a subnormal or zero, as in Go.
pub fn parse_go_float(text: &str) -> Result<f64, String> {
    let bad = || format!("{text:?} is no float Go's ParseFloat accepts here");
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'+') => (false, &text[1..]),
        Some(b'-') => (true, &text[1..]),
        _ => (false, text),
    };
    let lower = unsigned.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        // Go takes no sign on NaN.
        return if unsigned.len() == text.len() {
            Ok(f64::NAN)
        } else {
            Err(bad())
        };
    }
    // digits [. digits] | . digits, then an optional exponent.
    let bytes = unsigned.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int = digits(0);
    let mut at = int;
    let mut frac = 0;
    if bytes.get(at) == Some(&b'.') {
        frac = digits(at + 1);
        at += 1 + frac;
    }
    if int + frac == 0 {
        return Err(bad());
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent = digits(at);
        if exponent == 0 {
            return Err(bad());
        }
        at += exponent;
    }
    if at != bytes.len() {
        return Err(bad());
    }
    let value: f64 = text.parse().map_err(|_| bad())?;
    if value.is_infinite() {
        return Err(format!("{text:?} is out of range (Go: ErrRange)"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    // Test code: a panic is how a failure is reported.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::text_format;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_reader_accepts_the_format_it_claims() {
        let text = "\
# HELP a_total Escapes: \\\\ and \\n, raw \"quotes\", tab\there, Grüße.
# TYPE a_total counter
a_total{path=\"a\\\\b\\\"c\\nd\",x=\"\"} 18446744073709551615
# HELP b_ratio 
# TYPE b_ratio gauge
b_ratio -Inf
# HELP c_seconds Histogram.
# TYPE c_seconds histogram
c_seconds_bucket{k=\"v\",le=\"-1e-05\"} 0
c_seconds_bucket{k=\"v\",le=\"+Inf\"} 2
c_seconds_sum{k=\"v\"} NaN
c_seconds_count{k=\"v\"} 2
c_seconds_bucket{k=\"w\",le=\"+Inf\"} 0
c_seconds_sum{k=\"w\"} 0
c_seconds_count{k=\"w\"} 0
";
        let families = text_format::parse(text.as_bytes()).unwrap();
        assert_eq!(families.len(), 3);
        assert_eq!(
            families[0].help,
            "Escapes: \\ and \n, raw \"quotes\", tab\there, Grüße."
        );
        assert_eq!(
            families[0].samples[0].labels,
            labels(&[("path", "a\\b\"c\nd"), ("x", "")])
        );
        assert_eq!(families[1].help, "");
        assert_eq!(families[1].samples[0].value, f64::NEG_INFINITY);
        assert_eq!(families[2].samples.len(), 7);
        assert!(text_format::parse(b"").unwrap().is_empty());
        for (float, value) in [
            ("1", 1.0),
            ("-0", -0.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1E3", 1000.0),
            ("1e-400", 0.0),
            ("Inf", f64::INFINITY),
            ("-infinity", f64::NEG_INFINITY),
        ] {
            assert_eq!(
                parse_go_float(float).unwrap().to_bits(),
                value.to_bits(),
                "{float}"
            );
        }
        assert!(parse_go_float("nan").unwrap().is_nan());
    }

    #[test]
    fn the_reader_rejects_everything_else() {
        let head = "# HELP a_total h\n# TYPE a_total counter\n";
        let cases: &[(&str, String)] = &[
            ("no final newline", format!("{head}a_total 1")),
            ("blank line", format!("{head}\na_total 1\n")),
            ("CRLF", format!("{head}a_total 1\r\n")),
            ("CR after TYPE", "# HELP a_total h\n# TYPE a_total counter\r\n".into()),
            ("second HELP", format!("{head}# HELP a_total h\n")),
            ("second TYPE", format!("{head}# TYPE a_total counter\n")),
            ("TYPE without HELP", "# TYPE a_total counter\na_total 1\n".into()),
            ("HELP without TYPE", "# HELP a_total h\na_total 1\n".into()),
            ("sample without family", "a_total 1\n".into()),
            ("other comment", format!("{head}# a comment\n")),
            ("unknown type", "# HELP a h\n# TYPE a summary\n".into()),
            (
                "not contiguous",
                format!("{head}a_total 1\n# HELP b_total h\n# TYPE b_total counter\na_total 2\n"),
            ),
            ("foreign sample", format!("{head}b_total 1\n")),
            ("timestamp", format!("{head}a_total 1 1700000000000\n")),
            ("trailing garbage", format!("{head}a_total 1x\n")),
            ("two spaces", format!("{head}a_total  1\n")),
            ("tab", format!("{head}a_total\t1\n")),
            ("empty braces", format!("{head}a_total{{}} 1\n")),
            ("trailing comma", format!("{head}a_total{{a=\"b\",}} 1\n")),
            ("unknown label escape", format!("{head}a_total{{a=\"\\t\"}} 1\n")),
            ("unknown HELP escape", "# HELP a_total \\t\n# TYPE a_total counter\n".into()),
            ("lone backslash in HELP", "# HELP a_total x\\\n# TYPE a_total counter\n".into()),
            ("unterminated value", format!("{head}a_total{{a=\"b}} 1\n")),
            ("invalid metric name", "# HELP 1a h\n# TYPE 1a gauge\n".into()),
            ("invalid label name", format!("{head}a_total{{a-b=\"c\"}} 1\n")),
            ("reserved label name", format!("{head}a_total{{__a=\"c\"}} 1\n")),
            ("duplicate label", format!("{head}a_total{{a=\"b\",a=\"c\"}} 1\n")),
            ("duplicate series", format!("{head}a_total 1\na_total 2\n")),
            ("hex float", format!("{head}a_total 0x1p3\n")),
            ("underscore", format!("{head}a_total 1_000\n")),
            ("out of range", format!("{head}a_total 1e400\n")),
            ("signed NaN", format!("{head}a_total +NaN\n")),
            ("negative counter", format!("{head}a_total -1\n")),
            ("not UTF-8", format!("{head}a_total{{a=\"\u{1}\"}} 1\n")),
            (
                "histogram le not last",
                "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\",a=\"b\"} 0\nh_sum{a=\"b\"} 0\nh_count{a=\"b\"} 0\n".into(),
            ),
            (
                "histogram buckets descending",
                "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"2\"} 0\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n".into(),
            ),
            (
                "histogram without +Inf",
                "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_sum 0\nh_count 0\n".into(),
            ),
            (
                "histogram +Inf not last",
                "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n".into(),
            ),
            (
                "histogram count differs",
                "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 0\nh_count 3\n".into(),
            ),
            (
                "histogram counts fall",
                "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 0\nh_count 2\n".into(),
            ),
            (
                "histogram without _count",
                "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\n".into(),
            ),
            (
                "histogram fractional count",
                "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 0.5\nh_sum 0\nh_count 0.5\n".into(),
            ),
            (
                "sample names of two families collide",
                "# HELP h h\n# TYPE h histogram\n# HELP h_count h\n# TYPE h_count gauge\n".into(),
            ),
        ];
        for (what, text) in cases {
            let mut bytes = text.clone().into_bytes();
            if *what == "not UTF-8" {
                let at = bytes.iter().position(|&b| b == 1).unwrap();
                bytes[at] = 0xff;
            }
            assert!(
                text_format::parse(&bytes).is_err(),
                "accepted {what}: {text:?}"
            );
        }
    }
}
