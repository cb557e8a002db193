"""The hot pixels segments pass through, found from cells: those a test of every pixel and segment finds."""

from __future__ import annotations

import numpy as np
import pytest

from planner.infra.hotpixels import _Cells, _pixel_meets, pixel_hits

X0, Y0 = 520_000.0, 3_500_000.0


@pytest.mark.parametrize("seed", range(8))
def test_pixel_hits_are_every_pixel_a_segment_passes_through(seed: int) -> None:
    """Pixels spread over a few millimetres to a few kilometres; segments from pixel to pixel (ends within half a
    millimetre of their own pixels, as snap rounding's are), short and long: every (segment, pixel) pair is tested."""
    rng = np.random.default_rng(seed)
    spread = [0.004, 0.05, 1.0, 40.0, 800.0, 3000.0, 0.01, 5.0][seed]
    ends = np.round(rng.uniform(0, spread, (250, 2)) * 1000.0 + [X0 * 1000.0, Y0 * 1000.0])
    a, b = rng.integers(0, len(ends), 150), rng.integers(0, len(ends), 150)
    keep = (ends[a] != ends[b]).any(axis=1)
    a, b = a[keep], b[keep]
    p0 = (ends[a] + rng.uniform(-0.5, 0.5, (len(a), 2))) / 1000.0
    p1 = (ends[b] + rng.uniform(-0.5, 0.5, (len(a), 2))) / 1000.0
    # more pixels on and beside the segments (where other lines cross them)
    on = rng.integers(0, len(a), 400)
    along = p0[on] + (p1[on] - p0[on]) * rng.uniform(0, 1, (400, 1)) + rng.normal(0, 0.0006, (400, 2))
    pixels = np.unique(np.vstack([ends, np.floor(along * 1000.0 + 0.5)]), axis=0)
    a = np.searchsorted(pixels[:, 0] + 1j * pixels[:, 1], ends[a, 0] + 1j * ends[a, 1])
    b = np.searchsorted(pixels[:, 0] + 1j * pixels[:, 1], ends[b, 0] + 1j * ends[b, 1])
    seg, pix = pixel_hits(p0, p1, pixels, a, b, 0.001)
    s, h = (m.ravel() for m in np.meshgrid(np.arange(len(a)), np.arange(len(pixels)), indexing="ij"))
    other = (h != a[s]) & (h != b[s])
    s, h = s[other], h[other]
    meets = _pixel_meets(p0[s] * 1000.0, p1[s] * 1000.0, pixels[h])
    assert meets.any()
    want = sorted(zip(s[meets].tolist(), h[meets].tolist(), strict=True))
    assert list(zip(seg.tolist(), pix.tolist(), strict=True)) == want  # each once, by segment then pixel


def test_a_pixel_is_half_open_as_geos_has_it() -> None:
    """A segment along a pixel's left or bottom side passes through it, along its right or top side not."""
    centre = np.array([[10.0, 10.0]] * 4)
    a = np.array([[9.5, 8.0], [10.5, 8.0], [8.0, 9.5], [8.0, 10.5]])
    b = np.array([[9.5, 12.0], [10.5, 12.0], [12.0, 9.5], [12.0, 10.5]])
    assert _pixel_meets(a, b, centre).tolist() == [True, False, True, False]


def test_one_pixel_besides_a_segments_own_two_is_tested() -> None:
    """A segment whose cells hold its own two pixels and one more, which it passes through."""
    pixels = np.array(
        [[X0 * 1000.0, Y0 * 1000.0], [X0 * 1000.0 + 5.0, Y0 * 1000.0 + 2.0], [X0 * 1000.0 + 10, Y0 * 1000.0 + 4]]
    )
    p0, p1 = pixels[[0]] / 1000.0, pixels[[2]] / 1000.0
    seg, pix = pixel_hits(p0, p1, pixels, np.array([0]), np.array([2]), 0.001)
    assert (seg.tolist(), pix.tolist()) == ([0], [1])


def test_a_chunk_reaching_into_a_third_cell_offers_its_points() -> None:
    """A segment a little shorter than a cell, starting just past a cell's side: grown by the reach it meets three
    cells across; a point within reach beyond its far end, in the third, is offered."""
    rng = np.random.default_rng(0)
    points = np.vstack([[[0.0, 0.0], [100.0, 100.0]], rng.uniform(0, 100, (400, 2))])  # their envelope fixed
    cells = _Cells.of(points, 0.01)
    side, (ox, oy), reach = 1.0 / cells.inv, cells.origin, 0.2
    x_a = ox + side * 3 + reach / 2  # its grown start in cell 2
    x_b = x_a + side - reach / 2  # its grown end past cell 3, in cell 4
    y = oy + side * 4.5
    points[-2:] = [[x_b + 0.9 * reach, y], [x_a - 0.9 * reach, y]]
    cells = _Cells.of(points, 0.01)
    assert 1.0 / cells.inv == side and cells.origin == (ox, oy)  # the cells are those the two points were placed in
    found, _ = cells.near(np.array([[x_a, y]]), np.array([[x_b, y]]), reach)
    assert {len(points) - 2, len(points) - 1} <= set(found.tolist())
