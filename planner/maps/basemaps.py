"""The basemaps a map page offers, and local tiles for offices with no internet (a tile folder or an MBTiles file).

The page switches between them itself (``planner-app.js``): none, OpenStreetMap, 天地图 vector
and imagery (a key), 高德 (GCJ-02: the overlays are shifted to match on the page, never the
stored data), and local tiles. A tile folder holds ``{z}/{x}/{y}.png`` (or ``.jpg``/``.webp``);
an MBTiles file (SQLite, https://github.com/mapbox/mbtiles-spec) is read with :mod:`sqlite3`
and served by ``planner serve --tiles``. With no internet the page is never grey: it opens on
the local tiles when given, else on no basemap over a light background.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BASEMAPS", "LocalTiles", "TileSource", "local_tiles_of_folder"]

BASEMAPS = ("none", "osm", "tianditu", "tianditu_img", "gaode", "local")
"""The basemaps by their names on the page, in ``--basemap`` and ``?basemap=``."""

_MEDIA = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class LocalTiles:
    """Where the page finds local tiles: a URL template with ``{z}/{x}/{y}``, a name and the deepest zoom."""

    url: str
    name: str
    max_zoom: int = 19


def local_tiles_of_folder(folder: str | Path) -> LocalTiles:
    """A tile folder ``{z}/{x}/{y}.<ext>`` for a map file opened from disk (its tiles are read by the browser)."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        msg = (
            f"`tiles` {folder} is not a folder of tiles ({{z}}/{{x}}/{{y}}.png); an MBTiles file needs `planner serve`"
        )
        raise ValueError(msg)
    zooms = sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit())
    ext = next((p.suffix[1:] for p in folder.glob("*/*/*.*") if p.suffix[1:].lower() in _MEDIA), None)
    if not zooms or ext is None:
        msg = f"`tiles` {folder} holds no tiles: expected {{z}}/{{x}}/{{y}}.png (or .jpg, .webp)"
        raise ValueError(msg)
    return LocalTiles(f"{folder.as_uri()}/{{z}}/{{x}}/{{y}}.{ext}", folder.name, max_zoom=max(zooms))


class TileSource:
    """Raster tiles read from a folder or an MBTiles file, for ``planner serve --tiles``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if self.path.is_dir():
            self.kind = "folder"
            self.local = local_tiles_of_folder(self.path)
            self.ext = self.local.url.rsplit(".", 1)[1]
            self.max_zoom = self.local.max_zoom
        elif self.path.is_file():
            self.kind = "mbtiles"
            try:
                self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
                meta = dict(self._db.execute("SELECT name, value FROM metadata").fetchall())
                top = self._db.execute("SELECT MAX(zoom_level) FROM tiles").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                msg = f"`tiles` {self.path} is not an MBTiles file (SQLite with tables metadata and tiles): {exc}"
                raise ValueError(msg) from exc
            self.ext = str(meta.get("format", "png")).lower()
            if self.ext not in _MEDIA:
                msg = f"`tiles` {self.path} holds {self.ext!r} tiles; a basemap needs one of {', '.join(_MEDIA)}"
                raise ValueError(msg)
            self.max_zoom = int(top if top is not None else 19)
        else:
            msg = f"`tiles` {self.path} is neither a tile folder nor an MBTiles file"
            raise ValueError(msg)

    @property
    def media_type(self) -> str:
        """The tiles' media type (``image/png``…)."""
        return _MEDIA[self.ext]

    def page_tiles(self, url: str) -> LocalTiles:
        """The page's view of these tiles, served at ``url`` (a template with ``{z}/{x}/{y}``)."""
        return LocalTiles(url, self.path.name, self.max_zoom)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at ``z/x/y`` (XYZ, y from the north), or None where there is none."""
        if z < 0 or x < 0 or y < 0 or x >= 2**z or y >= 2**z:
            return None
        if self._db is None:
            path = self.path / str(z) / str(x) / f"{y}.{self.ext}"
            return path.read_bytes() if path.is_file() else None
        with self._lock:  # MBTiles rows count from the south (TMS)
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (z, x, 2**z - 1 - y),
            ).fetchone()
        return bytes(row[0]) if row else None
