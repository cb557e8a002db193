"""Vector tiles of a park's parcels: Mapbox Vector Tile 2.1 encoding for tile z/x/y.

Large parks do not fit in one HTML page (folium inlines every polygon as GeoJSON), so the
map draws their parcels from tiles the API serves (``/tiles/{z}/{x}/{y}.mvt``).

The tile grid is Web Mercator's (the XYZ scheme of every web basemap); nothing is ever
measured in it. Each parcel's stored Gauss–Krüger geometry is transformed to WGS84 once
(:meth:`ParcelTiles.from_parcels`), then to "world" coordinates ``u, v`` in 0…1 (``v``
down) by the spherical Mercator formula. A tile at zoom ``z`` covers ``2^-z`` of the
world; its parcels are found with an STRtree, moved to tile units (extent 4096),
simplified by about one screen pixel (16 units) keeping their topology, clipped to the
tile plus a buffer of 64 units (so outlines meet across tile edges), rounded to the
integer grid (the few shapes rounding makes invalid are repaired), and oriented as the specification says: exterior rings
with a positive surveyor's area in tile coordinates (clockwise on the screen, y down),
holes the other way. Parcels smaller than a screen pixel both ways are left out.

Each feature carries ``parcel_id``, ``fill`` (the readiness colour of the maps,
:func:`planner.maps.park.readiness_color`), ``area_mu``, ``status``, ``ready`` and, where
set, ``idle_rule`` and ``eval_class`` (the per-mu class), so the page can draw the
parcels, idle land and the per-mu classes from the same tiles.

The encoder is written here (a few dozen lines of protobuf: varints, zigzag, length
prefixes) and vectorised: the geometry commands of all the features of a tile are built
with numpy at once; only the framing of each feature's bytes is a Python loop.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Self

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.crs import wgs84_to_gcj02
from planner.maps.style import readiness_color

__all__ = [
    "BUFFER",
    "EXTENT",
    "LAYER",
    "MAX_ZOOM",
    "MERGE_ABOVE",
    "SIMPLIFY",
    "ParcelTiles",
    "lonlat_to_world",
    "tile_bounds_lonlat",
]

EXTENT = 4096
"""Tile units along a tile's side."""
BUFFER = 64
"""Tile units kept around the tile, so that outlines drawn by each tile apart meet at the edges."""
SIMPLIFY = EXTENT / 256
"""Simplification tolerance in tile units: one screen pixel of a 256-pixel tile."""
MAX_ZOOM = 24
"""Deepest zoom served (about 2 cm per screen pixel)."""
LAYER = "parcels"
"""Name of the tiles' one layer."""
MAX_LAT = 85.0511287798066
"""Web Mercator's edge: latitudes beyond are clamped."""

_KEYS = ("parcel_id", "fill", "area_mu", "status", "ready", "idle_rule", "eval_class")
_MERGED_KEYS = ("fill", "idle_rule", "eval_class")
MERGE_ABOVE = 2000
"""A tile showing more parcels than this (a park seen whole, each parcel a few pixels) carries features of up
to :data:`MERGE_CHUNK` parcels that look alike instead of one per parcel, and a click there asks to zoom in."""
MERGE_CHUNK = 64
"""Parcels in one merged feature. Measured at 100,000 parcels (the first view, 66,994 parcels drawn): one
feature per parcel 1.75 s, per 16 parcels 1.0 s, per 64 0.93 s, per 256 1.65 s, one per look 5.5 s — a
canvas fills a path of thousands of rings slowly."""
_POLYGON = 3  # GeomType.POLYGON
_MOVE_TO, _LINE_TO, _CLOSE_PATH = 1, 2, 7


def lonlat_to_world(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spherical Mercator to the unit square: ``u`` east from −180°, ``v`` down from the top edge.

    >>> [round(float(c), 6) for c in lonlat_to_world(np.array([0.0]), np.array([0.0]))[0]]
    [0.5]
    """
    lat = np.clip(np.asarray(lat, dtype=float), -MAX_LAT, MAX_LAT)
    u = (np.asarray(lon, dtype=float) + 180.0) / 360.0
    v = 0.5 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / (2 * np.pi)
    return u, v


def tile_bounds_lonlat(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of tile z/x/y in degrees."""
    n = 2.0**z

    def lat(v: float) -> float:
        return float(np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * v)))))

    return x / n * 360 - 180, lat((y + 1) / n), (x + 1) / n * 360 - 180, lat(y / n)


def check_tile(z: int, x: int, y: int) -> None:
    """Raise ``ValueError`` naming the coordinate that is outside the tile grid."""
    if not 0 <= z <= MAX_ZOOM:
        msg = f"`z` was {z}; zoom levels 0…{MAX_ZOOM} are served"
        raise ValueError(msg)
    n = 2**z
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < n:
            msg = f"`{name}` was {value}; at zoom {z} it must be 0…{n - 1}"
            raise ValueError(msg)


class ParcelTiles:
    """A park's parcels ready to be cut into tiles, and the tiles already cut (kept up to ``cache_bytes``).

    Build one per state of the park (the API keeps it with ``ParkState.cached``, which drops it
    when a parcel is edited): tiles cut before an edit are never served after it.
    """

    def __init__(
        self,
        world: np.ndarray,
        properties: pd.DataFrame,
        *,
        cache_bytes: int = 64 * 2**20,
        merge_above: int = MERGE_ABOVE,
    ):
        self.world = world
        self.properties = properties.reset_index(drop=True)
        self.tree = shapely.STRtree(world)
        self.merge_above = merge_above
        self.centres = shapely.get_coordinates(shapely.centroid(world)) if len(world) else np.empty((0, 2))
        self._built = len(world)
        """Entries in :attr:`tree`; those after it were added by :meth:`update` and live in :attr:`_added`."""
        self._alive = np.ones(len(world), dtype=bool)
        self._added: shapely.STRtree | None = None
        self._positions: dict[str, int] | None = None
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_parcels(
        cls,
        parcels: gpd.GeoDataFrame,
        *,
        eval_class: pd.Series | None = None,
        gcj: bool = False,
        cache_bytes: int = 64 * 2**20,
        merge_above: int = MERGE_ABOVE,
    ) -> Self:
        """From stored parcels (any CRS; the park's Gauss–Krüger as read). ``eval_class`` by ``parcel_id``.

        With ``gcj`` the parcels are shifted to GCJ-02 (for Gaode's basemap), as the inline maps do.
        """
        world, props = _world_and_properties(parcels, eval_class, gcj)
        return cls(world, props, cache_bytes=cache_bytes, merge_above=merge_above)

    def __len__(self) -> int:
        return int(self._alive.sum())

    # -- edits ------------------------------------------------------------------------------------------------

    def update(
        self,
        parcels: gpd.GeoDataFrame,
        *,
        removed: Sequence[str] = (),
        eval_class: pd.Series | None = None,
        gcj: bool = False,
    ) -> int:
        """Take the parcels given (new, or changed in shape or properties) and drop ``removed``; tiles they touch
        are cut again, the others stay cached. Returns the number of tiles dropped from the cache.

        Only the entries of these parcels change: the old ones are marked gone, the new ones go into a
        small index of their own beside the built one (rebuilt with each update), so the tiles are those
        a build from scratch cuts of the park as it now is.
        """
        positions = self._position_of()
        world, props = _world_and_properties(parcels, eval_class, gcj)
        ids = [*props["parcel_id"], *map(str, removed)]
        old = np.array([positions[i] for i in ids if i in positions], dtype=np.int64)
        touched = [self.world[old]] if len(old) else []
        self._alive[old] = False
        if len(world):
            start = len(self.world)
            self.world = np.concatenate([self.world, world])
            self.properties = pd.concat([self.properties, props], ignore_index=True)
            self.centres = np.concatenate([self.centres, shapely.get_coordinates(shapely.centroid(world))])
            self._alive = np.concatenate([self._alive, np.ones(len(world), dtype=bool)])
            for k, pid in enumerate(props["parcel_id"]):
                positions[pid] = start + k
            touched.append(world)
        for pid in map(str, removed):
            positions.pop(pid, None)
        self._added = shapely.STRtree(self.world[self._built :]) if len(self.world) > self._built else None
        return self._forget(np.concatenate(touched) if touched else np.array([], dtype=object))

    def _position_of(self) -> dict[str, int]:
        if self._positions is None:
            self._positions = {pid: k for k, pid in enumerate(self.properties["parcel_id"]) if self._alive[k]}
        return self._positions

    def _forget(self, shapes: np.ndarray) -> int:
        """Drop the cached tiles (with their buffer) that any of ``shapes`` (world coordinates) meets."""
        if not len(shapes):
            return 0
        boxes = shapely.bounds(shapes)
        b = BUFFER / EXTENT
        dropped = 0
        with self._lock:
            for key in list(self._cache):
                z, x, y = key
                n = 2**z
                lo_x, lo_y, hi_x, hi_y = (x - b) / n, (y - b) / n, (x + 1 + b) / n, (y + 1 + b) / n
                if (
                    (boxes[:, 2] >= lo_x) & (boxes[:, 0] <= hi_x) & (boxes[:, 3] >= lo_y) & (boxes[:, 1] <= hi_y)
                ).any():
                    self._cached_bytes -= len(self._cache.pop(key))
                    dropped += 1
        return dropped

    def _query(self, area: shapely.Geometry) -> np.ndarray:
        """Positions of the live entries whose box meets ``area``, in ``parcel_id`` order."""
        found = self.tree.query(area)
        if self._added is not None:
            found = np.concatenate([found, self._added.query(area) + self._built])
        found = found[self._alive[found]]
        if len(self.world) == self._built:
            return np.sort(found)  # built in parcel_id order
        ids = self.properties["parcel_id"].to_numpy(dtype=object)[found]
        return found[np.argsort(ids, kind="stable")]

    # -- tiles ------------------------------------------------------------------------------------------------

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The encoded tile (``b""`` when no parcel shows in it), from the cache when it was cut before."""
        check_tile(z, x, y)
        key = (z, x, y)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return found
        data = self.encode(z, x, y)
        with self._lock:
            self.misses += 1
            if key not in self._cache and len(data) <= self.cache_bytes:
                self._cache[key] = data
                self._cached_bytes += len(data)
                while self._cached_bytes > self.cache_bytes:
                    _, old = self._cache.popitem(last=False)
                    self._cached_bytes -= len(old)
        return data

    def geometries(self, z: int, x: int, y: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the parcels shown in tile z/x/y and their polygons in tile units (as encoded)."""
        check_tile(z, x, y)
        n = 2**z
        b = BUFFER / EXTENT
        found = self._query(shapely.box((x - b) / n, (y - b) / n, (x + 1 + b) / n, (y + 1 + b) / n))
        if not len(found):
            return found, np.array([], dtype=object)
        scale, offset = float(n * EXTENT), np.array([x * EXTENT, y * EXTENT], dtype=float)
        geoms = shapely.transform(self.world[found], lambda c: c * scale - offset)
        bounds = shapely.bounds(geoms)
        large = ((bounds[:, 2] - bounds[:, 0]) >= SIMPLIFY) | ((bounds[:, 3] - bounds[:, 1]) >= SIMPLIFY)
        found, geoms, bounds = found[large], geoms[large], bounds[large]
        bent = shapely.get_num_coordinates(geoms) > 5  # a four-cornered ring has nothing to simplify
        if bent.any():
            geoms[bent] = shapely.simplify(geoms[bent], SIMPLIFY, preserve_topology=True)
        lo, hi = -BUFFER, EXTENT + BUFFER
        cut = (bounds[:, 0] < lo) | (bounds[:, 1] < lo) | (bounds[:, 2] > hi) | (bounds[:, 3] > hi)
        if cut.any():
            geoms[cut] = shapely.clip_by_rect(geoms[cut], lo, lo, hi, hi)
        # onto the integer grid; the few shapes that rounding made invalid are repaired (slivers drop out)
        geoms = shapely.transform(geoms, np.rint)
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            geoms[invalid] = shapely.make_valid(geoms[invalid])
        keep = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
        found, geoms = found[keep], geoms[keep]
        # positive surveyor's area in tile coordinates (y down): shapely's "counterclockwise" (y up)
        return found, shapely.orient_polygons(geoms, exterior_cw=False)

    def encode(self, z: int, x: int, y: int) -> bytes:
        """Cut and encode tile z/x/y (no cache)."""
        found, geoms = self.geometries(z, x, y)
        if not len(found):
            return b""
        parts, owner = shapely.get_parts(geoms, return_index=True)
        nested = np.isin(shapely.get_type_id(parts), (4, 5, 6, 7))  # a collection left by snapping or clipping
        if nested.any():
            inner, at = shapely.get_parts(parts[nested], return_index=True)
            order = np.argsort(np.concatenate([np.flatnonzero(~nested), np.flatnonzero(nested)[at]]), kind="stable")
            parts = np.concatenate([parts[~nested], inner])[order]
            owner = np.concatenate([owner[~nested], owner[nested][at]])[order]
        polygon = shapely.get_type_id(parts) == _POLYGON
        parts, owner = parts[polygon], owner[polygon]
        if not len(parts):
            return b""
        # which features still have a polygon (owner is sorted: get_parts keeps the order)
        features = np.unique(owner)
        if len(features) > self.merge_above:
            return self._merged(z, x, y, found, parts, owner, features)
        geometry, geometry_lengths = _geometry_commands(parts, owner, features)
        rows = self.properties.iloc[found[features]]
        keys, values, tags, tag_lengths = _tags(rows, _KEYS)
        ids = found[features].astype(np.uint64) + 1
        return _tile(ids, geometry, geometry_lengths, tags, tag_lengths, keys, values)

    def _merged(self, z, x, y, found, parts, owner, features) -> bytes:
        """A crowded tile: multipolygons of up to 64 parcels of one look (fill, idle rule, per-mu class), no ids.

        ``parcels`` counts the group's parcels whose centre lies in this tile (not its buffer), so the
        counts of all tiles add up to the parcels drawn.
        """
        rows = self.properties.iloc[found[features]]
        combined = np.zeros(len(rows), dtype=np.int64)
        for key in _MERGED_KEYS:  # one number per combination of the look's values
            codes, uniques = pd.factorize(rows[key].to_numpy(dtype=object), use_na_sentinel=False)
            combined = combined * (len(uniques) + 1) + codes
        _, look = np.unique(combined, return_inverse=True)
        # at most MERGE_CHUNK parcels a feature: one path of thousands of rings draws slowly on a canvas
        order = np.argsort(look, kind="stable")
        rank = np.empty(len(look), dtype=np.int64)
        starts = np.searchsorted(look[order], look[order])
        rank[order] = np.arange(len(look)) - starts
        _, group = np.unique(look * (len(look) + 1) + rank // MERGE_CHUNK, return_inverse=True)
        part_group = group[np.searchsorted(features, owner)]
        order = np.argsort(part_group, kind="stable")
        groups = np.unique(group)
        geometry, geometry_lengths = _geometry_commands(parts[order], part_group[order], groups)
        n = 2**z
        u, v = self.centres[found[features]].T
        inside = (np.floor(u * n) == x) & (np.floor(v * n) == y)
        first = np.unique(group, return_index=True)[1]
        merged = rows.iloc[first][list(_MERGED_KEYS)].reset_index(drop=True)
        merged["parcels"] = np.bincount(group, weights=inside, minlength=len(groups)).astype(float)
        keys, values, tags, tag_lengths = _tags(merged, (*_MERGED_KEYS, "parcels"))
        return _tile(None, geometry, geometry_lengths, tags, tag_lengths, keys, values)


# -- protobuf ----------------------------------------------------------------------------------------------


def _varint_lengths(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.uint64)
    lengths = np.ones(v.shape, dtype=np.int64)
    for k in range(1, 10):
        lengths += v >= np.uint64(1 << (7 * k))
    return lengths


def _varints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Protobuf varints of unsigned integers, all at once: the bytes and each value's length in bytes."""
    v = np.asarray(values, dtype=np.uint64)
    lengths = _varint_lengths(v)
    width = int(lengths.max()) if len(v) else 1
    shifts = np.arange(width, dtype=np.uint64) * np.uint64(7)
    groups = ((v[:, None] >> shifts[None, :]) & np.uint64(0x7F)).astype(np.uint8)
    more = np.arange(width)[None, :] < (lengths[:, None] - 1)
    groups |= (more * 0x80).astype(np.uint8)
    return groups[np.arange(width)[None, :] < lengths[:, None]].tobytes(), lengths


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _zigzag(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def _geometry_commands(parts: np.ndarray, owner: np.ndarray, features: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The packed geometry of each feature (MoveTo, LineTo, ClosePath per ring; zigzag deltas).

    The cursor starts at (0, 0) for each feature and runs on across its rings and parts.
    Returns the varint bytes of all features one after another, and each feature's byte count.
    """
    _, coords, (ring_offsets, part_offsets) = shapely.to_ragged_array(parts)
    coords = np.rint(coords).astype(np.int64)
    ring_start = ring_offsets[:-1]
    count = ring_offsets[1:] - ring_start - 1  # rings are closed: the closing point is ClosePath's
    ring_part = np.repeat(np.arange(len(part_offsets) - 1), np.diff(part_offsets))
    ring_feature = np.searchsorted(features, owner[ring_part])
    # the points of each ring without its closing one, nor any that repeats the one before (rounding)
    point_ring = np.repeat(np.arange(len(count)), count)
    first_of_ring = np.cumsum(count) - count
    j = np.arange(len(point_ring)) - first_of_ring[point_ring]
    points = coords[ring_start[point_ring] + j]
    repeat = (j > 0) & np.r_[False, (points[1:] == points[:-1]).all(axis=1)]
    points, point_ring = points[~repeat], point_ring[~repeat]
    count = np.bincount(point_ring, minlength=len(count))
    first_of_ring = np.cumsum(count) - count
    j = np.arange(len(point_ring)) - first_of_ring[point_ring]  # index of the point in its ring
    deltas = np.diff(points, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    point_feature = ring_feature[point_ring]
    starts = np.flatnonzero(np.diff(point_feature, prepend=-1) != 0)
    deltas[starts] = points[starts]  # the cursor is back at (0, 0) for each feature
    # per ring: MoveTo(1) dx dy, LineTo(n-1) (dx dy)×(n-1), ClosePath(1): 2n + 3 integers
    size = 2 * count + 3
    base = np.cumsum(size) - size
    ints = np.empty(int(size.sum()), dtype=np.uint64)
    ints[base] = 1 << 3 | _MOVE_TO
    ints[base + 3] = ((count - 1) << 3 | _LINE_TO).astype(np.uint64)
    ints[base + size - 1] = 1 << 3 | _CLOSE_PATH
    at = base[point_ring] + 1 + 2 * j + (j >= 1)
    ints[at] = _zigzag(deltas[:, 0])
    ints[at + 1] = _zigzag(deltas[:, 1])
    data, lengths = _varints(ints)
    int_feature = np.repeat(ring_feature, size)
    return data, np.bincount(int_feature, weights=lengths, minlength=len(features)).astype(np.int64)


def _value(value: object) -> bytes:
    """A Value message: text, double or bool."""
    if isinstance(value, bool | np.bool_):
        return bytes([7 << 3 | 0, 1 if value else 0])
    if isinstance(value, float | np.floating | int | np.integer):
        return bytes([3 << 3 | 1]) + struct.pack("<d", float(value))
    text = str(value).encode("utf-8")
    return _varint(1 << 3 | 2) + _varint(len(text)) + text


def _values(uniques: np.ndarray) -> list[bytes]:
    """Value messages of one key's values (all of one kind: text, number or bool)."""
    first = uniques[0]
    if isinstance(first, str):
        encoded = [u.encode("utf-8") for u in uniques]
        if max(map(len, encoded)) < 128:  # one-byte length: the common case, parcel ids and colours
            return [b"\x0a" + bytes((len(t),)) + t for t in encoded]
        return [_value(u) for u in uniques]
    if isinstance(first, bool | np.bool_):
        return [_value(u) for u in uniques]
    doubles = np.asarray(uniques, dtype="<f8").tobytes()
    return [b"\x19" + doubles[8 * k : 8 * k + 8] for k in range(len(uniques))]


def _tags(rows: pd.DataFrame, names: tuple[str, ...]) -> tuple[list[str], list[bytes], bytes, np.ndarray]:
    """Keys, values (each once per tile) and each feature's packed tags (pairs of key and value indices)."""
    keys: list[str] = []
    values: list[bytes] = []
    codes = []
    for key in names:
        column = rows[key].to_numpy(dtype=object)
        present = np.array([v is not None for v in column], dtype=bool)
        if not present.any():
            continue
        code, uniques = pd.factorize(pd.Series(column[present], dtype=object), sort=False)
        full = np.full(len(column), -1, dtype=np.int64)
        full[present] = code + len(values)
        codes.append((len(keys), full))
        keys.append(key)
        values.extend(_values(uniques.to_numpy(dtype=object)))
    n = len(rows)
    pairs = np.empty((n, len(codes), 2), dtype=np.int64)
    mask = np.empty((n, len(codes)), dtype=bool)
    for k, (key_index, full) in enumerate(codes):
        pairs[:, k, 0] = key_index
        pairs[:, k, 1] = full
        mask[:, k] = full >= 0
    flat = pairs[mask].reshape(-1)
    data, lengths = _varints(flat)
    pair_feature = np.repeat(np.arange(n), mask.sum(axis=1))
    per_feature = np.bincount(np.repeat(pair_feature, 2), weights=lengths, minlength=n).astype(np.int64)
    return keys, values, data, per_feature


def _tile(
    ids: np.ndarray | None,
    geometry: bytes,
    geometry_lengths: np.ndarray,
    tags: bytes,
    tag_lengths: np.ndarray,
    keys: list[str],
    values: list[bytes],
) -> bytes:
    """The tile: one layer whose features are framed from the byte streams built for all of them."""

    def slices(data: bytes, lengths: np.ndarray) -> list[bytes]:
        end = np.cumsum(lengths).tolist()
        return [data[a:b] for a, b in zip([0, *end[:-1]], end, strict=True)]

    if ids is None:  # features without ids (merged groups)
        id_bytes, id_lengths = b"", np.zeros(len(geometry_lengths), dtype=np.int64)
    else:
        id_bytes, id_lengths = _varints(ids)
    tag_prefix, tag_prefix_lengths = _varints(tag_lengths)
    geometry_prefix, geometry_prefix_lengths = _varints(geometry_lengths)
    body = (
        (id_lengths > 0)
        + id_lengths
        + 1
        + tag_prefix_lengths
        + tag_lengths
        + 2
        + 1
        + geometry_prefix_lengths
        + geometry_lengths
    )
    frame, frame_lengths = _varints(body)
    feature_parts = zip(
        slices(frame, frame_lengths),
        slices(id_bytes, id_lengths),
        slices(tag_prefix, tag_prefix_lengths),
        slices(tags, tag_lengths),
        slices(geometry_prefix, geometry_prefix_lengths),
        slices(geometry, geometry_lengths),
        strict=True,
    )
    # feature: 2 (layer.features) · id (1) · tags (2, packed) · type (3) = POLYGON · geometry (4, packed)
    out = [_field(1, LAYER.encode("utf-8"))]
    out += [
        b"\x12" + f + (b"\x08" + i if i else b"") + b"\x12" + tp + t + b"\x18\x03\x22" + gp + g
        for f, i, tp, t, gp, g in feature_parts
    ]
    out += [_field(3, key.encode("utf-8")) for key in keys]
    out += [b"\x22" + bytes((len(v),)) + v if len(v) < 128 else _field(4, v) for v in values]
    out.append(bytes([5 << 3 | 0]) + _varint(EXTENT))
    out.append(bytes([15 << 3 | 0, 2]))  # version 2
    return _field(3, b"".join(out))


def _world_and_properties(
    parcels: gpd.GeoDataFrame, eval_class: pd.Series | None, gcj: bool
) -> tuple[np.ndarray, pd.DataFrame]:
    """The parcels in world coordinates and the properties their features carry (see :meth:`ParcelTiles.from_parcels`)."""
    p = parcels.reset_index(drop=True)
    geoms = p.geometry.to_crs(4326).to_numpy() if len(p) else np.array([], dtype=object)
    if gcj and len(p):
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    world = shapely.transform(geoms, lambda xy: np.column_stack(lonlat_to_world(xy[:, 0], xy[:, 1])))
    ready = p["ready"].astype("boolean") if "ready" in p else pd.Series(pd.NA, index=p.index, dtype="boolean")
    missing = p["missing"] if "missing" in p else pd.Series(None, index=p.index, dtype=object)
    props = pd.DataFrame(
        {
            "parcel_id": p["parcel_id"].astype(str).to_numpy(),
            "fill": readiness_color(ready, missing),
            "area_mu": p["area_mu"].astype(float).round(2).to_numpy(),
            "status": p["status"].astype(object).to_numpy(),
            "ready": ready.astype(object).to_numpy(),
            "idle_rule": p["idle_rule"].astype(object).to_numpy() if "idle_rule" in p else None,
            "eval_class": (
                p["parcel_id"].map(eval_class).astype(object).to_numpy() if eval_class is not None else None
            ),
        }
    )
    props = props.astype(object).where(props.notna(), None)
    return np.asarray(world, dtype=object), props
