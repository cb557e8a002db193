"""The ready-land forecast by quarter beside the pipeline's demand (亩 wanted per quarter, from start dates).

Knapsack park, 10 万元, a one-year plan from 2026-07-01 (tests/buildout/test_plan.py): spur B is
done in 2026Q4 (half the year's spend) making B ready (8 亩), spur C in 2027Q2 making C ready (8 亩).
Demand, worked out by hand: a project with no date (5 亩) and one dated before the start
(3 亩, 2026-01-15) want land in 2026Q3; one 2026-11-01 (8 亩) in 2026Q4; one 2027-05-01 (10 亩)
in 2027Q2; one 2028-01-01 (20 亩) after the plan. So demand so far 8, 16, 16, 26 against ready
land 0, 8, 8, 16: shortfalls 8, 8, 8, 10.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from planner.buildout.plan import PlanOptions, make_plan
from tests.buildout.park import gas_park, inputs_of, knapsack_park
from tests.test_cli import run

DEMAND = [(None, 5.0), (date(2026, 1, 15), 3.0), (date(2026, 11, 1), 8.0), (date(2027, 5, 1), 10.0),
          (date(2028, 1, 1), 20.0)]  # fmt: skip


def test_demand_is_set_beside_the_ready_land_by_quarter(tmp_path):
    inputs = inputs_of(knapsack_park(tmp_path / "k.gpkg"))
    options = PlanOptions(budget_wan=10, candidates=False, start=date(2026, 7, 1))
    plan = make_plan(inputs, options, demand=DEMAND)
    f = plan.forecast
    assert f["quarter"].tolist() == ["2026Q3", "2026Q4", "2027Q1", "2027Q2"]
    assert f["cumulative_mu"].tolist() == pytest.approx([0.0, 8.0, 8.0, 16.0])
    assert f["demand_mu"].tolist() == [8.0, 8.0, 0.0, 10.0]
    assert f["cumulative_demand_mu"].tolist() == [8.0, 16.0, 16.0, 26.0]
    assert f["shortfall_mu"].tolist() == pytest.approx([8.0, 8.0, 8.0, 10.0])
    out = plan.to_dict("en")
    assert out["demand_later_mu"] == 20.0 and out["forecast"][3]["shortfall_mu"] == 10.0


def test_without_a_pipeline_the_forecast_has_no_demand(tmp_path):
    inputs = inputs_of(knapsack_park(tmp_path / "k.gpkg"))
    plan = make_plan(inputs, PlanOptions(budget_wan=10, candidates=False, start=date(2026, 7, 1)))
    assert "demand_mu" not in plan.forecast and plan.to_dict()["demand_later_mu"] is None


def test_plan_prints_the_demand_table_for_a_pipeline(tmp_path):
    """Gas park, 180 万元: the 纬三路燃气管线 alone (the year's whole spend, so 2027Q2) readies F1–F3 (45 亩).

    One project (15 亩, wanting gas, from 2026-11-01) wants its land in 2026Q4: demand so far
    0, 15, 15, 15 against ready land 0, 0, 0, 45 — short by 15 亩 in 2026Q4 and 2027Q1.
    """
    park = gas_park(tmp_path / "g.gpkg").uri
    pipeline = tmp_path / "pipeline.json"
    project = {"name": "燃气用户项目", "industry": "C3670", "land_mu": 15, "investment_wan": 9000, "needs": ["gas"],
               "earliest_start": "2026-11-01"}  # fmt: skip
    pipeline.write_text(json.dumps([project], ensure_ascii=False), encoding="utf-8")
    out = run("plan", park, "--budget-wan", "180", "--drawn-only", "--start", "2026-07-01", "--pipeline",
              str(pipeline), "--json", str(tmp_path / "plan.json"), "--lang", "en")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Ready land and pipeline demand by quarter" in out.stdout
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert [w["work_id"] for w in plan["works"]] == ["G-2"]
    forecast = plan["forecast"]
    assert [q["cumulative_mu"] for q in forecast] == pytest.approx([0.0, 0.0, 0.0, 45.0])
    assert [q["demand_mu"] for q in forecast] == [0.0, 15.0, 0.0, 0.0]
    assert [q["shortfall_mu"] for q in forecast] == pytest.approx([0.0, 15.0, 15.0, 0.0])
    assert plan["demand_later_mu"] == 0.0
