"""`planner plan` run as a user runs it: the plan's JSON, and a copy of the park that `planner readiness` checks."""

from __future__ import annotations

import json

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
