"""``/idle``: the park's idle land (闲置土地) as last classified: its area, the fees owed and paid, the procedure.

Each idle parcel carries its disposal record and where it stands in the procedure
(``disposal_stage``, its Chinese label ``disposal_stage_zh``; 闲置土地处置办法 arts. 5–14).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Depends

from planner.api.deps import Park, require_idle, viewer
from planner.api.errors import ApiError
from planner.api.geojson import GeoJSONResponse, feature_collection
from planner.api.messages import Text
from planner.api.state import ParkState
from planner.store.columns import parcel_columns
from planner.vocab import DISPOSAL_STAGES

__all__ = ["idle_parcels", "router", "stage_label"]

_COLUMNS = [
    "parcel_id", "name", "holder", "area_mu", "area_m2", "status", "idle_rule", "idle_since", "idle_until",
    "idle_fee_wan", "idle_fee_paid_wan", "reclaim_from", "delay_cause", "land_price_wan", "disposal_stage",
    "idle_notice_date", "idle_determined_date", "disposal", "disposal_date", "restart_date", "temporary_use_until",
    "geometry",
]  # fmt: skip
"""The columns an idle parcel is answered with: the classification, the fee owed and paid, the disposal record."""

router = APIRouter(dependencies=[Depends(viewer)])


@router.get("/idle", response_class=GeoJSONResponse, summary="闲置土地 / Idle land (GeoJSON)")
def idle_land(state: Park) -> GeoJSONResponse:
    """The idle parcels as of the last classification; 409 while idle land was never classified."""
    as_of = state.store.metadata().get("idle_as_of")
    if as_of is None:
        msg = Text(
            "本园区尚未认定闲置土地：先运行 `planner idle`",
            "idle land has not been classified in this park yet: run `planner idle`",
        )
        raise ApiError(409, msg, field="idle")
    found = idle_parcels(state)
    members = {"park": state.park_id, "idle_as_of": as_of, "numberMatched": len(found),
               "area_mu": round(float(found["area_mu"].sum()), 2),
               "idle_fee_wan": round(float(found["idle_fee_wan"].fillna(0).sum()), 2),
               "idle_fee_paid_wan": round(float(found["idle_fee_paid_wan"].fillna(0).sum()), 2),
               "stages": {code: labels[0] for code, labels in DISPOSAL_STAGES.items()}}  # fmt: skip
    rows = found[_COLUMNS].copy()
    rows.insert(len(_COLUMNS) - 1, "disposal_stage_zh", stage_label(rows["disposal_stage"]))
    return GeoJSONResponse(feature_collection(rows, **members))


def idle_parcels(state: ParkState) -> gpd.GeoDataFrame:
    """The idle parcels (``idle_rule`` set) as stored now, by ``parcel_id``: their ids found in that one column,
    then those parcels read (the park is not loaded). 409 once idle land predates a change of what it reads."""
    require_idle(state)
    _, rules = parcel_columns(state.store, ["idle_rule"])
    ids = rules["parcel_id"][rules["idle_rule"].notna()].tolist()
    found = state.store.read_parcels(parcel_ids=ids) if ids else state.store.read_parcels(parcel_ids=[])
    return found.sort_values("parcel_id", kind="stable").reset_index(drop=True)


def stage_label(stages: pd.Series) -> pd.Series:
    """The Chinese label of each disposal stage (闲置土地处置办法 arts. 5–14), None where there is none."""
    return stages.map(lambda code: DISPOSAL_STAGES[code][0] if isinstance(code, str) else None).astype(object)
