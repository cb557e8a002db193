"""A park made before a layer existed opens, and gains the layer, empty."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from planner.store import create_park, open_store
from tests.conftest import GK, X0, Y0


def test_a_park_without_the_factories_layer_is_upgraded_when_opened(tmp_path, config):
    path = tmp_path / "old.gpkg"
    create_park(path, config)
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE '%factories%'")]
    kinds = dict(conn.execute("SELECT name, type FROM sqlite_master WHERE name LIKE '%factories%'").fetchall())
    for name in names:
        if kinds[name] == "trigger":
            conn.execute(f'DROP TRIGGER IF EXISTS "{name}"')
    for name in names:
        if kinds[name] == "table" and name.startswith("rtree_"):
            conn.execute(f'DROP TABLE IF EXISTS "{name}"')
    conn.execute("DROP TABLE factories")
    for table in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_data_columns"):
        conn.execute(f"DELETE FROM {table} WHERE table_name = 'factories'")
    conn.commit()
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'factories'").fetchone()[0] == 0
    conn.close()

    store = open_store(path)
    assert store.counts()["factories"] == 0
    building = gpd.GeoDataFrame(
        {"factory_id": ["F1"], "floor_area_m2": [8000.0], "free_floor_area_m2": [2000.0]},
        geometry=[box(X0, Y0, X0 + 50, Y0 + 40)],
        crs=GK,
    )
    store.write_layer("factories", building, by="test")
    assert open_store(path).read_layer("factories")["free_floor_area_m2"].tolist() == [2000.0]


def test_a_park_without_the_planned_line_columns_gains_them_when_opened(park_uri, config):
    """Lines of a park made before works existed: `planned_date` and `cost_wan` are added, empty."""
    from shapely.geometry import LineString

    store = create_park(park_uri, config)
    line = gpd.GeoDataFrame(
        {"line_id": ["W1"], "in_service": [True]}, geometry=[LineString([(X0, Y0), (X0 + 100, Y0)])], crs=GK
    )
    store.write_layer("water_lines", line, by="test")
    if str(park_uri).endswith(".gpkg"):
        conn = sqlite3.connect(park_uri)
        for (trigger,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'planner_v%'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{trigger}"')  # an earlier version made no triggers; they name every column
        for column in ("planned_date", "cost_wan"):
            conn.execute(f'ALTER TABLE water_lines DROP COLUMN "{column}"')
            conn.execute(
                "DELETE FROM gpkg_data_columns WHERE table_name = 'water_lines' AND column_name = ?", (column,)
            )
        conn.commit()
        conn.close()
    else:
        from tests.store.conftest import pg_connect

        with pg_connect(store) as conn:
            for column in ("planned_date", "cost_wan"):
                conn.execute(f'ALTER TABLE "{store.schema}".water_lines DROP COLUMN "{column}"')
    store.close()

    again = open_store(store.location if hasattr(store, "location") else park_uri)
    lines = again.read_layer("water_lines")
    assert lines["line_id"].tolist() == ["W1"]
    assert lines["cost_wan"].isna().all() and lines["planned_date"].isna().all()
    planned = line.assign(line_id="W2", in_service=False, cost_wan=85.0, planned_date=pd.Timestamp("2027-06-30"))
    again.write_layer("water_lines", planned, by="test", mode="upsert")
    row = open_store(again.location if hasattr(again, "location") else park_uri).read_layer("water_lines", ids=["W2"])
    assert row["cost_wan"].tolist() == [85.0]
    assert row["planned_date"].tolist() == [pd.Timestamp("2027-06-30")]
    again.close()
