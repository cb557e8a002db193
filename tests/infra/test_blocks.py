"""Kernels worked out a block of rows at a time give what they give over all rows at once."""

from __future__ import annotations

import numpy as np

from bench.readiness import synthetic
from planner.infra.blocks import by_blocks
from planner.infra.network import build_network
from planner.infra.snapround import squared_distance_m2
from planner.infra.tap_pairs import _Candidates, parcel_shapes


def test_blocks_give_every_row_its_own_value_in_order() -> None:
    rows = np.arange(10, 33)[::-1]  # 23 rows: blocks of 5, the last of 3
    calls: list[int] = []

    def kernel(part: np.ndarray) -> np.ndarray:
        calls.append(len(part))
        return (part * 2).astype(np.int32)

    got = by_blocks(kernel, rows, block=5)
    assert calls == [5, 5, 5, 5, 3]
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, rows * 2)
    assert len(by_blocks(kernel, rows[:0], block=5)) == 0


def test_the_circle_bound_by_blocks_is_the_one_over_all_pairs() -> None:
    """The taps' circle bound (``least_apart``) of a slanted park's candidate pairs, worked out in blocks, equals
    the same formula over all pairs at once (the distance from each edge to the parcel's circle's centre, less
    its radius), bit for bit."""
    parcels, layers, sources = synthetic(2000, rotate_deg=17)
    network = build_network("road", layers["road"], sources)
    assert network is not None
    shapes = parcel_shapes(parcels.reset_index(drop=True))
    _, tree = network.tap_edges
    cand = _Candidates.of(tree, network.edges.geometry.to_numpy(), shapes, 40.0)
    every = np.arange(len(cand.parcel))
    assert len(every) > 3 * 1000
    centre, radius = cand.circle
    p, e = cand.parcel, cand.edge
    a, b = cand.start[e], cand.end[e]
    want = np.sqrt(squared_distance_m2(centre[p, 0], centre[p, 1], a[:, 0], a[:, 1], *(b - a).T)) - radius[p]
    np.testing.assert_array_equal(by_blocks(cand._least_apart, every, block=1000), want)
    np.testing.assert_array_equal(cand.least_apart(every[::-1]), want[::-1])
