"""Levels (竖向层次) of the real OpenStreetMap extract of central Shanghai, and the road network they give.

The extract (tests/data/osm, ODbL) tags 198 ways with ``layer`` (-3 … 3: the river tunnels 外滩隧道,
人民路隧道 … and the elevated roads), 112 with ``bridge=yes`` and 83 with ``tunnel=yes``. The
expected levels are worked out from the XML's tags (``xml.etree``), not from GDAL or the importer;
the junctions from shapely on the imported lines.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import shapely

from planner.exchange.osm import HIGHWAY_CLASSES, read_osm
from planner.exchange.osm_tunnels import osm_levels
from planner.infra.network import SNAP_M, build_network

OSM = Path(__file__).resolve().parents[1] / "data" / "osm" / "shanghai_center.osm"
GK40 = 4549


def _expected_level(tags: dict[str, str]) -> int:
    layer = tags.get("layer")
    if layer is not None and layer.lstrip("-").isdigit():
        return int(layer)
    if tags.get("bridge", "no") != "no":
        return 1
    if tags.get("tunnel", "no") not in ("no", "building_passage"):
        return -1
    return 0


@pytest.fixture(scope="module")
def imported():
    out, problems = read_osm(OSM)
    return out, problems


def test_each_road_s_level_comes_from_its_layer_bridge_and_tunnel_tags(imported):
    out, problems = imported
    expected = {}
    for way in ET.parse(OSM).getroot().iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if tags.get("highway") in HIGHWAY_CLASSES:
            expected[f"osm-w{way.get('id')}"] = _expected_level(tags)
    roads = out["road_lines"]
    assert dict(zip(roads["line_id"], roads["level"].astype(int), strict=True)) == expected
    counts = roads["level"].value_counts().to_dict()
    assert counts == {0: 4489, 1: 123, -1: 63, -2: 14, -3: 7, 3: 5}
    assert set(roads.loc[roads["name"] == "人民路隧道", "level"]) == {-3, -1, 0}  # the ramps down are at grade
    notes = [p.message for p in problems if p.field == "level"]
    assert notes == [
        "128 line(s) above grade (level > 0: bridge=* or layer) and 84 below (level < 0: tunnel=* or layer), "
        "198 of all the levels from the layer tag; lines of different levels are joined only where one ends on the "
        "other (a ramp, a portal), not where they cross"
    ]


def test_osm_levels_rules():
    import pandas as pd

    layer = pd.Series(["1", None, None, None, "-2", "x", None, "9;1", "40"], dtype=object)
    bridge = pd.Series([None, "yes", "no", None, "yes", None, None, None, None], dtype=object)
    tunnel = pd.Series([None, None, "yes", "building_passage", None, "yes", "no", None, None], dtype=object)
    level, tagged = osm_levels(layer, bridge, tunnel)
    assert level.tolist() == [1, 1, -1, 0, -2, -1, 0, 9, 10]
    assert tagged.tolist() == [True, False, False, False, True, False, False, True, True]


def test_lines_of_different_levels_meet_only_where_one_ends_on_the_other(imported):
    """Every pair of imported roads of different levels that cross away from their ends shares no node."""
    roads = imported[0]["road_lines"].to_crs(GK40).reset_index(drop=True)
    network = build_network("road", roads, None)
    nodes_of = {}
    for line_id, u, v in zip(network.edges["line_id"], network.edges["u"], network.edges["v"], strict=True):
        nodes_of.setdefault(line_id, set()).update((int(u), int(v)))
    geoms = roads.geometry.to_numpy()
    level = roads["level"].to_numpy(dtype=int)
    ids = roads["line_id"].to_numpy()
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = i < j
    i, j = i[pair], j[pair]
    ends = [shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)]

    def end_on(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (shapely.distance(ends[0][a], geoms[b]) <= SNAP_M) | (shapely.distance(ends[1][a], geoms[b]) <= SNAP_M)

    apart = ~end_on(i, j) & ~end_on(j, i)  # they cross (or touch) away from both lines' ends
    other = level[i] != level[j]
    crossing = np.flatnonzero(apart & other)
    assert len(crossing) > 50  # the tunnels and elevated roads pass over and under many streets
    shared = [k for k in crossing if nodes_of[ids[i[k]]] & nodes_of[ids[j[k]]]]
    assert shared == []
    # the same lines at one level are joined at every such crossing (that is what the levels undo)
    flat = build_network("road", roads.assign(level=0), None)
    flat_nodes = {}
    for line_id, u, v in zip(flat.edges["line_id"], flat.edges["u"], flat.edges["v"], strict=True):
        flat_nodes.setdefault(line_id, set()).update((int(u), int(v)))
    assert all(flat_nodes[ids[i[k]]] & flat_nodes[ids[j[k]]] for k in crossing)
    # at one level, lines crossing away from their ends are joined too
    same = np.flatnonzero(apart & ~other)
    assert all(nodes_of[ids[i[k]]] & nodes_of[ids[j[k]]] for k in same[:200])
