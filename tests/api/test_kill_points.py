"""A server killed at every point of an edit of a readiness input: after a restart, a fresh answer or a 409.

``planner serve`` runs as its own process with a failpoint armed (:mod:`planner.failpoints`):
the n-th time it reaches a point — before or after a write transaction commits, or between
the committed edit and its recomputation — it sends itself SIGKILL, as ``kill -9`` would.
The edit raises one parcel's load so that the substation can no longer serve everyone, so a
stale answer would differ from a fresh one. After each kill the park is served again, with no
failpoint: ``GET /parcels?ready=true`` must answer either exactly the parcels a fresh run of
the network model finds ready now, or 409 — never an old answer with 200. Every point and
every arrival at it is tried, on both backends, until the edit runs through untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import requests
from shapely.geometry import LineString, Point, box

from planner.analysis import update_readiness
from planner.config import ParkConfig
from planner.failpoints import ENV, POINTS
from planner.store import create_park, open_store
from tests.api.conftest import EDITOR, TOKENS, _free_port
from tests.conftest import GK, X0, Y0, wait_for_server

PLANNER = shutil.which("planner", path=str(Path(sys.executable).parent)) or "planner"
ROOT = Path(__file__).resolve().parents[2]
LOAD_KVA = 150.0
CAPACITY_KVA = 1000.0
"""Five factories of 150 kVA load it with 337.5 kVA (demand factor 0.45), leaving room for reserved P0;
the edit raises factory P1 to 2,000 kVA (900), the load to 1,170 kVA, and P0 can no longer be served."""


def _park(location) -> None:
    """Reserved P0 and five factories in production beside a road and a cable from a 1,000 kVA substation."""
    config = ParkConfig(park_id="KILL", name="断电测试园区", crs_epsg=GK, checklist=("road", "power"))
    store = create_park(location, config, overwrite=True)
    points = [("GW", "gateway", "road", 0.0), ("SS", "substation", "power", -14.0)]
    sources = gpd.GeoDataFrame(
        [{"source_id": sid, "kind": kind, "network": net, "name": sid, "in_service": True,
          "capacity_kva": CAPACITY_KVA if net == "power" else None, "geometry": Point(X0, Y0 + y)}
         for sid, kind, net, y in points],
        geometry="geometry", crs=GK,
    )  # fmt: skip
    store.write_layer("sources", sources, by="test")
    for net, y in (("road", 0.0), ("power", -14.0)):
        line = {"line_id": f"{net}-1", "in_service": True, "geometry": LineString([(X0, Y0 + y), (X0 + 800, Y0 + y)])}
        store.write_layer(f"{net}_lines", gpd.GeoDataFrame([line], geometry="geometry", crs=GK), by="test")
    parcels = gpd.GeoDataFrame(
        [{"parcel_id": f"P{i}", "status": "reserved" if i == 0 else "in_production", "land_use": "100101",
          "power_kva": LOAD_KVA, "holder": None if i == 0 else f"企业{i}",
          "geometry": box(X0 + 10 + 120 * i, Y0 + 10, X0 + 110 + 120 * i, Y0 + 110)} for i in range(6)],
        geometry="geometry", crs=GK,
    )  # fmt: skip
    store.write_parcels(parcels, by="test")
    update_readiness(store, by="test")
    store.close()


def _fresh_ready(location) -> list[str]:
    """The parcels the network model finds ready in the park as it is stored now (nothing written)."""
    store = open_store(location)
    try:
        table = update_readiness(store, by="check", write=False).readiness.table
        return sorted(table.index[table["ready"].astype(bool)])
    finally:
        store.close()


class Server:
    def __init__(self, location: str, tokens: Path, failpoint: str | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PLANNER_LANG": "en"}
        env.pop(ENV, None)
        if failpoint:
            env[ENV] = failpoint
        self.process = subprocess.Popen(
            [PLANNER, "serve", location, "--port", str(self.port), "--tokens", str(tokens)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        wait_for_server(self.url, self.process)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        self.process.communicate(timeout=30)


def _edit(server: Server) -> requests.Response | None:
    """Raise factory P1's load to 2,000 kVA; None when the server died answering."""
    version = requests.get(server.url + "/parcels/P1", timeout=30).json()["properties"]["version"]
    try:
        return requests.patch(
            server.url + "/parcels/P1",
            json={"power_kva": 2000.0},
            headers={**EDITOR, "If-Match": f'"{version}"'},
            timeout=120,
        )
    except requests.ConnectionError:
        return None


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_a_kill_at_any_point_of_an_edit_never_leaves_a_stale_answer_served(backend, tmp_path, request):
    if backend == "gpkg":
        location = str(tmp_path / "park.gpkg")
    else:
        location = request.getfixturevalue("postgis_url") + "?park=KILL"
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({k: {"user": t.user, "role": t.role} for k, t in TOKENS.items()}), encoding="utf-8")
    _park(location)
    before = _fresh_ready(location)
    assert before == [f"P{i}" for i in range(6)]  # 337.5 of 1,000 kVA drawn: P0 fits

    outcomes: dict[str, str] = {}
    for point in POINTS:
        for nth in range(1, 8):
            _park(location)  # the park as it was before the edit, each time
            server = Server(location, tokens, failpoint=f"{point}:{nth}")
            answer = _edit(server)
            died = server.process.wait(timeout=60) if answer is None else server.process.poll()
            server.stop()
            if answer is not None:
                assert died is None and answer.status_code == 200, answer.text
                break  # the edit ran past every arrival at this point: the next point
            assert died == -signal.SIGKILL
            restarted = Server(location, tokens)
            try:
                served = requests.get(restarted.url + "/parcels", params={"ready": "true"}, timeout=60)
                fresh = _fresh_ready(location)
                if served.status_code == 200:
                    assert sorted(f["id"] for f in served.json()["features"]) == fresh, (point, nth)
                    outcomes[f"{point}:{nth}"] = "fresh" if fresh == before else "fresh after the edit"
                else:
                    assert served.status_code == 409, served.text
                    assert served.json()["error"]["field"] == "ready" and "P1" in served.json()["error"]["message"]
                    outcomes[f"{point}:{nth}"] = "409"
            finally:
                restarted.stop()
        else:
            pytest.fail(f"the edit reached {point} more than 7 times")
    # the edit commits once and readiness is written once: both commits, before and after, and the
    # gap between edit and recomputation were each hit, and the three kinds of answer all occurred
    assert {"store.commit.before:1", "store.commit.after:1", "store.commit.before:2", "store.commit.after:2",
            "analysis.recompute.before:1"} <= set(outcomes), outcomes  # fmt: skip
    assert outcomes["store.commit.before:1"] == "fresh"  # the edit never committed: the old answer is right
    assert outcomes["analysis.recompute.before:1"] == "409"  # committed, not recomputed: refused
    assert outcomes["store.commit.after:2"] == "fresh after the edit"  # recomputed before the kill
    after = _fresh_ready(location)  # the last run went through: P0 no longer fits beside P1's 2,000 kVA
    assert after == [p for p in before if p != "P0"]


def test_a_failpoint_that_does_not_exist_is_refused(monkeypatch):
    from planner.failpoints import reach

    monkeypatch.setenv(ENV, "store.comit.before:1")
    with pytest.raises(ValueError, match=r"store\.commit\.before"):
        reach("store.commit.before")
    monkeypatch.setenv(ENV, "store.commit.before:0")
    with pytest.raises(ValueError, match="n >= 1"):
        reach("store.commit.before")
