"""Eight Python threads record while another exports: no increment or observation is lost,
every exported file is complete, and every histogram read is consistent."""

from __future__ import annotations

import threading
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from geno_metrics import export_prometheus_textfile, get_counter, get_histogram

from conftest import promtool_check

THREADS = 8
ROUNDS = 20_000


def test_eight_threads_record_while_another_exports(tmp_path: Path) -> None:
    steps = get_counter("geno_lewm_train_steps_total")
    requests = get_counter("geno_lewm_inference_requests_total")
    latency = get_histogram("geno_lewm_inference_request_duration_seconds").labels(model="threads")
    waits = get_histogram("geno_lewm_dataloader_batch_wait_seconds")
    waits.reset()
    steps_before = steps.get()
    ok_before = requests.labels(model="threads", status="ok").get()
    latency_before = latency.snapshot()

    start = threading.Barrier(THREADS + 1)
    recording = threading.Event()
    recording.set()

    def record(n: int) -> None:
        series = requests.labels(model="threads", status="ok")
        start.wait()
        for i in range(ROUNDS):
            steps.inc()
            series.inc()
            latency.observe(0.001 * (i % 7))
            waits.observe(0.5)

    target = tmp_path / "metrics.prom"
    exported: list[str] = []
    snapshots_bad: list[str] = []

    def export() -> None:
        start.wait()
        while recording.is_set():
            exported.append(export_prometheus_textfile(target).read_text())
            snapshot = waits.snapshot()
            counts = snapshot["counts"]
            if counts != sorted(counts) or counts[-1] != snapshot["count"] or snapshot["sum"] != 0.5 * snapshot["count"]:
                snapshots_bad.append(repr(snapshot))

    workers = [threading.Thread(target=record, args=(n,)) for n in range(THREADS)]
    exporter = threading.Thread(target=export)
    for thread in [*workers, exporter]:
        thread.start()
    for thread in workers:
        thread.join()
    recording.clear()
    exporter.join()

    total = THREADS * ROUNDS
    assert steps.get() == steps_before + total
    assert requests.labels(model="threads", status="ok").get() == ok_before + total
    assert latency.snapshot()["count"] == latency_before["count"] + total
    assert waits.snapshot()["count"] == total
    assert not snapshots_bad, snapshots_bad[:3]
    assert len(exported) >= 2, "the exporter ran while the threads recorded"

    last_steps = -1
    for text in exported:
        assert text.endswith("\n") and "# TYPE process_threads gauge\n" in text, "complete"
        families = {family.name: family for family in text_string_to_metric_families(text)}
        (sample,) = families["geno_lewm_train_steps"].samples
        assert steps_before <= sample.value <= steps_before + total
        assert sample.value >= last_steps, "exports are serialised: values never go back"
        last_steps = int(sample.value)
        buckets = [s for s in families["geno_lewm_dataloader_batch_wait_seconds"].samples if s.name.endswith("_bucket")]
        assert [s.value for s in buckets] == sorted(s.value for s in buckets)
    final = export_prometheus_textfile(target)
    promtool_check(final)
    assert f'geno_lewm_train_steps_total{{rank="0"}} {steps_before + total}\n' in final.read_text()
