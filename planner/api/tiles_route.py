"""``GET /tiles/{z}/{x}/{y}.mvt``: a park's parcels as Mapbox vector tiles, for the map of a large park.

Kept apart from :mod:`planner.api.app`, which registers it with :func:`add_tile_routes`.
The cut tiles live in a :class:`planner.maps.tiles.ParcelTiles` kept with
``ParkState.cached``: any change to the park (an edit through the API or by another
writer) drops it, so a tile is never older than the parcels it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import FastAPI, Header, Query, Response
from fastapi import Path as PathParam

from planner.api.app import ApiError
from planner.api.state import ParkState
from planner.maps.tiles import MAX_ZOOM, ParcelTiles

__all__ = ["MVT_MEDIA", "add_tile_routes", "parcel_tiles"]

MVT_MEDIA = "application/vnd.mapbox-vector-tile"


def parcel_tiles(state: ParkState, *, gcj: bool = False) -> ParcelTiles:
    """The park's tiles as it is now (built once per state of the park, with the per-mu classes)."""

    def build() -> ParcelTiles:
        from planner.parcels.evaluation import evaluate

        parcels = state.current()
        classes = None
        if len(parcels):
            classes = evaluate(parcels.reset_index(drop=True), state.store.config()).table["eval_class"]
        return ParcelTiles.from_parcels(parcels, eval_class=classes, gcj=gcj)

    return state.cached(f"tiles:{'gcj02' if gcj else 'wgs84'}", build)


def add_tile_routes(
    app: FastAPI, park_state: Callable[[str | None], ParkState], token: Callable[[str | None, str], object]
) -> None:
    """Add the tile route; ``park_state`` and ``token`` are the app's own look-ups (they raise its 4xx errors)."""

    @app.get(
        "/tiles/{z}/{x}/{y}.mvt",
        summary="宗地矢量瓦片 / Parcels as Mapbox vector tiles (for large parks' maps)",
        response_class=Response,
        responses={
            200: {"description": "the tile (layer `parcels`)", "content": {MVT_MEDIA: {}}},
            204: {"description": "no parcel in this tile"},
        },
    )
    def tile(
        z: Annotated[int, PathParam(ge=0, le=MAX_ZOOM, description="zoom level")],
        x: Annotated[int, PathParam(ge=0, description="column, 0 … 2^z − 1")],
        y: Annotated[int, PathParam(ge=0, description="row from the top, 0 … 2^z − 1")],
        park: Annotated[str | None, Query(description="park id (needed when the server holds several)")] = None,
        gcj: Annotated[bool, Query(description="shift to GCJ-02 (for Gaode's basemap)")] = False,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        token(authorization, "viewer")
        state = park_state(park)
        n = 2**z
        for name, value in (("x", x), ("y", y)):
            if value >= n:
                raise ApiError(400, f"`{name}` was {value}; at zoom {z} it must be 0 … {n - 1}", field=name)
        data = parcel_tiles(state, gcj=gcj).tile(z, x, y)
        headers = {"Cache-Control": "no-cache"}  # edits must show at once: the browser asks again each time
        if not data:
            return Response(status_code=204, headers=headers)
        return Response(data, media_type=MVT_MEDIA, headers=headers)
