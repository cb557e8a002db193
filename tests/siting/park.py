"""Small hand-built parks for the siting tests: rectangles whose areas are exact in mu."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from planner.config import ParkConfig
from planner.parcels.validation import validate_parcels
from planner.siting.site import SiteIndex
from planner.vocab import CHECKLIST_ITEMS
from tests.conftest import GK, X0, Y0

M2_PER_MU = 10000 / 15


def rect(x: float, mu: float, *, y: float = 0.0, width: float = 100.0):
    """A rectangle ``width`` m wide and as tall as ``mu`` needs, its south-west corner at (x, y) from X0, Y0."""
    return box(X0 + x, Y0 + y, X0 + x + width, Y0 + y + mu * M2_PER_MU / width)


def frame(shapes: list, **columns) -> gpd.GeoDataFrame:
    """Parcels P0, P1, … (reserved, 二类工业用地, every item declared true) with ``columns`` overriding."""
    n = len(shapes)
    data = {
        "parcel_id": [f"P{i}" for i in range(n)],
        "status": ["reserved"] * n,
        "land_use": ["100102"] * n,
        **{f"declared_{item}": [True] * n for item in CHECKLIST_ITEMS},
    }
    data.update(columns)
    raw = gpd.GeoDataFrame(data, geometry=shapes, crs=GK)
    return validate_parcels(raw, crs_epsg=GK, park_id="T1").parcels


def config(**changes) -> ParkConfig:
    return ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK, **changes)


def site(shapes: list, *, park: ParkConfig | None = None, factories=None, **columns) -> SiteIndex:
    """A SiteIndex of hand-built parcels (no network layers: declared readiness, capacity unchecked)."""
    parcels = frame(shapes, **columns)
    return SiteIndex.build(parcels, park or config(), factories=factories)


def project(**fields) -> dict:
    """A valid project record (C3670 automotive parts, M2, 100 亩) with ``fields`` overriding."""
    record = {"name": "测试项目", "industry": "C3670", "land_mu": 100, "investment_wan": 60000}
    record.update(fields)
    return record


def ids(frame_or_list) -> list[str]:
    if isinstance(frame_or_list, pd.DataFrame):
        return [",".join(t) for t in frame_or_list["parcel_ids"]]
    return list(frame_or_list)
