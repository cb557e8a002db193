"""The store tests run on every backend: ``store`` and ``park_uri`` are parametrised over GeoPackage and PostGIS.

``snapshot(store)`` reads every row of every table of a park with plain SQL
(sqlite3, psycopg), independently of the store, so a test can check that a
refused write left the store exactly as it was.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from planner.store import GeoPackageStore, ParkStore, PostGISStore, create_park
from tests.conftest import grid_parcels

BACKENDS = ["gpkg", "postgis"]


@pytest.fixture(params=BACKENDS)
def store_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def park_uri(store_backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    """Where a test's park goes: a .gpkg path, or the test database (every park in it dropped afterwards)."""
    if store_backend == "gpkg":
        yield tmp_path / "park.gpkg"
        return
    url = request.getfixturevalue("postgis_url")
    yield url
    drop_all_parks(url)


@pytest.fixture
def store(park_uri, config):
    store = create_park(park_uri, config)
    yield store
    store.close()


def drop_all_parks(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('planner.parks') IS NOT NULL").fetchone()[0]:
            conn.execute("DROP SCHEMA planner CASCADE")
        schemas = [r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'park\\_%'")]
        for schema in schemas:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_store(postgis_url, config):
    """A new PostGIS park (the PostGIS-only tests), every park of the test database dropped after."""
    store = create_park(postgis_url, config, overwrite=True)
    yield store
    store.close()
    drop_all_parks(postgis_url)


def pg_connect(store: PostGISStore):
    """A new connection of its own to the store's database (plain psycopg, autocommit)."""
    import psycopg

    return psycopg.connect(store.location.split("?park=")[0], autocommit=True)


def snapshot(store: ParkStore) -> object:
    """Every row of every table of the park, read with plain SQL; for a GeoPackage also the file's bytes.

    PostgreSQL sequences are not transactional: a write rolled back may still have
    used up identity numbers (``fid``), so they are not part of a PostGIS snapshot.
    """
    if isinstance(store, GeoPackageStore):
        conn = sqlite3.connect(store.path)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            rows = {t: conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}
        finally:
            conn.close()
        return hashlib.sha256(store.path.read_bytes()).hexdigest(), rows
    with pg_connect(store) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name",
                (store.schema,),
            )
        ]
        rows = {t: conn.execute(f'SELECT * FROM "{store.schema}"."{t}" ORDER BY 1').fetchall() for t in tables}
        rows["planner.parks"] = conn.execute("SELECT * FROM planner.parks ORDER BY park_id").fetchall()
        return rows


def full_parcels() -> gpd.GeoDataFrame:
    """Three parcels with a value in every input column kind."""
    p = grid_parcels(3, status=["in_production", "supplied", "reserved"])
    p["name"] = ["经一路以东1号地块", "经一路以东2号地块", None]
    p["land_use"] = ["100102", "100101", "1101"]
    p["zone_industries"] = ["C34,C35", "C39", None]
    p["supply_mode"] = ["grant", "lease", None]
    p["holder"] = ["滁州华瑞精密机械有限公司", "安徽启明电子科技有限公司", None]
    p["industry"] = ["C3421", "C3973", None]
    p["contract_date"] = pd.to_datetime(["2019-03-01", "2025-01-15", None])
    p["agreed_start_date"] = pd.to_datetime(["2019-06-01", "2025-06-30", None])
    p["actual_start_date"] = pd.to_datetime(["2019-07-10", None, None])
    p["land_price_wan"] = [360.5, 400.0, np.nan]
    p["investment_total_wan"] = [6000.0, 9000.0, np.nan]
    p["declared_road"] = pd.array([True, True, None], dtype="boolean")
    p["declared_gas"] = pd.array([False, True, None], dtype="boolean")
    p["output_wan"] = [9000.0, np.nan, np.nan]
    p["declared_area_mu"] = [15.0, 15.0, np.nan]
    return p
