"""How the exact problem grows: `python benchmarks/bench_full_lp.py [--sizes 1000,2000,5000,10000]`.

For each size (the mixed fleetgen fleet, 12 intervals of 15 min, asked for 50 % of its nominal power),
each in a fresh process so that its peak RSS is its own:
- the plain full LP of tests/policies/reference_lp.py (scipy HiGHS): wall time of each stage
  (1: least shortfall, 2: least discharge holding it) and the process's peak RSS;
- `optimal` forced to one LP battery per EV (max_groups = fleet size): wall time and peak RSS — where
  solving exactly stops being affordable;
- `optimal` as configured (exact up to 1,000 EVs, grouped above): wall time and peak RSS.
One run each (the full LP takes minutes at 10,000 EVs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fleetgen import make_fleet, make_request
from report import in_fresh_process, machine, markdown, peak_rss_mib

from policies.base import PlanningProblem
from policies.optimal import OptimalPolicy
from tests.policies.reference_lp import full_lp
from ven.plan import plan_problem


def one(kind: str, count: int) -> dict[str, float]:
    """Measure one thing in this process (called in a fresh interpreter by main)."""
    fleet = make_fleet(count)
    request = make_request(fleet, 12)
    before = peak_rss_mib()
    started = time.perf_counter()
    if kind == "full":
        reference = full_lp(fleet, request)
        first_s, second_s = reference.stage_s
        result = {"shortfall_s": first_s, "discharge_s": second_s, "shortfall_kwh": reference.shortfall_kwh}
    else:
        # One battery per EV, with time to finish (the default limit is 30 s).
        policy = OptimalPolicy(max_groups=count, time_limit_s=3600.0) if kind == "exact" else OptimalPolicy()
        plan = plan_problem(PlanningProblem.build(fleet, request), policy)
        result = {"shortfall_kwh": plan.shortfall_kwh}
    result.update(seconds=time.perf_counter() - started, rss_mib=peak_rss_mib(), fleet_rss_mib=before)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,2000,5000,10000", help="fleet sizes, comma-separated")
    parser.add_argument("--one", nargs=2, metavar=("KIND", "EVS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]))))
        return
    print(machine())
    print("one run per cell, each in a fresh process; RSS = that process's peak (fleet built: 'before')")
    rows = []
    for count in (int(size) for size in args.sizes.split(",")):
        full = in_fresh_process("bench_full_lp.py", "--one", "full", str(count))
        exact = in_fresh_process("bench_full_lp.py", "--one", "exact", str(count))
        grouped = in_fresh_process("bench_full_lp.py", "--one", "optimal", str(count))
        rows.append(
            [
                f"{count:,}",
                f"{full['shortfall_s']:.1f}",
                f"{full['discharge_s']:.1f}",
                f"{full['rss_mib']:.0f}",
                f"{exact['seconds']:.2f}",
                f"{exact['rss_mib']:.0f}",
                f"{grouped['seconds']:.2f}",
                f"{grouped['rss_mib']:.0f}",
                f"{full['fleet_rss_mib']:.0f}",
            ]
        )
        print(f"  {count:,} EVs: done", file=sys.stderr)
    print()
    print(
        markdown(
            [
                "EVs × 12",
                "full LP stage 1 (shortfall) s",
                "stage 2 (discharge) s",
                "full LP peak RSS MiB",
                "optimal, one battery per EV, s",
                "its peak RSS MiB",
                "optimal (default) s",
                "its peak RSS MiB",
                "RSS before solving MiB",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
