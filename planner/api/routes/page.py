"""The interactive map at ``/`` (the page a browser opens), and ``/health``.

A large park's map draws its parcels from ``/tiles`` and each parcel's record from
``/parcels/{id}``; their URLs are relative to the page, so a proxy's prefix is kept.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from planner import __version__
from planner.api.deps import Park, readiness_run, viewer
from planner.maps import MapData, readiness_map, render_html
from planner.maps.desk import with_desk

__all__ = ["router"]

router = APIRouter()


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
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
    basemap: Annotated[str, Query(pattern="^(osm|tianditu|gaode|none)$")] = "osm",
) -> HTMLResponse:
    """The park's readiness map in ``lang`` over ``basemap`` (made once per state of the park)."""
    at = f"park={quote(state.park_id, safe='')}"

    def build() -> str:
        data = MapData.from_store(state.store, run=readiness_run(state))
        return render_html(
            readiness_map(
                data,
                basemap=basemap,
                lang=lang,
                tiles_url=f"tiles/{{z}}/{{x}}/{{y}}.mvt?{at}",
                parcel_url=f"parcels/{{id}}?{at}",
            )
        )

    return HTMLResponse(state.cached(f"map:{lang}:{basemap}", lambda: with_desk(build())))
