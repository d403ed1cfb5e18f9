"""Policy speed, memory and optimality: `python benchmarks/bench_policies.py [--quick]`.

Prints, per fleet size and policy: median wall time of allocate + verify, peak traced memory, shortfall.
For 10,000 EVs also solves the full (ungrouped) LP and reports how far `optimal` is from it.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleetgen import make_fleet, make_request

from policies import load_policy
from policies.base import PlanningProblem
from policies.optimal import OptimalPolicy
from ven.plan import plan_problem

HEURISTICS = ("proportional", "fair", "priority")


def timed(problem: PlanningProblem, policy: object, repeats: int) -> tuple[float, float, object]:
    times = []
    plan = None
    for _ in range(repeats):
        start = time.perf_counter()
        plan = plan_problem(problem, policy)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    plan_problem(problem, policy)  # type: ignore[arg-type]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20, plan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip 100,000 EVs and the full LP")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, numpy {np.__version__}"
    )
    print(
        f"{'EVs':>8} {'K':>3} {'policy':<13} {'time ms':>9} {'peak MiB':>9} "
        f"{'shortfall kWh':>14} {'requested kWh':>14}"
    )
    sizes = [(1_000, 12), (10_000, 12), (10_000, 24)] + ([] if args.quick else [(100_000, 12)])
    for count, intervals in sizes:
        fleet = make_fleet(count)
        request = make_request(fleet, intervals)
        problem = PlanningProblem.build(fleet, request)
        requested = float(request.reduction_kw @ request.horizon.duration_h)
        names = HEURISTICS if count > 10_000 else (*HEURISTICS, "optimal")
        for name in names:
            seconds, peak, plan = timed(problem, load_policy(name), 3 if count <= 10_000 else 1)
            print(
                f"{count:>8} {intervals:>3} {name:<13} {seconds * 1e3:>9.1f} {peak:>9.1f} "
                f"{plan.shortfall_kwh:>14.1f} {requested:>14.1f}"
            )  # type: ignore[attr-defined]
    print(f"process peak RSS so far: {peak_rss_mib():.0f} MiB")
    if not args.quick:
        full_lp_gap()
        print(f"process peak RSS with the full LP: {peak_rss_mib():.0f} MiB")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def full_lp_gap() -> None:
    """`optimal` (grouped) against the full LP, one battery per EV, on 10,000 EVs × 12 intervals."""
    fleet = make_fleet(10_000)
    problem = PlanningProblem.build(fleet, make_request(fleet, 12))
    start = time.perf_counter()
    full = plan_problem(problem, OptimalPolicy(max_groups=len(fleet), time_limit_s=600.0))
    full_s = time.perf_counter() - start
    grouped = plan_problem(problem, OptimalPolicy())
    dt_h = problem.request.horizon.duration_h
    delivered_full = float(np.minimum(full.reduction_kw, problem.request.reduction_kw) @ dt_h)
    delivered_grouped = float(np.minimum(grouped.reduction_kw, problem.request.reduction_kw) @ dt_h)
    print(
        f"full LP (10,000 EVs, one battery each): {full_s:.1f} s, shortfall {full.shortfall_kwh:.1f} kWh, "
        f"discharge {full.discharge_kwh:.1f} kWh"
    )
    print(
        f"optimal (grouped):                      shortfall {grouped.shortfall_kwh:.1f} kWh, "
        f"discharge {grouped.discharge_kwh:.1f} kWh"
    )
    print(f"delivered energy vs full LP: {100 * (delivered_grouped / delivered_full - 1):+.4f} %")


if __name__ == "__main__":
    main()
