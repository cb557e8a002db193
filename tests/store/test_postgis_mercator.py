"""The parcels' stored Web Mercator outline (``geom_3857``) of a PostGIS park: made, followed, and added when opened.

The column is PostgreSQL's (generated from ``geom``): every write, the planner's or another client's,
keeps it equal to ``ST_Transform(geom, 3857)``; the edit triggers leave it out of the history.
"""

from __future__ import annotations

from shapely import affinity

from planner.store import open_store
from planner.store.triggers import pg_triggers_sql
from tests.conftest import grid_parcels
from tests.store.conftest import pg_connect

STALE = (
    "SELECT count(*), count(*) FILTER (WHERE ST_AsBinary(geom_3857) IS DISTINCT FROM "
    'ST_AsBinary(ST_Transform(geom, 3857))) FROM "{schema}".parcels'
)


def _column(conn, schema: str) -> list[tuple]:
    return conn.execute(
        "SELECT c.column_name, c.is_generated, i.indexname FROM information_schema.columns c "
        "LEFT JOIN pg_indexes i ON i.schemaname = c.table_schema AND i.tablename = 'parcels' "
        "AND i.indexdef LIKE '%%gist (geom_3857)%%' "
        "WHERE c.table_schema = %s AND c.table_name = 'parcels' AND c.column_name = 'geom_3857'",
        (schema,),
    ).fetchall()


def test_the_stored_outline_follows_the_planners_and_other_clients_writes(pg_store):
    pg_store.write_parcels(grid_parcels(4), by="张工")
    with pg_connect(pg_store) as conn:
        assert _column(conn, pg_store.schema) == [("geom_3857", "ALWAYS", "parcels_geom_3857_gist")]
        assert conn.execute(STALE.format(schema=pg_store.schema)).fetchone() == (4, 0)
        row = pg_store.get_parcel("P001")
        moved = affinity.translate(row.geometry, 500.0, 0.0)
        pg_store.update_parcel("P001", {"geometry": moved}, version=int(row["version"]), by="李工")
        conn.execute(
            f'UPDATE "{pg_store.schema}".parcels SET geom = ST_Translate(geom, 0, 250), holder = %s '
            "WHERE parcel_id = 'P002'",
            ("某公司",),
        )
        assert conn.execute(STALE.format(schema=pg_store.schema)).fetchone() == (4, 0)
        mercator_x = conn.execute(
            f'SELECT ST_XMin(geom_3857) FROM "{pg_store.schema}".parcels WHERE parcel_id = %s', ("P001",)
        ).fetchone()[0]
    assert mercator_x > 1.3e7  # Web Mercator metres east of Greenwich (China), not the park's own CRS
    last = pg_store.history(layer="parcels", feature_id="P002").iloc[-1]
    assert last["action"] == "update" and set(last["changes"]) == {"holder", "geometry"}


def test_a_park_of_the_earlier_layout_gains_the_outline_and_its_triggers_skip_it(pg_store):
    pg_store.write_parcels(grid_parcels(3), by="张工")
    schema = pg_store.schema
    with pg_connect(pg_store) as conn:  # the park as the earlier version left it: no column, its trigger function
        conn.execute(f'ALTER TABLE "{schema}".parcels DROP COLUMN geom_3857')
        earlier = pg_triggers_sql(schema, 0).as_string(conn).replace("'geom_3857', ", "")
        assert "'geom_3857'" not in earlier
        conn.execute(earlier)
        assert _column(conn, schema) == []
    pg_store.close()
    with open_store(pg_store.location) as reopened, pg_connect(reopened) as conn:
        assert _column(conn, schema) == [("geom_3857", "ALWAYS", "parcels_geom_3857_gist")]
        assert conn.execute(STALE.format(schema=schema)).fetchone() == (3, 0)
        assert len(reopened.read_parcels()) == 3 and "geom_3857" not in reopened.read_parcels().columns
        before = len(reopened.history())
        conn.execute(f"UPDATE \"{schema}\".parcels SET holder = '某公司' WHERE parcel_id = 'P002'")
        last = reopened.history(layer="parcels", feature_id="P002").iloc[-1]
        assert last["changes"] == {"holder": [None, "某公司"]}  # the generated column is no edit
        conn.execute(f"UPDATE \"{schema}\".parcels SET holder = holder WHERE parcel_id = 'P002'")
        assert len(reopened.history()) == before + 1  # nothing changed: no history
