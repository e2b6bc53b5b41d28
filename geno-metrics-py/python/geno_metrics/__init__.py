"""The metrics registry of a ``metrics.toml``, from Python.

The registry is compiled into this module when it is built: GenoLeWM's ``metrics.toml`` by
default, or the file ``GENO_METRICS_TOML`` names at build time. Python and the Rust code of
the process record into the same handles: one registry, one set of values, one exported file.

    from geno_metrics import get_counter, get_histogram, export_prometheus_textfile

    steps = get_counter("geno_lewm_train_steps_total")
    steps.inc()
    get_histogram("geno_lewm_train_step_duration_seconds").labels(phase="train").observe(0.3)
    written = export_prometheus_textfile()  # pathlib.Path of the file written
"""

from __future__ import annotations

from geno_metrics import _native
from geno_metrics._native import (
    Counter,
    Gauge,
    Histogram,
    Timer,
    add_sync_hook,
    export_prometheus_textfile,
    get_counter,
    get_gauge,
    get_histogram,
    metrics_path,
    snapshot_all,
)
from geno_metrics._types import (
    HistogramSnapshot,
    Kind,
    MetricSpec,
    SeriesSnapshot,
    Snapshot,
)

METRICS: tuple[MetricSpec, ...] = tuple(MetricSpec(*row) for row in _native.METRIC_ROWS)
"""Every metric of the registry, in file order: its collectors' and info metrics too."""

__all__ = [
    "METRICS",
    "Counter",
    "Gauge",
    "Histogram",
    "HistogramSnapshot",
    "Kind",
    "MetricSpec",
    "SeriesSnapshot",
    "Snapshot",
    "Timer",
    "add_sync_hook",
    "export_prometheus_textfile",
    "get_counter",
    "get_gauge",
    "get_histogram",
    "metrics_path",
    "snapshot_all",
]
