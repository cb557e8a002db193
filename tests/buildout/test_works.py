"""Works and their costs: unit costs by size class, candidate extensions along the roads, bad input named."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from planner.buildout.candidates import candidate_lines
from planner.buildout.costs import UnitCosts
from planner.buildout.plan import PlanOptions, make_plan
from planner.buildout.works import drawn_works, given_works
from planner.config import ConfigError, ParkConfig
from planner.errors import WorkError
from tests.buildout.park import GATEWAY, TRUNK, inputs_of, line, parcel, source, two_network_park, write_park
from tests.conftest import GK


def test_a_line_takes_the_unit_cost_of_its_size_class():
    """data/unit_costs.csv: DN300 water main 160 万元/km; DN350 falls in DN400 (220); no diameter: default (160)."""
    costs = UnitCosts.load()
    lines = pd.DataFrame({"diameter_mm": [300.0, 350.0, np.nan, 5000.0]})
    classes = costs.line_classes("water", lines)
    assert classes.tolist() == ["DN300", "DN400", "default", "DN1200"]
    assert costs.per_km("water", classes).tolist() == [160.0, 220.0, 160.0, 800.0]
    assert costs.line_classes("road", pd.DataFrame({"road_class": ["arterial", None]})).tolist() == [
        "arterial",
        "default",
    ]


def test_a_park_overrides_a_unit_cost_in_its_configuration():
    costs = UnitCosts.load({"water:DN300": 200.0})
    assert costs.per_km("water", np.array(["DN300"], dtype=object)).tolist() == [200.0]
    assert "(park)" in costs.basis("water", "line", "DN300")
    with pytest.raises(WorkError, match=r"`unit_costs.water:DN301` names no row"):
        UnitCosts.load({"water:DN301": 1.0})
    with pytest.raises(ConfigError, match=r"`unit_costs.pipes` is not allowed"):
        ParkConfig(park_id="X", name="x", crs_epsg=GK, unit_costs={"pipes": 1.0})


def test_a_drawn_line_without_cost_or_unit_cost_is_named(tmp_path):
    """A unit-cost table without water rows: the planned water main W-2 (given no cost) cannot be costed."""
    table = tmp_path / "costs.csv"
    full = pd.read_csv(
        UnitCosts.load().table.pipe(lambda t: t).to_csv(tmp_path / "all.csv", index=False) or tmp_path / "all.csv"
    )
    full[full["network"] != "water"].drop(columns="origin").to_csv(table, index=False)
    store = two_network_park(tmp_path / "t.gpkg")
    lines = inputs_of(store).lines
    lines["water"] = lines["water"].assign(cost_wan=np.nan)
    works, problems = drawn_works(lines, UnitCosts.load(path=table))
    assert [str(p) for p in problems] == [
        "work 'W-2', field `cost_wan`: the planned water line has no `cost_wan` and the unit-cost table has no cost "
        "for its size class; give its cost, or a unit cost in the park configuration "
        '(`unit_costs`: {"water:<class>": …})'
    ]
    assert "W-2" not in set(works["work_id"]) and "E-2" in set(works["work_id"])
    with pytest.raises(WorkError, match="work 'W-2', field `cost_wan`"):
        drawn_works(lines, UnitCosts.load(path=table), strict=True)


def test_a_planned_line_touching_no_network_is_named(tmp_path):
    store = write_park(
        tmp_path / "a.gpkg",
        [parcel("A", 100, 15, 10)],
        {"road": [TRUNK, line("LOST", (2000, 500), (2300, 500), in_service=False, cost_wan=9.0)]},
        [GATEWAY],
    )
    inputs = inputs_of(store)
    _, problems = drawn_works(inputs.lines, UnitCosts.load())
    assert [str(p) for p in problems] == [
        "work 'LOST', field `geometry`: the planned road line touches no other road line (none within 1 m): "
        "built alone, it would carry nothing; draw it to meet the network (a plan links it only through "
        "candidate extensions)"
    ]
    assert [p.severity for p in problems] == ["warning"]
    with pytest.raises(WorkError, match="work 'LOST', field `geometry`"):
        drawn_works(inputs.lines, UnitCosts.load(), strict=True)
    plan = make_plan(inputs, PlanOptions(budget_wan=100))
    assert plan.works.empty  # unreachable: never chosen


def test_a_works_file_names_the_work_and_field_at_fault(tmp_path):
    store = two_network_park(tmp_path / "t.gpkg")
    sources = inputs_of(store).sources
    costs = UnitCosts.load()
    cases = [
        ([{"work_id": "U1", "source_id": "SS-9", "capacity_added": 5.0}],
         "work 'U1': `source_id` 'SS-9' is not a source"),
        ([{"work_id": "U1", "source_id": "SS", "capacity_added": 0}],
         "work 'U1': `capacity_added` must be a number > 0, got 0"),
        ([{"work_id": "U1", "source_id": "SS", "capacity_added": 5, "cost_wan": -1}],
         "`cost_wan` must be a number ≥ 0"),
        ([{"work_id": "U1", "source_id": "SS", "capacity_added": 5, "planned_date": "2027-13-01"}],
         "work 'U1': `planned_date` '2027-13-01' is not a date"),
        ([{"work_id": "U1", "source_id": "GW", "capacity_added": 5}], "a road source has no capacity to add"),
    ]  # fmt: skip
    for records, message in cases:
        with pytest.raises(WorkError, match=message.replace("(", r"\(")):
            given_works(records, sources, costs, GK)


def test_planned_dates_out_of_order_are_named(tmp_path):
    """SEC-2 needs SEC-1 but is planned to be done a year before it."""
    store = write_park(
        tmp_path / "d.gpkg",
        [parcel("D", 1410, 10, 12)],
        {"road": [TRUNK,
                  {**line("SEC-1", (1000, 0), (1300, 0), in_service=False, cost_wan=40.0),
                   "planned_date": pd.Timestamp("2028-06-30")},
                  {**line("SEC-2", (1300, 0), (1600, 0), in_service=False, cost_wan=30.0),
                   "planned_date": pd.Timestamp("2027-06-30")}]},
        [GATEWAY],
    )  # fmt: skip
    plan = make_plan(inputs_of(store), PlanOptions(budget_wan=100, candidates=False))
    assert [str(p) for p in plan.problems] == [
        "work 'SEC-2', field `planned_date`: planned for 2027-06-30, before the work it needs (SEC-1, 2028-06-30)"
    ]


def test_candidates_run_along_the_roads_that_lack_the_network(tmp_path):
    """A road from 0 to 1,000 m crossed at 500 m; the water main covers 0–250 only, so both segments of the road
    are candidates (0–500 tied to the main at its start), and the two halves of the cross road too."""
    store = write_park(
        tmp_path / "c.gpkg",
        [parcel("A", 600, 15, 10)],
        {"road": [TRUNK, line("CROSS", (500, -200), (500, 200))], "water": [line("W-1", (0, -8), (250, -8))]},
        [GATEWAY, source("WW", "waterworks", "water", 0, -8, capacity_m3d=1000.0)],
        checklist=("road", "water"),
    )
    candidates = candidate_lines(inputs_of(store).lines, UnitCosts.load())
    assert set(candidates["network"]) == {"water"}
    spans = sorted(tuple(np.round(g.bounds, 0)) for g in candidates.geometry)
    x0, y0 = 620_000.0, 3_570_000.0
    assert (x0 + 500, y0, x0 + 1000, y0) in spans and (x0, y0 - 8, x0 + 500, y0) in spans  # tied to W-1 at (0, -8)
    assert len(spans) == 4
    assert all(
        c == pytest.approx(m / 1000 * 160) for c, m in zip(candidates["cost_wan"], candidates["length_m"], strict=True)
    )
    plan = make_plan(inputs_of(store), PlanOptions(budget_wan=1000))
    assert plan.newly_ready == ["A"]
    assert set(plan.works["origin"]) == {"candidate"}
    assert isinstance(plan.chosen, gpd.GeoDataFrame)
