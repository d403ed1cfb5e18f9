"""What `optimal`'s max_groups trades: `python benchmarks/bench_max_groups.py [--evs 10000] [--repeats 3]`.

The mixed and the tight fleetgen fleet (see bench_optimality.py), 12 intervals of 15 min. For each
max_groups: median wall time of --repeats plans (allocate + verifier), the groups and LPs it solved, its
shortfall and discharge against the full LP (benchmarks/reference.py, cached), and the peak RSS of a fresh
process that builds the fleet and plans once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fleetgen import make_fleet, make_request
from reference import full_lp_figures
from report import in_fresh_process, machine, markdown, median_of, peak_rss_mib

from policies import lp
from policies.base import PlanningProblem
from policies.optimal import OptimalPolicy
from ven.plan import plan_problem

SETTINGS = (250, 500, 1000, 1500, 2000)
FLEETS = {"mixed": (False, 0.5), "tight": (True, 0.25)}


def _problem(kind: str, count: int) -> PlanningProblem:
    tight, share = FLEETS[kind]
    fleet = make_fleet(count, tight=tight)
    return PlanningProblem.build(fleet, make_request(fleet, 12, share))


class _Counting:
    """lp.solve, noting how many batteries each LP had."""

    def __init__(self) -> None:
        self.real = lp.solve
        self.sizes: list[int] = []

    def __call__(self, batteries: lp.Batteries, target: lp.Target, limit_s: float = 30.0) -> object:
        self.sizes.append(len(batteries.capacity_kwh))
        return self.real(batteries, target, limit_s)


def _rss(kind: str, count: int, max_groups: int) -> dict[str, float]:
    plan_problem(_problem(kind, count), OptimalPolicy(max_groups=max_groups))
    return {"rss_mib": peak_rss_mib()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--evs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3, help="plans per setting (median reported)")
    parser.add_argument("--fresh", action="store_true", help="solve the full LP again (else cached)")
    parser.add_argument("--rss", nargs=3, metavar=("FLEET", "EVS", "MAX_GROUPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss:
        print(json.dumps(_rss(args.rss[0], int(args.rss[1]), int(args.rss[2]))))
        return
    print(machine())
    print(f"time: median of {args.repeats} plans; RSS: one plan in a fresh process")
    rows = []
    for kind in FLEETS:
        problem = _problem(kind, args.evs)
        reference = full_lp_figures(problem.fleet, problem.request, fresh=args.fresh)
        for max_groups in SETTINGS:
            solved = _Counting()
            lp.solve = solved  # type: ignore[assignment]
            try:
                seconds, plan = median_of(
                    args.repeats, lambda g=max_groups, p=problem: plan_problem(p, OptimalPolicy(max_groups=g))
                )
            finally:
                lp.solve = solved.real
            rss = in_fresh_process("bench_max_groups.py", "--rss", kind, str(args.evs), str(max_groups))
            per_plan = solved.sizes[: len(solved.sizes) // args.repeats]
            shortfall_gap = 100.0 * (plan.shortfall_kwh - reference.shortfall_kwh) / reference.requested_kwh
            discharge_gap = 100.0 * (plan.discharge_kwh / reference.discharge_kwh - 1.0)
            rows.append(
                [
                    f"{kind} {args.evs:,}",
                    f"{max_groups:,}",
                    " + ".join(f"{size:,}" for size in per_plan),
                    f"{seconds:.2f}",
                    f"{plan.shortfall_kwh:,.1f}",
                    f"{shortfall_gap:+.4f} %",
                    f"{plan.discharge_kwh:,.1f}",
                    f"{discharge_gap:+.3f} %",
                    f"{rss['rss_mib']:.0f}",
                ]
            )
            print(f"  {kind} max_groups {max_groups}: done", file=sys.stderr)
        rows.append(
            [
                f"{kind} {args.evs:,}",
                "full LP",
                f"{args.evs:,}",
                f"{reference.seconds:.1f}",
                f"{reference.shortfall_kwh:,.1f}",
                "",
                f"{reference.discharge_kwh:,.1f}",
                "",
                "",
            ]
        )
    print()
    print(
        markdown(
            [
                "fleet × 12",
                "max_groups",
                "LP batteries (per round)",
                "time s",
                "shortfall kWh",
                "vs full LP (% of requested)",
                "discharged kWh",
                "vs full LP",
                "peak RSS MiB",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
