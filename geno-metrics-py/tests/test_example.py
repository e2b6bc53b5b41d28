"""The example training loop runs, exports a file promtool accepts, and type-checks under
`mypy --strict` against the shipped stubs; the stubs catch misuse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geno_metrics
from geno_metrics import example

from conftest import promtool_check


def test_the_example_trains_and_exports(tmp_path: Path) -> None:
    env = dict(os.environ, GENO_LEWM_LOG_DIR=str(tmp_path), RANK="2")
    done = subprocess.run(
        [sys.executable, "-m", "geno_metrics.example", "--steps", "60", "--export-every", "20"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    written = tmp_path / "metrics.rank=2.prom"
    assert done.stdout.startswith(f"exported to {written}\nsteps 60; records the Rust loader skipped: ")
    text = written.read_text()
    assert 'geno_lewm_train_steps_total{rank="2"} 60\n' in text
    assert 'geno_lewm_train_step_duration_seconds_count{rank="2",phase="train"} 60\n' in text
    assert 'geno_lewm_train_step_duration_seconds_count{rank="2",phase="eval"} 6\n' in text
    assert 'geno_lewm_log_redactions_total{rank="2"} 6\n' in text, "the sync hook ran"
    skipped = [line for line in text.splitlines() if line.startswith("geno_lewm_dataloader_records_skipped_total{")]
    assert sum(int(line.rsplit(" ", 1)[1]) for line in skipped) > 0, "the Rust loader counted"
    promtool_check(written)


def test_the_examples_quantile_reads_buckets_as_promql_does() -> None:
    snapshot: geno_metrics.HistogramSnapshot = {
        "buckets": [1.0, 2.0, float("inf")],
        "counts": [0, 10, 10],
        "sum": 15.0,
        "count": 10,
    }
    assert example.quantile(snapshot, 0.5) == 1.5
    assert example.quantile({**snapshot, "counts": [0, 0, 5], "count": 5}, 0.5) == 2.0


def mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cache = Path(os.environ.get("GENO_METRICS_MYPY_CACHE", cwd / ".mypy_cache"))
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_the_example_and_the_package_pass_mypy_strict(tmp_path: Path) -> None:
    checked = mypy("-p", "geno_metrics", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_stubs_catch_misuse(tmp_path: Path) -> None:
    (tmp_path / "misuse.py").write_text(
        "from geno_metrics import get_counter, get_histogram, export_prometheus_textfile\n"
        "get_counter('x').inc('1')\n"
        "get_histogram('x').snapshot()['total']\n"
        "path: str = export_prometheus_textfile()\n"
        "get_counter('x').observe(1.0)\n"
    )
    checked = mypy("misuse.py", cwd=tmp_path)
    said = checked.stdout
    assert checked.returncode == 1, said
    for line, what in [(2, "arg-type"), (3, "typeddict-item"), (4, "assignment"), (5, "attr-defined")]:
        assert f"misuse.py:{line}: error:" in said and f"[{what}]" in said, said
