"""Parcels exported and imported again come back with the same geometry and attributes, in every format."""

from __future__ import annotations

import json

import numpy as np
import pyogrio
import pytest
import shapely

from planner.exchange import export_parcels, import_file
from planner.exchange.export import export_columns
from planner.exchange.mapping import shapefile_names
from planner.exchange.shp_fields import SHAPEFILE_DECIMALS
from planner.parcels.schema import FIELD_BY_NAME, FIELDS, label
from planner.store import open_store

# how far a vertex may move through each format (m): GeoJSON keeps 8 decimals of a degree (≤ 1.1 mm)
TOLERANCE_M = {"geojson": 2e-3, "gpkg": 1e-6, "shp": 1e-6, "txt": 1e-3}


@pytest.fixture(scope="module")
def source(demo_park):
    return open_store(demo_park.path)


@pytest.mark.parametrize(
    ("fmt", "crs", "labels"),
    [
        ("geojson", "4490", "zh"),
        ("gpkg", "4490", "zh"),
        ("gpkg", "gk", "zh"),
        ("shp", "4490", "zh"),
        ("shp", "gk", "codes"),
        ("txt", "gk", "zh"),
    ],
)
def test_round_trip(tmp_path, source, fmt, crs, labels):
    """The bureau's Shapefile (labels zh) comes back as codes, its numbers as rounded; ``codes`` comes back whole."""
    out = tmp_path / f"out.{fmt}"
    report = export_parcels(source, fmt, out, crs=crs, min_area_mu=100, labels=labels)
    rounded = fmt == "shp" and labels == "zh"
    stored = source.read_parcels()
    chosen = stored[stored["area_mu"] >= 100].set_index("parcel_id")
    assert report.parcels == len(chosen) > 20
    result = import_file(tmp_path / "back.gpkg", out)
    assert not result.by_severity("error")
    back = open_store(tmp_path / "back.gpkg").read_parcels().set_index("parcel_id")
    assert sorted(back.index) == sorted(chosen.index)
    back = back.loc[chosen.index]
    moved = shapely.hausdorff_distance(chosen.geometry.to_numpy(), back.geometry.to_numpy())
    assert moved.max() < TOLERANCE_M[fmt]
    # the area moves at most by the perimeter times the vertex tolerance
    off = np.abs(back["area_m2"].to_numpy() - chosen["area_m2"].to_numpy())
    assert (off <= chosen.geometry.length.to_numpy() * TOLERANCE_M[fmt] + 1e-6).all()
    columns = (
        ["name", "land_use"]
        if fmt == "txt"
        else [c for c in export_columns() if FIELD_BY_NAME[c].origin == "input" and c != "parcel_id"]
    )
    # readiness and idle columns are the planner's: never taken from a file, each reported once
    derived = [c for c in export_columns() if FIELD_BY_NAME[c].origin == "derived"]
    assert back[derived].isna().all().all()
    if fmt != "txt":
        dropped = [p.field for p in result.problems if "is derived by the planner" in p.message]
        assert sorted(dropped) == sorted(derived)
    for column in columns:
        a, b = chosen[column], back[column]
        if FIELD_BY_NAME[column].kind == "float" and rounded:
            decimals = SHAPEFILE_DECIMALS.get(FIELD_BY_NAME[column].unit or "", 2)
            assert np.allclose(np.round(a.astype(float), decimals), b.astype(float), equal_nan=True, rtol=1e-12), column
        elif FIELD_BY_NAME[column].kind == "float":
            assert np.allclose(a.astype(float), b.astype(float), equal_nan=True, rtol=1e-12), column
        else:
            same = (a.isna() & b.isna()) | (a.astype(object) == b.astype(object))
            assert same.all(), (column, a[~same].head(3).tolist(), b[~same].head(3).tolist())


@pytest.mark.parametrize(("fmt", "crs"), [("gpkg", "gk"), ("geojson", "4490"), ("shp", "gk"), ("shp", "4490")])
def test_import_of_an_unchanged_export_changes_nothing(tmp_path, demo_park, fmt, crs):
    """GeoJSON rounds vertices to 8 decimals of a degree and a .dbf keeps ~15 digits: within that, nothing changed.

    The Shapefile is written with ``labels="codes"`` (unrounded numbers); the bureau's rounded one is below.
    """
    import shutil

    park = tmp_path / "park.gpkg"
    shutil.copy(demo_park.path, park)
    store = open_store(park)
    export_parcels(store, fmt, tmp_path / f"all.{fmt}", crs=crs, labels="codes")
    history = len(store.history())
    report = import_file(park, tmp_path / f"all.{fmt}")
    assert report.changes().empty, report.changes().head()
    assert report.layers["parcels"].unchanged == len(store.read_parcels())
    assert report.layers["parcels"].updated == 0
    assert len(store.history()) == history


def test_import_of_an_unchanged_bureau_shapefile_changes_only_rounded_numbers(tmp_path, demo_park):
    """Labels and 是/否 come back as the stored codes; only numbers with more decimals than the file keeps change."""
    import shutil

    park = tmp_path / "park.gpkg"
    shutil.copy(demo_park.path, park)
    store = open_store(park)
    before = store.read_parcels().set_index("parcel_id")
    export_parcels(store, "shp", tmp_path / "all.shp")
    report = import_file(park, tmp_path / "all.shp")
    assert not report.by_severity("error")
    after = store.read_parcels().set_index("parcel_id").loc[before.index]
    changed = {c.strip() for columns in report.changes()["columns"] for c in columns.split(",")}
    for column in changed:
        spec = FIELD_BY_NAME[column]
        assert spec.kind == "float", column  # no code, date or yes/no changed through the labels
        decimals = SHAPEFILE_DECIMALS.get(spec.unit or "", 2)
        assert np.allclose(
            np.round(before[column].astype(float), decimals), after[column].astype(float), equal_nan=True
        )


def test_geojson_is_rfc7946(tmp_path, source):
    out = tmp_path / "p.geojson"
    export_parcels(source, "geojson", out, status="reserved")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "crs" not in data
    assert {f["properties"]["status"] for f in data["features"]} == {"reserved"}
    ring = data["features"][0]["geometry"]["coordinates"][0][0]
    lon, lat = ring[0]
    assert 118 < lon < 119 and 32 < lat < 33  # lon first, WGS84 degrees
    assert shapely.LinearRing(ring).is_ccw  # right-hand rule: exteriors counter-clockwise


def test_gpkg_and_shapefile_carry_chinese_names_and_cgcs2000(tmp_path, source):
    gpkg = tmp_path / "p.gpkg"
    export_parcels(source, "gpkg", gpkg, crs="gk", ready=False, max_area_mu=50)
    info = pyogrio.read_info(gpkg, layer="宗地")
    assert info["crs"] == "EPSG:4527"  # zone 39 with prefix
    assert label("area_mu") in info["fields"] and "宗地代码" in info["fields"]
    frame = pyogrio.read_dataframe(gpkg, layer="宗地")
    assert frame["宗地面积（亩）"].max() <= 50
    assert (frame.geometry.bounds["minx"] > 39e6).all()
    shp = tmp_path / "p.shp"
    export_parcels(source, "shp", shp, crs="4490", land_use="1001")
    assert shp.with_suffix(".cpg").read_text().strip().upper() == "GB18030"
    assert pyogrio.read_info(shp)["crs"] == "EPSG:4490"
    frame = pyogrio.read_dataframe(shp)
    names = shapefile_names(FIELDS)
    assert names["area_mu"] in frame.columns and names["parcel_id"] == "宗地代码"
    assert frame[names["land_use"]].str.startswith("1001").all()
    assert all(len(c.encode("gbk")) <= 10 for c in frame.columns if c != "geometry")


def test_shapefile_names_are_unique_and_short():
    names = shapefile_names(FIELDS)
    assert len(set(names.values())) == len(names)
    assert all(len(n.encode("gbk")) <= 10 for n in names.values())
    gpkg_names = [label(c) for c in export_columns()]
    assert len(set(gpkg_names)) == len(gpkg_names)


def test_export_refuses_an_empty_selection(tmp_path, source):
    from planner.errors import FilterError

    with pytest.raises(FilterError, match="no parcel meets the filters; nothing was written"):
        export_parcels(source, "geojson", tmp_path / "x.geojson", min_area_mu=1e9)
    assert not (tmp_path / "x.geojson").exists()
