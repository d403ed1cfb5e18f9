"""Many VENs on one database: 40 `ven run` processes x 250 EVs (10,000 EVs) through one event, on one
PostgreSQL, then the same with an SQLite file per VEN, side by side.

Everything is a real process: a PostgreSQL server started here (initdb in a temporary folder), one
`vtn-mock serve`, and one `ven run` per VEN. Each VEN gets one LOAD_DISPATCH event (all starting at the
same instant). Figures, per backend:
  - event start -> first setpoints applied, per VEN (the VEN's dispatch_steps metric turning 1; polled
    every 0.5 s, so +-0.5 s): median and max over the VENs;
  - control-step time (the VEN's control_step_seconds metric: read, plan, apply): median and p95 of all
    steps seen;
  - database writes per second over the event (write statements, summed over the VENs' storage_writes);
  - growth per day: bytes the database grew over the event window, scaled to 24 h of back-to-back events,
    and over the idle minute before it, scaled to 24 h without events.
Beside them: the backend's whole run (start to last exit) in wall seconds, the CPU seconds of the VENs and
the VTN (this script's children) and of the PostgreSQL server (postmaster and its backends, from /proc),
and /proc/loadavg before and after. One run per backend (the statistic of each row is stated there).

    .venv/bin/python benchmarks/bench_districts.py [--vens 40] [--evs 250] [--backends postgresql,sqlite]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from tests.pgserver import PgServer
from tests.processes import (
    MockVtn,
    free_port,
    metrics,
    sqlite_bytes,
    start_ven,
    write_fleet,
    write_ven_config,
)
from tests.waiting import wait_until

IDLE_S = 60.0  # measured growth with no event, before the event starts


def db_size(backend: str, target: str | Path) -> int:
    if backend == "postgresql":
        with psycopg.connect(str(target)) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            return int(row[0]) if row else 0
    return sum(sqlite_bytes(p) for p in Path(target).glob("*.db"))


def loadavg() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def children_cpu_s() -> float:
    """CPU seconds of this script's waited-for children (the VENs and the VTN once they exit)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_cpu_s(server: PgServer) -> float:
    """CPU seconds of the PostgreSQL server so far: the postmaster (with its exited children) and its live
    children (the VENs' backends, checkpointer, WAL writer...), from /proc/<pid>/stat."""
    postmaster = int((server.data / "postmaster.pid").read_text(encoding="utf-8").split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
        elif ppid == postmaster:
            total += sum(int(v) for v in fields[11:13]) / tick
    return total


def run(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    load_before, began, cpu_before = loadavg(), time.monotonic(), children_cpu_s()
    print(f"{backend}: load {load_before}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix=f"bench-districts-{backend}-"))
    server = None
    server_cpu = 0.0
    if backend == "postgresql":
        pg_folder = Path(tempfile.mkdtemp(prefix="bench-districts-pg-"))
        server = PgServer.create(pg_folder)
        size_target: str | Path = server.url
    else:
        (folder / "db").mkdir()
        size_target = folder / "db"
    vtn = MockVtn.start(folder, poll_interval=args.poll_interval)
    names = [f"district-{i:02d}" for i in range(args.vens)]
    ports = {name: free_port() for name in names}
    vens: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in names:
            storage = server.url if server is not None else f"sqlite:///{folder / 'db' / name}.db"
            config = write_ven_config(
                folder,
                name=name,
                vtn_url=vtn.openadr_url,
                fleet=write_fleet(folder / f"{name}.csv", args.evs, prefix=f"{name}-", sites=5),
                storage_url=storage,
                http_port=ports[name],
                control_period=args.control_period,
                sampling=args.sampling,
            )
            vens[name] = start_ven(config, folder / f"{name}.log")
        started = time.monotonic()
        wait_until(
            lambda: len([v for v in vtn.vens() if v.get("ven_id")]) == len(names), 900, "registrations"
        )
        registered_s = time.monotonic() - started
        pool = ThreadPoolExecutor(8)

        def sweep() -> dict[str, dict[str, float]]:
            return dict(zip(names, pool.map(metrics, (ports[n] for n in names)), strict=True))

        idle_from, idle_size = time.monotonic(), db_size(backend, size_target)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=IDLE_S + 10)
        duration = timedelta(minutes=args.interval_minutes)
        for name in names:
            vtn.create_event(
                name,
                -0.3 * 20.0 * args.evs,
                start=start.isoformat(),
                duration=f"PT{int(duration.total_seconds())}S",
                intervals=args.intervals,
            )
        while datetime.now(UTC) < start:
            time.sleep(0.2)
        idle_growth = db_size(backend, size_target) - idle_size
        idle_s = time.monotonic() - idle_from
        event_size = db_size(backend, size_target)
        observed = _observe(sweep, start, start + duration * args.intervals)
        event_growth = db_size(backend, size_target) - event_size
        pool.shutdown()
    finally:
        codes = _stop_all(backend, vens, folder)
        vtn.stop()
        if server is not None:
            server_cpu = server_cpu_s(server)
            server.stop()
            shutil.rmtree(server.folder, ignore_errors=True)
    first, steps, writes, window_s = observed
    ordered = sorted(first.values())
    return {
        "vens": len(names),
        "clean_exits": codes.count(0),
        "registered_s": registered_s,
        "dispatched_vens": len(first),
        "first_setpoints_median_s": statistics.median(ordered) if ordered else float("nan"),
        "first_setpoints_max_s": max(ordered) if ordered else float("nan"),
        "step_median_s": statistics.median(steps) if steps else float("nan"),
        "step_p95_s": sorted(steps)[int(0.95 * (len(steps) - 1))] if steps else float("nan"),
        "steps_seen": len(steps),
        "writes_per_s": writes / window_s,
        "event_growth_mb_per_day": event_growth / window_s * 86400 / 1e6,
        "idle_growth_mb_per_day": idle_growth / idle_s * 86400 / 1e6,
        "wall_s": time.monotonic() - began,
        "ven_vtn_cpu_s": children_cpu_s() - cpu_before,
        "server_cpu_s": server_cpu,
        "load_before": load_before,
        "load_after": loadavg(),
    }


def _stop_all(backend: str, vens: dict[str, subprocess.Popen[bytes]], folder: Path) -> list[int]:
    """SIGTERM to every VEN at once, then wait for each; their exit codes. The run's folder is removed
    unless a VEN exited other than cleanly (then its configs and logs stay, and the codes are printed)."""
    for ven in vens.values():
        ven.send_signal(signal.SIGTERM)
    codes = [_wait(v, 60) for v in vens.values()]
    unclean = {name: code for name, code in zip(vens, codes, strict=True) if code != 0}
    if unclean:
        print(f"{backend}: exit codes other than 0: {unclean}; logs in {folder}", flush=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return codes


def _wait(process: subprocess.Popen[bytes], timeout_s: float) -> int:
    """Its exit code once it stops (SIGKILL after `timeout_s`: -9). Not stop_process: that sends SIGTERM
    again to a process still stopping, which kills one whose loop has already let go of its handlers."""
    try:
        return process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -9


def _observe(
    sweep: Callable[[], dict[str, dict[str, float]]], start: datetime, end: datetime
) -> tuple[dict[str, float], list[float], float, float]:
    """Until `end`: when each VEN first applied setpoints (s after `start`), every control-step time seen,
    the write statements made, and the window's length (s)."""
    writes_before = sum(m.get("ven_storage_writes", 0.0) for m in sweep().values())
    began = time.monotonic()
    first: dict[str, float] = {}
    steps: list[float] = []
    last_step: dict[str, float] = {}
    while datetime.now(UTC) < end:
        now_s = (datetime.now(UTC) - start).total_seconds()
        for name, m in sweep().items():
            if name not in first and m.get("ven_dispatch_steps", 0.0) >= 1.0:
                first[name] = now_s
            step = m.get("ven_control_step_seconds")
            if step is not None and step != last_step.get(name):
                last_step[name] = step
                steps.append(step)
        time.sleep(0.5)
    window_s = time.monotonic() - began
    writes_after = sum(m.get("ven_storage_writes", 0.0) for m in sweep().values())
    return first, steps, writes_after - writes_before, window_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vens", type=int, default=40)
    parser.add_argument("--evs", type=int, default=250, help="EVs per VEN")
    parser.add_argument("--intervals", type=int, default=2)
    parser.add_argument("--interval-minutes", type=float, default=5.0)
    parser.add_argument("--control-period", default="10s")
    parser.add_argument("--sampling", default="10s")
    parser.add_argument("--poll-interval", default="10s")
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args()
    results = {backend: run(backend, args) for backend in args.backends.split(",")}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}; "
        f"{args.vens} VENs x {args.evs} EVs, events of {args.intervals} x {args.interval_minutes:g} min, "
        f"control period {args.control_period}, sampling {args.sampling}, VTN poll {args.poll_interval}"
    )
    rows = [
        ("VENs registered in (s)", "registered_s", "{:.0f}"),
        ("VENs dispatched / clean exits", None, None),
        ("event start -> first setpoints, median over VENs (s)", "first_setpoints_median_s", "{:.1f}"),
        ("event start -> first setpoints, slowest VEN (s)", "first_setpoints_max_s", "{:.1f}"),
        ("control step, median of all steps (s)", "step_median_s", "{:.2f}"),
        ("control step, p95 (s)", "step_p95_s", "{:.2f}"),
        ("database writes per second (all VENs)", "writes_per_s", "{:.0f}"),
        ("growth per day of back-to-back events (MB)", "event_growth_mb_per_day", "{:.0f}"),
        ("growth per day without events (MB)", "idle_growth_mb_per_day", "{:.1f}"),
    ]
    backends = list(results)
    print(f"{'':56}" + "".join(f"{b:>14}" for b in backends))
    for label, key, fmt in rows:
        if key is None or fmt is None:
            cells = [
                f"{int(results[b]['dispatched_vens'])}/{int(results[b]['clean_exits'])}" for b in backends
            ]
        else:
            cells = [fmt.format(results[b][key]) for b in backends]
        print(f"{label:56}" + "".join(f"{c:>14}" for c in cells))
    print(f"(control steps seen: {', '.join(str(int(results[b]['steps_seen'])) for b in backends)})")
    for b in backends:
        r = results[b]
        print(
            f"{b}: wall {r['wall_s']:.0f} s, CPU {r['ven_vtn_cpu_s']:.0f} s (VENs + VTN) + "
            f"{r['server_cpu_s']:.0f} s (PostgreSQL); load {r['load_before']} -> {r['load_after']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
