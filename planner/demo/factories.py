"""The demo park's standard factories (标准厂房): multi-storey buildings let to projects too small for land."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

__all__ = ["standard_factories"]

SETBACK_M = 12.0
FLOORS = 4
FLOOR_LOAD_KN_M2 = 8.0


def standard_factories(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Standard factories (标准厂房) on the three largest producing parcels of the electronics district.

    One four-storey building per parcel, its footprint the parcel less a 12 m setback;
    one building let in full, two with free floor area.
    """
    district = parcels["zone_industries"].fillna("").str.contains("C39")
    hosts = parcels[district & (parcels["status"] == "in_production") & (parcels["land_use"] == "100101")]
    hosts = hosts.sort_values(["area_m2", "parcel_id"], ascending=[False, True]).head(3)
    footprint = hosts.geometry.buffer(-SETBACK_M, join_style="mitre")
    floor_area = footprint.area.to_numpy() * FLOORS
    free_share = np.array([0.35, 0.6, 0.0])[: len(hosts)]
    return gpd.GeoDataFrame(
        {
            "factory_id": [f"SF-{i + 1}" for i in range(len(hosts))],
            "name": [f"电子信息标准厂房{'一二三'[i]}期" for i in range(len(hosts))],
            "parcel_id": hosts["parcel_id"].to_numpy(),
            "floors": FLOORS,
            "floor_area_m2": floor_area.round(0),
            "free_floor_area_m2": (floor_area * free_share).round(0),
            "floor_load_kn_m2": FLOOR_LOAD_KN_M2,
        },
        geometry=footprint.to_numpy(),
        crs=parcels.crs,
    )
