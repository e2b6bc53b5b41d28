//! Push to a Prometheus Pushgateway (cargo feature `push`): the text format 0.0.4 sent over
//! HTTP to the group a job name and a grouping key name.
//!
//! The conventions are the Pushgateway's (its README, "API") and client_python's, whose
//! function names the three methods take (`push_to_gateway`, `pushadd_to_gateway`,
//! `delete_from_gateway`): `PUT` replaces every metric of the group, `POST` only the metrics
//! of the names pushed, `DELETE` removes the group. The group's URL is
//! `<gateway>/metrics/job/<job>{/<label>/<value>}`; [`group_path`] encodes each value as the
//! gateway reads it back. The request goes out with ureq, without TLS (see
//! [`Registry::push_to_gateway`] for why), with a deadline of [`PUSH_TIMEOUT`].

use std::error::Error;
use std::fmt;
use std::io::{self, Read};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::text::TEXT_CONTENT_TYPE;
use crate::labels::DROPPED_LABEL_VALUES_METRIC;
use crate::registry::Registry;
use crate::spec::{LabelValues, MetricKind};

/// How long one push, push-add or delete may take in all: resolving the host, connecting,
/// sending and reading the answer. A gateway that is down, unreachable or hangs gives
/// [`PushError::Timeout`] (or a [`PushError::Transport`] error, sooner) within it, never a
/// hang.
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// The most characters of a gateway's error message that a [`PushError::Rejected`] keeps.
const MAX_MESSAGE_CHARS: usize = 1_000;
/// The most bytes of an error answer's body that are read.
const MAX_MESSAGE_BYTES: u64 = 16 * 1024;

/// The request a push method makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// `push_to_gateway`: replace the group.
    Put,
    /// `pushadd_to_gateway`: replace the metrics of the names pushed.
    Post,
    /// `delete_from_gateway`: remove the group.
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

impl Registry {
    /// Pushes every metric of the registry to the Pushgateway at `url`, into the group of
    /// `job` and `grouping_key`, replacing every metric the group held (HTTP `PUT`).
    ///
    /// Push when a process ends before Prometheus would scrape it: a batch or training job
    /// pushes its final values once at the end, and the gateway keeps them for Prometheus to
    /// scrape (with `honor_labels: true`, so the pushed `job` and grouping labels stay as
    /// pushed). A long-running service is better scraped: see `serve_http` (feature `http`).
    ///
    /// **The request.** `url` is the gateway's address, `http://host:port` or `host:port`
    /// (http:// is then assumed, as client_python assumes it), with or without a trailing
    /// slash, and may carry a path prefix (`http://host/pushgateway` for a gateway run with
    /// `--web.route-prefix`). The group's URL is `<url>/metrics/job/<job>` followed by
    /// `/<label>/<value>` for each pair of `grouping_key`, in the order given, each value
    /// encoded as the Pushgateway's README says: percent-encoded, or, when it is empty,
    /// contains `/` or is `.` or `..` (which an HTTP router would take for path steps), in
    /// base64url after `<label>@base64/` (an empty value as `=`). The body is the text
    /// format 0.0.4, as [`encode_text`](Self::encode_text) writes it (the sync hooks run, and
    /// every series carries the constant labels), sent as [`TEXT_CONTENT_TYPE`].
    ///
    /// **The grouping key.** Each process whose values must not replace another's needs its
    /// own group: give the labels that tell them apart, typically the registry's constant
    /// labels (`rank`), so that each rank replaces only its own group. The gateway sets the
    /// grouping labels on every series it stores for the group, replacing a series' own
    /// value of that label: so a grouping label that is also a constant label must have the
    /// constant label's value, and one that a metric declares (or `le`, of a histogram) is
    /// refused, since every series of that metric would become one.
    ///
    /// **Transport.** Plain HTTP: a Pushgateway on a cluster network is reached over
    /// `http://`, and TLS would add a TLS stack (rustls, ring, root certificates) to every
    /// user of the feature. An `https://` URL is refused before sending: reach such a
    /// gateway through a local proxy that adds TLS (stunnel, an Envoy or nginx sidecar). The
    /// request connects directly: proxy environment variables (`HTTP_PROXY`, ...) are not
    /// read, so a proxy meant for the internet never carries it. Redirects are not
    /// followed. The whole request has [`PUSH_TIMEOUT`] (10 s), connecting included.
    ///
    /// # Errors
    ///
    /// Before anything is sent, [`PushError::InvalidUrl`], [`PushError::EmptyJob`],
    /// [`PushError::InvalidGroupingKey`], [`PushError::ConstLabelConflict`] and
    /// [`PushError::Encoding`] (a sync hook panicked, a constant label has no value); then
    /// [`PushError::Transport`] (no connection), [`PushError::Timeout`] and
    /// [`PushError::Rejected`] (the gateway answered other than 2xx, e.g. `400` for metrics
    /// inconsistent with those of other groups). Every error names the URL.
    ///
    /// ```no_run
    /// # mod metrics {
    /// #     geno_metrics::registry!("examples/fleet.toml");
    /// # }
    /// use metrics::{METRICS, STEPS_TOTAL};
    ///
    /// STEPS_TOTAL.inc_by(1000);
    /// // At the end of the job, grouped by the constant labels (rank, run): each process
    /// // replaces its own group, never another's.
    /// let labels = METRICS.const_labels()?;
    /// let grouping_key: Vec<(&str, &str)> = labels.iter().map(|(name, value)| (*name, &**value)).collect();
    /// METRICS.push_to_gateway("http://pushgateway:9091", "demo_training", &grouping_key)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_to_gateway(
        &self,
        url: &str,
        job: &str,
        grouping_key: &[(&str, &str)],
    ) -> Result<(), PushError> {
        self.use_gateway(Method::Put, url, job, grouping_key)
    }

    /// Pushes every metric of the registry to the group of `job` and `grouping_key` on the
    /// Pushgateway at `url`, replacing only the group's metrics of the same names (HTTP
    /// `POST`): metrics of other names, pushed before by another part of the job, stay.
    ///
    /// Everything else is as for [`push_to_gateway`](Self::push_to_gateway): the URL, the
    /// encoding of the grouping key, the body, the timeout of [`PUSH_TIMEOUT`].
    ///
    /// # Errors
    ///
    /// As [`push_to_gateway`](Self::push_to_gateway)'s.
    ///
    /// ```no_run
    /// # mod metrics {
    /// #     geno_metrics::registry!("examples/quickstart.toml");
    /// # }
    /// // A nightly batch job adds its figures to the group its first stage pushed.
    /// metrics::METRICS.pushadd_to_gateway("127.0.0.1:9091", "demo_nightly", &[])?;
    /// # Ok::<(), geno_metrics::PushError>(())
    /// ```
    pub fn pushadd_to_gateway(
        &self,
        url: &str,
        job: &str,
        grouping_key: &[(&str, &str)],
    ) -> Result<(), PushError> {
        self.use_gateway(Method::Post, url, job, grouping_key)
    }

    /// Deletes the group of `job` and `grouping_key` from the Pushgateway at `url`, with all
    /// its metrics (HTTP `DELETE`, without a body): for a job whose values should no longer
    /// be scraped. Groups of the same job with other grouping keys stay. Deleting a group
    /// that does not exist succeeds.
    ///
    /// The URL and the grouping key are as for [`push_to_gateway`](Self::push_to_gateway);
    /// since nothing is pushed, the registry is not encoded, and the grouping key is not
    /// compared with its labels.
    ///
    /// # Errors
    ///
    /// As [`push_to_gateway`](Self::push_to_gateway)'s, except
    /// [`PushError::ConstLabelConflict`] and [`PushError::Encoding`].
    ///
    /// ```no_run
    /// # mod metrics {
    /// #     geno_metrics::registry!("examples/quickstart.toml");
    /// # }
    /// metrics::METRICS.delete_from_gateway("http://pushgateway:9091/", "demo_nightly", &[("stage", "load")])?;
    /// # Ok::<(), geno_metrics::PushError>(())
    /// ```
    pub fn delete_from_gateway(
        &self,
        url: &str,
        job: &str,
        grouping_key: &[(&str, &str)],
    ) -> Result<(), PushError> {
        self.use_gateway(Method::Delete, url, job, grouping_key)
    }

    /// Checks the arguments, encodes the registry (unless deleting) and sends the request.
    fn use_gateway(
        &self,
        method: Method,
        url: &str,
        job: &str,
        grouping_key: &[(&str, &str)],
    ) -> Result<(), PushError> {
        let name = method.as_str();
        let base = gateway_base(url).map_err(|reason| PushError::InvalidUrl {
            method: name,
            url: url.to_owned(),
            reason,
        })?;
        let full = format!("{base}{}", group_path(job, grouping_key));
        if job.is_empty() {
            return Err(PushError::EmptyJob {
                method: name,
                url: full,
            });
        }
        if let Err((label, problem)) = check_grouping_key(grouping_key) {
            return Err(PushError::InvalidGroupingKey {
                method: name,
                url: full,
                label,
                problem,
            });
        }
        let body = if method == Method::Delete {
            None
        } else {
            if let Err(conflict) = self.check_against_series(grouping_key) {
                return Err(conflict.into_error(name, full));
            }
            let mut body = Vec::with_capacity(16 * 1024);
            if let Err(error) = self.encode_text(&mut body) {
                return Err(PushError::Encoding {
                    method: name,
                    url: full,
                    error,
                });
            }
            Some(body)
        };
        send(method, &full, body.as_deref())
    }

    /// Whether the grouping key can go with this registry's series: a constant label only
    /// with its own value, a label a series carries for itself never.
    fn check_against_series(&self, grouping_key: &[(&str, &str)]) -> Result<(), Conflict> {
        if grouping_key.is_empty() {
            return Ok(());
        }
        let const_labels = self
            .const_labels()
            .map_err(|e| Conflict::Encoding(e.into()))?;
        for (label, value) in grouping_key {
            if let Some((_, own)) = const_labels.iter().find(|(name, _)| name == label) {
                if **own != **value {
                    return Err(Conflict::ConstLabel {
                        label: (*label).to_owned(),
                        value: (*value).to_owned(),
                        const_value: own.to_string(),
                    });
                }
                continue;
            }
            if let Some(carrier) = self.series_label_carrier(label) {
                return Err(Conflict::SeriesLabel {
                    label: (*label).to_owned(),
                    carrier,
                });
            }
        }
        Ok(())
    }

    /// The metric whose series carry `label` for themselves, if one does: a label a metric
    /// declares, `le` of a histogram, `metric` and `label` of the dropped-values counter
    /// (there when a metric has a free-form label).
    fn series_label_carrier(&self, label: &str) -> Option<&'static str> {
        self.specs()
            .iter()
            .find_map(|spec| {
                let declares = spec.labels.iter().any(|l| l.name == label);
                let bucket = spec.kind == MetricKind::Histogram && label == "le";
                (declares || bucket).then_some(spec.name)
            })
            .or_else(|| {
                let free_form = self
                    .specs()
                    .iter()
                    .flat_map(|s| s.labels)
                    .any(|l| matches!(l.values, LabelValues::FreeForm { .. }));
                (free_form && matches!(label, "metric" | "label"))
                    .then_some(DROPPED_LABEL_VALUES_METRIC)
            })
    }
}

/// A grouping key the registry's series cannot go with, found before the URL is at hand.
enum Conflict {
    ConstLabel {
        label: String,
        value: String,
        const_value: String,
    },
    SeriesLabel {
        label: String,
        carrier: &'static str,
    },
    Encoding(io::Error),
}

impl Conflict {
    fn into_error(self, method: &'static str, url: String) -> PushError {
        match self {
            Conflict::ConstLabel {
                label,
                value,
                const_value,
            } => PushError::ConstLabelConflict {
                method,
                url,
                label,
                value,
                const_value,
            },
            Conflict::SeriesLabel { label, carrier } => PushError::InvalidGroupingKey {
                method,
                url,
                problem: format!(
                    "is a label the series of `{carrier}` carry for themselves: the gateway would give every one of them the grouping key's value, making them one; choose another label name for the group"
                ),
                label,
            },
            Conflict::Encoding(error) => PushError::Encoding { method, url, error },
        }
    }
}

/// The gateway's base URL from what the caller gave: `http://` added when there is no
/// scheme, trailing slashes removed. `Err` says what is wrong with it.
fn gateway_base(url: &str) -> Result<String, String> {
    if url.trim().is_empty() {
        return Err(
            "the gateway's URL is empty: give its address, e.g. \"http://pushgateway:9091\"".into(),
        );
    }
    if url.trim() != url {
        return Err("the gateway's URL starts or ends with white space: remove it".into());
    }
    let lower = url.to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &url["http://".len()..]
    } else if lower.starts_with("https://") {
        return Err("https:// is not supported: this crate pushes over plain HTTP, without a TLS stack; use the gateway's http:// address on the cluster network, or a local proxy that adds TLS".into());
    } else if let Some((scheme, _)) = url.split_once("://") {
        return Err(format!(
            "the scheme `{scheme}` is not supported: give an http:// URL, or host:port"
        ));
    } else {
        url
    };
    if rest.contains(['?', '#']) {
        return Err(
            "the gateway's URL has a query or a fragment: give only http://host:port, and a path prefix if the gateway has one"
                .into(),
        );
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err("the gateway's URL has no host: give http://host:port".into());
    }
    Ok(format!("http://{}", rest.trim_end_matches('/')))
}

/// The path of a group on the Pushgateway: `/metrics/job/<job>{/<label>/<value>}`, every
/// name and value encoded as one path segment the gateway decodes back to exactly it (its
/// README, "URL").
///
/// A value that is empty, contains `/`, or is `.` or `..` goes in base64url (RFC 4648 §5,
/// without padding, as client_golang writes it; empty as `=`) after `<label>@base64`: a `/`,
/// even percent-encoded, would split the segment, an empty segment disappears when the
/// router cleans the path, and so do `.` and `..`. Any other value is percent-encoded,
/// every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) as `%XX`, so a
/// space is `%20` and a `+` is `%2B` (the gateway decodes the path, not a query: a `+` stays
/// a `+`). Names are written the same way, which leaves a valid label name as it is.
pub(crate) fn group_path(job: &str, grouping_key: &[(&str, &str)]) -> String {
    let mut path = String::from("/metrics");
    push_pair(&mut path, "job", job);
    for (label, value) in grouping_key {
        push_pair(&mut path, label, value);
    }
    path
}

/// Appends `/<name>/<value>`, or `/<name>@base64/<base64url of value>`.
fn push_pair(path: &mut String, name: &str, value: &str) {
    path.push('/');
    percent_encode(path, name);
    if value.is_empty() {
        path.push_str("@base64/=");
    } else if value.contains('/') || value == "." || value == ".." {
        path.push_str("@base64/");
        URL_SAFE_NO_PAD.encode_string(value, path);
    } else {
        path.push('/');
        percent_encode(path, value);
    }
}

/// Appends `text` with every byte but the unreserved characters as `%XX`.
fn percent_encode(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

/// Checks the grouping key's label names: each a Prometheus label name
/// (`[a-zA-Z_][a-zA-Z0-9_]*`), not reserved (`__` prefix), not `job` (the job is its own
/// argument), given once. `Err` is the label and what is wrong, with what to do.
fn check_grouping_key(grouping_key: &[(&str, &str)]) -> Result<(), (String, String)> {
    for (i, (label, _)) in grouping_key.iter().enumerate() {
        let mut bytes = label.bytes();
        let valid = bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let problem = if !valid {
            "is not a label name: use letters, digits and `_`, not starting with a digit"
        } else if label.starts_with("__") {
            "starts with `__`, which Prometheus reserves for itself: drop the leading underscores"
        } else if *label == "job" {
            "is the job: give it as the `job` argument, not in the grouping key"
        } else if grouping_key[..i]
            .iter()
            .any(|(earlier, _)| earlier == label)
        {
            "is given twice: give each grouping label once"
        } else {
            continue;
        };
        return Err(((*label).to_owned(), problem.to_owned()));
    }
    Ok(())
}

/// Sends the request and reads the answer: `Ok` for any 2xx.
fn send(method: Method, url: &str, body: Option<&[u8]>) -> Result<(), PushError> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .timeout_global(Some(PUSH_TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .proxy(None)
            .user_agent(concat!("geno-metrics/", env!("CARGO_PKG_VERSION")))
            .build(),
    );
    let body = body.unwrap_or_default();
    let sent = match method {
        Method::Delete => agent.delete(url).call(),
        Method::Put => agent
            .put(url)
            .header("content-type", TEXT_CONTENT_TYPE)
            .send(body),
        Method::Post => agent
            .post(url)
            .header("content-type", TEXT_CONTENT_TYPE)
            .send(body),
    };
    let method = method.as_str();
    let mut response = sent.map_err(|error| match error {
        ureq::Error::Timeout(_) => PushError::Timeout {
            method,
            url: url.to_owned(),
            timeout: PUSH_TIMEOUT,
        },
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => PushError::InvalidUrl {
            method,
            url: url.to_owned(),
            reason: format!("it is not a valid http:// URL: {error}"),
        },
        error => PushError::Transport {
            method,
            url: url.to_owned(),
            error: Box::new(error),
        },
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let mut bytes = Vec::new();
    // What arrives of the message within the deadline; a cut-off message is still a message.
    let _ = response
        .body_mut()
        .as_reader()
        .take(MAX_MESSAGE_BYTES)
        .read_to_end(&mut bytes);
    Err(PushError::Rejected {
        method,
        url: url.to_owned(),
        status: status.as_u16(),
        message: bounded_message(&String::from_utf8_lossy(&bytes)),
    })
}

/// The gateway's message, trimmed, at most [`MAX_MESSAGE_CHARS`] characters (a cut one ends
/// in `…`).
fn bounded_message(body: &str) -> String {
    let trimmed = body.trim();
    match trimmed.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => trimmed.to_owned(),
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
    }
}

/// Why a push, push-add or delete failed. Every message names the method and the full URL of
/// the group (for an unusable URL, the URL as given); [`url`](Self::url) returns it.
///
/// Its `Debug` form is its message too, so that an error returned from `main` with `?`
/// prints the advice, not a struct.
///
/// ```
/// # #[cfg(feature = "push")] {
/// # mod metrics {
/// #     geno_metrics::registry!("examples/quickstart.toml");
/// # }
/// let err = metrics::METRICS.push_to_gateway("127.0.0.1:9091", "", &[]).unwrap_err();
/// assert!(matches!(err, geno_metrics::PushError::EmptyJob { .. }));
/// assert_eq!(err.url(), "http://127.0.0.1:9091/metrics/job@base64/=");
/// assert!(err.to_string().starts_with("PUT http://127.0.0.1:9091/metrics/job@base64/=: the job name is empty"));
/// # }
/// ```
// The variants' names are in rustc's type namespace beside the user's own types: a variant
// `Status` would make rustc spell a registry's `Status` label enum `metrics::Status` in every
// diagnostic (the UI tests pin that), hence `Rejected`; `Encoding`, not `Exposition`, for the
// same reason with the `http` feature's `Exposition`.
#[non_exhaustive]
pub enum PushError {
    /// The gateway's URL cannot be used: empty, with white space around it, a scheme other
    /// than `http://` (`https://` included: see
    /// [`Registry::push_to_gateway`]), a query or a fragment, no host, or characters a URL
    /// cannot hold. Nothing was sent.
    InvalidUrl {
        /// `PUT`, `POST` or `DELETE`.
        method: &'static str,
        /// The URL as given, or as built when only the built one proved invalid.
        url: String,
        /// What is wrong, and what to do.
        reason: String,
    },
    /// The job name is empty; the Pushgateway requires one. Nothing was sent.
    EmptyJob {
        /// `PUT`, `POST` or `DELETE`.
        method: &'static str,
        /// The group's URL (its job segment `job@base64/=`, the empty value).
        url: String,
    },
    /// A grouping label cannot be used: not a label name, starting with `__`, `job`, given
    /// twice, or (when pushing) a label the registry's series carry for themselves. Nothing
    /// was sent.
    InvalidGroupingKey {
        /// `PUT`, `POST` or `DELETE`.
        method: &'static str,
        /// The group's URL.
        url: String,
        /// The label's name.
        label: String,
        /// What is wrong with it, and what to do.
        problem: String,
    },
    /// A grouping label is one of the registry's constant labels, with another value. The
    /// gateway would replace the constant label's value on every pushed series with the
    /// grouping key's, so the series would no longer say which process they came from.
    /// Nothing was sent.
    ConstLabelConflict {
        /// `PUT` or `POST`.
        method: &'static str,
        /// The group's URL.
        url: String,
        /// The label's name.
        label: String,
        /// Its value in the grouping key.
        value: String,
        /// Its value as a constant label (see [`Registry::const_labels`]).
        const_value: String,
    },
    /// The registry could not be encoded: a sync hook panicked, or a constant label has no
    /// value (the [`ConstLabelError`](crate::ConstLabelError) inside `error`). Nothing was
    /// sent.
    Encoding {
        /// `PUT` or `POST`.
        method: &'static str,
        /// The group's URL.
        url: String,
        /// The exposition's error.
        error: io::Error,
    },
    /// No answer: the host did not resolve, the connection was refused or reset, or the
    /// answer was not HTTP.
    Transport {
        /// `PUT`, `POST` or `DELETE`.
        method: &'static str,
        /// The group's URL.
        url: String,
        /// The transport's error.
        error: Box<dyn Error + Send + Sync>,
    },
    /// The request did not complete within [`PUSH_TIMEOUT`]: the gateway or the network
    /// hangs. The gateway may or may not have applied it.
    Timeout {
        /// `PUT`, `POST` or `DELETE`.
        method: &'static str,
        /// The group's URL.
        url: String,
        /// The deadline that passed: [`PUSH_TIMEOUT`].
        timeout: Duration,
    },
    /// The gateway answered with a status other than 2xx, e.g. `400` when the pushed metrics
    /// are inconsistent with those of another group (the same series, or one name with two
    /// types), or a `3xx` (redirects are not followed).
    Rejected {
        /// `PUT`, `POST` or `DELETE`.
        method: &'static str,
        /// The group's URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The gateway's own message: the answer's body, trimmed, at most 1,000 characters.
        message: String,
    },
}

impl PushError {
    /// The URL of the group (or the gateway's URL as given, for [`PushError::InvalidUrl`]).
    pub fn url(&self) -> &str {
        match self {
            Self::InvalidUrl { url, .. }
            | Self::EmptyJob { url, .. }
            | Self::InvalidGroupingKey { url, .. }
            | Self::ConstLabelConflict { url, .. }
            | Self::Encoding { url, .. }
            | Self::Transport { url, .. }
            | Self::Timeout { url, .. }
            | Self::Rejected { url, .. } => url,
        }
    }

    /// The HTTP method: `PUT`, `POST` or `DELETE`.
    pub fn method(&self) -> &'static str {
        match self {
            Self::InvalidUrl { method, .. }
            | Self::EmptyJob { method, .. }
            | Self::InvalidGroupingKey { method, .. }
            | Self::ConstLabelConflict { method, .. }
            | Self::Encoding { method, .. }
            | Self::Transport { method, .. }
            | Self::Timeout { method, .. }
            | Self::Rejected { method, .. } => method,
        }
    }
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // As given, quoted: it may be empty or hold white space.
            Self::InvalidUrl { method, url, .. } => write!(f, "{method} {url:?}: ")?,
            _ => write!(f, "{} {}: ", self.method(), self.url())?,
        }
        match self {
            Self::InvalidUrl { reason, .. } => write!(f, "{reason}"),
            Self::EmptyJob { .. } => write!(
                f,
                "the job name is empty: give the job's name (the `job` label of the pushed series), e.g. \"nightly_backup\""
            ),
            Self::InvalidGroupingKey { label, problem, .. } => {
                write!(f, "grouping label `{label}` {problem}")
            }
            Self::ConstLabelConflict {
                label,
                value,
                const_value,
                ..
            } => write!(
                f,
                "grouping label `{label}` is {value:?}, but `{label}` is a constant label of the registry, {const_value:?} on every series, and the gateway would overwrite it; give the grouping key the constant label's value, or leave `{label}` out of it"
            ),
            Self::Encoding { error, .. } => {
                write!(
                    f,
                    "nothing was sent: the metrics cannot be encoded: {error}"
                )
            }
            Self::Transport { error, .. } => {
                write!(f, "no answer from the gateway: {error}")?;
                let refused = error.downcast_ref::<ureq::Error>().and_then(|e| match e {
                    ureq::Error::Io(io) => Some(io.kind()),
                    _ => None,
                }) == Some(io::ErrorKind::ConnectionRefused);
                if refused {
                    write!(f, " (is the Pushgateway running, and on this port?)")?;
                }
                Ok(())
            }
            Self::Timeout { timeout, .. } => write!(
                f,
                "no answer within {timeout:?}: the gateway or the network hangs; it may or may not have applied the request"
            ),
            Self::Rejected {
                status, message, ..
            } => {
                write!(f, "the gateway answered {status}")?;
                if let Some(reason) = reason_phrase(*status) {
                    write!(f, " {reason}")?;
                }
                if message.is_empty() {
                    write!(f, " without a message")
                } else {
                    write!(f, ": {message}")
                }
            }
        }
    }
}

/// The standard reason phrase of `status`, when it has one.
fn reason_phrase(status: u16) -> Option<&'static str> {
    ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
}

impl fmt::Debug for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error for PushError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Encoding { error, .. } => Some(error),
            Self::Transport { error, .. } => Some(&**error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The group's job and grouping key read back from its path, as the Pushgateway reads
    /// them: segments split at `/`, a name ending in `@base64` followed by base64url (padding
    /// ignored), anything else percent-decoded.
    fn decode(path: &str) -> (String, Vec<(String, String)>) {
        let rest = path.strip_prefix("/metrics/").unwrap();
        let segments: Vec<&str> = rest.split('/').collect();
        assert!(segments.len().is_multiple_of(2), "{path}");
        let mut pairs: Vec<(String, String)> = segments
            .chunks(2)
            .map(|pair| {
                let (name, value) = (pair[0], pair[1]);
                match name.strip_suffix("@base64") {
                    Some(name) => {
                        let bytes = URL_SAFE_NO_PAD
                            .decode(value.trim_end_matches('='))
                            .unwrap_or_else(|e| panic!("{value} in {path}: {e}"));
                        (percent_decode(name), String::from_utf8(bytes).unwrap())
                    }
                    None => (percent_decode(name), percent_decode(value)),
                }
            })
            .collect();
        let (job_name, job) = pairs.remove(0);
        assert_eq!(job_name, "job", "{path}");
        (job, pairs)
    }

    fn percent_decode(segment: &str) -> String {
        let bytes = segment.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_are_written_as_the_pushgateway_readme_shows() {
        for (job, key, path) in [
            ("some_job", &[][..], "/metrics/job/some_job"),
            (
                "some_job",
                &[("instance", "some_instance")][..],
                "/metrics/job/some_job/instance/some_instance",
            ),
            // The README's examples.
            (
                "directory_cleaner",
                &[("path", "/var/tmp")][..],
                "/metrics/job/directory_cleaner/path@base64/L3Zhci90bXA",
            ),
            (
                "example",
                &[("first_label", ""), ("second_label", "foobar")][..],
                "/metrics/job/example/first_label@base64/=/second_label/foobar",
            ),
            (
                "titan",
                &[("name", "Προμηθεύς")][..],
                "/metrics/job/titan/name/%CE%A0%CF%81%CE%BF%CE%BC%CE%B7%CE%B8%CE%B5%CF%8D%CF%82",
            ),
            // A space is %20 and a plus %2B: the gateway decodes a path, where `+` is itself.
            ("a b+c", &[][..], "/metrics/job/a%20b%2Bc"),
            ("", &[][..], "/metrics/job@base64/="),
            ("a/b", &[][..], "/metrics/job@base64/YS9i"),
            // A router would clean `.` and `..` away as path steps, percent-encoded or not.
            (
                "..",
                &[("x", ".")][..],
                "/metrics/job@base64/Li4/x@base64/Lg",
            ),
            ("50%", &[("at", "a@b")][..], "/metrics/job/50%25/at/a%40b"),
        ] {
            assert_eq!(group_path(job, key), path);
        }
    }

    #[test]
    fn the_gateway_url_gets_a_scheme_and_loses_trailing_slashes() {
        for (given, base) in [
            ("127.0.0.1:9091", "http://127.0.0.1:9091"),
            ("127.0.0.1:9091/", "http://127.0.0.1:9091"),
            ("http://gw:9091", "http://gw:9091"),
            ("HTTP://gw:9091//", "http://gw:9091"),
            ("http://gw/prefix/", "http://gw/prefix"),
            ("[::1]:9091", "http://[::1]:9091"),
        ] {
            assert_eq!(gateway_base(given).as_deref(), Ok(base), "{given}");
        }
        for (given, says) in [
            ("", "empty"),
            (" gw:9091", "white space"),
            ("https://gw:9091", "https:// is not supported"),
            ("ftp://gw", "the scheme `ftp`"),
            ("http://", "no host"),
            ("http:///metrics", "no host"),
            ("gw:9091/?x=1", "query"),
            ("gw:9091#top", "fragment"),
        ] {
            let reason = gateway_base(given).unwrap_err();
            assert!(reason.contains(says), "{given}: {reason}");
        }
    }

    #[test]
    fn grouping_labels_are_label_names_not_reserved_and_given_once() {
        assert_eq!(
            check_grouping_key(&[("rank", "0"), ("_x", ""), ("B9", "")]),
            Ok(())
        );
        for (key, label, says) in [
            (&[("9a", "x")][..], "9a", "not a label name"),
            (&[("a-b", "x")][..], "a-b", "not a label name"),
            (&[("", "x")][..], "", "not a label name"),
            (&[("rank/x", "x")][..], "rank/x", "not a label name"),
            (&[("__name__", "x")][..], "__name__", "starts with `__`"),
            (&[("job", "x")][..], "job", "the `job` argument"),
            (&[("a", "1"), ("b", "2"), ("a", "1")][..], "a", "twice"),
        ] {
            let (bad, problem) = check_grouping_key(key).unwrap_err();
            assert_eq!(bad, label);
            assert!(problem.contains(says), "{key:?}: {problem}");
        }
    }

    #[test]
    fn the_error_can_cross_threads_and_box_into_any_error() {
        fn send_sync_static<T: Send + Sync + 'static>() {}
        send_sync_static::<PushError>();
    }

    #[test]
    fn a_long_message_is_cut_and_a_short_one_trimmed() {
        assert_eq!(bounded_message("  bad push\n"), "bad push");
        let long = "é".repeat(5_000);
        let cut = bounded_message(&long);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    /// Any text at all: every Unicode scalar, with the characters the encoding treats
    /// specially over-represented.
    fn text() -> impl Strategy<Value = String> {
        let special = prop::sample::select(vec![
            "/", "%", "@", "=", "+", " ", ".", "..", "~", "é", "\0",
        ]);
        prop::collection::vec(
            prop_oneof![
                any::<char>().prop_map(String::from),
                special.prop_map(String::from)
            ],
            0..12,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// The path decodes back to exactly the job and grouping key, one segment each (no
        /// raw `/` inside one), with nothing a router would rewrite: every segment is
        /// non-empty, not `.` or `..`, and of URL path characters only.
        #[test]
        fn the_path_decodes_to_exactly_what_was_given(
            job in text(),
            values in prop::collection::vec(text(), 0..4),
        ) {
            let names = ["a", "rank", "instance", "_x"];
            let key: Vec<(&str, &str)> = names.iter().copied().zip(values.iter().map(String::as_str)).collect();
            let path = group_path(&job, &key);
            let segments: Vec<&str> = path.split('/').skip(2).collect();
            prop_assert_eq!(segments.len(), 2 * (key.len() + 1), "{}", path);
            for segment in &segments {
                prop_assert!(!segment.is_empty() && *segment != "." && *segment != "..", "{}", path);
                prop_assert!(
                    segment.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%@=".contains(&b)),
                    "{}", path
                );
            }
            let (decoded_job, decoded_key) = decode(&path);
            prop_assert_eq!(decoded_job, job);
            let expected: Vec<(String, String)> = key.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
            prop_assert_eq!(decoded_key, expected);
        }
    }
}
