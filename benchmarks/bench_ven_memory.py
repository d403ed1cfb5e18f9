"""Peak RSS of the real `ven run` process at 10,000 EVs, through one event, against the mock VTN.

Starts `vtn-mock serve` and `ven run` as subprocesses (SQLite storage), creates one 5-minute LOAD_DISPATCH
event through the admin API, waits for the first setpoints and for the event's end, and reads the VEN's
peak resident set from the kernel (VmHWM) — the whole process as a user runs it, not parts assembled by hand.

    .venv/bin/python benchmarks/bench_ven_memory.py [--evs 10000] [--event 5m]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.processes import (
    MockVtn,
    free_port,
    http_status,
    peak_rss_mb,
    rss_mb,
    sqlite_bytes,
    start_ven,
    stop_process,
    write_fleet,
    write_ven_config,
)


def db_bytes(folder: Path) -> int:
    return sqlite_bytes(folder / "ven.db")


def wait_for(predicate, timeout_s: float, what: str, step_s: float = 0.5):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    raise TimeoutError(what)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evs", type=int, default=10_000)
    parser.add_argument("--intervals", type=int, default=12, help="event intervals")
    parser.add_argument("--interval-minutes", type=float, default=15.0)
    parser.add_argument(
        "--observe-minutes", type=float, default=5.0, help="watch this long after dispatch starts"
    )
    parser.add_argument("--control-period", default="10s")
    parser.add_argument("--policy", default="optimal")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-ven-memory-"))
    vtn = MockVtn.start(folder)
    fleet = write_fleet(folder / "fleet.csv", args.evs, sites=40)
    port = free_port()
    config = write_ven_config(
        folder,
        name="bench",
        vtn_url=vtn.openadr_url,
        fleet=fleet,
        storage_url=f"sqlite:///{folder / 'ven.db'}",
        http_port=port,
        control_period=args.control_period,
        policy=args.policy,
    )
    started = time.monotonic()
    ven = start_ven(config, folder / "ven.log")
    samples: list[float] = []
    try:
        wait_for(lambda: (http_status(port) or {}).get("registration"), 300, "registration")
        ready_s = time.monotonic() - started
        baseline_rss = rss_mb(ven.pid)
        nominal_kw = args.evs * 20.0
        event_id = vtn.create_event(
            "bench",
            -0.3 * nominal_kw,
            start="+15s",
            duration=f"PT{round(args.interval_minutes * 60)}S",
            intervals=args.intervals,
        )
        created = time.monotonic()
        wait_for(lambda: (http_status(port) or {}).get("dispatching"), 300, "dispatch")
        first_dispatch_s = time.monotonic() - created
        size_before, window_from = db_bytes(folder), time.monotonic()
        end = time.monotonic() + 60 * args.observe_minutes
        while time.monotonic() < end:
            samples.append(rss_mb(ven.pid))
            time.sleep(1.0)
        peak = peak_rss_mb(ven.pid)
        growth_per_day_mb = (db_bytes(folder) - size_before) / (time.monotonic() - window_from) * 86400 / 1e6
    finally:
        code = stop_process(ven)
        vtn.stop()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {platform.python_implementation()} "
        f"{platform.python_version()}; {args.evs} EVs, event {event_id} of {args.intervals} x "
        f"{args.interval_minutes:g} min (watched {args.observe_minutes:g} min), "
        f"control period {args.control_period}, policy {args.policy}"
    )
    print(f"ven run ready (registered) in {ready_s:.1f} s; RSS then {baseline_rss:.0f} MB")
    print(f"event created -> dispatching: {first_dispatch_s:.1f} s (includes the 15 s notice)")
    print(
        f"RSS during the event: median {sorted(samples)[len(samples) // 2]:.0f} MB, "
        f"max sampled {max(samples):.0f} MB ({len(samples)} samples, 1 s apart)"
    )
    print(f"peak RSS (VmHWM, whole process life): {peak:.0f} MB  (target <= 300 MB)")
    print(
        f"database growth while dispatching, scaled to a day of back-to-back events: "
        f"{growth_per_day_mb:.1f} MB/day (SQLite pages in use, {args.observe_minutes:g}-min window)"
    )
    (folder / "rss.txt").write_text("\n".join(f"{v:.0f}" for v in samples), encoding="utf-8")
    print(f"ven run exit code after SIGTERM: {code}; files (rss.txt: RSS each second) in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
