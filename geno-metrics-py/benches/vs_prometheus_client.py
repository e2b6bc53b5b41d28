"""Recording from Python: geno_metrics against the prometheus_client package, in one run.

    cargo xtask bench-python            # builds the module in release, then runs this
    python benches/vs_prometheus_client.py [--runs N] [--number N]   # in a venv that has both

Each case records into one metric of each library, the same work on both sides: a counter's
``inc()``, a histogram's ``observe()`` with the same 8 buckets, and ``.labels(..).inc()`` on a
counter labelled ``model`` and ``status`` (by name, and by position). Each run times
``--number`` calls of every case on both libraries, interleaved, with ``timeit`` (the loop's
own cost is in both figures); the figure of a case is the median over ``--runs`` runs, in
nanoseconds per call. Budget: geno_metrics takes at most half of prometheus_client's time
(ratio <= 0.5) in every case; exit code 1 when a case is over it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import statistics
import sys
import timeit
from collections.abc import Callable

import prometheus_client
from prometheus_client import CollectorRegistry

import geno_metrics

BUDGET = 0.5
"""The most of prometheus_client's time geno_metrics may take."""

BUCKETS = (0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0)
"""geno_lewm_train_gradient_norm's buckets, given to prometheus_client's histogram too."""

Case = tuple[str, str, dict[str, object], dict[str, object]]


def cases() -> list[Case]:
    """(name, statement, geno_metrics' names, prometheus_client's names) for every case."""
    registry = CollectorRegistry()
    steps = prometheus_client.Counter("bench_steps", "Steps.", registry=registry)
    norm = prometheus_client.Histogram("bench_norm", "Norm.", buckets=BUCKETS, registry=registry)
    requests = prometheus_client.Counter(
        "bench_requests", "Requests.", ["model", "status"], registry=registry
    )
    assert geno_metrics.get_histogram("geno_lewm_train_gradient_norm").buckets[:-1] == BUCKETS
    ours: dict[str, object] = {
        "c": geno_metrics.get_counter("geno_lewm_train_steps_total"),
        "h": geno_metrics.get_histogram("geno_lewm_train_gradient_norm"),
        "r": geno_metrics.get_counter("geno_lewm_inference_requests_total"),
    }
    theirs: dict[str, object] = {"c": steps, "h": norm, "r": requests}
    return [
        ("Counter.inc()", "c.inc()", ours, theirs),
        ("Histogram.observe(0.7)", "h.observe(0.7)", ours, theirs),
        (
            ".labels(model=, status=).inc()",
            "r.labels(model='geno-lewm-base', status='ok').inc()",
            ours,
            theirs,
        ),
        (".labels(model, status).inc()", "r.labels('geno-lewm-base', 'ok').inc()", ours, theirs),
    ]


def measure(runs: int, number: int, report: Callable[[str], None]) -> dict[str, tuple[float, float]]:
    """The median ns per call of every case, (geno_metrics, prometheus_client)."""
    timings: dict[str, tuple[list[float], list[float]]] = {}
    all_cases = cases()
    for run in range(runs):
        for name, statement, ours, theirs in all_cases:
            ours_ns = timeit.timeit(statement, globals=ours, number=number) / number * 1e9
            theirs_ns = timeit.timeit(statement, globals=theirs, number=number) / number * 1e9
            mine, other = timings.setdefault(name, ([], []))
            mine.append(ours_ns)
            other.append(theirs_ns)
        report(f"run {run + 1}/{runs} done")
    return {
        name: (statistics.median(mine), statistics.median(other))
        for name, (mine, other) in timings.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs (default 7); the median is reported")
    parser.add_argument("--number", type=int, default=200_000, help="calls per case and run (default 200,000)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.number < 1:
        parser.error("--runs and --number take a number of at least 1")
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"prometheus_client {importlib.metadata.version('prometheus_client')}, "
        f"{platform.machine()}; medians of {args.runs} runs of {args.number:,} calls",
        flush=True,
    )
    medians = measure(args.runs, args.number, lambda line: print(line, file=sys.stderr, flush=True))
    print()
    print("| case | geno_metrics | prometheus_client | ratio |")
    print("|---|---:|---:|---:|")
    over = []
    for name, (ours, theirs) in medians.items():
        ratio = ours / theirs
        print(f"| `{name}` | {ours:.0f} ns | {theirs:.0f} ns | {ratio:.2f} |")
        if ratio > BUDGET:
            over.append(name)
    if over:
        print(f"\nover budget (ratio > {BUDGET}): {', '.join(over)}", file=sys.stderr)
        return 1
    print(f"\nevery case within budget (ratio <= {BUDGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
