//! README.md, as this crate's documentation: `cargo test` compiles and runs every Rust snippet
//! of the README as a doc test, in an edition 2021 crate whose `metrics.toml` is the README's
//! own registry (a test below holds the two equal). A snippet that stops compiling, or stops
//! doing what it says, fails CI.
#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]

#[cfg(test)]
mod tests;
