"""Collections answered without holding the park: parcel pages from PostGIS, and ETags of the change stamp.

On PostGIS, ``/parcels`` is one statement (:func:`planner.store.postgis_query.parcel_page`):
the filters, the sort and the page run in the database through its indexes, and PostgreSQL
writes the features' JSON; the server adds the collection's members around them. The
count of the matches is kept per filter for the state of the park (the change stamp), so
paging through the same filters asks only for the page. A worker's memory does not grow
with the park. On a GeoPackage the parcels are answered from the kept arrays as before.

Every collection carries a weak ETag of the park's change stamp: a client sending it back
(``If-None-Match``) gets 304 while nothing in the park changed, by this server or any writer.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Any

from fastapi import Request, Response

from planner.api.compact import CompactParcels
from planner.api.deps import ParcelFilters, parse_bbox, require_idle, require_readiness
from planner.api.errors import ApiError
from planner.api.state import ParkState
from planner.errors import FilterError, StoreError
from planner.parcels.query import normalized_filters
from planner.store.geopackage import GeoPackageStore
from planner.store.postgis import PostGISStore
from planner.store.postgis_query import Page, PageAsk, parcel_page

__all__ = [
    "GEOJSON_MEDIA",
    "collection_etag",
    "compact_page",
    "database_page",
    "etag_of",
    "geojson_bytes",
    "not_modified",
    "served_by_database",
]

GEOJSON_MEDIA = "application/geo+json"
_TRIES = 3
"""Statements tried while writes keep changing the park under a page."""
_COUNTS_KEPT = 256
"""The most filter combinations whose count is kept for one state of the park."""


def served_by_database(state: ParkState) -> bool:
    """Whether the park's parcel queries run in its database (PostGIS) rather than on kept arrays."""
    return isinstance(state.store, PostGISStore)


def collection_etag(state: ParkState) -> str:
    """The weak ETag of the park's collections now: its change stamp (any committed write changes it)."""
    return etag_of(state.sync())


def etag_of(stamp: int) -> str:
    """The weak ETag of the park's collections at change stamp ``stamp``."""
    return f'W/"{stamp}"'


def not_modified(request: Request, etag: str) -> Response | None:
    """304 when the request's ``If-None-Match`` names ``etag`` (weak comparison) or is ``*``; else None."""
    sent = request.headers.get("if-none-match")
    if sent is None:
        return None
    tags = {t.strip().removeprefix("W/") for t in sent.split(",")}
    if "*" in tags or etag.removeprefix("W/") in tags:
        return Response(status_code=304, headers={"ETag": etag})
    return None


def _crs_epsg(state: ParkState) -> int:
    """The park's CRS (its configuration read once per state of the park, not per request)."""
    epsg: int = state.cached("crs_epsg", lambda: state.store.config().crs_epsg, synced=True)
    return epsg


def _checked(state: ParkState, filters: ParcelFilters, bbox: str | None) -> tuple[Any, bytes | None, bool]:
    """The filters normalised, the box as WKB in the park's CRS, and whether the box misses the park's zone."""
    area = parse_bbox(bbox, _crs_epsg(state)) if bbox else None
    if filters.ready is not None:
        require_readiness(state, synced=True)
    if filters.idle is not None:
        require_idle(state, synced=True)
    try:
        given = normalized_filters(**filters.given())
    except FilterError as exc:
        field = str(exc).split("`")[1] if "`" in str(exc) else None
        raise ApiError(400, str(exc), field=field) from None
    return given, (area.wkb if area is not None else None), bool(bbox) and area is None


def _try_page(
    state: ParkState, filters: ParcelFilters, bbox: str | None, *, sort: str, limit: int, offset: int, synced: bool
) -> Page | None:
    """One try of :func:`database_page`: the page, or None when the park moved on from the state the checks saw."""
    store = state.store
    assert isinstance(store, PostGISStore)  # database_page checked it
    seen = state.stamp
    try:
        given, area_wkb, outside = _checked(state, filters, bbox)
    except ApiError:  # refused for the state the server knew: refuse only for the park as it is now
        if synced:
            raise
        return None
    if outside:  # the box lies outside the park's zone: no parcel there
        return Page(0, 0, b"[]", seen)
    key = "count:" + repr((seen, sorted(given.items()), area_wkb))
    known = state.derived.get(key)
    ask = PageAsk(sort=sort, limit=limit, offset=offset, count=known is None)
    page = parcel_page(store.reader(), store.schema, _crs_epsg(state), given, area_wkb=area_wkb, ask=ask)
    if page.stamp != seen:
        return None
    if page.matched is None and known is not None:
        return Page(int(known), page.returned, page.features, page.stamp)
    if len(state.derived) < _COUNTS_KEPT:
        state.derived[key] = page.matched
    return page


def database_page(
    state: ParkState, filters: ParcelFilters, bbox: str | None, *, sort: str, limit: int, offset: int
) -> Page:
    """The page of parcels the filters ask for, from the park's database: one statement, the count kept.

    The statement also reads the change stamp in its snapshot. The checks made before it (readiness
    current, the count kept) hold for the state the server knew; when the page shows a newer one, or
    a check refuses, the server catches up (:meth:`ParkState.sync`) and asks again, so no answer
    mixes two states and none is refused for a state that has passed.
    """
    store = state.store
    if not isinstance(store, PostGISStore):
        msg = f"park {state.park_id!r} is not in a database"
        raise TypeError(msg)
    synced = state.stamp < 0
    if synced:
        state.sync()
    for attempt in range(_TRIES):
        last = attempt == _TRIES - 1
        # the last try holds this server's writers back for the moment of one read, so that edits
        # arriving faster than pages are read cannot refuse it
        with store.writers_held() if last else nullcontext():
            if last:
                state.sync()
                synced = True
            page = _try_page(state, filters, bbox, sort=sort, limit=limit, offset=offset, synced=synced)
        if isinstance(page, Page):
            return page
        state.sync()
        synced = True
    msg = f"park {state.park_id!r} changed during each of {_TRIES} tries to read a page; try again"
    raise StoreError(msg)


def compact(state: ParkState) -> CompactParcels:
    """The GeoPackage park's filter and sort columns at the state the server knows (read once per state)."""
    store = state.store
    if not isinstance(store, GeoPackageStore):
        msg = f"park {state.park_id!r} is not in a GeoPackage"
        raise TypeError(msg)
    kept: CompactParcels = state.cached("compact", lambda: CompactParcels(store), synced=True)
    return kept


def compact_page(
    state: ParkState, filters: ParcelFilters, bbox: str | None, *, sort: str, limit: int, offset: int
) -> Page:
    """The page of parcels the filters ask for, from a GeoPackage park without loading it (:mod:`.compact`).

    The page's rows are read after the columns were: when the park changed in between, the server
    catches up and asks again, so no answer mixes two states.
    """
    store = state.store
    if not isinstance(store, GeoPackageStore):
        msg = f"park {state.park_id!r} is not in a GeoPackage"
        raise TypeError(msg)
    for attempt in range(_TRIES):
        # the last try holds this server's writers back for the moment of one read (as on PostGIS)
        with store.writers_held() if attempt == _TRIES - 1 else nullcontext():
            stamp = state.sync()
            given, area_wkb, outside = _checked(state, filters, bbox)
            if outside:
                return Page(0, 0, b"[]", stamp)
            kept = compact(state)
            found = kept.found(given, area_wkb, sort)
            at = found[offset : offset + limit]
            page = kept.page_features(at)
            if store.change_stamp() != kept.stamp:
                continue
        features = json.dumps(page, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        return Page(len(found), len(at), features, kept.stamp)
    msg = f"park {state.park_id!r} changed during each of {_TRIES} tries to read a page; try again"
    raise StoreError(msg)


def geojson_bytes(members: dict[str, Any], features: bytes) -> bytes:
    """A FeatureCollection: ``members`` (in order) and the features, already JSON, without parsing them again."""
    head = json.dumps({"type": "FeatureCollection", **members}, ensure_ascii=False, separators=(",", ":"))
    return head[:-1].encode() + b',"features":' + features + b"}"
