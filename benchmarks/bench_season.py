"""Season runtime: `python benchmarks/bench_season.py [--quick] [--sizes 90,1000,10000] [--days 122]
[--lengths 7,30,122]`.

1. The Massachusetts fleet's full summer (122 days, 60 events) with `ven season`'s default policy: wall and
   CPU seconds (target: ≤ 2 min on this 2-core machine).
2. Scaling with fleet size: the example fleet replicated (every EV and site copied k times, the requested
   kW scaled with it, life profiles matching by site pattern as before), 90 → 10,000 EVs (target for
   10,000 EVs: ≤ 15 min for the summer).
3. Scaling with season length: 7, 30 and 122 days of the Massachusetts fleet.

Each figure is one run (a season takes minutes; the statistic is stated as "1 run"), in a fresh process
so no run inherits another's caches; wall time with `time.monotonic`, CPU time of the child process.
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
import resource
import subprocess
import sys
import tempfile
import time
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


def run_season(config: Path, days: int | None) -> tuple[float, float, str]:
    """Wall seconds, child CPU seconds and a summary (figures, load before -> after) of one
    `ven season --json` run."""
    args = [sys.executable, "-m", "ven.cli.main", "season", "--config", str(config), "--json"]
    if days is not None:
        args += ["--days", str(days)]
    load_before = loadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=config.parent)
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"season failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures = json.loads(done.stdout)
    note = (
        f"{figures['events']} events, delivered {figures['delivered_kw_avg']:,.0f} of "
        f"{figures['requested_kw_avg']:,.0f} kW, {figures['constraint_violations']} violations; "
        f"load {load_before} -> {loadavg()}"
    )
    return wall, cpu, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="90,1000,10000", help="fleet sizes (multiples of 90 EVs)")
    parser.add_argument("--days", type=int, default=122, help="season length for the size scaling")
    parser.add_argument("--lengths", default="7,30,122", help="days, for 90 EVs ('' skips)")
    parser.add_argument("--quick", action="store_true", help="7 days and sizes 90,1000 only (a smoke run)")
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
        print(f"\nfleet size (season of {days} days; 1 run each)")
        for size in sizes:
            copies = max(round(size / 90), 1)
            folder = Path(tmp) / f"x{copies}"
            folder.mkdir()
            config = replicate(folder, copies)
            wall, cpu, note = run_season(config, days)
            print(f"  {copies * 90:>6} EVs: wall {wall:7.1f} s, CPU {cpu:7.1f} s  ({note})", flush=True)
        lengths = [int(n) for n in args.lengths.split(",") if n]
        if not args.quick and lengths:
            print("\nseason length (90 EVs; 1 run each)")
            folder = Path(tmp) / "length"
            folder.mkdir()
            config = replicate(folder, 1)
            for length in lengths:
                wall, cpu, note = run_season(config, length)
                print(f"  {length:>4} days: wall {wall:7.1f} s, CPU {cpu:7.1f} s  ({note})", flush=True)
        print(f"\nload average at end: {loadavg()}")


if __name__ == "__main__":
    main()
