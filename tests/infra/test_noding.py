"""The axis-parallel noder gives GEOS's snap-rounded segments exactly: the same pieces, coordinates, order."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.infra.network import build_network
from planner.infra.noding import GRID_M, AxisNoding, axis_noded


def _geos(geoms: np.ndarray) -> np.ndarray:
    """The noding of :func:`planner.infra.network.build_network` before: GEOS snap rounding on the 1 mm grid."""
    return shapely.get_parts(shapely.union_all(geoms, grid_size=GRID_M))


def _same(noding: AxisNoding | None, want: np.ndarray) -> None:
    assert noding is not None
    got = noding.pieces
    assert [g.wkt for g in got] == [w.wkt for w in want]  # readable on failure
    assert len(got) == len(want)
    assert shapely.equals_identical(got, want).all()  # every coordinate to the bit, each piece's direction, the order


def _random_layer(rng: np.random.Generator, n: int, step: float, size: int) -> np.ndarray:
    """``n`` horizontal or vertical segments with ends on a coarse grid (step ``step`` m) far from the origin."""
    x0, y0 = 520_000.0, 3_500_000.0
    lines = []
    for _ in range(n):
        fixed = rng.integers(0, size)
        lo, hi = np.sort(rng.choice(size + 1, 2, replace=False))
        a, b = (lo, hi) if rng.random() < 0.5 else (hi, lo)
        if rng.random() < 0.5:
            coords = [(x0 + fixed * step, y0 + a * step), (x0 + fixed * step, y0 + b * step)]
        else:
            coords = [(x0 + a * step, y0 + fixed * step), (x0 + b * step, y0 + fixed * step)]
        lines.append(shapely.LineString(np.rint(np.array(coords) * 1000.0) / 1000.0))  # on the grid as GEOS rounds
    geoms = np.array(lines, dtype=object)
    if n > 3:  # the same line again, and reversed
        geoms = np.concatenate([geoms, geoms[rng.integers(0, n, 2)], shapely.reverse(geoms[rng.integers(0, n, 2)])])
    return geoms


@pytest.mark.parametrize("seed", range(40))
def test_random_axis_layers_are_noded_as_geos_does(seed: int) -> None:
    """Random layers of crossings, T-junctions, shared ends, collinear overlaps, duplicates and reversed lines."""
    rng = np.random.default_rng(seed)
    step = [0.001, 0.007, 1.0, 120.0][seed % 4]  # a millimetre grid up to a street grid
    geoms = _random_layer(rng, int(rng.integers(1, 60)), step, int(rng.integers(2, 12)))
    _same(axis_noded(geoms), _geos(geoms))


def test_hand_worked_cases() -> None:
    """Cases worked out by hand: a crossing, a T, a shorter line inside a longer one (first and second)."""
    lines = shapely.linestrings
    cross = np.array([lines([(0, 0), (10, 0)]), lines([(5, 5), (5, -5)])])
    got = axis_noded(cross)
    assert got is not None
    assert [g.wkt for g in got.pieces] == [
        "LINESTRING (0 0, 5 0)",
        "LINESTRING (5 0, 10 0)",
        "LINESTRING (5 5, 5 0)",
        "LINESTRING (5 0, 5 -5)",
    ]
    inside_first = np.array([lines([(2, 0), (4, 0)]), lines([(10, 0), (0, 0)])])
    got = axis_noded(inside_first)
    assert got is not None
    # the shared piece once, as the first line gave it; the long line's other pieces in its direction
    assert [g.wkt for g in got.pieces] == ["LINESTRING (2 0, 4 0)", "LINESTRING (10 0, 4 0)", "LINESTRING (2 0, 0 0)"]
    _same(got, _geos(inside_first))


def test_other_layers_are_left_to_geos() -> None:
    """A slanted line, an end off the grid, a bent line: not noded here (None)."""
    lines = shapely.linestrings
    assert axis_noded(np.array([lines([(0, 0), (10, 0)]), lines([(0, 0), (3, 4)])])) is None
    assert axis_noded(np.array([lines([(0, 0), (10.0004, 0)])])) is None
    assert axis_noded(np.array([lines([(0, 0), (10, 0), (10, 5)])])) is None
    assert axis_noded(np.array([], dtype=object)) is None


def _geos_noder(joined: np.ndarray) -> np.ndarray:
    """GEOS's noding, as :func:`build_network` did it for every layer before (a ``noder`` turns the numpy one off)."""
    noded = _geos(joined)
    out: np.ndarray = noded[shapely.length(noded) > 0]
    return out


@pytest.mark.parametrize("seed", range(30))
def test_random_axis_networks_are_built_as_before(seed: int) -> None:
    """The whole graph — edges, their lines, nodes, tied sources, problems — is the one GEOS's noding gives.

    Layers with lines 5 mm apart, ends short of a line (connectors), shared stretches and
    short pieces, so that the owners found from the noding and those found by distance meet.
    """
    rng = np.random.default_rng(100 + seed)
    step = [0.25, 1.0, 120.0, 0.5, 120.0][seed % 5]
    geoms = _random_layer(rng, int(rng.integers(2, 60)), step, int(rng.integers(3, 25)))
    if seed % 2:  # lines 5 mm beside others (or along them): not spaced
        shift = np.array([0.005, 0.0])
        moved = shapely.transform(geoms[: int(rng.integers(1, 4))], lambda c: np.rint((c + shift) * 1000) / 1000)
        geoms = np.concatenate([geoms, moved])
    lines = gpd.GeoDataFrame({"line_id": [f"L{k}" for k in range(len(geoms))]}, geometry=geoms, crs=4545)
    lines["in_service"] = True
    x, y = shapely.get_coordinates(geoms[rng.integers(0, len(geoms), 3)]).T[:, ::2]
    sources = gpd.GeoDataFrame(
        {
            "source_id": ["S0", "S1", "S2"],
            "network": "water",
            "kind": "waterworks",
            "name": "水厂",
            "capacity_m3d": 1000.0,
            "in_service": True,
        },
        geometry=shapely.points(x + rng.uniform(-0.2, 0.2, 3) * step, y),  # beside a line, somewhere along it
        crs=4545,
    )
    got = build_network("water", lines, sources)
    want = build_network("water", lines, sources, noder=_geos_noder)
    assert got is not None and want is not None
    pd.testing.assert_frame_equal(pd.DataFrame(got.edges.drop(columns="geometry")), want.edges.drop(columns="geometry"))
    assert shapely.equals_identical(got.edges.geometry.to_numpy(), want.edges.geometry.to_numpy()).all()
    np.testing.assert_array_equal(got.nodes, want.nodes)
    pd.testing.assert_frame_equal(got.sources, want.sources)
    assert [str(p) for p in got.problems] == [str(p) for p in want.problems]
