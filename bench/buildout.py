"""The build-out plan on a synthetic park: N parcels, candidate works from the whole road grid, seven networks.

    python -m bench.buildout --parcels 100000 --exact-parcels 2000

The park is bench.readiness's: a road grid, each utility network along part of it, four
sources each. Every road segment a network does not carry is a candidate extension of it,
so the candidates come from the whole grid across the networks. The plan's figures
(candidate works, targets, time of each step, the greedy's objective and its LP bound) are
printed with the peak memory. On a smaller park (``--exact-parcels``) the exact plan (MILP,
HiGHS) is printed beside the greedy one with the gap between them: the peer a planner
without the solver would use. On ``--peer-parcels`` the needs are worked out both ways: as
now, and by the implementation before the speed-up (``tests/buildout/reference_model.py``:
GEOS noding every line, one network after another), with the ratio and a check that both
find the same needs. Each step is timed on the wall clock and as CPU time (this process and
the processes it starts): on a machine shared with other work the CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from bench.readiness import synthetic
from planner.analysis import ReadinessInputs, readiness_of
from planner.buildout.candidates import candidate_lines
from planner.buildout.costs import UnitCosts
from planner.buildout.model import parcel_needs
from planner.buildout.plan import PlanOptions, default_targets, make_plan, plan_needs
from planner.buildout.works import concat_works, drawn_works
from planner.config import ParkConfig
from planner.infra.graphs import GraphCache
from planner.parcels.validation import validate_parcels
from planner.vocab import NETWORK_ITEMS
from tests.buildout import reference_candidates, reference_model


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


def _cpu() -> float:
    """CPU seconds of this process and of the processes it started (and waited for)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(step: Callable[[], Any]) -> tuple[Any, float, float]:
    """``step()``, its wall-clock seconds and its CPU seconds."""
    wall, cpu = time.perf_counter(), _cpu()
    out = step()
    return out, time.perf_counter() - wall, _cpu() - cpu


def run(n: int, budget: float, exact_limit: int) -> dict[str, Any]:
    inputs = park(n)
    graphs = GraphCache()  # as a server or the CLI keeps them: the plan reads the road network readiness built
    before, t_before, c_before = timed(lambda: readiness_of(inputs, graphs=graphs))
    (needs, _), t_needs, c_needs = timed(lambda: plan_needs(inputs, before, graphs=graphs))
    options = PlanOptions(budget_wan=budget, exact_limit=exact_limit)
    plan, t_plan, c_plan = timed(lambda: make_plan(inputs, options, before=before, prepared=(needs, [])))
    return {
        "parcels": n,
        "works": len(needs.works),
        "targets": len(needs.targets),
        "clauses": len(needs.clause_parcel),
        "readiness_s": t_before,
        "readiness_cpu_s": c_before,
        "needs_s": t_needs,
        "needs_cpu_s": c_needs,
        "choose_and_verify_s": t_plan,
        "choose_and_verify_cpu_s": c_plan,
        "total_s": t_before + t_needs + t_plan,
        "total_cpu_s": c_before + c_needs + c_plan,
        "method": plan.choice.method,
        "objective": plan.choice.objective,
        "greedy": plan.greedy.objective,
        "bound": plan.choice.bound,
        "gap": plan.choice.gap,
        "chosen": len(plan.works),
        "newly_ready": len(plan.newly_ready),
        "cost_wan": plan.cost_wan,
    }


def peer(n: int) -> dict[str, Any]:
    """The needs on ``n`` parcels now and by the implementation before the speed-up: timed, and whether they agree."""
    inputs = park(n)
    before = readiness_of(inputs)
    costs = UnitCosts.load(inputs.config.unit_costs)
    weights = default_targets(inputs.parcels)

    def works(candidates: Callable[..., Any]) -> Any:
        drawn, _ = drawn_works(inputs.lines, costs)
        return concat_works([drawn, candidates(inputs.lines, costs)], inputs.parcels.crs)

    now, t_now, c_now = timed(lambda: parcel_needs(inputs, before, works(candidate_lines), weights, costs))
    old, t_old, c_old = timed(
        lambda: reference_model.parcel_needs(
            inputs, before, works(reference_candidates.candidate_lines), weights, costs
        )
    )
    same = _described(now) == _described(old)
    return {"parcels": n, "now_s": t_now, "now_cpu_s": c_now, "before_s": t_old, "before_cpu_s": c_old,
            "same": same}  # fmt: skip


def _described(needs: Any) -> tuple[Any, ...]:
    """What needs say, whatever the order of their rows (works, prerequisites, targets, blocked, clauses)."""
    ids = needs.works["work_id"].astype(str).to_numpy()
    options: dict[int, set[str]] = {}
    for clause, work in zip(needs.option_clause, needs.option_work, strict=True):
        options.setdefault(int(clause), set()).add(ids[work])
    parcels = needs.targets.index.to_numpy()
    clauses = sorted((str(parcels[p]), sorted(options.get(c, set()))) for c, p in enumerate(needs.clause_parcel))
    blocked = sorted(zip(needs.blocked["parcel_id"].astype(str), needs.blocked["item"].astype(str), strict=True))
    requires = sorted((w, str(r)) for w, r in zip(ids, needs.works["requires"], strict=True))
    return requires, sorted(map(str, parcels)), blocked, clauses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--exact-parcels", type=int, default=2_000, help="a smaller park: exact beside greedy")
    parser.add_argument("--peer-parcels", type=int, default=20_000, help="a park: the needs worked out both ways")
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
    if args.peer_parcels:
        p = peer(args.peer_parcels)
        print(
            f"{p['parcels']:,} parcels, the needs: now {p['now_s']:.1f} s ({p['now_cpu_s']:.1f} s CPU), before "
            f"{p['before_s']:.1f} s ({p['before_cpu_s']:.1f} s CPU) — {p['before_s'] / p['now_s']:.2f}× faster "
            f"({p['before_cpu_s'] / p['now_cpu_s']:.2f}× less CPU); the same needs: {p['same']}"
        )
    big = run(args.parcels, args.budget_wan, exact_limit=0)
    rows.append({**big, "run": "greedy + LP bound"})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(pd.DataFrame(rows).set_index("run").T.to_string())
    gap = "—" if big["gap"] is None else f"{100 * big['gap']:.2f}%"
    print(
        f"{big['parcels']:,} parcels: plan in {big['total_s']:.1f} s ({big['total_cpu_s']:.1f} s CPU): readiness "
        f"{big['readiness_s']:.1f} s, needs {big['needs_s']:.1f} s ({big['needs_cpu_s']:.1f} s CPU), choosing and "
        f"verifying {big['choose_and_verify_s']:.1f} s; greedy within {gap} of its LP bound; peak resident memory "
        f"{peak:,.0f} MiB (largest worker process {peak_child:,.0f} MiB)"
    )


if __name__ == "__main__":
    main()
