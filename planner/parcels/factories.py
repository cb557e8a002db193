"""Standard factories (标准厂房): multi-tenant buildings with floor area to let or sell.

Projects under the park's floor for a separate parcel (5000 万元 by default) are
pointed to them (DESIGN.md, Rules from regulation). The store keeps them in the
layer ``factories``: one footprint per building, its floor area and how much of it
is free.
"""

from __future__ import annotations

import geopandas as gpd

from planner.errors import Problem
from planner.fields import Field, flag
from planner.parcels.polygons import as_multipolygons, check_polygon_layer

__all__ = ["FACTORY_FIELDS", "check_factories"]

FACTORY_FIELDS: tuple[Field, ...] = (
    Field("factory_id", "str", "identity", "厂房编号", "factory id", required=True),
    Field("name", "str", "identity", "名称", "name"),
    Field("geometry", "geometry", "identity", "占地轮廓", "footprint", required=True),
    Field("parcel_id", "str", "identity", "所在宗地", "parcel"),
    Field("floors", "int", "building", "层数", "floors", min_value=1, max_value=200),  # the tallest: 163
    Field("floor_area_m2", "float", "building", "建筑面积", "floor area", unit="m2", min_value=0.0, required=True),
    Field(
        "free_floor_area_m2",
        "float",
        "building",
        "空置面积",
        "free floor area",
        unit="m2",
        min_value=0.0,
        required=True,
    ),
    Field("floor_load_kn_m2", "float", "building", "楼面荷载", "floor load", unit="kn/m2", min_value=0.0),
    Field("version", "int", "edits", "版本", "version", origin="managed"),
    Field("updated_at", "datetime", "edits", "更新时间", "updated at", origin="managed"),
    Field("updated_by", "str", "edits", "更新人", "updated by", origin="managed"),
)
FACTORY_FIELD_BY_NAME = {f.name: f for f in FACTORY_FIELDS}


def check_factories(factories: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check the standard-factory layer: ids, areas (free ≤ total), polygon footprints (as MultiPolygons)."""
    what = "standard factory"
    factories, problems = check_polygon_layer(
        factories, FACTORY_FIELDS, FACTORY_FIELD_BY_NAME, id_column="factory_id", what=what
    )
    total = factories["floor_area_m2"].to_numpy(dtype=float, na_value=float("nan"))
    free = factories["free_floor_area_m2"].to_numpy(dtype=float, na_value=float("nan"))
    problems += flag(
        factories,
        free > total,
        "error",
        "free_floor_area_m2",
        lambda p: f"free floor area {free[p]:,.0f} m² is more than the building's floor area {total[p]:,.0f} m²",
        id_column="factory_id",
        what=what,
        zh=lambda p: f"空置建筑面积 {free[p]:,.0f} 平方米大于厂房建筑面积 {total[p]:,.0f} 平方米",
    )
    return as_multipolygons(factories), problems
