"""Scenario readiness is readiness of the park with the works built: checked on a park drawn with them in service."""

from __future__ import annotations

import pandas as pd

from planner.analysis import readiness_of
from planner.buildout.costs import UnitCosts
from planner.buildout.scenario import scenario_readiness
from planner.buildout.works import drawn_works
from tests.buildout.park import GATEWAY, TRUNK, inputs_of, line, parcel, source, two_network_park, write_park


def test_the_water_main_alone_gives_water_but_not_ready_land(tmp_path):
    """With W-2 built, E gets water (23 m from the main, the model says) and still lacks power, so it is not 熟地."""
    store = two_network_park(tmp_path / "t.gpkg")
    inputs = inputs_of(store)
    works, problems = drawn_works(inputs.lines, UnitCosts.load())
    assert problems == []
    water = works[works["work_id"] == "W-2"]
    scenario = scenario_readiness(inputs, water)
    assert scenario.newly_ready == []
    changes = scenario.changes.set_index(["parcel_id", "item"])
    assert list(changes.index) == [("E", "water")]
    row = changes.loc[("E", "water")]
    assert (row["before"], row["after"], row["work_id"]) == (False, True, "W-2")
    assert "给水线路距地块 23 m" in row["reason"]  # 15 m north of the road, the main 8 m south of it
    both = scenario_readiness(inputs, works)
    assert both.newly_ready == ["E"]
    assert set(both.changes["item"]) == {"water", "power"}


def test_scenario_readiness_equals_readiness_of_the_park_with_the_lines_in_service(tmp_path):
    """The same park written anew with W-2 and E-2 drawn in service: every readiness column agrees."""
    store = two_network_park(tmp_path / "t.gpkg")
    inputs = inputs_of(store)
    works, _ = drawn_works(inputs.lines, UnitCosts.load())
    scenario = scenario_readiness(inputs, works)
    built = write_park(
        tmp_path / "built.gpkg",
        [parcel("E", 400, 15, 15)],
        {
            "road": [TRUNK],
            "water": [line("W-1", (0, -8), (250, -8)), line("W-2", (250, -8), (550, -8))],
            "power": [line("E-1", (0, -14), (250, -14)), line("E-2", (250, -14), (550, -14))],
        },
        [GATEWAY, source("WW", "waterworks", "water", 0, -8, capacity_m3d=10000.0),
         source("SS", "substation", "power", 0, -14, capacity_kva=40000.0)],
        checklist=("road", "water", "power"),
    )  # fmt: skip
    truth = readiness_of(inputs_of(built)).readiness.table
    mine = scenario.after.readiness.table
    columns = ["road", "water", "power", "water_distance_m", "power_distance_m", "water_reason", "power_reason",
               "ready", "missing"]  # fmt: skip
    pd.testing.assert_frame_equal(mine[columns], truth[columns])


def test_a_source_upgrade_changes_capacity_through_the_model(tmp_path):
    """A 1,000 kVA substation carrying a producing parcel of 1,800 kVA × 0.45 = 810 kVA has 190 kVA left, less
    than E's expected 15 亩 × 40 kVA/亩 × 0.45 = 270 kVA (data/demand_per_mu.csv); 100 kVA more leaves 290."""
    from planner.buildout.works import given_works

    parcels = [parcel("E", 400, 15, 15), {**parcel("F", 100, 15, 5, status="in_production"), "power_kva": 1800.0}]
    lines = {"road": [TRUNK], "power": [line("E-1", (0, -14), (600, -14))]}
    sources = [GATEWAY, source("SS", "substation", "power", 0, -14, capacity_kva=1000.0)]
    store = write_park(tmp_path / "u.gpkg", parcels, lines, sources, checklist=("road", "power"))
    inputs = inputs_of(store)
    before = readiness_of(inputs)
    assert before.readiness.table.loc["E", "missing"] == "power"
    upgrade = given_works([{"work_id": "U1", "source_id": "SS", "capacity_added": 100.0}], inputs.sources,
                          UnitCosts.load(), inputs.parcels.crs)  # fmt: skip
    assert upgrade["cost_wan"].iloc[0] == 100.0 * 0.035
    scenario = scenario_readiness(inputs, upgrade, before)
    assert scenario.newly_ready == ["E"]
    assert scenario.changes.set_index("parcel_id").loc["E", "work_id"] == "U1"
