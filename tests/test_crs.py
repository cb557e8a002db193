import threading

import numpy as np
import pyproj
import pytest

from planner import crs
from planner.errors import CRSError


@pytest.mark.parametrize(
    ("lon", "zone"),
    [
        (73.5, 25),
        (75.0, 25),
        (76.49, 25),
        (76.51, 26),
        (116.4, 39),
        (118.49, 39),
        (118.51, 40),
        (121.47, 40),
        (126.6, 42),
        (135.0, 45),
    ],
)
def test_zone_is_the_nearest_central_meridian(lon, zone):
    assert crs.gk_zone(lon) == zone
    assert abs(crs.central_meridian(zone) - lon) <= 1.5 + 1e-9 or lon < 75


@pytest.mark.parametrize("lon", [0.0, 60.0, 73.0, 136.0, 180.0, float("nan")])
def test_longitude_outside_china_is_refused(lon):
    with pytest.raises(CRSError, match="outside China"):
        crs.gk_zone(lon)


def test_epsg_codes_match_the_epsg_registry_for_every_zone():
    for zone in range(crs.FIRST_ZONE, crs.LAST_ZONE + 1):
        cm = 3 * zone
        plain = pyproj.CRS.from_epsg(crs.gk_epsg(zone=zone))
        prefixed = pyproj.CRS.from_epsg(crs.gk_epsg(zone=zone, prefixed=True))
        assert plain.name == f"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E"
        assert prefixed.name == f"CGCS2000 / 3-degree Gauss-Kruger zone {zone}"
        params = {p.name: p.value for p in prefixed.coordinate_operation.params}
        assert params["False easting"] == zone * 1_000_000 + 500_000
        params = {p.name: p.value for p in plain.coordinate_operation.params}
        assert params["False easting"] == 500_000
        assert params["Longitude of natural origin"] == cm
        assert crs.zone_of_epsg(crs.gk_epsg(zone=zone)) == (zone, False)
        assert crs.zone_of_epsg(crs.gk_epsg(zone=zone, prefixed=True)) == (zone, True)


def test_chuzhou_is_in_zone_39():
    assert crs.gk_epsg(118.3) == 4548
    assert crs.gk_epsg(118.3, prefixed=True) == 4527


def test_prefixed_easting_is_the_plain_one_plus_zone_millions():
    t_plain = crs.transformer(4490, 4548)
    t_prefixed = crs.transformer(4490, 4527)
    x, y = t_plain.transform(118.3, 32.25)
    xp, yp = t_prefixed.transform(118.3, 32.25)
    assert xp == pytest.approx(x + 39_000_000, abs=1e-6)
    assert yp == pytest.approx(y, abs=1e-6)
    # east of the central meridian, the easting exceeds 500 km by about the arc to it
    arc = pyproj.Geod(ellps="GRS80").inv(117.0, 32.25, 118.3, 32.25)[2]
    assert x - 500_000 == pytest.approx(arc, rel=2e-3)


def test_transformers_are_cached_and_take_lon_first():
    assert crs.transformer(4490, 4548) is crs.transformer(4490, 4548)
    x, _ = crs.transformer(4490, 4548).transform(117.0, 30.0)
    assert x == pytest.approx(500_000, abs=1e-6)


def test_gk_epsg_needs_exactly_one_of_lon_or_zone():
    with pytest.raises(CRSError, match="exactly one"):
        crs.gk_epsg()
    with pytest.raises(CRSError, match="exactly one"):
        crs.gk_epsg(118.0, zone=39)
    with pytest.raises(CRSError, match="25–45"):
        crs.gk_epsg(zone=50)


def test_zone_of_epsg_refuses_other_codes():
    with pytest.raises(CRSError, match="not a CGCS2000 3-degree"):
        crs.zone_of_epsg(3857)
    assert not crs.is_gk_epsg(4326)
    assert crs.is_gk_epsg(4513) and crs.is_gk_epsg(4554)


def test_check_in_china():
    inside = crs.check_in_china(np.array([118.3, 32.25, 2.35]), np.array([32.25, 118.3, 48.85]))
    assert inside.tolist() == [True, False, False]


def test_equal_area_crs_preserves_area_of_a_geodesic_square():
    laea = crs.equal_area_crs(118.3, 32.25)
    t = pyproj.Transformer.from_crs(4490, laea, always_xy=True)
    lons = np.array([118.30, 118.31, 118.31, 118.30])
    lats = np.array([32.25, 32.25, 32.26, 32.26])
    x, y = t.transform(lons, lats)
    planar = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    geodesic = abs(pyproj.Geod(ellps="GRS80").polygon_area_perimeter(lons, lats)[0])
    assert planar == pytest.approx(geodesic, rel=1e-8)


def test_gcj02_matches_the_published_reference_point():
    # the reference pair printed by the widely used coordTransform_utils (wandergis/coordTransform_py)
    lon, lat = crs.wgs84_to_gcj02(128.543, 37.065)
    assert float(lon) == pytest.approx(128.54820547949757, abs=1e-12)
    assert float(lat) == pytest.approx(37.065651049489816, abs=1e-12)


def test_gcj02_offset_is_a_few_hundred_metres_and_round_trips_within_half_a_metre():
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    rng = np.random.default_rng(1)
    lon = rng.uniform(100.0, 122.0, 500)
    lat = rng.uniform(22.0, 41.0, 500)
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    offset = geod.inv(lon, lat, glon, glat)[2]
    assert offset.min() > 50.0
    assert offset.max() < 1000.0
    # Tiananmen, Beijing: Gaode shows WGS84 points a little over half a kilometre off
    one = geod.inv(116.391, 39.907, *crs.wgs84_to_gcj02(116.391, 39.907))[2]
    assert 400.0 < one < 700.0
    back_lon, back_lat = crs.gcj02_to_wgs84(glon, glat)
    assert geod.inv(lon, lat, back_lon, back_lat)[2].max() < 0.5


def test_gcj02_leaves_points_outside_china_alone():
    lon, lat = crs.wgs84_to_gcj02(np.array([2.35, 139.7]), np.array([48.85, 35.7]))
    assert lon.tolist() == [2.35, 139.7]
    assert lat.tolist() == [48.85, 35.7]
    lon, lat = crs.gcj02_to_wgs84(2.35, 48.85)
    assert (float(lon), float(lat)) == (2.35, 48.85)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (4490, 4548),
        (4548, 4326),
        ("EPSG:4527", "EPSG:4490"),
        (pyproj.CRS(4548).to_wkt(), "+proj=laea +lat_0=32 +lon_0=118 +ellps=GRS80 +units=m +no_defs"),
        ("EPSG:4214", "EPSG:4490"),  # Beijing 1954: PROJ knows several operations, chosen by area
    ],
)
def test_transformers_give_what_pyproj_from_crs_gives_in_any_thread(src, dst):
    # the kept transformer may be made from the operation's pipeline (cheap to copy per thread): the same numbers
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(116.0, 120.0, 200), rng.uniform(28.0, 36.0, 200)
    geographic = pyproj.CRS(src).is_geographic
    x, y = (lon, lat) if geographic else pyproj.Transformer.from_crs(4490, src, always_xy=True).transform(lon, lat)
    expected = pyproj.Transformer.from_crs(src, dst, always_xy=True).transform(x, y)
    got: dict[str, tuple] = {"here": crs.transformer(src, dst).transform(x, y)}
    thread = threading.Thread(target=lambda: got.update(there=crs.transformer(src, dst).transform(x, y)))
    thread.start()
    thread.join()
    for where in ("here", "there"):
        np.testing.assert_array_equal(got[where][0], expected[0])
        np.testing.assert_array_equal(got[where][1], expected[1])
