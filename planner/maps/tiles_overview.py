"""Overview tiles for zooms 0–11: each look (fill, idle rule, per-mu class) drawn as merged pixels, not parcels.

At zoom 11 and below a parcel is a few screen pixels at most and a park of 100,000 parcels covers
a handful of tiles holding thousands of parcels each; one feature per parcel (or the encoder's
groups of 64 parcels' full outlines) makes tiles of hundreds of kilobytes that draw slowly. An
overview tile instead holds, per look, the screen pixels that look covers: the parcels are burnt
once into a raster of zoom 11's screen pixels (a pixel takes the look of the parcel covering its
centre; the pixel holding a parcel's centre always takes that parcel's look, so no parcel
vanishes), coarser zooms take each block's first covered pixel, and a tile is its pixels by look
as rectangles (runs along each row, joined with the same runs in the rows below; up to
:data:`~planner.maps.tiles.MERGE_CHUNK` a feature), on the 16-unit grid of a screen pixel,
encoded with numpy at once. Tracing the pixels' outlines instead (``rasterio.features.shapes``)
made tiles about a third smaller but took 6–9× longer to cut (100,000 parcels, zoom 10: 300 ms
against 41 ms a tile). The features carry the crowded tiles' properties — ``fill``,
``idle_rule``, ``eval_class`` and ``parcels`` (the parcels of that look whose centre lies in the
tile, on the look's first feature there) — so the page draws them as it draws crowded tiles.

An :class:`Overview` is made once per state of the park (the server keeps it per change stamp);
each zoom's raster is made when that zoom is first asked for.
"""

from __future__ import annotations

import threading
from typing import Self

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from rasterio import features as rio_features

from planner.maps.tiles import (
    BUFFER,
    EXTENT,
    MERGE_CHUNK,
    SIMPLIFY,
    ParcelTiles,
    _tags,
    _tile,
    _varints,
    _world_and_properties,
    _zigzag,
    check_tile,
)

_MOVE_TO, _LINE_TO, _CLOSE_PATH = 1, 2, 7

__all__ = ["LOOK", "OVERVIEW_MAX_ZOOM", "Overview"]

OVERVIEW_MAX_ZOOM = 11
"""The deepest zoom drawn from the overview; deeper tiles hold each parcel."""
LOOK = ("fill", "idle_rule", "eval_class")
"""The properties a look is made of (as in the encoder's crowded tiles)."""
_PIXELS = int(EXTENT // SIMPLIFY)
"""Screen pixels along a tile's side (256)."""
_PAD = int(BUFFER // SIMPLIFY)
"""Screen pixels of the tile's buffer (4)."""


class _Level:
    """One zoom's raster of look codes (0: no parcel), its origin in the zoom's pixels, and the parcels by tile."""

    def __init__(self, raster: np.ndarray, col0: int, row0: int, z: int, centres: np.ndarray, codes: np.ndarray):
        n_px = 2**z * _PIXELS
        col = np.floor(centres[:, 0] * n_px).astype(np.int64)
        row = np.floor(centres[:, 1] * n_px).astype(np.int64)
        raster = raster.copy()
        raster[row - row0, col - col0] = codes + 1  # the pixel of each parcel's centre shows its look
        self.raster, self.col0, self.row0 = raster, col0, row0
        key = pd.DataFrame({"tx": col // _PIXELS, "ty": row // _PIXELS, "code": codes, "col": col, "row": row})
        self.by_tile = {k: g for k, g in key.groupby(["tx", "ty"], sort=False)}  # noqa: C416 - dict() calls .keys


class Overview:
    """The overview of a park at one state: its parcels' looks burnt into rasters, cut into tiles on demand."""

    def __init__(self, world: np.ndarray, looks: pd.DataFrame, centres: np.ndarray, ids: np.ndarray | None = None):
        """``world``: the parcels in world coordinates (0…1, ``v`` down); ``looks``: their :data:`LOOK` columns;
        ``ids``: their ``parcel_id`` (the order they are burnt in: where two parcels share a pixel the later
        wins, so a park burns alike however its parcels were listed; without ids, as given)."""
        self._set(world, looks, centres, ids)
        self._base: tuple[np.ndarray, int, int] | None = None
        self._levels: dict[int, _Level] = {}
        self._lock = threading.Lock()
        self._tiles: ParcelTiles | None = None

    def _set(self, world: np.ndarray, looks: pd.DataFrame, centres: np.ndarray, ids: np.ndarray | None) -> None:
        shown = ~(shapely.is_empty(world) | shapely.is_missing(world)) if len(world) else np.zeros(0, dtype=bool)
        ids = np.arange(len(world)).astype(str) if ids is None else np.asarray(ids, dtype=object)
        order = np.flatnonzero(shown)
        order = order[np.argsort(ids[order], kind="stable")]
        world, centres = np.asarray(world, dtype=object)[order], np.asarray(centres, dtype=float).reshape(-1, 2)[order]
        table = looks[list(LOOK)].astype(object).reset_index(drop=True).iloc[order].reset_index(drop=True)
        table = table.where(table.notna(), None)
        keys = list(zip(*(table[k] for k in LOOK), strict=True)) if len(table) else []
        uniques = sorted(set(keys), key=lambda t: tuple("" if v is None else str(v) for v in t))
        index = {k: i for i, k in enumerate(uniques)}
        self.codes = np.array([index[k] for k in keys], dtype=np.int64)
        looks_table = pd.DataFrame(uniques, columns=list(LOOK), dtype=object) if uniques else table.iloc[:0]
        self.looks = looks_table.where(looks_table.notna(), None)
        self.world, self.centres, self.ids = world, centres, ids[order]

    @classmethod
    def from_tiles(cls, tiles: ParcelTiles) -> Self:
        """From the encoder's index of the park (its live entries: no parcel transformed again)."""
        alive = tiles._alive
        props = tiles.properties.loc[alive]
        made = cls(tiles.world[alive], props[list(LOOK)], tiles.centres[alive], props["parcel_id"].to_numpy())
        made._tiles = tiles
        return made

    def refresh(self, parcels: object, changed: list[str], stamp: int) -> bool:
        """Follow an edit of the park, after the encoder's index it was made from followed it (False: make again).

        Only zoom 11's pixels within the box of the changed parcels (before and after) are burnt again, from
        the parcels meeting that box in the same order as a making from scratch burns them; the coarser zooms
        are made again from it when asked for. The tiles are those of an overview made anew.
        """
        if parcels is None or self._tiles is None:
            return False
        with self._lock:
            old_looks, old_world, old_ids, old_key = self.looks, self.world, self.ids, self._look_keys()
            tiles = self._tiles
            alive = tiles._alive
            props = tiles.properties.loc[alive]
            self._set(tiles.world[alive], props[list(LOOK)], tiles.centres[alive], props["parcel_id"].to_numpy())
            self._levels.clear()
            if self._base is not None:
                # the parcels edited, and those whose look moved with them (a class by rank quotas)
                new_key = self._look_keys()
                common = old_key.index.intersection(new_key.index)
                moved = common[(old_key.reindex(common) != new_key.reindex(common)).to_numpy()]
                redo = [*changed, *moved]
                touched = np.concatenate([old_world[np.isin(old_ids, redo)], self.world[np.isin(self.ids, redo)]])
                self._base = self._burnt_again(self._base, old_looks, touched)
        return True

    def _look_keys(self) -> pd.Series:
        """Each parcel's look as one text, by ``parcel_id``."""
        names = np.array(["\x1f".join(map(str, row)) for row in self.looks.itertuples(index=False)], dtype=object)
        return pd.Series(names[self.codes] if len(names) else [], index=self.ids, dtype=object)

    def _burnt_again(
        self, base: tuple[np.ndarray, int, int], old_looks: pd.DataFrame, touched: np.ndarray
    ) -> tuple[np.ndarray, int, int] | None:
        """The base raster with its codes renumbered for the looks now, and the pixels ``touched`` meets burnt again."""
        raster, col0, row0 = base
        key = [tuple(r) for r in self.looks.itertuples(index=False)]
        now = {k: i + 1 for i, k in enumerate(key)}
        lut = np.zeros(len(old_looks) + 1, dtype=np.int64)
        for i, k in enumerate(old_looks.itertuples(index=False)):
            lut[i + 1] = now.get(tuple(k), 0)
        if lut.max() > np.iinfo(raster.dtype).max:
            return None
        raster = lut[raster].astype(raster.dtype)
        if not len(touched):
            return raster, col0, row0
        n_px = 2**OVERVIEW_MAX_ZOOM * _PIXELS
        minu, minv, maxu, maxv = shapely.total_bounds(touched)
        c_lo, r_lo = int(np.floor(minu * n_px)) - col0 - 1, int(np.floor(minv * n_px)) - row0 - 1
        c_hi, r_hi = int(np.floor(maxu * n_px)) - col0 + 2, int(np.floor(maxv * n_px)) - row0 + 2
        if c_lo < 0 or r_lo < 0 or c_hi > raster.shape[1] or r_hi > raster.shape[0]:
            return None  # beyond the raster: made again when asked
        window = shapely.box((col0 + c_lo) / n_px, (row0 + r_lo) / n_px, (col0 + c_hi) / n_px, (row0 + r_hi) / n_px)
        bounds = shapely.bounds(self.world)
        w_min, w_max = shapely.bounds(window)[:2], shapely.bounds(window)[2:]
        meets = (bounds[:, 2] >= w_min[0]) & (bounds[:, 0] <= w_max[0]) & (bounds[:, 3] >= w_min[1])
        meets &= bounds[:, 1] <= w_max[1]
        at = np.flatnonzero(meets)
        part = np.zeros((r_hi - r_lo, c_hi - c_lo), dtype=raster.dtype)
        if len(at):
            to_pixels = Affine(1 / n_px, 0, (col0 + c_lo) / n_px, 0, 1 / n_px, (row0 + r_lo) / n_px)
            part = rio_features.rasterize(
                zip(self.world[at], self.codes[at] + 1, strict=True),
                out_shape=part.shape,
                transform=to_pixels,
                fill=0,
                dtype=raster.dtype.name,
            )
        raster = raster.copy()
        raster[r_lo:r_hi, c_lo:c_hi] = part
        return raster, col0, row0

    @classmethod
    def from_parcels(cls, parcels: gpd.GeoDataFrame, *, eval_class: pd.Series | None = None, gcj: bool = False) -> Self:
        """From parcels (any CRS) with ``ready``, ``missing`` and ``idle_rule``; ``eval_class`` by ``parcel_id``."""
        world, props = _world_and_properties(parcels, eval_class, gcj)
        centres = shapely.get_coordinates(shapely.centroid(world)) if len(world) else np.empty((0, 2))
        return cls(world, props, centres)

    def __len__(self) -> int:
        return len(self.world)

    # -- rasters ----------------------------------------------------------------------------------------------

    def _base_raster(self) -> tuple[np.ndarray, int, int]:
        """Zoom 11's raster of looks (pixel centres inside a parcel), and its origin in zoom 11's pixels."""
        if self._base is None:
            n_px = 2**OVERVIEW_MAX_ZOOM * _PIXELS
            minu, minv, maxu, maxv = shapely.total_bounds(self.world)
            col0, row0 = int(np.floor(minu * n_px)) - 1, int(np.floor(minv * n_px)) - 1
            width, height = int(np.floor(maxu * n_px)) - col0 + 2, int(np.floor(maxv * n_px)) - row0 + 2
            to_pixels = Affine(1 / n_px, 0, col0 / n_px, 0, 1 / n_px, row0 / n_px)  # v grows down, as rows do
            raster = rio_features.rasterize(
                zip(self.world, self.codes + 1, strict=True),
                out_shape=(height, width),
                transform=to_pixels,
                fill=0,
                dtype="uint16",  # a few hundred looks at most
            )
            self._base = (raster, col0, row0)
        return self._base

    def _level(self, z: int) -> _Level:
        with self._lock:
            found = self._levels.get(z)
            if found is None:
                base, col0, row0 = self._base_raster()
                f = 2 ** (OVERVIEW_MAX_ZOOM - z)
                # whole blocks of f × f zoom-11 pixels: pad the raster to the level's grid, then each block's first
                c0, r0 = col0 // f, row0 // f
                left, top = col0 - c0 * f, row0 - r0 * f
                w = -(-(left + base.shape[1]) // f)
                h = -(-(top + base.shape[0]) // f)
                padded = np.zeros((h * f, w * f), dtype=base.dtype)
                padded[top : top + base.shape[0], left : left + base.shape[1]] = base
                blocks = padded.reshape(h, f, w, f).transpose(0, 2, 1, 3).reshape(h, w, f * f)
                first = np.argmax(blocks > 0, axis=2)
                raster = np.take_along_axis(blocks, first[..., None], axis=2)[..., 0]
                found = self._levels[z] = _Level(raster, c0, r0, z, self.centres, self.codes)
            return found

    # -- tiles ------------------------------------------------------------------------------------------------

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The encoded overview tile z/x/y (``b""`` when no parcel lies in it or its buffer)."""
        check_tile(z, x, y)
        if z > OVERVIEW_MAX_ZOOM:
            msg = f"`z` was {z}; the overview is drawn at zooms 0…{OVERVIEW_MAX_ZOOM}"
            raise ValueError(msg)
        if not len(self.world):
            return b""
        level = self._level(z)
        # the tile and its buffer in the level's raster
        c_lo, r_lo = x * _PIXELS - _PAD - level.col0, y * _PIXELS - _PAD - level.row0
        c_hi, r_hi = c_lo + _PIXELS + 2 * _PAD, r_lo + _PIXELS + 2 * _PAD
        a_c, a_r = max(c_lo, 0), max(r_lo, 0)
        b_c, b_r = min(c_hi, level.raster.shape[1]), min(r_hi, level.raster.shape[0])
        rects = np.empty((0, 5), dtype=np.int64)
        if a_c < b_c and a_r < b_r:
            rects = _rectangles(level.raster[a_r:b_r, a_c:b_c])
            # to the tile's pixels: the window's corner is (a_c - c_lo - PAD, a_r - r_lo - PAD) pixels from the tile's
            rects[:, [0, 2]] += a_c - c_lo - _PAD
            rects[:, [1, 3]] += a_r - r_lo - _PAD
        counts = level.by_tile.get((x, y))
        return self._encode(rects, counts, x, y)

    def _encode(self, rects: np.ndarray, counts: pd.DataFrame | None, x: int, y: int) -> bytes:
        """Features of up to MERGE_CHUNK rectangles of one look; ``parcels`` on the look's first feature."""
        per_look = counts.groupby("code").size() if counts is not None else pd.Series(dtype=np.int64)
        lost = [c for c in per_look.index if c not in set(rects[:, 4].tolist())]
        if lost and counts is not None:  # a look whose every centre pixel another look's took: its first centre's
            first = counts[counts["code"].isin(lost)].drop_duplicates("code")
            col, row = first["col"].to_numpy() - x * _PIXELS, first["row"].to_numpy() - y * _PIXELS
            extra = np.column_stack([col, row, col + 1, row + 1, first["code"].to_numpy()])
            rects = np.concatenate([rects, extra.astype(np.int64)])
        if not len(rects):
            return b""
        rects = rects[np.argsort(rects[:, 4], kind="stable")]
        codes = rects[:, 4]
        rank = np.arange(len(codes)) - np.searchsorted(codes, codes)
        group_key = codes * (len(codes) + 1) + rank // MERGE_CHUNK
        groups, owner = np.unique(group_key, return_inverse=True)
        geometry, geometry_lengths = _rectangle_commands(rects[:, :4] * int(SIMPLIFY), owner, len(groups))
        group_code = groups // (len(codes) + 1)
        merged = self.looks.iloc[group_code].reset_index(drop=True)
        first_of_look = np.r_[True, group_code[1:] != group_code[:-1]]
        merged["parcels"] = np.where(first_of_look, per_look.reindex(group_code).fillna(0).to_numpy(), 0.0)
        keys, values, tags, tag_lengths = _tags(merged, (*LOOK, "parcels"))
        return _tile(None, geometry, geometry_lengths, tags, tag_lengths, keys, values)


def _rectangles(window: np.ndarray) -> np.ndarray:
    """The window's pixels of each look as rectangles: runs along each row, runs alike in the rows below joined.

    Rows of ``(col0, row0, col1, row1, code)`` (pixels; ``1`` past the end); code 0 (no parcel) left out.
    """
    h, w = window.shape
    if not h or not w:
        return np.empty((0, 5), dtype=np.int64)
    padded = np.zeros((h, w + 2), dtype=np.int64)
    padded[:, 1:-1] = window
    change = padded[:, 1:] != padded[:, :-1]  # (h, w + 1): a run starts or ends before this column
    rows, cols = np.nonzero(change)
    # within a row, boundaries alternate between the start of one run and the end of the one before
    starts_r, starts_c = rows, cols
    values = padded[rows, cols + 1]
    ends = np.r_[cols[1:], 0]
    same_row = np.r_[rows[1:] == rows[:-1], False]
    keep = (values > 0) & same_row & (starts_c < w)
    r, c0, c1, code = starts_r[keep], starts_c[keep], ends[keep], values[keep]
    # join a run to the one just above it when they span the same columns with the same look
    order = np.lexsort((r, c1, c0, code))
    r, c0, c1, code = r[order], c0[order], c1[order], code[order]
    new = np.r_[True, (code[1:] != code[:-1]) | (c0[1:] != c0[:-1]) | (c1[1:] != c1[:-1]) | (r[1:] != r[:-1] + 1)]
    block = np.cumsum(new) - 1
    top = r[new]
    bottom = np.zeros(len(top), dtype=np.int64)
    np.maximum.at(bottom, block, r + 1)
    return np.column_stack([c0[new], top, c1[new], bottom, code[new] - 1]).astype(np.int64)


def _rectangle_commands(boxes: np.ndarray, owner: np.ndarray, n_features: int) -> tuple[bytes, np.ndarray]:
    """The packed geometry of features made of rectangles (``x0, y0, x1, y1`` in tile units, grouped by
    ``owner`` ascending): per ring MoveTo, LineTo ×3, ClosePath, clockwise on the screen (a positive area)."""
    x0, y0, x1, y1 = boxes.T
    # the cursor ends each ring at its last corner (x0, y1); it starts at (0, 0) for each feature
    first = np.r_[True, owner[1:] != owner[:-1]]
    prev_x = np.where(first, 0, np.r_[0, x0[:-1]])
    prev_y = np.where(first, 0, np.r_[0, y1[:-1]])
    zero = np.zeros(len(boxes), dtype=np.int64)
    ints = np.column_stack([
        np.full(len(boxes), 1 << 3 | _MOVE_TO), _zigzag(x0 - prev_x), _zigzag(y0 - prev_y),
        np.full(len(boxes), 3 << 3 | _LINE_TO),
        _zigzag(x1 - x0), zero, zero, _zigzag(y1 - y0), _zigzag(x0 - x1), zero,
        np.full(len(boxes), 1 << 3 | _CLOSE_PATH),
    ]).astype(np.uint64)  # fmt: skip
    data, lengths = _varints(ints.reshape(-1))
    per_ring = lengths.reshape(-1, 11).sum(axis=1)
    return data, np.bincount(owner, weights=per_ring, minlength=n_features).astype(np.int64)
