"""Park indicators on a small park worked out by hand.

Source of the formulas: 开发区土地集约利用评价规程（2014年度试行）— 土地开发率 = land that meets
the supply conditions (acquired, at least 三通一平) / park land; 土地供应率 = supplied /
available; 工业用地率 and the industrial indicators on 工矿仓储用地 (GB/T 21010-2017 class
06: 工业, 采矿, 盐田, 仓储 — 1001/1002/1003/1101/1102 in 用地用海分类).

Park T1: ten parcels of 1 ha (15 mu) each —
P0 planned (records say 三通一平: still not acquired); P1 reserved with road, water, power
and leveling declared (熟地: available); P2 reserved without power (生地: not available);
P3 reserved with nothing declared (unknown: not available); P4 supplied, idle; P5 under
construction; P6 producing 100102: floor 12,000 m², footprint 4,500 m², investment 4,500
万元, tax 300 万元; P7 producing commercial (0901): floor 20,000 m², footprint 3,000 m²,
investment 3,000 万元, tax 200 万元; P8 producing 储备库 (1102): floor 6,000 m², footprint
3,500 m², investment 1,500 万元, tax 60 万元; P9 producing 采矿 (1002): floor 2,000 m²,
footprint 4,000 m², investment 3,000 万元, tax 90 万元.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from planner.parcels.indicators import (
    FIGURES,
    INDICATORS,
    NATIONAL_2019_LABEL,
    available_for_supply,
    explain,
    park_indicators,
)
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, grid_parcels

T, F, N = True, False, None
STATUS = [
    "planned",
    "reserved",
    "reserved",
    "reserved",
    "supplied",
    "under_construction",
    "in_production",
    "in_production",
    "in_production",
    "in_production",
]


def park(park_id: str = "T1") -> gpd.GeoDataFrame:
    frame = grid_parcels(
        10,
        status=STATUS,
        land_use=["100102"] * 6 + ["100102", "0901", "1102", "1002"],
        declared_road=[T, T, T, N, T, T, T, T, T, T],
        declared_water=[T, T, T, N, T, T, T, T, T, T],
        declared_power=[T, T, F, N, T, T, T, T, T, T],
        declared_leveled=[T, T, T, N, T, T, T, T, T, T],
        floor_area_m2=[N] * 6 + [12000.0, 20000.0, 6000.0, 2000.0],
        footprint_m2=[N] * 6 + [4500.0, 3000.0, 3500.0, 4000.0],
        investment_actual_wan=[N] * 6 + [4500.0, 3000.0, 1500.0, 3000.0],
        tax_wan=[N] * 6 + [300.0, 200.0, 60.0, 90.0],
        idle_rule=[N, N, N, N, "not_started", N, N, N, N, N],
    )
    frame["parcel_id"] = [f"{park_id}-{i}" for i in range(10)]
    return validate_parcels(frame, crs_epsg=GK, park_id=park_id).parcels


EXPECTED = {
    "park_area_ha": 10.0,
    "available_area_ha": 7.0,  # P1 and the six supplied parcels; not P0 (planned), P2 (no power), P3 (unknown)
    "industrial_built_area_ha": 3.0,  # P6 工业, P8 储备库, P9 采矿
    "land_development_rate_pct": 7 / 10 * 100,
    "supply_rate_pct": 6 / 7 * 100,
    "built_up_rate_pct": 4 / 6 * 100,
    "industrial_land_share_pct": 3 / 4 * 100,
    "far_overall": (12000 + 20000 + 6000 + 2000) / 40000,
    "far_industrial": (12000 + 6000 + 2000) / 30000,
    "building_coverage_industrial_pct": (4500 + 3500 + 4000) / 30000 * 100,
    "investment_intensity_industrial_wan_per_ha": (4500 + 1500 + 3000) / 3,
    "investment_intensity_industrial_wan_per_mu": (4500 + 1500 + 3000) / 45,
    "tax_per_industrial_land_wan_per_ha": (300 + 60 + 90) / 3,
    "tax_per_industrial_land_wan_per_mu": (300 + 60 + 90) / 45,
    "tax_per_land_wan_per_ha": (300 + 200 + 60 + 90) / 4,
    "idle_land_rate_pct": 1 / 6 * 100,
}


def test_indicators_of_one_park_by_hand():
    table = park_indicators(park())
    assert list(table.index) == ["T1", "ALL"]
    for name, value in EXPECTED.items():
        assert table.loc["T1", name] == pytest.approx(value, rel=1e-12), name
    assert {i.name for i in INDICATORS} | {f.name for f in FIGURES} <= set(table.columns)


def test_available_for_supply_needs_acquired_land_with_three_connections_and_leveling():
    """开发区土地集约利用评价规程（2014）土地开发率: only land meeting the supply conditions counts."""
    p = park()
    assert available_for_supply(p).tolist() == [F, T, F, F, T, T, T, T, T, T]
    # the network model's value wins over the records: P1's road derived as not connected
    p["road"] = pd.array([None, False, None, None, None, None, None, None, None, None], dtype="boolean")
    assert not available_for_supply(p)[1]
    # a derived True fills in what the records leave unknown — P3 has a leveled DEM and every network
    for item in ("road", "water", "power", "leveled"):
        p[item] = pd.array([None, None, None, True, None, None, None, None, None, None], dtype="boolean")
    assert available_for_supply(p)[3]


def test_all_parks_together():
    two = pd.concat([park("T1"), park("T2").iloc[:7]], ignore_index=True)  # T2 lacks P7–P9
    table = park_indicators(two)
    # T2: 7 ha, available P1 + P4..P6 = 4 ha, supplied 3, built 1 (P6, industrial)
    assert table.loc["T2", "land_development_rate_pct"] == pytest.approx(4 / 7 * 100)
    assert table.loc["T2", "far_overall"] == pytest.approx(1.2)
    # together: 17 ha, 11 available, 9 supplied, 5 built (4 industrial), floors 52,000 m²
    assert table.loc["ALL", "park_area_ha"] == pytest.approx(17.0)
    assert table.loc["ALL", "land_development_rate_pct"] == pytest.approx(11 / 17 * 100)
    assert table.loc["ALL", "supply_rate_pct"] == pytest.approx(9 / 11 * 100)
    assert table.loc["ALL", "built_up_rate_pct"] == pytest.approx(5 / 9 * 100)
    assert table.loc["ALL", "industrial_land_share_pct"] == pytest.approx(4 / 5 * 100)
    assert table.loc["ALL", "far_overall"] == pytest.approx(52000 / 50000)
    assert table.loc["ALL", "idle_land_rate_pct"] == pytest.approx(2 / 9 * 100)


def test_an_explicit_idle_mask_and_empty_denominators():
    p = park()
    table = park_indicators(p, idle=pd.Series([False] * 10))
    assert table.loc["T1", "idle_land_rate_pct"] == 0.0
    planned_only = p.iloc[:1]
    empty = park_indicators(planned_only)
    assert empty.loc["T1", "land_development_rate_pct"] == 0.0
    assert np.isnan(empty.loc["T1", "supply_rate_pct"])  # nothing available: no rate, not zero


def test_missing_figures_are_not_zero():
    p = park()
    p.loc[[6, 8, 9], ["floor_area_m2", "footprint_m2", "investment_actual_wan", "tax_wan"]] = np.nan
    table = park_indicators(p)
    assert np.isnan(table.loc["T1", "far_industrial"])  # no industrial floor area stated at all
    assert np.isnan(table.loc["T1", "tax_per_industrial_land_wan_per_ha"])
    assert table.loc["T1", "industrial_lacking_floor_area"] == 3
    assert table.loc["T1", "far_overall"] == pytest.approx(20000 / 40000)  # the commercial parcel's floors only


def test_explain_shows_formula_figures_and_source():
    row = park_indicators(park()).loc["T1"]
    zh = explain(row, "zh")
    dev = zh.loc["land_development_rate_pct"]
    assert dev["value"] == "70.00"
    assert dev["numerator"] == "已达到供地条件的土地面积（已供应，及已收储且三通一平） = 7.00 ha"
    assert dev["denominator"] == "园区土地面积（宗地合计） = 10.00 ha"
    assert "× 100" in dev["formula"]
    assert "开发区土地集约利用评价规程（2014年度试行）" in dev["source"]
    share = zh.loc["industrial_land_share_pct"]
    assert "GB/T 21010-2017" in share["source"]
    assert share["numerator"] == "已建成工矿仓储用地面积 = 3.00 ha"
    en = explain(row, "en")
    assert en.loc["far_industrial", "numerator"] == "floor area on industrial land = 20,000 m²"
    assert en.loc["investment_intensity_industrial_wan_per_mu", "denominator"].endswith("= 45.00 亩")
    p = park()
    p.loc[[6, 7, 8, 9], "tax_wan"] = np.nan
    missing = explain(park_indicators(p).loc["T1"], "zh").loc["tax_per_land_wan_per_ha"]
    assert missing["value"] == "—" and missing["numerator"].endswith("= 未填报")
    assert all(i.source for i in INDICATORS)


def test_national_column_names_the_2019_monitoring_of_national_level_zones():
    assert NATIONAL_2019_LABEL[0] == "全国国家级开发区2019监测(截至2018-12-31)"
    assert "2018-12-31" in NATIONAL_2019_LABEL[1] and "national-level" in NATIONAL_2019_LABEL[1]
