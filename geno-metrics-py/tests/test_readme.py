"""README.md's Python snippets run as they are written, each in an interpreter of its own."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import REPOSITORY, run_python


def python_blocks() -> list[str]:
    readme = (REPOSITORY / "README.md").read_text()
    return re.findall(r"^```python\n(.*?)^```$", readme, flags=re.DOTALL | re.MULTILINE)


def test_the_readmes_python_snippets_run(tmp_path: Path) -> None:
    blocks = python_blocks()
    assert blocks, "README.md has a Python snippet in \"From Python\""
    env = {key: value for key, value in os.environ.items() if key != "RANK"}
    env["GENO_LEWM_LOG_DIR"] = str(tmp_path)
    for block in blocks:
        done = run_python(block, env)
        assert done.returncode == 0, f"{block}\n{done.stderr}"
    assert (tmp_path / "metrics.rank=0.prom").is_file()
