"""The parcels' stored ``missing_count`` and ``box_3857`` of a PostGIS park (the tiles' readiness colour and
size on screen read them): made, followed after every kind of edit, and added when a park of the earlier
layout is opened.

The columns are PostgreSQL's (generated from ``missing`` and ``geom``): whoever writes them — the
planner's derived columns, a whole parcel, another client's ``UPDATE`` or ``INSERT`` — the count stays
the number of items named and the box that of the outline in Web Mercator. The counts below are worked
out by hand; the tiles' ``fill`` is checked against :func:`planner.maps.style.readiness_color`, the
encoder's own rule, on the stored values.
"""

from __future__ import annotations

import pandas as pd
from shapely import affinity

from planner.maps.postgis_tiles import ParkClasses, PostGISTiles
from planner.maps.style import readiness_color
from planner.store import open_store
from planner.store.triggers import pg_triggers_sql
from tests.conftest import grid_parcels
from tests.maps.mvt import decode
from tests.maps.test_tiles import tile_xy
from tests.store.conftest import pg_connect

COUNTS = 'SELECT parcel_id, missing_count FROM "{schema}".parcels ORDER BY parcel_id'
STALE_BOX = (
    "SELECT count(*), count(*) FILTER (WHERE box_3857 IS DISTINCT FROM ST_Transform(geom, 3857)::box2d "
    "OR ST_XMax(box_3857) IS DISTINCT FROM ST_XMax(geom_3857) OR ST_YMin(box_3857) IS DISTINCT FROM "
    'ST_YMin(geom_3857)) FROM "{schema}".parcels'
)


def counts(conn, schema: str) -> dict[str, int | None]:
    return dict(conn.execute(COUNTS.format(schema=schema)).fetchall())


def tile_fills(store) -> dict[str, str]:
    """Each parcel's ``fill`` as the PostGIS tiles at zoom 16 write it (every tile the parcels meet)."""
    parcels = store.read_parcels().to_crs(4326)
    w, s, e, n = parcels.total_bounds
    (x0, y0), (x1, y1) = tile_xy(w, n, 16), tile_xy(e, s, 16)
    tiles = PostGISTiles(store, ParkClasses.of(store))
    fills: dict[str, str] = {}
    for x in range(int(x0), int(x1) + 1):
        for y in range(int(y0), int(y1) + 1):
            data = tiles.tile(16, x, y)
            for f in decode(data)["parcels"]["features"] if data else []:
                fills[f["properties"]["parcel_id"]] = f["properties"]["fill"]
    return fills


def expected_fills(store) -> dict[str, str]:
    """The encoder's rule on the stored ``ready`` and ``missing``."""
    p = store.read_parcels()
    return dict(zip(p["parcel_id"], readiness_color(p["ready"], p["missing"]), strict=True))


def test_the_stored_missing_count_follows_every_kind_of_edit(pg_store):
    schema = pg_store.schema
    pg_store.write_parcels(grid_parcels(5), by="张工")
    with pg_connect(pg_store) as conn:
        assert counts(conn, schema) == dict.fromkeys(["P000", "P001", "P002", "P003", "P004"])  # nothing missing yet
        # the planner's derived columns (readiness written back)
        before = pg_store.read_parcels().set_index("parcel_id", drop=False).sort_index()
        values = pd.DataFrame(
            {
                "ready": [True, False, False, False, None],
                "missing": [None, "gas", "gas,heat,power", ",power,,water,", None],
            },
            index=before.index,
        )
        pg_store.write_columns(before, values, by="readiness")
        assert counts(conn, schema) == {"P000": None, "P001": 1, "P002": 3, "P003": 2, "P004": None}
        assert tile_fills(pg_store) == expected_fills(pg_store)
        # another client's UPDATE of missing, then its INSERT of a parcel
        conn.execute(f"UPDATE \"{schema}\".parcels SET missing = 'a,b,c,d,e', ready = false WHERE parcel_id = 'P000'")
        conn.execute(
            f'INSERT INTO "{schema}".parcels (parcel_id, status, ready, missing, geom) '
            f"SELECT 'P009', 'reserved', false, 'road', ST_Translate(geom, 0, 200) FROM \"{schema}\".parcels "
            "WHERE parcel_id = 'P001'"
        )
        assert counts(conn, schema) == {"P000": 5, "P001": 1, "P002": 3, "P003": 2, "P004": None, "P009": 1}
        last = pg_store.history(layer="parcels", feature_id="P000").iloc[-1]
        assert set(last["changes"]) == {"missing", "ready"}  # the generated count is no edit of its own
        # the planner's whole-parcel edit of an input column leaves it; an emptied list counts nothing
        row = pg_store.get_parcel("P002")
        pg_store.update_parcel("P002", {"holder": "某公司"}, version=int(row["version"]), by="李工")
        conn.execute(f"UPDATE \"{schema}\".parcels SET missing = '' WHERE parcel_id = 'P003'")
        assert counts(conn, schema) == {"P000": 5, "P001": 1, "P002": 3, "P003": 0, "P004": None, "P009": 1}
        assert tile_fills(pg_store) == expected_fills(pg_store)
        # the stored box follows the outline, moved by the planner and by another client
        row = pg_store.get_parcel("P004")
        pg_store.update_parcel(
            "P004", {"geometry": affinity.translate(row.geometry, 0, 400)}, version=int(row["version"]), by="李工"
        )
        conn.execute(f"UPDATE \"{schema}\".parcels SET geom = ST_Translate(geom, 300, 0) WHERE parcel_id = 'P003'")
        assert conn.execute(STALE_BOX.format(schema=schema)).fetchone() == (6, 0)
        y_max = conn.execute(f"SELECT ST_YMax(box_3857) FROM \"{schema}\".parcels WHERE parcel_id = 'P004'").fetchone()
        assert y_max[0] > 2e6  # Web Mercator metres north of the equator (China), not the park's own CRS


def test_a_park_of_the_earlier_layout_gains_the_count_and_its_triggers_skip_it(pg_store):
    pg_store.write_parcels(grid_parcels(3), by="张工")
    schema = pg_store.schema
    before = pg_store.read_parcels().set_index("parcel_id", drop=False).sort_index()
    pg_store.write_columns(
        before, pd.DataFrame({"ready": [False] * 3, "missing": ["gas", "gas,heat", None]}, index=before.index), by="r"
    )
    with pg_connect(pg_store) as conn:  # the park as the earlier version left it: no column, its trigger function
        conn.execute(f'ALTER TABLE "{schema}".parcels DROP COLUMN missing_count, DROP COLUMN box_3857')
        earlier = pg_triggers_sql(schema, 0).as_string(conn).replace("'missing_count', 'box_3857', ", "")
        assert "'missing_count'" not in earlier and "'box_3857'" not in earlier
        conn.execute(earlier)
    pg_store.close()
    with open_store(pg_store.location) as reopened, pg_connect(reopened) as conn:
        assert counts(conn, schema) == {"P000": 1, "P001": 2, "P002": None}
        assert conn.execute(STALE_BOX.format(schema=schema)).fetchone() == (3, 0)
        assert "missing_count" not in reopened.read_parcels().columns
        conn.execute(f"UPDATE \"{schema}\".parcels SET missing = 'gas,heat,power' WHERE parcel_id = 'P002'")
        last = reopened.history(layer="parcels", feature_id="P002").iloc[-1]
        assert last["changes"] == {"missing": [None, "gas,heat,power"]}
        assert counts(conn, schema)["P002"] == 3
        conn.execute(f"DELETE FROM \"{schema}\".parcels WHERE parcel_id = 'P001'")
        gone = reopened.history(layer="parcels", feature_id="P001").iloc[-1]
        assert gone["action"] == "delete" and gone["changes"]["missing"] == "gas,heat"
        assert not {"missing_count", "box_3857"} & set(gone["changes"])  # the generated columns are not history
        assert tile_fills(reopened) == expected_fills(reopened)
