"""What only the GeoPackage store has: the file format, SQLite locks and crashes, GDAL and QGIS interoperability.

The behaviour every backend shares is tested in ``test_store.py``.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import shapely.ops
from shapely.geometry import Point, box

from planner.errors import (
    StoreError,
    StoreLockedError,
)
from planner.store import LAYERS, GeoPackageStore, create_park, open_store
from planner.store.gpkg_format import register_functions
from tests.conftest import GK, X0, Y0, grid_parcels, require_tool
from tests.store.conftest import full_parcels


@pytest.fixture
def store_backend() -> str:
    """The tests of this module are about the GeoPackage backend only."""
    return "gpkg"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dump(path: Path) -> dict[str, list]:
    """Every row of every table, read with plain sqlite3 (independent of the store)."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}
    finally:
        conn.close()


def test_create_open_and_refuse(tmp_path, config):
    path = tmp_path / "p.gpkg"
    store = create_park(path, config)
    assert isinstance(open_store(path), GeoPackageStore)
    assert store.config() == config
    assert store.counts() == dict.fromkeys(LAYERS, 0)
    with pytest.raises(StoreError, match="already exists; pass overwrite=True"):
        create_park(path, config)
    with pytest.raises(StoreError, match=r"a park store is a \.gpkg file"):
        create_park(tmp_path / "p.sqlite", config)
    with pytest.raises(StoreError, match="no park store at"):
        open_store(tmp_path / "missing.gpkg")
    (tmp_path / "junk.gpkg").write_text("not a database")
    with pytest.raises(StoreError, match="is not a GeoPackage"):
        open_store(tmp_path / "junk.gpkg")
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4326).to_file(tmp_path / "other.gpkg")
    with pytest.raises(StoreError, match="is a GeoPackage but not a park store: it lacks"):
        open_store(tmp_path / "other.gpkg")
    with pytest.raises(StoreError, match="cannot tell the store type"):
        open_store(tmp_path / "park.shp")
    assert not list(tmp_path.glob("*.part"))


def test_a_write_that_fails_half_way_is_rolled_back(store):
    store.write_parcels(grid_parcels(3), by="a")
    conn = sqlite3.connect(store.path)
    conn.execute(
        "CREATE TRIGGER disk_full BEFORE INSERT ON parcels WHEN (SELECT count(*) FROM parcels) >= 50 "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    conn.commit()
    conn.close()
    before_bytes, before_rows = sha256(store.path), dump(store.path)
    many = grid_parcels(200, status=["planned"] * 200)  # P000–P002 change, 197 new: fails at the 48th insert
    with pytest.raises(StoreError, match=r"database or disk is full.*nothing was written"):
        store.write_parcels(many, by="b")
    assert sha256(store.path) == before_bytes
    assert dump(store.path) == before_rows
    assert store.counts()["parcels"] == 3


def test_a_locked_store_refuses_and_keeps_its_data(store, monkeypatch):
    store.write_parcels(grid_parcels(2), by="a")
    monkeypatch.setattr("planner.store.geopackage._LOCK_TIMEOUT_S", 0.2)
    before = sha256(store.path)
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLockedError, match="is locked by another writer"):
            store.write_parcels(grid_parcels(3), by="b")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert sha256(store.path) == before


def test_every_layer_has_a_consistent_spatial_index(demo_park):
    conn = sqlite3.connect(demo_park.path)
    try:
        for layer in LAYERS:
            rtree = f"rtree_{layer}_geom"
            assert conn.execute(f'SELECT count(*) FROM "{rtree}"').fetchone()[0] == demo_park.counts[layer]
            ext = conn.execute("SELECT extension_name FROM gpkg_extensions WHERE table_name = ?", (layer,)).fetchone()
            assert ext == ("gpkg_rtree_index",)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    store = open_store(demo_park.path)
    parcels = store.read_parcels()
    conn = sqlite3.connect(demo_park.path)
    index = pd.DataFrame(
        conn.execute("SELECT id, minx, maxx, miny, maxy FROM rtree_parcels_geom ORDER BY id").fetchall(),
        columns=["id", "minx", "maxx", "miny", "maxy"],
    )
    conn.close()
    bounds = shapely.bounds(parcels.geometry.to_numpy())
    # the R-tree keeps 32-bit floats, rounded outwards
    assert (index["minx"].to_numpy() <= bounds[:, 0]).all() and (index["maxx"].to_numpy() >= bounds[:, 2]).all()
    np.testing.assert_allclose(index[["minx", "miny", "maxx", "maxy"]].to_numpy(), bounds[:, [0, 1, 2, 3]], atol=0.5)


def test_gdal_reads_what_the_store_wrote(store):
    store.write_parcels(full_parcels(), by="a")
    info = pyogrio.read_info(store.path, layer="parcels")
    assert info["features"] == 3
    assert info["crs"] == "EPSG:4548"
    assert info["geometry_type"] == "MultiPolygon"
    gdal = pyogrio.read_dataframe(store.path, layer="parcels")
    ours = store.read_parcels()
    assert gdal["parcel_id"].tolist() == ours["parcel_id"].tolist()
    assert shapely.equals_exact(gdal.geometry.to_numpy(), ours.geometry.to_numpy(), tolerance=0).all()
    np.testing.assert_array_equal(gdal["area_m2"], ours["area_m2"])
    assert gdal["holder"].iloc[0] == "滁州华瑞精密机械有限公司"
    assert pd.Timestamp(gdal["contract_date"].iloc[0]) == pd.Timestamp("2019-03-01")


def test_a_feature_added_by_gdal_is_indexed_and_read(store):
    """GDAL (as QGIS uses it) maintains the R-tree with its own SQL functions; the store reads the result."""
    store.write_parcels(grid_parcels(2), by="a")
    extra = gpd.GeoDataFrame(
        {"parcel_id": ["GDAL1"], "status": ["planned"]},
        geometry=[shapely.MultiPolygon([box(X0 + 5000, Y0, X0 + 5100, Y0 + 100)])],
        crs=GK,
    )
    pyogrio.write_dataframe(extra.rename_geometry("geom"), store.path, layer="parcels", append=True)
    got = store.read_parcels(bbox=(X0 + 4990, Y0 - 10, X0 + 5200, Y0 + 200))
    assert got["parcel_id"].tolist() == ["GDAL1"]
    assert got["status"].tolist() == ["planned"]
    assert store.counts()["parcels"] == 3


def test_ogrinfo_lists_layers_crs_and_counts(demo_park):
    ogrinfo = require_tool("ogrinfo")
    out = subprocess.run([ogrinfo, "-so", str(demo_park.path), "parcels"], capture_output=True, text=True, check=True)
    assert "Geometry: Multi Polygon" in out.stdout
    assert f"Feature Count: {demo_park.counts['parcels']}" in out.stdout
    assert "CGCS2000 / 3-degree Gauss-Kruger CM 117E" in out.stdout
    assert "domain name=parcels_status_values" in out.stdout
    out = subprocess.run([ogrinfo, "-so", str(demo_park.path)], capture_output=True, text=True, check=True)
    for k, layer in enumerate(
        [
            "parcels",
            "road_lines",
            "water_lines",
            "drainage_lines",
            "power_lines",
            "telecom_lines",
            "gas_lines",
            "heat_lines",
            "sources",
        ],
        start=1,
    ):
        assert f"{k}: {layer} (" in out.stdout
    assert "park_config (None)" in out.stdout and "history (None)" in out.stdout


def test_sqlite_cli_sees_a_geopackage(demo_park):
    sqlite = require_tool("sqlite3")
    out = subprocess.run(
        [sqlite, str(demo_park.path), "PRAGMA application_id; PRAGMA user_version;"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [str(0x47504B47), "10300"]


def test_history_changes_are_json(store):
    store.write_parcels(full_parcels(), by="a")
    conn = sqlite3.connect(store.path)
    raw = conn.execute("SELECT changes FROM history WHERE feature_id = 'P000'").fetchone()[0]
    conn.close()
    values = json.loads(raw)
    assert values["holder"] == "滁州华瑞精密机械有限公司"
    assert values["contract_date"].startswith("2019-03-01")


def test_a_store_left_by_a_writer_that_died_opens_as_it_was_before(tmp_path, store):
    store.write_parcels(grid_parcels(300, status=["planned"] * 300), by="a")
    expected, expected_bytes = dump(store.path), sha256(store.path)
    # freeze a writer half-way: the file, with pages already overwritten, and its hot journal
    conn = sqlite3.connect(store.path, isolation_level=None)
    register_functions(conn)  # the R-tree triggers call ST_IsEmpty & co., as in any GeoPackage writer
    conn.execute("PRAGMA cache_size = 1")  # a tiny cache spills changed pages into the file
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE parcels SET name = hex(randomblob(4000))")
    conn.execute("DELETE FROM parcels WHERE fid > 100")
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    shutil.copy(store.path, crashed / "park.gpkg")
    shutil.copy(f"{store.path}-journal", crashed / "park.gpkg-journal")
    conn.execute("ROLLBACK")
    conn.close()
    assert dump(store.path) == expected
    assert sha256(crashed / "park.gpkg") != expected_bytes  # the crash state is real: pages were overwritten
    reopened = open_store(crashed / "park.gpkg")
    assert reopened.counts()["parcels"] == 300
    assert dump(crashed / "park.gpkg") == expected


def test_overwriting_a_park_removes_a_stale_journal(tmp_path, config):
    path = tmp_path / "p.gpkg"
    create_park(path, config).write_parcels(grid_parcels(2), by="a")
    Path(f"{path}-journal").write_bytes(b"\0" * 512)
    store = create_park(path, config, overwrite=True)
    assert not Path(f"{path}-journal").exists()
    assert store.counts()["parcels"] == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_attribute_tables_have_integer_primary_keys(store):
    """OGC GeoPackage 1.3, requirement 119."""
    conn = sqlite3.connect(store.path)
    try:
        for table in ("park_config", "history"):
            pk = [(name, kind) for _, name, kind, _, _, pk in conn.execute(f"PRAGMA table_info({table})") if pk]
            assert len(pk) == 1
            assert pk[0][1] == "INTEGER"
    finally:
        conn.close()


def test_the_change_stamp_sees_other_writers_holds_no_lock_and_follows_a_replaced_file(tmp_path, config):
    path = tmp_path / "p.gpkg"
    reader = create_park(path, config)
    writer = open_store(path)
    before = reader.change_stamp()  # opens the connection the stamp is read on, and keeps it
    writer.write_parcels(grid_parcels(2), by="a")
    seen = reader.change_stamp()
    assert seen > before and seen == writer.change_stamp()
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)  # a lock left by the kept connection fails this
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("ROLLBACK")
    conn.close()
    other = create_park(tmp_path / "q.gpkg", config)
    other.write_parcels(grid_parcels(6), by="b")
    other.update_parcel(other.read_parcels()["parcel_id"].iloc[0], {"holder": "某公司"}, version=1, by="b")
    replaced = other.change_stamp()
    assert replaced != seen
    Path(tmp_path / "q.gpkg").replace(path)  # the park file replaced under a server: the stamp is the new file's
    assert reader.change_stamp() == replaced
    copy = pickle.loads(pickle.dumps(reader))
    assert copy.change_stamp() == replaced
    reader.close()
    assert reader.change_stamp() == replaced  # opened again after close()
