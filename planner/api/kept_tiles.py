"""A tile already cut, answered before FastAPI: the map's many requests for tiles it has seen at this state.

A map asks for every tile in view again on each pan and zoom (``Cache-Control: no-cache``: edits
must show at once), and nearly all of those are tiles kept at the park's current change stamp
(:class:`~planner.api.tilecache.TileCache`) or a 304. For those FastAPI's routing, its
dependencies and parameter checks and the hop to the thread pool and back were most of the
server's work (0.6–1.2 ms of CPU per request measured in the app alone, the tile's own part a
dictionary lookup). :class:`KeptTiles` answers them itself: it reads the change stamp (the only
store work, as the route does: in the event loop on a GeoPackage, a local read of microseconds; in
the thread pool on PostGIS, a round trip), and when that is the stamp the park's state is at and
the tile is kept (or the client's ETag names it), answers as the route would, byte for byte and
header for header (:func:`~planner.api.routes.tiles.kept_answer`). Anything else — the stamp moved
(what the server keeps must follow the edit first), a tile not cut yet, an unusual address or
parameter, a token needed for reading — goes on to FastAPI's route, which cuts, follows and checks.
So a tile is never older than the state the stamp names, as before.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from planner.api.collections import etag_of, not_modified
from planner.api.routes.tiles import kept_answer
from planner.api.state import ParkState
from planner.errors import StoreError
from planner.maps.tiles import MAX_ZOOM
from planner.store.postgis import PostGISStore

__all__ = ["KeptTiles", "tile_address"]

_PATH = re.compile(r"/tiles/(0|[1-9][0-9]?)/(0|[1-9][0-9]{0,9})/(0|[1-9][0-9]{0,9})\.mvt")
_GCJ = {"true": True, "false": False}


def tile_address(path: str, query_string: bytes) -> tuple[int, int, int, bool, str | None] | None:
    """z, x, y, the GCJ-02 shift and the park named, of a plain tile request (as FastAPI reads them), else None.

    Plain: a tile that exists at its zoom, and no parameter but ``park`` and ``gcj`` (``true`` or ``false``),
    each at most once; anything else is left to the route (and its messages).
    """
    found = _PATH.fullmatch(path)
    if found is None:
        return None
    z, x, y = (int(v) for v in found.groups())
    if z > MAX_ZOOM or x >= 2**z or y >= 2**z:
        return None
    args: dict[str, str] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name not in ("park", "gcj") or name in args or not value:
            return None
        args[name] = value
    gcj = _GCJ.get(args.get("gcj", "false"))
    if gcj is None:
        return None
    return z, x, y, gcj, args.get("park")


class KeptTiles:
    """ASGI middleware answering a request for a tile kept at the park's current stamp (or its 304) itself.

    Added inside gzip, the body limit and the access log, which see every answer alike.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a kept tile here; pass every other request on."""
        answer = None
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            address = tile_address(scope["path"], scope["query_string"])
            if address is not None:
                answer = await _kept(scope, receive, address)
        if answer is None:
            await self.app(scope, receive, send)
            return
        await answer(scope, receive, send)


async def _kept(scope: Scope, receive: Receive, address: tuple[int, int, int, bool, str | None]) -> Response | None:
    """The answer to the tile at ``address`` when it is kept at the stamp now (or the client has it), else None."""
    settings = scope["app"].state
    if settings.read_needs_token:
        return None
    z, x, y, gcj, name = address
    parks: dict[str, ParkState] = settings.parks
    state = parks.get(name) if name is not None else next(iter(parks.values())) if len(parks) == 1 else None
    if state is None:
        return None
    store = state.store
    try:  # the stamp as the route reads it: a round trip on PostGIS (in the thread pool), a local read else
        stamp = await run_in_threadpool(store.change_stamp) if isinstance(store, PostGISStore) else store.change_stamp()
    except StoreError:  # the route reads it again and answers the failure as it does
        return None
    if stamp != state.stamp:  # the park changed since the server last followed it: the route follows the edit
        return None
    etag = etag_of(stamp)
    unchanged = not_modified(Request(scope, receive), etag)
    if unchanged is not None:
        unchanged.headers["Cache-Control"] = "no-cache"
        return unchanged
    kept = state.tiles.get((z, x, y, gcj, stamp))
    if kept is None:
        return None
    accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-encoding"), "")
    return kept_answer(kept, etag, accept)
