"""``GET /tiles/{z}/{x}/{y}.mvt``: a park's parcels as Mapbox vector tiles, for the map of a large park.

At zooms 0–11 the tiles are the park's overview (:mod:`planner.maps.tiles_overview`: each look's pixels merged,
made once per change stamp); deeper, each parcel is a feature:

On PostGIS each tile is cut by the database (``ST_AsMVT``, :mod:`planner.maps.postgis_tiles`); on a
GeoPackage by the planner's encoder from a :class:`planner.maps.tiles.ParcelTiles` kept with
``ParkState.cached``. Either way a tile once cut is kept by (z, x, y, shift, change stamp) in the
park's :class:`~planner.api.tilecache.TileCache`: any change to the park (an edit through the API or
by another writer) moves the stamp, so a tile is never older than the parcels it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from planner.api.collections import etag_of, not_modified, served_by_database
from planner.api.deps import Park, viewer
from planner.api.errors import ApiError
from planner.api.messages import Text
from planner.api.state import ParkState
from planner.api.tilecache import KeptTile
from planner.maps.postgis_tiles import ParkClasses, PostGISTiles
from planner.maps.tiles import MAX_ZOOM, ParcelTiles
from planner.maps.tiles_overview import OVERVIEW_MAX_ZOOM, Overview
from planner.parcels.evaluation import evaluate
from planner.store.base import ParkStore
from planner.store.postgis import PostGISStore

__all__ = ["MVT_MEDIA", "ParkTiles", "kept_answer", "overview", "parcel_tiles", "router", "tile_source"]

MVT_MEDIA = "application/vnd.mapbox-vector-tile"

router = APIRouter(dependencies=[Depends(viewer)])
_TILE_KEYS = ("tiles:wgs84", "tiles:gcj02")
"""Where ``ParkState.cached`` keeps the encoder's tiles, without and with the GCJ-02 shift."""


class ParkTiles(ParcelTiles):
    """The encoder's tiles of a park held by the server, following its edits (see :meth:`refresh`)."""

    store: ParkStore
    gcj: bool
    classes: pd.Series

    @classmethod
    def of(
        cls, store: ParkStore, parcels: gpd.GeoDataFrame, *, gcj: bool = False, classes: pd.Series | None = None
    ) -> ParkTiles:
        """The tiles of ``parcels`` (the park as stored now), with their per-mu classes (worked out when not given)."""
        if classes is None:
            classes = _classes(store, parcels)
        tiles = cls.from_parcels(parcels, eval_class=classes, gcj=gcj)
        tiles.store, tiles.gcj, tiles.classes = store, gcj, classes
        return tiles

    def refresh(self, parcels: gpd.GeoDataFrame | None, changed: list[str], stamp: int) -> bool:
        """Follow a change of the park: the parcels changed, and those whose per-mu class changed with it.

        The classes are worked out again for the whole park (a rank quota, the park's thresholds, may move
        any parcel's); only the entries of the parcels whose shape or properties changed are replaced.
        """
        if parcels is None:  # the park is no longer loaded: build again when asked
            return False
        classes = _classes(self.store, parcels)
        old = self.classes.reindex(parcels.index)
        new = classes.reindex(parcels.index)
        moved = parcels.index[~((old == new) | (old.isna() & new.isna())).to_numpy(dtype=bool)]
        ids = set(changed) | set(moved)
        present = [i for i in parcels.index if i in ids]
        gone = [i for i in changed if i not in parcels.index]
        self.update(parcels.loc[present], removed=gone, eval_class=classes, gcj=self.gcj)
        self.classes = classes
        return True


def _classes(store: ParkStore, parcels: gpd.GeoDataFrame) -> pd.Series:
    """The per-mu class of each evaluated parcel, by ``parcel_id``."""
    if not len(parcels):
        return pd.Series(dtype=object)
    classes: pd.Series = evaluate(parcels.reset_index(drop=True), store.config()).classes["eval_class"]
    return classes.astype(object)


def eval_classes(state: ParkState) -> pd.Series:
    """The per-mu class of each producing parcel (by ``parcel_id``), made once per state of the park.

    The page and the encoder's tiles share them: tiles that followed an edit (:meth:`ParkTiles.refresh`)
    worked them out for the park as it now is, so they are taken from there rather than evaluated again.
    """

    def build() -> pd.Series:
        for key in _TILE_KEYS:
            kept = state.derived.get(key)
            if isinstance(kept, ParkTiles):
                return kept.classes
        return _classes(state.store, state.current())

    return state.cached("eval_class", build)


def parcel_tiles(state: ParkState, *, gcj: bool = False, synced: bool = False) -> ParcelTiles:
    """The park's tiles as it is now (built once, then following the park's edits, with the per-mu classes).

    ``synced``: the caller has just read the change stamp for this request.
    """

    def build() -> ParcelTiles:
        return ParkTiles.of(state.store, state.current(), gcj=gcj, classes=eval_classes(state))

    return state.cached(_TILE_KEYS[gcj], build, synced=synced)


def tile_source(state: ParkState, *, gcj: bool = False) -> Callable[[int, int, int], bytes]:
    """What cuts the park's tiles now: PostGIS's ``ST_AsMVT`` for a PostGIS park, else the planner's encoder."""
    store = state.store
    if served_by_database(state) and isinstance(store, PostGISStore):
        tiles = state.cached("tiles:postgis", lambda: PostGISTiles(store, ParkClasses.of(store)), synced=True)
        return tiles.shifted if gcj else tiles.tile
    return parcel_tiles(state, gcj=gcj, synced=True).tile


def overview(state: ParkState, *, gcj: bool = False) -> Overview:
    """The park's overview (zooms 0–11), made once per change stamp: from the encoder's index of the park on a
    GeoPackage, from the parcels' outlines and readiness read in one statement on PostGIS."""
    store = state.store
    if served_by_database(state) and isinstance(store, PostGISStore):

        def from_database() -> Overview:
            tiles = state.cached("tiles:postgis", lambda: PostGISTiles(store, ParkClasses.of(store)), synced=True)
            return tiles.overview(gcj=gcj)

        return state.cached(f"overview:postgis:{'gcj02' if gcj else 'wgs84'}", from_database, synced=True)
    return state.cached(
        f"overview:{'gcj02' if gcj else 'wgs84'}",
        lambda: Overview.from_tiles(parcel_tiles(state, gcj=gcj, synced=True)),
        synced=True,
    )


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
    A tile cut before at this stamp is answered as kept (:class:`~planner.api.tilecache.TileCache`),
    gzipped once when it was cut: one stamp read is the only work.
    """
    n = 2**z
    for name, value in (("x", x), ("y", y)):
        if value >= n:
            msg = Text(
                f"`{name}` 为 {value}；第 {z} 级须为 0 … {n - 1}",
                f"`{name}` was {value}; at zoom {z} it must be 0 … {n - 1}",
            )
            raise ApiError(400, msg, field=name)
    stamp = state.sync()
    etag = etag_of(stamp)
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        unchanged.headers["Cache-Control"] = "no-cache"
        return unchanged
    key = (z, x, y, gcj, stamp)
    kept = state.tiles.get(key)
    if kept is None:
        cut = overview(state, gcj=gcj).tile if z <= OVERVIEW_MAX_ZOOM else tile_source(state, gcj=gcj)
        kept = state.tiles.put(key, cut(z, x, y))
    return kept_answer(kept, etag, request.headers.get("accept-encoding", ""))


def kept_answer(kept: KeptTile, etag: str, accept_encoding: str) -> Response:
    """The answer of a tile as kept: 204 when nothing is there, else its bytes (gzipped as kept, when accepted)."""
    headers = {"Cache-Control": "no-cache", "ETag": etag}  # edits must show at once: the browser asks each time
    if not kept.data:
        return Response(status_code=204, headers=headers)
    headers["Vary"] = "Accept-Encoding"
    if kept.gzipped is not None and "gzip" in accept_encoding:
        headers["Content-Encoding"] = "gzip"
        return Response(kept.gzipped, media_type=MVT_MEDIA, headers=headers)
    return Response(kept.data, media_type=MVT_MEDIA, headers=headers)
