"""`<item>_network_m`: the distance along the network from the serving source, kept beside the lateral distance.

A hand-built water network: the waterworks at (0, 0), a main east to (1000, 0) and on north to
(1000, 500), and a diagonal main from the waterworks straight to (1000, 500) (1118.03 m). Parcel N
(100 m × 100 m, 20 m east of the north leg, y 300–400) may tap the north leg where it lies within
the 60 m service distance: from y = 300 − √(60² − 20²) = 243.43 to y = 400 + 56.57 = 456.57. The
nearest of those points along the network is the top of the stretch, reached by the diagonal:
1118.03 + (500 − 456.57) = 1161.47 m (by the east leg the bottom is 1000 + 243.43 = 1243.43 m).
Parcel E (30 m north of the east leg, x 400–500) taps it from x = 400 − √(60² − 30²) = 348.04 m.
The same figures come from a plain Dijkstra over ``networkx`` on a graph typed out by hand. The
model finds the ends of a stretch on the parcel's buffer (a polygon of 16 segments a quarter
circle), so its figures may differ from the circle's by a few centimetres: 0.5 m is allowed, as in
tests/infra/test_network.py.
"""

from __future__ import annotations

import math
import sqlite3

import networkx as nx
import pytest

from planner.store import GeoPackageStore, open_store
from planner.units import M2_PER_MU
from tests.buildout.park import line, parcel, source, write_park

NORTH_STRETCH_M = (300 - math.sqrt(60**2 - 20**2), 400 + math.sqrt(60**2 - 20**2))
DIAGONAL_M = math.hypot(1000, 500)
N_BY_HAND_M = DIAGONAL_M + 500 - NORTH_STRETCH_M[1]  # 1161.47
E_BY_HAND_M = 400 - math.sqrt(60**2 - 30**2)  # 348.04


def _dijkstra_m() -> dict[str, float]:
    """Each parcel's nearest tap point along the network, by networkx on the mains typed out by hand."""
    g = nx.Graph()
    lo, hi = NORTH_STRETCH_M
    g.add_edge("WW", "E0", length_m=E_BY_HAND_M)  # the east leg, cut where E's stretch begins
    g.add_edge("E0", "CORNER", length_m=1000 - E_BY_HAND_M)
    g.add_edge("CORNER", "N0", length_m=lo)  # the north leg, cut at both ends of N's stretch
    g.add_edge("N0", "N1", length_m=hi - lo)
    g.add_edge("N1", "TOP", length_m=500 - hi)
    g.add_edge("WW", "TOP", length_m=DIAGONAL_M)
    dist = nx.single_source_dijkstra_path_length(g, "WW", weight="length_m")
    return {"N": min(dist["N0"], dist["N1"]), "E": dist["E0"]}


def _water_park(location):
    parcels = [parcel("N", 1020, 300, 100 * 100 / M2_PER_MU), parcel("E", 400, 30, 15.0)]
    mains = [line("EAST", (0, 0), (1000, 0)), line("NORTH", (1000, 0), (1000, 500)),
             line("DIAGONAL", (0, 0), (1000, 500))]  # fmt: skip
    works = source("WW", "waterworks", "water", 0, 0, capacity_m3d=1e5)
    return write_park(location, parcels, {"water": mains}, [works], checklist=("water",))


def test_the_hand_figures_are_those_of_a_plain_dijkstra():
    assert _dijkstra_m() == pytest.approx({"N": N_BY_HAND_M, "E": E_BY_HAND_M}, abs=1e-9)
    assert round(N_BY_HAND_M, 2) == 1161.47


def test_readiness_keeps_the_distance_along_the_network_in_the_store(park_uri):
    store = _water_park(park_uri)
    try:
        p = open_store(store.location if hasattr(store, "location") else park_uri).read_parcels()
        p = p.set_index("parcel_id")
        assert p.loc["N", "water_network_m"] == pytest.approx(N_BY_HAND_M, abs=0.5)
        assert p.loc["E", "water_network_m"] == pytest.approx(E_BY_HAND_M, abs=0.5)
        assert p.loc["N", "water_distance_m"] == pytest.approx(20.0, abs=1e-6)  # the lateral distance beside it
        assert p.loc["E", "water_distance_m"] == pytest.approx(30.0, abs=1e-6)
        assert "经网络 1.2 km" in p.loc["N", "water_reason"]
        # no gas layer: the records decide, and there is no distance along a network
        assert p[["gas_network_m", "gas_distance_m"]].isna().all().all()
    finally:
        store.close()


def test_the_api_answers_and_the_exports_carry_it(tmp_path):
    import geopandas as gpd

    from planner.api import create_app
    from planner.exchange.export import export_parcels
    from tests.api.conftest import TOKENS, VIEWER, Served, serve

    store = _water_park(tmp_path / "water.gpkg")
    url, server, thread = serve(create_app(store, tokens=TOKENS, max_body_bytes=200_000))
    try:
        answer = Served(url, store, "gpkg").get("/parcels/N", headers=VIEWER)
        assert answer.status_code == 200
        assert answer.json()["properties"]["water_network_m"] == pytest.approx(N_BY_HAND_M, abs=0.5)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    out = tmp_path / "parcels.geojson"
    export_parcels(store, "geojson", out)
    exported = gpd.read_file(out).set_index("parcel_id")
    assert exported.loc["E", "water_network_m"] == pytest.approx(E_BY_HAND_M, abs=0.5)
    store.close()


def test_a_park_of_the_previous_version_gains_the_columns_and_triggers_naming_them(tmp_path):
    """A GeoPackage made before `<item>_network_m`: its version-1 triggers are made again with the new columns."""
    from dataclasses import replace

    from planner.store.layers import LAYERS
    from planner.store.triggers import TRIGGER_VERSION, gpkg_triggers_sql

    path = tmp_path / "old.gpkg"
    _water_park(path).close()
    added = [f"{item}_network_m" for item in ("road", "water", "drainage", "power", "telecom", "gas", "heat")]
    spec = LAYERS["parcels"]
    earlier = replace(spec, fields=tuple(f for f in spec.fields if f.name not in added))
    conn = sqlite3.connect(path)
    for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'planner_v%'"):
        conn.execute(f'DROP TRIGGER "{trigger}"')
    for column in added:
        conn.execute(f'ALTER TABLE parcels DROP COLUMN "{column}"')
        conn.execute("DELETE FROM gpkg_data_columns WHERE table_name = 'parcels' AND column_name = ?", (column,))
    for statement in gpkg_triggers_sql(earlier):  # the parcels' triggers as version 1 made them
        conn.execute(statement.replace(f"planner_v{TRIGGER_VERSION}_", "planner_v1_"))
    conn.commit()
    conn.close()

    store = GeoPackageStore(path)
    conn = sqlite3.connect(path)
    have = {r[1] for r in conn.execute("PRAGMA table_info(parcels)")}
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    conn.close()
    assert set(added) <= have
    assert not any(t.startswith("planner_v1_") for t in triggers)
    assert {f"planner_v{TRIGGER_VERSION}_parcels_{op}" for op in ("insert", "update", "delete")} <= triggers
    assert store.read_parcels()["water_network_m"].isna().all()  # empty until readiness runs again
    from planner.analysis import update_readiness

    update_readiness(store, by="test")
    p = store.read_parcels().set_index("parcel_id")
    assert p.loc["N", "water_network_m"] == pytest.approx(N_BY_HAND_M, abs=0.5)
    store.close()
