"""``/search``: parcels by code, holder or name, and roads by name, with where they are (for the map's search box).

A large park's page draws its parcels from vector tiles and holds none of their records, so
its search box asks here. A park in PostGIS is searched by SQL (``ILIKE``, no park loaded);
a GeoPackage park on the parcels the server keeps. Matches are case-insensitive and anywhere
in the text; a parcel whose code is the text itself comes first. Extents are WGS84.
"""

from __future__ import annotations

from typing import Annotated, Any

import geopandas as gpd
import numpy as np
from fastapi import APIRouter, Depends, Query

from planner.api.collections import served_by_database
from planner.api.deps import Park
from planner.api.deps import viewer as viewer_dep
from planner.api.state import ParkState
from planner.store.postgis import PostGISStore
from planner.store.postgis_query import search_parcels_and_roads

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(viewer_dep)])


def _extents(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The WGS84 extent ``[minlon, minlat, maxlon, maxlat]`` of each row (of its shape reprojected, as PostGIS)."""
    if frame.empty:
        return np.zeros((0, 4))
    return np.round(gpd.GeoSeries(frame.geometry, crs=frame.crs).to_crs(4326).bounds.to_numpy(), 6)


def _contains(values: Any, text: str) -> np.ndarray:
    """Which of ``values`` hold ``text`` (case-insensitive; missing values do not)."""
    return values.fillna("").astype(str).str.lower().str.contains(text.lower(), regex=False).to_numpy()


def _kept(state: ParkState, text: str, limit: int) -> list[tuple]:
    """The search on the parcels the server keeps, and on the park's roads (read once per state of the park)."""
    parcels = state.snapshot().parcels
    found = (
        _contains(parcels["parcel_id"], text) | _contains(parcels["holder"], text) | _contains(parcels["name"], text)
    )
    hits = parcels[found]
    exact = hits["parcel_id"].str.lower() == text.lower()
    hits = hits.iloc[np.argsort(~exact.to_numpy(), kind="stable")].head(limit)
    rows = [("parcel", pid, name, holder, *box) for pid, name, holder, box in zip(
        hits["parcel_id"], hits["name"], hits["holder"], _extents(hits), strict=True)]  # fmt: skip
    roads = state.cached("search:roads", lambda: _road_extents(state))
    rows += [("road", name, name, None, *box) for name, box in roads if text.lower() in name.lower()][:limit]
    return rows


def _road_extents(state: ParkState) -> list[tuple[str, list[float]]]:
    """Each named road and the WGS84 extent of all its lines, by name."""
    lines = state.store.read_layer("road_lines")
    named = lines[lines["name"].notna() & (lines["name"].astype(str).str.strip() != "")]
    if named.empty:
        return []
    whole = named[["name", "geometry"]].dissolve("name")
    return sorted((str(name), list(box)) for name, box in zip(whole.index, _extents(whole), strict=True))


def _plain(value: object) -> object:
    """A missing text as None."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


@router.get("/search", summary="搜索宗地与道路 / Search parcels (code, holder, name) and roads")
def search(
    state: Park,
    q: Annotated[str, Query(min_length=1, max_length=100, description="宗地代码、用地单位、地块名称或道路名称")],
    limit: Annotated[int, Query(ge=1, le=100, description="the most parcels, and the most roads, answered")] = 20,
) -> dict[str, Any]:
    """Parcels whose code, holder or name holds ``q`` (its own code first), then roads whose name does."""
    text = q.strip()
    if served_by_database(state) and isinstance(state.store, PostGISStore):
        rows = search_parcels_and_roads(state.store.reader(), state.store.schema, text, limit) if text else []
    else:
        rows = _kept(state, text, limit) if text else []
    hits = []
    for kind, key, name, holder, *box in rows:
        hit: dict[str, Any] = {"kind": kind, "name": _plain(name),
                               "bbox": [round(float(v), 6) for v in box]}  # fmt: skip
        if kind == "parcel":
            hit |= {"parcel_id": key, "holder": _plain(holder)}
        hits.append(hit)
    return {"park": state.park_id, "q": text, "hits": hits}
