"""Rows: a page of answers from kept numpy columns is exactly what converting each cell gives."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from planner.api.rows import Rows, geojson_geometries, plain
from planner.store import open_store


def cell_by_cell(frame: pd.DataFrame) -> list[dict]:
    """The independent way: every cell through ``plain``, as object values."""
    columns = [c for c in frame.columns if c != "geometry"]
    values = {c: frame[c].astype(object).to_numpy() for c in columns}
    return [{c: plain(values[c][i]) for c in columns} for i in range(len(frame))]


def test_records_of_every_dtype_equal_cell_by_cell_conversion():
    frame = pd.DataFrame(
        {
            "f": [1.5, np.nan, np.inf, -0.0],
            "i": np.array([1, 2, 3, 4], dtype="int64"),
            "b": [True, False, True, False],
            "nb": pd.array([True, None, False, None], dtype="boolean"),
            "ni": pd.array([1, None, 3, None], dtype="Int64"),
            "nf": pd.array([1.25, None, 2.0, None], dtype="Float64"),
            "day": pd.to_datetime(["2024-05-06", None, "2024-05-07 13:14:15.5", "1999-12-31"], format="ISO8601"),
            "utc": pd.to_datetime(
                ["2024-05-06 08:00", None, "2024-05-07", "2024-05-08 01:02:03"], utc=True, format="ISO8601"
            ),
            "text": ["甲", None, "C36,C384", np.nan],
            "obj": [1, "a", None, np.float64(2.5)],
            "s": pd.array(["x", None, "z", "w"], dtype="string"),
        }
    )
    rows = Rows(frame)
    expected = cell_by_cell(frame)
    got = rows.records()
    assert got == expected
    assert [[type(v) for v in r.values()] for r in got] == [[type(v) for v in r.values()] for r in expected]
    at = np.array([3, 0, 2])
    assert rows.records(at) == [expected[i] for i in at]
    assert got[1]["day"] is None and got[0]["day"] == "2024-05-06" and got[2]["day"] == "2024-05-07T13:14:15.500000"
    assert got[0]["utc"] == "2024-05-06T08:00:00+00:00" and got[1]["nb"] is None and got[2]["f"] is None


def test_the_parcels_of_the_demo_park_convert_as_cell_by_cell(demo_park):
    parcels = open_store(demo_park.path).read_parcels()
    assert Rows(parcels).records() == cell_by_cell(parcels)


def reference_geometries(geoms: np.ndarray) -> list:
    """GEOS's own GeoJSON, parsed: the way answers were written before the coordinate arrays were used."""
    return [None if g is None or g.is_empty else json.loads(shapely.to_geojson(g)) for g in geoms]


def test_multipolygons_with_holes_and_parts_are_geojson_as_geos_writes_it():
    hole = Polygon(box(0, 0, 10, 10).exterior.coords, [box(2, 2, 4, 4).exterior.coords])
    geoms = np.array([MultiPolygon([hole, box(20, 0, 30, 5)]), MultiPolygon([box(118.1, 32.1, 118.2, 32.2)])])
    got = geojson_geometries(geoms, None)
    oriented = shapely.orient_polygons(shapely.set_precision(geoms, 1e-7, mode="pointwise"), exterior_cw=False)
    assert got == reference_geometries(oriented)
    assert got[0]["type"] == "MultiPolygon" and len(got[0]["coordinates"]) == 2 and len(got[0]["coordinates"][0]) == 2
    for g in got:
        for polygon in shapely.geometry.shape(g).geoms:
            assert shapely.is_ccw(polygon.exterior) and all(not shapely.is_ccw(r) for r in polygon.interiors)


def test_mixed_and_missing_geometries_take_the_general_way():
    geoms = np.array([box(0, 0, 1, 1), None, MultiPolygon(), shapely.Point(1, 2)], dtype=object)
    got = geojson_geometries(geoms, None)
    assert got[1] is None and got[2] is None
    assert got[0]["type"] == "Polygon" and got[3] == {"type": "Point", "coordinates": [1.0, 2.0]}


def test_a_shape_that_rounding_would_break_is_snapped_valid():
    sliver = MultiPolygon([Polygon([(0, 0), (1, 0), (1, 4e-8), (0, 3e-8)])])  # collapses on the 1e-7 grid
    square = MultiPolygon([box(0.123456789, 0.5, 0.6, 0.987654321)])
    got = geojson_geometries(np.array([sliver, square]), None)
    assert got[0] is None or shapely.is_valid(shapely.geometry.shape(got[0]))
    assert got[1]["coordinates"] == [[[[0.6, 0.5], [0.6, 0.9876543], [0.1234568, 0.9876543], [0.1234568, 0.5],
                                       [0.6, 0.5]]]]  # fmt: skip
    assert all(round(v, 7) == v for ring in got[1]["coordinates"][0] for xy in ring for v in xy)


def test_page_of_a_projected_frame_matches_the_whole(demo_park):
    parcels = open_store(demo_park.path).read_parcels()
    rows = Rows(parcels)
    at = np.array([7, 2, 0])
    whole = rows.geometries()
    assert rows.geometries(at) == [whole[i] for i in at]
    lon, lat = shapely.geometry.shape(whole[0]).representative_point().coords[0]
    assert 118.2 < lon < 118.35 and 32.2 < lat < 32.3
    reference = parcels.geometry.to_crs(4326).to_numpy()  # geopandas' own transform, independent of the API's
    for got, ref in zip(whole, reference, strict=True):
        assert shapely.equals_exact(shapely.geometry.shape(got).normalize(), ref.normalize(), tolerance=1e-7)
