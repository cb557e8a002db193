"""A park with a real power network, for the capacity tests of matching and assignment."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point

from planner.store import create_park
from tests.conftest import GK, X0, Y0
from tests.siting.park import config, frame, rect


def power_park(tmp_path, substation_kva: float):
    """A park with one power line fed by a substation; P0 produces and draws 2,000 kVA installed."""
    store = create_park(tmp_path / "park.gpkg", config())
    store.write_layer(
        "power_lines",
        gpd.GeoDataFrame({"line_id": ["L1"]}, geometry=[LineString([(X0, Y0), (X0 + 3000, Y0)])], crs=GK),
        by="test",
    )
    store.write_layer(
        "sources",
        gpd.GeoDataFrame(
            {"source_id": ["SS"], "network": ["power"], "kind": ["substation"], "name": ["园区变电站"]}
            | {"capacity_kva": [substation_kva]},
            geometry=[Point(X0, Y0)],
            crs=GK,
        ),
        by="test",
    )
    parcels = frame(
        [rect(100, 15, y=10), rect(1000, 15, y=10), rect(2000, 15, y=500)],
        status=["in_production", "reserved", "reserved"],
        industry=["C3670", None, None],
        power_kva=[2000.0, None, None],
        supply_mode=["grant", None, None],
        holder=["某公司", None, None],
        contract_date=[pd.Timestamp("2020-01-01"), None, None],
        land_price_wan=[1000.0, None, None],
    )
    store.write_parcels(parcels, by="test")
    return store
