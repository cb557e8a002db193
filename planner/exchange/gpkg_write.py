"""The GeoPackage export as QGIS and GDAL 3.6 read it: Chinese columns, field domains, dates, yes/no, styles.

- columns named by their Chinese labels with units (``宗地面积（亩）``), each with its title and its
  schema name in ``gpkg_data_columns`` and its domain in ``gpkg_data_column_constraints``
  (:mod:`planner.store.gpkg_schema`): the codes of 供地状态, 用地分类 (用地用海分类, or GB/T 21010
  when exported so), 处置阶段 …, 是/否 of each 七通一平 item, 熟地/生地, and the range of each number;
- codes stay codes (the domains name them), dates are ``Date`` fields, yes/no are GDAL booleans;
- QGIS default styles in ``layer_styles`` (:mod:`planner.store.gpkg_styles`): readiness colours
  (the default), idle land, labels with 宗地代码;
- GeoPackage 1.3 (GDAL's ``VERSION`` creation option): GDAL 3.6 warns on 1.4.

GDAL writes the features (pyogrio); the schema rows and styles are added to the new file with
:mod:`sqlite3`, since pyogrio cannot write field domains.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.raw
import shapely

from planner.parcels.schema import FIELD_BY_NAME
from planner.store.gpkg_schema import GPKG_VERSION, column_docs, ensure_schema_tables, write_column_docs
from planner.store.gpkg_styles import parcel_styles, write_layer_styles

__all__ = ["GPKG_LAYER", "write_geopackage"]

GPKG_LAYER = "宗地"
"""The layer (table) the parcels are exported as."""
_GEOM = "geom"


def _arrays(frame: gpd.GeoDataFrame) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Each column (but the geometry) as the array and mask a GeoPackage field is written from."""
    data: list[np.ndarray] = []
    masks: list[np.ndarray | None] = []
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        values = frame[column]
        kind = FIELD_BY_NAME[column].kind
        missing = values.isna().to_numpy()
        if kind == "date":
            data.append(
                pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            )
            masks.append(None)
        elif kind == "bool":
            data.append(values.fillna(False).astype(bool).to_numpy())
            masks.append(missing)
        elif kind in ("float", "int"):
            data.append(values.astype("float64").to_numpy())
            masks.append(None)
        else:
            data.append(np.array([None if m else str(v) for v, m in zip(values, missing, strict=True)], dtype=object))
            masks.append(None)
    return data, masks


def write_geopackage(frame: gpd.GeoDataFrame, out: Path, *, land_use: str = "2023") -> None:
    """Write the parcels in ``frame`` (schema columns, a CRS with an EPSG code) as layer :data:`GPKG_LAYER`.

    ``land_use``: the code system the ``land_use`` column holds (``2023`` or ``gb21010``), for its domain.
    """
    names = {c: FIELD_BY_NAME[c].label("zh") for c in frame.columns if c != frame.geometry.name}
    data, masks = _arrays(frame)
    geoms = frame.geometry.to_numpy()
    multi = bool((shapely.get_type_id(geoms) == shapely.GeometryType.MULTIPOLYGON).any())
    epsg = frame.crs.to_epsg()
    pyogrio.raw.write(
        out,
        geometry=shapely.to_wkb(geoms),
        field_data=data,
        fields=list(names.values()),
        field_mask=masks if any(m is not None for m in masks) else None,
        layer=GPKG_LAYER,
        driver="GPKG",
        geometry_type="MultiPolygon" if multi else "Polygon",
        crs=f"EPSG:{epsg}",
        dataset_options={"VERSION": GPKG_VERSION},
        layer_options={"DESCRIPTION": "宗地 / parcels", "GEOMETRY_NAME": _GEOM},
    )
    fields = [FIELD_BY_NAME[c] for c in names]
    with closing(sqlite3.connect(out, isolation_level=None)) as conn:
        conn.execute("BEGIN")
        ensure_schema_tables(conn)
        write_column_docs(conn, GPKG_LAYER, column_docs(fields, columns=names, land_use=land_use), prefix="parcels")
        columns = {c: names[c] for c in ("ready", "missing", "idle_rule", "parcel_id")}
        write_layer_styles(conn, GPKG_LAYER, _GEOM, parcel_styles(columns, {}))
        conn.execute("COMMIT")
