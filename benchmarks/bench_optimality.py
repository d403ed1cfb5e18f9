"""Every policy side by side on the same fleets, against the plain full LP:
`python benchmarks/bench_optimality.py [--quick] [--repeats N]`.

Fleets from fleetgen (seeded): `mixed` (the programme mix, departures 1–14 h, asked for 50 % of its
nominal power: more than it can sustain) and `tight` (an evening depot: departures 0.5–8 h needing 0.9,
asked for 25 %), at 2,000 and 10,000 EVs × 12 intervals of 15 min (--quick: 2,000 only).
The reference is tests/policies/reference_lp.py: one battery per EV, (1) least shortfall, (2) least
discharge energy holding it, solved by scipy's HiGHS (it takes minutes at 10,000 EVs; solved once).
Time: median of --repeats runs of allocate + verifier (the full LP: one run, cached per machine by
benchmarks/reference.py; --fresh solves it again). Metrics: ven.metrics.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fleetgen import make_fleet, make_request
from reference import FullLp, full_lp_figures
from report import machine, markdown, median_of

from policies import available_policies, load_policy
from policies.base import PlanningProblem
from ven.metrics import plan_metrics
from ven.plan import Plan, plan_problem

FLEETS = (("mixed", False, 0.5), ("tight", True, 0.25))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,000 EVs only")
    parser.add_argument("--repeats", type=int, default=3, help="runs per policy (median reported)")
    parser.add_argument("--fresh", action="store_true", help="solve the full LP again (else cached)")
    args = parser.parse_args()
    print(machine())
    print(f"time: median of {args.repeats} runs (allocate + verifier); full LP: one run (scipy HiGHS)")
    names = [info.name for info in available_policies()]
    sizes = (2_000,) if args.quick else (2_000, 10_000)
    rows = []
    for count in sizes:
        for kind, tight, share in FLEETS:
            fleet = make_fleet(count, tight=tight)
            request = make_request(fleet, 12, share)
            problem = PlanningProblem.build(fleet, request)
            reference = full_lp_figures(fleet, request, fresh=args.fresh)
            fleet_name = f"{kind} {count:,}"
            full_plan = Plan("full LP", problem, reference.power_kw)
            rows.append(_row(fleet_name, "full LP", reference.seconds, full_plan, reference))
            for name in names:
                seconds, plan = median_of(
                    args.repeats, lambda name=name, problem=problem: plan_problem(problem, load_policy(name))
                )
                rows.append(_row(fleet_name, name, seconds, plan, reference))
            print(f"  {fleet_name}: done", file=sys.stderr)
    print()
    print(
        markdown(
            [
                "fleet × 12",
                "policy",
                "time s",
                "shortfall kWh",
                "vs full LP (% of requested)",
                "discharged kWh",
                "vs full LP",
                "tracking error kWh",
                "delivered/requested",
                "satisfaction min",
                "satisfaction mean",
                "full cycles",
            ],
            rows,
        )
    )


def _row(fleet: str, policy: str, seconds: float, plan: Plan, reference: FullLp) -> list[object]:
    metrics = plan_metrics(plan)
    full_discharge = reference.discharge_kwh
    shortfall_gap = 100.0 * (plan.shortfall_kwh - reference.shortfall_kwh) / reference.requested_kwh
    discharge_gap = 100.0 * (plan.discharge_kwh / full_discharge - 1.0) if full_discharge > 0 else 0.0
    return [
        fleet,
        policy,
        f"{seconds:.2f}",
        f"{plan.shortfall_kwh:,.1f}",
        f"{shortfall_gap:+.4f} %",
        f"{plan.discharge_kwh:,.1f}",
        f"{discharge_gap:+.3f} %",
        f"{metrics.energy_tracking_error_kwh:,.1f}",
        "n/a" if metrics.delivered_energy_ratio is None else f"{metrics.delivered_energy_ratio:.4f}",
        "n/a" if metrics.user_satisfaction_min is None else f"{metrics.user_satisfaction_min:.3f}",
        "n/a" if metrics.user_satisfaction_mean is None else f"{metrics.user_satisfaction_mean:.4f}",
        f"{metrics.equivalent_full_cycles:.4f}",
    ]


if __name__ == "__main__":
    main()
