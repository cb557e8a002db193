import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import Polygon, box

from planner.errors import CRSError
from planner.parcels.area import compute_areas

GEOD = pyproj.Geod(ellps="GRS80")


def test_rectangle_area_by_hand():
    # 100 m × 200 m = 20 000 m² = 30 mu exactly
    g = gpd.GeoSeries([box(620_000, 3_570_000, 620_100, 3_570_200)], crs=4548)
    a = compute_areas(g).iloc[0]
    assert a.area_m2 == 20_000.0
    assert a.area_mu == pytest.approx(30.0, rel=1e-15)


def test_polygon_with_hole_by_hand():
    # an L: 300×300 minus a 150×150 corner = 67 500 m²; a 50×20 courtyard hole: 66 500 m²
    outer = [(0, 0), (300, 0), (300, 150), (150, 150), (150, 300), (0, 300)]
    hole = [(20, 20), (70, 20), (70, 40), (20, 40)]
    poly = Polygon([(620_000 + x, 3_570_000 + y) for x, y in outer], [[(620_000 + x, 3_570_000 + y) for x, y in hole]])
    a = compute_areas(gpd.GeoSeries([poly], crs=4548)).iloc[0]
    assert a.area_m2 == pytest.approx(66_500.0, abs=1e-9)
    assert a.area_mu == pytest.approx(66_500 * 15 / 10_000, rel=1e-12)


@pytest.mark.parametrize("lon", [117.0, 117.6, 118.3, 118.49])
def test_ellipsoidal_area_matches_pyproj_geod(lon):
    x, y = pyproj.Transformer.from_crs(4490, 4548, always_xy=True).transform(lon, 32.25)
    polys = [
        box(x, y, x + 730, y + 730),  # ≈ 800 mu
        Polygon([(x, y), (x + 90, y + 10), (x + 70, y + 120), (x - 20, y + 60)]),
    ]
    g = gpd.GeoSeries(polys, crs=4548)
    got = compute_areas(g)["ellipsoid_area_m2"].to_numpy()
    expected = [abs(GEOD.geometry_area_perimeter(p)[0]) for p in g.to_crs(4490)]
    np.testing.assert_allclose(got, expected, rtol=1e-8)


def test_planar_exceeds_ellipsoidal_by_the_areal_scale_of_the_projection():
    # 1.3° east of the central meridian at 32.25°N, Gauss–Krüger enlarges areas by k² ≈ 1.00035
    lon, lat = 118.3, 32.25
    x, y = pyproj.Transformer.from_crs(4490, 4548, always_xy=True).transform(lon, lat)
    g = gpd.GeoSeries([box(x - 200, y - 200, x + 200, y + 200)], crs=4548)
    a = compute_areas(g).iloc[0]
    factors = pyproj.Proj(pyproj.CRS.from_epsg(4548)).get_factors(lon, lat)
    assert a.area_m2 / a.ellipsoid_area_m2 == pytest.approx(factors.areal_scale, rel=1e-6)
    assert 1.0003 < factors.areal_scale < 1.0004


def test_a_parcel_has_the_same_ellipsoidal_area_whatever_it_is_written_with():
    p = box(620_000, 3_570_000, 620_100, 3_570_100)
    alone = compute_areas(gpd.GeoSeries([p], crs=4548))["ellipsoid_area_m2"].iloc[0]
    far = box(680_000, 3_600_000, 680_100, 3_600_100)
    together = compute_areas(gpd.GeoSeries([far, p], crs=4548))["ellipsoid_area_m2"].iloc[1]
    assert alone == together


def test_missing_and_empty_geometries():
    g = gpd.GeoSeries([None, Polygon()], crs=4548)
    a = compute_areas(g)
    assert np.isnan(a["area_m2"].iloc[0]) and np.isnan(a["ellipsoid_area_m2"].iloc[0])
    assert a["area_m2"].iloc[1] == 0.0 and a["ellipsoid_area_m2"].iloc[1] == 0.0


def test_areas_need_the_projected_crs():
    with pytest.raises(CRSError, match="projected Gauss–Krüger CRS"):
        compute_areas(gpd.GeoSeries([box(118.3, 32.2, 118.31, 32.21)], crs=4490))
