"""The build-out plan on a synthetic park: N parcels, candidate works from the whole road grid, seven networks.

    python -m bench.buildout --parcels 100000 --exact-parcels 2000

The park is bench.readiness's: a road grid, each utility network along part of it, four
sources each. Every road segment a network does not carry is a candidate extension of it,
so the candidates come from the whole grid across the networks. The plan's figures
(candidate works, targets, time of each step, the greedy's objective and its LP bound) are
printed with the peak memory. On a smaller park (``--exact-parcels``) the exact plan (MILP,
HiGHS) is printed beside the greedy one with the gap between them: the peer a planner
without the solver would use. Do not run the full size on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import time

import pandas as pd

from bench.readiness import synthetic
from planner.analysis import ReadinessInputs, readiness_of
from planner.buildout.plan import PlanOptions, make_plan, plan_needs
from planner.config import ParkConfig
from planner.parcels.validation import validate_parcels
from planner.vocab import NETWORK_ITEMS


def park(n: int) -> ReadinessInputs:
    parcels, layers, sources = synthetic(n)
    parcels = validate_parcels(parcels, crs_epsg=4545, park_id="BENCH").parcels
    # declared false for the networks: only the model (and the works) can make a parcel ready
    for net in NETWORK_ITEMS:
        parcels[f"declared_{net}"] = False
    config = ParkConfig(
        park_id="BENCH",
        name="基准园区",
        crs_epsg=4545,
        networks={n: {"service_distance_m": 40.0, "service_radius_m": 1e7} for n in NETWORK_ITEMS},
    )
    return ReadinessInputs(config, parcels, sources, layers)


def run(n: int, budget: float, exact_limit: int) -> dict[str, float]:
    inputs = park(n)
    start = time.perf_counter()
    before = readiness_of(inputs)
    t_before = time.perf_counter() - start
    needs, _ = plan_needs(inputs, before)
    t_needs = time.perf_counter() - start - t_before
    plan = make_plan(inputs, PlanOptions(budget_wan=budget, exact_limit=exact_limit), before=before,
                     prepared=(needs, []))  # fmt: skip
    total = time.perf_counter() - start
    return {
        "parcels": n,
        "works": len(needs.works),
        "targets": len(needs.targets),
        "clauses": len(needs.clause_parcel),
        "readiness_s": t_before,
        "needs_s": t_needs,
        "total_s": total,
        "method": plan.choice.method,
        "objective": plan.choice.objective,
        "greedy": plan.greedy.objective,
        "bound": plan.choice.bound,
        "gap": plan.choice.gap,
        "chosen": len(plan.works),
        "newly_ready": len(plan.newly_ready),
        "cost_wan": plan.cost_wan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--exact-parcels", type=int, default=2_000, help="a smaller park: exact beside greedy")
    parser.add_argument("--budget-wan", type=float, default=20_000.0)
    args = parser.parse_args()
    rows = []
    small = run(args.exact_parcels, args.budget_wan / 10, exact_limit=10**9)
    rows.append({**small, "run": "exact (MILP)"})
    greedy_small = small["greedy"]
    print(
        f"{small['parcels']:,} parcels, {small['works']:,} candidate works: exact {small['objective']:,.1f} 亩 "
        f"({small['method']}), greedy {greedy_small:,.1f} 亩 — greedy reaches "
        f"{100 * greedy_small / small['objective'] if small['objective'] else 100:.1f}% of the optimum"
    )
    big = run(args.parcels, args.budget_wan, exact_limit=0)
    rows.append({**big, "run": "greedy + LP bound"})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(pd.DataFrame(rows).set_index("run").T.to_string())
    gap = "—" if big["gap"] is None else f"{100 * big['gap']:.2f}%"
    print(
        f"{big['parcels']:,} parcels: plan in {big['total_s']:.1f} s (readiness {big['readiness_s']:.1f} s, needs "
        f"{big['needs_s']:.1f} s), greedy within {gap} of its LP bound; peak resident memory {peak:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
