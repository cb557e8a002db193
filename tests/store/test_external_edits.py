"""Edits from any client are versioned: plain SQL, ``ogrinfo -sql``, ``ogr2ogr -update`` (planner.store.triggers).

Each edit made outside the planner must bump the row's ``version``, set ``updated_at`` and
``updated_by`` (``'external'`` in a GeoPackage, the database user in PostGIS), write a history
row with the old and new values, and so move the change stamp (a stale readiness); the
planner's own writes must still be counted once.
"""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time

import pytest

from planner.analysis import freshness, update_readiness
from planner.store import GeoPackageStore, open_store
from planner.store.gpkg_format import register_functions
from planner.store.triggers import PG_FLAG, TRIGGER_VERSION
from tests.conftest import grid_parcels, require_tool
from tests.store.conftest import drop_all_parks, pg_connect


def _sql(store, statement: str) -> None:
    """Run one statement as another client would: sqlite3 or psycopg, outside the store.

    A GeoPackage client must have the standard's ``ST_*`` functions (its R-tree triggers call
    them); the planner's triggers need nothing more, as the ogrinfo and ogr2ogr tests show.
    """
    if isinstance(store, GeoPackageStore):
        conn = sqlite3.connect(store.path)
        register_functions(conn)
        try:
            conn.execute(statement)
            conn.commit()
        finally:
            conn.close()
        return
    with pg_connect(store) as conn:
        conn.execute(f'SET search_path TO "{store.schema}", public')
        conn.execute(statement)


def _who(store) -> str:
    return "external" if isinstance(store, GeoPackageStore) else "postgres"


def _last(store, feature_id: str):
    return store.history(layer="parcels", feature_id=feature_id).iloc[-1]


def test_a_plain_sql_update_is_versioned_and_makes_readiness_stale(store):
    store.write_parcels(grid_parcels(3), by="张工")
    update_readiness(store, by="setup")
    assert freshness(store, "readiness").current
    stamp, v = store.change_stamp(), int(store.get_parcel("P001")["version"])
    _sql(store, "UPDATE parcels SET power_kva = 800, holder = '某公司' WHERE parcel_id = 'P001'")
    row = store.get_parcel("P001")
    assert int(row["version"]) == v + 1 and row["updated_by"] == _who(store) and row["power_kva"] == 800
    assert store.change_stamp() > stamp
    last = _last(store, "P001")
    assert last["action"] == "update" and last["changed_by"] == _who(store) and int(last["version"]) == v + 1
    assert last["changes"] == {"power_kva": [None, 800], "holder": [None, "某公司"]}
    verdict = freshness(store, "readiness")
    assert not verdict.current and "P001" in verdict.detail and "power_kva" in verdict.detail
    # the planner's own edit after it: one version, one history row, by the planner
    before = len(store.history())
    store.update_parcel("P001", {"holder": "另一公司"}, version=v + 1, by="李工")
    row = store.get_parcel("P001")
    assert int(row["version"]) == v + 2 and row["updated_by"] == "李工"
    assert len(store.history()) == before + 1 and _last(store, "P001")["changed_by"] == "李工"
    _sql(store, "UPDATE parcels SET holder = holder WHERE parcel_id = 'P001'")  # changes nothing: no edit
    assert len(store.history()) == before + 1 and int(store.get_parcel("P001")["version"]) == v + 2


def test_external_inserts_and_deletes_are_history(store):
    store.write_parcels(grid_parcels(2), by="张工")
    _sql(store, "DELETE FROM parcels WHERE parcel_id = 'P000'")
    gone = _last(store, "P000")
    assert gone["action"] == "delete" and gone["changed_by"] == _who(store) and int(gone["version"]) == 1
    assert gone["changes"]["status"] == "reserved" and "geometry" in gone["changes"]
    _sql(store, "INSERT INTO parcels (parcel_id, status, land_use) VALUES ('P009', 'reserved', '100101')")
    new = store.get_parcel("P009")
    assert int(new["version"]) == 1 and new["updated_by"] == _who(store)
    added = _last(store, "P009")
    assert added["action"] == "insert" and added["changes"] == {
        "parcel_id": "P009",
        "status": "reserved",
        "land_use": "100101",
    }
    # the planner's own writes still count once
    counted = len(store.history())
    store.write_parcels(grid_parcels(2), by="李工", mode="replace")
    rows = store.history().iloc[counted:]
    assert (rows["changed_by"] == "李工").all()
    assert sorted(zip(rows["feature_id"], rows["action"], strict=True)) == [
        ("P000", "insert"),
        ("P009", "delete"),
    ]


NEW_LAYER = ["-nln", "parcels", "-nlt", "MULTIPOLYGON"]


def _gpkg_store(tmp_path, config):
    from planner.store import create_park

    store = create_park(tmp_path / "park.gpkg", config)
    store.write_parcels(grid_parcels(3), by="张工")
    return store


def test_ogrinfo_sql_update_is_versioned(tmp_path, config):
    ogrinfo = require_tool("ogrinfo")
    store = _gpkg_store(tmp_path, config)
    update_readiness(store, by="setup")
    v = int(store.get_parcel("P002")["version"])
    subprocess.run(
        [ogrinfo, str(store.path), "-sql", "UPDATE parcels SET declared_power = 1 WHERE parcel_id = 'P002'"],
        check=True,
        capture_output=True,
    )
    row = store.get_parcel("P002")
    assert int(row["version"]) == v + 1 and row["updated_by"] == "external" and bool(row["declared_power"])
    assert _last(store, "P002")["changes"] == {"declared_power": [None, 1]}
    assert not freshness(store, "readiness").current


def test_ogr2ogr_update_append_is_versioned(tmp_path, config):
    ogr2ogr = require_tool("ogr2ogr")
    store = _gpkg_store(tmp_path, config)
    update_readiness(store, by="setup")
    new = grid_parcels(5).iloc[[4]]
    new.to_file(tmp_path / "new.geojson", driver="GeoJSON")
    subprocess.run(  # GDAL's own writer, as QGIS saves a layer: a new parcel appended to the park
        [ogr2ogr, "-update", "-append", str(store.path), str(tmp_path / "new.geojson"), *NEW_LAYER],
        check=True,
        capture_output=True,
    )
    row = store.get_parcel("P004")
    assert int(row["version"]) == 1 and row["updated_by"] == "external" and row["status"] == "reserved"
    added = _last(store, "P004")
    assert added["action"] == "insert" and added["changed_by"] == "external"
    assert added["changes"]["land_use"] == "100101" and added["changes"]["geometry"].startswith("4750")  # 'GP'
    assert not freshness(store, "readiness").current  # a new parcel: readiness does not know it


def test_an_existing_park_gets_the_triggers_when_written(tmp_path, config):
    store = _gpkg_store(tmp_path, config)
    conn = sqlite3.connect(store.path)
    names = [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'planner_%'")
    ]
    assert names
    for name in names:  # as a park made before the triggers
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("DROP TABLE planner_writer")
    conn.commit()
    conn.close()
    store = open_store(store.path)
    store.set_metadata({"note": "x"}, by="张工")  # any write
    _sql(store, "UPDATE parcels SET holder = 'Y' WHERE parcel_id = 'P001'")
    assert int(store.get_parcel("P001")["version"]) == 2
    assert _last(store, "P001")["changes"] == {"holder": [None, "Y"]}


@pytest.mark.parametrize("backend", ["postgis"])
def test_a_postgis_park_with_the_previous_version_trigger_gets_this_one_in_its_place(backend, postgis_url, config):
    """An edit is versioned once: the trigger of version 1 is dropped when this version's is made."""
    from planner.store.postgis import create_park as pg_create

    store = pg_create(postgis_url, config, overwrite=True)
    try:
        store.write_parcels(grid_parcels(2), by="张工")
        schema = store.schema
        with pg_connect(store) as conn:  # the parcels as the previous version left them: its trigger only
            conn.execute(f'DROP TRIGGER planner_v{TRIGGER_VERSION}_external_edit ON "{schema}".parcels')
            conn.execute(
                f'CREATE TRIGGER planner_v1_external_edit BEFORE INSERT OR UPDATE OR DELETE ON "{schema}".parcels '
                f"FOR EACH ROW EXECUTE FUNCTION \"{schema}\".planner_external_edit('parcel_id')"
            )
        again = open_store(store.location)
        try:
            again.set_metadata({"note": "x"}, by="张工")
            _sql(again, "UPDATE parcels SET holder = 'Y' WHERE parcel_id = 'P001'")
            assert int(again.get_parcel("P001")["version"]) == 2  # once, not twice
            assert len(again.history(feature_id="P001")) == 2  # the insert and this one edit
            with pg_connect(again) as conn:
                names = conn.execute(
                    "SELECT tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = 'parcels' "
                    "AND NOT g.tgisinternal",
                    (schema,),
                ).fetchall()
            assert sorted(n for (n,) in names if n.startswith("planner_")) == [
                f"planner_v{TRIGGER_VERSION}_external_edit",
                f"planner_v{TRIGGER_VERSION}_external_lock",
            ]
        finally:
            again.close()
    finally:
        store.close()
        drop_all_parks(postgis_url)


@pytest.mark.parametrize("backend", ["postgis"])
def test_postgis_park_gets_its_trigger_when_written(backend, postgis_url, config):
    from planner.store.postgis import create_park as pg_create

    store = pg_create(postgis_url, config, overwrite=True)
    try:
        store.write_parcels(grid_parcels(2), by="张工")
        with pg_connect(store) as conn:
            conn.execute(f'DROP TRIGGER planner_v{TRIGGER_VERSION}_external_edit ON "{store.schema}".parcels')
        again = open_store(store.location)
        try:
            again.set_metadata({"note": "x"}, by="张工")
            _sql(again, "UPDATE parcels SET holder = 'Y' WHERE parcel_id = 'P001'")
            row = again.get_parcel("P001")
            assert int(row["version"]) == 2 and row["updated_by"] == "postgres"
        finally:
            again.close()
    finally:
        store.close()
        drop_all_parks(postgis_url)


@pytest.mark.parametrize("backend", ["postgis"])
def test_an_outside_edit_of_a_row_a_planner_write_updates_waits_and_both_commit(backend, postgis_url, config):
    """A planner write holds the park's lock and then updates a row that an outside client updates meanwhile. The
    outside statement waits for the park's lock before it locks any row, so both commit, one after the other. (With
    the lock taken by the row trigger alone, after the row's lock, PostgreSQL found a deadlock and aborted one.)"""
    from planner.store.postgis import _LOCK_CLASS
    from planner.store.postgis import create_park as pg_create

    store = pg_create(postgis_url, config, overwrite=True)
    try:
        store.write_parcels(grid_parcels(2), by="张工")
        schema, errors = store.schema, []
        with pg_connect(store) as planner, pg_connect(store) as outside, pg_connect(store) as watch:
            pid = outside.info.backend_pid

            def outside_edit() -> None:
                try:
                    outside.execute(f'UPDATE "{schema}".parcels SET holder = %s WHERE parcel_id = %s', ("外部", "P001"))
                except Exception as exc:  # a deadlock, if any: the test's failure
                    errors.append(exc)

            with planner.transaction():  # as the planner writes: its flag on, the park's lock first
                planner.execute("SELECT set_config(%s, 'on', true)", (PG_FLAG,))
                planner.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, schema))
                thread = threading.Thread(target=outside_edit)
                thread.start()
                for _ in range(500):  # until the outside statement waits for a lock
                    found = watch.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,))
                    if (found.fetchone() or [None])[0] == "Lock":
                        break
                    time.sleep(0.01)
                else:
                    pytest.fail("the outside edit never waited for the planner's write")
                planner.execute(f'UPDATE "{schema}".parcels SET name = %s WHERE parcel_id = %s', ("规划名", "P001"))
            thread.join(30)
        assert not thread.is_alive() and errors == []
        row = store.get_parcel("P001")
        assert row["name"] == "规划名" and row["holder"] == "外部"
        last = _last(store, "P001")
        assert last["changed_by"] == "postgres" and last["changes"]["holder"][1] == "外部"
    finally:
        store.close()
        drop_all_parks(postgis_url)
