"""The interactive map at ``/`` (the page a browser opens), its local basemap tiles, and ``/health``.

A large park's map draws its parcels from ``/tiles`` and each parcel's record from
``/parcels/{id}``; their URLs are relative to the page, so a proxy's prefix is kept.
``planner serve --tiles PATH`` (a tile folder or an MBTiles file) serves a basemap at
``/basemap/{z}/{x}/{y}`` for offices with no internet; the page then opens on it.

Other parts of the app hook into the page's script through ``window.plannerApp``
(``on('ready'|'open'|'basemap', fn)``, ``search(text)``, ``open(hit)``, ``setBasemap(name)``).
"""

from __future__ import annotations

import os
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from planner import __version__
from planner.analysis import freshness
from planner.api.deps import Park, readiness_run, viewer
from planner.api.errors import ApiError
from planner.api.messages import Text
from planner.api.routes.tiles import eval_classes
from planner.api.state import ParkState
from planner.maps import BASEMAPS, MapData, readiness_map, render_html
from planner.maps.basemaps import TileSource
from planner.maps.desk import with_desk

__all__ = ["BASEMAP_ENV", "BASEMAP_TILES_ENV", "page_data", "router", "serve_local_tiles"]

router = APIRouter()

BASEMAP_TILES_ENV = "PLANNER_SERVE_BASEMAP_TILES"
"""Where ``planner serve --tiles`` tells its workers the local basemap is (a tile folder or an MBTiles file)."""
BASEMAP_ENV = "PLANNER_SERVE_BASEMAP"
"""The basemap ``planner serve --basemap`` opens the page on when ``?basemap=`` does not say."""

_BASEMAP_PATTERN = f"^({'|'.join(BASEMAPS)})$"


def serve_local_tiles(app: FastAPI, path: str | None) -> None:
    """Serve the tile folder or MBTiles file at ``path`` as the page's local basemap (None: none)."""
    app.state.local_tiles = None if path is None else TileSource(path)


def _local_tiles(app: FastAPI) -> TileSource | None:
    """The app's local basemap: as set by :func:`serve_local_tiles`, else from ``PLANNER_SERVE_BASEMAP_TILES``."""
    if not hasattr(app.state, "local_tiles"):
        serve_local_tiles(app, os.environ.get(BASEMAP_TILES_ENV) or None)
    return app.state.local_tiles


def page_data(state: ParkState) -> MapData:
    """What the page at ``/`` shows of the park, from what the server keeps where it can.

    The parcels are the server's own (the tiles are cut from the same frame), and so are
    the per-mu classes and the freshness of readiness. A tiled page (a large park) takes the
    disagreements from the stored declared and derived columns; the network model runs only
    where the page needs it: an inline page, or the sources' loads of a park that has sources.
    """
    store = state.store
    parcels = state.current().reset_index(drop=True)
    tiled = len(parcels) > int(store.config().threshold("map_max_inline_parcels"))
    model = not tiled or store.counts()["sources"] > 0
    stored = state.cached("readiness_state", lambda: freshness(store, "readiness"))
    return MapData.from_store(store, run=readiness_run(state) if model else None, model_networks=model,
                              parcels=parcels, stored=stored, eval_class=eval_classes(state))  # fmt: skip


@router.get("/health", summary="服务状态 / Health")
def health(request: Request) -> dict[str, Any]:
    """The server is up: its version and the parks it holds (no token needed)."""
    return {"status": "ok", "version": __version__, "parks": list(request.app.state.parks)}


@router.get(
    "/",
    response_class=HTMLResponse,
    summary="交互地图 / The interactive map",
    dependencies=[Depends(viewer)],  # the map shows every parcel: as closed as /parcels
)
def home(
    state: Park,
    request: Request,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
    basemap: Annotated[
        str | None,
        Query(
            pattern=_BASEMAP_PATTERN,
            description="the basemap the page opens on; by default the local tiles "
            "(`planner serve --tiles`) when served, else none (the page switches between them)",
        ),
    ] = None,
) -> HTMLResponse:
    """The park's readiness map in ``lang``, opening on ``basemap`` (made once per state of the park)."""
    at = f"park={quote(state.park_id, safe='')}"
    source = _local_tiles(request.app)
    basemap = basemap or os.environ.get(BASEMAP_ENV) or None
    if basemap == "local" and source is None:
        msg = Text(
            "`basemap` 为 'local'，但服务没有本地瓦片（以 `planner serve --tiles PATH` 启动）",
            "`basemap` was 'local' but the server has no local tiles (start it with `planner serve --tiles PATH`)",
        )
        raise ApiError(400, msg, field="basemap")

    def build() -> str:
        data = page_data(state)
        return render_html(
            readiness_map(
                data,
                basemap=basemap,
                lang=lang,
                tiles_url=f"tiles/{{z}}/{{x}}/{{y}}.mvt?{at}",
                parcel_url=f"parcels/{{id}}?{at}",
                search_url=f"search?{at}",
                local_tiles=None if source is None else source.page_tiles("basemap/{z}/{x}/{y}"),
            )
        )

    return HTMLResponse(state.cached(f"map:{lang}:{basemap}", lambda: with_desk(build())))


@router.get("/basemap/{z}/{x}/{y}", summary="本地底图瓦片 / Local basemap tiles", response_class=Response)
def basemap_tile(
    request: Request,
    z: Annotated[int, Path(ge=0, le=24)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
) -> Response:
    """A tile of the local basemap (``planner serve --tiles``); 404 where the server has none or lacks this tile."""
    source = _local_tiles(request.app)
    if source is None:
        msg = Text(
            "服务没有本地底图瓦片（以 `planner serve --tiles PATH` 启动）",
            "the server has no local basemap tiles (start it with `planner serve --tiles PATH`)",
        )
        raise ApiError(404, msg)
    data = source.tile(z, x, y)
    if data is None:
        raise ApiError(404, Text(f"没有本地底图瓦片 {z}/{x}/{y}", f"no local basemap tile {z}/{x}/{y}"))
    return Response(data, media_type=source.media_type, headers={"Cache-Control": "public, max-age=86400"})
