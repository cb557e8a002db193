"""Where segments pass through hot pixels: GEOS's ``HotPixel::intersects`` for many at once, by numpy.

Used by :func:`planner.infra.snapround.snap_noded` (step 3 of its notes): the pixels are the
1 mm cells about the vertices and intersections, the segments the lines split at the
intersections; a segment passing through a pixel that holds neither of its ends is cut there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["pixel_hits"]


def pixel_hits(
    p0: np.ndarray, p1: np.ndarray, pixels: np.ndarray, own0: np.ndarray, own1: np.ndarray, grid_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """The (segment, pixel) pairs where the segment passes through a hot pixel that holds neither of its ends (GEOS's
    ``HotPixel::intersects``; ``pixels``: their centres, scaled to the grid of side ``grid_m``; ``own0``, ``own1``:
    the pixels of the segments' ends, which they pass through), each once, by segment then pixel.

    Most segments run from one hot pixel to the next with no other near: the pixels in the cells
    that their envelope (grown by 1 mm, more than a pixel's half diagonal) meets are counted at
    once (:class:`_Cells`), and only where there are more than their own two are pairs made.
    """
    scale = 1.0 / grid_m
    cells = _Cells.of(pixels / scale, 10.0 * grid_m)
    low = np.minimum(p0, p1) - grid_m
    high = np.maximum(p0, p1) + grid_m
    some = np.flatnonzero(cells.count_in(low, high) > 2)  # their own two pixels are among those counted
    h, s = cells.near(p0[some], p1[some], grid_m)
    s = some[s]
    other = (h != own0[s]) & (h != own1[s])
    h, s = h[other], s[other]
    # a pixel farther from the segment's line than its half diagonal (and a little) cannot meet it
    d = p1 - p0
    c = pixels[h] / scale - p0[s]
    reach = 0.75 * grid_m * np.hypot(d[:, 0], d[:, 1])
    near = np.abs(d[s, 0] * c[:, 1] - d[s, 1] * c[:, 0]) <= reach[s]
    h, s = h[near], s[near]
    hits = _pixel_meets(p0[s] * scale, p1[s] * scale, pixels[h])
    pair = np.unique(s[hits] * len(pixels) + h[hits])  # a pixel two chunks of a segment offered, once
    return pair // len(pixels), pair % len(pixels)


@dataclass
class _Cells:
    """Points in square cells (about ten cells a point), and the points in every rectangle of cells counted at once.

    The cell of a coordinate is ``floor((v - origin) * inv)``, the same rounded steps for the
    points and for what is looked up: never smaller for a greater ``v``.
    """

    origin: tuple[float, float]
    inv: float
    width: int
    key: np.ndarray  # each point's cell, row by row
    below: np.ndarray  # the points in the cells below and left of each cell (a summed-area table, its borders 0)

    @staticmethod
    def of(points: np.ndarray, least: float) -> _Cells:
        """The points in cells of a side of at least ``least``, at most 2048 to the wider side of their envelope."""
        low = points.min(axis=0) - 1.0
        extent = np.maximum(points.max(axis=0) + 1.0 - low, 1.0)
        side = max(float(np.sqrt(extent[0] * extent[1] * 0.1 / len(points))), float(extent.max()) / 2048.0, least)
        inv = 1.0 / side
        width, height = int(extent[0] * inv) + 3, int(extent[1] * inv) + 3
        gx = np.floor((points[:, 0] - low[0]) * inv).astype(np.int64)
        gy = np.floor((points[:, 1] - low[1]) * inv).astype(np.int64)
        key = gy * width + gx
        table = np.zeros((height + 1, width + 1), dtype=np.int64)
        table[1:, 1:] = np.bincount(key, minlength=width * height).reshape(height, width)
        np.cumsum(table, axis=0, out=table)
        np.cumsum(table, axis=1, out=table)
        return _Cells((float(low[0]), float(low[1])), inv, width, key, table.reshape(-1))

    def cell(self, v: np.ndarray, axis: int) -> np.ndarray:
        out: np.ndarray = np.floor((v - self.origin[axis]) * self.inv).astype(np.int64)
        return out

    def count_in(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """The points in the cells that the rectangles low → high meet."""
        x0, y0 = self.cell(low[:, 0], 0), self.cell(low[:, 1], 1)
        x1, y1 = self.cell(high[:, 0], 0) + 1, self.cell(high[:, 1], 1) + 1
        row = self.width + 1
        t = self.below
        out: np.ndarray = t[y1 * row + x1] - t[y0 * row + x1] - t[y1 * row + x0] + t[y0 * row + x0]
        return out

    def near(self, p0: np.ndarray, p1: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
        """(point, segment) pairs: every point within ``reach`` of segment p0 → p1 among them (some twice).

        Each segment is cut in chunks short enough that one grown by ``reach`` meets at most 2 × 2 cells.
        """
        d = p1 - p0
        parts = np.maximum(np.ceil(np.hypot(d[:, 0], d[:, 1]) * self.inv / (1.0 - 2.0 * reach * self.inv)), 1.0)
        parts = parts.astype(np.int64)
        seg = np.repeat(np.arange(len(p0)), parts + 1)
        step = np.arange(len(seg)) - np.repeat(np.cumsum(parts + 1) - parts - 1, parts + 1)
        at = p0[seg] + d[seg] * (step / parts[seg])[:, None]  # the ends of the chunks
        low = np.column_stack([self.cell(at[:, 0] - reach, 0), self.cell(at[:, 1] - reach, 1)])
        high = np.column_stack([self.cell(at[:, 0] + reach, 0), self.cell(at[:, 1] + reach, 1)])
        c = np.flatnonzero(step < parts[seg])  # the chunk from end c to end c + 1
        seg, low, high = seg[c], np.minimum(low[c], low[c + 1]), np.maximum(high[c], high[c + 1])
        base = low[:, 1] * self.width + low[:, 0]
        wide, tall = high[:, 0] > low[:, 0], high[:, 1] > low[:, 1]
        both = wide & tall
        keys = np.concatenate([base, base[wide] + 1, base[tall] + self.width, base[both] + self.width + 1])
        segs = np.concatenate([seg, seg[wide], seg[tall], seg[both]])
        in_cell = np.bincount(self.key, minlength=len(self.below))
        first = np.cumsum(in_cell) - in_cell  # where each cell's points start among them cell by cell
        count = in_cell[keys]
        at_ = np.repeat(first[keys] - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))
        return np.argsort(self.key, kind="stable")[at_], np.repeat(segs, count)


def _pixel_meets(a: np.ndarray, b: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """GEOS's ``HotPixel::intersectsScaled``: whether scaled segments a → b pass through the pixels about ``centre``.

    The pixel is the square of side 1 about its centre, its left and bottom sides in, its right and top out.
    """
    # leftmost end first
    swap = b[:, 0] < a[:, 0]
    a, b = np.where(swap[:, None], b, a), np.where(swap[:, None], a, b)
    a, b = a - centre, b - centre  # exact where they are within a factor of two (Sterbenz), as in a park's CRS
    lo, hi = -0.5, 0.5
    out = (
        (np.minimum(a[:, 0], b[:, 0]) >= hi)
        | (np.maximum(a[:, 0], b[:, 0]) < lo)
        | (np.minimum(a[:, 1], b[:, 1]) >= hi)
        | (np.maximum(a[:, 1], b[:, 1]) < lo)
    )
    straight = (a[:, 0] == b[:, 0]) | (a[:, 1] == b[:, 1])
    zero = np.zeros(len(a))

    def side(x: float, y: float) -> np.ndarray:
        return _orient(a, b, np.column_stack([zero + x, zero + y]))

    ul, ur, ll, lr = side(lo, hi), side(hi, hi), side(lo, lo), side(hi, lo)
    up = a[:, 1] < b[:, 1]
    down = a[:, 1] > b[:, 1]
    # GEOS's cascade, case by case in its order
    result = np.select(
        [
            ul == 0,
            ur == 0,
            ul != ur,
            ll == 0,
            ll != ul,
            lr == 0,
            ll != lr,
            lr != ur,
        ],
        [~up, ~down, True, True, True, ~up, True, True],
        default=False,
    )
    meets: np.ndarray = ~out & (straight | result)
    return meets


def _orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The side of points c of the lines a → b: 1 left, -1 right, 0 on it (in doubles, coordinates about a)."""
    det = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    out: np.ndarray = np.sign(det).astype(np.int8)
    return out
