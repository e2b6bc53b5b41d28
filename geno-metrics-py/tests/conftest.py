"""Fixtures of the geno_metrics suite. The module is the installed wheel (`cargo xtask ci`
builds and installs it in its virtual environment); every test of the session shares its one
registry, so tests compare values before and after rather than absolute counts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
"""The workspace root, where the registry the module was built from lives."""


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh `$GENO_LEWM_LOG_DIR`."""
    monkeypatch.setenv("GENO_LEWM_LOG_DIR", str(tmp_path))
    yield tmp_path


def promtool_check(file: Path) -> None:
    """`promtool check metrics < file` must pass without a remark. A missing promtool fails
    the test, as in the Rust suite: it is never skipped."""
    promtool = shutil.which("promtool")
    assert promtool is not None, (
        "`promtool` is not on PATH. This test needs Debian's `prometheus` package: run "
        "`cargo xtask ci` (it installs the tools as root) or `apt-get install prometheus`."
    )
    with file.open("rb") as contents:
        checked = subprocess.run(
            [promtool, "check", "metrics"], stdin=contents, capture_output=True, text=True
        )
    remarks = (checked.stdout + checked.stderr).strip()
    assert checked.returncode == 0 and not remarks, f"promtool on {file}: {remarks}"


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a new interpreter of this environment (a process of its own, so its
    registry is fresh)."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
