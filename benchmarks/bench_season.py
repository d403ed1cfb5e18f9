"""Season runtime: `python benchmarks/bench_season.py [--quick] [--sizes 90,1000,10000] [--days 122]
[--lengths 7,30,122] [--repeat N]`.

1. The Massachusetts fleet's full summer (122 days, 60 events) with `ven season`'s default policy: wall and
   CPU seconds (target: ≤ 2 min on this 2-core machine).
2. Scaling with fleet size: the example fleet replicated (every EV and site copied k times, the requested
   kW scaled with it, life profiles matching by site pattern as before), 90 → 10,000 EVs (target for
   10,000 EVs: ≤ 15 min for the summer).
3. Scaling with season length: 7, 30 and 122 days of the Massachusetts fleet.

Each row is the median of `--repeat` runs (default 1: a season takes minutes; the statistic is stated),
each in a fresh process so no run inherits another's caches; wall time with `time.monotonic`, CPU time and
peak resident memory of that child (os.wait4).
Each row also gives /proc/loadavg's three averages before and after its run (the machine is shared).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "massachusetts"


def replicate(folder: Path, copies: int) -> Path:
    """The example (season.toml, ven.toml, fleet.csv) with its fleet copied `copies` times into `folder`."""
    rows = list(csv.DictReader(io.StringIO((EXAMPLE / "fleet.csv").read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for copy in range(copies):
        suffix = "" if copy == 0 else f"-r{copy}"
        for row in rows:
            writer.writerow(
                {
                    **row,
                    "ev_id": row["ev_id"] + suffix,
                    "site": row["site"] + suffix,
                    "charger_id": (row.get("charger_id") or row["ev_id"]) + suffix,
                }
            )
    (folder / "fleet.csv").write_text(out.getvalue(), encoding="utf-8")
    ven = (EXAMPLE / "ven.toml").read_text(encoding="utf-8")
    (folder / "ven.toml").write_text(re.sub(r'url = "sqlite:///[^"]*"', 'url = "sqlite:///ven.db"', ven))
    season = (EXAMPLE / "season.toml").read_text(encoding="utf-8")
    found = re.search(r"requested_kw = \[(\d+), (\d+)\]", season)
    if found is None:
        raise SystemExit("examples/massachusetts/season.toml has no requested_kw = [low, high]")
    low, high = (int(v) for v in found.groups())
    season = season.replace(
        f"requested_kw = [{low}, {high}]", f"requested_kw = [{low * copies}, {high * copies}]"
    )
    (folder / "season.toml").write_text(season, encoding="utf-8")
    return folder / "season.toml"


def loadavg() -> str:
    """The 1-, 5- and 15-minute load averages, as /proc/loadavg gives them."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    note: str


def run_season(config: Path, days: int | None) -> Run:
    """One `ven season --json` run in a fresh process: wall and CPU seconds, its peak resident memory
    (os.wait4's rusage of that child alone) and a summary (figures, load before -> after)."""
    args = [sys.executable, "-m", "ven.cli.main", "season", "--config", str(config), "--json"]
    if days is not None:
        args += ["--days", str(days)]
    load_before = loadavg()
    began = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(args, stdout=out, stderr=err, cwd=config.parent)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - began
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"season failed ({child.returncode}): {stderr[-2000:]}")
    figures = json.loads(stdout)
    note = (
        f"{figures['events']} events, delivered {figures['delivered_kw_avg']:,.0f} of "
        f"{figures['requested_kw_avg']:,.0f} kW, {figures['constraint_violations']} violations; "
        f"load {load_before} -> {loadavg()}"
    )
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, note)


def measure(config: Path, days: int | None, repeat: int, label: str) -> None:
    """Print the median of `repeat` runs (wall, CPU, peak RSS) and each run's figures."""
    runs = [run_season(config, days) for _ in range(repeat)]
    wall = statistics.median(r.wall_s for r in runs)
    cpu = statistics.median(r.cpu_s for r in runs)
    rss = statistics.median(r.peak_rss_mib for r in runs)
    print(f"  {label}: wall {wall:7.1f} s, CPU {cpu:7.1f} s, peak RSS {rss:6.0f} MiB", flush=True)
    for r in runs:
        print(f"      run: wall {r.wall_s:.1f} s, CPU {r.cpu_s:.1f} s, {r.peak_rss_mib:.0f} MiB ({r.note})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="90,1000,10000", help="fleet sizes (multiples of 90 EVs)")
    parser.add_argument("--days", type=int, default=122, help="season length for the size scaling")
    parser.add_argument("--lengths", default="7,30,122", help="days, for 90 EVs ('' skips)")
    parser.add_argument("--quick", action="store_true", help="7 days and sizes 90,1000 only (a smoke run)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row; the row gives their median")
    args = parser.parse_args()
    sizes = [90, 1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    days = 7 if args.quick else args.days
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=False
    ).stdout.strip()
    print(f"commit {commit or '?'}; load average at start: {loadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-season-") as tmp:
        statistic = f"median of {args.repeat}" if args.repeat > 1 else "1 run"
        print(f"\nfleet size (season of {days} days; {statistic} each)")
        for size in sizes:
            copies = max(round(size / 90), 1)
            folder = Path(tmp) / f"x{copies}"
            folder.mkdir()
            measure(replicate(folder, copies), days, args.repeat, f"{copies * 90:>6} EVs")
        lengths = [int(n) for n in args.lengths.split(",") if n]
        if not args.quick and lengths:
            print(f"\nseason length (90 EVs; {statistic} each)")
            folder = Path(tmp) / "length"
            folder.mkdir()
            config = replicate(folder, 1)
            for length in lengths:
                measure(config, length, args.repeat, f"{length:>4} days")
        print(f"\nload average at end: {loadavg()}")


if __name__ == "__main__":
    main()
