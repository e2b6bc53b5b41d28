"""Python sync hooks: they run before every snapshot and export, whoever asks for it, and one
that raises fails that call as a failed export does, never the process."""

from __future__ import annotations

from pathlib import Path

import pytest

from geno_metrics import add_sync_hook, export_prometheus_textfile, get_counter, snapshot_all
from geno_metrics.genolewm import export_from_rust

calls: list[str] = []
failing: list[BaseException] = []


def first() -> None:
    calls.append("first")


def second() -> None:
    calls.append("second")
    if failing:
        raise failing[0]


def third() -> None:
    calls.append("third")


add_sync_hook(first)
add_sync_hook(second)
add_sync_hook(third)


@pytest.fixture(autouse=True)
def fresh() -> None:
    calls.clear()
    failing.clear()


def test_hooks_run_in_order_before_each_snapshot_and_export(tmp_path: Path) -> None:
    snapshot_all()
    assert calls[-3:] == ["first", "second", "third"]
    calls.clear()
    export_prometheus_textfile(tmp_path / "m.prom")
    assert calls == ["first", "second", "third"]
    calls.clear()
    export_from_rust(tmp_path / "m.prom")
    assert calls == ["first", "second", "third"], "a Rust export runs Python's hooks too"


def test_a_hook_reconciles_counts_kept_elsewhere(tmp_path: Path) -> None:
    redactions = get_counter("geno_lewm_log_redactions_total")
    kept_by_the_filter = [redactions.get() + 5]

    def sync() -> None:
        redactions.inc(kept_by_the_filter[0] - redactions.get())

    add_sync_hook(sync)
    text = export_prometheus_textfile(tmp_path / "m.prom").read_text()
    assert f'geno_lewm_log_redactions_total{{rank="0"}} {kept_by_the_filter[0]}\n' in text
    text = export_prometheus_textfile(tmp_path / "m.prom").read_text()
    assert f'geno_lewm_log_redactions_total{{rank="0"}} {kept_by_the_filter[0]}\n' in text, "idempotent"


def test_a_hook_that_raises_fails_the_export_and_leaves_the_file(tmp_path: Path) -> None:
    target = tmp_path / "m.prom"
    export_prometheus_textfile(target)
    before = target.read_bytes()
    calls.clear()
    failing.append(ValueError("the log filter is gone"))
    with pytest.raises(OSError, match=r"cannot export metrics: sync hook test_hooks.second raised ValueError: the log filter is gone") as raised:
        export_prometheus_textfile(target)
    assert isinstance(raised.value.__cause__, ValueError)
    assert calls == ["first", "second"], "the hooks after it do not run"
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.prom"], "no temporary file left"


def test_a_hook_that_raises_fails_snapshot_all_with_a_runtime_error() -> None:
    failing.append(KeyError("rank"))
    with pytest.raises(RuntimeError, match="cannot snapshot metrics: sync hook test_hooks.second raised KeyError") as raised:
        snapshot_all()
    assert isinstance(raised.value.__cause__, KeyError)


def test_a_hook_that_raises_fails_a_rust_export_with_its_message(tmp_path: Path) -> None:
    failing.append(ValueError("boom"))
    with pytest.raises(OSError, match="a sync hook panicked: sync hook test_hooks.second raised ValueError: boom"):
        export_from_rust(tmp_path / "m.prom")
    assert not (tmp_path / "m.prom").exists()


def test_after_a_failure_the_registry_goes_on(tmp_path: Path) -> None:
    failing.append(RuntimeError("once"))
    with pytest.raises(OSError):
        export_prometheus_textfile(tmp_path / "m.prom")
    failing.clear()
    assert export_prometheus_textfile(tmp_path / "m.prom").is_file()
    assert snapshot_all()["metrics"]


def test_ctrl_c_in_a_hook_stops_the_program_rather_than_fail_the_export(tmp_path: Path) -> None:
    failing.append(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        export_prometheus_textfile(tmp_path / "m.prom")
    failing[0] = SystemExit(3)
    with pytest.raises(SystemExit):
        snapshot_all()
    assert not (tmp_path / "m.prom").exists()


def test_a_hook_must_be_callable() -> None:
    with pytest.raises(TypeError, match="add_sync_hook takes a callable without arguments, not 42"):
        add_sync_hook(42)  # type: ignore[arg-type]
