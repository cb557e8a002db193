"""Answers made from a frame's columns: JSON-ready values and RFC 7946 geometries of the rows asked for.

:class:`Rows` turns each column of a (Geo)DataFrame into numpy arrays once, with the way
its values become JSON chosen by dtype. A page of answers is then those arrays at the
page's positions, converted a whole column at a time, with no pandas in the way: the
server keeps a ``Rows`` of the park's parcels, so answering 100 of a million parcels
costs what 100 rows cost. Values are exactly those of :func:`plain` on each cell.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.crs import transformer

__all__ = ["Rows", "geojson_geometries", "plain"]

_MULTIPOLYGON = 6  # shapely.GeometryType.MULTIPOLYGON
_MASKED = (pd.arrays.BooleanArray, pd.arrays.IntegerArray, pd.arrays.FloatingArray)


def plain(value: Any) -> Any:
    """A JSON-ready value: NaN/NA/NaT → None, timestamps → ISO text (a date at midnight), numpy → Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is None and value == value.normalize():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _none_at(out: list[Any], bad: np.ndarray) -> list[Any]:
    if bad.any():
        for i in np.flatnonzero(bad):
            out[i] = None
    return out


def _taker(values: pd.Series) -> Callable[[np.ndarray], list[Any]]:
    """A function of positions giving :func:`plain` of the column's values there, chosen by dtype."""
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":
        array = values.to_numpy()
        return lambda at: array[at].tolist()
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        array = values.to_numpy()

        def floats(at: np.ndarray) -> list[Any]:
            got = array[at]
            return _none_at(got.tolist(), ~np.isfinite(got))

        return floats
    if isinstance(values.array, _MASKED):  # nullable bool/int/float: the values, and where they are missing
        data = values.array.to_numpy(dtype=dtype.numpy_dtype, na_value=0)
        missing = values.isna().to_numpy()

        def masked(at: np.ndarray) -> list[Any]:
            got = data[at]
            bad = missing[at] | ~np.isfinite(got) if dtype.kind == "f" else missing[at]
            return _none_at(got.tolist(), bad)

        return masked
    if isinstance(dtype, np.dtype) and dtype.kind == "M":  # naive times: a date where it is midnight
        array = values.to_numpy()

        def times(at: np.ndarray) -> list[Any]:
            got = array[at]
            day = got.astype("datetime64[D]")
            known = ~np.isnat(got)
            out: list[Any] = [None] * len(got)
            dates = np.flatnonzero(known & (got == day))
            for i, text in zip(dates, np.datetime_as_string(day[dates], unit="D").tolist(), strict=True):
                out[i] = text
            for i in np.flatnonzero(known & (got != day)):
                out[i] = plain(pd.Timestamp(got[i]))
            return out

        return times
    if isinstance(dtype, pd.DatetimeTZDtype):
        array = values.array
        return lambda at: [plain(v) for v in array[at]]
    array = values.to_numpy() if dtype == np.dtype(object) else values.astype(object).to_numpy()
    return lambda at: [v if v is None or type(v) is str else plain(v) for v in array[at]]


class Rows:
    """The columns of ``frame`` ready to answer with (see the module notes); ``frame`` must not change."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.names = [c for c in frame.columns if c != "geometry"]
        self._takers = [_taker(frame[c]) for c in self.names]
        self._geometry: np.ndarray | None = None
        self.crs_epsg = frame.crs.to_epsg() if isinstance(frame, gpd.GeoDataFrame) and frame.crs else None

    def __len__(self) -> int:
        return len(self.frame)

    def records(self, at: np.ndarray | None = None) -> list[dict[str, Any]]:
        """The rows at positions ``at`` (all by default) as dicts of JSON-ready values, geometry left out."""
        at = np.arange(len(self.frame)) if at is None else np.asarray(at, dtype=np.intp)
        if not self.names:
            return [{} for _ in range(len(at))]
        columns = [take(at) for take in self._takers]
        return [dict(zip(self.names, row, strict=True)) for row in zip(*columns, strict=True)]

    def geometries(self, at: np.ndarray | None = None) -> list[dict | None]:
        """The geometries at positions ``at`` as RFC 7946 GeoJSON objects (see :func:`geojson_geometries`)."""
        if self._geometry is None:
            self._geometry = self.frame.geometry.to_numpy()
        geoms = self._geometry if at is None else self._geometry[np.asarray(at, dtype=np.intp)]
        return geojson_geometries(geoms, self.crs_epsg)


def geojson_geometries(geoms: np.ndarray, crs_epsg: int | None) -> list[dict | None]:
    """RFC 7946 geometries: lon/lat on WGS84 (CGCS2000 differs by centimetres), right-hand rule, 7 decimals."""
    if crs_epsg is not None and crs_epsg != 4326:
        to = transformer(crs_epsg, 4326)
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(to.transform(xy[:, 0], xy[:, 1])))
    geoms = _grid_7(geoms)  # before orienting: snapping may rewrite the rings
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    if len(geoms) and (shapely.get_type_id(geoms) == _MULTIPOLYGON).all() and not shapely.is_empty(geoms).any():
        return _multipolygons(geoms)  # parcels: the same objects, without writing and parsing GeoJSON text
    return [None if g is None or g.is_empty else json.loads(shapely.to_geojson(g)) for g in geoms]


def _multipolygons(geoms: np.ndarray) -> list[dict | None]:
    """GeoJSON objects of non-empty multipolygons from their coordinate arrays (the values ``to_geojson`` writes)."""
    _, coords, (rings, polygons, parts) = shapely.to_ragged_array(geoms)
    xy = coords.tolist()
    ring_lists = [xy[a:b] for a, b in zip(rings[:-1].tolist(), rings[1:].tolist(), strict=True)]
    polygon_lists = [ring_lists[a:b] for a, b in zip(polygons[:-1].tolist(), polygons[1:].tolist(), strict=True)]
    return [
        {"type": "MultiPolygon", "coordinates": polygon_lists[a:b]}
        for a, b in zip(parts[:-1].tolist(), parts[1:].tolist(), strict=True)
    ]


def _grid_7(geoms: np.ndarray) -> np.ndarray:
    """Coordinates on a 1e-7° grid (about 1 cm), every result valid.

    Each coordinate is rounded on its own; the few shapes that rounding leaves invalid or with repeated
    points (a sliver, a vertex within 1 cm of the next) are snapped again as GEOS does to keep them valid
    (``set_precision``'s default, an overlay: ten times slower, and it may start a ring at another vertex).
    """
    rounded = shapely.set_precision(geoms, 1e-7, mode="pointwise")
    redo = ~shapely.is_valid(rounded) | (
        shapely.get_num_coordinates(shapely.remove_repeated_points(rounded)) != shapely.get_num_coordinates(rounded)
    )
    redo &= ~shapely.is_missing(geoms)
    if redo.any():
        rounded[redo] = shapely.set_precision(geoms[redo], 1e-7)
    return rounded
