//! [`ProcessMetric`]: one metric of the `process` collector, read from `/proc` (the limits:
//! `getrlimit`) when exposed.

use crate::spec::MetricSpec;

/// What a [`ProcessMetric`] reads, client_golang's process collector's way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessReading {
    /// `process_cpu_seconds_total`: user and system CPU time, in seconds (`utime + stime` of
    /// `/proc/self/stat`, over the clock ticks per second).
    CpuSeconds,
    /// `process_open_fds`: the entries of `/proc/self/fd`.
    OpenFds,
    /// `process_max_fds`: the soft limit on open files (`getrlimit(RLIMIT_NOFILE)`, the figure
    /// `/proc/self/limits` shows).
    MaxFds,
    /// `process_virtual_memory_bytes`: `vsize` of `/proc/self/stat`.
    VirtualMemory,
    /// `process_virtual_memory_max_bytes`: the soft limit on the address space
    /// (`getrlimit(RLIMIT_AS)`); unlimited is 2^64 - 1, as client_golang writes it (`1.8446744073709552e+19`).
    VirtualMemoryMax,
    /// `process_resident_memory_bytes`: `rss` of `/proc/self/stat` times the page size.
    ResidentMemory,
    /// `process_start_time_seconds`: the boot time plus `starttime` of `/proc/self/stat`,
    /// seconds since the Unix epoch.
    StartTime,
    /// `process_threads`: `num_threads` of `/proc/self/stat`.
    Threads,
}

/// One metric of the `process` collector (`[registry] collectors = ["process"]`): a value of
/// the process read each time it is exposed or snapshotted, never recorded.
///
/// On Linux with the cargo feature `process`, [`get`](Self::get) reads it from `/proc`
/// through the `procfs` crate, or for the two limits with `getrlimit`; a read that fails (a
/// `/proc` entry that vanished, a sandbox without `/proc`) is `None`, and the exposition
/// leaves that sample out, never failing. Elsewhere it is always `None`: the families are
/// exposed without samples.
///
/// `registry!` builds these for a registry that lists the collector; the names, types and
/// HELP texts are client_golang's, so dashboards written for any client work unchanged.
#[derive(Debug)]
pub struct ProcessMetric {
    spec: &'static MetricSpec,
    reading: ProcessReading,
}

impl ProcessMetric {
    /// The metric of `spec`, reading `reading`. Without the cargo feature `process` its
    /// value is always `None`; a registry that lists the collector does not compile without
    /// the feature, and says which to turn on:
    ///
    #[cfg_attr(not(feature = "process"), doc = "```compile_fail,E0080")]
    #[cfg_attr(feature = "process", doc = "```ignore")]
    /// mod metrics {
    ///     geno_metrics::registry!("examples/process.toml"); // collectors = ["process"]
    /// }
    /// # fn main() {}
    /// ```
    ///
    /// # Panics
    ///
    /// At compile time (in a static) when `spec` is not a counter's or gauge's.
    pub const fn new(spec: &'static MetricSpec, reading: ProcessReading) -> Self {
        assert!(
            matches!(
                spec.kind,
                crate::spec::MetricKind::Counter | crate::spec::MetricKind::Gauge
            ),
            "ProcessMetric::new needs a counter's or a gauge's MetricSpec"
        );
        Self { spec, reading }
    }

    /// What `metrics.toml` declares about the metric (through its collector).
    pub fn spec(&self) -> &'static MetricSpec {
        self.spec
    }

    /// What the metric reads.
    pub fn reading(&self) -> ProcessReading {
        self.reading
    }

    /// The value now, in the metric's unit; `None` when it cannot be read (see the type's
    /// docs). Reads the whole [`ProcessSample`]: an exposition reads one sample for all eight.
    pub fn get(&self) -> Option<f64> {
        ProcessSample::read().get(self.reading)
    }
}

/// One reading of everything the `process` collector exposes, taken at once: `/proc/self/stat`,
/// the entries of `/proc/self/fd` and two resource limits, client_golang's way; the boot time
/// (`/proc/stat`), which the start time needs, is read once per thread and kept. The limits
/// come from `getrlimit`, not from parsing `/proc/self/limits`: the same figures, for a
/// system call instead of a file the kernel formats line by line (about 25 us a scrape on
/// the machine `BENCHMARKS.md` describes).
/// An exposition takes one and every process metric reads its value from it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessSample {
    cpu_seconds: Option<f64>,
    open_fds: Option<f64>,
    max_fds: Option<f64>,
    virtual_memory: Option<f64>,
    virtual_memory_max: Option<f64>,
    resident_memory: Option<f64>,
    start_time: Option<f64>,
    threads: Option<f64>,
}

impl ProcessSample {
    /// Reads the process now. What cannot be read is `None`; off Linux, or without the cargo
    /// feature `process`, everything is.
    pub fn read() -> Self {
        read_sample()
    }

    /// The value `reading` reads, from this sample.
    pub fn get(&self, reading: ProcessReading) -> Option<f64> {
        match reading {
            ProcessReading::CpuSeconds => self.cpu_seconds,
            ProcessReading::OpenFds => self.open_fds,
            ProcessReading::MaxFds => self.max_fds,
            ProcessReading::VirtualMemory => self.virtual_memory,
            ProcessReading::VirtualMemoryMax => self.virtual_memory_max,
            ProcessReading::ResidentMemory => self.resident_memory,
            ProcessReading::StartTime => self.start_time,
            ProcessReading::Threads => self.threads,
        }
    }
}

#[cfg(all(feature = "process", target_os = "linux"))]
fn read_sample() -> ProcessSample {
    use procfs::FromRead;
    use procfs::process::Stat;
    use rustix::process::{Resource, getrlimit};

    // The soft limit; `None` is unlimited, which client_golang writes as 2^64 - 1.
    let limit = |resource| getrlimit(resource).current.unwrap_or(u64::MAX) as f64;
    let mut sample = ProcessSample::default();
    if let Ok(stat) = Stat::from_file("/proc/self/stat") {
        let ticks = procfs::ticks_per_second() as f64;
        sample.cpu_seconds = Some((stat.utime + stat.stime) as f64 / ticks);
        sample.virtual_memory = Some(stat.vsize as f64);
        sample.resident_memory = Some((stat.rss * procfs::page_size()) as f64);
        sample.threads = Some(stat.num_threads as f64);
        sample.start_time = procfs::boot_time_secs()
            .ok()
            .map(|boot| boot as f64 + stat.starttime as f64 / ticks);
    }
    sample.max_fds = Some(limit(Resource::Nofile));
    sample.virtual_memory_max = Some(limit(Resource::As));
    // Counted as client_golang counts it: the entries, the one open to read them included.
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        sample.open_fds = Some(entries.count() as f64);
    }
    sample
}

#[cfg(not(all(feature = "process", target_os = "linux")))]
fn read_sample() -> ProcessSample {
    ProcessSample::default()
}
