"""`planner plan` run as a user runs it: the plan's JSON, and a copy of the park that `planner readiness` checks."""

from __future__ import annotations

import json

import planner.buildout.candidates as candidates
import planner.cli.plan as cli_plan
from planner.analysis import graph_cache, readiness_inputs
from planner.buildout.plan import PlanOptions, make_plan
from planner.store import open_store
from tests.buildout.park import knapsack_park
from tests.test_cli import run


def test_plan_writes_its_json_and_the_park_after_the_works(tmp_path):
    """The knapsack park with 10 万元: spurs B and C, parcels B and C newly ready, checked by `planner readiness`."""
    park = knapsack_park(tmp_path / "k.gpkg").uri
    out = run("plan", park, "--budget-wan", "10", "--drawn-only", "--start", "2026-07-01", "--json",
              str(tmp_path / "plan.json"), "--apply-to", str(tmp_path / "after.gpkg"), "--lang", "en")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "milp, gap at most 0.00%" in " ".join(out.stdout.split())
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert sorted(w["work_id"] for w in plan["works"]) == ["SPUR-B", "SPUR-C"]
    assert {w["network_label"] for w in plan["works"]} == {"road"}
    assert sorted(plan["newly_ready"]) == ["B", "C"]
    assert plan["cost_wan"] == 10.0 and plan["newly_ready_area_mu"] == 16.0
    assert [w["year"] for w in plan["works"]] == [1, 1]
    assert plan["forecast"][-1]["cumulative_mu"] == 16.0
    check = run("readiness", str(tmp_path / "after.gpkg"), "--lang", "en")
    assert check.returncode == 0, check.stderr
    ready = open_store(tmp_path / "after.gpkg").read_parcels().set_index("parcel_id")["ready"]
    assert sorted(ready[ready.fillna(False)].index) == ["B", "C", "NEAR"]


def test_a_budget_of_zero_is_named(tmp_path):
    park = knapsack_park(tmp_path / "k.gpkg").uri
    out = run("plan", park, "--budget-wan", "0", "--lang", "en")
    assert out.returncode == 1
    assert "`budget_wan` must be a number of 万元 > 0, got 0" in " ".join(out.stderr.split())


def test_plan_takes_the_road_network_readiness_kept_beside_the_park(tmp_path, monkeypatch):
    """After `planner readiness`, `planner plan` reads the road graph kept on disk and does not node the roads again.

    The candidates' road segments come from that graph (no gateway cuts a segment of this park), so the only
    road network built in the plan's process would be the candidates' own: counted here, it is none.
    """
    park = knapsack_park(tmp_path / "k.gpkg").uri
    assert run("readiness", park, "--lang", "en").returncode == 0  # another process: keeps the graphs beside the park
    built: list[str] = []
    real = candidates.build_network
    monkeypatch.setattr(candidates, "build_network", lambda name, *a, **k: built.append(name) or real(name, *a, **k))
    store = open_store(park)
    plan = cli_plan._plan(store, PlanOptions(budget_wan=10, candidates=True), [], None)
    graphs = graph_cache(store)
    assert graphs.loaded["road"] == 1 and graphs.builds["road"] == 0  # read from disk, not built
    assert built == []  # the candidates took the kept road network's segments
    fresh = make_plan(readiness_inputs(store), PlanOptions(budget_wan=10, candidates=True))  # no graphs: noded anew
    assert built == ["road"]
    assert plan.to_dict("en") == fresh.to_dict("en")
