"""The build-out plan on hand-built parks whose best plan is worked out by hand (tests/buildout/park.py)."""

from __future__ import annotations

import numpy as np
import pytest

import planner.buildout.solve
from planner.analysis import readiness_of, update_readiness
from planner.buildout.apply import apply_to_store
from planner.buildout.plan import PlanOptions, make_plan
from planner.errors import WorkError
from planner.store import open_store
from tests.buildout.park import chain_park, gas_park, inputs_of, knapsack_park, two_network_park
from tests.buildout.test_model import random_park


def plan_of(store, budget, **options):
    return make_plan(inputs_of(store), PlanOptions(budget_wan=budget, candidates=False, **options))


def test_exact_beats_greedy_where_the_best_ratio_first_is_wrong(tmp_path):
    """10 万元: B + C (16 亩, 10 万元) beat A (10 亩 for 6 万元, the best ratio, which greedy takes first)."""
    plan = plan_of(knapsack_park(tmp_path / "k.gpkg"), 10)
    assert plan.choice.method == "milp" and plan.choice.gap == pytest.approx(0.0, abs=1e-9)
    assert plan.choice.objective == pytest.approx(16.0, rel=1e-6)
    assert plan.greedy.objective == pytest.approx(10.0, rel=1e-6)
    assert sorted(plan.works["work_id"]) == ["SPUR-B", "SPUR-C"]
    assert sorted(plan.newly_ready) == ["B", "C"]
    assert plan.cost_wan == pytest.approx(10.0)
    assert plan.to_dict()["wan_per_mu"] == pytest.approx(10 / 16, abs=0.01)


def test_a_budget_too_small_for_any_spur_builds_nothing(tmp_path):
    plan = plan_of(knapsack_park(tmp_path / "k.gpkg"), 4.9)
    assert plan.works.empty and plan.newly_ready == [] and plan.choice.objective == 0


def test_the_budget_is_respected_every_year(tmp_path):
    """5 万元 a year over two years: one 5 万元 spur a year (8 亩 each); A's 6 万元 spur fits only with savings."""
    plan = plan_of(knapsack_park(tmp_path / "k.gpkg"), 10, years=2, budget_per_year_wan=5)
    spent = plan.works.groupby("year")["cost_wan"].sum()
    assert spent.cumsum().le([5.0, 10.0][: len(spent)]).all()
    assert plan.choice.objective == pytest.approx(16.0, rel=1e-6)
    assert list(plan.works["year"]) == [1, 2]
    assert len(plan.forecast) == 8  # two years by quarter
    assert plan.forecast["cumulative_mu"].iloc[-1] == pytest.approx(16.0, rel=1e-6)


def test_a_prerequisite_is_built_first(tmp_path):
    """D needs SEC-2, which needs SEC-1: 70 万元 builds both in order; 69 万元 neither (SEC-2 alone is cut off)."""
    store = chain_park(tmp_path / "c.gpkg")
    plan = plan_of(store, 70)
    assert plan.needs.works.set_index("work_id").loc["SEC-2", "requires"] == "SEC-1"
    assert list(plan.works["work_id"]) == ["SEC-1", "SEC-2"]
    assert plan.newly_ready == ["D"]
    assert plan.works.set_index("work_id").loc["SEC-2", "parcels"] == ["D"]
    assert plan_of(store, 69).works.empty


def test_two_networks_that_only_pay_together(tmp_path):
    """E needs the water main (100) and the cable (60): 160 万元 builds both; 159 builds nothing."""
    store = two_network_park(tmp_path / "t.gpkg")
    plan = plan_of(store, 160)
    assert sorted(plan.works["work_id"]) == ["E-2", "W-2"]
    assert plan.newly_ready == ["E"]
    assert plan.works["area_mu"].sum() == pytest.approx(15.0, rel=1e-6)
    assert plan_of(store, 159).works.empty


def test_the_plan_is_verified_on_the_park_with_its_works_built(tmp_path):
    """--apply-to: readiness run on the copy finds exactly the parcels the plan promised, newly ready."""
    store = knapsack_park(tmp_path / "k.gpkg")
    before = set(readiness_of(inputs_of(store)).readiness.ready)
    plan = plan_of(store, 10)
    completed = dict(zip(plan.works["work_id"], plan.works["completed"], strict=True))
    after = apply_to_store(store, plan.chosen, tmp_path / "after.gpkg", completed=completed)
    run = update_readiness(open_store(after.uri), by="test")
    assert set(run.readiness.ready) - before == set(plan.newly_ready) == {"B", "C"}
    lines = open_store(after.uri).read_layer("road_lines").set_index("line_id")
    assert lines.loc[["SPUR-B", "SPUR-C"], "in_service"].all() and not lines.loc["SPUR-A", "in_service"]


@pytest.mark.parametrize(("budget", "message"), [
    (0, "`budget_wan` must be a number of 万元 > 0, got 0"),
    (-5, "`budget_wan` must be a number of 万元 > 0, got -5"),
])  # fmt: skip
def test_a_budget_of_zero_or_less_is_refused(tmp_path, budget, message):
    with pytest.raises(WorkError, match=message.replace("(", r"\(")):
        plan_of(knapsack_park(tmp_path / "k.gpkg"), budget)


@pytest.mark.parametrize(("options", "message"), [
    ({"budget": 2e8}, "`budget_wan` must be at most 100,000,000 万元"),
    ({"budget": 10, "revenue": True, "price_per_mu_wan": 1e300, "years": 2}, "`price_per_mu_wan` must be at most"),
])  # fmt: skip
def test_amounts_beyond_any_park_are_refused_before_the_solver_sees_them(tmp_path, options, message):
    # found by the API fuzzing: 1e300 万元 per 亩 overflowed the solver's budget row to infinity
    budget = options.pop("budget")
    with pytest.raises(WorkError, match=message):
        plan_of(knapsack_park(tmp_path / "k.gpkg"), budget, **options)


def test_land_revenue_pays_for_later_years(tmp_path):
    """滚动开发 at 1 万元/亩: year 1 builds one 5 万元 spur (8 亩 ready); its 8 万元 of land revenue with year 2's
    5 万元 pays for the other two spurs (11 万元): all 26 亩 ready by year 2, against 16 亩 without revenue."""
    store = knapsack_park(tmp_path / "k.gpkg")
    options = {"years": 2, "budget_per_year_wan": 5}
    without = plan_of(store, 10, **options)
    assert without.choice.objective == pytest.approx(16.0, rel=1e-6)
    rolling = plan_of(store, 10, revenue=True, price_per_mu_wan=1.0, **options)
    assert rolling.choice.objective == pytest.approx(26.0, rel=1e-6)
    assert sorted(rolling.newly_ready) == ["A", "B", "C"]
    spent = rolling.works.groupby("year")["cost_wan"].sum()
    assert spent[1] <= 5.0 and spent.sum() == pytest.approx(16.0)
    assert rolling.to_dict()["price_per_mu_wan"] == 1.0


def test_the_land_price_comes_from_the_park_records(tmp_path):
    """No granted parcel with a price: the plan asks for one, naming the field."""
    with pytest.raises(WorkError, match="`price_per_mu_wan`"):
        plan_of(knapsack_park(tmp_path / "k.gpkg"), 10, years=2, revenue=True)


def test_leveling_is_a_work_costed_from_the_earthwork(tmp_path):
    """A parcel on the road but 5 m of relief (not level, over 2 m): leveling its 10,000 m³ at 25 元/m³
    (data/unit_costs.csv) costs 25 万元; 30 万元 levels it and it becomes 熟地."""
    import pandas as pd

    from tests.buildout.park import GATEWAY, TRUNK, parcel, write_park

    store = write_park(tmp_path / "l.gpkg", [parcel("H", 100, 10, 10)], {"road": [TRUNK]}, [GATEWAY],
                       checklist=("road", "leveled"))  # fmt: skip
    inputs = inputs_of(store)
    inputs.terrain = pd.DataFrame(
        {"relief_m": [5.0], "slope_pct": [4.0], "earthwork_m3": [10_000.0]}, index=pd.Index(["H"], name="parcel_id")
    )
    inputs.dem_date = pd.Timestamp("2026-01-01", tz="UTC")
    plan = make_plan(inputs, PlanOptions(budget_wan=30, candidates=False))
    assert plan.works["work_id"].tolist() == ["leveling-H"]
    assert plan.works["cost_wan"].tolist() == [pytest.approx(25.0)]
    assert plan.newly_ready == ["H"]
    assert make_plan(inputs, PlanOptions(budget_wan=24, candidates=False)).newly_ready == []


@pytest.mark.parametrize("make", [knapsack_park, chain_park, two_network_park, gas_park])
@pytest.mark.parametrize("exact_limit", [0, 20_000])
def test_the_plan_is_the_one_the_code_before_chose(tmp_path, monkeypatch, make, exact_limit):
    """Greedy and its bound among the works a target can use: the plan of the code that priced every work."""
    store = make(tmp_path / "p.gpkg")
    _same_plan_as_before(inputs_of(store), PlanOptions(budget_wan=12, years=2, exact_limit=exact_limit), monkeypatch)


@pytest.mark.parametrize("seed", [0, 3, 8])
def test_the_plan_on_a_random_park_with_candidates_is_the_one_the_code_before_chose(monkeypatch, seed):
    inputs = random_park(seed)
    now = _same_plan_as_before(inputs, PlanOptions(budget_wan=300, exact_limit=0), monkeypatch)
    assert len(now.needs.works) > len(planner.buildout.solve.relevant_works(now.needs))  # works no target can use
    assert len(now.works) > 0


def _same_plan_as_before(inputs, options, monkeypatch):
    """The plan now, after checking it is the plan of the code that priced every work (returned)."""
    before_run = readiness_of(inputs)
    now = make_plan(inputs, options, before=before_run)
    with monkeypatch.context() as m:
        m.setattr(planner.buildout.solve, "relevant_works", lambda needs: np.arange(len(needs.works)))
        before = make_plan(inputs, options, before=before_run)
    assert now.works["work_id"].tolist() == before.works["work_id"].tolist()
    assert now.works["year"].tolist() == before.works["year"].tolist()
    assert now.newly_ready == before.newly_ready
    assert (now.choice.method, now.choice.objective) == (before.choice.method, before.choice.objective)
    assert now.greedy.objective == before.greedy.objective
    assert now.choice.bound == pytest.approx(before.choice.bound, rel=1e-9)
    return now
