"""The boundary-coordinate TXT (报部格式): hand-written samples, and files the project writes read back identically."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Polygon, box

from planner.exchange import export_parcels, import_file, read_txt, write_txt
from planner.store import open_store

DATA = Path(__file__).parent / "data"


def test_hand_written_sample_with_a_hole_and_two_parcels():
    txt = read_txt(DATA / "two_parcels_hole.txt")
    assert txt.errors == []
    assert txt.parcels.crs.to_epsg() == 4527  # zone 39 with prefix
    assert txt.header["带号"] == "39"
    a, b = txt.parcels.itertuples()
    assert (a.parcel_id, a.name, a.land_use) == ("DK-01", "一号地块", "100101")
    assert (b.parcel_id, b.name, b.land_use) == ("DK-02", "二号地块", "1101")
    # by hand: 100 m × 100 m less a 20 m × 20 m hole; Y is the easting with prefix 39, X the northing
    expected_a = Polygon(
        [(39620000, 3570000), (39620100, 3570000), (39620100, 3570100), (39620000, 3570100)],
        holes=[[(39620020, 3570020), (39620040, 3570020), (39620040, 3570040), (39620020, 3570040)]],
    )
    assert shapely.equals(a.geometry, expected_a)
    assert a.geometry.area == 9600.0
    assert shapely.equals(b.geometry, box(39620200, 3570000, 39620250, 3570080))
    # 地块面积 is hectares: 0.96 ha = 14.4 mu, 0.4 ha = 6 mu
    assert a.declared_area_mu == pytest.approx(14.4, abs=1e-12)
    assert b.declared_area_mu == pytest.approx(6.0, abs=1e-12)


def test_gbk_sample_imports_into_a_new_park(tmp_path):
    text = (DATA / "two_parcels_hole.txt").read_text(encoding="utf-8")
    path = tmp_path / "gbk.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode("gbk"))
    report = import_file(tmp_path / "park.gpkg", path)
    assert report.created
    store = open_store(tmp_path / "park.gpkg")
    assert store.config().crs_epsg == 4548  # zone 39 without prefix
    parcels = store.read_parcels().set_index("parcel_id")
    # PROJ's inverse and forward Gauss–Krüger between the zone's two twins: within a micrometre
    assert parcels.loc["DK-01", "area_m2"] == pytest.approx(9600.0, abs=1e-3)
    assert parcels.loc["DK-01", "area_mu"] == pytest.approx(14.4, abs=1e-6)
    assert parcels.loc["DK-02", "land_use"] == "1101"
    assert parcels.loc["DK-01", "status"] == "planned"
    assert parcels.loc["DK-01", "declared_area_mu"] == pytest.approx(14.4, abs=1e-12)
    messages = [str(p) for p in report.problems]
    assert any("read as GBK" in m for m in messages)
    assert any("imported as planned" in m for m in messages)
    # the areas agree: no declared-area warning
    assert not any(p.field == "declared_area_mu" for p in report.problems)


def test_declared_area_more_than_one_percent_off_is_reported(tmp_path):
    text = (DATA / "two_parcels_hole.txt").read_text(encoding="utf-8").replace("0.4000,DK-02", "0.4100,DK-02")
    path = tmp_path / "off.txt"
    path.write_text(text, encoding="utf-8")
    report = import_file(tmp_path / "park.gpkg", path)
    off = [p for p in report.problems if p.field == "declared_area_mu"]
    assert [p.parcel_id for p in off] == ["DK-02"]
    assert "declared 6.15 mu differs from the computed 6.00 mu by +2.5% (over 1%)" in off[0].message


def test_written_files_read_back_identically(tmp_path, store):
    from tests.conftest import grid_parcels

    frame = grid_parcels(3)
    frame.loc[0, "geometry"] = box(620000, 3570000, 620100, 3570100).difference(box(620020, 3570020, 620040, 3570040))
    frame.loc[2, "geometry"] = shapely.MultiPolygon(
        [box(620220, 3570000, 620320, 3570100), box(620220, 3570110, 620260, 3570150)]
    )
    frame["name"] = ["一号,地块", "二号", "三号"]
    store.write_parcels(frame, by="t")
    first = tmp_path / "first.txt"
    export_parcels(store, "txt", first, produced_on=date(2026, 1, 2))
    text = first.read_bytes().decode("gbk")
    assert "带号=39" in text and "坐标系=2000国家大地坐标系" in text and "计量单位=米" in text
    assert "10,0.9600,P000,一号，地块,面,,一类工业用地,100101,@" in text  # 10 point lines, comma made full-width
    assert "J5,2,3570040.000,39620040.000" in text  # the hole is ring 2, its first point repeated at its end
    # the two-part parcel: 圈号 1 and 2, both outer rings
    txt = read_txt(first)
    assert txt.errors == []
    stored = store.read_parcels().set_index("parcel_id")
    back = txt.parcels.to_crs(store.crs).set_index("parcel_id")
    for pid in stored.index:  # every vertex back to the millimetre the file holds
        assert shapely.hausdorff_distance(stored.loc[pid, "geometry"], back.loc[pid, "geometry"]) < 1e-3, pid
        assert shapely.get_num_coordinates(back.loc[pid, "geometry"]) == shapely.get_num_coordinates(
            stored.loc[pid, "geometry"]
        )
    assert shapely.get_num_interior_rings(back.loc["P000", "geometry"]) == 1
    assert shapely.get_num_geometries(back.loc["P002", "geometry"]) == 2
    # through a park and out again: the same bytes
    import_file(tmp_path / "again.gpkg", first)
    second = tmp_path / "second.txt"
    export_parcels(open_store(tmp_path / "again.gpkg"), "txt", second, produced_on=date(2026, 1, 2))
    assert second.read_bytes() == first.read_bytes()


def test_write_txt_orients_outer_rings_clockwise(tmp_path, store):
    from tests.conftest import grid_parcels

    store.write_parcels(grid_parcels(1), by="t")
    path = write_txt(store.read_parcels(), tmp_path / "x.txt", produced_on=date(2026, 1, 1))
    points = [line.split(",") for line in path.read_text(encoding="gbk").splitlines() if line.startswith("J")]
    east = [float(p[3]) for p in points]
    north = [float(p[2]) for p in points]
    ring = shapely.LinearRing(list(zip(east, north, strict=True)))
    assert not ring.is_ccw
    assert points[0][:2] == points[-1][:2] == ["J1", "1"]


def test_an_island_in_a_hole_reads_back(tmp_path, store):
    """A part inside a hole of another part: a ring inside an outer ring and inside one of its holes is a part."""
    from tests.conftest import grid_parcels

    frame = grid_parcels(1)
    ring = box(620000, 3570000, 620100, 3570100).difference(box(620020, 3570020, 620080, 3570080))
    island = box(620040, 3570040, 620060, 3570060)
    frame.loc[0, "geometry"] = shapely.MultiPolygon([ring, island])
    store.write_parcels(frame, by="t")
    path = tmp_path / "island.txt"
    export_parcels(store, "txt", path, produced_on=date(2026, 1, 2))
    txt = read_txt(path)
    assert txt.errors == []
    back = txt.parcels.to_crs(store.crs).geometry.iloc[0]
    assert back.is_valid
    assert shapely.get_num_geometries(back) == 2
    # by hand: 100 × 100 less the 60 × 60 hole, plus the 20 × 20 island
    assert back.area == pytest.approx(10000 - 3600 + 400, abs=1e-3)
    assert shapely.hausdorff_distance(back, store.read_parcels().geometry.iloc[0]) < 1e-3
    report = import_file(tmp_path / "again.gpkg", path)
    assert report.layers["parcels"].inserted == 1


def test_map_sheet_numbers_are_reported_as_not_kept(tmp_path):
    txt = read_txt(DATA / "two_parcels_hole.txt")  # DK-01 and DK-02 name their 图幅号
    notes = [p.message for p in txt.problems if "图幅号" in p.message]
    assert notes == [
        "图幅号 is given for 2 parcel(s) and was not kept: the parcel layer has no column for it: "
        "DK-01 (H50G040001), DK-02 (H50G040001)"
    ]
    assert [p.severity for p in txt.problems if "图幅号" in p.message] == ["warning"]


def test_commas_changed_in_a_txt_export_are_reported(tmp_path, store):
    from tests.conftest import grid_parcels

    store.write_parcels(grid_parcels(2, name=["一号,地块", "二号"]), by="t")
    report = export_parcels(store, "txt", tmp_path / "x.txt", produced_on=date(2026, 1, 2))
    assert report.notes == [
        "parcel 'P000': 地块名称 '一号,地块' written as '一号，地块' (a comma separates the fields of a TXT line: "
        "written full-width; line breaks as spaces)"
    ]


def test_area_lines_survive_export_import_export(tmp_path):
    """The 地块面积 written is the area of the boundary as written (coordinates at the file's 精度), so a TXT
    exported, imported into a new park and exported again is the same bytes, area lines included (22.6263 ha
    must not come back as 22.6262). Parcels with sub-millimetre vertices, so that rounding moves their areas."""
    import numpy as np
    from shapely.geometry import Polygon

    from planner.config import ParkConfig
    from planner.exchange import export_parcels, import_file
    from planner.store import create_park

    rng = np.random.default_rng(19)
    x0, y0 = 620_000.0, 3_570_000.0
    polys = []
    for k in range(200):
        cx, cy = x0 + (k % 20) * 600.0, y0 + (k // 20) * 600.0
        corners = np.array([[0, 0], [475, 0], [475, 476], [0, 476]], dtype=float) + rng.uniform(-20, 20, (4, 2))
        polys.append(Polygon(corners + np.array([cx, cy])))
    import geopandas as gpd

    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"A{k:03d}" for k in range(200)], "status": "reserved", "land_use": "100101"},
        geometry=polys,
        crs=4548,
    )
    first = create_park(tmp_path / "a.gpkg", ParkConfig(park_id="A", name="甲", crs_epsg=4548))
    first.write_parcels(parcels, by="t")
    day = date(2026, 6, 30)
    export_parcels(first, "txt", tmp_path / "one.txt", produced_on=day)
    import_file(tmp_path / "b.gpkg", tmp_path / "one.txt", park_id="B")
    second = open_store(tmp_path / "b.gpkg")
    export_parcels(second, "txt", tmp_path / "two.txt", produced_on=day)
    one, two = (tmp_path / "one.txt").read_bytes(), (tmp_path / "two.txt").read_bytes()
    assert one == two


def test_encoding_gbk_reads_gb18030_text():
    """--encoding gbk reads a TXT as GB18030, GBK's superset: a name with ³ (not in GBK) comes through."""
    body = (
        "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=39\n[地块坐标]\n"
        "5,1.0000,T1,泵站3m³,面,,,100101,@\nJ1,1,3571100.000,39620000.000\nJ2,1,3571100.000,39620100.000\n"
        "J3,1,3571000.000,39620100.000\nJ4,1,3571000.000,39620000.000\nJ1,1,3571100.000,39620000.000\n"
    )
    txt = read_txt(body.encode("gb18030"), encoding="gbk", name="gb18030.txt")
    assert not txt.errors, [str(p) for p in txt.errors]
    assert txt.parcels["name"].tolist() == ["泵站3m³"]
