"""The plain Python types of the API: a metric's declaration and the snapshots' dicts."""

from __future__ import annotations

from typing import Literal, NamedTuple, TypedDict, Union

Kind = Literal["counter", "gauge", "histogram", "info"]
"""A metric's kind, as metrics.toml spells it."""


class MetricSpec(NamedTuple):
    """One metric as metrics.toml declares it; ``unit`` is ``""`` when it has none."""

    name: str
    kind: Kind
    unit: str
    summary: str


class HistogramSnapshot(TypedDict):
    """A consistent copy of a histogram.

    ``buckets`` are the cumulative upper bounds, ``inf`` last; ``counts[i]`` is the number of
    observations ``<= buckets[i]`` since the last ``reset()``, so ``counts[-1] == count``;
    ``sum`` is the sum of exactly those observations.
    """

    buckets: list[float]
    counts: list[int]
    sum: float
    count: int


class SeriesSnapshot(TypedDict):
    """One series of ``snapshot_all()``: an int for a counter (a float for one the process
    collector reads), a float for a gauge, a ``HistogramSnapshot``, or 1 for an info metric,
    whose labels say what it says."""

    name: str
    unit: str
    kind: Kind
    labels: dict[str, str]
    value: Union[int, float, HistogramSnapshot]


class Snapshot(TypedDict):
    """``snapshot_all()``: the constant labels' values, and every series in registry order,
    each carrying the constant labels too."""

    const_labels: dict[str, str]
    metrics: list[SeriesSnapshot]
