//! A simulated GenoLeWM training run that records into every metric of `metrics.toml`.
//!
//! A data-loader thread feeds batches through a bounded queue to several trainer threads.
//! Trainers log through the redaction filter, evaluate on a held-out batch every tenth step
//! and write checkpoints now and then, while an inference thread serves requests for two
//! models. A [`TextfileExporter`](geno_metrics::TextfileExporter)
//! exports the registry periodically and once more at the end.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Mutex, Once, PoisonError};
use std::thread;
use std::time::Duration;

use std::fmt;

use clap::Parser;
use geno_metrics::{HistogramSnapshot, MetricValue, Snapshot};

use crate::genolewm::*;
use crate::redaction;

/// How to run the job.
#[derive(Debug, Clone)]
pub struct Options {
    /// Optimizer steps, over all trainer threads.
    pub steps: u64,
    /// Trainer threads.
    pub threads: usize,
    /// Time between periodic exports.
    pub interval: Duration,
    /// The textfile; `None` is `METRICS.default_textfile_path()`, one file per rank.
    pub path: Option<PathBuf>,
    /// Steps between checkpoints.
    pub checkpoint_every: u64,
    /// Where checkpoints go; removed at the end.
    pub checkpoint_dir: PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            steps: 2_000,
            threads: 4,
            interval: Duration::from_millis(500),
            path: None,
            checkpoint_every: 250,
            checkpoint_dir: std::env::temp_dir()
                .join(format!("geno-lewm-checkpoints-{}", std::process::id())),
        }
    }
}

/// A simulated GenoLeWM training run: trainer threads, a data loader, checkpoints and an
/// inference thread record into every metric, exported to
/// `$GENO_LEWM_LOG_DIR/metrics.rank=<RANK>.prom` (or `./metrics.rank=<RANK>.prom`; RANK defaults
/// to 0) periodically and once more at the end.
#[derive(Debug, Parser)]
#[command(name = "training_job")]
pub struct Flags {
    /// Optimizer steps, over all trainer threads.
    #[arg(long, value_name = "N", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: u64,
    /// Trainer threads.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub threads: u64,
    /// Seconds between periodic exports (fractions allowed).
    #[arg(long, value_name = "SECONDS", default_value = "0.5", value_parser = interval)]
    pub interval: Duration,
    /// Also serve /metrics over HTTP on this address while the job runs, as an inference
    /// service would (e.g. 127.0.0.1:9464; port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// At the end, push the final values to the Prometheus Pushgateway at this URL
    /// (http://host:port, or host:port): job `geno_lewm_training_job`, grouped by the
    /// constant labels (`rank=<RANK>`), so each rank replaces its own group and no other's
    /// (HTTP PUT). Plain HTTP only; the push gives up after 10 s.
    #[arg(long, value_name = "URL")]
    pub pushgateway: Option<String>,
}

/// The `job` the example pushes its final values as (see [`push_final_values`]).
pub const PUSH_JOB: &str = "geno_lewm_training_job";

/// Pushes every metric's current value to the Pushgateway at `url` (`PUT`, replacing the
/// group), as job [`PUSH_JOB`] grouped by the registry's constant labels: one group per rank,
/// so a rank's push never replaces another's values. Returns the grouping key, as
/// `name=value` pairs.
///
/// # Errors
///
/// The push's: see [`PushError`](geno_metrics::PushError). A constant label without a value
/// is one too (an exposition error).
pub fn push_final_values(url: &str) -> Result<Vec<String>, geno_metrics::PushError> {
    // Unresolved constant labels make the push fail with the exposition's error, which says
    // which label and how to fix it.
    let labels = METRICS.const_labels().unwrap_or_default();
    let grouping_key: Vec<(&str, &str)> = labels.iter().map(|(n, v)| (*n, &**v)).collect();
    METRICS.push_to_gateway(url, PUSH_JOB, &grouping_key)?;
    Ok(grouping_key
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect())
}

/// A positive, finite number of seconds.
fn interval(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|e| format!("{e}"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err("the interval must be above 0 seconds".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

impl Flags {
    /// The job's options: these flags over the defaults.
    pub fn options(&self) -> Options {
        Options {
            steps: self.steps,
            threads: usize::try_from(self.threads).unwrap_or(1),
            interval: self.interval,
            ..Options::default()
        }
    }
}

#[cfg(test)]
mod flag_tests {
    use clap::Parser;

    use super::*;

    fn parse(args: &[&str]) -> Result<Flags, String> {
        Flags::try_parse_from(std::iter::once(&"training_job").chain(args))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn help_is_help_and_bad_values_are_refused_with_a_reason() {
        let help = Flags::try_parse_from(["training_job", "--help"]).unwrap_err();
        assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(help.to_string().contains("--threads <N>"), "{help}");
        for (args, says) in [
            (&["--threads", "0"][..], "0 is not in 1..=256"),
            (&["--steps", "0"][..], "0 is not in 1.."),
            (&["--interval", "0"][..], "above 0 seconds"),
            (&["--interval", "NaN"][..], "above 0 seconds"),
            (&["--interval", "soon"][..], "invalid float"),
        ] {
            let error = parse(args).unwrap_err();
            assert!(error.contains(says), "{args:?}: {error}");
        }
        let flags = parse(&["--steps", "10", "--threads", "2", "--interval", "0.25"]).unwrap();
        let options = flags.options();
        assert_eq!((options.steps, options.threads), (10, 2));
        assert_eq!(flags.listen, None);
        let listen = parse(&["--listen", "127.0.0.1:9464"]).unwrap().listen;
        assert_eq!(listen.as_deref(), Some("127.0.0.1:9464"));
        assert_eq!(flags.pushgateway, None);
        let gateway = parse(&["--pushgateway", "http://pushgateway:9091"]).unwrap();
        assert_eq!(
            gateway.pushgateway.as_deref(),
            Some("http://pushgateway:9091")
        );
        assert!(help.to_string().contains("--pushgateway <URL>"), "{help}");
        assert_eq!(options.interval, Duration::from_millis(250));
        assert_eq!(
            parse(&[]).unwrap().options().steps,
            Options::default().steps
        );
    }
}

/// What the job leaves behind.
#[derive(Debug)]
pub struct Outcome {
    /// The textfile written.
    pub path: PathBuf,
    /// Every metric after the final export.
    pub snapshot: Snapshot,
    /// Periodic and final exports that succeeded, and those that failed.
    pub exports: u64,
    /// Exports that failed.
    pub export_failures: u64,
}

/// Brings the redaction filter's own counts into `geno_lewm_log_redactions_total`. It adds only
/// what is new since the last call, so calling it twice (or from two exports at once) never
/// counts a redaction twice.
pub fn sync_redaction_counter() {
    static SYNCED: AtomicU64 = AtomicU64::new(0);
    let total = redaction::total_redactions();
    let previous = SYNCED.fetch_max(total, Ordering::Relaxed);
    if total > previous {
        LOG_REDACTIONS_TOTAL.inc_by(total - previous);
    }
}

/// A small, seedable xorshift generator: the job needs variety, not statistics.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A batch from the data loader: how many tokens it holds.
struct Batch {
    tokens: u64,
}

/// Runs the job to the end and returns where the textfile is and the final values.
///
/// # Errors
///
/// Only when the checkpoint directory cannot be created; export failures are reported by the
/// exporter and counted in the outcome.
pub fn run(options: &Options) -> io::Result<Outcome> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| METRICS.add_sync_hook(sync_redaction_counter));
    std::fs::create_dir_all(&options.checkpoint_dir)?;

    let exporter = METRICS.spawn_textfile_exporter(options.path.as_deref(), options.interval);
    let next_step = AtomicU64::new(0);
    let training = AtomicBool::new(true);
    let queued = AtomicI64::new(0);
    let (batches, loader_output) = sync_channel::<Batch>(16);
    let loader_output = Mutex::new(Some(loader_output));

    thread::scope(|scope| {
        scope.spawn(|| load_data(batches, &training, &queued));
        scope.spawn(|| serve_inference(&training));
        let trainers: Vec<_> = (0..options.threads.max(1))
            .map(|t| {
                let (next_step, loader_output, queued) = (&next_step, &loader_output, &queued);
                scope.spawn(move || train(t as u64, options, next_step, loader_output, queued))
            })
            .collect();
        for trainer in trainers {
            let _ = trainer.join();
        }
        training.store(false, Ordering::Release);
        // Dropping the queue's receiving end ends a loader blocked on a full queue.
        drop(
            loader_output
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    });

    let path = exporter.path().to_path_buf();
    let (exports_before_final, failures_before_final) = (exporter.exports(), exporter.failures());
    drop(exporter);
    let _ = std::fs::remove_dir_all(&options.checkpoint_dir);
    let snapshot = METRICS.snapshot_all();
    let final_ok = std::fs::metadata(&path).is_ok();
    Ok(Outcome {
        path,
        snapshot,
        exports: exports_before_final + u64::from(final_ok),
        export_failures: failures_before_final + u64::from(!final_ok),
    })
}

fn load_data(
    batches: std::sync::mpsc::SyncSender<Batch>,
    training: &AtomicBool,
    queued: &AtomicI64,
) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    while training.load(Ordering::Acquire) {
        // One record in 50 is malformed and skipped.
        match rng.next() % 100 {
            0 => DATALOADER_RECORDS_SKIPPED_TOTAL
                .with(Reason::BadHeader)
                .inc(),
            1 => DATALOADER_RECORDS_SKIPPED_TOTAL
                .with(Reason::UnknownBase)
                .inc(),
            _ => {}
        }
        let batch = Batch {
            tokens: 512 + rng.next() % 512,
        };
        queued.fetch_add(1, Ordering::Relaxed);
        if batches.send(batch).is_err() {
            queued.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        DATALOADER_QUEUE_DEPTH.set(queued.load(Ordering::Relaxed) as f64);
        thread::sleep(Duration::from_micros(200 + rng.next() % 300));
    }
}

fn train(
    trainer: u64,
    options: &Options,
    next_step: &AtomicU64,
    batches: &Mutex<Option<Receiver<Batch>>>,
    queued: &AtomicI64,
) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ (trainer + 1).wrapping_mul(0x9e37_79b9));
    let steps_per_epoch = (options.steps / 4).max(1);
    // Free-form labels: look the series up once, record into it many times.
    let device = format!("cuda:{trainer}");
    let gpu_memory = GPU_MEMORY_USED_BYTES.with(&device);
    let train_step = TRAIN_STEP_DURATION_SECONDS.with(Phase::Train);
    loop {
        let step = next_step.fetch_add(1, Ordering::Relaxed);
        if step >= options.steps {
            return;
        }
        let wait = DATALOADER_BATCH_WAIT_SECONDS.start_timer();
        let received = match batches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            Some(queue) => queue.recv(),
            None => return,
        };
        let Ok(batch) = received else { return };
        drop(wait);
        DATALOADER_QUEUE_DEPTH.set(queued.fetch_sub(1, Ordering::Relaxed) as f64 - 1.0);

        let timer = train_step.start_timer();
        // The forward and backward pass.
        thread::sleep(Duration::from_micros(500 + rng.next() % 2_500));
        drop(timer);
        if step.is_multiple_of(10) {
            // A forward pass over a held-out batch.
            let _eval = TRAIN_STEP_DURATION_SECONDS.with(Phase::Eval).start_timer();
            thread::sleep(Duration::from_micros(200 + rng.next() % 800));
        }

        let progress = step as f64 / options.steps as f64;
        TRAIN_STEPS_TOTAL.inc();
        TRAIN_TOKENS_TOTAL.inc_by(batch.tokens);
        // k-mer tokens of 6 bases.
        TRAIN_BASES_TOTAL.inc_by(batch.tokens * 6);
        TRAIN_LOSS.set(2.5 * (-3.0 * progress).exp() + 0.1 * rng.unit());
        TRAIN_LEARNING_RATE.set(3e-4 * (1.0 - progress).max(0.01));
        TRAIN_GRADIENT_NORM.observe(0.2 + 3.0 * rng.unit() * (1.0 - progress));
        TRAIN_EPOCH.set((step / steps_per_epoch) as f64);
        gpu_memory.set((18u64 << 30) as f64 + (rng.next() % (2 << 30)) as f64);

        let line = match rng.next() % 10 {
            0 => format!("step {step}: odd loss on read ACGTTGCAACGTNNACGT"),
            1 => format!("step {step}: batch from SAMPLE-{:04}", rng.next() % 10_000),
            _ => format!("step {step}: ok"),
        };
        let _logged = redaction::redact(&line);

        if step > 0 && step.is_multiple_of(options.checkpoint_every) {
            write_checkpoint(options, step, &mut rng);
        }
    }
}

fn write_checkpoint(options: &Options, step: u64, rng: &mut Rng) {
    let timer = CHECKPOINT_WRITE_DURATION_SECONDS.start_timer();
    // Every fourth checkpoint goes to a directory that does not exist: a failed write.
    let dir = if (step / options.checkpoint_every) % 4 == 3 {
        options.checkpoint_dir.join("missing")
    } else {
        options.checkpoint_dir.clone()
    };
    let size = 256 * 1024 + (rng.next() % (256 * 1024)) as usize;
    let file = format!("step-{step}.ckpt");
    let written = std::fs::write(dir.join(&file), vec![0u8; size]);
    match written {
        Ok(()) => {
            drop(timer);
            CHECKPOINT_WRITES_TOTAL.inc();
            CHECKPOINT_SIZE_BYTES.set(size as f64);
            CHECKPOINT_INFO.set(TRAINED_MODEL, &file);
        }
        Err(_) => {
            timer.discard();
            CHECKPOINT_WRITE_FAILURES_TOTAL.inc();
        }
    }
}

/// The model the trainer threads train, as the checkpoint's info metric names it.
pub const TRAINED_MODEL: &str = "geno-lewm-base";

/// The models the inference thread serves: free-form label values, as a server would read
/// them from its configuration.
pub const MODELS: [&str; 2] = ["geno-lewm-base", "geno-lewm-large"];

fn serve_inference(training: &AtomicBool) {
    let mut rng = Rng(0xd1b5_4a32_d192_ed03);
    while training.load(Ordering::Acquire) {
        let model = MODELS[(rng.next() % 4).min(1) as usize];
        INFERENCE_IN_FLIGHT_REQUESTS.inc();
        let timer = INFERENCE_REQUEST_DURATION_SECONDS.with(model).start_timer();
        thread::sleep(Duration::from_micros(300 + rng.next() % 3_000));
        drop(timer);
        INFERENCE_IN_FLIGHT_REQUESTS.dec();
        let status = if rng.next().is_multiple_of(20) {
            Status::Error
        } else {
            Status::Ok
        };
        INFERENCE_REQUESTS_TOTAL.with(model, status).inc();
    }
}

/// What the example prints at the end, from the final snapshot. A labelled metric's figure
/// is the sum over its series, as PromQL's `sum` gives it, so it says the same as the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Optimizer steps.
    pub steps: u64,
    /// Tokens processed.
    pub tokens: u64,
    /// Nucleotide bases processed.
    pub bases: u64,
    /// The latency histograms, each summed over its series: what it measures, and the sum.
    pub latencies: Vec<(&'static str, HistogramSnapshot)>,
    /// Inference requests, every model and status.
    pub requests: u64,
    /// Inference requests with `status="error"`.
    pub errors: u64,
    /// Checkpoints written.
    pub checkpoints: u64,
    /// Checkpoint writes that failed.
    pub checkpoint_failures: u64,
    /// Log lines the redaction filter changed.
    pub redactions: u64,
}

/// The histograms the summary shows, with what each measures.
pub const SUMMARY_LATENCIES: [(&str, &str); 3] = [
    ("geno_lewm_train_step_duration_seconds", "step duration"),
    ("geno_lewm_dataloader_batch_wait_seconds", "batch wait"),
    (
        "geno_lewm_inference_request_duration_seconds",
        "inference latency",
    ),
];

impl Summary {
    /// The summary of `snapshot`.
    pub fn of(snapshot: &Snapshot) -> Summary {
        let count = |name: &str, matching: &[(&str, &str)]| match snapshot.sum(name, matching) {
            Some(MetricValue::Counter(n)) => n,
            _ => 0,
        };
        let latencies = SUMMARY_LATENCIES
            .iter()
            .filter_map(|(name, what)| match snapshot.sum(name, &[]) {
                Some(MetricValue::Histogram(h)) => Some((*what, h)),
                _ => None,
            })
            .collect();
        Summary {
            steps: count("geno_lewm_train_steps_total", &[]),
            tokens: count("geno_lewm_train_tokens_total", &[]),
            bases: count("geno_lewm_train_bases_total", &[]),
            latencies,
            requests: count("geno_lewm_inference_requests_total", &[]),
            errors: count("geno_lewm_inference_requests_total", &[("status", "error")]),
            checkpoints: count("geno_lewm_checkpoint_writes_total", &[]),
            checkpoint_failures: count("geno_lewm_checkpoint_write_failures_total", &[]),
            redactions: count("geno_lewm_log_redactions_total", &[]),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  steps {}, tokens {}, bases {}",
            self.steps, self.tokens, self.bases
        )?;
        for (what, h) in &self.latencies {
            if h.count == 0 {
                writeln!(f, "  {what}: n=0")?;
            } else {
                writeln!(
                    f,
                    "  {what}: n={} p50={:.4}s p90={:.4}s p99={:.4}s",
                    h.count,
                    h.quantile(0.5),
                    h.quantile(0.9),
                    h.quantile(0.99)
                )?;
            }
        }
        writeln!(
            f,
            "  inference: {} requests, {} errors; checkpoints: {} written, {} failed; log redactions: {}",
            self.requests, self.errors, self.checkpoints, self.checkpoint_failures, self.redactions
        )
    }
}
