"""A real HTTP server (uvicorn in a thread) over the demo park, on GeoPackage and on PostGIS."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from dataclasses import dataclass

import pytest
import requests
import uvicorn

from planner.api import Token, create_app
from planner.store import open_store
from planner.store.copy import copy_park

TOKENS = {
    "editor-token-0123456789": Token("张工", "editor"),
    "editor-token-abcdefghij": Token("李工", "editor"),
    "viewer-token-0123456789": Token("王科长", "viewer"),
}
EDITOR = {"Authorization": "Bearer editor-token-0123456789"}
EDITOR2 = {"Authorization": "Bearer editor-token-abcdefghij"}
VIEWER = {"Authorization": "Bearer viewer-token-0123456789"}


@dataclass
class Served:
    url: str
    store: object
    backend: str

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=60, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return requests.patch(self.url + path, timeout=120, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path, timeout=120, **kwargs)


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """The API's tests read its refusals in English: each request sends ``Accept-Language: en`` unless it says
    otherwise (Chinese, the default, and the switch are tested in ``test_languages.py``)."""
    original = requests.utils.default_headers

    def headers():
        given = original()
        given["Accept-Language"] = "en"
        return given

    monkeypatch.setattr(requests.sessions, "default_headers", headers)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app) -> tuple[str, uvicorn.Server, threading.Thread]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def park_copy(backend: str, demo_park, tmp_path, request):
    """The demo park copied as it is: to a GeoPackage beside its DEM, or into the test database."""
    if backend == "gpkg":
        target = tmp_path / "park.gpkg"
        shutil.copy(demo_park.path, target)
        shutil.copy(demo_park.dem_path, tmp_path / "dem.tif")
        return open_store(target)
    url = request.getfixturevalue("postgis_url")
    return copy_park(demo_park.path, url, overwrite=True, folder=demo_park.path.parent)


@pytest.fixture(params=["gpkg", "postgis"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def api(backend, demo_park, tmp_path, request):
    """A fresh copy of the demo park served over HTTP (each test may write to it)."""
    store = park_copy(backend, demo_park, tmp_path, request)
    url, server, thread = serve(create_app(store, tokens=TOKENS, max_body_bytes=200_000))
    yield Served(url, store, backend)
    server.should_exit = True
    thread.join(timeout=10)
    store.close()
    if backend == "postgis":  # leave the test database as the other tests expect it: no park
        from tests.store.conftest import drop_all_parks

        drop_all_parks(request.getfixturevalue("postgis_url"))


@pytest.fixture
def small_api(backend, tmp_path, request):
    """Six hand-made parcels served over HTTP, on a fresh GeoPackage or in the test database."""
    from planner.config import ParkConfig
    from planner.store import create_park
    from tests.conftest import GK, grid_parcels

    location = tmp_path / "park.gpkg" if backend == "gpkg" else request.getfixturevalue("postgis_url")
    store = create_park(location, ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK))
    store.write_parcels(grid_parcels(6, power_kva=[100.0] * 6, land_price_wan=[500.0] * 6), by="setup")
    url, server, thread = serve(create_app(store, tokens=TOKENS, max_body_bytes=200_000))
    yield Served(url, store, backend)
    server.should_exit = True
    thread.join(timeout=10)
    store.close()
    if backend == "postgis":
        from tests.store.conftest import drop_all_parks

        drop_all_parks(request.getfixturevalue("postgis_url"))
