//! Compiler-style diagnostics that point into `metrics.toml`.

use std::fmt;
use std::ops::Range;

/// One problem found in a registry file, already resolved to a line and column.
///
/// It renders like rustc does:
///
/// ```text
/// metrics.toml:12:8: error[counter-suffix]: counter `geno_lewm_steps` must end in `_total`
///    |
/// 12 | name = "geno_lewm_steps"
///    |        ^^^^^^^^^^^^^^^^^
///    = help: rename it to `geno_lewm_steps_total`
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable identifier of the rule that fired, e.g. `counter-suffix`.
    pub rule: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The file as the user named it.
    pub path: String,
    /// 1-based line of the offending text.
    pub line: usize,
    /// 1-based column (in characters) of the offending text. A tab counts as one character;
    /// a byte order mark at the start of the file counts as none.
    pub column: usize,
    /// The fix, when one is known.
    pub help: Option<String>,
    /// Extra context, e.g. where a duplicate was first declared.
    pub notes: Vec<String>,
    source_line: String,
    marker_width: usize,
}

impl Diagnostic {
    /// The source line the diagnostic points into, without its line ending.
    pub fn source_line(&self) -> &str {
        &self.source_line
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            rule,
            message,
            path,
            line,
            column,
            ..
        } = self;
        writeln!(f, "{path}:{line}:{column}: error[{rule}]: {message}")?;
        let gutter = " ".repeat(line.to_string().len());
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{line} | {}", self.source_line)?;
        // The marker must sit under the column in any terminal: a tab before the column is
        // mirrored by a tab in the padding (a space would fall short of where the terminal
        // expands the tab to); every other character pads as one space.
        let pad: String = self
            .source_line
            .chars()
            .chain(std::iter::repeat(' '))
            .take(column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{gutter} | {pad}{}", "^".repeat(self.marker_width))?;
        for note in &self.notes {
            write!(f, "\n{gutter} = note: {note}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n{gutter} = help: {help}")?;
        }
        Ok(())
    }
}

/// Every diagnostic found in one registry file; `Display` prints them all, blank-line separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The diagnostics, ordered by position in the file.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// The rule ids that fired, in report order (handy in tests and summaries).
    pub fn rules(&self) -> Vec<&'static str> {
        self.diagnostics.iter().map(|d| d.rule).collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Report {}

/// Turns byte spans into lines and columns, and collects diagnostics for one file.
pub(crate) struct Sink<'a> {
    path: &'a str,
    source: &'a str,
    /// Where the text starts: after a leading byte order mark, which is a signature of the
    /// encoding, not a character of line 1 (editors and rustc do not count it as a column).
    text_start: usize,
    line_starts: Vec<usize>,
    diagnostics: Vec<(usize, Diagnostic)>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(path: &'a str, source: &'a str) -> Self {
        let text_start = if source.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        let line_starts = std::iter::once(text_start)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            path,
            source,
            text_start,
            line_starts,
            diagnostics: Vec::new(),
        }
    }

    /// `file:line:col` of a byte offset, for notes that point elsewhere in the file.
    pub(crate) fn location(&self, offset: usize) -> String {
        let (line, column) = self.line_column(offset);
        format!("{}:{line}:{column}", self.path)
    }

    /// 1-based line and character column of a byte offset (clamped into the text).
    pub(crate) fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = self.clamp(offset);
        let line_index = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line_index];
        let column = self.source[start..offset].chars().count() + 1;
        (line_index + 1, column)
    }

    /// `offset` moved into the text: not past its end, not into a character, not onto the
    /// byte order mark.
    fn clamp(&self, offset: usize) -> usize {
        self.floor_char_boundary(offset.min(self.source.len()))
            .max(self.text_start)
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    pub(crate) fn error(
        &mut self,
        rule: &'static str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> DiagnosticBuilder<'_, 'a> {
        let start = self.clamp(span.start);
        let (line, column) = self.line_column(start);
        let line_start = self.line_starts[line - 1];
        let line_end = self.source[line_start..]
            .find('\n')
            .map_or(self.source.len(), |i| line_start + i);
        let source_line = self.source[line_start..line_end].trim_end_matches('\r');
        // The marker ends at the end of the shown line; a span starting on a stripped `\r`
        // (a CRLF file) starts after that end, hence the `max`.
        let line_end = (line_start + source_line.len()).max(start);
        let end = self.floor_char_boundary(span.end.clamp(start, line_end));
        let marker_width = self.source[start..end].chars().count().max(1);
        let path = self.path.to_owned();
        DiagnosticBuilder {
            sink: self,
            offset: start,
            diagnostic: Some(Diagnostic {
                rule,
                message: message.into(),
                path,
                line,
                column,
                help: None,
                notes: Vec::new(),
                source_line: source_line.to_owned(),
                marker_width,
            }),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    pub(crate) fn finish(mut self) -> Report {
        // Stable sort: diagnostics at one position keep the order the rules ran in.
        self.diagnostics.sort_by_key(|(offset, _)| *offset);
        Report {
            diagnostics: self.diagnostics.into_iter().map(|(_, d)| d).collect(),
        }
    }
}

/// Adds the optional parts of a diagnostic; it joins the report when the builder drops.
pub(crate) struct DiagnosticBuilder<'s, 'a> {
    sink: &'s mut Sink<'a>,
    offset: usize,
    diagnostic: Option<Diagnostic>,
}

impl DiagnosticBuilder<'_, '_> {
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        if let Some(d) = &mut self.diagnostic {
            d.help = Some(help.into());
        }
        self
    }

    pub(crate) fn note(mut self, note: impl Into<String>) -> Self {
        if let Some(d) = &mut self.diagnostic {
            d.notes.push(note.into());
        }
        self
    }
}

impl DiagnosticBuilder<'_, '_> {
    /// A note ending in the `file:line:col` of another place in the file.
    pub(crate) fn note_at(self, text: impl std::fmt::Display, offset: usize) -> Self {
        let location = self.sink.location(offset);
        self.note(format!("{text} {location}"))
    }
}

impl Drop for DiagnosticBuilder<'_, '_> {
    fn drop(&mut self) {
        if let Some(diagnostic) = self.diagnostic.take() {
            self.sink.diagnostics.push((self.offset, diagnostic));
        }
    }
}
