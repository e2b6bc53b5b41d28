//! Exposition: what leaves the process. Each format and each way out is one file here, and
//! each adds its methods to [`Registry`](crate::Registry):
//!
//! - `text.rs`: the Prometheus text format 0.0.4 (`encode_text`), with HELP and label-value
//!   escaping;
//! - `float.rs`: floats spelled as client_golang spells them, shared by every format;
//! - `textfile.rs`: the atomic textfile export for node_exporter (`export_prometheus_textfile`,
//!   [`metrics_path`]), working in one open directory (`directory.rs`);
//! - `periodic.rs`: the background [`TextfileExporter`].

mod directory;
mod float;
mod periodic;
mod text;
mod textfile;

pub use periodic::TextfileExporter;
pub use textfile::{LOG_DIR_ENV, metrics_path};
