//! Exposition: what leaves the process. Each format and each way out is one file here, and
//! each adds its methods to [`Registry`](crate::Registry):
//!
//! - `text.rs`: the Prometheus text format 0.0.4 (`encode_text`), with HELP and label-value
//!   escaping, and the encoder both text formats share;
//! - `openmetrics.rs`: OpenMetrics 1.0 text (`encode_openmetrics`);
//! - `float.rs`: floats spelled as client_golang spells them, shared by every format;
//! - `textfile.rs`: the atomic textfile export for node_exporter (`export_prometheus_textfile`,
//!   [`metrics_path`]), working in one open directory (`directory.rs`);
//! - `periodic.rs`: the background [`TextfileExporter`];
//! - `http.rs` (cargo feature `http`): content negotiation (`negotiate`) and the `/metrics`
//!   server (`serve_http`);
//! - `push.rs` (cargo feature `push`): the push to a Prometheus Pushgateway
//!   (`push_to_gateway`, `pushadd_to_gateway`, `delete_from_gateway`).

mod directory;
mod float;
#[cfg(feature = "http")]
mod http;
mod openmetrics;
mod periodic;
#[cfg(feature = "push")]
mod push;
mod text;
mod textfile;

#[cfg(feature = "http")]
pub use http::{Exposition, HttpServer};
pub use openmetrics::OPENMETRICS_CONTENT_TYPE;
pub use periodic::TextfileExporter;
#[cfg(feature = "push")]
pub use push::{PUSH_TIMEOUT, PushError};
pub use text::TEXT_CONTENT_TYPE;
pub use textfile::{LOG_DIR_ENV, metrics_path};
