"""Shared fixtures: a demo park built once per session, small hand-made parks, a throwaway PostGIS database."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import pytest
from shapely.geometry import box

from planner.config import ParkConfig
from planner.demo import build_demo
from planner.store import create_park

collect_ignore = ["exchange/qgis_probe.py"]
"""Run by the system's Python with PyQGIS (tests/exchange/test_qgis.py), not importable here (``--doctest-modules``)."""

POSTGIS_URL_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
"""The server the PostGIS tests use unless ``PLANNER_TEST_POSTGIS_URL`` names another (any database on it)."""

AS_OF = date(2026, 6, 30)
GK = 4548  # CGCS2000 / 3-degree Gauss-Kruger CM 117E
X0, Y0 = 620_000.0, 3_570_000.0  # a point east of Chuzhou in EPSG:4548


@pytest.fixture(scope="session")
def demo_park(tmp_path_factory: pytest.TempPathFactory):
    """The demo park with the default seed, as of 2026-06-30 (built once)."""
    return build_demo(tmp_path_factory.mktemp("demo"), as_of=AS_OF)


@pytest.fixture
def config() -> ParkConfig:
    return ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK)


@pytest.fixture
def store(tmp_path: Path, config: ParkConfig):
    return create_park(tmp_path / "park.gpkg", config)


@contextmanager
def writer_between(store, parcel_id: str, changes: Mapping[str, object]) -> Iterator[None]:
    """Within the block, another writer commits ``changes`` to ``parcel_id`` between an edit's results worked out
    (its ``derive``) and the edit's transaction: ``store.update_parcel`` runs the one, then the other."""
    real = store.update_parcel

    def meddled(pid, edit, *, version, by, derive=None):
        def late(after):
            derived = derive(after)
            other = store.get_parcel(parcel_id)
            real(parcel_id, changes, version=int(other["version"]), by="other")
            return derived

        return real(pid, edit, version=version, by=by, derive=late)

    store.update_parcel = meddled
    try:
        yield
    finally:
        del store.update_parcel


def grid_parcels(n: int = 6, *, size: float = 100.0, **columns) -> gpd.GeoDataFrame:
    """``n`` square parcels of ``size`` m side in a row, 10 m apart, in EPSG:4548."""
    data = {
        "parcel_id": [f"P{i:03d}" for i in range(n)],
        "status": ["reserved"] * n,
        "land_use": ["100101"] * n,
    }
    data.update(columns)
    geoms = [box(X0 + i * (size + 10), Y0, X0 + i * (size + 10) + size, Y0 + size) for i in range(n)]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=GK)


def require_tool(name: str) -> str:
    """Path of a command-line tool; skipped when missing, but a failure in CI (CI=true)."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"`{name}` is not installed; .ci/run installs it")
        pytest.skip(f"`{name}` is not installed")
    return path


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; .ci/run installs and starts PostgreSQL with PostGIS")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgis_url():
    """URL of a new database with PostGIS on the test server, dropped after the session.

    The server is ``PLANNER_TEST_POSTGIS_URL`` (default :data:`POSTGIS_URL_DEFAULT`);
    without a server or PostGIS the tests are skipped, but fail in CI (CI=true).
    """
    import psycopg
    from psycopg import sql

    from planner.store.postgis import redact

    server = os.environ.get("PLANNER_TEST_POSTGIS_URL", POSTGIS_URL_DEFAULT)
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        _unavailable(f"no PostgreSQL at {redact(server)} ({str(exc).strip().splitlines()[0]})")
    name = f"planner_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin:
        if not admin.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone():
            _unavailable(f"PostGIS is not installed on {redact(server)}")
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        parts = urlsplit(server)
        url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION postgis")
            yield url
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def wait_for_server(url: str, process, *, path: str = "/openapi.json", seconds: float = 120.0):
    """Wait for a started `planner serve` to answer ``path`` (two minutes: the machine may be loaded); its answer.

    Fails with the server's own output when it exits first, and says so when it never answers.
    """
    import time

    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return requests.get(url + path, timeout=10)
        except requests.RequestException:
            if process.poll() is not None:
                out, err = process.communicate()
                pytest.fail(f"planner serve exited with {process.returncode}: {out or ''}{err or ''}")
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"planner serve did not answer {path} in {seconds:.0f} s")
