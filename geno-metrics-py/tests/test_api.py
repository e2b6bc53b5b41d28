"""Every name of the module and what it does, against the registry it was built from."""

from __future__ import annotations

import math
import os
import pathlib
import tomllib
from collections.abc import Callable

import pytest

import geno_metrics
from geno_metrics import (
    METRICS,
    Counter,
    Gauge,
    Histogram,
    MetricSpec,
    export_prometheus_textfile,
    get_counter,
    get_gauge,
    get_histogram,
    metrics_path,
    snapshot_all,
)

from conftest import REPOSITORY, run_python

DECLARED = tomllib.loads((REPOSITORY / "metrics.toml").read_text())

PROCESS_METRICS = [
    ("process_cpu_seconds_total", "counter", "seconds"),
    ("process_resident_memory_bytes", "gauge", "bytes"),
    ("process_virtual_memory_bytes", "gauge", "bytes"),
    ("process_virtual_memory_max_bytes", "gauge", "bytes"),
    ("process_open_fds", "gauge", ""),
    ("process_max_fds", "gauge", ""),
    ("process_start_time_seconds", "gauge", "seconds"),
    ("process_threads", "gauge", ""),
]


# --- METRICS ---------------------------------------------------------------------------


def test_metrics_lists_every_declared_metric_in_file_order() -> None:
    assert isinstance(METRICS, tuple)
    assert all(isinstance(spec, MetricSpec) for spec in METRICS)
    declared = [
        MetricSpec(m["name"], m["kind"], m.get("unit", ""), m["summary"])
        for m in DECLARED["metric"]
    ]
    by_name = {spec.name: spec for spec in METRICS}
    for spec in declared:
        assert by_name.get(spec.name) == spec
    ours = [spec for spec in METRICS if spec.name in {d.name for d in declared}]
    assert ours == declared, "file order"


def test_metrics_lists_the_collectors_metrics_too() -> None:
    kinds = {spec.name: (spec.kind, spec.unit) for spec in METRICS}
    for name, kind, unit in PROCESS_METRICS:
        assert kinds[name] == (kind, unit), name
    assert kinds["geno_lewm_build_info"] == ("info", "")
    assert len(METRICS) == len(DECLARED["metric"]) + len(PROCESS_METRICS) + 1


def test_a_metric_spec_is_a_row_with_attributes() -> None:
    spec = next(s for s in METRICS if s.name == "geno_lewm_train_step_duration_seconds")
    name, kind, unit, summary = spec
    assert (name, kind, unit) == (spec.name, "histogram", "seconds")
    assert summary == spec.summary and summary.startswith("Wall time of one step")


# --- lookups -------------------------------------------------------------------------------


def test_lookups_return_one_cached_handle_per_metric() -> None:
    assert get_counter("geno_lewm_train_steps_total") is get_counter("geno_lewm_train_steps_total")
    assert get_gauge("geno_lewm_train_loss") is get_gauge("geno_lewm_train_loss")
    histogram = get_histogram("geno_lewm_train_gradient_norm")
    assert histogram is get_histogram("geno_lewm_train_gradient_norm")
    assert isinstance(get_counter("geno_lewm_train_steps_total"), Counter)
    assert isinstance(get_gauge("geno_lewm_train_loss"), Gauge)
    assert isinstance(histogram, Histogram)
    assert histogram.name == "geno_lewm_train_gradient_norm"


def test_every_recordable_metric_has_its_handle() -> None:
    getters: dict[str, Callable[[str], Counter | Gauge | Histogram]] = {
        "counter": get_counter,
        "gauge": get_gauge,
        "histogram": get_histogram,
    }
    for metric in DECLARED["metric"]:
        if metric["kind"] in getters:
            handle = getters[metric["kind"]](metric["name"])
            assert handle.name == metric["name"]
            labels = metric.get("labels", {})
            assert handle.label_names == tuple(labels), metric["name"]


def test_an_unknown_name_is_a_key_error_with_the_closest_name() -> None:
    with pytest.raises(KeyError, match="did you mean 'geno_lewm_train_steps_total'"):
        get_counter("geno_lewm_train_step_total")
    with pytest.raises(KeyError, match="did you mean 'geno_lewm_train_loss'"):
        get_gauge("geno_lewm_train_los")
    with pytest.raises(KeyError, match="no histogram named 'nothing_like_it'"):
        get_histogram("nothing_like_it")


def test_a_wrong_kind_is_a_type_error_naming_both_kinds() -> None:
    with pytest.raises(TypeError, match=r"'geno_lewm_train_loss' is a gauge, not a counter; use get_gauge"):
        get_counter("geno_lewm_train_loss")
    with pytest.raises(TypeError, match=r"is a counter, not a histogram; use get_counter"):
        get_histogram("geno_lewm_train_steps_total")
    with pytest.raises(TypeError, match=r"is a histogram, not a gauge; use get_histogram"):
        get_gauge("geno_lewm_train_gradient_norm")


def test_info_and_collector_metrics_have_no_handle_and_say_why() -> None:
    with pytest.raises(TypeError, match="'geno_lewm_checkpoint_info' is an info metric, not a gauge"):
        get_gauge("geno_lewm_checkpoint_info")
    with pytest.raises(TypeError, match="is an info metric that the build_info collector reads"):
        get_counter("geno_lewm_build_info")
    for name, kind, _ in PROCESS_METRICS:
        getter = get_gauge if kind == "counter" else get_counter
        with pytest.raises(TypeError, match=f"'{name}' is a {kind} that the process collector reads"):
            getter(name)
    with pytest.raises(TypeError, match="the process collector reads at each exposition, not a gauge"):
        get_gauge("process_open_fds")


def test_handles_are_not_constructed() -> None:
    for cls in (Counter, Gauge, Histogram):
        with pytest.raises(TypeError):
            cls()


# --- recording -----------------------------------------------------------------------------


def test_counter() -> None:
    steps = get_counter("geno_lewm_train_steps_total")
    before = steps.get()
    steps.inc()
    steps.inc(41)
    steps.inc(0)
    assert steps.get() == before + 42
    with pytest.raises(ValueError, match="counters only go up"):
        steps.inc(-1)
    with pytest.raises(TypeError):
        steps.inc(0.5)  # type: ignore[arg-type]
    assert steps.get() == before + 42
    assert repr(steps) == "<Counter 'geno_lewm_train_steps_total'>"


def test_gauge_takes_any_float() -> None:
    loss = get_gauge("geno_lewm_train_loss")
    loss.set(0.5)
    loss.inc()
    loss.inc(0.25)
    loss.dec(2)
    assert loss.get() == -0.25
    loss.set(3)  # an int is a float
    assert loss.get() == 3.0
    loss.set(float("nan"))
    assert math.isnan(loss.get())
    loss.set(float("-inf"))
    assert loss.get() == float("-inf")


def test_histogram_snapshot_reset_and_nan() -> None:
    norm = get_histogram("geno_lewm_train_gradient_norm")
    assert norm.buckets == (0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, math.inf)
    norm.reset()
    for value in (0.05, 0.5, 0.7, 3.0, 1e6, float("nan")):
        norm.observe(value)
    snapshot = norm.snapshot()
    assert snapshot == {
        "buckets": [0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, math.inf],
        "counts": [0, 1, 2, 3, 3, 4, 4, 4, 5],
        "sum": 0.05 + 0.5 + 0.7 + 3.0 + 1e6,
        "count": 5,
    }, "NaN is dropped; counts are cumulative, the last is count"
    assert set(snapshot) == {"buckets", "counts", "sum", "count"}
    norm.reset()
    assert norm.snapshot()["counts"] == [0] * 9
    assert norm.snapshot()["count"] == 0 and norm.snapshot()["sum"] == 0.0


def test_histogram_time_observes_the_block_also_when_it_raises() -> None:
    waits = get_histogram("geno_lewm_dataloader_batch_wait_seconds")
    waits.reset()
    with waits.time():
        pass
    with pytest.raises(ZeroDivisionError):
        with waits.time():
            _ = 1 / 0
    snapshot = waits.snapshot()
    assert snapshot["count"] == 2
    assert 0 <= snapshot["sum"] < 1.0


# --- labels -------------------------------------------------------------------------------


def test_labels_by_name_and_by_position_pick_the_same_series() -> None:
    requests = get_counter("geno_lewm_inference_requests_total")
    assert requests.label_names == ("model", "status")
    before = requests.labels(model="geno-lewm-base", status="ok").get()
    requests.labels(model="geno-lewm-base", status="ok").inc()
    requests.labels(status="ok", model="geno-lewm-base").inc(2)
    requests.labels("geno-lewm-base", "ok").inc(3)
    assert requests.labels("geno-lewm-base", "ok").get() == before + 6
    assert requests.labels("geno-lewm-base", "error").get() == 0


def test_label_values_that_are_not_str_are_converted_as_client_python_does() -> None:
    memory = get_gauge("geno_lewm_gpu_memory_used_bytes")
    memory.labels(device=0).set(2.0**30)
    assert memory.labels(device="0").get() == 2.0**30


def test_a_labelled_histogram_and_gauge() -> None:
    step = get_histogram("geno_lewm_train_step_duration_seconds")
    evaluation = step.labels(phase="eval")
    evaluation.reset()
    evaluation.observe(0.2)
    assert evaluation.snapshot()["count"] == 1
    assert step.labels("eval").snapshot()["counts"][-1] == 1


def test_labels_are_validated_against_the_declaration() -> None:
    requests = get_counter("geno_lewm_inference_requests_total")
    with pytest.raises(ValueError, match="'maybe' is not a value of label 'status' .* it takes 'ok', 'error'"):
        requests.labels(model="m", status="maybe")
    with pytest.raises(ValueError, match="needs a value for its label 'status'"):
        requests.labels(model="m")
    with pytest.raises(ValueError, match="has no label 'modle'; its labels are model, status"):
        requests.labels(modle="m", status="ok")
    with pytest.raises(ValueError, match=r"takes 2 label value\(s\) \(model, status\), 1 given"):
        requests.labels("m")
    with pytest.raises(ValueError, match="by name or by position, not both"):
        requests.labels("m", status="ok")
    with pytest.raises(ValueError, match=r"has labels: pick a series with .labels\(model='...', status='ok'\)"):
        requests.inc()
    with pytest.raises(ValueError, match=r"has labels: pick a series with .labels\(phase='train'\)"):
        get_histogram("geno_lewm_train_step_duration_seconds").observe(1.0)
    with pytest.raises(ValueError, match="has no labels"):
        get_counter("geno_lewm_train_steps_total").labels(model="m")
    with pytest.raises(ValueError, match="is one series of its metric already"):
        requests.labels(model="m", status="ok").labels(model="m", status="ok")


def test_a_free_form_label_overflows_past_max_series() -> None:
    latency = get_histogram("geno_lewm_inference_request_duration_seconds")
    for n in range(20):
        latency.labels(model=f"overflow-test-{n}").observe(0.01)
    snapshot = snapshot_all()
    models = {
        s["labels"]["model"]
        for s in snapshot["metrics"]
        if s["name"] == "geno_lewm_inference_request_duration_seconds"
    }
    assert len(models) == 17 and "__overflow__" in models, models
    dropped = [
        s
        for s in snapshot["metrics"]
        if s["name"] == "geno_metrics_dropped_label_values_total"
        and s["labels"]["metric"] == "geno_lewm_inference_request_duration_seconds"
    ]
    assert dropped and isinstance(dropped[0]["value"], int) and dropped[0]["value"] >= 4


# --- snapshot_all, metrics_path, export --------------------------------------------------


def test_snapshot_all_is_every_series_with_the_constant_labels() -> None:
    get_counter("geno_lewm_checkpoint_writes_total").inc()
    snapshot = snapshot_all()
    assert set(snapshot) == {"const_labels", "metrics"}
    assert snapshot["const_labels"] == {"rank": os.environ.get("RANK") or "0"}
    entries = {(s["name"], tuple(sorted(s["labels"].items()))): s for s in snapshot["metrics"]}
    rank = ("rank", snapshot["const_labels"]["rank"])
    writes = entries[("geno_lewm_checkpoint_writes_total", (rank,))]
    assert writes["kind"] == "counter" and writes["unit"] == ""
    assert writes["value"] == get_counter("geno_lewm_checkpoint_writes_total").get()
    size = entries[("geno_lewm_checkpoint_size_bytes", (rank,))]
    assert (size["kind"], size["unit"], type(size["value"])) == ("gauge", "bytes", float)
    step = entries[("geno_lewm_train_step_duration_seconds", (("phase", "train"), rank))]
    assert step["kind"] == "histogram" and isinstance(step["value"], dict)
    assert set(step["value"]) == {"buckets", "counts", "sum", "count"}
    build = entries[
        next(key for key in entries if key[0] == "geno_lewm_build_info")
    ]
    assert build["kind"] == "info" and build["value"] == 1
    assert build["labels"]["package"] == "geno-metrics-py"
    cpu = entries[("process_cpu_seconds_total", (rank,))]
    assert cpu["kind"] == "counter" and isinstance(cpu["value"], float)


def test_metrics_path_follows_the_log_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    monkeypatch.setenv("GENO_LEWM_LOG_DIR", str(tmp_path))
    assert metrics_path() == tmp_path / "metrics.prom"
    assert isinstance(metrics_path(), pathlib.Path)
    monkeypatch.setenv("GENO_LEWM_LOG_DIR", "")
    assert metrics_path() == pathlib.Path("metrics.prom")
    monkeypatch.delenv("GENO_LEWM_LOG_DIR")
    assert metrics_path() == pathlib.Path("metrics.prom")


def test_export_to_a_path_returns_it_as_a_pathlib_path(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "deep" / "er" / "metrics.prom"
    written = export_prometheus_textfile(target)
    assert written == target and isinstance(written, pathlib.Path)
    text = target.read_text()
    assert "# TYPE geno_lewm_train_steps_total counter\n" in text and text.endswith("\n")
    assert export_prometheus_textfile(str(target)) == target
    assert [p.name for p in target.parent.iterdir()] == ["metrics.prom"], "no temporary file left"


def test_export_without_a_path_writes_the_registrys_default_file(tmp_path: pathlib.Path) -> None:
    # A process of its own, as the constant labels (rank) freeze once per process.
    env = dict(os.environ, GENO_LEWM_LOG_DIR=str(tmp_path), RANK="3")
    done = run_python("import geno_metrics as g; print(g.export_prometheus_textfile())", env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "metrics.rank=3.prom")
    assert 'geno_lewm_train_steps_total{rank="3"} 0\n' in (tmp_path / "metrics.rank=3.prom").read_text()


def test_a_failed_export_is_an_os_error_naming_the_path_and_leaves_the_file(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "metrics.prom"
    export_prometheus_textfile(target)
    before = target.read_bytes()
    get_counter("geno_lewm_train_steps_total").inc()
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    with pytest.raises(OSError, match=str(blocked / "metrics.prom")):
        export_prometheus_textfile(blocked / "metrics.prom")
    directory = tmp_path / "a-directory.prom"
    directory.mkdir()
    with pytest.raises(OSError, match="a-directory.prom"):
        export_prometheus_textfile(directory)
    assert target.read_bytes() == before


# --- the names and their stubs ----------------------------------------------------------


def test_the_stubs_declare_every_name_of_the_native_module() -> None:
    import ast

    from geno_metrics import _native

    stub = pathlib.Path(_native.__file__).with_name("_native.pyi")
    assert stub.is_file(), "the wheel ships _native.pyi beside the module"
    assert (stub.parent / "py.typed").is_file(), "the wheel ships py.typed"
    tree = ast.parse(stub.read_text())
    declared = {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    } | {
        node.target.id
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    public = {name for name in dir(_native) if not name.startswith("_")}
    assert public == declared


def test_the_package_exports_the_names_of_the_contract() -> None:
    contract = {
        "METRICS", "MetricSpec", "Counter", "Gauge", "Histogram", "HistogramSnapshot",
        "get_counter", "get_gauge", "get_histogram", "snapshot_all", "metrics_path",
        "export_prometheus_textfile", "add_sync_hook",
    }
    assert contract <= set(geno_metrics.__all__)
    for name in geno_metrics.__all__:
        assert hasattr(geno_metrics, name), name
