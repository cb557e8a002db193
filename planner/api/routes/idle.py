"""``/idle``: the park's idle land (闲置土地) as last classified, with its area and the idle fees."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from planner.api.deps import ParcelFilters, Park, select, viewer
from planner.api.errors import ApiError
from planner.api.geojson import GeoJSONResponse, feature_collection

__all__ = ["router"]

_COLUMNS = [
    "parcel_id", "name", "holder", "area_mu", "area_m2", "status", "idle_rule", "idle_since", "idle_fee_wan",
    "reclaim_from", "delay_cause", "land_price_wan", "geometry",
]  # fmt: skip
"""The columns an idle parcel is answered with."""

router = APIRouter(dependencies=[Depends(viewer)])


@router.get("/idle", response_class=GeoJSONResponse, summary="闲置土地 / Idle land (GeoJSON)")
def idle_land(state: Park) -> GeoJSONResponse:
    """The idle parcels as of the last classification; 409 while idle land was never classified."""
    as_of = state.store.metadata().get("idle_as_of")
    if as_of is None:
        msg = "idle land has not been classified in this park yet: run `planner idle`"
        raise ApiError(409, msg, field="idle")
    found = select(state, ParcelFilters(idle=True))
    members = {"park": state.park_id, "idle_as_of": as_of, "numberMatched": len(found),
               "area_mu": round(float(found["area_mu"].sum()), 2),
               "idle_fee_wan": round(float(found["idle_fee_wan"].fillna(0).sum()), 2)}  # fmt: skip
    return GeoJSONResponse(feature_collection(found[_COLUMNS], **members))
