"""What every benchmark prints besides its figures: the machine, the statistic, a Markdown table."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
HERE = Path(__file__).resolve().parent


def machine() -> str:
    """One line: CPU model and cores, load when the run started, Python and the libraries that matter."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    libraries = []
    for name in ("numpy", "scipy", "highspy", "openleadr", "ocpp"):
        try:
            libraries.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"machine: {model}, {os.cpu_count()} cores, load average {load} at start; "
        f"{platform.python_implementation()} {platform.python_version()}, {', '.join(libraries)}; "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )


def median_of(repeats: int, action: Callable[[], T]) -> tuple[float, T]:
    """(median wall seconds of `repeats` (≥ 1) calls, the last call's result)."""
    timings = []
    for _ in range(repeats - 1):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    result = action()
    timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_fresh_process(script: str, *args: str) -> dict[str, object]:
    """Run `script` (in benchmarks/) with `args` in a new interpreter; it prints one JSON object last.

    Peak RSS is per process, so each measurement that reports it gets a process of its own.
    """
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args], capture_output=True, text=True, check=False, timeout=7200
    )
    if done.returncode != 0:
        sys.exit(f"{script} {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def markdown(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; numbers right-aligned."""

    def cell(value: object) -> str:
        return value if isinstance(value, str) else f"{value}"

    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(headers))) + "|")
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
