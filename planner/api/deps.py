"""What the routes share: the park asked for, the token's role, the parcel filters, and the readiness check.

The app's settings live on ``app.state`` (set by :func:`planner.api.app.create_app`) and are
reached through the request:

- ``parks``: the :class:`~planner.api.state.ParkState` of each park, by park id;
- ``tokens``: the API tokens (secret → :class:`~planner.api.auth.Token`);
- ``read_needs_token``: whether reading needs a viewer's token too.

:func:`park_state`, :func:`viewer` and :func:`editor` are FastAPI dependencies (their
``park`` query parameter and ``Authorization`` header are part of each route that uses
them); :func:`parcel_filters` gathers the filters of ``/parcels`` and ``/export``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, TypedDict

import geopandas as gpd
import numpy as np
import shapely
from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from planner.analysis import ReadinessRun, freshness, update_readiness
from planner.api.auth import Token, find_secret
from planner.api.errors import ApiError
from planner.api.messages import Text
from planner.api.state import ParkState, Snapshot
from planner.crs import zone_of_epsg
from planner.errors import FilterError
from planner.parcels.query import parcel_filter_mask

__all__ = [
    "MAX_LIMIT",
    "NEED_TOKEN",
    "Editor",
    "FilterArgs",
    "ParcelFilters",
    "Park",
    "Status",
    "editor",
    "matches",
    "parcel_filters",
    "park_state",
    "parse_bbox",
    "readiness_run",
    "require_idle",
    "require_readiness",
    "select",
    "viewer",
]

MAX_LIMIT = 1000
"""The most answers one request gives (a page of ``/parcels``, the candidates of ``/siting/match``)."""


# --- the park and the token -------------------------------------------------------------------------------------


async def park_state(
    request: Request,
    park: Annotated[str | None, Query(description="park id (needed when the server holds several)")] = None,
) -> ParkState:
    """The park asked for (the only one when the server holds one); 400 when it must be named, 404 if not served.

    This and the token checks below are ``async``: they only look things up, and a plain ``def`` dependency
    costs a hop to the thread pool and back on every request.
    """
    parks: dict[str, ParkState] = request.app.state.parks
    if park is None:
        if len(parks) == 1:
            return next(iter(parks.values()))
        names = ", ".join(parks)
        msg = Text(f"需要 `park`：本服务有 {len(parks)} 个园区（{names}）",
                   f"`park` is needed: this server holds {len(parks)} parks ({names})")  # fmt: skip
        raise ApiError(400, msg, field="park")
    if park not in parks:
        msg = Text(f"本服务没有园区 `park` {park!r}；园区：{', '.join(parks)}",
                   f"`park` {park!r} is not served here; parks: {', '.join(parks)}")  # fmt: skip
        raise ApiError(404, msg, field="park")
    return parks[park]


NEED_TOKEN = Text(
    "需要令牌：请发送 `Authorization: Bearer <令牌>`", "a token is needed: send `Authorization: Bearer <token>`"
)
"""The refusal (401) of a request without a known token."""
ROLE_ZH = {"viewer": "查看者", "editor": "编辑者", "admin": "管理员"}


bearer = HTTPBearer(
    auto_error=False,  # a missing token is ours to refuse, in the one error shape
    scheme_name="token",
    description="令牌 / API token: `Authorization: Bearer <token>` (writes need an editor's; reads a viewer's "
    "when the server runs with `--read-token`)",
)
"""The bearer scheme, declared in the OpenAPI document (so /docs has *Authorize*)."""
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _bearer(request: Request, credentials: HTTPAuthorizationCredentials | None, role: str) -> Token:
    """The token the request sends, if it may act as ``role``; 401 without a known token, 403 for a lower role."""
    token = find_secret(request.app.state.tokens, credentials.credentials if credentials else None)
    if token is None:
        msg = NEED_TOKEN
        raise ApiError(401, msg, field="Authorization", headers={"WWW-Authenticate": "Bearer"})
    if not token.may(role):
        msg = Text(f"用户 {token.user!r} 的角色是 {ROLE_ZH.get(token.role, token.role)}（{token.role}）；"
                   f"此操作需要{ROLE_ZH.get(role, role)}（{role}）令牌",
                   f"user {token.user!r} is a {token.role}; this needs an {role} token")  # fmt: skip
        raise ApiError(403, msg, field="Authorization")
    return token


async def viewer(request: Request, credentials: Credentials) -> Token | None:
    """The reader's token when reading needs one (``read_needs_token``), else None: anyone may read."""
    if not request.app.state.read_needs_token:
        return None
    return _bearer(request, credentials, "viewer")


async def editor(request: Request, credentials: Credentials) -> Token:
    """The token of an editor (or an admin): writes always need one."""
    return _bearer(request, credentials, "editor")


Park = Annotated[ParkState, Depends(park_state)]
"""The park a route answers for (its ``park`` query parameter)."""
Editor = Annotated[Token, Depends(editor)]
"""The editor's token a write needs (its ``Authorization`` header)."""


# --- the parcel filters -----------------------------------------------------------------------------------------


class Status(str, Enum):  # noqa: UP042 - FastAPI documents str enums as allowed values
    """The supply statuses a filter may ask for."""

    # the codes of planner.vocab.STATUSES, written out for the type checker (tests/api/test_errors_deps.py compares)
    planned = "planned"
    reserved = "reserved"
    supplied = "supplied"
    under_construction = "under_construction"
    in_production = "in_production"


class FilterArgs(TypedDict, total=False):
    """The filters of :func:`~planner.parcels.query.parcel_filter_mask` a request gave."""

    ready: bool
    min_area_mu: float
    max_area_mu: float
    status: str
    industry: str
    land_use: str
    idle: bool


@dataclass(frozen=True)
class ParcelFilters:
    """The parcel filters of a request (None: not asked for)."""

    ready: bool | None = None
    min_area_mu: float | None = None
    max_area_mu: float | None = None
    status: Status | None = None
    industry: str | None = None
    land_use: str | None = None
    idle: bool | None = None

    def given(self) -> FilterArgs:
        """The filters asked for, as keyword arguments of the parcel filters (a status by its code)."""
        args = FilterArgs()
        if self.ready is not None:
            args["ready"] = self.ready
        if self.min_area_mu is not None:
            args["min_area_mu"] = self.min_area_mu
        if self.max_area_mu is not None:
            args["max_area_mu"] = self.max_area_mu
        if self.status is not None:
            args["status"] = self.status.value
        if self.industry is not None:
            args["industry"] = self.industry
        if self.land_use is not None:
            args["land_use"] = self.land_use
        if self.idle is not None:
            args["idle"] = self.idle
        return args


async def parcel_filters(
    ready: Annotated[bool | None, Query(description="熟地 only (true) or 生地 only (false)")] = None,
    min_area_mu: Annotated[float | None, Query(ge=0, description="least area, 亩")] = None,
    max_area_mu: Annotated[float | None, Query(ge=0, description="largest area, 亩")] = None,
    status: Annotated[Status | None, Query(description="supply status")] = None,
    industry: Annotated[str | None, Query(max_length=8, description="GB/T 4754-2017 code, e.g. C36")] = None,
    land_use: Annotated[str | None, Query(max_length=20, description="用地用海分类 code, e.g. 1001")] = None,
    idle: Annotated[bool | None, Query(description="idle land only (true) or not idle (false)")] = None,
) -> ParcelFilters:
    """The parcel filters of the request's query (``async``: a plain ``def`` would cost a hop to the thread pool)."""
    return ParcelFilters(ready, min_area_mu, max_area_mu, status, industry, land_use, idle)


def parse_bbox(text: str, crs_epsg: int) -> shapely.Polygon | None:
    """The WGS84 box as a polygon in the park's zone, clipped to where the zone is valid (None: nothing there)."""
    try:
        values = [float(p) for p in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        msg = Text(f"`bbox` 为 {text!r}；请写 最小经度,最小纬度,最大经度,最大纬度（WGS84 度）",
                   f"`bbox` was {text!r}; write minlon,minlat,maxlon,maxlat in degrees (WGS84)")  # fmt: skip
        raise ApiError(400, msg, field="bbox")
    w, s, e, n = values
    if w > e or s > n:
        msg = Text(f"`bbox` {text!r} 的最小值大于最大值；请写 最小经度,最小纬度,最大经度,最大纬度",
                   f"`bbox` {text!r} has min > max; write minlon,minlat,maxlon,maxlat")  # fmt: skip
        raise ApiError(400, msg, field="bbox")
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        msg = Text(f"`bbox` {text!r} 不是度数：经度 −180…180，纬度 −90…90",
                   f"`bbox` {text!r} is not in degrees: longitudes −180…180, latitudes −90…90")  # fmt: skip
        raise ApiError(400, msg, field="bbox")
    centre = 3.0 * zone_of_epsg(crs_epsg)[0]  # a park lies within its zone: ±3° of the central meridian is ample
    w, e, s, n = max(w, centre - 3), min(e, centre + 3), max(s, 0.0), min(n, 60.0)
    if w > e or s > n:
        return None
    box: shapely.Polygon = gpd.GeoSeries([shapely.box(w, s, e, n).segmentize(0.01)], crs=4326).to_crs(crs_epsg).iloc[0]
    return box


def require_readiness(state: ParkState, *, synced: bool = False) -> None:
    """Refuse a readiness filter (409) while readiness was never computed, or predates a change it depends on."""
    verdict = state.cached("readiness_state", lambda: freshness(state.store, "readiness"), synced=synced)
    if not verdict.current:
        raise ApiError(409, Text(verdict.message("zh"), verdict.message("en")), field="ready")


def require_idle(state: ParkState, *, synced: bool = False) -> None:
    """Refuse an idle-land filter (409) once stored idle land predates a change of what it reads."""
    verdict = state.cached("idle_state", lambda: freshness(state.store, "idle"), synced=synced)
    if verdict.computed_at is not None and not verdict.current:  # never classified: no parcel is idle, as before
        raise ApiError(409, Text(verdict.message("zh"), verdict.message("en")), field="idle")


def matches(state: ParkState, filters: ParcelFilters, bbox: str | None = None) -> tuple[Snapshot, np.ndarray]:
    """The park's parcels now and the positions (in ``parcel_id`` order) of those that meet ``filters`` and ``bbox``."""
    now = state.snapshot()
    area = parse_bbox(bbox, state.store.config().crs_epsg) if bbox else None
    if filters.ready is not None:
        require_readiness(state)
    if filters.idle is not None:
        require_idle(state)
    try:
        mask = parcel_filter_mask(
            now.parcels, bbox=area.bounds if area is not None else None, columns=now.filters, **filters.given()
        )
    except FilterError as exc:
        field = str(exc).split("`")[1] if "`" in str(exc) else None
        raise ApiError(400, str(exc), field=field) from None
    found = np.flatnonzero(mask)
    if bbox and area is None:
        return now, found[:0]
    if area is not None and len(found):  # the box's bounds found candidates; the box itself decides
        inside = shapely.intersects(now.parcels.geometry.to_numpy()[found], area)
        found = found[inside]
    return now, found


def select(state: ParkState, filters: ParcelFilters) -> gpd.GeoDataFrame:
    """The park's parcels now that meet ``filters``."""
    now, positions = matches(state, filters)
    return now.parcels.iloc[positions]


def readiness_run(state: ParkState) -> ReadinessRun:
    """The network model of the park as it is now, made once per state of the park for the map, sources and siting."""
    return state.cached("readiness_run", lambda: update_readiness(state.store, by="api", write=False))
