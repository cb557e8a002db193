"""Road gateways inferred on the park boundary, on the real central Shanghai OpenStreetMap roads.

A boundary drawn by hand over the extract is imported as the park's ``boundary`` layer; the
crossings of the roads of the two highest classes present (arterial: OSM trunk/primary, and
secondary) are checked against an independent computation: the OSM XML parsed with
``xml.etree``, projected with pyproj and intersected with the boundary's outline by shapely.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Polygon, box

from planner.analysis import road_gateways, store_gateways, update_readiness
from planner.exchange import import_file
from planner.exchange.osm import HIGHWAY_CLASSES
from planner.infra.gateways import GATEWAY_MERGE_M, infer_gateways, is_inferred
from planner.infra.network import build_network
from planner.maps.data import MapData
from planner.maps.park import readiness_map
from planner.parcels.boundary import HULL_RATIO, hull_boundary
from planner.store import open_store
from tests.conftest import GK, grid_parcels
from tests.test_cli import run

OSM = Path(__file__).resolve().parents[1] / "data" / "osm" / "shanghai_center.osm"

BOUNDARY_LONLAT = [(121.462, 31.212), (121.498, 31.209), (121.503, 31.228), (121.488, 31.241), (121.466, 31.236)]
"""A park boundary drawn by hand over central Shanghai (lon, lat), from 人民广场 south to the river."""


@pytest.fixture(scope="module")
def shanghai(tmp_path_factory):
    """The real roads imported into a park, with the hand-drawn boundary and six parcels along arterial roads."""
    folder = tmp_path_factory.mktemp("gateways")
    park = folder / "park.gpkg"
    import_file(park, OSM, park_id="SH-GW", park_name="上海中心城区")
    boundary = folder / "boundary.geojson"
    ring = [list(p) for p in [*BOUNDARY_LONLAT, BOUNDARY_LONLAT[0]]]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    feature = {"type": "Feature", "properties": {"name": "手绘园区范围"}, "geometry": geometry}
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    report = import_file(park, boundary, layer="boundary")
    assert report.layers["boundary"].inserted == 1
    with open_store(park) as store:
        parcels = _parcels_along_arterials(store.read_layer("road_lines"), store.read_layer("boundary"))
        store.write_parcels(parcels, by="test")
    return park


def _parcels_along_arterials(roads: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Six 60 m squares, each 10 m beside the middle of an arterial road well inside the boundary, far apart."""
    inner = boundary.geometry.iloc[0].buffer(-300)
    arterial = roads[(roads["road_class"] == "arterial") & roads.geometry.within(inner)]
    arterial = arterial[arterial.length > 150].sort_values("line_id")
    squares: list[Polygon] = []
    for geom in arterial.geometry:
        mid = geom.interpolate(0.5, normalized=True)
        ahead = geom.interpolate(min(geom.length, geom.project(mid) + 1.0))
        dx, dy = ahead.x - mid.x, ahead.y - mid.y
        norm = np.hypot(dx, dy)
        cx, cy = mid.x - dy / norm * 40.0, mid.y + dx / norm * 40.0  # 40 m to the left: the square's edge 10 m off
        square = box(cx - 30, cy - 30, cx + 30, cy + 30)
        if all(square.distance(s) > 150 for s in squares):
            squares.append(square)
        if len(squares) == 6:
            break
    n = len(squares)
    declared = {f"declared_{item}": [True] * n for item in ("water", "drainage", "power", "telecom", "gas", "heat")}
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"SH{i + 1:02d}" for i in range(n)],
            "status": ["reserved"] * n,
            "land_use": ["100101"] * n,
            "declared_leveled": [True] * n,
            **declared,
        },
        geometry=squares,
        crs=roads.crs,
    )


def _independent_crossings(crs: pyproj.CRS) -> tuple[np.ndarray, set[str]]:
    """The crossings of the arterial and secondary OSM ways with the boundary's outline, from the XML alone."""
    root = ET.parse(OSM).getroot()
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    to_park = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    outline = LineString([to_park.transform(*p) for p in [*BOUNDARY_LONLAT, BOUNDARY_LONLAT[0]]])
    points, names = [], set()
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if HIGHWAY_CLASSES.get(tags.get("highway", "")) not in ("arterial", "secondary"):
            continue
        line = LineString([to_park.transform(*nodes[nd.get("ref")]) for nd in way.iter("nd")])
        hit = line.intersection(outline)
        if hit.is_empty:
            continue
        points += [(p.x, p.y) for p in getattr(hit, "geoms", [hit]) if p.geom_type == "Point"]
        names.add(tags.get("name", ""))
    return np.array(points), names


def test_gateways_are_inferred_where_the_main_roads_cross_the_boundary(shanghai):
    with open_store(shanghai) as store:
        found = road_gateways(store)
        crs = store.crs
    assert found is not None
    gateways, notes = found
    expected, names = _independent_crossings(crs)
    got = shapely.get_coordinates(gateways.geometry.to_numpy())
    assert len(expected) >= 10 and len(gateways) >= 10
    # every crossing has its gateway, and every gateway is one of the crossings (merged within 60 m)
    near = np.hypot(*(expected[:, None, :] - got[None, :, :]).transpose(2, 0, 1))
    assert near.min(axis=1).max() <= 2 * GATEWAY_MERGE_M
    assert near.min(axis=0).max() < 0.01
    # crossings farther apart than the merge distance are separate gateways
    apart = shapely.get_coordinates(shapely.points(expected))
    pairwise = np.hypot(*(apart[:, None, :] - apart[None, :, :]).transpose(2, 0, 1))
    clusters = _clusters(pairwise <= GATEWAY_MERGE_M)
    assert len(gateways) == clusters
    # named by their roads, each of which crosses the boundary in the XML
    for roads in gateways["roads"]:
        assert set(roads.split("、")) <= names
    assert "南京西路" in set("、".join(gateways["roads"]).split("、"))
    assert gateways["source_id"].str.match(r"^gw-inferred-\d\d$").all()
    assert gateways["inferred"].all()
    assert len(notes) == len(gateways)
    assert all("road gateway inferred where" in n.message and "--layer sources" in n.message for n in notes)


def _clusters(adjacent: np.ndarray) -> int:
    seen = np.zeros(len(adjacent), dtype=bool)
    count = 0
    for start in range(len(adjacent)):
        if seen[start]:
            continue
        count += 1
        stack = [start]
        while stack:
            k = stack.pop()
            if seen[k]:
                continue
            seen[k] = True
            stack += list(np.flatnonzero(adjacent[k] & ~seen))
    return count


def test_readiness_stores_the_inferred_gateways_and_finds_ready_land(shanghai):
    with open_store(shanghai) as store:
        # without a gateway the road network has no live source
        plain = build_network("road", store.read_layer("road_lines"), store.read_layer("sources"))
        assert plain is not None
        message = next(p.message for p in plain.problems if "no live source" in p.message)
        assert "planner import PARK sources.geojson --layer sources" in message
        assert "--layer boundary" in message
        run = update_readiness(store, by="test")
        sources = store.read_layer("sources")
        parcels = store.read_parcels()
    inferred = sources[is_inferred(sources)]
    assert run.gateways is not None
    assert sorted(inferred["source_id"]) == sorted(run.gateways["source_id"])
    assert (inferred["kind"] == "gateway").all() and (inferred["network"] == "road").all()
    assert parcels["road"].all(), parcels[["parcel_id", "road_reason"]]
    assert parcels["ready"].sum() == len(parcels) >= 4
    assert any("road gateway inferred" in p.message for p in run.problems)


def test_a_declared_gateway_replaces_the_inferred_ones(shanghai, tmp_path):
    park = tmp_path / "copy.gpkg"
    park.write_bytes(shanghai.read_bytes())
    with open_store(park) as store:
        store_gateways(store, by="test")
        sources = store.read_layer("sources")
        assert is_inferred(sources).sum() >= 10
        first = sources[is_inferred(sources)].iloc[[0]].copy()
        first["source_id"], first["name"], first["inferred"] = "GW-1", "延安路出入口", None
        store.write_layer("sources", first, by="test", mode="upsert")
        assert road_gateways(store) is None
        store_gateways(store, by="test")
        sources = store.read_layer("sources")
    assert list(sources["source_id"]) == ["GW-1"]
    assert not is_inferred(sources).any()


def test_the_map_shows_the_boundary_and_the_inferred_gateways(shanghai, tmp_path):
    with open_store(shanghai) as store:
        data = MapData.from_store(store)
    assert data.boundary is not None and list(data.boundary["origin"]) == ["imported"]
    assert is_inferred(data.sources).sum() >= 10
    html = readiness_map(data).get_root().render()
    assert "park-boundary" in html and "inferred road gateway" in html
    # each inferred gateway drawn with its name (in the sources' GeoJSON, which folium writes with \u escapes)
    names = data.sources.loc[is_inferred(data.sources), "name"]
    assert all(name.endswith("（推断出入口）") for name in names)
    assert all(json.dumps(name)[1:-1] in html for name in names)


def test_without_a_boundary_the_concave_hull_of_the_parcels_is_used():
    parcels = grid_parcels(4, size=100.0)  # a row of four 100 m squares, 10 m apart
    hull = hull_boundary(parcels)
    assert list(hull["origin"]) == ["hull"]
    geom = hull.geometry.iloc[0]
    assert geom.contains(parcels.union_all())
    x0, y0, x1, y1 = parcels.total_bounds
    assert geom.area == pytest.approx((x1 - x0) * (y1 - y0))  # the row's hull: its bounding rectangle
    assert 0 < HULL_RATIO < 1
    # a road crossing the row from south to north crosses the hull twice: one gateway at each crossing
    mid = (x0 + x1) / 2
    road = gpd.GeoDataFrame(
        {"line_id": ["R1"], "name": ["园区大道"], "road_class": ["arterial"], "in_service": [True]},
        geometry=[LineString([(mid, y0 - 500), (mid, y1 + 500)])],
        crs=GK,
    )
    gateways = infer_gateways(road, hull)
    assert sorted(shapely.get_coordinates(gateways.geometry.to_numpy())[:, 1].round(6)) == [y0, y1]
    assert list(gateways["roads"]) == ["园区大道", "园区大道"]


def test_the_readiness_command_lists_the_inferred_gateways_with_their_roads(shanghai, tmp_path):
    park = tmp_path / "cli.gpkg"
    park.write_bytes(shanghai.read_bytes())
    shown = run("readiness", str(park), "--lang", "en")
    assert shown.returncode == 0, shown.stderr
    assert "Road gateways inferred (none declared)" in shown.stdout and "南京西路" in shown.stdout
    answer = run("readiness", str(park), "--json")
    assert answer.returncode == 0, answer.stderr
    result = json.loads(answer.stdout)
    assert result["ready_parcels"] == result["parcels"] >= 4
    with open_store(park) as store:
        stored = store.read_layer("sources")
    assert sorted(g["source_id"] for g in result["gateways"]) == sorted(stored["source_id"])
    assert all(g["inferred"] and g["roads"] for g in result["gateways"])
    assert "南京西路" in {r for g in result["gateways"] for r in g["roads"]}
