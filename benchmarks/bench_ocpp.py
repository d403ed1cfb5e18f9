"""1,000 simulated OCPP stations connected to the VEN's CSMS: apply() to all, every profile acknowledged.

Run: `.venv/bin/python benchmarks/bench_ocpp.py [--stations 1000] [--rounds 5] [--profile] [--split]`
(stops by itself in well under a minute).

Half the stations speak OCPP 2.1 (signed discharge setpoints), half 2.0.1 (limits). Each round is one
`OcppGateway.apply()` with a setpoint for every EV: 1,000 SetChargingProfile round trips over loopback
websockets, fanned out with asyncio.gather. Default: stations and CSMS share one process and one event
loop (worst case: both ends' JSON, schema validation and framing on one core). `--split` runs the
stations in a child process (what a real deployment looks like: stations are remote), so the figure is
the CSMS's own cost. `--profile` prints where the time of one round goes (cProfile, top functions).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import get_validator
from report import machine

from ven.chargers.cpsim import close_all, messages, start_all, stations_for
from ven.chargers.ocpp import OcppGateway, OcppVersion, profiles
from ven.clock import SystemClock
from ven.model.fleet import EV, Fleet

HARD_LIMIT_S = 50.0


def make_fleet(size: int) -> Fleet:
    departure = datetime.now(UTC) + timedelta(hours=8)
    return Fleet(
        tuple(
            EV(
                ev_id=f"ev{i:05d}",
                site="depot",
                capacity_kwh=60.0,
                soc=0.5,
                max_charge_kw=11.0,
                max_discharge_kw=10.0,
                departure=departure,
            )
            for i in range(size)
        )
    )


def version_of(ev: EV) -> OcppVersion:
    return OcppVersion.V21 if int(ev.ev_id[2:]) % 2 == 0 else OcppVersion.V201


BUCKETS = (  # where a frame's CPU goes, by the module that spends it (own time, not cumulative)
    ("jsonschema validation", ("jsonschema", "referencing", "rpds")),
    ("ocpp (de)serialisation", ("ocpp/", "dataclasses.py", "copy.py", "/re/", "re.Pattern")),
    ("json encode/decode", ("json/", "_json")),
    ("websockets framing", ("websockets/",)),
    ("asyncio + sockets", ("asyncio/", "selectors.py", "socket", "_asyncio", "select")),
    ("thread pool (validation offload)", ("concurrent/", "threading.py", "queue.py", "_thread")),
    ("v2x-ven (gateway, simulator)", ("/ven/",)),
)


def report_profile(profiler: cProfile.Profile, who: str) -> None:
    """Own time per bucket, then the top functions."""
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = {}
    for (path, _line, name), (_cc, _nc, own_s, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{path}:{name}"
        bucket = next((label for label, keys in BUCKETS if any(k in where for k in keys)), "other")
        totals[bucket] = totals.get(bucket, 0.0) + own_s
    grand = sum(totals.values())
    print(f"\nwhere one round's CPU goes ({who}, cProfile own time, {grand:.2f} s profiled):")
    for label, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {label:36s} {seconds:6.3f} s  {100 * seconds / grand:5.1f} %")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    print("top functions by own time:")
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def per_call_us(work: Callable[[], object], repeat: int = 300) -> float:
    began = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - began) / repeat * 1e6


def to_wire(payload: object) -> object:
    """What `ChargePoint.call` does to a payload before json.dumps."""
    return remove_nones(snake_to_camel_case(serialize_as_dict(payload)))


def micro_costs() -> None:
    """µs per frame of the steps cProfile cannot see (schema validation runs in the package's threads)."""
    print("\nper-frame costs (µs, one core):")
    now = datetime.now(UTC)
    for version in OcppVersion:
        name = version.value.removeprefix("ocpp")
        profile = profiles.set_charging_profile(
            version,
            power_kw=-5.0,
            max_charge_kw=11.0,
            max_discharge_kw=10.0,
            transaction_id="tx-1",
            evse_id=1,
            start=now,
        )
        meter = messages.meter_value(version, power_kw=-5.0, soc=0.5, at=now)
        event = messages.transaction_event(
            version,
            event_type="Updated",
            trigger="ChargingRateChanged",
            seq_no=1,
            transaction_id="tx-1",
            at=now,
            meter=meter,
        )
        validate_profile = partial(get_validator(2, "SetChargingProfile", name).validate, to_wire(profile))
        validate_event = partial(get_validator(2, "TransactionEvent", name).validate, to_wire(event))
        print(
            f"  {version.value}: SetChargingProfile schema validation {per_call_us(validate_profile):.0f}"
            f" (the CSMS skips it for its own requests; stations do it), serialisation "
            f"{per_call_us(partial(to_wire, profile)):.0f}; TransactionEvent schema validation "
            f"{per_call_us(validate_event):.0f}"
        )


async def run_stations(url: str, size: int) -> None:
    """Child process (--split): connect every station, then serve until stdin closes."""
    # A real station checks what it gets: these validate every frame (on their own core).
    stations = stations_for(make_fleet(size), url, version=version_of, meter_interval_s=0)
    await start_all(stations)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await close_all(stations)


async def connect(args: argparse.Namespace, gateway: OcppGateway, fleet: Fleet) -> tuple[list, object]:
    url = f"ws://127.0.0.1:{gateway.port}"
    if not args.split:
        stations = stations_for(fleet, url, version=version_of, meter_interval_s=0, validate=False)
        await start_all(stations)
        return stations, None
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        url,
        "--stations",
        str(args.stations),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    line = await child.stdout.readline()
    assert line.decode().strip() == "ready", line
    return [], child


async def main(args: argparse.Namespace) -> None:
    print(machine())
    logging.getLogger("ocpp").setLevel(logging.WARNING)
    fleet = make_fleet(args.stations)
    gateway = OcppGateway(fleet, SystemClock(), "127.0.0.1", 0, call_timeout_s=10.0)
    await gateway.start()
    began = time.perf_counter()
    stations, child = await connect(args, gateway, fleet)
    reading = await gateway.read()
    print(
        f"stations: {args.stations} ({'child process' if args.split else 'same event loop'}), "
        f"connected+booted in {time.perf_counter() - began:.2f} s, online {reading.online_count}, "
        f"plugged in {reading.plugged_in_count}"
    )
    timings = []
    for round_no in range(args.rounds):
        sign = -1.0 if round_no % 2 == 0 else 1.0
        setpoints = {ev_id: sign * (3.0 + (i % 7)) for i, ev_id in enumerate(fleet.ids)}
        profiler = cProfile.Profile() if args.profile and round_no == args.rounds - 1 else None
        began = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        result = await gateway.apply(setpoints)
        if profiler is not None:
            profiler.disable()
        elapsed = time.perf_counter() - began
        if profiler is None:  # the profiled round runs several times slower
            timings.append(elapsed)
        acknowledged = len(result.accepted) + sum("V1G only" in r.detail for r in result.rejected)
        other = [r for r in result.rejected if "V1G only" not in r.detail]
        print(
            f"round {round_no + 1}: apply() {elapsed:.3f} s, acknowledged {acknowledged}/"
            f"{len(setpoints)} ({len(result.accepted)} accepted, {len(result.rejected) - len(other)} "
            f"V1G-only clipped to 0), failed {len(other)}" + (f" e.g. {other[0]}" if other else "")
        )
        if profiler is not None:
            report_profile(profiler, "CSMS" if args.split else "CSMS + stations")
    timings.sort()
    print(
        f"apply() for {args.stations} stations: best {timings[0]:.3f} s, median "
        f"{timings[len(timings) // 2]:.3f} s, worst {timings[-1]:.3f} s "
        f"(target <= 2 s); {args.stations / timings[len(timings) // 2]:.0f} round trips/s"
    )
    if args.profile:
        micro_costs()
    released = await gateway.release()
    print(f"release(): {len(released.accepted)} cleared")
    if child is not None:
        await asyncio.wait_for(child.communicate(b""), 30)
    await close_all(stations)
    await gateway.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--split", action="store_true", help="stations in a child process")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        asyncio.run(run_stations(options.child, options.stations))
    else:
        asyncio.run(asyncio.wait_for(main(options), HARD_LIMIT_S))
