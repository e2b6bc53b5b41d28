"""Python and the Rust code compiled into the module share one registry: what one records,
the other reads, and one export writes both. The Rust side is `src/genolewm.rs`, which uses
the registry's typed statics (`TRAIN_STEPS_TOTAL`, `DATALOADER_RECORDS_SKIPPED_TOTAL`) as any
Rust code of the process does."""

from __future__ import annotations

from pathlib import Path

from geno_metrics import export_prometheus_textfile, get_counter
from geno_metrics.genolewm import export_from_rust, read_fasta, train_steps_total

from conftest import promtool_check


def test_what_python_records_rust_reads() -> None:
    steps = get_counter("geno_lewm_train_steps_total")
    steps.inc(7)
    assert train_steps_total() == steps.get()


def test_what_rust_records_python_reads() -> None:
    skipped = get_counter("geno_lewm_dataloader_records_skipped_total")
    bad_header = skipped.labels(reason="bad_header").get()
    unknown_base = skipped.labels(reason="unknown_base").get()
    records = read_fasta(">r1 ok\nACGT\nNNAC\n>\nACGT\n>r3\nACXT\n>r4\nGG\n")
    assert records == [("r1", "ACGTNNAC"), ("r4", "GG")]
    assert skipped.labels(reason="bad_header").get() == bad_header + 1
    assert skipped.labels(reason="unknown_base").get() == unknown_base + 1


def test_one_export_writes_what_both_recorded(tmp_path: Path) -> None:
    get_counter("geno_lewm_train_steps_total").inc()
    read_fasta(">\nA\n")
    steps = get_counter("geno_lewm_train_steps_total").get()
    bad_header = get_counter("geno_lewm_dataloader_records_skipped_total").labels(reason="bad_header").get()
    for written in (export_prometheus_textfile(tmp_path / "py.prom"), export_from_rust(tmp_path / "rust.prom")):
        text = written.read_text()
        assert f'geno_lewm_train_steps_total{{rank="0"}} {steps}\n' in text
        assert f'geno_lewm_dataloader_records_skipped_total{{rank="0",reason="bad_header"}} {bad_header}\n' in text
        promtool_check(written)
    assert _same_but_process(tmp_path / "py.prom", tmp_path / "rust.prom")


def _same_but_process(a: Path, b: Path) -> bool:
    """The two files are the same registry: equal but for the process collector's readings,
    which change between two exports."""

    def stable(path: Path) -> list[str]:
        return [line for line in path.read_text().splitlines() if not line.startswith("process_")]

    return stable(a) == stable(b)
