"""`GENO_METRICS_TOML` chooses the registry at build time: the module built from another
`metrics.toml` has that registry's names, and a path that cannot be read, or a relative one,
fails the build with a message naming the variable. Builds with maturin into the target directory `cargo xtask ci`
uses (so only this crate recompiles), into this test's own directory."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

from conftest import REPOSITORY

OTHER = REPOSITORY / "geno-metrics" / "examples" / "generated.toml"


def maturin_build(registry: str, out: Path) -> subprocess.CompletedProcess[str]:
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPOSITORY / "target")
    return subprocess.run(
        [
            sys.executable, "-m", "maturin", "build", "--locked", "--quiet",
            "--interpreter", sys.executable,
            "--target-dir", str(REPOSITORY / target / "python" / "build"),
            "--out", str(out),
        ],
        cwd=REPOSITORY / "geno-metrics-py",
        env=dict(os.environ, GENO_METRICS_TOML=registry),
        capture_output=True,
        text=True,
        timeout=1200,
    )


def test_another_registry_is_compiled_in_with_its_names(tmp_path: Path) -> None:
    built = maturin_build(str(OTHER), tmp_path / "wheels")
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    check = """
import geno_metrics as g
assert [s.name for s in g.METRICS][:3] == ["demo_jobs_total", "demo_packets_total", "demo_queue_depth"]
packets = g.get_counter("demo_packets_total")  # sharded = true: recorded into alike
packets.inc(3)
assert packets.get() == 3
assert g.get_counter("demo_requests_total").labels(status="ok", model="resnet").get() == 0
try:
    g.get_counter("geno_lewm_train_steps_total")
except KeyError:
    pass
else:
    raise AssertionError("GenoLeWM's names are not in this registry")
try:
    import geno_metrics.genolewm
except ImportError as error:
    assert "built from the GenoLeWM registry" in str(error), error
else:
    raise AssertionError("the GenoLeWM Rust code is built with the workspace's registry only")
print("ok")
"""
    done = subprocess.run([python, "-c", check], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr


def test_a_registry_that_cannot_be_read_fails_the_build(tmp_path: Path) -> None:
    built = maturin_build("/no/such/metrics.toml", tmp_path / "wheels")
    assert built.returncode != 0
    assert "$GENO_METRICS_TOML names " in built.stderr, built.stderr
    assert "/no/such/metrics.toml, which cannot be read" in built.stderr, built.stderr


def test_a_relative_registry_path_fails_the_build_saying_why(tmp_path: Path) -> None:
    # The build runs in geno-metrics-py/, not where the user ran pip: a relative path would
    # silently name another file (the repository's own metrics.toml, say).
    built = maturin_build("metrics.toml", tmp_path / "wheels")
    assert built.returncode != 0
    assert '$GENO_METRICS_TOML is the relative path "metrics.toml"' in built.stderr, built.stderr
    assert '$PWD/metrics.toml' in built.stderr, built.stderr
