"""Parcels from CAD drawings (DXF): a real AutoCAD drawing from ezdxf's examples, and one written here with ezdxf.

The real drawing (``tests/data/cad/ezdxf_text.dxf``, see its README) is moved into zone 39
with the zone prefix in its eastings. Its counts are checked against independent reads: the
closed polylines and their vertices by ezdxf (not GDAL), the texts inside each polygon by
pyogrio and shapely directly.
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
import numpy as np
import pyogrio
import pytest
import shapely
from ezdxf.math import Matrix44

from planner.errors import ValidationError
from planner.exchange import import_file
from planner.store import open_store
from tests.test_cli import run

REAL = Path(__file__).resolve().parents[1] / "data" / "cad" / "ezdxf_text.dxf"
EAST, NORTH = 39_500_000.0, 3_500_000.0  # zone 39 with prefix: about 117°E, 31.6°N (Hefei)


@pytest.fixture(scope="module")
def moved(tmp_path_factory) -> Path:
    """The real drawing moved into China: + (39,500,000, 3,500,000) on every entity."""
    doc = ezdxf.readfile(REAL)
    shift = Matrix44.translate(EAST, NORTH, 0)
    for entity in doc.modelspace():
        entity.transform(shift)
    path = tmp_path_factory.mktemp("cad") / "survey.dxf"
    doc.saveas(path)
    return path


def _closed_polylines() -> list[np.ndarray]:
    """The closed LWPOLYLINEs of the real drawing, read by ezdxf: each one's vertices (moved)."""
    doc = ezdxf.readfile(REAL)
    return [
        np.array([(x + EAST, y + NORTH) for x, y in e.get_points("xy")])
        for e in doc.modelspace().query("LWPOLYLINE")
        if e.closed
    ]


def _ids_by_text(path: Path) -> tuple[list[str | None], dict[str, int]]:
    """Each ring's id by the text inside it (a text owned by the smallest ring holding it): pyogrio + shapely."""
    frame = pyogrio.read_dataframe(path)
    lines = frame[frame.geometry.geom_type == "LineString"]
    rings = [shapely.Polygon(g.coords) for g in lines.geometry if g.is_ring]
    texts = frame[(frame.geometry.geom_type == "Point") & frame["Text"].notna()]
    owned: list[list[str]] = [[] for _ in rings]
    for point, text in zip(texts.geometry, texts["Text"], strict=True):
        holders = [k for k, ring in enumerate(rings) if point.within(ring)]
        if holders:
            owned[min(holders, key=lambda k: rings[k].area)].append(" ".join(str(text).split()))
    singles = [o[0] for o in owned if len(o) == 1]
    ids = [o[0] if len(o) == 1 and singles.count(o[0]) == 1 else None for o in owned]
    why = {
        "no text": sum(not o for o in owned),
        "several": sum(len(o) > 1 for o in owned),
        "repeated": sum(len(o) == 1 and singles.count(o[0]) > 1 for o in owned),
    }
    return ids, why


def test_the_real_drawing_gives_one_parcel_per_closed_polyline(moved, tmp_path):
    closed = _closed_polylines()
    assert len(closed) == 78  # every LWPOLYLINE of the drawing is closed
    report = import_file(tmp_path / "park.gpkg", moved, crs="4548")  # zone 39 named by its EPSG (no prefix)
    assert report.read["parcels"] == len(closed)
    assert any("zone prefix 39" in p.message and "EPSG:4527" in p.message for p in report.problems)
    with open_store(tmp_path / "park.gpkg") as store:
        assert store.config().crs_epsg == 4548
        parcels = store.read_parcels()
    # nested frames overlap: the store leaves out the later of two overlapping parcels, each named
    overlaps = [p for p in report.left_out if "overlaps parcel" in p.message]
    assert len(parcels) + len(overlaps) == len(closed)
    # the areas are those of the polylines' own vertices, less the zone prefix (zone 39's false easting stays)
    by_area = sorted(shapely.area(shapely.polygons(v - [39_000_000, 0])) for v in closed)
    got = sorted(parcels["area_m2"])
    assert all(np.isclose(by_area, a, rtol=1e-9).any() for a in got)


def test_ids_from_the_text_inside_each_polygon(moved, tmp_path):
    ids, why = _ids_by_text(moved)
    expected = sorted(i for i in ids if i is not None)
    report = import_file(tmp_path / "park.gpkg", moved, crs="39", id_from_text=True)
    with open_store(tmp_path / "park.gpkg") as store:
        parcels = store.read_parcels()
    assert sorted(parcels["parcel_id"]) == expected and len(expected) >= 2
    left = report.left_out
    assert sum("no text inside" in p.message for p in left) == why["no text"] == 29
    assert sum("texts inside" in p.message for p in left) == why["several"]
    assert sum("labels" in p.message and "polygons" in p.message for p in left) == why["repeated"]
    assert len(left) == len(ids) - len(expected)
    assert all(p.parcel_id.startswith("dxf-") for p in left)  # each named by its entity handle


def _survey(path: Path, *, east: float = 39_512_000.0, north: float = 3_498_000.0) -> None:
    """A 勘测定界-style drawing written with ezdxf: parcels on layer 宗地, their numbers as text, and traps."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    doc.layers.add("宗地")
    doc.layers.add("道路")
    for k, (dx, dy) in enumerate([(0, 0), (120, 0), (240, 0)]):
        corners = [(east + dx, north + dy), (east + dx + 100, north + dy), (east + dx + 100, north + dy + 80),
                   (east + dx, north + dy + 80)]  # fmt: skip
        msp.add_lwpolyline(corners, close=True, dxfattribs={"layer": "宗地"})
        msp.add_text(f"DK-{k + 1:03d}", dxfattribs={"layer": "宗地", "height": 3}).set_placement(
            (east + dx + 40, north + dy + 40)
        )
    hatch = msp.add_hatch(dxfattribs={"layer": "宗地"})  # a parcel drawn as a hatch, numbered by an MTEXT
    hatch.paths.add_polyline_path([(east + 360, north), (east + 460, north), (east + 460, north + 80),
                                   (east + 360, north + 80)], is_closed=True)  # fmt: skip
    msp.add_mtext("DK-004", dxfattribs={"layer": "宗地", "char_height": 3, "insert": (east + 400, north + 40)})
    msp.add_lwpolyline([(east, north - 50), (east + 100, north - 50), (east + 100, north - 20)],
                       dxfattribs={"layer": "宗地"})  # an open polyline  # fmt: skip
    msp.add_lwpolyline([(east + 500, north), (east + 560, north), (east + 560, north + 60), (east + 500, north + 60)],
                       close=True, dxfattribs={"layer": "宗地"})  # closed, but no number  # fmt: skip
    msp.add_lwpolyline([(east, north + 200), (east + 900, north + 200)], dxfattribs={"layer": "道路"})
    msp.add_lwpolyline([(east, north + 300), (east + 50, north + 300), (east + 50, north + 350)],
                       close=True, dxfattribs={"layer": "道路"})  # fmt: skip
    doc.saveas(path)


def test_a_survey_drawing_by_cad_layer_with_ids_from_text(tmp_path):
    drawing = tmp_path / "勘测定界.dxf"
    _survey(drawing)
    report = import_file(tmp_path / "park.gpkg", drawing, crs="39", cad_layer="宗地", id_from_text=True)
    with open_store(tmp_path / "park.gpkg") as store:
        parcels = store.read_parcels().set_index("parcel_id")
    assert sorted(parcels.index) == ["DK-001", "DK-002", "DK-003", "DK-004"]
    assert parcels["area_m2"].to_numpy() == pytest.approx([8000.0] * 4)
    left = sorted(p.message.split(" (")[0] for p in report.left_out)
    assert len(left) == 2
    assert any("an open polyline on CAD layer '宗地'" in m for m in left)
    assert any("with no text inside" in m for m in left)
    # the independent count: ezdxf's closed polylines and hatches on the layer, less the one without text
    doc = ezdxf.readfile(drawing)
    on_layer = doc.modelspace().query('*[layer=="宗地"]')
    closed = sum(1 for e in on_layer.query("LWPOLYLINE") if e.closed) + len(on_layer.query("HATCH"))
    assert len(parcels) == closed - 1


def test_zone_prefix_and_crs_are_checked(tmp_path):
    drawing = tmp_path / "survey.dxf"
    _survey(drawing)
    with pytest.raises(ValidationError, match="zone prefix 39 but --crs names zone 40"):
        import_file(tmp_path / "a.gpkg", drawing, crs="40", cad_layer="宗地")
    with pytest.raises(ValidationError, match="names no 3-degree zone"):
        import_file(tmp_path / "b.gpkg", drawing, crs="4326", cad_layer="宗地")
    report = import_file(tmp_path / "c.gpkg", drawing, cad_layer="宗地", id_from_text=True)  # the prefix says 39
    assert report.layers["parcels"].inserted == 4
    plain = tmp_path / "plain.dxf"
    _survey(plain, east=512_000.0)  # no prefix: the zone must be named
    with pytest.raises(ValidationError, match="--crs"):
        import_file(tmp_path / "d.gpkg", plain, cad_layer="宗地")
    assert not (tmp_path / "d.gpkg").exists()
    report = import_file(tmp_path / "e.gpkg", plain, crs="4548", cad_layer="宗地", id_from_text=True)
    with open_store(tmp_path / "e.gpkg") as store, open_store(tmp_path / "c.gpkg") as prefixed:
        same = store.read_parcels().set_index("parcel_id").geometry
        other = prefixed.read_parcels().set_index("parcel_id").geometry
    assert same.geom_equals_exact(other.reindex(same.index), 1e-6).all()
    with pytest.raises(ValidationError, match=r"no entity on CAD layer '规划'.*宗地"):
        import_file(tmp_path / "f.gpkg", drawing, crs="39", cad_layer="规划")


def test_the_import_command_reads_a_drawing(tmp_path):
    drawing = tmp_path / "survey.dxf"
    _survey(drawing)
    shown = run("import", str(tmp_path / "park.gpkg"), str(drawing), "--crs", "39", "--cad-layer", "宗地",
                "--id-from-text", "--lang", "en")  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "left out" in shown.stdout and "open polyline" in shown.stdout
    with open_store(tmp_path / "park.gpkg") as store:
        assert store.counts()["parcels"] == 4
