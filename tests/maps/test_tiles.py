"""Vector tiles: decoded with a decoder written from the specification, against coordinates worked out by hand."""

from __future__ import annotations

import math
from collections import Counter

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Polygon, box

from planner.maps import MapData, readiness_map, render_html
from planner.maps.style import READY_COLOR, UNKNOWN_COLOR
from planner.maps.tiles import BUFFER, EXTENT, ParcelTiles
from planner.store import open_store
from tests.conftest import GK, X0, Y0, grid_parcels
from tests.maps.mvt import decode, signed_area


def tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
    """The slippy-map formulas (OpenStreetMap wiki): fractional tile column and row."""
    n = 2**z
    return (lon + 180.0) / 360.0 * n, (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n


TO_LONLAT = pyproj.Transformer.from_crs(GK, 4326, always_xy=True)


def parcels(n: int = 3, **columns) -> gpd.GeoDataFrame:
    frame = grid_parcels(n, **columns)
    frame["area_m2"] = frame.area
    frame["area_mu"] = frame["area_m2"] * 15 / 10000
    return frame


def features(data: bytes) -> list[dict]:
    layers = decode(data)
    assert list(layers) == ["parcels"]
    assert layers["parcels"]["extent"] == 4096 and layers["parcels"]["version"] == 2
    return layers["parcels"]["features"]


def test_a_parcel_lands_where_the_slippy_map_formulas_put_it():
    frame = parcels(3, ready=[True, None, False], missing=[None, None, "gas,heat"], idle_rule=[None, "halted", None])
    tiles = ParcelTiles.from_parcels(frame)
    corners = [(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0, Y0 + 100)]  # parcel P000, a 100 m square
    lonlat = [TO_LONLAT.transform(x, y) for x, y in corners]
    z = 16  # a tile is about 520 m here: P000 lies inside one
    fx, fy = tile_xy(*lonlat[0], z)
    x, y = int(fx), int(fy)
    got = features(tiles.tile(z, x, y))
    p000 = next(f for f in got if f["properties"]["parcel_id"] == "P000")
    assert p000["type"] == 3 and p000["id"] == 1
    (ring,) = p000["rings"]
    expected = {(round((tile_xy(lon, lat, z)[0] - x) * EXTENT), round((tile_xy(lon, lat, z)[1] - y) * EXTENT))
                for lon, lat in lonlat}  # fmt: skip
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert all(min(abs(a - c) + abs(b - d) for c, d in expected) <= 1 for a, b in ring[:-1])
    # the exterior ring has a positive surveyor's area in tile coordinates (clockwise with y down)
    side = 100 / (2 * math.pi * 6378137 * math.cos(math.radians(lonlat[0][1])) / 2**z) * EXTENT  # tile units
    assert signed_area(ring) == pytest.approx(side**2, rel=0.01)
    assert p000["properties"] == {"parcel_id": "P000", "fill": READY_COLOR, "area_mu": 15.0, "status": "reserved",
                                  "ready": True}  # fmt: skip
    p001 = next(f for f in got if f["properties"]["parcel_id"] == "P001")
    assert p001["properties"]["fill"] == UNKNOWN_COLOR and "ready" not in p001["properties"]
    assert p001["properties"]["idle_rule"] == "halted"
    p002 = next(f for f in got if f["properties"]["parcel_id"] == "P002")
    assert p002["properties"]["ready"] is False and p002["properties"]["fill"] == "#fdae61"  # two items missing


def test_holes_wind_the_other_way_and_every_parcel_of_a_tile_is_there(demo_park):
    outer = box(X0, Y0, X0 + 300, Y0 + 300)
    frame = parcels(1)
    frame.loc[0, "geometry"] = outer.difference(box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200))
    (f,) = features(ParcelTiles.from_parcels(frame).tile(15, *map(int, tile_xy(*TO_LONLAT.transform(X0, Y0), 15))))
    exterior, hole = f["rings"]
    assert signed_area(exterior) > 0 > signed_area(hole)
    assert signed_area(exterior) == pytest.approx(9 * -signed_area(hole), rel=0.02)
    # the demo park: 414 parcels (feature ids past one byte of varint) on the tiles that cover it at zoom 12
    stored = open_store(demo_park.path).read_parcels()
    tiles = ParcelTiles.from_parcels(stored)
    got = park_features(stored, tiles, 12)
    _, s, _, n = stored.to_crs(4326).total_bounds
    pixel = 2 * math.pi * 6378137 * math.cos(math.radians((s + n) / 2)) / 2**12 / 256  # metres per screen pixel
    gk = stored.bounds
    big = ((gk["maxx"] - gk["minx"]) >= pixel * 1.01) | ((gk["maxy"] - gk["miny"]) >= pixel * 1.01)
    assert big.sum() > 400
    assert set(stored["parcel_id"][big]) <= {f["properties"]["parcel_id"] for f in got}
    assert {f["id"] for f in got} <= set(range(1, len(stored) + 1)) and max(f["id"] for f in got) > 127
    assert all(signed_area(r) > 0 for f in got for r in f["rings"])  # demo parcels have no holes


def park_features(stored: gpd.GeoDataFrame, tiles: ParcelTiles, z: int) -> list[dict]:
    """The features of every tile covering the park at zoom ``z`` (a parcel on a tile edge comes twice)."""
    w, s, e, n = stored.to_crs(4326).total_bounds
    (x0, y0), (x1, y1) = tile_xy(w, n, z), tile_xy(e, s, z)
    out = []
    for x in range(int(x0), int(x1) + 1):
        for y in range(int(y0), int(y1) + 1):
            data = tiles.tile(z, x, y)
            out += features(data) if data else []
    return out


def test_clipping_simplifying_and_leaving_out_what_is_smaller_than_a_pixel():
    circle = shapely.Point(X0 + 2000, Y0 + 2000).buffer(1500, quad_segs=64)  # 257 vertices
    frame = parcels(2)
    frame.loc[1, "geometry"] = circle
    tiles = ParcelTiles.from_parcels(frame)
    lon, lat = TO_LONLAT.transform(X0 + 2000, Y0 + 2000)
    # zoom 17: a tile is about 260 m, the circle's rim leaves every side: clipped to the tile plus the buffer
    fx, fy = tile_xy(lon, lat, 17)
    (f,) = [f for f in features(tiles.tile(17, int(fx), int(fy))) if f["properties"]["parcel_id"] == "P001"]
    xs = [p[0] for r in f["rings"] for p in r]
    ys = [p[1] for r in f["rings"] for p in r]
    assert min(xs) == min(ys) == -BUFFER and max(xs) == max(ys) == EXTENT + BUFFER
    # zoom 10–12 (the first at which the circle lies inside one tile): 3 km are 23–92 screen pixels; simplified
    # by a pixel, far fewer vertices than 257, each within a pixel and a half of the rim
    (w, s), (e, n) = TO_LONLAT.transform(X0 + 500, Y0 + 500), TO_LONLAT.transform(X0 + 3500, Y0 + 3500)
    z = next(z for z in (12, 11, 10) if {tuple(map(int, tile_xy(*c, z))) for c in ((w, s), (e, n))} == {
        tuple(map(int, tile_xy(lon, lat, z)))})  # fmt: skip
    fx, fy = tile_xy(lon, lat, z)
    (f,) = [f for f in features(tiles.tile(z, int(fx), int(fy))) if f["properties"]["parcel_id"] == "P001"]
    (ring,) = f["rings"]
    centre = np.array([(fx - int(fx)) * EXTENT, (fy - int(fy)) * EXTENT])
    radius = np.hypot(*(np.array(tile_xy(*TO_LONLAT.transform(X0 + 3500, Y0 + 2000), z)) - (fx, fy))) * EXTENT
    rim = np.hypot(*(np.array(ring) - centre).T)
    assert 8 <= len(ring) < 80 and np.abs(rim - radius).max() < 1.5 * EXTENT / 256
    # zoom 8: a 100 m square is well under a pixel (about 520 m): left out; the 3 km circle stays
    fx, fy = tile_xy(*TO_LONLAT.transform(X0, Y0), 8)
    assert [f["properties"]["parcel_id"] for f in features(tiles.tile(8, int(fx), int(fy)))] == ["P001"]
    # no parcel at all: an empty tile
    assert tiles.tile(8, 0, 0) == b""


def test_a_tile_off_the_grid_is_refused_naming_the_coordinate():
    tiles = ParcelTiles.from_parcels(parcels(1))
    with pytest.raises(ValueError, match="`x` was 4; at zoom 2"):
        tiles.tile(2, 4, 0)
    with pytest.raises(ValueError, match="`y` was -1"):
        tiles.tile(2, 0, -1)
    with pytest.raises(ValueError, match="`z` was 25"):
        tiles.tile(25, 0, 0)


def test_tiles_are_cut_once_and_kept():
    tiles = ParcelTiles.from_parcels(parcels(2))
    fx, fy = tile_xy(*TO_LONLAT.transform(X0, Y0), 14)
    first = tiles.tile(14, int(fx), int(fy))
    assert tiles.tile(14, int(fx), int(fy)) is first and (tiles.hits, tiles.misses) == (1, 1)


def test_gcj02_tiles_are_shifted_like_the_inline_maps():
    from planner.crs import wgs84_to_gcj02

    frame = parcels(1)
    z = 16
    lon, lat = TO_LONLAT.transform(X0, Y0)
    glon, glat = (float(v) for v in wgs84_to_gcj02(np.array(lon), np.array(lat)))
    fx, fy = tile_xy(glon, glat, z)
    shifted = ParcelTiles.from_parcels(frame, gcj=True)
    (f,) = features(shifted.tile(z, int(fx), int(fy)))
    corner = (round((fx - int(fx)) * EXTENT), round((fy - int(fy)) * EXTENT))
    assert min(abs(a - corner[0]) + abs(b - corner[1]) for a, b in f["rings"][0]) <= 1


# --- the map above the inline limit --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data(demo_park):
    return MapData.from_store(open_store(demo_park.path))


def test_above_the_limit_without_tiles_the_map_says_so_and_stays_small(data):
    inline = render_html(readiness_map(data, basemap="none"))
    html = render_html(readiness_map(data, basemap="none", max_inline_parcels=10))
    assert "超过地图内嵌上限 10 宗" in html and "inline limit of 10: this map draws no parcels" in html
    assert "window.plannerParcels = " not in html and len(html) < len(inline) / 2
    assert '"drawn":"none"' in html


def test_above_the_limit_with_tiles_the_parcels_come_from_the_tiles(data):
    urls = {"tiles_url": "t/{z}/{x}/{y}.mvt?park=P", "parcel_url": "p/{id}?park=P"}
    html = render_html(readiness_map(data, basemap="gaode", max_inline_parcels=10, **urls))
    assert '"t/{z}/{x}/{y}.mvt?park=P\\u0026gcj=true"' in html and '"p/{id}?park=P"' in html  # & in a JS string
    assert "L.vectorGrid.protobuf" in html and "Leaflet.VectorGrid" not in html.split("<body")[1]
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    with pytest.raises(ValueError, match="lacks \\{y\\}"):
        readiness_map(data, basemap="none", max_inline_parcels=10, tiles_url="t/{z}/{x}.mvt")
    # at or under the limit the map is inline, tiles or not
    small = render_html(readiness_map(data, basemap="none", max_inline_parcels=414, tiles_url="t/{z}/{x}/{y}.mvt"))
    assert "window.plannerParcels = " in small and "plannerTileLayer(" not in small


def test_the_limit_is_a_park_threshold(data):
    from planner.errors import ConfigError

    config = data.config.with_changes(thresholds={**data.config.thresholds, "map_max_inline_parcels": 100})
    assert config.threshold("map_max_inline_parcels") == 100
    smaller = MapData(config, data.parcels, data.lines, data.sources, data.factories, data.disagree)
    assert "超过地图内嵌上限 100 宗" in render_html(readiness_map(smaller, basemap="none"))
    with pytest.raises(ConfigError, match="map_max_inline_parcels"):
        data.config.with_changes(thresholds={**data.config.thresholds, "map_max_inline_parcels": 10.5})


def test_colours_in_the_tiles_are_the_maps_colours(data):
    stored = data.parcels
    tiles = ParcelTiles.from_parcels(stored)
    got = {f["properties"]["parcel_id"]: f["properties"]["fill"] for f in park_features(stored, tiles, 14)}
    from tests.maps.test_browser import expected_colours

    assert len(got) == len(stored) == 414  # at zoom 14 every parcel is over a pixel
    assert Counter(got.values()) == expected_colours(stored)


def test_polygon_orientation_in_the_source_does_not_matter():
    frame = parcels(1)
    cw = Polygon(list(frame.geometry.iloc[0].exterior.coords)[::-1])
    assert not cw.exterior.is_ccw
    frame.loc[0, "geometry"] = cw
    fx, fy = tile_xy(*TO_LONLAT.transform(X0, Y0), 16)
    (f,) = features(ParcelTiles.from_parcels(frame).tile(16, int(fx), int(fy)))
    assert signed_area(f["rings"][0]) > 0


def test_a_crowded_tile_carries_one_feature_per_look_with_its_parcel_count():
    frame = parcels(6, ready=[True, True, False, False, True, None], missing=[None, None, "gas", "gas", None, None])
    z = 13  # a tile is about 4 km here: the six parcels (650 m in all) are on one or two tiles
    lon, lat = TO_LONLAT.transform(X0, Y0)
    fx, fy = tile_xy(lon, lat, z)
    plain = features(ParcelTiles.from_parcels(frame).tile(z, int(fx), int(fy)))
    merged = ParcelTiles.from_parcels(frame, merge_above=3).tile(z, int(fx), int(fy))
    got = features(merged)
    looks = {f["properties"]["fill"]: f for f in got}
    assert set(looks) == {READY_COLOR, "#a6d96a", UNKNOWN_COLOR} and len(got) == 3
    assert all(f["id"] is None and "parcel_id" not in f["properties"] for f in got)
    counts = {fill: f["properties"]["parcels"] for fill, f in looks.items()}
    shown = Counter(f["properties"]["fill"] for f in plain)  # the same tile, one feature per parcel
    assert counts == {fill: float(k) for fill, k in shown.items()} == {READY_COLOR: 3.0, "#a6d96a": 2.0,
                                                                      UNKNOWN_COLOR: 1.0}  # fmt: skip
    # the same rings, only grouped: each parcel's square is there
    assert sorted(len(f["rings"]) for f in got) == [1, 2, 3]
    plain_rings = sorted(tuple(r) for f in plain for r in f["rings"])
    assert sorted(tuple(r) for f in got for r in f["rings"]) == plain_rings


def test_merged_features_hold_at_most_64_parcels():
    frame = parcels(150)  # one look: all grey, all reserved; 16.5 km of 100 m squares
    z = 11
    fx, fy = tile_xy(*TO_LONLAT.transform(X0 + 75 * 110, Y0), z)  # the row's middle
    plain = features(ParcelTiles.from_parcels(frame).tile(z, int(fx), int(fy)))
    got = features(ParcelTiles.from_parcels(frame, merge_above=3).tile(z, int(fx), int(fy)))
    assert len(plain) > 64 * 2
    assert [len(f["rings"]) for f in got] == [64] * (len(plain) // 64) + ([len(plain) % 64] if len(plain) % 64 else [])
    assert sum(f["properties"]["parcels"] for f in got) <= len(plain)
