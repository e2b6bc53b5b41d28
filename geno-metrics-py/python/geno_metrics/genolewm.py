"""GenoLeWM's Rust code in this module, built with the workspace's registry only.

Its functions record and read through the registry's typed Rust handles, the statics Rust
code uses, so they show what Python records and what Rust records land in one registry.
"""

from __future__ import annotations

try:
    from geno_metrics._native import (
        genolewm_export_from_rust as export_from_rust,
        genolewm_read_fasta as read_fasta,
        genolewm_train_steps_total as train_steps_total,
    )
except ImportError as error:  # a module built from another registry
    raise ImportError(
        "geno_metrics.genolewm (and geno_metrics.example, which uses it) exist only in a "
        "module built from the GenoLeWM registry, the repository's own metrics.toml; this "
        "one was built from another (GENO_METRICS_TOML was set)"
    ) from error

__all__ = ["export_from_rust", "read_fasta", "train_steps_total"]
