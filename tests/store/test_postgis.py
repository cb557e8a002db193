"""What only the PostGIS store has: its schema, locations and passwords, concurrent editors, COPY, many parks.

The behaviour every backend shares is tested in ``test_store.py``. Values are
checked with plain SQL through psycopg, independently of the store.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from psycopg import sql
from shapely.geometry import Point, box

from planner.analysis import update_idle, update_readiness
from planner.config import ParkConfig
from planner.errors import StoreError, StoreLockedError, ValidationError, VersionConflictError
from planner.store import LAYERS, PostGISStore, copy_park, create_park, open_store
from planner.store.postgis import drop_park, list_parks, redact
from tests.conftest import GK, X0, Y0, grid_parcels
from tests.store.conftest import full_parcels, pg_connect, snapshot


@pytest.fixture
def store_backend() -> str:
    """The tests of this module are about the PostGIS backend only."""
    return "postgis"


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user, host = parts.netloc.split("@", 1)
    return urlunsplit((parts.scheme, f"{user}:{password}@{host}", parts.path, parts.query, ""))


def test_create_open_and_refuse(park_uri, config):
    store = create_park(park_uri, config)
    assert isinstance(store, PostGISStore)
    assert store.uri.endswith("?park=T1") and store.schema == "park_t1"
    again = open_store(park_uri)  # the only park in the database: no ?park= needed
    assert isinstance(again, PostGISStore) and again.config() == config
    assert store.counts() == dict.fromkeys(LAYERS, 0)
    with pytest.raises(StoreError, match=r"park 'T1' already exists in .*; pass overwrite=True"):
        create_park(park_uri, config)
    store.write_parcels(grid_parcels(2), by="a")
    store.close()
    again.close()
    assert create_park(park_uri, config, overwrite=True).counts()["parcels"] == 0
    create_park(park_uri, ParkConfig(park_id="T2", name="二号园区", crs_epsg=4549))
    assert list_parks(park_uri) == ["T1", "T2"]
    with pytest.raises(StoreError, match=r"holds 2 parks \('T1', 'T2'\); name one with \?park=<park_id>"):
        open_store(park_uri)
    with pytest.raises(StoreError, match=r"no park 'T3' in .* \(parks held: 'T1', 'T2'\)"):
        open_store(f"{park_uri}?park=T3")
    with pytest.raises(StoreError, match="names park 'T9', but the configuration is of park 'T1'"):
        create_park(f"{park_uri}?park=T9", config)
    drop_park(f"{park_uri}?park=T2")
    assert list_parks(park_uri) == ["T1"]


def test_a_database_without_postgis_is_named(postgis_url, config):
    name = "planner_test_no_postgis_" + urlsplit(postgis_url).path.strip("/").rsplit("_", 1)[-1]
    with psycopg.connect(postgis_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            parts = urlsplit(postgis_url)
            plain = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
            with pytest.raises(StoreError, match=r"has no PostGIS; run `CREATE EXTENSION postgis`"):
                create_park(plain, config)
            with pytest.raises(StoreError, match="has no PostGIS"):
                open_store(plain)
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_passwords_are_never_shown(park_uri, config):
    secret = "s3cret-pw"
    url = with_password(park_uri, secret)  # the test server trusts local connections: any password opens
    store = create_park(url, config)
    assert secret not in store.uri and secret not in repr(store) and ":***@" in store.uri
    assert secret in store.location  # kept, to open the park again
    with pytest.raises(StoreError) as info:
        create_park(url, config)
    assert secret not in str(info.value) and ":***@" in str(info.value)
    unreachable = with_password("postgresql://postgres@127.0.0.1:1/nowhere", secret)
    with pytest.raises(StoreError, match=r"cannot connect to postgresql://postgres:\*\*\*@127.0.0.1:1/nowhere") as info:
        open_store(unreachable)
    assert secret not in str(info.value)
    with pytest.raises(StoreError, match="cannot tell the store type") as info:
        open_store(f"mysql://u:{secret}@h/db")
    assert secret not in str(info.value)
    assert redact(f"postgresql://h/db?user=u&password={secret}&park=T1") == (
        "postgresql://h/db?user=u&password=***&park=T1"
    )


def test_schema_has_typed_geometry_gist_indexes_and_keys(store):
    with pg_connect(store) as conn:
        columns = conn.execute(
            "SELECT f_table_name, f_geometry_column, srid, type FROM geometry_columns "
            "WHERE f_table_schema = %s ORDER BY f_table_name",
            (store.schema,),
        ).fetchall()
        indexes = conn.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = %s", (store.schema,)
        ).fetchall()
        keys = conn.execute(
            "SELECT tc.table_name, tc.constraint_type, kcu.column_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name) "
            "WHERE tc.table_schema = %s AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE')",
            (store.schema,),
        ).fetchall()
        version_type = conn.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = %s AND table_name = 'parcels' "
            "AND column_name = 'version'",
            (store.schema,),
        ).fetchone()
        comment = conn.execute(
            "SELECT col_description(%s::regclass, (SELECT attnum FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attname = 'area_mu'))",
            (f"{store.schema}.parcels", f"{store.schema}.parcels"),
        ).fetchone()[0]
    expected_types = {"sources": "POINT", **dict.fromkeys(("parcels", "factories", "boundary"), "MULTIPOLYGON")}
    expected = [(name, "geom", GK, expected_types.get(name, "LINESTRING")) for name in LAYERS]
    expected.append(("parcels", "geom_3857", 3857, "MULTIPOLYGON"))  # the tiles' outline, generated from geom
    assert sorted(columns) == sorted(expected)
    gist = {table for table, definition in indexes if "USING gist (geom)" in definition}
    assert gist == set(LAYERS)
    assert [t for t, definition in indexes if "USING gist (geom_3857)" in definition] == ["parcels"]
    for name, spec in LAYERS.items():
        assert (name, "PRIMARY KEY", "fid") in keys
        assert (name, "UNIQUE", spec.id_column) in keys
    assert ("history", "PRIMARY KEY", "history_id") in keys
    assert ("park_config", "PRIMARY KEY", "key") in keys
    assert version_type == ("bigint",)
    assert comment == "宗地面积（亩） / area (mu). area_m2 / (10000/15)."


def test_a_bbox_read_can_use_the_gist_index(store):
    """The store's bbox filter is the index's operator (``&&`` on an envelope in the park SRID)."""
    store.write_parcels(grid_parcels(5), by="a")
    with pg_connect(store) as conn, conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")  # a 5-row table would be scanned otherwise
        plan = conn.execute(
            f'EXPLAIN SELECT parcel_id FROM "{store.schema}".parcels WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, %s)',
            (X0, Y0, X0 + 50, Y0 + 50, GK),
        ).fetchall()
    assert "parcels_geom_gist" in " ".join(r[0] for r in plan)
    assert store.read_parcels(bbox=(X0, Y0, X0 + 50, Y0 + 50))["parcel_id"].tolist() == ["P000"]


def test_ready_land_by_size_is_counted_from_the_partial_index(store):
    """``ready AND area_mu >= x`` (GET /parcels?ready=true&min_area_mu=x in SQL) reads the ready rows' index."""
    store.write_parcels(grid_parcels(5), by="a")
    query = f'SELECT count(*) FROM "{store.schema}".parcels WHERE ready AND area_mu >= %s'
    with pg_connect(store) as conn, conn.transaction():
        conn.execute(f'UPDATE "{store.schema}".parcels SET ready = (parcel_id IN (%s, %s))', ("P001", "P003"))
        conn.execute("SET LOCAL enable_seqscan = off")  # a 5-row table would be scanned otherwise
        plan = " ".join(r[0] for r in conn.execute("EXPLAIN " + query, (10.0,)).fetchall())
        assert conn.execute(query, (0.0,)).fetchone() == (2,)
    assert "parcels_ready_area_mu" in plan


def test_geometries_are_stored_with_the_park_srid(store):
    store.write_parcels(grid_parcels(2), by="a")
    store.write_layer("sources", _source(), by="a")
    with pg_connect(store) as conn:
        rows = conn.execute(
            f'SELECT parcel_id, ST_SRID(geom), ST_AsText(geom), ST_Area(geom) FROM "{store.schema}".parcels '
            "ORDER BY parcel_id"
        ).fetchall()
        point = conn.execute(f'SELECT ST_SRID(geom), ST_X(geom), ST_Y(geom) FROM "{store.schema}".sources').fetchone()
    assert [r[1] for r in rows] == [GK, GK]
    assert shapely.from_wkt(rows[0][2]).equals(box(X0, Y0, X0 + 100, Y0 + 100))
    assert [r[3] for r in rows] == [10_000.0, 10_000.0]
    assert point == (GK, X0, Y0)
    back = store.read_parcels()
    assert back.crs.to_epsg() == GK
    assert shapely.get_srid(back.geometry.to_numpy()).tolist() == [0, 0]  # the CRS lives on the frame


def _source():
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {"source_id": ["S1"], "network": ["power"], "kind": ["substation"], "capacity_kva": [100_000.0]},
        geometry=[Point(X0, Y0)],
        crs=GK,
    )


def test_values_read_with_plain_sql_are_the_ones_written(store):
    store.write_parcels(full_parcels(), by="张工")
    with pg_connect(store) as conn:
        row = conn.execute(
            f"SELECT name, holder, contract_date, land_price_wan, declared_road, declared_gas, version, updated_by, "
            f'area_mu FROM "{store.schema}".parcels WHERE parcel_id = %s',
            ("P000",),
        ).fetchone()
        changes = conn.execute(
            f"SELECT changes->>'holder', changes->>'contract_date' FROM \"{store.schema}\".history "
            "WHERE feature_id = 'P000'"
        ).fetchone()
    import datetime

    assert row == (
        "经一路以东1号地块",
        "滁州华瑞精密机械有限公司",
        datetime.date(2019, 3, 1),
        360.5,
        True,
        False,
        1,
        "张工",
        15.0,
    )
    assert changes == ("滁州华瑞精密机械有限公司", "2019-03-01")


def test_two_connections_editing_one_parcel_one_wins(store):
    """Two stores (two connections) edit P000 from version 1 at the same moment: one wins, one conflicts."""
    store.write_parcels(grid_parcels(2), by="a")
    editors = [open_store(store.location) for _ in range(2)]
    results: dict[str, object] = {}
    start = threading.Barrier(3)

    def edit(who: str, editor) -> None:
        start.wait()
        try:
            results[who] = editor.update_parcel("P000", {"name": f"{who}的名字"}, version=1, by=who)["version"]
        except VersionConflictError as exc:
            results[who] = exc

    threads = [threading.Thread(target=edit, args=(who, e)) for who, e in zip(("甲", "乙"), editors, strict=True)]
    with pg_connect(store) as holder, holder.transaction():
        # hold the park's write lock so that both editors are inside their transactions, waiting, when it opens
        holder.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (0x504C, store.schema))
        for t in threads:
            t.start()
        start.wait()
        _wait_for_lock_waiters(holder, 2)
    for t in threads:
        t.join(timeout=30)
    winners = [who for who, r in results.items() if r == 2]
    losers = [who for who, r in results.items() if isinstance(r, VersionConflictError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "is at version 2, but the edit was based on version 1" in str(results[losers[0]])
    with pg_connect(store) as conn:
        name, version = conn.execute(
            f"SELECT name, version FROM \"{store.schema}\".parcels WHERE parcel_id = 'P000'"
        ).fetchone()
        updates = conn.execute(
            f"SELECT changed_by FROM \"{store.schema}\".history WHERE feature_id = 'P000' AND action = 'update'"
        ).fetchall()
    assert (name, version) == (f"{winners[0]}的名字", 2)
    assert updates == [(winners[0],)]
    for e in editors:
        e.close()


def _wait_for_lock_waiters(conn: psycopg.Connection, n: int) -> None:
    import time

    for _ in range(200):
        waiting = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s",
            (0x504C,),
        ).fetchone()[0]
        if waiting >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{n} writers never queued for the park's lock")


def test_an_update_behind_the_planners_back_is_not_overwritten(store):
    """A writer that bypasses the planner and its triggers bumps the version mid-transaction: the update is refused.

    (A plain SQL edit through the triggers waits for the planner's write lock instead; see test_external_edits.)
    """
    store.write_parcels(grid_parcels(2), by="a")
    stale = "parcel 'P001' is at version 5, but the edit was based on version 1"

    def edit_after_a_plain_sql_update() -> None:
        with store._transaction(write=True) as s:
            rows = s.select("parcels", ids=["P001"])
            with pg_connect(store) as other:
                other.execute("SET planner.writing = 'on'")  # the triggers would wait for the planner's lock
                other.execute(f"UPDATE \"{store.schema}\".parcels SET version = 5, name = 'x' WHERE parcel_id = 'P001'")
            rows["version"] = pd.array([2], dtype="Int64")
            s.update("parcels", rows)

    with pytest.raises(VersionConflictError, match=stale):
        edit_after_a_plain_sql_update()
    assert store.get_parcel("P001")["name"] == "x"


def test_a_bulk_write_whose_500th_row_fails_changes_nothing(store):
    store.write_parcels(grid_parcels(3), by="a")
    with pg_connect(store) as conn:
        conn.execute(
            f"""CREATE FUNCTION "{store.schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'row % refused', NEW.parcel_id; END $$;
            CREATE TRIGGER refuse_p0499 BEFORE INSERT ON "{store.schema}".parcels
            FOR EACH ROW WHEN (NEW.parcel_id = 'P0499') EXECUTE FUNCTION "{store.schema}".refuse()"""
        )
    before = snapshot(store)
    many = grid_parcels(1000, status=["planned"] * 1000)  # 3 updates, then 997 inserts; the 500th row fails
    many["parcel_id"] = [f"P{i:03d}" if i < 3 else f"P{i:04d}" for i in range(1000)]
    with pytest.raises(StoreError, match=r"row P0499 refused\); nothing was written"):
        store.write_parcels(many, by="b", metadata={"idle_as_of": "2026-06-30"})
    assert snapshot(store) == before
    assert store.counts()["parcels"] == 3
    assert store.metadata() == {}


def test_text_with_a_nul_character_is_refused_by_name(store):
    store.write_parcels(grid_parcels(1), by="a")
    before = snapshot(store)
    with pytest.raises(ValidationError) as info:
        store.write_parcels(grid_parcels(3, name=["ok", "a\x00b", None]), by="b")
    assert [str(p) for p in info.value.errors] == [
        "parcel 'P001', field `name`: the text contains a NUL character (\\x00), which no store can keep; remove it"
    ]
    assert snapshot(store) == before


def test_a_locked_park_refuses_and_keeps_its_data(store, monkeypatch):
    store.write_parcels(grid_parcels(2), by="a")
    monkeypatch.setattr("planner.store.postgis._LOCK_TIMEOUT_S", 0.2)
    before = snapshot(store)
    with pg_connect(store) as other, other.transaction():
        other.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (0x504C, store.schema))
        with pytest.raises(StoreLockedError, match=r"park 'T1' in .* is locked by another writer; nothing was written"):
            store.write_parcels(grid_parcels(3), by="b")
        assert store.read_parcels()["parcel_id"].tolist() == ["P000", "P001"]  # readers do not wait
    assert snapshot(store) == before


def test_parks_in_different_zones_share_a_database(park_uri, config):
    east = create_park(park_uri, config)  # EPSG:4548, CM 117°E
    west = create_park(park_uri, ParkConfig(park_id="W1", name="西区", crs_epsg=4547))  # CM 114°E
    east.write_parcels(grid_parcels(2), by="a")
    x, y = 500_000.0, 3_400_000.0
    west.write_parcels(_west_parcel(x, y), by="a")
    assert east.read_parcels().crs.to_epsg() == 4548 and west.read_parcels().crs.to_epsg() == 4547
    with pg_connect(east) as conn:
        srids = dict(
            conn.execute(
                "SELECT p.park_id, g.srid FROM planner.parks p JOIN geometry_columns g "
                "ON g.f_table_schema = p.schema_name AND g.f_table_name = 'parcels' AND g.f_geometry_column = 'geom'"
            ).fetchall()
        )
    assert srids == {"T1": 4548, "W1": 4547}
    assert west.get_parcel("P000")["area_m2"] == 2500.0


def _west_parcel(x: float, y: float):
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {"parcel_id": ["P000"], "status": ["reserved"], "land_use": ["100101"]},
        geometry=[box(x, y, x + 50, y + 50)],
        crs=4547,
    )


# -- the demo park in PostGIS ---------------------------------------------------------------------


def test_the_demo_park_round_trips_through_postgis_unchanged(demo_park, park_uri, tmp_path):
    source = open_store(demo_park.path)
    pg = copy_park(source, park_uri)
    for name in LAYERS:
        assert_geodataframe_equal(pg.read_layer(name), source.read_layer(name))
    assert pg.config() == source.config()
    assert pg.metadata() == source.metadata()
    assert_frame_equal_history(pg.history(), source.history())
    # independently: counts, areas and bounds with plain SQL against the GeoPackage's own numbers
    parcels = source.read_parcels()
    with pg_connect(pg) as conn:
        n, area_m2, srid, extent = conn.execute(
            f'SELECT count(*), sum(ST_Area(geom)), min(ST_SRID(geom)), ST_Extent(geom)::text FROM "{pg.schema}".parcels'
        ).fetchone()
    assert n == demo_park.counts["parcels"] and srid == GK
    assert area_m2 == pytest.approx(parcels["area_m2"].sum(), rel=1e-9)
    minx, miny, maxx, maxy = parcels.total_bounds
    assert [float(v) for v in extent[4:-1].replace(",", " ").split()] == [minx, miny, maxx, maxy]
    # and back into a GeoPackage
    back = copy_park(pg, tmp_path / "back.gpkg")
    assert_geodataframe_equal(back.read_parcels(), parcels)
    assert_frame_equal_history(back.history(), source.history())
    pg.close()


def assert_frame_equal_history(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def test_idle_and_readiness_on_postgis_match_the_geopackage(demo_park, park_uri, tmp_path):
    import shutil

    shutil.copy(demo_park.path, tmp_path / "park.gpkg")
    shutil.copy(demo_park.dem_path, tmp_path / "dem.tif")
    gpkg = open_store(tmp_path / "park.gpkg")
    pg = copy_park(gpkg, park_uri, folder=tmp_path)
    # edits first, the same on both, so the runs have something new to find
    for store in (gpkg, pg):
        row = store.get_parcel(store.read_parcels()["parcel_id"].iloc[0])
        store.update_parcel(row["parcel_id"], {"declared_leveled": True}, version=int(row["version"]), by="乙")
    runs = {}
    for label, store in (("gpkg", gpkg), ("pg", pg)):
        idle, idle_report = update_idle(store, "2027-03-31", by="规划科")
        run = update_readiness(store, by="规划科")
        runs[label] = (idle, idle_report, run)
    (gi, gr, g_run), (pi, pr, p_run) = runs["gpkg"], runs["pg"]
    pd.testing.assert_frame_equal(gi.table, pi.table)
    assert (gr.updated, gr.unchanged) == (pr.updated, pr.unchanged) and gr.updated > 0
    pd.testing.assert_frame_equal(g_run.readiness.table, p_run.readiness.table)
    assert (g_run.report.updated, g_run.report.unchanged) == (p_run.report.updated, p_run.report.unchanged)
    assert [str(p) for p in g_run.problems] == [str(p) for p in p_run.problems]
    assert not any(p.feature == "terrain" for p in p_run.problems)  # the DEM was found in `folder`
    ours, theirs = pg.read_parcels(), gpkg.read_parcels()
    assert_geodataframe_equal(ours.drop(columns=["updated_at"]), theirs.drop(columns=["updated_at"]))
    assert np.array_equal(ours["version"], theirs["version"])
    pg.close()
