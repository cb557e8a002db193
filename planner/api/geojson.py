"""The API's GeoJSON answers: RFC 7946 FeatureCollections of a frame's rows, and JSON-ready values.

Geometries are WGS84 lon/lat with the right-hand rule and no ``crs`` member (see
:mod:`planner.api.rows`); a feature's id is its ``parcel_id``, ``line_id`` or ``source_id``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
from fastapi.responses import JSONResponse

from planner.api.rows import Rows, plain

__all__ = ["GeoJSONResponse", "feature_collection", "jsonable"]


class GeoJSONResponse(JSONResponse):
    """RFC 7946 GeoJSON (``application/geo+json``)."""

    media_type = "application/geo+json"


def feature_collection(frame: gpd.GeoDataFrame | Rows, at: np.ndarray | None = None, **members: Any) -> dict[str, Any]:
    """A FeatureCollection of ``frame``'s rows (those at positions ``at`` of kept :class:`Rows`), with ``members``."""
    rows = frame if isinstance(frame, Rows) else Rows(frame)
    features = [
        {"type": "Feature", "id": props.get("parcel_id") or props.get("line_id") or props.get("source_id"),
         "geometry": geom, "properties": props}
        for props, geom in zip(rows.records(at), rows.geometries(at), strict=True)
    ]  # fmt: skip
    return {"type": "FeatureCollection", **members, "features": features}


def jsonable(value: Any) -> Any:
    """``value`` with every leaf made JSON-ready by :func:`~planner.api.rows.plain` (dicts and lists walked)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return plain(value)
