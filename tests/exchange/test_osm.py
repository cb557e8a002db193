"""The real OpenStreetMap extract of central Shanghai imports into a park whose road network the model can use.

The expected figures are computed here independently of GDAL: the OSM XML parsed with
``xml.etree`` and way lengths summed on the ellipsoid with ``pyproj.Geod``.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyproj
import pytest

from planner.exchange import import_file
from planner.exchange.osm import HIGHWAY_CLASSES
from planner.infra.network import build_network
from planner.store import open_store

REALDATA = Path(__file__).resolve().parents[1] / "data" / "osm"
OSM = REALDATA / "shanghai_center.osm"
POWER = REALDATA / "power_shanghai_center.geojson"


@pytest.fixture(scope="module")
def expected():
    root = ET.parse(OSM).getroot()
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    geod = pyproj.Geod(ellps="GRS80")
    ways, length_m, classes, named = 0, 0.0, {}, 0
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if tags.get("highway") not in HIGHWAY_CLASSES:
            continue
        lon, lat = zip(*(nodes[nd.get("ref")] for nd in way.iter("nd")), strict=True)
        ways += 1
        named += "name" in tags
        length_m += geod.line_length(lon, lat)
        road_class = HIGHWAY_CLASSES[tags["highway"]]
        classes[road_class] = classes.get(road_class, 0) + 1
    return {"ways": ways, "length_m": length_m, "classes": classes, "named": named}


@pytest.fixture(scope="module")
def park(tmp_path_factory):
    path = tmp_path_factory.mktemp("shanghai") / "park.gpkg"
    started = time.perf_counter()
    report = import_file(path, OSM, park_id="SH-CENTER", park_name="上海中心城区")
    seconds = time.perf_counter() - started
    print(f"\nOSM import: {report.read} in {seconds:.2f} s")
    return path, report


def test_counts_and_lengths_match_the_xml(park, expected):
    path, report = park
    assert expected["ways"] == 4701  # the README: every way is a road
    assert report.created
    assert report.layers["road_lines"].inserted == expected["ways"]
    store = open_store(path)
    assert store.config().crs_epsg == 4549  # 121.48°E: zone 40, central meridian 120°E
    lines = store.read_layer("road_lines")
    assert len(lines) == expected["ways"]
    assert lines["road_class"].value_counts().to_dict() == expected["classes"]
    assert lines["line_id"].str.match(r"^osm-w\d+$").all()
    # planar length in the zone vs geodesic length: the Gauss–Krüger scale ~1.5° off the meridian is about 1.0003
    planar = lines.length.sum()
    assert planar == pytest.approx(expected["length_m"], rel=5e-4)
    assert planar > expected["length_m"]
    assert lines["name"].notna().sum() == expected["named"] == 4228  # the README counts 4228 names


def test_the_network_model_builds_a_usable_graph(park, expected):
    path, _ = park
    store = open_store(path)
    lines = store.read_layer("road_lines")
    started = time.perf_counter()
    network = build_network("road", lines, store.read_layer("sources"))
    seconds = time.perf_counter() - started
    print(f"\nroad network: {len(network.nodes)} nodes, {len(network.edges)} edges in {seconds:.2f} s")
    # noding splits lines but keeps their length; only snapping connectors (≤ 1 m each) add any
    added = network.edges["length_m"].sum() - lines.length.sum()
    assert 0 <= added < 1.0 * len(lines)
    graph = network.graph
    assert graph.number_of_edges() > len(lines)
    components = np.unique(network.components, return_counts=True)[1]
    assert components.max() / len(network.nodes) > 0.95  # one city network, a few stray pieces
    import networkx as nx

    largest = max(nx.connected_components(graph), key=len)
    a, b = sorted(largest)[0], sorted(largest)[-1]
    assert nx.shortest_path_length(graph, a, b, weight="length_m") > 0


def test_real_substations_need_a_capacity(tmp_path, park):
    path, _ = park
    import shutil

    copy = tmp_path / "park.gpkg"
    shutil.copy(path, copy)
    from planner.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        import_file(copy, POWER)
    assert "OpenStreetMap states no capacity (rating) for 27 substation(s)" in str(refused.value)
    assert len(open_store(copy).read_layer("sources")) == 0
    report = import_file(copy, POWER, capacity_kva=63000)
    sources = open_store(copy).read_layer("sources")
    assert len(sources) == 27
    assert (sources["kind"] == "substation").all() and (sources["capacity_kva"] == 63000).all()
    named = sources.dropna(subset=["name"])
    assert len(named) == 7
    assert sorted(sources["voltage_kv"].dropna().tolist()) == [110.0] + [220.0] * 5 + [500.0] * 2
    assert sum("63,000 kVA assumed" in p.message for p in report.problems) == 27


BROKEN = """  <way id="999000001">
    <nd ref="62906029"/>
    <nd ref="62906029"/>
    <tag k="landuse" v="industrial"/>
  </way>
  <way id="999000002">
    <nd ref="62906029"/>
    <nd ref="62906030"/>
    <nd ref="62906029"/>
    <tag k="landuse" v="industrial"/>
    <tag k="name" v="两点厂"/>
  </way>
  <way id="999000003">
    <nd ref="62906029"/>
    <nd ref="62906030"/>
    <nd ref="62917024"/>
    <nd ref="62906029"/>
    <tag k="landuse" v="industrial"/>
    <tag k="name" v="三角厂"/>
  </way>
"""
"""Three industrial areas added to the real extract: a ring of one point (GEOS cannot build it), a ring of 2 points
(GEOS builds it; it encloses nothing) and a good triangle."""


@pytest.fixture(scope="module")
def broken_osm(tmp_path_factory):
    path = tmp_path_factory.mktemp("broken") / "shanghai_broken.osm"
    text = OSM.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</osm>")
    path.write_text(text.rstrip().removesuffix("</osm>") + BROKEN + "</osm>\n", encoding="utf-8")
    return path


def _gdal_counts(path: Path) -> dict[str, int]:
    """What GDAL reads from the file, independently of the importer: roads the planner models, industrial areas."""
    import warnings

    import pyogrio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lines = pyogrio.read_dataframe(path, layer="lines", read_geometry=False)
        areas = pyogrio.read_dataframe(path, layer="multipolygons", read_geometry=False)
    return {
        "roads": int(lines["highway"].isin(list(HIGHWAY_CLASSES)).sum()),
        "industrial": int((areas["landuse"] == "industrial").sum()),
    }


def test_an_extract_with_broken_rings_keeps_its_good_features(tmp_path, broken_osm):
    gdal = _gdal_counts(broken_osm)
    assert gdal == {"roads": 4701, "industrial": 3}
    park = tmp_path / "park.gpkg"
    report = import_file(park, broken_osm, park_id="SH-CENTER")
    store = open_store(park)
    assert len(store.read_layer("road_lines")) == report.layers["road_lines"].inserted == gdal["roads"]
    parcels = store.read_parcels()
    assert parcels["parcel_id"].tolist() == ["osm-w999000003"]
    assert parcels["name"].tolist() == ["三角厂"]
    assert report.read == {"road_lines": gdal["roads"], "parcels": gdal["industrial"]}
    assert report.left_out_counts() == {"parcels": 2}
    left = {p.feature_id: p for p in report.left_out}
    assert set(left) == {"osm-w999000001", "osm-w999000002"}
    assert left["osm-w999000001"].message.startswith("OSM way 999000001: a ring of 2 point(s)")
    assert left["osm-w999000002"].message.startswith("OSM way 999000002: ring 1 has 2 distinct point(s)")
    assert all(p.field == "geometry" for p in left.values())
    assert any("2 landuse=industrial area(s) read as candidate parcels" in p.message for p in report.problems)


def test_strict_refuses_the_broken_extract_and_leaves_the_park(tmp_path, broken_osm):
    from planner.errors import ValidationError

    park = tmp_path / "park.gpkg"
    with pytest.raises(ValidationError) as refused:
        import_file(park, broken_osm, strict=True)
    text = str(refused.value)
    assert "parcel 'osm-w999000001', field `geometry`: OSM way 999000001: a ring of 2 point(s)" in text
    assert not park.exists()


def test_the_extract_moved_out_of_china_is_refused_by_its_location(tmp_path):
    """The same town moved to the Pacific (lon + 60°): refused for where it lies, before anything else."""
    text = OSM.read_text(encoding="utf-8")
    import re

    moved = re.sub(r'lon="(1\d\d)\.', lambda m: f'lon="{int(m.group(1)) + 60 - 360}.', text)
    path = tmp_path / "pacific.osm"
    path.write_text(moved.rstrip().removesuffix("</osm>") + BROKEN + "</osm>\n", encoding="utf-8")
    from planner.errors import ValidationError

    park = tmp_path / "park.gpkg"
    with pytest.raises(ValidationError) as refused:
        import_file(park, path)
    assert len(refused.value.errors) == 1
    assert "the file lies wholly outside China" in str(refused.value)
    assert not park.exists()
