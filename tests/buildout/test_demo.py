"""The build-out plan on the demo park, end to end: planned, verified by construction, and for a pipeline."""

from __future__ import annotations

import json

import numpy as np
import pytest

import planner.buildout.solve
from planner.analysis import readiness_inputs, readiness_of, update_readiness
from planner.buildout.apply import apply_to_store
from planner.buildout.plan import PlanOptions, make_plan, plan_needs
from planner.resources import data_path
from planner.siting import SiteIndex, parse_projects
from planner.siting.pipeline import pipeline_land
from planner.store import open_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(demo_park):
    store = open_store(demo_park.path)
    inputs = readiness_inputs(store)
    return store, inputs, readiness_of(inputs)


def test_a_two_year_plan_is_what_readiness_finds_on_the_park_with_its_works_built(demo, tmp_path):
    store, inputs, before = demo
    plan = make_plan(inputs, PlanOptions(budget_wan=3000, years=2), before=before)
    assert plan.newly_ready and plan.choice.objective > 0
    assert plan.cost_wan <= 3000 + 1e-6
    assert (
        plan.works.groupby("year")["cost_wan"].sum().cumsum().le([1500.0, 3000.0][: plan.works["year"].nunique()]).all()
    )
    chosen = plan.chosen.set_index("work_id")
    for work_id, need in chosen["requires"].dropna().items():  # each work's prerequisite is built, no later
        assert need in chosen.index, work_id
        assert (
            plan.works.set_index("work_id").loc[need, "order"] < plan.works.set_index("work_id").loc[work_id, "order"]
        )
    completed = dict(zip(plan.works["work_id"], plan.works["completed"], strict=True))
    after = apply_to_store(store, plan.chosen, tmp_path / "after.gpkg", completed=completed)
    run = update_readiness(open_store(after.uri), by="test")
    assert set(run.readiness.ready) - set(before.readiness.ready) == set(plan.newly_ready)
    data = plan.to_dict("en")
    json.dumps(data)  # JSON-ready
    assert data["promised_not_verified"] == []
    assert {"work_id", "network", "kind", "cost_wan", "length_m", "year", "quarter", "parcels", "area_mu"} <= set(
        data["works"][0]
    )


def test_a_pipeline_weighs_the_land_its_projects_need(demo):
    store, inputs, before = demo
    projects = parse_projects(json.loads(data_path("demo/projects.json").read_text(encoding="utf-8")))
    targets, serves = pipeline_land(SiteIndex.from_store(store, run=before), projects)
    assert len(targets) and set(targets.index) == set(serves)
    plan = make_plan(inputs, PlanOptions(budget_wan=2000), targets=targets, before=before, projects=serves)
    made = {p for row in plan.works["parcels"] for p in row}
    assert made <= set(targets.index)
    assert all(set(row["projects"]) <= {p.name for p in projects} for _, row in plan.works.iterrows())


def test_the_demo_works_file_upgrade_readies_the_large_parcel_waiting_for_power(demo, tmp_path):
    """The east substation has 3,247 kVA left; the 222 亩 reserved parcel beside it needs more, and only power."""
    store, inputs, before = demo
    big = "341103004039GB00001"
    table = before.readiness.table
    assert table.loc[big, "missing"] == "power"
    given = json.loads(data_path("demo/works.json").read_text(encoding="utf-8"))
    plan = make_plan(inputs, PlanOptions(budget_wan=1500), given=given, before=before)
    assert "SS-35-2-扩建" in set(plan.works["work_id"])
    assert big in set(plan.newly_ready)
    completed = dict(zip(plan.works["work_id"], plan.works["completed"], strict=True))
    after = apply_to_store(store, plan.chosen, tmp_path / "after.gpkg", completed=completed)
    run = update_readiness(open_store(after.uri), by="test")
    assert set(run.readiness.ready) - set(before.readiness.ready) == set(plan.newly_ready)
    sources = open_store(after.uri).read_layer("sources").set_index("source_id")
    assert sources.loc["SS-35-2", "capacity_kva"] == 41_000 + 31_500


@pytest.mark.parametrize("exact_limit", [0, 20_000])
def test_the_demo_plan_is_the_one_the_code_before_chose(demo, monkeypatch, exact_limit):
    """Greedy and its bound among the works a target can use: the plan of the code that priced every work."""
    _, inputs, before = demo
    options = PlanOptions(budget_wan=3000, years=2, exact_limit=exact_limit)
    needs = plan_needs(inputs, before)
    now = make_plan(inputs, options, before=before, prepared=needs)
    with monkeypatch.context() as m:
        m.setattr(planner.buildout.solve, "relevant_works", lambda n: np.arange(len(n.works)))
        then = make_plan(inputs, options, before=before, prepared=needs)
    assert now.works["work_id"].tolist() == then.works["work_id"].tolist()
    assert now.newly_ready == then.newly_ready and now.newly_ready
    assert (now.choice.method, now.choice.objective, now.greedy.objective) == (
        then.choice.method, then.choice.objective, then.greedy.objective
    )  # fmt: skip
    assert now.choice.bound == pytest.approx(then.choice.bound, rel=1e-9)
    assert len(needs[0].works) > len(planner.buildout.solve.relevant_works(needs[0]))
