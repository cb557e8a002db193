"""The numpy snap rounding gives GEOS's ``union_all(grid_size=0.001)`` pieces, to the bit and in GEOS's order."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.infra.network import build_network
from planner.infra.snapround import near_pairs, point_to_segment_m, round_half_up, snap_noded, squared_distance_m2

X0, Y0 = 520_000.0, 3_500_000.0


def _geos(geoms: np.ndarray) -> np.ndarray:
    noded = shapely.get_parts(shapely.union_all(geoms, grid_size=0.001))
    out: np.ndarray = noded[shapely.length(noded) > 0]
    return out


def _assert_as_geos(geoms: np.ndarray) -> np.ndarray:
    """snap_noded's pieces are GEOS's: the same coordinates to the bit, in the same order and direction."""
    got = snap_noded(geoms)
    assert got is not None
    want = _geos(geoms)
    assert len(got.pieces) == len(want)
    assert shapely.equals_identical(got.pieces, want).all()
    # each piece's line: one that the piece's middle lies on (within the millimetre the rounding moves it)
    middles = shapely.line_interpolate_point(got.pieces, 0.5, normalized=True)
    assert (shapely.distance(middles, geoms[got.line]) < 0.002).all()
    return got.pieces


def _lines(*coords: list[tuple[float, float]]) -> np.ndarray:
    return np.array([shapely.LineString(np.array(c, dtype=float) + np.array([X0, Y0])) for c in coords], dtype=object)


def _wkt(pieces: np.ndarray) -> list[str]:
    """The pieces' coordinates relative to the park's corner, as text (millimetres)."""
    out = []
    for piece in pieces:
        xy = shapely.get_coordinates(piece) - (X0, Y0)
        out.append(" ".join(f"{x:.3f},{y:.3f}" for x, y in xy))
    return out


def test_an_x_crossing_cuts_both_lines_at_the_rounded_crossing() -> None:
    # the diagonals of a 10 m × 7 m box cross at (5, 3.5); the second line slants so the crossing is off the grid
    geoms = _lines([(0, 0), (10, 7)], [(0, 7), (10, 0.0001)])
    pieces = _assert_as_geos(geoms)
    # (0,7)→(10,0.0001) meets y = 0.7x at x = 7 / (1.4 - 0.00001) = 5.0000357: rounded to 5.000, 3.500
    assert _wkt(pieces) == [
        "0.000,0.000 5.000,3.500",
        "5.000,3.500 10.000,7.000",
        "0.000,7.000 5.000,3.500",
        "5.000,3.500 10.000,0.000",
    ]


def test_a_t_junction_cuts_the_through_line_only() -> None:
    geoms = _lines([(0, 0), (10, 3)], [(5, 1.5), (7, 9)])
    assert _wkt(_assert_as_geos(geoms)) == [
        "0.000,0.000 5.000,1.500",
        "5.000,1.500 10.000,3.000",
        "5.000,1.500 7.000,9.000",
    ]


def test_a_shared_stretch_is_one_piece_given_by_the_first_line() -> None:
    # collinear slanted lines sharing (4, 2)–(8, 4): that piece once, as the first line runs
    geoms = _lines([(0, 0), (8, 4)], [(12, 6), (4, 2)])
    got = snap_noded(geoms)
    assert got is not None
    assert _wkt(_assert_as_geos(geoms)) == [
        "0.000,0.000 4.000,2.000",
        "4.000,2.000 8.000,4.000",
        "12.000,6.000 8.000,4.000",
    ]
    assert got.line.tolist() == [0, 0, 1]


def test_duplicate_lines_give_their_pieces_once() -> None:
    geoms = _lines([(0, 0), (10, 3.3333)], [(0, 0), (10, 3.3333)], [(10, 3.3333), (0, 0)], [(2, -5), (3, 5)])
    pieces = _assert_as_geos(geoms)
    assert len(pieces) == 4  # two halves of the diagonal, two of the crossing line


def test_a_segment_crossing_many_is_cut_at_each_crossing_in_its_direction() -> None:
    verticals = [[(float(x) + 0.3, -10.0), (float(x) - 0.3, 10.0)] for x in np.arange(1, 40, 1.7)]
    geoms = _lines([(40, 1.234), (0, -1.234)], *verticals)  # the long line first: its pieces run from x = 40 down
    pieces = _assert_as_geos(geoms)
    got = snap_noded(geoms)
    assert got is not None
    first = [p for p, line in zip(pieces, got.line, strict=True) if line == 0]
    assert len(first) == len(verticals) + 1
    starts = shapely.get_coordinates(shapely.get_point(np.array(first), 0))[:, 0]
    assert (np.diff(starts) < 0).all()


def test_near_parallel_lines_within_a_pixel_are_snapped_together() -> None:
    # two long lines 0.3 mm apart at one end, 0.6 mm at the other, and one 5 mm away: snap rounding
    # joins the first two where they share pixels; the third stays apart
    geoms = _lines([(0, 0), (50, 10)], [(0, 0.0003), (50, 10.0006)], [(0, 0.005), (50, 10.005)], [(25, -3), (25, 20)])
    _assert_as_geos(geoms)


def test_bent_lines_rings_and_a_line_turning_back() -> None:
    geoms = _lines(
        [(0, 0), (10, 1), (20, -3), (30, 5)],
        [(5, -5), (6, 10), (25, 10), (25, -10)],
        [(12, -2), (15, 4), (18, -2), (12, -2)],  # a closed ring
        [(1, 8), (9.0004, 8.0001), (1.0002, 8.00005)],  # turns back on itself within a millimetre
    )
    _assert_as_geos(geoms)


@pytest.mark.parametrize("seed", range(12))
def test_random_slanted_networks_are_noded_as_geos_nodes_them(seed: int) -> None:
    """Random polylines (2–5 vertices), at Gauss–Krüger magnitudes; half of them with vertices on a coarse grid
    (ends on other lines, shared vertices and collinear stretches), half of them with a line 0.4 mm beside another."""
    rng = np.random.default_rng(seed)
    geoms = []
    for _ in range(int(rng.integers(40, 160))):
        k = int(rng.integers(2, 6))
        start = rng.uniform(0, 400, 2)
        pts = np.vstack([start, start + np.cumsum(rng.normal(0, 60, (k - 1, 2)), axis=0)])
        if seed % 2:
            pts = np.round(pts / 2.5) * 2.5
        geoms.append(shapely.LineString(pts + np.array([X0, Y0])))
    if seed % 3 == 0:
        geoms += [shapely.affinity.translate(g, 0.0004, 0.0) for g in geoms[:5]]
    _assert_as_geos(np.array(geoms, dtype=object))


def test_the_turned_bench_grid_is_noded_as_geos_nodes_it() -> None:
    """A road grid turned 17°, with lines ending on others (the bench's park in small)."""
    turn, cos, sin = np.radians(17.0), np.cos(np.radians(17.0)), np.sin(np.radians(17.0))
    assert turn > 0
    lines = [[(x, 0.0), (x, 600.0)] for x in np.arange(0, 601, 120.0)]
    lines += [[(0.0, y), (600.0 * (0.4 + 0.1 * k), y)] for k, y in enumerate(np.arange(0, 601, 120.0))]
    xy = np.array(lines)
    turned = np.stack([X0 + xy[..., 0] * cos - xy[..., 1] * sin, Y0 + xy[..., 0] * sin + xy[..., 1] * cos], axis=-1)
    _assert_as_geos(shapely.linestrings(turned))


def test_what_it_does_not_take_is_left_to_geos() -> None:
    assert snap_noded(np.array([shapely.LineString([(0, 0, 1), (1, 1, 1)])])) is None
    assert snap_noded(np.array([shapely.Point(0, 0)])) is None
    assert snap_noded(np.array([], dtype=object)) is None


def test_rounding_is_half_up_as_geos_rounds() -> None:
    assert round_half_up(np.array([2.5, -2.5, 2.4999, -2.5001, 3.0])).tolist() == [3.0, -2.0, 2.0, -3.0, 3.0]


def test_near_pairs_offer_every_point_within_reach() -> None:
    rng = np.random.default_rng(5)
    points = rng.uniform(0, 1000, (3000, 2))
    p0 = rng.uniform(0, 1000, (200, 2))
    p1 = p0 + rng.normal(0, 300, (200, 2))
    found, seg = near_pairs(points, p0, p1, 2.0)
    offered = set(zip(found.tolist(), seg.tolist(), strict=True))
    k, s = np.meshgrid(np.arange(len(points)), np.arange(len(p0)), indexing="ij")
    d = point_to_segment_m(points[k.ravel()], p0[s.ravel()], p1[s.ravel()])
    within = set(zip(k.ravel()[d <= 2.0].tolist(), s.ravel()[d <= 2.0].tolist(), strict=True))
    assert within and within <= offered
    assert len(offered) < len(points) * len(p0) / 20  # a few candidates each, not all


@pytest.mark.parametrize("seed", range(6))
def test_near_pairs_reach_a_third_cell(seed: int) -> None:
    """Cells as small as they go (four reaches): a chunk of a cell, grown by the reach, spans three cells across.

    Points dense enough that the cells are 8 m for a reach of 2 m, segments up to 30 m: every
    point within reach of a segment is offered, as measuring every pair finds (GEOS's formula).
    """
    rng = np.random.default_rng(40 + seed)
    points = rng.uniform(0, 100, (2500, 2))
    p0 = rng.uniform(0, 100, (300, 2))
    p1 = p0 + rng.uniform(-30, 30, (300, 2))
    p1[:50, 1] = p0[:50, 1]  # some along the axes, a cell long
    p1[:50, 0] = p0[:50, 0] + 8.0
    found, seg = near_pairs(points, p0, p1, 2.0)
    offered = set(zip(found.tolist(), seg.tolist(), strict=True))
    k, s = np.meshgrid(np.arange(len(points)), np.arange(len(p0)), indexing="ij")
    d = point_to_segment_m(points[k.ravel()], p0[s.ravel()], p1[s.ravel()])
    within = set(zip(k.ravel()[d <= 2.0].tolist(), s.ravel()[d <= 2.0].tolist(), strict=True))
    assert within and not within - offered


def test_squared_distance_is_geos_distance_squared() -> None:
    """Points beside, before, beyond and on segments in a park's coordinates, and segments of no length: the
    square of GEOS's point–line distance to within 10⁻¹¹ m (``sqrt`` of it)."""
    rng = np.random.default_rng(11)
    n = 20_000
    a = rng.uniform(0, 2000, (n, 2)) + np.array([X0, Y0])
    b = a + rng.normal(0, 200, (n, 2))
    b[:500] = a[:500]  # no length
    p = a + rng.uniform(-1.5, 2.5, (n, 1)) * (b - a) + rng.normal(0, 50, (n, 2))
    p[500:1000] = a[500:1000] + 0.5 * (b[500:1000] - a[500:1000])  # on the segment, to rounding
    got = squared_distance_m2(p[:, 0], p[:, 1], a[:, 0], a[:, 1], b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    want = shapely.distance(shapely.points(p), shapely.linestrings(np.stack([a, b], axis=1)))
    want[:500] = shapely.distance(shapely.points(p[:500]), shapely.points(a[:500]))
    assert np.abs(np.sqrt(got) - want).max() < 1e-11
    assert np.abs(np.sqrt(got[:500]) - np.hypot(*(p[:500] - a[:500]).T)).max() < 1e-12  # its point


def _network(geoms: np.ndarray, levels: list[int] | None = None):
    lines = gpd.GeoDataFrame({"line_id": [f"L{k}" for k in range(len(geoms))]}, geometry=geoms, crs=4545)
    lines["in_service"] = True
    if levels is not None:
        lines["level"] = levels
    return lines


def _geos_noder(joined: np.ndarray) -> np.ndarray:
    return _geos(joined)


@pytest.mark.parametrize("levels", [None, [0, 1, 0, 0]])
def test_the_graph_is_the_one_geos_noding_gives(levels: list[int] | None) -> None:
    """build_network on slanted lines: the same edges, lines, lengths and nodes as with GEOS's noding; lines of two
    levels (a bridge crossing a street, ramps ending on it) meet only where one ends on the other."""
    geoms = _lines(
        [(0, 0), (100, 30)],  # a street
        [(50, -40), (40, 60)],  # crosses it (a bridge when levels are given)
        [(10, 3), (5, -20)],  # ends on the street: a T
        [(80, 30), (43.5, 30)],  # a ramp ending half a metre short of the second line (at y = 30, x = 43): a connector
    )
    lines = _network(geoms, levels)
    got = build_network("road", lines)
    want = build_network("road", lines, noder=_geos_noder)
    assert got is not None and want is not None
    pd.testing.assert_frame_equal(pd.DataFrame(got.edges.drop(columns="geometry")), want.edges.drop(columns="geometry"))
    assert shapely.equals_identical(got.edges.geometry.to_numpy(), want.edges.geometry.to_numpy()).all()
    np.testing.assert_array_equal(got.nodes, want.nodes)
    count = got.edges.loc[got.edges["length_m"] > 1.0, "line_id"].value_counts()  # the connector aside
    # at one level the crossing line is cut where it crosses the street (44.66, 13.40) and at the ramp's connector, and
    # the street where the T and the crossing line meet it; as a bridge it is cut only at the ramp's join (another
    # level's end on it) and the street only at the T
    assert (count["L1"], count["L0"]) == ((2, 2) if levels else (3, 3))
