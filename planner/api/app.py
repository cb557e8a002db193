"""The HTTP API (FastAPI): parcels, idle land, statistics, networks, siting, exports, the map.

``create_app(stores)`` serves one or more parks (GeoPackage or PostGIS stores).
Answers are JSON, or RFC 7946 GeoJSON (WGS84 lon/lat, right-hand rule, no ``crs``
member) with every area in 亩 and m². Bad requests get a 4xx whose message names the
field and what is allowed — never a 500 with a stack trace. Writes need a token
(``Authorization: Bearer …``) of an editor, and the version the edit is based on
(``If-Match``); a row changed meanwhile answers 409.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import numpy as np
import shapely
from fastapi import Body, FastAPI, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.background import BackgroundTask
from starlette.middleware.base import BaseHTTPMiddleware

from planner import __version__
from planner.analysis import freshness, recompute_after_edit, update_readiness
from planner.api.auth import Token, find_token
from planner.api.rows import Rows
from planner.api.rows import plain as _plain
from planner.api.state import ParkState, Snapshot
from planner.crs import zone_of_epsg
from planner.errors import (
    ConfigError,
    FilterError,
    ParcelNotFoundError,
    PlannerError,
    StaleResultError,
    StoreLockedError,
    ValidationError,
    VersionConflictError,
)
from planner.infra.layers import line_layer
from planner.parcels.query import parcel_filter_mask
from planner.parcels.schema import FIELDS as PARCEL_FIELDS
from planner.parcels.schema import label
from planner.store.base import ParkStore
from planner.vocab import NETWORKS, STATUSES

__all__ = ["create_app"]

MAX_LIMIT = 1000
TXT_MEDIA = "text/plain; charset=gbk"
"""The boundary-coordinate TXT is written in GBK, as the land bureau's systems read it."""
SORTABLE = ("parcel_id", "area_mu", "name", "status", "updated_at")
_EDITABLE = {f.name for f in PARCEL_FIELDS if f.origin == "input" and f.kind != "geometry"} - {"parcel_id", "park_id"}


class ApiError(Exception):
    """A refused request: HTTP status, the field it concerns, the message."""

    def __init__(
        self, status: int, message: str, *, field: str | None = None, headers: Mapping[str, str] | None = None
    ):
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, dict(headers or {})


def _error(status: int, message: str, *, field: str | None = None, headers=None) -> JSONResponse:
    body = {"error": {"status": status, "message": message, "field": field}}
    return JSONResponse(body, status_code=status, headers=headers)


class GeoJSONResponse(JSONResponse):
    """RFC 7946 GeoJSON (``application/geo+json``)."""

    media_type = "application/geo+json"


class _BodyLimit(BaseHTTPMiddleware):
    """Refuse request bodies over the limit (413), by their declared length or as they arrive."""

    def __init__(self, app, limit: int):
        super().__init__(app)
        self.limit = limit

    async def dispatch(self, request: Request, call_next):
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return _error(400, "Content-Length must be a whole number of bytes", field="Content-Length")
            if int(declared) > self.limit:
                return _error(413, f"the request body is {int(declared):,} bytes; at most {self.limit:,} are allowed")
        elif request.method in ("POST", "PATCH", "PUT"):
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.limit:
                    return _error(413, f"the request body is over {self.limit:,} bytes")
            request._body = body
        return await call_next(request)


class Network(str, Enum):  # noqa: UP042 - FastAPI documents str enums as allowed values
    road = "road"
    water = "water"
    drainage = "drainage"
    power = "power"
    telecom = "telecom"
    gas = "gas"
    heat = "heat"


class ExportFormat(str, Enum):  # noqa: UP042
    geojson = "geojson"
    gpkg = "gpkg"
    shp = "shp"
    txt = "txt"


class Status(str, Enum):  # noqa: UP042
    planned = "planned"
    reserved = "reserved"
    supplied = "supplied"
    under_construction = "under_construction"
    in_production = "in_production"


_ERROR_BODY = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]},
                "problems": {"type": "array"},
            },
            "required": ["status", "message"],
        }
    },
    "required": ["error"],
}
_ERROR_RESPONSES = {
    status: {"description": text, "content": {"application/json": {"schema": _ERROR_BODY}}}
    for status, text in (
        (400, "a filter or value not allowed (the message names the field and what is allowed)"),
        (401, "a token is needed"),
        (403, "the token's role may not do this"),
        (404, "no such parcel or park"),
        (409, "the parcel changed since the version the edit was based on, or a result not computed yet"),
        (413, "the request body is too large"),
        (422, "a value of the wrong type or out of range, or a record refused by validation"),
        (428, "an edit without the version it is based on (If-Match)"),
        (503, "the park is busy with another write; try again"),
    )
}


# --- JSON and GeoJSON ----------------------------------------------------------------------------------------


def _collection(frame: gpd.GeoDataFrame | Rows, at: np.ndarray | None = None, **members: Any) -> dict[str, Any]:
    """A FeatureCollection of ``frame``'s rows (those at positions ``at`` of kept :class:`Rows`)."""
    rows = frame if isinstance(frame, Rows) else Rows(frame)
    features = [
        {"type": "Feature", "id": props.get("parcel_id") or props.get("line_id") or props.get("source_id"),
         "geometry": geom, "properties": props}
        for props, geom in zip(rows.records(at), rows.geometries(at), strict=True)
    ]  # fmt: skip
    return {"type": "FeatureCollection", **members, "features": features}


def _labels(lang: str) -> dict[str, str]:
    return {f.name: label(f.name, lang) for f in PARCEL_FIELDS if f.kind != "geometry"}


# --- the app ---------------------------------------------------------------------------------------------------


def create_app(
    stores: ParkStore | Sequence[ParkStore],
    *,
    tokens: Mapping[str, Token] | None = None,
    max_body_bytes: int = 1_000_000,
    read_needs_token: bool = False,
) -> FastAPI:
    """The API over ``stores`` (one park each; park ids must differ)."""
    stores = [stores] if isinstance(stores, ParkStore) else list(stores)
    if not stores:
        raise ConfigError("the API needs at least one park store")
    parks: dict[str, ParkState] = {}
    for store in stores:
        state = ParkState(store)
        if state.park_id in parks:
            raise ConfigError(f"two stores hold park {state.park_id!r}; serve each park once")
        parks[state.park_id] = state
    tokens = dict(tokens or {})
    from planner.api.tiles_route import add_tile_routes  # here: it imports this module's ApiError

    app = FastAPI(
        responses=_ERROR_RESPONSES,
        title="园区规划器 API · Park planner API",
        version=__version__,
        description=(
            "宗地、七通一平、闲置土地、统计、管网、招商选址与成果导出。Parcels, readiness (七通一平), idle land, "
            "statistics, networks, siting and exports for Chinese industrial parks. GeoJSON is RFC 7946 (WGS84)."
        ),
    )
    app.add_middleware(_BodyLimit, limit=max_body_bytes)
    app.state.parks = parks  # the ParkState of each park, for benchmarks and operators' scripts

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return _error(exc.status, exc.message, field=exc.field, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors():
            where = [str(part) for part in err.get("loc", ()) if part not in ("query", "path", "body", "header")]
            field = ".".join(where) or None
            allowed = err.get("ctx", {}).get("expected")
            text = err.get("msg", "invalid value")
            if allowed:
                text += f"; allowed: {allowed}"
            given = err.get("input")
            if given is not None and not isinstance(given, dict | list):
                text += f" (got {str(given)[:80]!r})"
            problems.append({"field": field, "message": text})
        first = problems[0] if problems else {"field": None, "message": "invalid request"}
        body = {"error": {"status": 422, "message": f"`{first['field']}`: {first['message']}", "field": first["field"],
                          "problems": problems}}  # fmt: skip
        return JSONResponse(body, status_code=422)

    @app.exception_handler(PlannerError)
    async def _planner_error(request: Request, exc: PlannerError):
        if isinstance(exc, ParcelNotFoundError):
            return _error(404, str(exc))
        if isinstance(exc, VersionConflictError):
            return _error(409, str(exc), field="If-Match", headers={"ETag": f'"{exc.current}"'})
        if isinstance(exc, StaleResultError):
            return _error(409, str(exc))
        if isinstance(exc, StoreLockedError):
            return _error(503, f"{exc}; try again", headers={"Retry-After": "2"})
        if isinstance(exc, ValidationError):
            problems = [p.as_dict() for p in exc.errors]
            body = {"error": {"status": 422, "message": str(exc), "field": problems[0]["field"] if problems else None,
                              "problems": problems}}  # fmt: skip
            return JSONResponse(body, status_code=422)
        if isinstance(exc, FilterError | ConfigError | ValueError):
            return _error(400, str(exc))
        return _error(500, f"the park store failed: {type(exc).__name__}")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # never a stack trace to the client
        return _error(500, f"internal error ({type(exc).__name__}); the request changed nothing it could not finish")

    # -- helpers over the parks -------------------------------------------------------------------------------

    def _park(park: str | None) -> ParkState:
        if park is None:
            if len(parks) == 1:
                return next(iter(parks.values()))
            raise ApiError(400, f"`park` is needed: this server holds {len(parks)} parks ({', '.join(parks)})",
                           field="park")  # fmt: skip
        if park not in parks:
            raise ApiError(404, f"`park` {park!r} is not served here; parks: {', '.join(parks)}", field="park")
        return parks[park]

    def _token(authorization: str | None, role: str) -> Token | None:
        if role == "viewer" and not read_needs_token:
            return None
        token = find_token(tokens, authorization)
        if token is None:
            raise ApiError(401, "a token is needed: send `Authorization: Bearer <token>`", field="Authorization",
                           headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        if not token.may(role):
            raise ApiError(
                403, f"user {token.user!r} is a {token.role}; this needs an {role} token", field="Authorization"
            )
        return token

    def _bbox(text: str | None, crs_epsg: int):
        """The WGS84 box as a polygon in the park's zone, clipped to where the zone is valid (None: nothing there)."""
        parts = text.split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise ApiError(400, f"`bbox` was {text!r}; write minlon,minlat,maxlon,maxlat in degrees (WGS84)",
                           field="bbox")  # fmt: skip
        w, s, e, n = values
        if w > e or s > n:
            raise ApiError(400, f"`bbox` {text!r} has min > max; write minlon,minlat,maxlon,maxlat", field="bbox")
        if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
            raise ApiError(400, f"`bbox` {text!r} is not in degrees: longitudes −180…180, latitudes −90…90",
                           field="bbox")  # fmt: skip
        centre = 3.0 * zone_of_epsg(crs_epsg)[0]  # a park lies within its zone: ±3° of the central meridian is ample
        w, e, s, n = max(w, centre - 3), min(e, centre + 3), max(s, 0.0), min(n, 60.0)
        if w > e or s > n:
            return None
        return gpd.GeoSeries([shapely.box(w, s, e, n).segmentize(0.01)], crs=4326).to_crs(crs_epsg).iloc[0]

    def _matches(state: ParkState, **filters: Any) -> tuple[Snapshot, np.ndarray]:
        """The park's parcels now and the positions (in ``parcel_id`` order) of those that meet ``filters``."""
        now = state.snapshot()
        text = filters.pop("bbox", None)
        area = _bbox(text, state.store.config().crs_epsg) if text else None
        if filters.get("ready") is not None:
            _require_readiness(state)
        try:
            mask = parcel_filter_mask(
                now.parcels, bbox=area.bounds if area is not None else None, columns=now.filters, **filters
            )
        except FilterError as exc:
            field = str(exc).split("`")[1] if "`" in str(exc) else None
            raise ApiError(400, str(exc), field=field) from None
        found = np.flatnonzero(mask)
        if text and area is None:
            return now, found[:0]
        if area is not None and len(found):  # the box's bounds found candidates; the box itself decides
            inside = shapely.intersects(now.parcels.geometry.to_numpy()[found], area)
            found = found[inside]
        return now, found

    def _require_readiness(state: ParkState) -> None:
        """Refuse a readiness filter while readiness was never computed, or predates a change it depends on."""
        verdict = state.cached("readiness_state", lambda: freshness(state.store, "readiness"))
        if not verdict.current:
            raise ApiError(409, verdict.message(), field="ready")

    def _select(state: ParkState, **filters: Any) -> gpd.GeoDataFrame:
        now, positions = _matches(state, **filters)
        return now.parcels.iloc[positions]

    # -- routes ---------------------------------------------------------------------------------------------

    @app.get("/health", summary="服务状态 / Health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "parks": list(parks)}

    @app.get("/parcels", response_class=GeoJSONResponse, summary="宗地查询 / Parcels by filters (GeoJSON)")
    def parcels(
        ready: Annotated[bool | None, Query(description="熟地 only (true) or 生地 only (false)")] = None,
        min_area_mu: Annotated[float | None, Query(ge=0, description="least area, 亩")] = None,
        max_area_mu: Annotated[float | None, Query(ge=0, description="largest area, 亩")] = None,
        status: Annotated[Status | None, Query(description="supply status")] = None,
        park: Annotated[str | None, Query(description="park id (needed when the server holds several)")] = None,
        industry: Annotated[str | None, Query(max_length=8, description="GB/T 4754-2017 code, e.g. C36")] = None,
        land_use: Annotated[str | None, Query(max_length=20, description="用地用海分类 code, e.g. 1001")] = None,
        bbox: Annotated[str | None, Query(max_length=200, description="minlon,minlat,maxlon,maxlat (WGS84)")] = None,
        idle: Annotated[bool | None, Query(description="idle land only (true) or not idle (false)")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        sort: Annotated[str, Query(pattern=r"^-?(parcel_id|area_mu|name|status|updated_at)$")] = "parcel_id",
        labels: Annotated[bool, Query(description="add the Chinese labels of the columns")] = False,
        authorization: Annotated[str | None, Header()] = None,
    ) -> GeoJSONResponse:
        _token(authorization, "viewer")
        state = _park(park)
        if min_area_mu is not None and max_area_mu is not None and max_area_mu < min_area_mu:
            raise ApiError(400, f"`max_area_mu` {max_area_mu:g} is below `min_area_mu` {min_area_mu:g}",
                           field="max_area_mu")  # fmt: skip
        now, found = _matches(
            state, ready=ready, min_area_mu=min_area_mu, max_area_mu=max_area_mu,
            status=status.value if status else None, industry=industry, land_use=land_use, idle=idle, bbox=bbox,
        )  # fmt: skip
        key = sort.lstrip("-")
        if key != "parcel_id" or sort.startswith("-"):  # sort the keys of the matches only, then take the page
            keys = now.parcels[list(dict.fromkeys([key, "parcel_id"]))].iloc[found].set_axis(found)
            keys = keys.sort_values([key, "parcel_id"], ascending=[not sort.startswith("-"), True], kind="stable")
            found = keys.index.to_numpy()
        page = found[offset : offset + limit]
        members: dict[str, Any] = {"park": state.park_id, "numberMatched": len(found), "numberReturned": len(page)}
        if offset + limit < len(found):
            members["next"] = {"offset": offset + limit, "limit": limit}
        if labels:
            members["labels"] = _labels("zh")
        return GeoJSONResponse(_collection(now.rows, page, **members))

    @app.get("/parcels/{parcel_id}", response_class=GeoJSONResponse, summary="一宗地 / One parcel (GeoJSON Feature)")
    def parcel(
        parcel_id: Annotated[str, PathParam(max_length=64)],
        park: Annotated[str | None, Query()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> GeoJSONResponse:
        _token(authorization, "viewer")
        state = _park(park)
        parcels = state.current()
        if parcel_id not in parcels.index:
            raise ApiError(404, f"no parcel {parcel_id!r} in park {state.park_id!r}", field="parcel_id")
        row = parcels.loc[[parcel_id]]
        feature = _collection(row)["features"][0]
        version = int(row["version"].iloc[0])
        return GeoJSONResponse(feature, headers={"ETag": f'"{version}"'})

    @app.patch(
        "/parcels/{parcel_id}",
        response_class=GeoJSONResponse,
        summary="修改宗地 / Edit a parcel (editor token, If-Match version)",
    )
    def edit_parcel(
        parcel_id: Annotated[str, PathParam(max_length=64)],
        changes: Annotated[dict[str, Any], Body(description='columns to change, e.g. {"status": "supplied"}')],
        park: Annotated[str | None, Query()] = None,
        if_match: Annotated[
            str | None, Header(description="the version the edit is based on (the parcel's ETag)")
        ] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> GeoJSONResponse:
        token = _token(authorization, "editor")
        state = _park(park)
        version = changes.pop("version", None)
        if if_match is not None:
            text = if_match.strip().removeprefix("W/").strip('"')
            if not re.fullmatch(r"[0-9]{1,18}", text):
                raise ApiError(
                    400, f'`If-Match` was {if_match!r}; send the parcel\'s version, e.g. "3"', field="If-Match"
                )
            version = int(text)
        if version is None:
            raise ApiError(428, "send the version the edit is based on: header `If-Match: \"<version>\"` "
                                "(the ETag of GET /parcels/{id})", field="If-Match")  # fmt: skip
        if isinstance(version, bool) or not isinstance(version, int):
            raise ApiError(400, f"`version` must be a whole number, got {version!r}", field="version")
        unknown = sorted(set(changes) - _EDITABLE)
        if unknown:
            raise ApiError(400, f"column(s) {unknown} cannot be edited here; editable: {', '.join(sorted(_EDITABLE))}",
                           field=unknown[0])  # fmt: skip
        if not changes:
            raise ApiError(400, "the body names no column to change", field="body")
        if parcel_id not in state.current().index:
            raise ApiError(404, f"no parcel {parcel_id!r} in park {state.park_id!r}", field="parcel_id")
        row = state.store.update_parcel(parcel_id, changes, version=version, by=token.user)
        # the edit is committed: from here on the answer is 200, whatever the recomputation meets
        notes = [str(p) for p in row.attrs.get("problems", [])]
        notes += recompute_after_edit(state.store, token.user, set(changes))
        fresh = state.current().loc[[parcel_id]]
        feature = _collection(fresh)["features"][0]
        feature["notes"] = notes
        return JSONResponse(feature, headers={"ETag": f'"{int(fresh["version"].iloc[0])}"'})

    @app.get("/parcels/{parcel_id}/history", summary="宗地变更记录 / Who changed what")
    def parcel_history(
        parcel_id: Annotated[str, PathParam(max_length=64)],
        park: Annotated[str | None, Query()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        _token(authorization, "viewer")
        state = _park(park)
        if parcel_id not in state.current().index:
            raise ApiError(404, f"no parcel {parcel_id!r} in park {state.park_id!r}", field="parcel_id")
        history = state.store.history(layer="parcels", feature_id=parcel_id)
        rows = [
            {"changed_at": _plain(r.changed_at), "changed_by": r.changed_by, "action": r.action,
             "version": _plain(r.version), "changes": _jsonable(r.changes)}
            for r in history.itertuples(index=False)
        ]  # fmt: skip
        return {"parcel_id": parcel_id, "park": state.park_id, "history": rows}

    @app.get("/idle", response_class=GeoJSONResponse, summary="闲置土地 / Idle land (GeoJSON)")
    def idle_land(
        park: Annotated[str | None, Query()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> GeoJSONResponse:
        _token(authorization, "viewer")
        state = _park(park)
        as_of = state.store.metadata().get("idle_as_of")
        if as_of is None:
            raise ApiError(409, "idle land has not been classified in this park yet: run `planner idle`", field="idle")
        found = _select(state, idle=True)
        keep = ["parcel_id", "name", "holder", "area_mu", "area_m2", "status", "idle_rule", "idle_since",
                "idle_fee_wan", "reclaim_from", "delay_cause", "land_price_wan", "geometry"]  # fmt: skip
        members = {"park": state.park_id, "idle_as_of": as_of, "numberMatched": len(found),
                   "area_mu": round(float(found["area_mu"].sum()), 2),
                   "idle_fee_wan": round(float(found["idle_fee_wan"].fillna(0).sum()), 2)}  # fmt: skip
        return GeoJSONResponse(_collection(found[keep], **members))

    @app.get("/stats", summary="园区土地指标与亩均评价 / Park indicators and per-mu classes")
    def stats(
        park: Annotated[str | None, Query()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        from planner.parcels.evaluation import evaluate
        from planner.parcels.indicators import INDICATORS, NATIONAL_2019, park_indicators

        _token(authorization, "viewer")
        state = _park(park)

        def build() -> dict[str, Any]:
            parcels = state.current()
            row = park_indicators(parcels).iloc[0]
            indicators = [
                {"key": i.name, "label": i.label_zh, "label_en": i.label_en, "value": _plain(row[i.name]),
                 "national_2019": _plain(NATIONAL_2019.get(i.name)), "formula": i.formula}
                for i in INDICATORS
            ]  # fmt: skip
            ready = parcels["ready"].astype("boolean").fillna(False).to_numpy(dtype=bool)
            counts = parcels["status"].value_counts()
            return {
                "park": state.park_id,
                "parcels": len(parcels),
                "area_mu": round(float(parcels["area_mu"].sum()), 2),
                "area_m2": round(float(parcels["area_m2"].sum()), 1),
                "ready": {"parcels": int(ready.sum()), "area_mu": round(float(parcels["area_mu"][ready].sum()), 2)},
                "status": {s: {"count": int(counts.get(s, 0)), "label": STATUSES[s][0]} for s in STATUSES},
                "indicators": indicators,
                "evaluation": evaluate(parcels.reset_index(drop=True), state.store.config()).counts(),
                "readiness_at": state.store.metadata().get("readiness_at"),
            }

        return state.cached("stats", build)

    @app.get(
        "/infra/sources",
        response_class=GeoJSONResponse,
        summary="源点设施 / Sources with capacity, load and what is left (GeoJSON)",
    )
    def sources(
        park: Annotated[str | None, Query()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> GeoJSONResponse:
        _token(authorization, "viewer")
        state = _park(park)

        def build():
            from planner.maps.data import MapData

            data = MapData.from_store(state.store, run=_readiness_run(state))
            return _collection(data.sources, park=state.park_id)

        return GeoJSONResponse(state.cached("sources", build))

    @app.get("/infra/{network}", response_class=GeoJSONResponse, summary="管网线路 / A network's lines (GeoJSON)")
    def network_lines(
        network: Network,
        park: Annotated[str | None, Query()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> GeoJSONResponse:
        _token(authorization, "viewer")
        state = _park(park)
        lines = state.cached(f"lines:{network.value}", lambda: state.store.read_layer(line_layer(network.value)))
        zh, en = NETWORKS[network.value]
        body = _collection(lines, park=state.park_id, network=network.value, label=zh, label_en=en)
        return GeoJSONResponse(body)

    @app.post("/siting/match", summary="项目选址 / Match a project to the park's land")
    def siting_match(
        project: Annotated[dict[str, Any], Body(description="a project record (see the README)")],
        park: Annotated[str | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        from planner.siting import match, parse_project

        _token(authorization, "viewer")
        state = _park(park)
        record = parse_project(project)  # ProjectError → 422 with each field
        index = _site_index(state)
        return match(index, record).to_dict(limit=limit, rejected=True)

    @app.post("/siting/assign", summary="多项目分配 / Assign several projects exactly")
    def siting_assign(
        projects: Annotated[list[dict[str, Any]], Body(min_length=1, max_length=200, description="project records")],
        park: Annotated[str | None, Query()] = None,
        top: Annotated[int, Query(ge=1, le=1000)] = 100,
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        from planner.siting import assign, greedy, parse_projects

        _token(authorization, "viewer")
        state = _park(park)
        batch = parse_projects(projects)
        index = _site_index(state)
        exact = assign(index, batch, top=top)
        out = exact.to_dict()
        out["greedy_total_score"] = round(greedy(index, batch, top=top).total_score, 4)
        return out

    @app.get(
        "/export/{fmt}",
        summary="成果导出 / Download parcels for the land bureau",
        response_class=FileResponse,
        responses={
            200: {
                "description": "the file: GeoJSON, GeoPackage, a zipped Shapefile or the boundary-coordinate TXT",
                "content": {
                    "application/geo+json": {},
                    "application/geopackage+sqlite3": {},
                    "application/zip": {},
                    TXT_MEDIA: {},
                },
            }
        },
    )
    def export(
        fmt: ExportFormat,
        park: Annotated[str | None, Query()] = None,
        crs: Annotated[str, Query(pattern="^(4490|gk)$")] = "4490",
        ready: Annotated[bool | None, Query()] = None,
        min_area_mu: Annotated[float | None, Query(ge=0)] = None,
        max_area_mu: Annotated[float | None, Query(ge=0)] = None,
        status: Annotated[Status | None, Query()] = None,
        industry: Annotated[str | None, Query(max_length=8)] = None,
        land_use: Annotated[str | None, Query(max_length=20)] = None,
        idle: Annotated[bool | None, Query()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ):
        import shutil

        from planner.exchange.export import export_parcels

        _token(authorization, "viewer")
        state = _park(park)
        folder = Path(tempfile.mkdtemp(prefix="planner-export-"))
        name = f"{state.park_id}-parcels.{'geojson' if fmt.value == 'geojson' else fmt.value}"
        filters = {k: v for k, v in {"ready": ready, "min_area_mu": min_area_mu, "max_area_mu": max_area_mu,
                   "status": status.value if status else None, "industry": industry, "land_use": land_use,
                   "idle": idle}.items() if v is not None}  # fmt: skip
        cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
        files = folder / "files"  # the archive of a Shapefile goes beside this folder, never into it
        files.mkdir()
        try:
            export_parcels(state.store, fmt.value, files / name, crs=crs, **filters)
        except FilterError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise ApiError(400, str(exc)) from None
        except Exception:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if fmt.value == "shp":
            archive = shutil.make_archive(str(folder / f"{state.park_id}-parcels-shp"), "zip", files)
            return FileResponse(archive, filename=Path(archive).name, media_type="application/zip", background=cleanup)
        media = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "txt": TXT_MEDIA}
        return FileResponse(files / name, filename=name, media_type=media[fmt.value], background=cleanup)

    add_tile_routes(app, _park, _token)

    @app.get("/", response_class=HTMLResponse, summary="交互地图 / The interactive map")
    def home(
        park: Annotated[str | None, Query()] = None,
        lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
        basemap: Annotated[str, Query(pattern="^(osm|tianditu|gaode|none)$")] = "osm",
        authorization: Annotated[str | None, Header()] = None,
    ) -> HTMLResponse:
        from urllib.parse import quote

        from planner.maps import MapData, readiness_map, render_html

        _token(authorization, "viewer")  # the map shows every parcel: as closed as /parcels
        state = _park(park)
        # large parks draw their parcels from /tiles (URLs relative to the page, so a proxy's prefix is kept)
        at = f"park={quote(state.park_id, safe='')}"
        urls = {"tiles_url": f"tiles/{{z}}/{{x}}/{{y}}.mvt?{at}", "parcel_url": f"parcels/{{id}}?{at}"}
        html = state.cached(
            f"map:{lang}:{basemap}",
            lambda: render_html(
                readiness_map(
                    MapData.from_store(state.store, run=_readiness_run(state)), basemap=basemap, lang=lang, **urls
                )
            ),
        )
        return HTMLResponse(html)

    def _site_index(state: ParkState):
        from planner.siting import SiteIndex

        return state.cached("site_index", lambda: SiteIndex.from_store(state.store, run=_readiness_run(state)))

    def _readiness_run(state: ParkState):
        """The network model of the park as it is now, made once for the map, the sources and siting."""
        return state.cached("readiness_run", lambda: update_readiness(state.store, by="api", write=False))

    return app


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return _plain(value)
