"""The park boundary layer (园区四至) on both backends, and parks made before it gain it when opened."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import psycopg
import pytest
from shapely.geometry import box

from planner.store import PostGISStore, create_park, open_store
from tests.conftest import GK


def test_an_old_park_gains_the_boundary_layer(park_uri, config):
    store = create_park(park_uri, config)
    try:
        if isinstance(store, PostGISStore):
            with psycopg.connect(str(park_uri), autocommit=True) as conn:
                conn.execute(f'DROP TABLE "{store.schema}".boundary')
        else:
            conn = sqlite3.connect(store.path)
            kinds = dict(conn.execute("SELECT name, type FROM sqlite_master WHERE name LIKE '%boundary%'").fetchall())
            for name, kind in kinds.items():
                if kind == "trigger":
                    conn.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            for name, kind in kinds.items():
                if kind == "table" and name.startswith("rtree_"):
                    conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            conn.execute("DROP TABLE boundary")
            for table in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_data_columns"):
                conn.execute(f"DELETE FROM {table} WHERE table_name = 'boundary'")
            conn.commit()
            conn.close()
    finally:
        store.close()
    with open_store(park_uri) as reopened:
        outline = gpd.GeoDataFrame(
            {"boundary_id": ["B1"], "name": ["四至"]}, geometry=[box(500000, 3000000, 501000, 3001000)], crs=GK
        )
        reopened.write_layer("boundary", outline, by="test")
        got = reopened.read_layer("boundary")
    assert list(got["boundary_id"]) == ["B1"] and list(got["origin"]) == ["imported"]
    assert got.geometry.iloc[0].area == pytest.approx(1e6)
