"""The line each noded piece came from, found by numpy distances, against GEOS measuring every pair.

:func:`planner.infra.owners.owners` measures the candidate segments near each middle with
numpy (GEOS's point-to-segment formula) and asks GEOS only within a nanometre of 1 cm. The
reference here measures every (point, line) pair with ``shapely.distance`` (no candidates, no
cells) and, where not exactly one line is within 1 cm, takes the first a tree of the lines
returns, else the nearest line, as the docstring says.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from planner.infra.owners import grid_nodes, owners


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
