"""`ven demo` on a loaded machine: `python benchmarks/bench_demo_loaded.py [--runs 10] [--busy 2]`.

Starts `--busy` busy-loop processes (pure CPU, one core each), then runs `ven demo --json` `--runs` times
for each kind (the simulated fleet at 200x, and `--chargers ocpp`), one after another, each in its own
process as a user would. Per run: exit code, whether stdout is exactly one valid JSON object, departure
SOC violations and how many departures were checked, delivered/requested (as the VTN measured it), the
VEN's answer and the wall time; a run without valid JSON or delivering under half the request keeps its
stderr in `bench-demo-<kind>-<n>.log` (current folder). Totals: runs with valid JSON, total violations,
departures checked, the median and minimum delivered ratio and the median wall time. The busy loops are
stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

KINDS = ("simulated", "ocpp")
DEMO_TIMEOUT_S = 600


@dataclass(frozen=True)
class Run:
    kind: str
    exit_code: int
    json_ok: bool
    violations: int | None
    checked: int | None
    ratio: float | None
    opt: str | None
    wall_s: float
    stderr: str

    def line(self, number: int) -> str:
        ratio = "—" if self.ratio is None else f"{self.ratio:.3f}"
        return (
            f"{self.kind:9s} run {number:2d}: exit {self.exit_code}, JSON {'ok' if self.json_ok else 'BAD'}, "
            f"departure violations {self.violations} of {self.checked} checked, "
            f"delivered/requested {ratio} ({self.opt}), wall {self.wall_s:.1f} s"
        )


def one_object(stdout: str) -> dict[str, object] | None:
    """The JSON object if stdout is exactly one (and nothing else), else None."""
    try:
        value, end = json.JSONDecoder().raw_decode(stdout.strip())
    except ValueError:
        return None
    return value if isinstance(value, dict) and end == len(stdout.strip()) else None


def run_demo(kind: str, folder: Path) -> Run:
    command = [
        sys.executable,
        "-m",
        "ven.cli.main",
        "demo",
        "--json",
        "--quiet",
        "--plot",
        str(folder / "p.png"),
    ]
    if kind == "ocpp":
        command += ["--chargers", "ocpp"]
    began = time.monotonic()
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=DEMO_TIMEOUT_S, check=False, cwd=folder
    )
    wall_s = time.monotonic() - began
    summary = one_object(result.stdout)
    if summary is None:
        return Run(kind, result.returncode, json_ok=False, violations=None, checked=None, ratio=None,
                   opt=None, wall_s=wall_s, stderr=result.stderr)  # fmt: skip
    requested, delivered = summary.get("requested_kw"), summary.get("delivered_kw")
    ratio = float(delivered) / float(requested) if requested else None  # type: ignore[arg-type]
    ven = summary.get("ven")
    return Run(
        kind,
        result.returncode,
        json_ok=True,
        violations=int(summary["departure_soc_violations"]),  # type: ignore[call-overload]
        checked=int(summary["departures_checked"]),  # type: ignore[call-overload]
        ratio=ratio,
        opt=str(ven.get("opt")) if isinstance(ven, dict) else None,
        wall_s=wall_s,
        stderr=result.stderr,
    )


def summary_line(kind: str, runs: list[Run]) -> str:
    ratios = [r.ratio for r in runs if r.ratio is not None]
    ok = sum(r.json_ok and r.exit_code == 0 for r in runs)
    violations = sum(r.violations or 0 for r in runs)
    checked = sum(r.checked or 0 for r in runs)
    ratio = f"median {statistics.median(ratios):.3f}, min {min(ratios):.3f}" if ratios else "—"
    return (
        f"{kind:9s} total: {ok}/{len(runs)} runs exit 0 with one valid JSON object; departure violations "
        f"{violations} over {checked} departures checked; delivered/requested {ratio}; wall median "
        f"{statistics.median(r.wall_s for r in runs):.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="demos of each kind (default: %(default)s)")
    parser.add_argument(
        "--busy", type=int, default=2, help="busy-loop processes beside it (default: %(default)s)"
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help="simulated,ocpp (default: both)")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    print(
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} before; {args.busy} busy loops beside every demo"
    )
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    results: dict[str, list[Run]] = {kind: [] for kind in kinds}
    try:
        for kind in kinds:
            for number in range(1, args.runs + 1):
                with tempfile.TemporaryDirectory(prefix="bench-demo-") as folder:
                    run = run_demo(kind, Path(folder))
                results[kind].append(run)
                print(run.line(number), flush=True)
                if not run.json_ok or run.ratio is None or run.ratio < 0.5:
                    Path(f"bench-demo-{kind}-{number}.log").write_text(run.stderr)
    finally:
        for process in busy:
            process.terminate()
            process.wait()
    print()
    for kind, runs in results.items():
        print(summary_line(kind, runs))


if __name__ == "__main__":
    main()
