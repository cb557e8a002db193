"""Overview tiles (zooms 0–11): each look's pixels merged, decoded apart and checked against the parcels counted here.

The counts are worked out in this file from the stored parcels alone: each parcel's look (the readiness
colour from ``ready`` and ``missing`` by the rule of the maps' legend, its idle rule, its per-mu class) and
the tile of its centre (Web Mercator, EPSG:3857, then the slippy-map grid).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from planner.maps.style import MISSING_COLORS, READY_COLOR, UNKNOWN_COLOR
from planner.maps.tiles import EXTENT, SIMPLIFY, ParcelTiles
from planner.maps.tiles_overview import OVERVIEW_MAX_ZOOM, Overview
from planner.parcels.evaluation import evaluate
from planner.store import open_store
from tests.maps.mvt import decode, signed_area
from tests.maps.test_tiles import parcels as square_parcels

WORLD_M = 2 * np.pi * 6378137.0
LOOK = ("fill", "idle_rule", "eval_class")


def fill_of(ready, missing) -> str:
    """The legend's readiness colour: unknown, ready, or raw by how many items are missing (1, 2, 3–4, more)."""
    if ready is None or ready != ready:  # None or NaN
        return UNKNOWN_COLOR
    if ready:
        return READY_COLOR
    n = len([m for m in (missing or "").split(",") if m])
    return MISSING_COLORS[0 if n <= 1 else 1 if n == 2 else 2 if n <= 4 else 3]


def looks_and_pixels(parcels, classes, z: int):
    """Each parcel's look, and the zoom-z screen pixel (column, row: 256 a tile) of its centre."""
    centres = parcels.to_crs(3857).geometry.centroid
    n_px = 2**z * 256
    col = np.floor((centres.x.to_numpy() + WORLD_M / 2) / WORLD_M * n_px).astype(int)
    row = np.floor((WORLD_M / 2 - centres.y.to_numpy()) / WORLD_M * n_px).astype(int)
    idle = parcels["idle_rule"] if "idle_rule" in parcels else [None] * len(parcels)
    looks = [
        (fill_of(r, m), i if isinstance(i, str) else None, classes.get(pid))
        for r, m, i, pid in zip(parcels["ready"], parcels["missing"], idle, parcels["parcel_id"], strict=True)
    ]
    return looks, col, row


def polygons_by_look(data: bytes) -> tuple[dict, Counter]:
    """The decoded features' polygons (tile units) by look, and the parcels counted by look."""
    shapes: dict[tuple, list] = {}
    counted: Counter = Counter()
    for f in decode(data)["parcels"]["features"] if data else []:
        p = f["properties"]
        assert f["id"] is None and "parcel_id" not in p
        look = tuple(p.get(k) for k in LOOK)
        counted[look] += p["parcels"]
        rings: list[list] = []
        for ring in f["rings"]:
            assert all(c % SIMPLIFY == 0 for xy in ring for c in xy)  # on the grid of screen pixels
            if signed_area(ring) > 0 or not rings:
                rings.append([ring])
            else:
                rings[-1].append(ring)
        shapes.setdefault(look, []).extend(shapely.Polygon(r[0], r[1:]) for r in rings)
    return {k: shapely.union_all(v) for k, v in shapes.items()}, counted


@pytest.fixture(scope="module")
def demo(demo_park):
    store = open_store(demo_park.path)
    parcels = store.read_parcels().set_index("parcel_id", drop=False).sort_index()
    parcels.index.name = None
    classes = evaluate(parcels.reset_index(drop=True), store.config()).classes["eval_class"]
    yield parcels, classes.to_dict(), ParcelTiles.from_parcels(parcels, eval_class=classes)
    store.close()


@pytest.mark.parametrize("z", [6, 9, 10, 11])
def test_overview_tiles_count_each_look_as_the_parcels_whose_centre_they_hold(demo, z):
    parcels, classes, tiles = demo
    overview = Overview.from_tiles(tiles)
    looks, col, row = looks_and_pixels(parcels, classes, z)
    expected: Counter = Counter(zip(col // 256, row // 256, looks, strict=True))
    at_pixel: dict[tuple, set] = {}
    for c, r, look in zip(col, row, looks, strict=True):
        at_pixel.setdefault((c, r), set()).add(look)
    mixed = {k for k, v in at_pixel.items() if len(v) > 1}
    drawn = checked = overview_bytes = parcel_bytes = 0
    for x, y in sorted({(c // 256, r // 256) for c, r in zip(col, row, strict=True)}):
        data = overview.tile(z, int(x), int(y))
        shapes, counted = polygons_by_look(data)
        assert counted == Counter({lk: float(k) for (tx, ty, lk), k in expected.items() if (tx, ty) == (x, y)})
        drawn += int(sum(counted.values()))
        # each parcel's centre lies in its look's pixels, but where parcels of other looks share that pixel
        for c, r, look in zip(col, row, looks, strict=True):
            if (c // 256, r // 256) == (x, y) and (c, r) not in mixed:
                centre = shapely.Point(((c - x * 256) + 0.5) * SIMPLIFY, ((r - y * 256) + 0.5) * SIMPLIFY)
                assert shapes[look].contains(centre), (z, x, y, look)
                checked += 1
        overview_bytes += len(data)
        parcel_bytes += len(tiles.encode(z, int(x), int(y)))
    assert drawn == len(parcels) == 414
    # far smaller than every parcel's outline (the encoder's tiles of the same zoom)
    assert overview_bytes < parcel_bytes / 3 or z < 9
    assert checked > len(parcels) / 4 or z < 9
    assert {lk[2] for lk in looks} - {None} <= {"A", "B", "C", "D"}


def test_overview_pixels_are_where_the_parcels_are():
    """Three squares of 1 km (about 15 zoom-11 pixels a side there), two looks: the pixels cover each square."""
    frame = square_parcels(3, size=1000.0, ready=[True, False, True], missing=[None, "gas", None])
    frame["idle_rule"] = None
    frame = frame.set_index("parcel_id", drop=False)
    overview = Overview.from_parcels(frame)
    z = OVERVIEW_MAX_ZOOM
    merc = frame.to_crs(3857)
    n_px = 2**z * 256
    scale = n_px / WORLD_M
    lo_x, lo_y, hi_x, hi_y = merc.total_bounds
    tiles_x = range(int((lo_x + WORLD_M / 2) * scale) // 256, int((hi_x + WORLD_M / 2) * scale) // 256 + 1)
    tiles_y = range(int((WORLD_M / 2 - hi_y) * scale) // 256, int((WORLD_M / 2 - lo_y) * scale) // 256 + 1)
    for x in tiles_x:
        for y in tiles_y:
            shapes, _ = polygons_by_look(overview.tile(z, x, y))
            # the squares in this tile's units (v down), independently of the overview
            for pid, ready in (("P000", True), ("P001", False), ("P002", True)):
                g = shapely.affinity.affine_transform(
                    merc.geometry[pid],
                    [scale * 16, 0, 0, -scale * 16, (WORLD_M / 2 * scale - x * 256) * 16,
                     (WORLD_M / 2 * scale - y * 256) * 16],
                )  # fmt: skip
                g = g.intersection(box(0, 0, EXTENT, EXTENT))
                if g.is_empty:
                    continue
                mine = shapes[(READY_COLOR if ready else MISSING_COLORS[0], None, None)].intersection(
                    box(0, 0, EXTENT, EXTENT)
                )
                # within one pixel along the outline: pixels whose centre is inside are drawn
                assert g.symmetric_difference(mine.intersection(g.buffer(SIMPLIFY * 1.5))).area <= g.length * SIMPLIFY
                assert mine.intersection(g).area >= g.area - g.length * SIMPLIFY


def test_an_empty_overview_tile_is_empty_and_deeper_zooms_are_refused(demo):
    *_, tiles = demo
    overview = Overview.from_tiles(tiles)
    assert overview.tile(3, 0, 0) == b""
    with pytest.raises(ValueError, match="zooms 0…11"):
        overview.tile(12, 0, 0)
    assert Overview.from_parcels(square_parcels(0).assign(ready=[], missing=[])).tile(5, 0, 0) == b""
