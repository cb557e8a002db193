"""Encoded tiles kept by (z, x, y, shift, change stamp), each with its gzip made once.

A tile asked for again at the same change stamp is answered from here with no tile work
and no compression: the bytes as kept, gzipped or not as the client accepts. A tile kept at
an older stamp is never served (its key holds the stamp); the oldest tiles make room when
the cache is over :data:`CACHE_BYTES`.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from typing import NamedTuple

__all__ = ["CACHE_BYTES", "GZIP_MIN_BYTES", "KeptTile", "TileCache"]

CACHE_BYTES = 64 * 2**20
"""The most tile bytes (plain and gzipped) one park's cache holds."""
GZIP_MIN_BYTES = 1024
"""Tiles smaller than this are not worth compressing (as the API's gzip middleware judges answers)."""


class KeptTile(NamedTuple):
    """One encoded tile: its bytes (``b""``: nothing there) and their gzip (``None`` when not worth it)."""

    data: bytes
    gzipped: bytes | None


TileKey = tuple[int, int, int, bool, int]
"""(z, x, y, GCJ-02 shift, change stamp)."""


class TileCache:
    """The tiles of one park cut so far, least recently used first out."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[TileKey, KeptTile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: TileKey) -> KeptTile | None:
        """The tile kept under ``key``, or None."""
        with self._lock:
            found = self._tiles.get(key)
            if found is None:
                self.misses += 1
                return None
            self._tiles.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: TileKey, data: bytes) -> KeptTile:
        """Keep ``data`` under ``key`` (gzipped once here) and give it back as kept."""
        tile = KeptTile(data, gzip.compress(data, compresslevel=1, mtime=0) if len(data) >= GZIP_MIN_BYTES else None)
        size = len(data) + len(tile.gzipped or b"")
        if size > self.max_bytes:
            return tile
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= len(old.data) + len(old.gzipped or b"")
            self._tiles[key] = tile
            self._bytes += size
            stamp = key[-1]
            while self._bytes > self.max_bytes:
                _, dropped = self._tiles.popitem(last=False)
                self._bytes -= len(dropped.data) + len(dropped.gzipped or b"")
            if len(self._tiles) > 1:  # tiles of older stamps are never asked for again: let them go first
                first_key = next(iter(self._tiles))
                if first_key[-1] != stamp:
                    self._drop_older(stamp)
        return tile

    def _drop_older(self, stamp: int) -> None:
        for key in [k for k in self._tiles if k[-1] != stamp]:
            dropped = self._tiles.pop(key)
            self._bytes -= len(dropped.data) + len(dropped.gzipped or b"")

    def __len__(self) -> int:
        return len(self._tiles)
