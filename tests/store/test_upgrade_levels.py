"""A park made before lines had a ``level`` opens, gains the column, and its lines are all at grade."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
from shapely.geometry import LineString, Point

from planner.infra.levels import line_levels
from planner.infra.network import build_network
from planner.store import create_park, open_store
from tests.conftest import GK, X0, Y0


def test_a_park_without_the_level_column_gains_it_with_every_line_at_grade(park_uri, config):
    store = create_park(park_uri, config)
    lines = gpd.GeoDataFrame(
        {"line_id": ["R1", "R2"], "in_service": [True, True]},
        geometry=[LineString([(X0, Y0), (X0 + 100, Y0)]), LineString([(X0 + 50, Y0 - 50), (X0 + 50, Y0 + 50)])],
        crs=GK,
    )
    store.write_layer("road_lines", lines, by="test")
    if str(park_uri).endswith(".gpkg"):
        conn = sqlite3.connect(park_uri)
        for (trigger,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'planner_v%'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{trigger}"')  # an earlier version made no triggers; they name every column
        conn.execute('ALTER TABLE road_lines DROP COLUMN "level"')
        conn.execute("DELETE FROM gpkg_data_columns WHERE table_name = 'road_lines' AND column_name = 'level'")
        conn.commit()
        columns = {r[1] for r in conn.execute('PRAGMA table_info("road_lines")')}
        conn.close()
        assert "level" not in columns
    else:
        from tests.store.conftest import pg_connect

        with pg_connect(store) as conn:
            conn.execute(f'ALTER TABLE "{store.schema}".road_lines DROP COLUMN "level"')
    store.close()

    again = open_store(store.location if hasattr(store, "location") else park_uri)
    read = again.read_layer("road_lines")
    assert "level" in read.columns and read["level"].isna().all()
    assert line_levels(read).tolist() == [0, 0]
    if str(park_uri).endswith(".gpkg"):  # titled in Chinese, with its range, as QGIS shows it
        conn = sqlite3.connect(park_uri)
        doc = conn.execute(
            "SELECT c.title, k.min, k.max FROM gpkg_data_columns c JOIN gpkg_data_column_constraints k "
            "ON k.constraint_name = c.constraint_name WHERE c.table_name = 'road_lines' AND c.column_name = 'level'"
        ).fetchall()
        conn.close()
        assert doc == [("竖向层次", -10, 10)]
    else:
        from tests.store.conftest import pg_connect

        with pg_connect(again) as conn:
            comment = conn.execute(
                "SELECT col_description(%s::regclass, attnum) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attname = 'level'",
                (f'"{again.schema}".road_lines', f'"{again.schema}".road_lines'),
            ).fetchone()[0]
        assert comment.startswith("竖向层次 / level.") and comment.endswith("allowed: -10 to 10")
    gateway = gpd.GeoDataFrame(
        {"source_id": ["G"], "network": ["road"], "kind": ["gateway"], "name": ["G"], "in_service": [True]},
        geometry=[Point(X0, Y0)],
        crs=GK,
    )
    network = build_network("road", read, gateway)
    assert len(network.edges) == 4  # at grade the two lines cross and are cut there: a junction
    # a level written now is kept
    again.write_layer("road_lines", read.iloc[[1]].assign(level=-1), by="test", mode="upsert")
    levels = open_store(again.location if hasattr(again, "location") else park_uri).read_layer("road_lines")
    assert dict(zip(levels["line_id"], line_levels(levels), strict=True)) == {"R1": 0, "R2": -1}
    assert len(build_network("road", levels, gateway).edges) == 2  # the tunnel passes under: no junction
    again.close()
