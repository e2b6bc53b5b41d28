"""GenoLeWM's Rust code in this module, built with the workspace's registry only.

Its functions record and read through the registry's typed Rust handles, the statics Rust
code uses, so they show what Python records and what Rust records land in one registry.
"""

from __future__ import annotations

from geno_metrics._native import (
    genolewm_export_from_rust as export_from_rust,
    genolewm_read_fasta as read_fasta,
    genolewm_train_steps_total as train_steps_total,
)

__all__ = ["export_from_rust", "read_fasta", "train_steps_total"]
