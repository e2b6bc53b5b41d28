"""A short GenoLeWM training run in Python, recording into the registry and exporting it.

    python -m geno_metrics.example [--steps N] [--export-every N] [--output PATH]

The training loop is Python (its forward and backward passes are arithmetic on random
numbers); its data loader is Rust: ``geno_metrics.genolewm.read_fasta``, compiled into the
same module, counts the records it skips through the registry's Rust handles. A logging filter
masks sequence fragments in log records and counts them on its own; a sync hook copies that
count into ``geno_lewm_log_redactions_total`` before every export. The textfile is exported
every ``--export-every`` steps and at the end, to ``--output`` or to the default path
(``$GENO_LEWM_LOG_DIR/metrics.rank=<RANK>.prom``); the run prints where, and a summary.
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import sys
import threading
from pathlib import Path

from geno_metrics import (
    HistogramSnapshot,
    add_sync_hook,
    export_prometheus_textfile,
    get_counter,
    get_gauge,
    get_histogram,
)
from geno_metrics.genolewm import read_fasta

BATCH_SIZE = 8
"""Records per batch."""

TOKENS_PER_BASE = 0.25
"""The tokenizer's rate: one token spans about four bases."""


class RedactionFilter(logging.Filter):
    """Masks DNA fragments of 12 bases or more in log messages, and counts the records it
    changed. It knows nothing of metrics: a sync hook reads its count."""

    FRAGMENT = re.compile(r"[ACGT]{12,}")

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.redacted = 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.FRAGMENT.sub("[sequence]", message)
        if masked != message:
            record.msg, record.args = masked, None
            with self._lock:
                self.redacted += 1
        return True


def synthetic_fasta(rng: random.Random, records: int) -> str:
    """FASTA text of ``records`` reads, about one in twenty malformed (no id, or a base
    symbol that is not one)."""
    lines = []
    for n in range(records):
        sequence = "".join(rng.choice("ACGT") for _ in range(rng.randint(40, 120)))
        flaw = rng.random()
        if flaw < 0.03:
            lines.append(">")
        else:
            lines.append(f">read{n} sample=S{n % 7}")
        if 0.03 <= flaw < 0.05:
            sequence = sequence[:10] + "X" + sequence[11:]
        lines.append(sequence)
    return "\n".join(lines) + "\n"


def quantile(snapshot: HistogramSnapshot, q: float) -> float:
    """The ``q``-quantile as PromQL's histogram_quantile estimates it from the buckets."""
    count = snapshot["count"]
    if count == 0:
        return float("nan")
    rank = q * count
    lower, below = 0.0, 0
    for bound, cumulative in zip(snapshot["buckets"], snapshot["counts"]):
        if cumulative >= rank:
            if bound == float("inf"):
                return lower
            inside = cumulative - below
            return bound if inside == 0 else lower + (bound - lower) * (rank - below) / inside
        lower, below = bound, cumulative
    return lower


def train(steps: int, export_every: int, output: Path | None) -> Path:
    """Runs the training loop; returns where the last export wrote."""
    rng = random.Random(42)
    log = logging.getLogger("geno_lewm.train")
    log.setLevel(logging.INFO)
    log.propagate = False  # the run's own log stays quiet; the filter still sees each record
    log.addHandler(logging.NullHandler())
    redaction = RedactionFilter()
    log.addFilter(redaction)

    redactions = get_counter("geno_lewm_log_redactions_total")

    def sync_redactions() -> None:
        # Idempotent: adds only what the filter counted since the last sync.
        redactions.inc(max(0, redaction.redacted - redactions.get()))

    add_sync_hook(sync_redactions)

    steps_total = get_counter("geno_lewm_train_steps_total")
    tokens = get_counter("geno_lewm_train_tokens_total")
    bases = get_counter("geno_lewm_train_bases_total")
    loss = get_gauge("geno_lewm_train_loss")
    learning_rate = get_gauge("geno_lewm_train_learning_rate")
    epoch = get_gauge("geno_lewm_train_epoch")
    gradient_norm = get_histogram("geno_lewm_train_gradient_norm")
    step_duration = get_histogram("geno_lewm_train_step_duration_seconds")
    train_steps = step_duration.labels(phase="train")
    eval_steps = step_duration.labels(phase="eval")
    batch_wait = get_histogram("geno_lewm_dataloader_batch_wait_seconds")
    queue_depth = get_gauge("geno_lewm_dataloader_queue_depth")

    records = read_fasta(synthetic_fasta(rng, steps * BATCH_SIZE + BATCH_SIZE * 4))
    batches = [records[i : i + BATCH_SIZE] for i in range(0, len(records), BATCH_SIZE)]
    written = Path()
    for step in range(steps):
        batch = batches[step % len(batches)]
        queue_depth.set(len(batches) - 1 - step % len(batches))
        batch_wait.observe(rng.expovariate(2000.0))
        with train_steps.time():
            # The forward and backward pass.
            weights = [rng.gauss(0.0, 1.0) for _ in range(2000)]
            norm = sum(w * w for w in weights) ** 0.5 / 40.0
        gradient_norm.observe(norm)
        loss.set(2.5 / (1.0 + step / 20.0) + rng.uniform(0.0, 0.05))
        learning_rate.set(3e-4 * min(1.0, (step + 1) / 10.0))
        epoch.set(step * BATCH_SIZE // len(records))
        read = sum(len(sequence) for _, sequence in batch)
        bases.inc(read)
        tokens.inc(int(read * TOKENS_PER_BASE))
        steps_total.inc()
        if step % 10 == 9:
            with eval_steps.time():
                sum(rng.random() for _ in range(1000))
            log.info("step %d: sample %s", step + 1, batch[0][1][:16])
        if (step + 1) % export_every == 0 or step + 1 == steps:
            written = export_prometheus_textfile(output)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m geno_metrics.example",
        description=(__doc__ or "").replace("``", "`"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--steps", type=int, default=200, help="optimizer steps (default 200)")
    parser.add_argument(
        "--export-every", type=int, default=50, help="export every N steps (default 50)"
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="the textfile (default: the registry's)"
    )
    args = parser.parse_args(argv)
    if args.steps < 1 or args.export_every < 1:
        parser.error("--steps and --export-every take a number of at least 1")
    try:
        written = train(args.steps, args.export_every, args.output)
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    skipped = get_counter("geno_lewm_dataloader_records_skipped_total")
    steps = get_counter("geno_lewm_train_steps_total").get()
    bad_header = skipped.labels(reason="bad_header").get()
    unknown_base = skipped.labels(reason="unknown_base").get()
    redactions = get_counter("geno_lewm_log_redactions_total").get()
    step_times = get_histogram("geno_lewm_train_step_duration_seconds").labels(phase="train")
    snapshot = step_times.snapshot()
    print(f"exported to {written}")
    print(
        f"steps {steps}; records the Rust loader skipped: {bad_header} bad header, "
        f"{unknown_base} unknown base; log records redacted {redactions}"
    )
    p50, p90, p99 = (quantile(snapshot, q) * 1000 for q in (0.5, 0.9, 0.99))
    print(f"step time p50 {p50:.2f} ms, p90 {p90:.2f} ms, p99 {p99:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
