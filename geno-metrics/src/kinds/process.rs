//! [`ProcessMetric`]: one metric of the `process` collector, read from `/proc` when exposed.

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
    /// `process_max_fds`: the soft limit on open files (`/proc/self/limits`).
    MaxFds,
    /// `process_virtual_memory_bytes`: `vsize` of `/proc/self/stat`.
    VirtualMemory,
    /// `process_virtual_memory_max_bytes`: the soft limit on the address space; unlimited
    /// is 2^64 - 1, as client_golang writes it (`1.8446744073709552e+19`).
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
/// the process read from `/proc` each time it is exposed or snapshotted, never recorded.
///
/// On Linux with the cargo feature `process`, [`get`](Self::get) reads it through the
/// `procfs` crate; a read that fails (a `/proc` entry that vanished, a sandbox without
/// `/proc`) is `None`, and the exposition leaves that sample out, never failing. Elsewhere
/// it is always `None`: the families are exposed without samples.
///
/// `registry!` builds these for a registry that lists the collector; the names, types and
/// HELP texts are client_golang's, so dashboards written for any client work unchanged.
#[derive(Debug)]
pub struct ProcessMetric {
    spec: &'static MetricSpec,
    reading: ProcessReading,
}

impl ProcessMetric {
    /// The metric of `spec`, reading `reading`.
    ///
    /// # Panics
    ///
    /// At compile time (in a static) when the cargo feature `process` is off: a registry
    /// that lists the collector then says which feature to turn on. Also when `spec` is not
    /// a counter's or gauge's.
    pub const fn new(spec: &'static MetricSpec, reading: ProcessReading) -> Self {
        #[cfg(not(feature = "process"))]
        {
            let _ = (spec, reading);
            panic!(
                "metrics.toml lists `collectors = [\"process\"]`: turn on geno-metrics' cargo feature `process` (geno-metrics = {{ version = \"...\", features = [\"process\"] }})"
            );
        }
        #[cfg(feature = "process")]
        {
            assert!(
                matches!(
                    spec.kind,
                    crate::spec::MetricKind::Counter | crate::spec::MetricKind::Gauge
                ),
                "ProcessMetric::new needs a counter's or a gauge's MetricSpec"
            );
            Self { spec, reading }
        }
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
    /// docs).
    pub fn get(&self) -> Option<f64> {
        read(self.reading)
    }
}

#[cfg(all(feature = "process", target_os = "linux"))]
fn read(reading: ProcessReading) -> Option<f64> {
    use procfs::process::{LimitValue, Process};
    let limit = |value: LimitValue| match value {
        LimitValue::Unlimited => u64::MAX as f64,
        LimitValue::Value(v) => v as f64,
    };
    let process = Process::myself().ok()?;
    match reading {
        ProcessReading::OpenFds => return process.fd_count().ok().map(|n| n as f64),
        ProcessReading::MaxFds => {
            return Some(limit(process.limits().ok()?.max_open_files.soft_limit));
        }
        ProcessReading::VirtualMemoryMax => {
            return Some(limit(process.limits().ok()?.max_address_space.soft_limit));
        }
        _ => {}
    }
    let stat = process.stat().ok()?;
    let ticks = procfs::ticks_per_second() as f64;
    Some(match reading {
        ProcessReading::CpuSeconds => (stat.utime + stat.stime) as f64 / ticks,
        ProcessReading::VirtualMemory => stat.vsize as f64,
        ProcessReading::ResidentMemory => (stat.rss * procfs::page_size()) as f64,
        ProcessReading::StartTime => {
            procfs::boot_time_secs().ok()? as f64 + stat.starttime as f64 / ticks
        }
        ProcessReading::Threads => stat.num_threads as f64,
        ProcessReading::OpenFds | ProcessReading::MaxFds | ProcessReading::VirtualMemoryMax => {
            return None;
        }
    })
}

#[cfg(not(all(feature = "process", target_os = "linux")))]
fn read(_: ProcessReading) -> Option<f64> {
    None
}
