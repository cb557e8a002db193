"""The line each noded piece came from, found by numpy distances, against GEOS measuring every pair.

:func:`planner.infra.owners.owners` measures the candidate segments near each middle with
numpy (GEOS's point-to-segment formula) and asks GEOS only within a nanometre of 1 cm. The
reference here measures every (point, line) pair with ``shapely.distance`` (no candidates, no
cells) and, where not exactly one line is within 1 cm, takes the first a tree of the lines
returns, else the nearest line, as the docstring says.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import planner.infra.network as network_module
from planner.infra.network import build_network
from planner.infra.owners import grid_nodes, line_ends, middles, noded_owners, owners
from planner.infra.snapround import snap_noded


def _reference(geoms: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = shapely.points(points)
    within = shapely.distance(pts[:, None], geoms[None, :]) <= 0.01  # every pair, by GEOS
    owner = np.full(len(pts), -1)
    for k in range(len(pts)):
        hits = np.flatnonzero(within[k])
        if len(hits) == 1:
            owner[k] = hits[0]
            continue
        tree = shapely.STRtree(geoms)
        first = tree.query(pts[k], predicate="dwithin", distance=0.01)
        owner[k] = first[0] if len(first) else tree.query_nearest(pts[k])[0]
    return owner


def _slanted_layer(rng: np.random.Generator, n: int) -> np.ndarray:
    """Slanted lines of one to four segments on the 1 mm grid, some doubled 5 mm aside, one of several parts."""
    lines = []
    for _ in range(n):
        start = rng.uniform(0, 200, 2)
        steps = rng.uniform(-60, 60, (int(rng.integers(1, 5)), 2))
        lines.append(shapely.linestrings(np.rint(np.vstack([start, start + np.cumsum(steps, axis=0)]) * 1000) / 1000))
    geoms = np.array(lines, dtype=object)
    beside = shapely.transform(geoms[:3], lambda c: np.rint((c + np.array([0.005, 0.003])) * 1000) / 1000)
    parts = shapely.multilinestrings([geoms[3], geoms[4]])  # a line of two parts: their join is no segment
    return np.concatenate([geoms, beside, [parts]])


def _points_near(rng: np.random.Generator, geoms: np.ndarray, m: int) -> np.ndarray:
    """Points on the lines, 0–2 cm off them square to a segment, a few at exactly 1 cm by the formula."""
    line = rng.integers(0, len(geoms), m)
    on = shapely.line_interpolate_point(geoms[line], rng.uniform(0, 1, m), normalized=True)
    xy = shapely.get_coordinates(on)
    angle = rng.uniform(0, 2 * np.pi, m)
    off = np.where(rng.uniform(size=m) < 0.2, 0.01, rng.uniform(0, 0.02, m))
    return xy + off[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])


@pytest.mark.parametrize("seed", range(12))
def test_owners_are_those_geos_measures(seed: int) -> None:
    rng = np.random.default_rng(700 + seed)
    geoms = _slanted_layer(rng, int(rng.integers(8, 30)))
    points = _points_near(rng, geoms, 400)
    got = owners(geoms, points)
    want = _reference(geoms, points)
    np.testing.assert_array_equal(got, want)
    # the cases the test is for are there: sole owners, two lines within 1 cm, none within 1 cm
    counts = (shapely.distance(shapely.points(points)[:, None], geoms[None, :]) <= 0.01).sum(axis=1)
    assert (counts == 1).any() and (counts == 0).any()
    if seed % 3 == 0:
        assert (counts >= 2).any()


def test_the_join_of_two_parts_is_no_segment() -> None:
    """A point 5 mm off the straight join of a line's two parts is 5 m from that line: the line beside owns it."""
    two_parts = shapely.multilinestrings(
        [shapely.linestrings([(0, 0), (10, 0)]), shapely.linestrings([(20, 0), (30, 0)])]
    )
    beside = shapely.linestrings([(10, 5), (20, 5)])
    geoms = np.array([two_parts, beside], dtype=object)
    points = np.array([[15.0, 0.005], [15.0, 5.004], [5.0, 0.009]])
    np.testing.assert_array_equal(owners(geoms, points), [1, 1, 0])  # the first: none within 1 cm; the nearest line


def _noded_middles(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lines snap-rounded: each piece's line and middle."""
    noding = snap_noded(geoms)
    assert noding is not None
    starts, ends, count = line_ends(noding.pieces)
    return noding.line, middles(noding.pieces, starts, ends, count)


def _crossing_layer(rng: np.random.Generator) -> np.ndarray:
    """Slanted lines, some doubled 5 mm aside, lines crossing them at 1–3° (short stretches within 1 cm of
    another line about the crossing), and short lines ending 3–9 mm short of another (no node)."""
    geoms = _slanted_layer(rng, 12)[:-1]  # linestrings only: snap rounding's input
    xy = shapely.get_coordinates(geoms[:6])
    steep = []
    for k in range(0, 12, 2):
        a, b = xy[k], xy[k + 1]
        mid, angle = (a + b) / 2, np.arctan2(*(b - a)[::-1]) + np.radians(rng.uniform(1, 3))
        reach = rng.uniform(5, 30) * np.array([np.cos(angle), np.sin(angle)])
        steep.append(shapely.linestrings(np.rint(np.vstack([mid - reach, mid + reach]) * 1000) / 1000))
        normal = np.array([-(b - a)[1], (b - a)[0]]) / np.hypot(*(b - a))
        stub = a + (b - a) * rng.uniform(0.2, 0.8) + normal * rng.uniform(0.003, 0.009)
        steep.append(shapely.linestrings(np.vstack([stub, stub + normal * 4])))
    return np.concatenate([geoms, np.array(steep, dtype=object)])


@pytest.mark.parametrize("seed", range(10))
def test_owners_sure_from_the_noding_are_those_the_search_finds(seed: int) -> None:
    """Where :func:`noded_owners` is sure, the search (checked against GEOS above) finds the same line; the cases it
    must leave to the search are there, and it leaves them."""
    rng = np.random.default_rng(1300 + seed)
    geoms = _crossing_layer(rng)
    line, mid = _noded_middles(geoms)
    got = noded_owners(geoms, len(geoms) - 2, line, mid)  # the last two as connectors: never sure
    want = owners(geoms[: len(geoms) - 2], mid)
    sure = got >= 0
    np.testing.assert_array_equal(got[sure], want[sure])
    assert not sure[line >= len(geoms) - 2].any()
    lines_within = (shapely.distance(shapely.points(mid)[:, None], geoms[None, :]) <= 0.01).sum(axis=1)
    assert (lines_within >= 2).any() and not sure[lines_within >= 2].any()  # doubled, crossing at 1–3°, stubs
    assert sure.mean() > 0.3  # many are sure even here, among lines made to come close: the search is spared


def test_a_line_ending_5_mm_from_a_pieces_middle_leaves_the_piece_to_the_search() -> None:
    """No node where a line stops 5 mm short of another; the long piece's middle has two lines within 1 cm."""
    geoms = np.array([shapely.linestrings([(0, 0), (100, 0)]), shapely.linestrings([(50, 0.005), (50, 5)])])
    line, mid = _noded_middles(geoms)
    np.testing.assert_array_equal(line, [0, 1])
    np.testing.assert_array_equal(noded_owners(geoms, 2, line, mid), [-1, 1])
    far = np.array([shapely.linestrings([(0, 0), (100, 0)]), shapely.linestrings([(50, 0.05), (50, 5)])])
    np.testing.assert_array_equal(noded_owners(far, 2, *_noded_middles(far)), [0, 1])  # 5 cm: sure


def test_a_short_line_with_a_line_passing_8_mm_beyond_its_end_is_left_to_the_search() -> None:
    """The other line crosses the short line's own line, not the short line: no node; both within 1 cm of its middle."""
    geoms = np.array([shapely.linestrings([(0, 0), (0.01, 0.001)]), shapely.linestrings([(0.013, -5), (0.013, 5)])])
    line, mid = _noded_middles(geoms)
    assert (shapely.distance(shapely.points(mid[line == 0]), geoms[1]) < 0.01).all()
    assert (noded_owners(geoms, 2, line, mid)[line == 0] == -1).all()


@pytest.mark.parametrize("seed", range(3))
def test_a_slanted_networks_edges_keep_the_lines_the_search_alone_gives(seed: int, monkeypatch) -> None:
    rng = np.random.default_rng(1400 + seed)
    geoms = _crossing_layer(rng)
    lines = gpd.GeoDataFrame({"line_id": [f"L{k}" for k in range(len(geoms))]}, geometry=geoms, crs=4545)
    quick = build_network("water", lines)
    monkeypatch.setattr(network_module, "noded_owners", lambda joined, n, line, mid: np.full(len(line), -1))
    searched = build_network("water", lines)
    assert quick is not None and searched is not None
    np.testing.assert_array_equal(quick.edges["line_id"].to_numpy(), searched.edges["line_id"].to_numpy())
    assert shapely.equals(quick.edges.geometry.values, searched.edges.geometry.values).all()


@pytest.mark.parametrize("seed", range(4))
def test_grid_nodes_are_numpys_unique_of_the_rounded_points(seed: int) -> None:
    """The nodes and each end's node, as ``np.unique(np.round(points, 3), axis=0)`` gives them (sorted by x, then y)."""
    rng = np.random.default_rng(900 + seed)
    base = rng.uniform(-5e5, 3.5e6, 2) if seed else np.zeros(2)
    points = base + np.round(rng.uniform(0, 2000, (3000, 2)), 1)
    points = np.vstack([points, points[rng.integers(0, 3000, 2000)] + rng.uniform(-4e-4, 4e-4, (2000, 2))])
    want_nodes, want_inverse = np.unique(np.round(points, 3), axis=0, return_inverse=True)
    nodes, inverse = grid_nodes(points)
    np.testing.assert_array_equal(nodes, want_nodes)  # the same doubles
    np.testing.assert_array_equal(inverse, want_inverse.ravel())
    assert len(nodes) < len(points)  # points that round together share a node
