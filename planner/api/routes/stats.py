"""``/stats``: the park's land indicators against the 2019 national figures, and the per-mu evaluation classes."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Depends

from planner.api.deps import Park, viewer
from planner.api.rows import plain
from planner.api.state import ParkState
from planner.maps.postgis_tiles import EVAL_COLUMNS
from planner.parcels.evaluation import evaluate
from planner.parcels.indicators import INDICATORS, NATIONAL_2019, SUPPLY_CONDITION, park_indicators
from planner.store.columns import parcel_columns
from planner.vocab import STATUSES

__all__ = ["STATS_COLUMNS", "park_stats", "park_stats_of", "router"]

STATS_COLUMNS = tuple(
    dict.fromkeys(
        [
            *("park_id", "status", "land_use", "area_m2", "area_mu", "ready", "idle_rule", "floor_area_m2"),
            *("footprint_m2", "investment_actual_wan", "tax_wan"),
            *SUPPLY_CONDITION,
            *(f"declared_{item}" for item in SUPPLY_CONDITION),
            *EVAL_COLUMNS,
        ]
    )
)
"""The parcel columns the statistics read: the indicators', the counts' and the per-mu evaluation's."""

router = APIRouter(dependencies=[Depends(viewer)])


def park_stats(state: ParkState) -> dict[str, Any]:
    """The park's statistics as it is now, from the columns they read (the park is not loaded)."""
    _, parcels = parcel_columns(state.store, STATS_COLUMNS)
    return park_stats_of(state, parcels)


def park_stats_of(state: ParkState, parcels: pd.DataFrame) -> dict[str, Any]:
    """The park's counts, areas, ready land, statuses, indicators and evaluation classes of ``parcels``."""
    row = park_indicators(parcels).iloc[0]
    indicators = [
        {"key": i.name, "label": i.label_zh, "label_en": i.label_en, "value": plain(row[i.name]),
         "national_2019": plain(NATIONAL_2019.get(i.name)), "formula": i.formula}
        for i in INDICATORS
    ]  # fmt: skip
    ready = parcels["ready"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    counts = parcels["status"].value_counts()
    return {
        "park": state.park_id,
        "parcels": len(parcels),
        "area_mu": round(float(parcels["area_mu"].sum()), 2),
        "area_m2": round(float(parcels["area_m2"].sum()), 1),
        "ready": {"parcels": int(ready.sum()), "area_mu": round(float(parcels["area_mu"][ready].sum()), 2)},
        "status": {s: {"count": int(counts.get(s, 0)), "label": STATUSES[s][0]} for s in STATUSES},
        "indicators": indicators,
        "evaluation": evaluate(parcels.reset_index(drop=True), state.store.config()).counts(),
        "readiness_at": state.store.metadata().get("readiness_at"),
    }


@router.get("/stats", summary="园区土地指标与亩均评价 / Park indicators and per-mu classes")
def stats(state: Park) -> dict[str, Any]:
    """The park's statistics (computed once per state of the park)."""
    return state.cached("stats", lambda: park_stats(state))
