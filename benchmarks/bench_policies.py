"""Policy speed and memory: `python benchmarks/bench_policies.py [--quick] [--repeats 3]`.

Per fleet size and policy: median wall time of --repeats plans (allocate + verifier), the peak Python heap
traced by tracemalloc during one plan (HiGHS's own C++ memory is not traced) and the shortfall. Fleets:
the mixed fleetgen fleet asked for 50 % of its nominal power in every 15-minute interval; `optimal` is
not run at 100,000 EVs. Then, in a fresh process, the peak RSS of planning the 100,000-EV fleet with
each heuristic. How far each policy is from the full LP: bench_optimality.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleetgen import make_fleet, make_request
from report import in_fresh_process, machine, markdown, median_of, peak_rss_mib

from policies import available_policies, load_policy
from policies.base import PlanningProblem
from ven.plan import plan_problem

BUILT_IN = ("proportional", "fair", "priority", "edf", "llf", "optimal")
HEURISTICS = BUILT_IN[:-1]


def traced_peak_mib(problem: PlanningProblem, name: str) -> float:
    tracemalloc.start()
    plan_problem(problem, load_policy(name))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def rss_100k() -> dict[str, float]:
    """Peak RSS of this process after planning 100,000 EVs × 12 with every heuristic."""
    fleet = make_fleet(100_000)
    problem = PlanningProblem.build(fleet, make_request(fleet, 12))
    built = peak_rss_mib()
    for name in HEURISTICS:
        plan_problem(problem, load_policy(name))
    return {"fleet_rss_mib": built, "rss_mib": peak_rss_mib()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip 100,000 EVs")
    parser.add_argument("--repeats", type=int, default=3, help="plans per cell (median reported)")
    parser.add_argument("--rss-100k", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_100k:
        print(json.dumps(rss_100k()))
        return
    installed = {info.name for info in available_policies()}
    missing = set(BUILT_IN) - installed
    if missing:
        sys.exit(f"bench_policies: error: built-in policies not installed: {', '.join(sorted(missing))}")
    print(machine())
    print(f"time: median of {args.repeats} plans (allocate + verifier); memory: one traced plan")
    sizes = [(1_000, 12), (10_000, 12), (10_000, 24)] + ([] if args.quick else [(100_000, 12)])
    rows = []
    for count, intervals in sizes:
        fleet = make_fleet(count)
        request = make_request(fleet, intervals)
        problem = PlanningProblem.build(fleet, request)
        requested = float(request.reduction_kw @ request.horizon.duration_h)
        for name in HEURISTICS if count > 10_000 else BUILT_IN:
            seconds, plan = median_of(args.repeats, lambda n=name, p=problem: plan_problem(p, load_policy(n)))
            rows.append(
                [
                    f"{count:,}",
                    f"{intervals}",
                    name,
                    f"{seconds * 1e3:,.1f}",
                    f"{traced_peak_mib(problem, name):.1f}",
                    f"{plan.shortfall_kwh:,.0f}",
                    f"{requested:,.0f}",
                ]
            )
        print(f"  {count:,} × {intervals}: done", file=sys.stderr)
    print()
    print(
        markdown(
            ["EVs", "intervals", "policy", "time ms", "peak traced MiB", "shortfall kWh", "requested kWh"],
            rows,
        )
    )
    if not args.quick:
        rss = in_fresh_process("bench_policies.py", "--rss-100k")
        print()
        print(
            f"Peak RSS of a fresh process planning 100,000 EVs × 12 with the {len(HEURISTICS)} heuristics: "
            f"{rss['rss_mib']:.0f} MiB ({rss['fleet_rss_mib']:.0f} MiB once the fleet and problem are built)."
        )


if __name__ == "__main__":
    main()
