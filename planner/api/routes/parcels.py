"""``/parcels``: the parcels by filters, one parcel with its version, an editor's edit, and who changed what.

An edit needs an editor's token and the version it is based on (``If-Match``, the parcel's
ETag); a parcel changed meanwhile answers 409. Once the edit is committed the answer is
200, with notes of whatever readiness and idle land met when they were run again.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import parse_qsl

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from planner.api.bodies import EDITABLE, ParcelEdit, edit_changes
from planner.api.collections import (
    GEOJSON_MEDIA,
    collection_etag,
    compact_page,
    database_page,
    etag_of,
    geojson_bytes,
    not_modified,
    served_by_database,
)
from planner.api.compact import ParcelFeatures
from planner.api.deps import MAX_LIMIT, Editor, ParcelFilters, Park, Status, parcel_filters, viewer
from planner.api.errors import ApiError
from planner.api.geojson import GeoJSONResponse, feature_collection, jsonable
from planner.api.messages import Text, language
from planner.api.routes.idle import stage_label
from planner.api.rows import geojson_geometries, plain
from planner.api.state import ParkState
from planner.errors import ParcelNotFoundError
from planner.infra.coverage import reasons_with_sources
from planner.parcels.schema import FIELDS as PARCEL_FIELDS
from planner.parcels.schema import label
from planner.store.geopackage import GeoPackageStore
from planner.store.postgis import PostGISStore
from planner.store.postgis_query import parcel_features
from planner.vocab import DISPOSAL_STAGES

__all__ = ["PLAIN_READERS", "PlainParcels", "plain_query", "router"]

_EDITABLE = set(EDITABLE)
_VERSION = re.compile(r"[0-9]{1,18}")
_SORT = r"^-?(parcel_id|area_mu|name|status|updated_at)$"

router = APIRouter()

ParcelId = Annotated[str, PathParam(max_length=64)]


def _labels(lang: str) -> dict[str, str]:
    """The label of each parcel column in ``lang``."""
    return {f.name: label(f.name, lang) for f in PARCEL_FIELDS if f.kind != "geometry"}


def _require_parcel(state: ParkState, parcel_id: str) -> gpd.GeoDataFrame:
    """The parcel as stored now (read by its id: the park is not loaded); 404 if there is none."""
    row = state.store.read_parcels(parcel_ids=[parcel_id])
    if row.empty:
        msg = Text(
            f"园区 {state.park_id!r} 中没有宗地 {parcel_id!r}", f"no parcel {parcel_id!r} in park {state.park_id!r}"
        )
        raise ApiError(404, msg, field="parcel_id")
    return row.reset_index(drop=True)


@router.get(
    "/parcels",
    response_class=GeoJSONResponse,
    summary="宗地查询 / Parcels by filters (GeoJSON)",
    dependencies=[Depends(viewer)],
)
def parcels(
    request: Request,
    filters: Annotated[ParcelFilters, Depends(parcel_filters)],
    state: Park,
    bbox: Annotated[str | None, Query(max_length=200, description="minlon,minlat,maxlon,maxlat (WGS84)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    sort: Annotated[str, Query(pattern=_SORT)] = "parcel_id",
    labels: Annotated[bool, Query(description="add the Chinese labels of the columns")] = False,
) -> Response:
    """The parcels that meet the filters, a page at a time, sorted by ``sort`` (``-`` first: descending).

    The answer's weak ETag is the park's change stamp: ``If-None-Match`` with it answers 304 while nothing changed.
    """
    low, high = filters.min_area_mu, filters.max_area_mu
    if low is not None and high is not None and high < low:
        msg = Text(
            f"`max_area_mu` {high:g} 小于 `min_area_mu` {low:g}",
            f"`max_area_mu` {high:g} is below `min_area_mu` {low:g}",
        )
        raise ApiError(400, msg, field="max_area_mu")
    if "if-none-match" in request.headers:  # else the page's own reading gives the stamp
        unchanged = not_modified(request, collection_etag(state))
        if unchanged is not None:
            return unchanged
    if served_by_database(state):
        page = database_page(state, filters, bbox, sort=sort, limit=limit, offset=offset)
    else:
        page = compact_page(state, filters, bbox, sort=sort, limit=limit, offset=offset)
    matched, returned, features = page.matched or 0, page.returned, page.features
    etag = etag_of(page.stamp)
    members: dict[str, Any] = {"park": state.park_id, "numberMatched": matched, "numberReturned": returned}
    if offset + limit < matched:
        members["next"] = {"offset": offset + limit, "limit": limit}
    if labels:
        members["labels"] = _labels("zh")
    return Response(geojson_bytes(members, features), media_type=GEOJSON_MEDIA, headers={"ETag": etag})


@router.get(
    "/parcels/{parcel_id}",
    response_class=GeoJSONResponse,
    summary="一宗地 / One parcel (GeoJSON Feature)",
    dependencies=[Depends(viewer)],
)
def parcel(parcel_id: ParcelId, state: Park) -> GeoJSONResponse:
    """One parcel as a GeoJSON Feature, its version as the ETag.

    From the kept parcels when the server holds the park (brought up to date first), else read by its id
    straight into the feature, as a page of ``/parcels`` is written (no frame made per request).
    """
    if state.parcels is not None and not served_by_database(state):
        now = state.snapshot()
        at = now.parcels.index.get_indexer([parcel_id])
        if at[0] < 0:
            msg = f"no parcel {parcel_id!r} in park {state.park_id!r}"
            raise ApiError(404, msg, field="parcel_id")
        feature = _with_sources(feature_collection(now.rows, at)["features"][0], state)
        feature["properties"]["disposal_stage_zh"] = stage_label(now.parcels["disposal_stage"].iloc[at]).iloc[0]
        return GeoJSONResponse(feature, headers={"ETag": f'"{int(now.parcels["version"].iloc[at[0]])}"'})
    if isinstance(state.store, GeoPackageStore | PostGISStore):  # the row as a page writes it, without a frame
        found = _features(state, parcel_id)
        if not found:
            _require_parcel(state, parcel_id)  # its 404 (or the parcel, stored meanwhile)
            found = _features(state, parcel_id)
        feature = _with_sources(found[0], state)
        stage = feature["properties"].get("disposal_stage")
        feature["properties"]["disposal_stage_zh"] = DISPOSAL_STAGES[stage][0] if isinstance(stage, str) else None
        return GeoJSONResponse(feature, headers={"ETag": f'"{int(feature["properties"]["version"])}"'})
    row = _require_parcel(state, parcel_id)
    feature = _with_sources(feature_collection(row)["features"][0], state)
    feature["properties"]["disposal_stage_zh"] = stage_label(row["disposal_stage"]).iloc[0]
    version = int(row["version"].iloc[0])
    return GeoJSONResponse(feature, headers={"ETag": f'"{version}"'})


def _with_sources(feature: dict[str, Any], state: ParkState) -> dict[str, Any]:
    """A parcel's feature with each reason joined with what its source has left (kept with the readiness)."""
    props = feature["properties"]
    names = [k for k in props if k.endswith("_reason") and isinstance(props[k], str)]
    if names:
        joined = reasons_with_sources(pd.DataFrame({k: [props[k]] for k in names}), state.store.metadata())
        props.update({k: joined[k].iloc[0] for k in names})
    return feature


def _based_on(if_match: str | None, version: object) -> int:
    """The version an edit is based on: the ``If-Match`` header's, else the body's ``version``."""
    if if_match is not None:
        text = if_match.strip().removeprefix("W/").strip('"')
        if not _VERSION.fullmatch(text):
            msg = Text(f'`If-Match` 为 {if_match!r}；请发送宗地的版本号，如 "3"',
                       f'`If-Match` was {if_match!r}; send the parcel\'s version, e.g. "3"')  # fmt: skip
            raise ApiError(400, msg, field="If-Match")
        version = int(text)
    if version is None:
        msg = Text(
            '请发送此次修改所依据的版本：请求头 `If-Match: "<版本>"`（GET /parcels/{id} 的 ETag）',
            'send the version the edit is based on: header `If-Match: "<version>"` (the ETag of GET /parcels/{id})',
        )
        raise ApiError(428, msg, field="If-Match")
    if isinstance(version, bool) or not isinstance(version, int):
        msg = Text(f"`version` 须为整数，收到 {version!r}", f"`version` must be a whole number, got {version!r}")
        raise ApiError(400, msg, field="version")
    return version


def _check_changes(changes: dict[str, Any]) -> None:
    """Refuse an edit of a column that cannot be edited here, or one that changes nothing."""
    unknown = sorted(set(changes) - _EDITABLE)
    if unknown:
        editable = ", ".join(sorted(_EDITABLE))
        msg = Text(f"字段 {unknown} 不能在此修改；可修改：{editable}",
                   f"column(s) {unknown} cannot be edited here; editable: {editable}")  # fmt: skip
        raise ApiError(400, msg, field=unknown[0])
    if not changes:
        msg = Text("请求体没有给出要修改的字段", "the body names no column to change")
        raise ApiError(400, msg, field="body")


@router.patch(
    "/parcels/{parcel_id}",
    response_class=GeoJSONResponse,
    summary="修改宗地 / Edit a parcel (editor token, If-Match version)",
)
def edit_parcel(
    request: Request,
    token: Editor,
    state: Park,
    parcel_id: ParcelId,
    body: Annotated[ParcelEdit, Body(description='columns to change, e.g. {"status": "supplied"}')],
    if_match: Annotated[str | None, Header(description="the version the edit is based on (the parcel's ETag)")] = None,
) -> JSONResponse:
    """Change a parcel's columns, then run readiness and idle land again where the change touches their inputs.

    The answer is a version as stored, with its ETag: the edit's own for an edit of no input of theirs; else
    the parcel as stored once the run after the edit has ended, so an edit saved meanwhile (another editor's,
    an outside writer's) is in it too, and two answers may carry one version.
    """
    changes = edit_changes(body)
    version = _based_on(if_match, changes.pop("version", None))
    _check_changes(changes)
    try:  # committed with its readiness where it can be, else followed by the run (planner.api.recompute)
        row, ran = state.recomputes.edit(parcel_id, changes, version=version, user=token.user)
    except ParcelNotFoundError:
        msg = f"no parcel {parcel_id!r} in park {state.park_id!r}"
        raise ApiError(404, msg, field="parcel_id") from None
    # the edit is committed: from here on the answer is 200, whatever the recomputation meets
    notes = [p.describe(language(request)) for p in row.attrs.get("problems", [])]  # in the asked language
    if state.recomputes.needed(set(changes)):
        notes += ran
        feature = _with_sources(_stored_feature(state, parcel_id), state)  # as the recomputation left it
    else:
        feature = _with_sources(_row_feature(row), state)
    feature["notes"] = notes
    return JSONResponse(feature, headers={"ETag": f'"{int(feature["properties"]["version"])}"'})


def _features(state: ParkState, parcel_id: str) -> list[dict[str, Any]]:
    """The parcel as stored now as a GeoJSON Feature, written as a page of ``/parcels`` writes it (none: not stored)."""
    store = state.store
    if isinstance(store, PostGISStore):
        return parcel_features(store.reader(), store.schema, [parcel_id])
    assert isinstance(store, GeoPackageStore)
    return ParcelFeatures.of(store).read([parcel_id])


def _stored_feature(state: ParkState, parcel_id: str) -> dict[str, Any]:
    """The parcel as stored now, as a GeoJSON Feature (404 if there is none)."""
    if isinstance(state.store, GeoPackageStore | PostGISStore):
        found = _features(state, parcel_id)
        if found:
            return found[0]
    return feature_collection(_require_parcel(state, parcel_id))["features"][0]


def _row_feature(row: pd.Series) -> dict[str, Any]:
    """The edited row (as :meth:`update_parcel` returns it) as a GeoJSON Feature, written as
    :func:`feature_collection` writes a frame's row (:func:`plain` of each value), without making the frame."""
    props = {name: plain(value) for name, value in row.items() if name != "geometry"}
    shape = np.empty(1, dtype=object)
    shape[0] = row["geometry"]
    geometry = geojson_geometries(shape, _epsg(row.attrs.get("crs")))[0]
    return {"type": "Feature", "id": props.get("parcel_id"), "geometry": geometry, "properties": props}


@lru_cache(maxsize=16)
def _epsg(crs: Any) -> int | None:
    """The EPSG code of a row's CRS (as a frame in that CRS gives it)."""
    return pyproj.CRS(crs).to_epsg() if crs is not None else None


@router.get(
    "/parcels/{parcel_id}/history",
    summary="宗地变更记录 / Who changed what",
    dependencies=[Depends(viewer)],
)
def parcel_history(parcel_id: ParcelId, state: Park) -> dict[str, Any]:
    """Every change of the parcel: when, by whom, what (old and new values), and the version it made."""
    _require_parcel(state, parcel_id)
    history = state.store.history(layer="parcels", feature_id=parcel_id)
    rows = [
        {"changed_at": plain(r.changed_at), "changed_by": r.changed_by, "action": r.action,
         "version": plain(r.version), "changes": jsonable(r.changes)}
        for r in history.itertuples(index=False)
    ]  # fmt: skip
    return {"parcel_id": parcel_id, "park": state.park_id, "history": rows}


# --- the plain query's shortcut ---------------------------------------------------------------------------------

_NO = object()
"""What a reader gives for a value it leaves to FastAPI."""


def _text(most: int) -> Callable[[str], object]:
    return lambda value: value if len(value) <= most else _NO


def _whole(pattern: str, most: int) -> Callable[[str], object]:
    form = re.compile(pattern)
    return lambda value: int(value) if form.fullmatch(value) and int(value) <= most else _NO


_BOOLEAN = {"true": True, "false": False}
_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,15})?")
_STATUS = {s.value: s for s in Status}
_SORTS = re.compile(_SORT)

PLAIN_READERS: dict[str, Callable[[str], object]] = {
    "park": _text(200),
    "ready": lambda v: _BOOLEAN.get(v, _NO),
    "idle": lambda v: _BOOLEAN.get(v, _NO),
    "labels": lambda v: _BOOLEAN.get(v, _NO),
    "min_area_mu": lambda v: float(v) if _DECIMAL.fullmatch(v) else _NO,
    "max_area_mu": lambda v: float(v) if _DECIMAL.fullmatch(v) else _NO,
    "status": lambda v: _STATUS.get(v, _NO),
    "industry": _text(8),
    "land_use": _text(20),
    "bbox": _text(200),
    "limit": _whole(r"[1-9][0-9]{0,3}", MAX_LIMIT),
    "offset": _whole(r"0|[1-9][0-9]{0,7}", 10_000_000),
    "sort": lambda v: v if _SORTS.match(v) else _NO,
}
"""How the shortcut reads each query parameter of ``GET /parcels``: a strict part of what FastAPI accepts
(``true``/``false`` only, decimals without sign or exponent, whole numbers without leading zeros), giving the
same value FastAPI would; anything else (``_NO``) is left to FastAPI."""


def plain_query(query_string: bytes) -> dict[str, Any] | None:
    """The arguments of a plain ``GET /parcels`` query (each parameter known, once, within its bounds), else None.

    The query is split as Starlette splits it (Latin-1 bytes, ``parse_qsl`` keeping blank values).
    """
    args: dict[str, Any] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        reader = PLAIN_READERS.get(name)
        if reader is None or name in args or not value:
            return None
        parsed = reader(value)
        if parsed is _NO:
            return None
        args[name] = parsed
    return args


class PlainParcels:
    """ASGI middleware answering a plain ``GET /parcels`` with the route's own function, FastAPI's work skipped.

    FastAPI spends about as much of the server's CPU on routing and on validating the route's thirteen
    parameters one by one as the database page itself costs. A query :func:`plain_query` reads (the usual
    one) goes to :func:`parcels` directly, in the thread pool as FastAPI would run it, and what it raises to the
    app's handler of that error; anything else — an unknown, repeated or unusual parameter, ``HEAD``, a token
    needed for reading, a park to name — goes on to FastAPI. Added inside gzip, the body limit and the access
    log, which see every answer alike.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a plain ``GET /parcels`` here; pass every other request on."""
        if scope["type"] != "http" or scope["path"] != "/parcels" or scope["method"] != "GET" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        args = plain_query(scope["query_string"])
        settings = scope["app"].state
        parks: dict[str, ParkState] = settings.parks
        name = args.pop("park", None) if args is not None else None
        state = parks.get(name) if name is not None else next(iter(parks.values())) if len(parks) == 1 else None
        if args is None or state is None or settings.read_needs_token:
            await self.app(scope, receive, send)
            return
        filters = ParcelFilters(**{k: args.pop(k) for k in _FILTERS if k in args})
        request = Request(scope, receive)
        try:
            answer = await run_in_threadpool(parcels, request, filters, state, **args)
        except Exception as exc:
            answer = await _answer_to(request, exc)
        await answer(scope, receive, send)


async def _answer_to(request: Request, exc: Exception) -> Response:
    """The answer of the app's handler of ``exc``, found as Starlette's exception middleware finds it (by the
    exception's classes in order, ``Exception``'s own left to the server-error middleware); else ``exc`` raised."""
    handlers = request.app.exception_handlers
    handler = next((handlers[c] for c in type(exc).__mro__ if c is not Exception and c in handlers), None)
    if handler is None:
        raise exc
    answer = handler(request, exc)
    return await answer if inspect.isawaitable(answer) else answer


_FILTERS = ("ready", "min_area_mu", "max_area_mu", "status", "industry", "land_use", "idle")
