"""`ven demo` in its own process, as a user runs it: the finished process, its summary read from stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

DEMO_TIMEOUT_S = 180  # a hang guard; the showcase takes about a minute


def run_demo(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`python -m ven.cli.main demo …` in `cwd`; asserts exit 0 (with the stderr tail) and returns the
    process and its `--json` summary."""
    result = subprocess.run(
        [sys.executable, "-m", "ven.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=DEMO_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result, json.loads(result.stdout)
