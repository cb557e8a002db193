"""``GET /tiles/{z}/{x}/{y}.mvt``: a park's parcels as Mapbox vector tiles, for the map of a large park.

The cut tiles live in a :class:`planner.maps.tiles.ParcelTiles` kept with
``ParkState.cached``: any change to the park (an edit through the API or by another
writer) drops it, so a tile is never older than the parcels it shows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from planner.api.collections import collection_etag, not_modified
from planner.api.deps import Park, viewer
from planner.api.errors import ApiError
from planner.api.messages import Text
from planner.api.state import ParkState
from planner.maps.tiles import MAX_ZOOM, ParcelTiles
from planner.parcels.evaluation import evaluate

__all__ = ["MVT_MEDIA", "parcel_tiles", "router"]

MVT_MEDIA = "application/vnd.mapbox-vector-tile"

router = APIRouter(dependencies=[Depends(viewer)])


def parcel_tiles(state: ParkState, *, gcj: bool = False) -> ParcelTiles:
    """The park's tiles as it is now (built once per state of the park, with the per-mu classes)."""

    def build() -> ParcelTiles:
        parcels = state.current()
        classes = None
        if len(parcels):
            classes = evaluate(parcels.reset_index(drop=True), state.store.config()).classes["eval_class"]
        return ParcelTiles.from_parcels(parcels, eval_class=classes, gcj=gcj)

    return state.cached(f"tiles:{'gcj02' if gcj else 'wgs84'}", build)


@router.get(
    "/tiles/{z}/{x}/{y}.mvt",
    summary="宗地矢量瓦片 / Parcels as Mapbox vector tiles (for large parks' maps)",
    response_class=Response,
    responses={
        200: {"description": "the tile (layer `parcels`)", "content": {MVT_MEDIA: {}}},
        204: {"description": "no parcel in this tile"},
    },
)
def tile(
    request: Request,
    z: Annotated[int, PathParam(ge=0, le=MAX_ZOOM, description="zoom level")],
    x: Annotated[int, PathParam(ge=0, description="column, 0 … 2^z − 1")],
    y: Annotated[int, PathParam(ge=0, description="row from the top, 0 … 2^z − 1")],
    state: Park,
    gcj: Annotated[bool, Query(description="shift to GCJ-02 (for Gaode's basemap)")] = False,
) -> Response:
    """One tile of the park's parcels (layer ``parcels``), or 204 where no parcel lies.

    Its weak ETag is the park's change stamp: a browser asking again with it gets 304 until the park changes.
    """
    n = 2**z
    for name, value in (("x", x), ("y", y)):
        if value >= n:
            msg = Text(
                f"`{name}` 为 {value}；第 {z} 级须为 0 … {n - 1}",
                f"`{name}` was {value}; at zoom {z} it must be 0 … {n - 1}",
            )
            raise ApiError(400, msg, field=name)
    etag = collection_etag(state)
    headers = {"Cache-Control": "no-cache", "ETag": etag}  # edits must show at once: the browser asks each time
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        unchanged.headers["Cache-Control"] = "no-cache"
        return unchanged
    data = parcel_tiles(state, gcj=gcj).tile(z, x, y)
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=MVT_MEDIA, headers=headers)
