"""Readiness from derived and declared values, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.config import CHECKLIST_PRESETS, ParkConfig
from planner.parcels.readiness import compute_readiness
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, grid_parcels

CONFIG = ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK)
ITEMS = ("road", "water", "drainage", "power", "telecom", "gas", "heat")


def parcels(**declared) -> pd.DataFrame:
    frame = grid_parcels(3, **{f"declared_{k}": v for k, v in declared.items()})
    return validate_parcels(frame, crs_epsg=GK, park_id="T1").parcels


def coverage(connected: list[bool], reason: str = "ok") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "connected": connected,
            "distance_m": [10.0, 20.0, 30.0],
            "network_m": [100.0, 200.0, 300.0],
            "reason": [reason] * 3,
        },
        index=pd.Index(["P000", "P001", "P002"], name="parcel_id"),
    )


def test_derived_where_a_network_exists_declared_otherwise():
    p = parcels(**{key: [True, True, None] for key in ITEMS}, leveled=[True, True, True])
    cov = {item: coverage([True, True, True]) for item in ITEMS}
    cov["water"] = coverage([True, False, True], "最近的给水线路距地块 90 m，超过服务距离 60 m")
    cov["gas"] = None  # no gas layer: the records decide
    result = compute_readiness(p, CONFIG, cov)
    t = result.table
    assert result.used["water"] == "derived"
    assert result.used["gas"] == "declared"
    assert t["ready"].tolist() == [True, False, False]
    assert t["missing"].tolist() == [None, "water", "gas"]  # P002: gas unknown in the records does not hold
    assert t.loc["P001", "water_reason"] == "[计算] 最近的给水线路距地块 90 m，超过服务距离 60 m"
    assert t.loc["P000", "gas_reason"] == "[登记] 无燃气管网图层，登记为已通"
    assert t.loc["P002", "gas_reason"] == "[登记] 无燃气管网图层，无登记"
    # the layer a reason names is the one the network is drawn in: roads, power lines, telecom lines
    no_layers = compute_readiness(p, CONFIG, {}).table
    assert no_layers.loc["P000", "road_reason"] == "[登记] 无道路图层，登记为已通"
    assert no_layers.loc["P000", "power_reason"] == "[登记] 无电力线路图层，登记为已通"
    assert no_layers.loc["P000", "telecom_reason"] == "[登记] 无通信线路图层，登记为已通"
    assert no_layers.loc["P000", "water_reason"] == "[登记] 无给水管网图层，登记为已通"
    assert t["gas"].isna().all()  # nothing derived without a network
    assert t["water_distance_m"].tolist() == [10.0, 20.0, 30.0]
    d = result.disagreements
    assert d[["parcel_id", "item"]].values.tolist() == [["P001", "water"]]
    assert bool(d["declared"].iloc[0]) and not bool(d["derived"].iloc[0])


def test_a_shorter_checklist_ignores_the_other_items():
    three = CONFIG.with_changes(checklist=CHECKLIST_PRESETS["三通一平"])
    p = parcels(**{key: [True, True, True] for key in ITEMS}, leveled=[True, True, True])
    cov = {item: coverage([True, True, True]) for item in ITEMS}
    cov["heat"] = coverage([False, False, False])
    cov["power"] = coverage([True, True, False])
    t = compute_readiness(p, three, cov).table
    assert t["ready"].tolist() == [True, True, False]
    assert t["missing"].tolist() == [None, None, "power"]


def test_leveled_from_terrain_or_from_a_record_newer_than_the_dem():
    p = parcels(**dict.fromkeys(ITEMS, [True] * 3), leveled=[False, True, True])
    cov = {item: coverage([True, True, True]) for item in ITEMS}
    terrain = pd.DataFrame(
        {"relief_m": [1.5, 6.0, 6.0], "slope_pct": [1.0, 4.0, 4.0], "earthwork_m3": [900.0, 30000.0, 30000.0]},
        index=pd.Index(["P000", "P001", "P002"], name="parcel_id"),
    )
    # when each record came to say "leveled" (from the edit history); P000's record never did
    since = pd.Series(pd.to_datetime(["2026-03-01", "2025-12-01"], utc=True), index=["P001", "P002"])
    t = compute_readiness(p, CONFIG, cov, terrain, dem_date=pd.Timestamp("2026-02-01"), leveled_on=since).table
    # P000 flat; P001 hilly but its record (newer than the DEM) says leveled; P002's record is older
    assert t["leveled"].tolist() == [True, True, False]
    assert t["ready"].tolist() == [True, True, False]
    assert t["missing"].iloc[2] == "leveled"
    np.testing.assert_array_equal(t["relief_m"], [1.5, 6.0, 6.0])


def test_a_parcel_the_dem_cannot_judge_falls_back_on_its_record():
    p = parcels(**{k: [True] * 3 for k in ITEMS}, leveled=[True, True, False])
    cov = {item: coverage([True, True, True]) for item in ITEMS}
    terrain = pd.DataFrame(
        {
            "relief_m": [0.5, np.nan, np.nan],
            "slope_pct": [np.nan, np.nan, np.nan],
            "earthwork_m3": [10.0, np.nan, np.nan],
        },
        index=pd.Index(["P000", "P001", "P002"], name="parcel_id"),
    )
    t = compute_readiness(p, CONFIG, cov, terrain).table
    # P000 is flat though the slope is unknown beside nodata; P001/P002 lie off the DEM: their records decide
    assert t["leveled"].tolist()[0]
    assert t["ready"].tolist() == [True, True, False]
    assert t["missing"].tolist() == [None, None, "leveled"]


def test_by_item_counts_the_value_readiness_used():
    p = parcels(**{key: [True, True, None] for key in ITEMS}, leveled=[True, True, True])
    cov = {item: coverage([True, True, True]) for item in ITEMS}
    cov["water"] = coverage([True, False, True])  # P001's records say water, the model says not
    cov["gas"] = None  # no gas layer: the records decide
    counts = compute_readiness(p, CONFIG, cov).by_item(p, ["water", "gas", "leveled"])
    assert counts.index.tolist() == ["water", "gas", "leveled"]
    assert counts.loc["water"].tolist() == ["derived", 2, 1, 1]  # used, holds, fails, disagree
    assert counts.loc["gas"].tolist() == ["declared", 2, 1, 0]  # P002's unknown record fails
    assert counts.loc["leveled"].tolist() == ["declared", 3, 0, 0]  # no DEM


def test_each_disagreement_knows_its_place_in_a_whole_runs_order():
    # P001 disagrees on water (rank 1 of the checklist), P000 and P002 on drainage (rank 2): 3 parcels, so 4 a rank
    p = parcels(**{key: [True, True, True] for key in ITEMS}, leveled=[True, True, True])
    cov = {item: coverage([True, True, True]) for item in ITEMS}
    cov["water"] = coverage([True, False, True])
    cov["drainage"] = coverage([False, True, False])
    result = compute_readiness(p, CONFIG, cov)
    assert result.disagreements[["parcel_id", "item"]].values.tolist() == [
        ["P001", "water"],
        ["P000", "drainage"],
        ["P002", "drainage"],
    ]
    assert list(result.used)[1:3] == ["water", "drainage"]
    assert result.keys is not None and result.keys.tolist() == [1 * 4 + 1, 2 * 4 + 0, 2 * 4 + 2]
