"""Park indicators on a small park worked out by hand.

Park T1: six parcels of 1 ha (15 mu) each —
P000 planned; P001 reserved; P002 supplied, idle; P003 under construction;
P004 producing industrial (100102): floor 12,000 m², footprint 4,500 m², investment
4,500 万元, tax 300 万元; P005 producing commercial (0901): floor 20,000 m², footprint
3,000 m², tax 200 万元.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from planner.parcels.indicators import INDICATORS, park_indicators
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, grid_parcels


def park(park_id: str = "T1") -> gpd.GeoDataFrame:
    frame = grid_parcels(
        6,
        status=["planned", "reserved", "supplied", "under_construction", "in_production", "in_production"],
        land_use=["100102", "100102", "100102", "100102", "100102", "0901"],
        floor_area_m2=[None, None, None, None, 12000.0, 20000.0],
        footprint_m2=[None, None, None, None, 4500.0, 3000.0],
        investment_actual_wan=[None, None, None, None, 4500.0, 3000.0],
        tax_wan=[None, None, None, None, 300.0, 200.0],
        idle_rule=[None, None, "not_started", None, None, None],
    )
    frame["parcel_id"] = [f"{park_id}-{i}" for i in range(6)]
    return validate_parcels(frame, crs_epsg=GK, park_id=park_id).parcels


EXPECTED = {
    "park_area_ha": 6.0,
    "land_development_rate_pct": 5 / 6 * 100,
    "supply_rate_pct": 4 / 5 * 100,
    "built_up_rate_pct": 2 / 4 * 100,
    "industrial_land_share_pct": 1 / 2 * 100,
    "far_overall": 32000 / 20000,
    "far_industrial": 12000 / 10000,
    "building_coverage_industrial_pct": 45.0,
    "investment_intensity_industrial_wan_per_ha": 4500.0,
    "investment_intensity_industrial_wan_per_mu": 300.0,
    "tax_per_industrial_land_wan_per_ha": 300.0,
    "tax_per_industrial_land_wan_per_mu": 20.0,
    "tax_per_land_wan_per_ha": 500 / 2,
    "idle_land_rate_pct": 1 / 4 * 100,
}


def test_indicators_of_one_park_by_hand():
    table = park_indicators(park())
    assert list(table.index) == ["T1", "ALL"]
    for name, value in EXPECTED.items():
        assert table.loc["T1", name] == pytest.approx(value, rel=1e-12), name
    assert {i.name for i in INDICATORS} <= set(table.columns)


def test_all_parks_together():
    two = pd.concat([park("T1"), park("T2").iloc[:5]], ignore_index=True)  # T2 has no commercial parcel
    table = park_indicators(two)
    assert table.loc["T2", "far_overall"] == pytest.approx(1.2)
    # together: 11 ha, 9 available, 7 supplied, 3 built (2 industrial), floors 44,000 m²
    assert table.loc["ALL", "park_area_ha"] == pytest.approx(11.0)
    assert table.loc["ALL", "land_development_rate_pct"] == pytest.approx(9 / 11 * 100)
    assert table.loc["ALL", "supply_rate_pct"] == pytest.approx(7 / 9 * 100)
    assert table.loc["ALL", "built_up_rate_pct"] == pytest.approx(3 / 7 * 100)
    assert table.loc["ALL", "far_overall"] == pytest.approx(44000 / 30000)
    assert table.loc["ALL", "idle_land_rate_pct"] == pytest.approx(2 / 7 * 100)


def test_an_explicit_idle_mask_and_empty_denominators():
    p = park()
    table = park_indicators(p, idle=pd.Series([False] * 6))
    assert table.loc["T1", "idle_land_rate_pct"] == 0.0
    planned_only = p.iloc[:1]
    empty = park_indicators(planned_only)
    assert empty.loc["T1", "land_development_rate_pct"] == 0.0
    assert np.isnan(empty.loc["T1", "supply_rate_pct"])  # nothing available: no rate, not zero


def test_missing_figures_are_not_zero():
    p = park()
    p.loc[4, ["floor_area_m2", "footprint_m2", "investment_actual_wan", "tax_wan"]] = np.nan
    table = park_indicators(p)
    assert np.isnan(table.loc["T1", "far_industrial"])  # no industrial floor area stated at all
    assert np.isnan(table.loc["T1", "tax_per_industrial_land_wan_per_ha"])
    assert table.loc["T1", "industrial_lacking_floor_area"] == 1
    assert table.loc["T1", "far_overall"] == pytest.approx(20000 / 20000)  # the commercial parcel's floors only
