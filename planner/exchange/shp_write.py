"""The land bureau's Shapefile: named by the table, dates as dates, labels and numbers as a bureau reads them.

- column names from :data:`~planner.exchange.shp_fields.SHAPEFILE_FIELDS` (whole words with units);
- dates as dBASE Date fields (``D``), not text;
- ``labels="zh"`` (the default): yes/no as 是/否 (熟地/生地 for 熟地), coded values as their
  Chinese labels (``in_production`` → ``投产``, ``gas,heat`` → ``通燃气、通热力``) by
  :func:`~planner.exchange.sheet.labelled_column`, numbers rounded to their meaning
  (:data:`~planner.exchange.shp_fields.SHAPEFILE_DECIMALS`: 亩 to 4 decimals, 万元 to 2);
  land-use codes stay codes (the bureau's classification is by code). The import reads
  all of these back as codes;
- ``labels="codes"``: the stored codes, ``True``/``False`` and unrounded numbers;
- GB18030 text with a ``.cpg`` naming it, so QGIS reads the Chinese right;
- with ``labels="zh"``, QGIS's default style beside it (``.qml``, :func:`shapefile_style`): readiness
  colours and 宗地代码 labels, as the park GeoPackage has them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.raw
import shapely

from planner.exchange.mapping import SHAPEFILE_ENCODING, shapefile_names
from planner.exchange.sheet import labelled_column
from planner.exchange.shp_fields import SHAPEFILE_DECIMALS
from planner.parcels.schema import FIELD_BY_NAME, FIELDS
from planner.store.gpkg_styles import parcel_styles

__all__ = ["LABELS", "bureau_values", "shapefile_style", "write_shapefile"]

LABELS = ("zh", "codes")
_KEEP_CODES = ("land_use",)


def bureau_values(frame: pd.DataFrame, labels: str) -> dict[str, np.ndarray]:
    """Each column of ``frame`` (but the geometry) as the array a Shapefile field is written from."""
    if labels not in LABELS:
        msg = f"`labels` was {labels!r} but is expected to be zh (Chinese labels) or codes"
        raise ValueError(msg)
    out: dict[str, np.ndarray] = {}
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        spec = FIELD_BY_NAME.get(column)
        values = frame[column]
        kind = spec.kind if spec is not None else "str"
        if kind == "date":
            days = pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]")
            out[column] = days.astype("datetime64[D]")
        elif kind in ("float", "int"):
            numbers = values.astype("float64").to_numpy()
            if labels == "zh" and spec is not None and kind == "float":
                numbers = np.round(numbers, SHAPEFILE_DECIMALS.get(spec.unit or "", 2))
            out[column] = numbers
        elif labels == "zh" and column not in _KEEP_CODES:
            out[column] = _objects(labelled_column(frame, column, "zh"))
        else:
            out[column] = _objects(values)
    return out


def _objects(values: pd.Series) -> np.ndarray:
    """Text (or yes/no) values as an object array, a missing one as None."""
    return np.array([None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in values], dtype=object)


def write_shapefile(frame: gpd.GeoDataFrame, out: Path, *, labels: str = "zh") -> None:
    """Write the parcels in ``frame`` (schema columns, any CRS with an EPSG code) as the bureau's Shapefile."""
    arrays = bureau_values(frame, labels)
    names = shapefile_names(FIELDS)
    geoms = frame.geometry.to_numpy()
    multi = bool((shapely.get_type_id(geoms) == shapely.GeometryType.MULTIPOLYGON).any())
    epsg = frame.crs.to_epsg() if frame.crs is not None else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL warns about the column width it chose; the values fit
        pyogrio.raw.write(
            out,
            geometry=shapely.to_wkb(geoms),
            field_data=list(arrays.values()),
            fields=[names.get(c, c) for c in arrays],
            geometry_type="MultiPolygon" if multi else "Polygon",
            crs=f"EPSG:{epsg}" if epsg is not None else frame.crs.to_wkt("WKT1_GDAL"),
            driver="ESRI Shapefile",
            encoding=SHAPEFILE_ENCODING,
        )


def shapefile_style() -> str:
    """The QML of the readiness style (:mod:`planner.store.gpkg_styles`) for the bureau's Shapefile with labels."""
    names = shapefile_names(FIELDS)
    columns = {c: names[c] for c in ("ready", "missing", "idle_rule", "parcel_id")}
    aliases = {names[f.name]: f.label("zh") for f in FIELDS if f.name in names and f.kind != "geometry"}
    default = next(style for style in parcel_styles(columns, aliases, labelled=True) if style.default)
    return default.qml
