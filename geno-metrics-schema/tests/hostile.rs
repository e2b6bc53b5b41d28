//! Hostile registries: `parse` is fed arbitrary text and mutated valid registries.
//!
//! Whatever the input, `parse` must return (never panic), every diagnostic of a returned
//! report must point at a real place of the input, and a registry that parses must keep every
//! promise of the validated model. Those checks, and how lines and columns are counted, are in
//! `support/locations.rs` ([`locations::check`]), shared with the fuzz target in `fuzz/`.
//!
//! Case counts are sized to keep this file under ~20 s in a debug build on two cores. Raise
//! them for a deeper run with the standard variable, which overrides the counts below:
//! `PROPTEST_CASES=20000 cargo test -p geno-metrics-schema --test hostile --release`.
//! Failures are not persisted to a regressions file (a clean tree stays clean): a failing
//! case is printed minimised, and belongs in the regression tests at the end of this file.
//! For open-ended searching, `fuzz/` has a cargo-fuzz target running the same checks.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use geno_metrics_schema::parse;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config;

// The properties, as plain functions: the property tests, the regression tests below and the
// fuzz target all call `check`.
#[path = "support/locations.rs"]
mod locations;

use locations::{check, note_location};

// ---------------------------------------------------------------------------------------------
// Inputs.
// ---------------------------------------------------------------------------------------------

/// The project's own registry.
const PROJECT: &str = include_str!("../../metrics.toml");

/// Every kind, without a namespace: a sharded deprecated counter, a gauge with a unit and a
/// multi-line literal summary, a sharded renamed histogram on explicit buckets, escapes.
const PLAIN: &str = r#"# A registry without a namespace.
[registry]
version = "0.1.0-rc.1+build.5"

[[metric]]
name = "jobs_done_total"
kind = "counter"
summary = "Jobs finished; a \"quoted\" word, a \\ backslash, a tab\t and ü."
deprecated = "use jobs_finished_total"
sharded = true

[[metric]]
name = "queue_size_bytes"
kind = "gauge"
unit = "bytes"
summary = '''Bytes waiting,
over two lines.'''

[[metric]]
name = "job_duration_seconds"
kind = "histogram"
unit = "seconds"
summary = "Time per job."
buckets = [0.001, 1, 2.5e1, 1e3]
sharded = true
renamed_from = "job_latency_seconds"
"#;

/// A namespace, constant labels (one through a dotted key), enumerated and free-form labels,
/// a label shared by two metrics, default and explicit buckets, a dotted key, inline tables
/// and an info metric.
const LABELLED: &str = r#"[registry]
namespace = "app"
version = "1.2.3"
const_labels = { rank = { env = "RANK", default = "0" }, run.env = "APP_RUN_ID" }
collectors = ["process", "build_info"]

[[metric]]
name = "app_requests_total"
kind = "counter"
summary = "Requests, by phase and model."
labels = { phase = ["train", "eval"], model = { max_series = 8 } }

[[metric]]
name = "app_step_duration_seconds"
kind = "histogram"
unit = "seconds"
summary = "Step time."
labels = { phase = ["train", "eval"], status = ["ok", "in_progress", "2xx"] }
buckets = [0.5, 1.0]

[[metric]]
name = "app_device_temperature_celsius"
kind = "gauge"
unit = "celsius"
summary = "Device temperature."
labels.device = { max_series = 4 }
deprecated = "read app_device_heat_celsius"

[[metric]]
name = "app_queue_wait_seconds"
kind = "histogram"
summary = "Queue wait, default buckets."

[[metric]]
name = "app_model_info"
kind = "info"
summary = "The model loaded."
labels = ["model", "type"]
"#;

/// The valid texts mutations start from.
const SEEDS: [&str; 3] = [PROJECT, PLAIN, LABELLED];

/// The paths diagnostics are asked to name: plain, with spaces and non-ASCII, with colons
/// (a note's `path:line:col` must still be read right), and empty.
const PATHS: [&str; 4] = [
    "metrics.toml",
    "dir with space/métrics.toml",
    r"C:\reg\metrics:v2.toml",
    "",
];

/// Characters that matter to TOML or to line and column arithmetic.
const SPECIAL_CHARS: &[char] = &[
    '\n',
    '\r',
    '\t',
    ' ',
    '\0',
    '\u{7f}',
    '\u{b}',
    '\u{c}',
    '"',
    '\'',
    '\\',
    '[',
    ']',
    '{',
    '}',
    '=',
    ',',
    '.',
    '#',
    '_',
    '-',
    '+',
    ':',
    'e',
    'E',
    '0',
    '1',
    '9',
    'é',
    'ü',
    '€',
    '中',
    '𝄞',
    '😀',
    '\u{feff}',
    '\u{200b}',
    '\u{2028}',
    '\u{85}',
    '\u{fffd}',
    '\u{10ffff}',
    '\u{301}',
];

/// Fragments of TOML and of the schema, spliced into texts and mutations.
const TOKENS: &[&str] = &[
    "[[metric]]",
    "[metric]",
    "[registry]",
    "[[registry]]",
    "[registry.x]",
    "[[metric.labels]]",
    "name = ",
    "name = \"app_x_total\"",
    "name = \"geno_lewm_train_steps_total\"",
    "name = \"geno_lewm_train_step_duration_seconds_bucket\"",
    "name = \"geno_metrics_dropped_label_values_total\"",
    "name = \"x__y\"",
    "name = \"metrics\"",
    "kind = \"gauge\"",
    "kind = \"counter\"",
    "kind = \"histogram\"",
    "kind = \"summary\"",
    "kind = \"info\"",
    "kind = 1",
    "summary = \"\"",
    "summary = \" \"",
    "summary = \"x\"",
    "unit = \"milliseconds\"",
    "unit = \"seconds\"",
    "unit = \"\"",
    "buckets = [",
    "buckets = []",
    "buckets = [nan, inf, -inf, +inf, -0.0, 0.0]",
    "buckets = [1e308, 1e309, -1e309, 5e-324]",
    "buckets = [0x10, 0o7, 0b1, 1_000, 9223372036854775807, 9223372036854775808]",
    "buckets = [2, 1, 1]",
    "buckets = [\"1\", true, 1979-05-27]",
    "labels = {",
    "labels = {}",
    "labels = { phase = [] }",
    "labels = { phase = [\"a\", \"a\", \"A\", \"\", \"-\"] }",
    "labels = { le = [\"x\"], __x = [\"y\"], Bad = [\"z\"] }",
    "labels = { phase = [\"x\", \"y\"] }",
    "labels = { self = [\"Self\"] }",
    "labels = { m = { max_series = 0 } }",
    "labels = [\"model\", \"model\"]",
    "collectors = [\"process\", \"process\", \"proc\", 1]",
    "collectors = []",
    "name = \"process_open_fds\"",
    "name = \"app_build_info\"",
    "labels = [\"le\", 1, \"\"]",
    "labels = []",
    "name = \"app_x_info\"",
    "labels = { m = { max_series = 1023 }, n = { max_series = 1023 } }",
    "labels = { m = { max_series = -9223372036854775808 } }",
    "labels = { m = { max_series = 99999999999999999999 } }",
    "labels = { m = { maxseries = 1 } }",
    "labels = { m = 3 }",
    "labels = []",
    "max_series = 0",
    "max_series = ",
    "deprecated = \"\"",
    "renamed_from = \"\"",
    "renamed_from = \"app_x_total\"",
    "renamed_from = \"geno_lewm_train_loss\"",
    "sharded = true",
    "sharded = \"yes\"",
    "namespace = \"\"",
    "namespace = \"x_\"",
    "namespace = \"Ä\"",
    "version = \"\"",
    "version = \"1\"",
    "version = 1.0",
    "nmae = \"x\"",
    "metric = 1",
    "registry = []",
    "a.b.c = 1",
    "\"quoted key\" = 1",
    "_total",
    "_bucket",
    "_seconds",
    "_ms",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "\\",
    "\\u0000",
    "\\uD800",
    "\\U0010FFFF",
    "\\UFFFFFFFF",
    "=",
    "= =",
    ",",
    "[",
    "]",
    "{",
    "}",
    "#",
    "# comment é",
    "\n",
    "\r\n",
    "\r",
    "1e308",
    "1e309",
    "nan",
    "-nan",
    "inf",
    "-0.0",
    "+1",
    "0x",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "true",
    "é",
    "𝄞",
];

/// A character biased towards the ones that matter to TOML and to column arithmetic.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        4 => select(SPECIAL_CHARS),
        3 => proptest::char::range('a', 'z'),
    ]
}

/// A long token: a long string, key or number, to find quadratic or overflowing paths.
fn long_token() -> impl Strategy<Value = String> {
    (1usize..20_000, 0..4u8).prop_map(|(n, shape)| match shape {
        0 => format!("\"{}\"", "x".repeat(n)),
        1 => "a".repeat(n),
        2 => "9".repeat(n.min(400)),
        _ => format!("[{}]", "1.0, ".repeat(n.min(2_000))),
    })
}

/// One fragment: mostly from [`TOKENS`], sometimes long.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => select(TOKENS).prop_map(str::to_owned),
        1 => long_token(),
    ]
}

/// Arbitrary text: raw characters, or fragments and characters strung together.
fn arbitrary_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<char>(), 0..64).prop_map(String::from_iter),
        proptest::collection::vec(hostile_char(), 0..256).prop_map(String::from_iter),
        proptest::collection::vec(
            prop_oneof![
                2 => token(),
                1 => hostile_char().prop_map(String::from),
                1 => Just(" = ".to_owned()),
            ],
            0..48,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// One edit of a registry. Positions are [`Index`]es, resolved against the text as it is
/// when the edit applies; every edit works on whole characters, so the text stays UTF-8.
#[derive(Debug, Clone)]
enum Mutation {
    /// Delete up to `len` characters starting at a character.
    DeleteChars(Index, usize),
    /// Replace a character.
    ReplaceChar(Index, char),
    /// Insert a character before a character (or at the end).
    InsertChar(Index, char),
    /// Insert a fragment before a character (or at the end).
    InsertToken(Index, String),
    /// Insert a fragment as a line of its own.
    InsertLine(Index, String),
    /// Repeat a line right after itself.
    DuplicateLine(Index),
    /// Remove a line.
    DeleteLine(Index),
    /// Exchange two lines.
    SwapLines(Index, Index),
    /// Repeat a `[[metric]]` table (header to next header) at the end: a duplicate name, and
    /// with further edits, colliding series, conflicting labels, clashing type names.
    DuplicateTable(Index),
    /// Keep the key of a line (the text before its first `=`) and write a fragment after it.
    ReplaceValue(Index, String),
    /// Keep the value of a line (from its first `=`) and write a fragment before it.
    ReplaceKey(Index, String),
    /// Replace a word (a run of letters, digits and `_.+-`, quoted or not): a name, a number,
    /// a kind, a label value.
    ReplaceWord(Index, String),
    /// Cut the text at a character.
    Truncate(Index),
    /// Turn every `\n` into `\r\n`.
    Crlf,
}

/// Values to write after a key's `=`.
const VALUES: &[&str] = &[
    "\"gauge\"",
    "\"counter\"",
    "\"histogram\"",
    "\"summary\"",
    "\"\"",
    "\" \"",
    "\"\\u0000\"",
    "\"é\\n𝄞\"",
    "\"\"\"multi\nline\"\"\"",
    "'lit'",
    "1e308",
    "1e309",
    "nan",
    "-nan",
    "+inf",
    "-inf",
    "-0.0",
    "0",
    "-1",
    "1023",
    "1024",
    "9223372036854775807",
    "9223372036854775808",
    "0x7fffffffffffffff",
    "0b1",
    "0o7",
    "1_000",
    "true",
    "[]",
    "{}",
    "[1, 1]",
    "[2, 1]",
    "[nan]",
    "[inf]",
    "[0.1, \"x\"]",
    "[[1], [2]]",
    "{ max_series = 0 }",
    "{ rank = { env = \"RANK\" } }",
    "{ job = { env = \"JOB\" }, phase = { env = \"1X\", default = \"\" } }",
    "{ rank = \"RANK\" }",
    "{ env = \"RANK\", default = \" \" }",
    "{ max_series = 1023 }",
    "{ max_series = 1024 }",
    "{ a = [\"x\"], b = [\"X\"] }",
    "[\"\", \" \"]",
    "[\"a-b\", \"a_b\"]",
    "[\"Self\"]",
    "[\"é\"]",
    "\"1.0.0-alpha+build\"",
    "\"01.0.0\"",
    "\"geno_lewm_train_steps_total\"",
    "\"geno_lewm_train_step_duration_seconds_count\"",
    "\"geno_lewm_x_ms\"",
    "\"geno_lewm_2xx_total\"",
    "\"app\"",
    "1979-05-27T07:32:00Z",
    "",
    "=",
];

/// Keys to write before a line's `=`.
const KEYS: &[&str] = &[
    "name",
    "nmae",
    "kind",
    "unit",
    "summary",
    "buckets",
    "bucket",
    "labels",
    "deprecated",
    "renamed_from",
    "sharded",
    "namespace",
    "version",
    "const_labels",
    "env",
    "default",
    "max_series",
    "metric",
    "registry",
    "labels.x",
    "\"name\"",
    "'kind'",
    "é",
    "",
];

/// Words to put in place of a word of the registry.
const WORDS: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "1e309",
    "-1",
    "0",
    "1",
    "1024",
    "0.0",
    "-0.0",
    "1_0",
    "counter",
    "gauge",
    "histogram",
    "info",
    "summary",
    "true",
    "seconds",
    "milliseconds",
    "bytes",
    "ms",
    "total",
    "train",
    "Train",
    "le",
    "Self",
    "2xx",
    "x__y",
    "app_x_total",
    "geno_lewm_train_loss",
    "geno_lewm_train_steps_total",
    "geno_lewm",
    "geno_lewm_",
    "é",
    "",
];

/// A line to insert: usually a well-formed `key = value` or header, so the text stays TOML
/// and reaches the validator; sometimes any fragment.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (select(KEYS), select(VALUES)).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => select(&["[[metric]]", "[registry]", "[metric]", "", "# note"][..]).prop_map(str::to_owned),
        2 => token(),
    ]
}

/// One [`Mutation`]. Most keep the text TOML, so the semantic rules run too; the rest break
/// the syntax in every way at hand.
fn mutation() -> impl Strategy<Value = Mutation> {
    let index = any::<Index>;
    prop_oneof![
        1 => (index(), 1usize..40).prop_map(|(at, len)| Mutation::DeleteChars(at, len)),
        1 => (index(), hostile_char()).prop_map(|(at, c)| Mutation::ReplaceChar(at, c)),
        1 => (index(), hostile_char()).prop_map(|(at, c)| Mutation::InsertChar(at, c)),
        1 => (index(), token()).prop_map(|(at, t)| Mutation::InsertToken(at, t)),
        4 => (index(), line()).prop_map(|(at, l)| Mutation::InsertLine(at, l)),
        2 => index().prop_map(Mutation::DuplicateLine),
        2 => index().prop_map(Mutation::DeleteLine),
        2 => (index(), index()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        2 => index().prop_map(Mutation::DuplicateTable),
        6 => (index(), select(VALUES)).prop_map(|(at, v)| Mutation::ReplaceValue(at, v.to_owned())),
        3 => (index(), select(KEYS)).prop_map(|(at, k)| Mutation::ReplaceKey(at, k.to_owned())),
        6 => (index(), select(WORDS)).prop_map(|(at, w)| Mutation::ReplaceWord(at, w.to_owned())),
        1 => index().prop_map(Mutation::Truncate),
        1 => Just(Mutation::Crlf),
    ]
}

/// The indices of the lines holding a `=` (all lines when none does).
fn assignments(lines: &[String]) -> Vec<usize> {
    let with_equals: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains('='))
        .collect();
    if with_equals.is_empty() {
        (0..lines.len()).collect()
    } else {
        with_equals
    }
}

/// Applies one mutation.
fn mutate(text: &str, mutation: &Mutation) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    // A character position, the end of the text included.
    let char_at = |at: &Index, chars: &[char]| at.index(chars.len() + 1);
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    let joined = |lines: Vec<String>| lines.join("\n");
    match mutation {
        Mutation::DeleteChars(at, len) => {
            let start = char_at(at, &chars);
            let end = (start + len).min(chars.len());
            chars.drain(start..end);
        }
        Mutation::ReplaceChar(at, c) => {
            if !chars.is_empty() {
                let i = at.index(chars.len());
                chars[i] = *c;
            }
        }
        Mutation::InsertChar(at, c) => {
            let i = char_at(at, &chars);
            chars.insert(i, *c);
        }
        Mutation::InsertToken(at, token) => {
            let i = char_at(at, &chars);
            chars.splice(i..i, token.chars());
        }
        Mutation::InsertLine(at, token) => {
            let i = at.index(lines.len() + 1);
            lines.insert(i, token.clone());
            return joined(lines);
        }
        Mutation::DuplicateLine(at) => {
            let i = at.index(lines.len());
            lines.insert(i, lines[i].clone());
            return joined(lines);
        }
        Mutation::DeleteLine(at) => {
            lines.remove(at.index(lines.len()));
            return joined(lines);
        }
        Mutation::SwapLines(a, b) => {
            let (a, b) = (a.index(lines.len()), b.index(lines.len()));
            lines.swap(a, b);
            return joined(lines);
        }
        Mutation::DuplicateTable(at) => {
            let headers: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].trim() == "[[metric]]")
                .collect();
            if let Some(&start) = (!headers.is_empty()).then(|| at.get(&headers)) {
                let end = (start + 1..lines.len())
                    .find(|&i| lines[i].trim_start().starts_with('['))
                    .unwrap_or(lines.len());
                let table = lines[start..end].to_vec();
                lines.push(String::new());
                lines.extend(table);
            }
            return joined(lines);
        }
        Mutation::ReplaceValue(at, value) => {
            let i = *at.get(&assignments(&lines));
            let line = &mut lines[i];
            let key = line.split_once('=').map_or(line.as_str(), |(k, _)| k);
            *line = format!("{} = {value}", key.trim_end());
            return joined(lines);
        }
        Mutation::ReplaceKey(at, key) => {
            let i = *at.get(&assignments(&lines));
            let line = &mut lines[i];
            let value = line.split_once('=').map_or("", |(_, v)| v);
            *line = format!("{key} ={value}");
            return joined(lines);
        }
        Mutation::ReplaceWord(at, word) => {
            let in_word = |c: char| c.is_alphanumeric() || "_.+-".contains(c);
            // Character ranges of the words.
            let mut words = Vec::new();
            let mut start = None;
            for (i, &c) in chars.iter().chain(std::iter::once(&' ')).enumerate() {
                match (in_word(c), start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        words.push(s..i);
                        start = None;
                    }
                    _ => {}
                }
            }
            if !words.is_empty() {
                let range = at.get(&words).clone();
                chars.splice(range, word.chars());
            }
        }
        Mutation::Truncate(at) => {
            let i = char_at(at, &chars);
            chars.truncate(i);
        }
        Mutation::Crlf => return text.replace('\n', "\r\n"),
    }
    chars.into_iter().collect()
}

/// A seed with one to four mutations applied in turn.
fn mutated_registry() -> impl Strategy<Value = String> {
    (
        select(&SEEDS[..]),
        proptest::collection::vec(mutation(), 1..5),
    )
        .prop_map(|(seed, mutations)| {
            mutations
                .iter()
                .fold(seed.to_owned(), |text, m| mutate(&text, m))
        })
}

/// The proptest configuration: `cases` unless `PROPTEST_CASES` says otherwise (the
/// `proptest!` macro applies the environment over this), and no regressions file.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(3_000))]

    /// Any text at all: no panic, and every diagnostic points into the text.
    #[test]
    fn arbitrary_text_never_panics_and_points_into_the_input(
        text in arbitrary_text(),
        path in select(&PATHS[..]),
    ) {
        let _ = check(&text, path);
    }
}

proptest! {
    #![proptest_config(config(4_000))]

    /// Valid registries, damaged: no panic, real positions, a usable model when it parses,
    /// and the same answer every time.
    #[test]
    fn mutated_registries_never_panic_and_point_into_the_input(
        text in mutated_registry(),
        path in select(&PATHS[..]),
    ) {
        let first = check(&text, path);
        prop_assert_eq!(first, parse(&text, path), "parse is deterministic");
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic cases.
// ---------------------------------------------------------------------------------------------

/// The seeds are valid, so mutations start from a registry that parses.
#[test]
fn every_seed_is_valid() {
    for seed in SEEDS {
        let registry = check(seed, "seed.toml").unwrap_or_else(|report| panic!("{report}"));
        assert!(!registry.metrics.is_empty());
        // The CRLF twin parses to the same registry, but for the line ending a multi-line
        // string keeps (TOML lets parsers keep it).
        let crlf = seed.replace('\n', "\r\n");
        let mut twin = check(&crlf, "seed.toml").unwrap_or_else(|report| panic!("{report}"));
        for metric in &mut twin.metrics {
            metric.summary = metric.summary.replace("\r\n", "\n");
        }
        assert_eq!(twin, registry);
    }
}

/// The checker itself reads notes' locations, with colons in the path too.
#[test]
fn note_locations_are_read() {
    assert_eq!(
        note_location("first declared at m.toml:3:9", "m.toml"),
        Some((3, 9))
    );
    assert_eq!(
        note_location(r"at C:\x\m:v2.toml:12:1", r"C:\x\m:v2.toml"),
        Some((12, 1))
    );
    assert_eq!(note_location("at :4:2", ""), Some((4, 2)));
    assert_eq!(note_location("series = 2 a x 3 b", "m.toml"), None);
}

/// Notes that point elsewhere in the file are checked, not skipped: each rule that uses
/// them, once, with the note's position checked against the text.
#[test]
fn located_notes_point_into_the_input() {
    let header = "[registry]\nnamespace = \"app\"\nversion = \"1.0.0\"\n";
    let cases = [
        // duplicate-name
        "[[metric]]\nname = \"app_a_total\"\nkind = \"counter\"\nsummary = \"é\"\n\
         [[metric]]\nname = \"app_a_total\"\nkind = \"counter\"\nsummary = \"b\"\n",
        // namespace-prefix
        "[[metric]]\nname = \"other_total\"\nkind = \"counter\"\nsummary = \"x\"\n",
        // buckets-not-increasing
        "[[metric]]\nname = \"app_h\"\nkind = \"histogram\"\nsummary = \"x\"\nbuckets = [\n  2,\n  1,\n]\n",
        // duplicate-label-value, label-value-ident
        "[[metric]]\nname = \"app_c_total\"\nkind = \"counter\"\nsummary = \"x\"\nlabels = { p = [\"a\", \"a\", \"b-c\", \"b_c\"] }\n",
        // series-collision
        "[[metric]]\nname = \"app_h\"\nkind = \"histogram\"\nsummary = \"x\"\n\
         [[metric]]\nname = \"app_h_sum\"\nkind = \"gauge\"\nsummary = \"x\"\n",
        // label-conflict
        "[[metric]]\nname = \"app_one_total\"\nkind = \"counter\"\nsummary = \"x\"\nlabels = { p = [\"a\"] }\n\
         [[metric]]\nname = \"app_two_total\"\nkind = \"counter\"\nsummary = \"x\"\nlabels = { p = [\"b\"] }\n",
    ];
    for metrics in cases {
        let source = format!("{header}{metrics}");
        let report = check(&source, "m:1.toml").unwrap_err();
        let located = report
            .diagnostics
            .iter()
            .flat_map(|d| &d.notes)
            .filter(|n| note_location(n, "m:1.toml").is_some())
            .count();
        assert!(located >= 1, "no located note in\n{report}");
    }
}

/// Inputs at the edges of line counting: empty, only line endings, no final newline, a BOM,
/// stray and doubled `\r`, a `\r` at the very end, other Unicode line separators.
#[test]
fn line_counting_edges() {
    for source in [
        "",
        "\n",
        "\r",
        "\r\n",
        "\n\n\n",
        "\r\r\r\n",
        "x",
        "[registry]",
        "[registry]\n",
        "[registry]\nversion = \"1.0.0\"",
        "[registry]\nversion = \"1.0.0\"\r",
        "[registry]\r\r\nversion = 1\r\r\n",
        "[registry]\rversion = \"1.0.0\"\n",
        "\u{feff}[registry]\nversion = 1\n",
        "\u{feff}\u{feff}\n\u{feff}",
        "[registry]\u{2028}version = \"1.0.0\"\u{85}\n",
        "[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"a_total\"\nsummary = \"\u{0}\"\n",
        "[registry]\nversion = \"1.0.0\n",
        "[registry]\nversion = '''1.0.0",
        "[registry]\nversion = \"\"\"1.0.0\n\n",
        "a = [\n\n\n",
        "a = {\n",
        "[[metric]]\n\t\tname\t=\t\"😀\"\t\n",
    ] {
        let _ = check(source, "edge.toml");
    }
}

/// Multi-byte characters before the error: the column counts characters.
#[test]
fn columns_after_multibyte_characters() {
    let source = "[registry]\nversion = \"1.0.0\"\n[[metric]]\nsummary = \"𝄞é中\"; name = 1\n";
    let report = check(source, "m.toml").unwrap_err();
    let d = &report.diagnostics[0];
    assert_eq!(
        (d.rule, d.line, d.column),
        ("toml-syntax", 4, 16),
        "{report}"
    );
}

/// Deep nesting, huge numbers and long texts are reported, not crashed on.
#[test]
fn extreme_values() {
    let header = "[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"h\"\nkind = \"histogram\"\nsummary = \"x\"\n";
    for tail in [
        // A thousand equal bounds: a thousand diagnostics, each with a note, on one long line.
        format!("buckets = [{}]\n", "1.0, ".repeat(1_000)),
        format!("buckets = [{}1]\n", "9".repeat(400)),
        format!("buckets = [1e{}]\n", "9".repeat(40)),
        format!("labels = {{ m = {{ max_series = {} }} }}\n", "9".repeat(40)),
        format!("summary2 = \"{}\"\n", "é".repeat(50_000)),
        format!("deep = {}{}\n", "[".repeat(200), "]".repeat(200)),
        format!("deep = {}\n", "{ a = ".repeat(200)),
    ] {
        let _ = check(&format!("{header}{tail}"), "m.toml");
    }
}

/// Regression: the marker under a line indented with tabs was padded with spaces only, so a
/// terminal showed it left of the column (a tab expands to several columns).
#[test]
fn tabs_before_the_column_are_mirrored_in_the_marker() {
    let source = "[registry]\n\tversion\t=\t1\n";
    let report = check(source, "m.toml").unwrap_err();
    let rendered = report.to_string();
    assert!(
        rendered.contains("\n2 | \tversion\t=\t1\n  | \t       \t \t^\n"),
        "{rendered}"
    );
}

/// Regression: a byte order mark opening the file was counted as a column of line 1, so
/// every column there was one right of where editors (and rustc) put it.
#[test]
fn a_byte_order_mark_is_not_a_column() {
    for (source, position) in [
        ("\u{feff}[registry] x\nversion = \"1.0.0\"\n", (1, 12)),
        ("\u{feff}version = 1\n", (1, 1)),
        ("\u{feff}", (1, 1)),
    ] {
        let report = check(source, "m.toml").unwrap_err();
        let d = &report.diagnostics[0];
        assert_eq!((d.line, d.column), position, "{report}");
        assert!(!d.source_line().starts_with('\u{feff}'), "{report}");
    }
    // The same registry with and without a byte order mark.
    let with = format!("\u{feff}{PLAIN}");
    assert_eq!(check(&with, "m.toml"), check(PLAIN, "m.toml"));
}
