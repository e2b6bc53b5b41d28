"""Types of the native part of geno_metrics (the Rust crate geno-metrics-py)."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Callable, final

from geno_metrics._types import HistogramSnapshot, Kind, Snapshot

METRIC_ROWS: tuple[tuple[str, Kind, str, str], ...]
"""``(name, kind, unit, summary)`` of every metric, in file order."""

@final
class Counter:
    """A counter of the registry: a whole number that only goes up. From ``get_counter``."""

    @property
    def name(self) -> str: ...
    @property
    def label_names(self) -> tuple[str, ...]:
        """The metric's label names, in declaration order."""
    def inc(self, amount: int = 1) -> None:
        """Adds ``amount`` (at least 0). ``ValueError`` on a labelled metric without
        ``.labels(..)``, or a negative amount."""
    def get(self) -> int: ...
    def labels(self, *values: object, **named: object) -> Counter:
        """The series of these label values, by name or in declaration order; values that
        are not ``str`` are converted with ``str()``. ``ValueError`` for a missing or unknown
        label, or a value an enumerated label does not declare."""

@final
class Gauge:
    """A gauge of the registry: a float that goes up and down. From ``get_gauge``."""

    @property
    def name(self) -> str: ...
    @property
    def label_names(self) -> tuple[str, ...]: ...
    def set(self, value: float) -> None: ...
    def inc(self, amount: float = 1.0) -> None: ...
    def dec(self, amount: float = 1.0) -> None: ...
    def get(self) -> float: ...
    def labels(self, *values: object, **named: object) -> Gauge: ...

@final
class Histogram:
    """A histogram of the registry. From ``get_histogram``."""

    @property
    def name(self) -> str: ...
    @property
    def label_names(self) -> tuple[str, ...]: ...
    @property
    def buckets(self) -> tuple[float, ...]:
        """The upper bounds, ``inf`` last."""
    def observe(self, value: float) -> None:
        """Counts ``value``; NaN is dropped."""
    def snapshot(self) -> HistogramSnapshot:
        """A consistent copy since the last ``reset()``."""
    def reset(self) -> None: ...
    def time(self) -> Timer:
        """``with histogram.time(): ...`` observes the seconds the block took."""
    def labels(self, *values: object, **named: object) -> Histogram: ...

@final
class Timer:
    """The context manager of ``Histogram.time()``."""

    def __enter__(self) -> Timer: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool: ...

def get_counter(name: str) -> Counter:
    """The counter called ``name``, the same object each call. ``KeyError`` (with the
    closest name) when there is none; ``TypeError`` when it is of another kind."""

def get_gauge(name: str) -> Gauge:
    """As ``get_counter``, for a gauge."""

def get_histogram(name: str) -> Histogram:
    """As ``get_counter``, for a histogram."""

def snapshot_all() -> Snapshot:
    """Runs the sync hooks and copies every series. ``RuntimeError`` when a hook raised."""

def metrics_path() -> Path:
    """``$GENO_LEWM_LOG_DIR/metrics.prom``, or ``metrics.prom`` when unset or empty."""

def export_prometheus_textfile(path: str | os.PathLike[str] | None = None) -> Path:
    """Runs the sync hooks and replaces the file atomically; returns where it wrote.
    ``OSError`` naming the path when it fails, or with a hook's exception as the cause."""

def add_sync_hook(hook: Callable[[], object]) -> None:
    """Runs ``hook`` right before every snapshot and export, from Python or Rust."""

# Built with the workspace's registry only; geno_metrics.genolewm re-exports them.
def genolewm_read_fasta(text: str) -> list[tuple[str, str]]: ...
def genolewm_train_steps_total() -> int: ...
def genolewm_export_from_rust(path: str | os.PathLike[str]) -> Path: ...
