"""A park made before a layer existed opens, and gains the layer, empty."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
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
