"""Tunnels in the real OpenStreetMap extract of central Shanghai: roads in tunnels stay road links, utility tunnels
carry the networks they name, the rest is left out and named; main roads (tunnels and motorways alike) that cross a
park's boundary become its gateways.

The extract (tests/data/osm, ODbL) has 85 ways with a ``tunnel`` tag: 83 ``tunnel=yes`` roads (the Huangpu river
crossings 人民路隧道, 新建路隧道, 复兴东路隧道 …, the underpasses 地道) and 2 ``tunnel=no``. Eight ways are added
to a copy, on nodes of the file: a utility tunnel naming its networks, one naming none, a gas and an oil pipeline, a
metro and a culvert in tunnels, a 110 kV cable in a tunnel and a motorway. The expected figures come from the XML
(``xml.etree``) and shapely on the node coordinates, not from GDAL or the importer.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
from shapely.geometry import LineString, Polygon

from planner.exchange import import_file
from planner.exchange.osm import HIGHWAY_CLASSES
from planner.infra.gateways import infer_gateways
from planner.store import open_store
from planner.vocab import ROAD_CLASSES

OSM = Path(__file__).resolve().parents[1] / "data" / "osm" / "shanghai_center.osm"
GK40 = 4549

ADDED = """  <way id="999100001">
    <nd ref="93794807"/>
    <nd ref="94759666"/>
    <tag k="tunnel" v="yes"/>
    <tag k="utility" v="power;water;telecom"/>
    <tag k="name" v="测试综合管廊"/>
  </way>
  <way id="999100002">
    <nd ref="93794807"/>
    <nd ref="115254937"/>
    <tag k="tunnel" v="yes"/>
    <tag k="name" v="未注明管线的管廊"/>
  </way>
  <way id="999100003">
    <nd ref="94759666"/>
    <nd ref="115254937"/>
    <tag k="man_made" v="pipeline"/>
    <tag k="substance" v="gas"/>
    <tag k="diameter" v="300"/>
    <tag k="tunnel" v="yes"/>
  </way>
  <way id="999100004">
    <nd ref="62540346"/>
    <nd ref="62540347"/>
    <tag k="man_made" v="pipeline"/>
    <tag k="substance" v="oil"/>
  </way>
  <way id="999100005">
    <nd ref="62540347"/>
    <nd ref="62540348"/>
    <tag k="railway" v="subway"/>
    <tag k="tunnel" v="yes"/>
    <tag k="layer" v="-2"/>
  </way>
  <way id="999100006">
    <nd ref="62540348"/>
    <nd ref="62542526"/>
    <tag k="waterway" v="drain"/>
    <tag k="tunnel" v="culvert"/>
  </way>
  <way id="999100007">
    <nd ref="62540346"/>
    <nd ref="62542526"/>
    <tag k="power" v="cable"/>
    <tag k="voltage" v="110000"/>
    <tag k="tunnel" v="yes"/>
  </way>
  <way id="999100008">
    <nd ref="115254937"/>
    <nd ref="10277935561"/>
    <tag k="highway" v="motorway"/>
    <tag k="name" v="测试高速"/>
  </way>
"""

BOX = (121.50, 31.22, 121.54, 31.26)
"""A park boundary over Lujiazui: its west side runs along the Huangpu, which the river tunnels cross."""


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tunnels") / "shanghai_tunnels.osm"
    text = OSM.read_text(encoding="utf-8")
    path.write_text(text.rstrip().removesuffix("</osm>") + ADDED + "</osm>\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def xml_ways(osm_file):
    root = ET.parse(osm_file).getroot()
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    ways = {}
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        ways[way.get("id")] = (tags, [nodes[nd.get("ref")] for nd in way.iter("nd")])
    return ways


@pytest.fixture(scope="module")
def park(tmp_path_factory, osm_file):
    path = tmp_path_factory.mktemp("tunnels-park") / "park.gpkg"
    report = import_file(path, osm_file, park_id="SH-TUNNELS")
    return path, report


def test_roads_in_tunnels_are_road_links(park, xml_ways):
    path, report = park
    in_tunnel = {
        f"osm-w{wid}"
        for wid, (tags, _) in xml_ways.items()
        if tags.get("highway") in HIGHWAY_CLASSES and tags.get("tunnel", "no") != "no"
    }
    assert len(in_tunnel) == 83  # 85 tunnel tags in the extract, 2 of them tunnel=no
    roads = open_store(path).read_layer("road_lines").set_index("line_id")
    assert in_tunnel <= set(roads.index)
    assert len(roads) == 4701 + 1  # every road of the extract, and the added motorway
    assert (
        roads.loc["osm-w49219226", "name"] == "新建路隧道" and roads.loc["osm-w49219226", "road_class"] == "secondary"
    )
    assert roads.loc["osm-w999100008", "road_class"] == "highway"
    notes = [p.message for p in report.problems if p.field == "tunnel" and "road way(s) in tunnels" in p.message]
    assert notes == [
        "83 road way(s) in tunnels (tunnel=*) imported as road links with their class, 83 of them below grade "
        "(level < 0): the network joins those to other roads only where one ends on the other (at a portal), not to "
        "the roads they pass under"
    ]


def test_a_utility_tunnel_carries_the_networks_it_names(park):
    path, report = park
    store = open_store(path)
    for layer in ("water_lines", "telecom_lines"):
        lines = store.read_layer(layer)
        assert lines["line_id"].tolist() == ["osm-w999100001"]
        assert lines["name"].tolist() == ["测试综合管廊"]
    power = store.read_layer("power_lines").set_index("line_id")
    assert sorted(power.index) == ["osm-w999100001", "osm-w999100007"]
    assert power.loc["osm-w999100007", "voltage_kv"] == 110.0
    gas = store.read_layer("gas_lines")
    assert gas["line_id"].tolist() == ["osm-w999100003"] and gas["diameter_mm"].tolist() == [300.0]
    assert len(store.read_layer("heat_lines")) == len(store.read_layer("drainage_lines")) == 0
    # the utility tunnel lies where its nodes are: about 360 m between the two real nodes
    assert store.read_layer("water_lines").length.iloc[0] == pytest.approx(
        pyproj.Geod(ellps="GRS80").line_length([121.5254413, 121.5292084], [31.2356971, 31.2350221]), rel=1e-3
    )
    assert report.read["water_lines"] == report.read["telecom_lines"] == 1
    assert report.read["power_lines"] == 2 and report.read["gas_lines"] == 1


def test_the_tunnels_left_out_are_named_with_why(park):
    _path, report = park
    left = {p.message for p in report.problems if p.field == "tunnel" and "left out" in p.message}
    assert left == {
        "1 way(s) left out, a utility tunnel (综合管廊) whose networks OSM does not state: tag it "
        "utility=power;water;… to import it: OSM way 999100002",
        "1 way(s) left out, a pipeline of a substance no network of the park carries (substance=*): OSM way 999100004",
        "1 way(s) left out, a railway in a tunnel: no network of the park: OSM way 999100005",
        "1 way(s) left out, a waterway in a tunnel or culvert: no network of the park: OSM way 999100006",
    }
    read_as = sorted(p.message for p in report.problems if p.field == "network")
    assert read_as == [
        "1 pipeline(s) (man_made=pipeline, substance=*) read as gas lines",
        "1 utility tunnel(s) (综合管廊, utility=*) read as power lines",
        "1 utility tunnel(s) (综合管廊, utility=*) read as telecom lines",
        "1 utility tunnel(s) (综合管廊, utility=*) read as water lines",
    ]


def _expected_gateway_ways(xml_ways, ring, to_gk, *, without=()) -> tuple[set[str], list[str]]:
    """The roads of the two highest classes among those crossing ``ring``, worked out on the XML's coordinates."""
    crossing = {}
    for wid, (tags, coords) in xml_ways.items():
        road_class = HIGHWAY_CLASSES.get(tags.get("highway"))
        if road_class is None or wid in without:
            continue
        x, y = to_gk.transform(*zip(*coords, strict=True))
        if LineString(zip(x, y, strict=True)).intersects(ring):
            crossing[f"osm-w{wid}"] = road_class
    order = list(ROAD_CLASSES)
    main = sorted(set(crossing.values()), key=order.index)[:2]
    return {w for w, c in crossing.items() if c in main}, main


def test_main_roads_crossing_the_boundary_tunnels_and_motorways_alike_become_gateways(park, xml_ways):
    path, _ = park
    to_gk = pyproj.Transformer.from_crs(4326, GK40, always_xy=True)
    west, south, east, north = BOX
    corners = [to_gk.transform(x, y) for x, y in [(west, south), (east, south), (east, north), (west, north)]]
    boundary = gpd.GeoDataFrame({"boundary_id": ["B1"]}, geometry=[Polygon(corners)], crs=GK40)
    ring = boundary.geometry.iloc[0].exterior
    roads = open_store(path).read_layer("road_lines")

    # without the motorway: the main classes crossing are arterial and secondary, the river tunnels among them
    expected, main = _expected_gateway_ways(xml_ways, ring, to_gk, without={"999100008"})
    assert main == ["arterial", "secondary"]
    gateways = infer_gateways(roads[roads["line_id"] != "osm-w999100008"], boundary)
    found = {w for ids in gateways["line_ids"] for w in ids.split(", ")}
    assert found == expected
    river_tunnels = {"osm-w49219226", "osm-w145007016", "osm-w49224795", "osm-w178492989"}  # 新建路、人民路隧道
    assert river_tunnels <= found
    assert {"osm-w9704035", "osm-w47283891"} <= found  # 复兴东路隧道, both decks
    assert any("新建路隧道" in name for name in gateways["name"])

    # with it: a motorway crossing the boundary is a gateway of the highest class, with the arterials beside it
    expected, main = _expected_gateway_ways(xml_ways, ring, to_gk)
    assert main == ["highway", "arterial"]
    gateways = infer_gateways(roads, boundary)
    found = {w for ids in gateways["line_ids"] for w in ids.split(", ")}
    assert found == expected and "osm-w999100008" in found
    motorway = gateways[gateways["line_ids"].str.contains("osm-w999100008")]
    # its crossing is within 60 m of 浦东大道's: one gateway for both, of the motorway's class
    assert motorway["road_class"].tolist() == ["highway"] and motorway["roads"].tolist() == ["浦东大道地道、测试高速"]
    assert {"osm-w436828153", "osm-w604428822"} <= found  # 浦东大道地道, 中山南路地道 (primary, in tunnels)


def test_every_note_of_the_tunnels_and_levels_reads_in_chinese(park):
    """The notes of this import (tunnels, pipelines, levels, ways left out) have their Chinese text, as all findings."""
    from tests.test_problems_zh import untranslated

    _, report = park
    notes = [p for p in [*report.problems, *report.left_out] if p.field in ("tunnel", "network", "level")]
    assert {p.field for p in notes} == {"tunnel", "network", "level"}
    assert [untranslated(p) for p in notes if untranslated(p)] == []
    left = next(p for p in notes if p.field == "tunnel" and p.severity == "warning")
    assert left.zh.startswith("未导入 ") and "OSM way " in left.zh
