//! OpenMetrics 1.0 text, the format Prometheus asks for first when it scrapes.
//!
//! The samples are those of the text format 0.0.4, written by the same encoder (`text.rs`);
//! what differs is each family's metadata and the end:
//!
//! - `# TYPE`, then `# UNIT` when the metric declares a unit, then `# HELP`, each naming the
//!   *family*: a counter's family is its name without `_total` (`# TYPE jobs counter`), its
//!   sample keeps the suffix (`jobs_total 3`), as the OpenMetrics specification requires;
//! - HELP escapes `"` besides `\` and newline (OpenMetrics' `escaped-string`);
//! - a histogram's sum is a counter in OpenMetrics, never negative: a histogram with a negative
//!   bucket bound has no `_sum` and no `_count` (the specification forbids the sum, and readers
//!   refuse a `_count` without one), nor has a series whose sum is negative or NaN (negative
//!   observations into bounds that are all `>= 0`, a misuse for durations and sizes);
//! - the exposition ends with `# EOF`.
//!
//! No `_created` samples: geno-metrics keeps no creation time per series (every series exists
//! from the start of the process, and a histogram's `reset()` would move it), and Prometheus 2
//! stores `_created` only behind a feature flag. client_golang leaves them out by default too.

use std::io::{self, Write};

use super::text::Format;
use crate::registry::Registry;

/// The media type of OpenMetrics 1.0 text, as an HTTP `Content-Type`.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

impl Registry {
    /// Runs the sync hooks, then writes every metric as OpenMetrics 1.0 text: per family
    /// `# TYPE`, `# UNIT` (for a declared unit) and `# HELP`, a counter's family named without
    /// `_total` and its samples with it, a histogram's `_bucket` (`+Inf` last), `_sum` and
    /// `_count` from one consistent snapshot, the constant labels first on every sample, and
    /// `# EOF` last. Floats are spelled as in [`encode_text`](Self::encode_text), `le` values
    /// too, so a series keeps its identity whichever format a scrape negotiates.
    ///
    /// The rules of `metrics.toml` make every exposition valid OpenMetrics (a counter ends
    /// in `_total`, a unit is the name's suffix, no counter's family is another metric's
    /// name). A registry built by hand with [`MetricSpec::new`](crate::MetricSpec::new)
    /// should follow them too; a unit that is not the name's suffix gets no `# UNIT`.
    ///
    /// # Errors
    ///
    /// What writing to `w` returns; an error naming the panic when a sync hook panics; the
    /// constant labels' error when one has no value.
    ///
    /// ```
    /// use geno_metrics::{Counter, Histogram, Metric, MetricKind, MetricSpec, Registry};
    /// static SPECS: [MetricSpec; 2] = [
    ///     MetricSpec::new("demo_jobs_total", MetricKind::Counter, "Jobs \"finished\"."),
    ///     MetricSpec::new("demo_job_duration_seconds", MetricKind::Histogram, "Job time.")
    ///         .with_unit("seconds")
    ///         .with_buckets(&[0.5]),
    /// ];
    /// static JOBS_TOTAL: Counter = Counter::new(&SPECS[0]);
    /// static JOB_DURATION_SECONDS: Histogram<1> = Histogram::new(&SPECS[1]);
    /// static METRICS: Registry = Registry::new(
    ///     &SPECS, &[Metric::Counter(&JOBS_TOTAL), Metric::Histogram(&JOB_DURATION_SECONDS)]);
    ///
    /// JOBS_TOTAL.inc_by(3);
    /// JOB_DURATION_SECONDS.observe(0.25);
    /// let mut text = Vec::new();
    /// METRICS.encode_openmetrics(&mut text)?;
    /// assert_eq!(String::from_utf8(text).unwrap(), r#"# TYPE demo_jobs counter
    /// ## HELP demo_jobs Jobs \"finished\".
    /// demo_jobs_total 3
    /// ## TYPE demo_job_duration_seconds histogram
    /// ## UNIT demo_job_duration_seconds seconds
    /// ## HELP demo_job_duration_seconds Job time.
    /// demo_job_duration_seconds_bucket{le="0.5"} 1
    /// demo_job_duration_seconds_bucket{le="+Inf"} 1
    /// demo_job_duration_seconds_sum 0.25
    /// demo_job_duration_seconds_count 1
    /// ## EOF
    /// "#);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn encode_openmetrics(&self, w: &mut impl Write) -> io::Result<()> {
        self.run_sync_hooks()
            .map_err(|panic| panic.into_io_error())?;
        self.encode_without_hooks(w, Format::OpenMetrics)
    }
}
