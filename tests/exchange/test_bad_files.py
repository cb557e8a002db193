"""The catalogue of bad files: each gets its message, and a refused import leaves the park exactly as it was.

Every case writes its file in the test. ``refused`` cases must raise ``ValidationError``
(nothing written, the GeoPackage byte for byte the same); ``repaired`` cases import, and
report what they changed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Polygon, box

from planner.crs import wgs84_to_gcj02
from planner.errors import ValidationError
from planner.exchange import import_file
from planner.store import open_store
from tests.conftest import X0, Y0, grid_parcels

DATA = Path(__file__).parent / "data"
NORTH = Y0 + 1000.0  # incoming parcels lie 1 km north of the stored ones


def parcels_4548(n: int = 2, **columns) -> gpd.GeoDataFrame:
    data = {"parcel_id": [f"N{i}" for i in range(n)], "status": ["reserved"] * n, "land_use": ["100101"] * n}
    data.update(columns)
    geoms = [box(X0 + i * 150, NORTH, X0 + i * 150 + 100, NORTH + 100) for i in range(n)]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=4548)


def geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def feature(pid: str, coords: list, kind: str = "Polygon", **props) -> dict:
    return {
        "type": "Feature",
        "properties": {"parcel_id": pid, "status": "reserved", **props},
        "geometry": {"type": kind, "coordinates": coords},
    }


def lonlat_square(lon: float = 118.2700, lat: float = 32.2450, d: float = 0.001) -> list:
    return [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]


def txt(path: Path, body: str, header: str | None = None) -> Path:
    head = (
        header
        or "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=39\n精度=0.01\n"
    )
    path.write_bytes((head + "[地块坐标]\n" + body).encode("gbk"))
    return path


SQUARE = (
    "J1,1,3571100.00,39620000.00\nJ2,1,3571100.00,39620100.00\n"
    "J3,1,3571000.00,39620100.00\nJ4,1,3571000.00,39620000.00\n"
)


# --- builders: each writes a bad file into `tmp` and returns (path, import options) ------------------------------
def truncated_geojson(tmp):
    path = tmp / "cut.geojson"
    pyogrio.write_dataframe(parcels_4548().to_crs(4326), path, driver="GeoJSON")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path, {}


def truncated_shapefile(tmp):
    path = tmp / "cut.shp"
    pyogrio.write_dataframe(parcels_4548(), path)
    path.write_bytes(path.read_bytes()[:120])
    return path, {}


def wrong_encoding(tmp):
    path = tmp / "gbk.shp"
    pyogrio.write_dataframe(parcels_4548(name=["一号地块", "二号地块"]), path, encoding="GBK")
    path.with_suffix(".cpg").write_text("UTF-8")
    return path, {}


def no_prj(tmp):
    path = tmp / "noprj.shp"
    pyogrio.write_dataframe(parcels_4548().to_crs(4490), path)
    path.with_suffix(".prj").unlink()
    return path, {}


def mixed_geometry(tmp):
    return geojson(
        tmp / "mixed.geojson",
        [
            feature("N0", lonlat_square()),
            feature("N1", [[118.28, 32.25], [118.281, 32.251]], kind="LineString"),
        ],
    ), {}


def self_intersection(tmp):
    bowtie = [[[118.27, 32.245], [118.271, 32.246], [118.271, 32.245], [118.27, 32.246], [118.27, 32.245]]]
    return geojson(tmp / "bowtie.geojson", [feature("N0", bowtie)]), {}


def empty_geometry(tmp):
    return geojson(tmp / "empty.geojson", [feature("N0", [])]), {}


def duplicate_ids(tmp):
    return geojson(
        tmp / "dup.geojson",
        [
            feature("N0", lonlat_square()),
            feature("N0", lonlat_square(lon=118.275)),
        ],
    ), {}


def three_d(tmp):
    square = [[[x, y, 12.5] for x, y in lonlat_square()[0]]]
    return geojson(tmp / "z.geojson", [feature("N0", square)]), {}


def nan_coordinates(tmp):
    path = tmp / "nan.gpkg"
    frame = parcels_4548(1)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns while building the NaN ring on purpose
        frame.loc[0, "geometry"] = Polygon([(X0, NORTH), (np.nan, NORTH), (X0 + 100, NORTH + 100), (X0, NORTH)])
    pyogrio.write_dataframe(frame, path)
    return path, {}


def swapped_axes(tmp):
    square = [[[lat, lon] for lon, lat in lonlat_square()[0]]]
    return geojson(tmp / "latlon.geojson", [feature("N0", square)]), {}


def projected_as_geographic(tmp):
    path = tmp / "metres.gpkg"
    frame = parcels_4548().to_crs(4527)
    pyogrio.write_dataframe(frame.set_crs(4490, allow_override=True), path)
    return path, {}


def outside_china(tmp):
    return geojson(tmp / "paris.geojson", [feature("N0", lonlat_square(2.35, 48.85))]), {}


def zone_prefix_not_in_crs(tmp):
    path = tmp / "prefix.gpkg"
    pyogrio.write_dataframe(parcels_4548().to_crs(4527).set_crs(4548, allow_override=True), path)
    return path, {}


def txt_unclosed_ring(tmp):
    return txt(tmp / "open.txt", "4,1.0000,T1,地块,面,,,100101,@\n" + SQUARE), {}


def txt_wrong_point_count(tmp):
    return txt(tmp / "count.txt", "6,1.0000,T1,地块,面,,,100101,@\n" + SQUARE + "J1,1,3571100.00,39620000.00\n"), {}


def txt_no_body(tmp):
    path = tmp / "nobody.txt"
    path.write_bytes("[属性描述]\n坐标系=2000国家大地坐标系\n带号=39\n".encode("gbk"))
    return path, {}


def txt_xian80(tmp):
    header = "[属性描述]\n坐标系=1980西安坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=39\n"
    return txt(
        tmp / "xian.txt", "5,1.0000,T1,地块,面,,,100101,@\n" + SQUARE + "J1,1,3571100.00,39620000.00\n", header
    ), {}


def txt_zone_mismatch(tmp):
    header = "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=40\n"
    return txt(
        tmp / "zone.txt", "5,1.0000,T1,地块,面,,,100101,@\n" + SQUARE + "J1,1,3571100.00,39620000.00\n", header
    ), {}


def txt_bad_number(tmp):
    body = "5,1.0000,T1,地块,面,,,100101,@\n" + SQUARE.replace("3571000.00,39620100.00", "3571000.OO,39620100.00")
    return txt(tmp / "number.txt", body + "J1,1,3571100.00,39620000.00\n"), {}


def unknown_status(tmp):
    return geojson(tmp / "status.geojson", [feature("N0", lonlat_square(), status="sold")]), {}


def empty_file(tmp):
    path = tmp / "nothing.geojson"
    path.write_bytes(b"")
    return path, {}


def not_geodata(tmp):
    path = tmp / "garbage.geojson"
    path.write_bytes(b"\x00\x01PK this is not JSON at all")
    return path, {}


def unsupported_format(tmp):
    path = tmp / "parcels.kml"
    path.write_text("<kml/>")
    return path, {}


def missing_id_column(tmp):
    return geojson(
        tmp / "noid.geojson",
        [
            {
                "type": "Feature",
                "properties": {"status": "reserved"},
                "geometry": {"type": "Polygon", "coordinates": lonlat_square()},
            }
        ],
    ), {}


def overlaps_stored(tmp):
    path = tmp / "overlap.gpkg"
    frame = parcels_4548(1)
    frame.loc[0, "geometry"] = box(X0 + 50, Y0 + 50, X0 + 150, Y0 + 150)  # over stored P000
    pyogrio.write_dataframe(frame, path)
    return path, {}


def two_layers(tmp):
    path = tmp / "two.gpkg"
    pyogrio.write_dataframe(parcels_4548(), path, layer="a")
    pyogrio.write_dataframe(parcels_4548(), path, layer="b", append=True)
    return path, {}


def truncated_osm(tmp):
    path = tmp / "cut.osm"
    data = (Path(__file__).resolve().parents[1] / "data" / "osm" / "shanghai_center.osm").read_bytes()
    path.write_bytes(data[:200_000])
    return path, {}


def mapping_names_missing_column(tmp):
    mapping = tmp / "map.json"
    mapping.write_text(json.dumps({"columns": {"DKBH": "parcel_id"}}), encoding="utf-8")
    return geojson(tmp / "m.geojson", [feature("N0", lonlat_square())]), {"mapping": mapping}


def lines_without_layer(tmp):
    return geojson(
        tmp / "lines.geojson",
        [
            {
                "type": "Feature",
                "properties": {"name": "纬九路"},
                "geometry": {"type": "LineString", "coordinates": [[118.27, 32.24], [118.28, 32.24]]},
            }
        ],
    ), {}


def unknown_crs_option(tmp):
    return geojson(tmp / "ok.geojson", [feature("N0", lonlat_square())]), {"crs": "EPSG:999999"}


def local_crs_prj(tmp):
    path = tmp / "local.shp"
    pyogrio.write_dataframe(parcels_4548(), path)
    path.with_suffix(".prj").write_text(
        'LOCAL_CS["滁州独立坐标系",LOCAL_DATUM["Local",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]',
        encoding="utf-8",
    )
    return path, {}


def xian80_vector(tmp):
    path = tmp / "xian80.gpkg"  # the same numbers on the Xi'an 1980 datum: PROJ would move them by tens of metres
    pyogrio.write_dataframe(parcels_4548().set_crs(2384, allow_override=True), path)
    return path, {}


def beijing54_vector(tmp):
    path = tmp / "beijing54.gpkg"
    pyogrio.write_dataframe(parcels_4548().set_crs(2436, allow_override=True), path)
    return path, {}


def wrong_zone_prefix(tmp):
    path = tmp / "prefix40.gpkg"  # zone-39 parcels, eastings given prefix 40, labelled zone 39 with prefix
    frame = parcels_4548().to_crs(4527)
    frame["geometry"] = shapely.transform(frame.geometry.to_numpy(), lambda xy: xy + np.array([1_000_000.0, 0.0]))
    pyogrio.write_dataframe(frame, path)
    return path, {}


NO_ZONE = "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n"


def txt_mixed_prefixes(tmp):
    other = SQUARE.replace(",3962", ",4062")
    body = (
        "5,1.0000,T1,地块,面,,,100101,@\n" + SQUARE + "J1,1,3571100.00,39620000.00\n"
        "5,1.0000,T2,地块,面,,,100101,@\n" + other + "J1,1,3571100.00,40620000.00\n"
    )
    return txt(tmp / "zones.txt", body, NO_ZONE), {}


def txt_swapped_without_zone(tmp):
    swapped = "\n".join(
        ",".join([p[0], p[1], p[3], p[2]]) for p in (line.split(",") for line in SQUARE.strip().split("\n"))
    )
    body = "5,1.0000,T1,地块,面,,,100101,@\n" + swapped + "\nJ1,1,39620000.00,3571100.00\n"
    return txt(tmp / "swapped.txt", body, NO_ZONE), {}


def road_line_outside_china(tmp):
    roads = [
        {
            "type": "Feature",
            "properties": {"line_id": f"R{k}", "road_class": "主干路"},
            "geometry": {"type": "LineString", "coordinates": [[118.27 + k * 0.01, 32.24], [118.28 + k * 0.01, 32.24]]},
        }
        for k in range(3)
    ]
    roads.append(
        {
            "type": "Feature",
            "properties": {"line_id": "R9", "road_class": "主干路"},
            "geometry": {"type": "LineString", "coordinates": [[118.30, 32.24], [139.70, 35.69]]},  # to Tokyo
        }
    )
    return geojson(tmp / "roads.geojson", roads), {"layer": "roads"}


def source_outside_china(tmp):
    points = [
        {
            "type": "Feature",
            "properties": {"source_id": f"S{k}", "kind": "substation", "capacity_kva": 63000},
            "geometry": {"type": "Point", "coordinates": coords},
        }
        for k, coords in enumerate([[118.27, 32.24], [118.28, 32.25], [151.21, -33.87]])  # the last in Sydney
    ]
    return geojson(tmp / "sources.geojson", points), {"layer": "sources"}


REFUSED = [
    (truncated_geojson, "cannot be read as GeoJSON"),
    (truncated_shapefile, "is truncated: its header says 372 bytes, the file has 120"),
    (
        wrong_encoding,
        "text is not valid UTF-8, the encoding its .cpg (UTF-8) states (first bad byte 0xBA in record 1, field "
        "'name'); it reads as GBK: give --encoding gbk",
    ),
    (no_prj, "the file has no CRS (a Shapefile without .prj?); its coordinates look like lon/lat degrees in China"),
    (self_intersection, "the geometry is invalid: Self-intersection"),
    (empty_geometry, "the geometry is empty"),
    (duplicate_ids, "parcel_id 'N0' appears 2 times (input rows 0, 1); ids must be unique"),
    (nan_coordinates, "the geometry has NaN or infinite coordinates"),
    (swapped_axes, "the coordinates look like lat/lon swapped"),
    (projected_as_geographic, "the CRS says degrees (lon/lat) but the coordinates are metres"),
    (outside_china, "the file lies wholly outside China: in WGS 84 the features fall around lon 2.3500"),
    (
        zone_prefix_not_in_crs,
        "the eastings carry the zone prefix 39 (x 39,620,125.0) but EPSG:4548 has none; rerun with --crs 4527",
    ),
    (txt_unclosed_ring, "ring 1 is not closed: its last point J4 (line 13) is not its first point J1 (line 10)"),
    (txt_wrong_point_count, "界址点数 says 6 points, but 5 point lines follow (4 distinct points)"),
    (txt_no_body, "no [地块坐标] section"),
    (txt_xian80, "坐标系=1980西安坐标系 is not supported"),
    (txt_zone_mismatch, "the eastings carry zone prefix 39 but the header says 带号=40"),
    (txt_bad_number, "is not a point line 点号,圈号,X,Y with numbers X and Y"),
    (unknown_status, "'sold' is not allowed; allowed: planned (规划)"),
    (empty_file, "is empty (0 bytes)"),
    (not_geodata, "cannot be read as GeoJSON"),
    (unsupported_format, "is not a format the planner imports"),
    (missing_id_column, "the file has no id column (`parcel_id`); name its id column with a mapping file"),
    (overlaps_stored, "overlaps parcel 'P000' by 2500.00 m²"),
    (two_layers, "holds 2 layers (a, b); say which to read with --source-layer"),
    (truncated_osm, "is truncated: the OSM XML does not end with </osm>"),
    (mapping_names_missing_column, "the mapping names the column `DKBH`, which the file does not have"),
    (lines_without_layer, "holds line geometries; say which layer they are for with --layer"),
    (unknown_crs_option, "--crs 'EPSG:999999' is not a CRS pyproj knows"),
    (
        local_crs_prj,
        "file 'local.shp': the file's CRS (滁州独立坐标系) is a local (engineering) CRS, 独立坐标系, with no datum: "
        "it cannot be transformed to CGCS2000; give the file's real CRS with --crs",
    ),
    (xian80_vector, "is on the Xi'an 1980 (西安80) datum, not CGCS2000 or WGS84"),
    (beijing54_vector, "is on the Beijing 1954 (北京54) datum, not CGCS2000 or WGS84"),
    (
        wrong_zone_prefix,
        "the eastings carry the zone prefix 40 (x 40,620,125.0) but EPSG:4527 is zone 39 (prefix 39); "
        "rerun with --crs 4528",
    ),
    (
        txt_mixed_prefixes,
        "带号 is missing and the parcels' eastings carry different zone prefixes (zone 39: T1; zone 40: T2)",
    ),
    (txt_swapped_without_zone, "carries the zone prefix 3, which is no 3-degree zone of China (25–45); are X and Y"),
    (source_outside_china, "source 'S2', field `geometry`: the source reaches lon 151.2100, lat -33.8700"),
]
NEEDS_STORED = {"overlaps_stored"}
"""Refused only against what the park holds: a new park would take these files."""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def park(store):
    store.write_parcels(grid_parcels(3), by="t")
    return Path(store.uri)


@pytest.mark.parametrize(("build", "message"), REFUSED, ids=[b.__name__ for b, _ in REFUSED])
def test_refused_files_leave_the_park_unchanged(tmp_path, park, build, message):
    path, options = build(tmp_path)
    before = digest(park)
    with pytest.raises(ValidationError) as refused:
        import_file(park, path, **options)
    text = str(refused.value)
    assert message in text, text
    assert "nothing was written" in text
    assert digest(park) == before
    assert not list(park.parent.glob("*.gpkg-journal"))


NEW_PARK = [(b, m) for b, m in REFUSED if b.__name__ not in NEEDS_STORED]


@pytest.mark.parametrize(("build", "message"), NEW_PARK, ids=[b.__name__ for b, _ in NEW_PARK])
def test_a_refused_import_creates_no_park(tmp_path, build, message):
    path, options = build(tmp_path)
    with pytest.raises(ValidationError) as refused:
        import_file(tmp_path / "new.gpkg", path, **options)
    assert "nothing was written" in str(refused.value)  # the words may differ: a new park has no zone, no roads
    assert not list(tmp_path.glob("new.gpkg*"))


@pytest.mark.parametrize(("build", "message"), REFUSED, ids=[b.__name__ for b, _ in REFUSED])
def test_a_dry_run_refuses_what_the_import_refuses(tmp_path, park, build, message):
    path, options = build(tmp_path)
    before = digest(park)
    with pytest.raises(ValidationError) as refused:
        import_file(park, path, dry_run=True, **options)
    assert message in str(refused.value)
    assert digest(park) == before


def gbk_without_cpg(tmp):
    path = tmp / "nocpg.shp"
    pyogrio.write_dataframe(parcels_4548(name=["一号地块", "二号地块"]), path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path, {}


def doubled_closing_point(tmp):
    ring = lonlat_square()[0]
    return geojson(tmp / "double.geojson", [feature("N0", [[*ring, ring[-1]]])]), {}


def clockwise_geojson(tmp):
    return geojson(tmp / "cw.geojson", [feature("N0", [lonlat_square()[0][::-1]])]), {}


def txt_repeated_point(tmp):
    body = "6,1.0000,T1,地块,面,,,100101,@\n" + SQUARE + "J4,1,3571000.00,39620000.00\nJ1,1,3571100.00,39620000.00\n"
    return txt(tmp / "repeat.txt", body), {}


def swapped_accepted(tmp):
    path, _ = swapped_axes(tmp)
    return path, {"accept_fixes": True}


def declared_area_off(tmp):
    return geojson(tmp / "area.geojson", [feature("N0", lonlat_square(), declared_area_mu=50.0)]), {}


REPAIRED = [
    (three_d, "Z coordinates dropped; a parcel is 2D"),
    (gbk_without_cpg, "has no .cpg; its text was read as GBK"),
    (doubled_closing_point, "1 repeated point(s) removed"),
    (clockwise_geojson, "ring orientation: RFC 7946 GeoJSON wants exterior rings counter-clockwise"),
    (txt_repeated_point, "ring 1: repeated point(s) J4 removed"),
    (swapped_accepted, "lat/lon swapped"),
    (declared_area_off, "declared 50.00 mu differs from the computed"),
]


@pytest.mark.parametrize(("build", "message"), REPAIRED, ids=[b.__name__ for b, _ in REPAIRED])
def test_repaired_files_import_and_say_what_changed(tmp_path, park, build, message):
    path, options = build(tmp_path)
    report = import_file(park, path, **options)
    assert any(message in str(p) for p in report.problems), [str(p) for p in report.problems]
    assert sum(w.inserted for w in report.layers.values()) >= 1
    new = open_store(park).read_parcels()
    assert len(new) > 3
    assert shapely.is_valid(new.geometry.to_numpy()).all()
    assert not shapely.has_z(new.geometry.to_numpy()).any()


def test_gbk_text_comes_through(tmp_path, park):
    path, _ = gbk_without_cpg(tmp_path)
    import_file(park, path)
    names = open_store(park).read_parcels().set_index("parcel_id")["name"]
    assert names["N0"] == "一号地块" and names["N1"] == "二号地块"


def test_gcj02_is_detected_against_the_park_roads(tmp_path, demo_park):
    park = tmp_path / "park.gpkg"
    shutil.copy(demo_park.path, park)
    store = open_store(park)
    stored = store.read_parcels().set_index("parcel_id")
    parcels = store.read_parcels().head(40)[["parcel_id", "status", "geometry"]]
    shifted = parcels.to_crs(4326)
    shifted["geometry"] = shapely.transform(
        shifted.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    path = tmp_path / "gaode.geojson"
    pyogrio.write_dataframe(shifted, path, driver="GeoJSON", layer_options={"RFC7946": "YES"})
    before = digest(park)
    with pytest.raises(ValidationError) as refused:
        import_file(park, path)
    assert "look like GCJ-02 web-map coordinates" in str(refused.value)
    assert "rerun with --from-gcj02" in str(refused.value)
    assert digest(park) == before
    # shifted back, they land where they were: an unchanged re-import (within the 0.1 mm the store allows)
    report = import_file(park, path, from_gcj02=True)
    assert any("moved from GCJ-02" in p.message for p in report.problems)
    back = store.read_parcels().set_index("parcel_id").loc[parcels["parcel_id"]]
    moved = shapely.hausdorff_distance(back.geometry.to_numpy(), parcels.geometry.to_numpy())
    assert moved.max() < 0.05  # 7 decimals of GeoJSON and the inverse's millimetres
    # the same parcels without the shift: no GCJ-02 finding
    plain = tmp_path / "plain.geojson"
    pyogrio.write_dataframe(parcels.to_crs(4326), plain, driver="GeoJSON")
    report = import_file(park, plain)
    assert not any("GCJ-02" in p.message for p in report.problems)
    # the files had only id, status and shape: every other column of the 40 parcels is as it was (areas follow shapes)
    after = store.read_parcels().set_index("parcel_id").loc[stored.index]
    from planner.parcels.schema import FIELD_BY_NAME

    kept = [c for c in stored.columns if c in FIELD_BY_NAME and FIELD_BY_NAME[c].origin in ("input", "derived")]
    for column in [c for c in kept if c != "geometry"]:
        a, b = stored[column], after[column]
        assert ((a.isna() & b.isna()) | (a.astype(object) == b.astype(object))).all(), column


def test_the_catalogue_is_at_least_twenty_kinds():
    cases = [b.__name__ for b, _ in REFUSED + REPAIRED] + [b.__name__ for b, *_ in KEPT]
    assert len(cases) >= 20
    assert len(set(cases)) == len(cases)


# --- files whose good features go in, and whose bad ones are left out, each named with why --------------------
def broken_rings_geojson(tmp):
    a, b, c, d = [118.27, 32.245], [118.271, 32.245], [118.271, 32.246], [118.27, 32.246]
    return geojson(
        tmp / "rings.geojson",
        [
            feature("N0", lonlat_square()),
            feature("N1", [[a, b, a]]),  # a ring of 2 points: GEOS builds it, and it is not a polygon
            feature("N2", [[a, b, c, d]]),  # not closed: GEOS cannot build it at all
            feature("N3", lonlat_square(lon=118.275)),
        ],
    ), {}


def nan_among_good(tmp):
    path = tmp / "nan2.gpkg"
    frame = parcels_4548(3)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        frame.loc[1, "geometry"] = Polygon([(X0, NORTH), (np.nan, NORTH), (X0 + 100, NORTH + 100), (X0, NORTH)])
    pyogrio.write_dataframe(frame, path)
    return path, {}


def txt_one_unclosed(tmp):
    other = SQUARE.replace(",3962", ",3963")
    body = (
        "5,1.0000,T1,地块,面,,,100101,@\n" + SQUARE + "J1,1,3571100.00,39620000.00\n"
        "4,1.0000,T2,地块,面,,,100101,@\n" + other
    )
    return txt(tmp / "one_open.txt", body), {}


def one_bad_status(tmp):
    return geojson(
        tmp / "status2.geojson",
        [feature("N0", lonlat_square()), feature("N1", lonlat_square(lon=118.275), status="sold")],
    ), {}


def one_overlaps_stored(tmp):
    path = tmp / "overlap2.gpkg"
    frame = parcels_4548(2)
    frame.loc[1, "geometry"] = box(X0 + 50, Y0 + 50, X0 + 150, Y0 + 150)  # over stored P000
    pyogrio.write_dataframe(frame, path)
    return path, {}


KEPT = [
    # (builder, layer, ids that go in, {id left out: why})
    (mixed_geometry, "parcels", {"N0"}, {"N1": "a parcel must be a Polygon or MultiPolygon, not a LineString"}),
    (
        road_line_outside_china,
        "road_lines",
        {"R0", "R1", "R2"},
        {"R9": "the road line reaches lon 139.7000, lat 35.6900, outside China"},
    ),
    (
        broken_rings_geojson,
        "parcels",
        {"N0", "N3"},
        {
            "N1": "ring 1 has 2 distinct point(s); a ring needs at least 3",
            "N2": "a ring is not closed: its last point is not its first",
        },
    ),
    (nan_among_good, "parcels", {"N0", "N2"}, {"N1": "the geometry has NaN or infinite coordinates"}),
    (txt_one_unclosed, "parcels", {"T1"}, {"T2": "ring 1 is not closed: its last point J4 (line 19)"}),
    (one_bad_status, "parcels", {"N0"}, {"N1": "'sold' is not allowed; allowed: planned (规划)"}),
    (one_overlaps_stored, "parcels", {"N0"}, {"N1": "overlaps parcel 'P00"}),
]


@pytest.mark.parametrize(("build", "layer", "good", "bad"), KEPT, ids=[k[0].__name__ for k in KEPT])
def test_the_good_goes_in_and_the_bad_is_left_out_by_id(tmp_path, park, build, layer, good, bad):
    path, options = build(tmp_path)
    before = {str(i) for i in open_store(park).read_layer(layer).iloc[:, 0]}
    report = import_file(park, path, **options)
    stored = open_store(park).read_layer(layer)
    key = {"parcels": "parcel_id", "road_lines": "line_id"}[layer]
    assert set(stored[key]) - before == good
    left = {p.feature_id: p for p in report.left_out}
    assert set(left) == set(bad)
    for fid, why in bad.items():
        assert why in left[fid].message, left[fid].message
        assert left[fid].field in ("geometry", "status")
        assert "left out of the import; correct it in the file and import it again" in left[fid].message
    assert report.left_out_counts() == {layer: len(bad)}
    assert report.read[layer] == len(good) + len(bad)


@pytest.mark.parametrize(("build", "layer", "good", "bad"), KEPT, ids=[k[0].__name__ for k in KEPT])
def test_strict_keeps_all_or_nothing(tmp_path, park, build, layer, good, bad):
    path, options = build(tmp_path)
    before = digest(park)
    with pytest.raises(ValidationError) as refused:
        import_file(park, path, strict=True, **options)
    text = str(refused.value)
    assert "nothing was written" in text
    for fid, why in bad.items():
        assert repr(fid) in text and why in text, text
    assert "left out" not in text
    assert digest(park) == before
    with pytest.raises(ValidationError):
        import_file(park, path, strict=True, dry_run=True, **options)
    assert digest(park) == before


def test_a_dry_run_counts_what_would_be_left_out(tmp_path, park):
    path, _ = broken_rings_geojson(tmp_path)
    before = digest(park)
    report = import_file(park, path, dry_run=True)
    assert report.layers["parcels"].inserted == 2
    assert {p.feature_id for p in report.left_out} == {"N1", "N2"}
    assert digest(park) == before


def test_replace_refuses_to_delete_what_it_could_not_read(tmp_path, park):
    """--replace makes the layer the file's features: one the park holds but the file cannot give is not deleted."""
    frame = grid_parcels(3)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        frame.loc[2, "geometry"] = Polygon([(X0, Y0), (np.nan, Y0), (X0 + 100, Y0 + 100), (X0, Y0)])
    path = tmp_path / "replace.gpkg"
    pyogrio.write_dataframe(frame, path)
    before = digest(park)
    with pytest.raises(ValidationError) as refused:
        import_file(park, path, mode="replace")
    assert "--replace would delete 1 stored feature(s) that the file holds but could not give ('P002')" in str(
        refused.value
    )
    assert digest(park) == before


def test_a_file_with_no_good_feature_is_refused_naming_each(tmp_path, park):
    a, b = [118.27, 32.245], [118.271, 32.245]
    path = geojson(tmp_path / "allbad.geojson", [feature("N1", [[a, b, a]]), feature("N2", [[a, b]])])
    before = digest(park)
    with pytest.raises(ValidationError) as refused:
        import_file(park, path)
    text = str(refused.value)
    assert "holds no feature that could be imported" in text
    assert "parcel 'N1', field `geometry`: ring 1 has 2 distinct point(s)" in text
    assert "parcel 'N2', field `geometry`: a ring is not closed" in text
    assert digest(park) == before


def test_wholly_outside_china_is_said_first_and_alone(tmp_path, park):
    """A file of Paris with a broken ring: refused by its location, not by the ring."""
    a, b = [2.35, 48.85], [2.351, 48.85]
    path = geojson(
        tmp_path / "paris2.geojson",
        [feature("N0", lonlat_square(2.35, 48.85)), feature("N1", [[a, b, a]]), feature("N2", [[a, b]])],
    )
    before = digest(park)
    with pytest.raises(ValidationError) as refused:
        import_file(park, path)
    assert len(refused.value.errors) == 1
    assert "the file lies wholly outside China" in str(refused.value)
    assert "none of its points lies in China" in str(refused.value)
    assert digest(park) == before


def test_line_import_into_a_network_and_a_refused_one(tmp_path, park):
    lines = gpd.GeoDataFrame(
        {"line_id": ["R1"], "name": ["纬九路"], "road_class": ["主干路"]},
        geometry=[LineString([(X0 - 50, Y0 - 20), (X0 + 400, Y0 - 20)])],
        crs=4548,
    )
    path = tmp_path / "roads.fgb"
    pyogrio.write_dataframe(lines, path)
    report = import_file(park, path, layer="roads")
    assert report.layers["road_lines"].inserted == 1
    assert any("'主干路' read as 'arterial'" in str(p) for p in report.problems)
    assert open_store(park).read_layer("road_lines")["road_class"].tolist() == ["arterial"]


def test_a_genuine_parcel_beside_the_park_is_not_taken_for_gcj02(tmp_path, demo_park):
    """200 m east of the park, shifted back from GCJ-02 it would sit on the park's roads: but it lies outside them."""
    park = tmp_path / "park.gpkg"
    shutil.copy(demo_park.path, park)
    stored = open_store(park).read_parcels()
    _, miny, maxx, maxy = stored.total_bounds
    mid = (miny + maxy) / 2
    beside = gpd.GeoDataFrame(
        {"parcel_id": ["EAST-1"], "status": ["planned"]},
        geometry=[box(maxx + 200, mid, maxx + 350, mid + 150)],
        crs=stored.crs,
    )
    path = tmp_path / "beside.geojson"
    pyogrio.write_dataframe(beside.to_crs(4326), path, driver="GeoJSON", layer_options={"RFC7946": "YES"})
    report = import_file(park, path)
    assert not any("GCJ-02" in p.message for p in report.problems)
    back = open_store(park).get_parcel("EAST-1").geometry
    assert shapely.hausdorff_distance(back, beside.geometry.iloc[0]) < 0.05  # where it was drawn


def test_not_gcj02_skips_the_check(tmp_path, demo_park):
    source = open_store(demo_park.path)
    park = tmp_path / "roads_only.gpkg"
    from planner.store import create_park

    store = create_park(park, source.config())
    store.write_layer("road_lines", source.read_layer("road_lines"), by="t")
    parcels = source.read_parcels().iloc[::10][["parcel_id", "status", "geometry"]].to_crs(4326)  # not neighbours
    parcels["geometry"] = shapely.transform(
        parcels.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    path = tmp_path / "gaode.geojson"
    pyogrio.write_dataframe(parcels, path, driver="GeoJSON", layer_options={"RFC7946": "YES"})
    with pytest.raises(ValidationError, match="if they are not GCJ-02, rerun with --not-gcj02"):
        import_file(park, path)
    report = import_file(park, path, not_gcj02=True)  # taken as they are
    assert not any("GCJ-02" in p.message for p in report.problems)
    back = store.read_parcels().set_index("parcel_id").loc[parcels["parcel_id"]]
    moved = shapely.hausdorff_distance(back.to_crs(4326).geometry.to_numpy(), parcels.geometry.to_numpy())
    assert moved.max() < 1e-7  # degrees: not moved


def test_a_wrong_zone_prefix_is_fixed_when_accepted(tmp_path, park):
    path, _ = wrong_zone_prefix(tmp_path)
    report = import_file(park, path, accept_fixes=True)
    assert any("fixed (--crs 4528" in p.message for p in report.problems)
    # read in zone 40 (CM 120°E) the eastings lie 120 km east of its meridian: lon 121.27, where zone 39's prefix
    # ignored put them 1120 km east of 117°E (lon 128.8)
    lon = open_store(park).read_parcels().set_index("parcel_id").to_crs(4490).loc["N0"].geometry.centroid.x
    assert lon == pytest.approx(118.2739 + 3, abs=1e-3)


def test_txt_duplicate_ids_are_named_once(tmp_path, park):
    body = (
        "5,1.0000,T1,地块,面,,,100101,@\n" + SQUARE + "J1,1,3571100.00,39620000.00\n"
        "5,1.0000,T1,地块,面,,,100101,@\n"
        + SQUARE.replace(",3962", ",3963").replace("39630100", "39630100")
        + "J1,1,3571100.00,39630000.00\n"
    )
    with pytest.raises(ValidationError) as refused:
        import_file(park, txt(tmp_path / "dup.txt", body))
    assert str(refused.value).count("appears 2 times") == 1


def test_encoding_gbk_reads_the_planners_own_gb18030_shapefile(tmp_path, park):
    """The Shapefile export is GB18030 (GBK for every GBK character, 4 bytes for the rest, as ³); --encoding gbk reads
    it as GB18030, its superset, so the name comes back whole."""
    from planner.exchange import export_parcels

    store = open_store(park)
    frame = parcels_4548(1, name=["热力站 5m³/h 一号"])
    store.write_parcels(frame, by="t")
    with pytest.raises(UnicodeEncodeError):
        "³".encode("gbk")  # not a GBK character: the file holds GB18030 4-byte text
    out = tmp_path / "gb18030.shp"
    export_parcels(store, "shp", out)
    new = tmp_path / "new.gpkg"
    import_file(new, out, encoding="gbk", accept_fixes=True)
    assert open_store(new).get_parcel("N0")["name"] == "热力站 5m³/h 一号"
