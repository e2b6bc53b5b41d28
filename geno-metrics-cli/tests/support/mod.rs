//! What the command-line tests share: reading what a command said, and asserting how it ended.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use std::process::Output;

/// A stream as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The command ended with exit code `code`; on failure, both streams are shown.
pub fn exits(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// One output stream contains `needle`; on failure, the stream is shown.
pub fn says(stream: &[u8], needle: &str) {
    let said = text(stream);
    assert!(said.contains(needle), "{needle:?} not in:\n{said}");
}
